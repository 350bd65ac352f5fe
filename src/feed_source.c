/*
 * feed_source.c: the NATS JetStream backend of a feed (see feed_source.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_source.h"
#include "xmalloc.h"

struct feed_source {
	struct feed			 feed;	/* first: the feed's ops */
	const struct config		*cfg;
	const struct config_account	*acct;
	enum feed_source_mode		 mode;
	source_event_fn			*fn;
	void				*arg;
	struct source			*source;	/* NULL: not connected */
};

/*
 * Maps a source result onto the feed's. A connection cnats gave up on is
 * dropped here (the next feed_connect() makes a new one) and, with
 * closed_result, reported as the caller of this step expects it.
 */
static enum feed_result
result(struct feed_source *fs, enum source_result r,
    enum feed_result closed_result)
{
	switch (r) {
	case SOURCE_OK:
		return FEED_OK;
	case SOURCE_EMPTY:
		return FEED_EMPTY;
	case SOURCE_REPOSITION:
		return FEED_REPOSITION;
	case SOURCE_EPERM:
		return FEED_EPERM;
	case SOURCE_ECONFIG:
		return FEED_ECONFIG;
	case SOURCE_ECLOSED:
		source_close(fs->source);
		fs->source = NULL;
		return closed_result;
	case SOURCE_RETRY:
	case SOURCE_ENOSTREAM:
	default:
		return FEED_RETRY;
	}
}

/*
 * Reads the state of the consumer read from: the durable one by its name
 * (libnats 3.4.1 answers Invalid Subscription when asked through a pull
 * subscription bound to a durable), the ephemeral one through its
 * subscription (it has no name of ours).
 */
static enum source_result
consumer_info(struct feed_source *fs, struct source_consumer_info *ci,
    char *err, size_t errlen)
{
	if (fs->mode == FEED_SOURCE_DURABLE)
		return source_consumer_info(fs->source, ci, err, errlen);
	return source_sub_info(fs->source, ci, err, errlen);
}

static enum feed_result
fs_connect(struct feed *f, char *err, size_t errlen)
{
	struct feed_source *fs = (struct feed_source *)f;

	if (fs->source != NULL)
		return FEED_OK;
	return result(fs, source_open(fs->cfg, fs->acct, fs->fn, fs->arg,
	    &fs->source, err, errlen), FEED_RETRY);
}

static enum feed_result
fs_position(struct feed *f, uint64_t start_seq, struct feed_pos *pos,
    char *err, size_t errlen)
{
	struct feed_source *fs = (struct feed_source *)f;
	struct source_stream_info si;
	struct source_consumer_info ci;
	enum source_result r;

	memset(pos, 0, sizeof(*pos));
	if (fs->source == NULL) {
		snprintf(err, errlen, "not connected");
		return FEED_RETRY;
	}
	if ((r = source_stream_info(fs->source, &si, err, errlen)) != SOURCE_OK)
		return result(fs, r, FEED_RETRY);
	pos->last_seq = si.last_seq;
	pos->backwards = si.last_seq + 1 < start_seq;
	/* Expired or purged: the stream starts later now. */
	if (si.first_seq > start_seq)
		feed_pos_hole(pos, start_seq, si.first_seq - 1);
	if (fs->mode == FEED_SOURCE_EPHEMERAL)
		r = source_position_ephemeral(fs->source, start_seq, err, errlen);
	else
		r = source_position(fs->source, start_seq, &pos->recreated, err,
		    errlen);
	if (r != SOURCE_OK)
		return result(fs, r, FEED_RETRY);
	/* A new or reset consumer counts what it has to deliver. */
	if ((r = consumer_info(fs, &ci, err, errlen)) != SOURCE_OK)
		return result(fs, r, FEED_RETRY);
	pos->pending = ci.num_pending;
	return FEED_OK;
}

static enum feed_result
fs_fetch(struct feed *f, int batch, int wait_ms, size_t *count, char *err,
    size_t errlen)
{
	struct feed_source *fs = (struct feed_source *)f;

	*count = 0;
	if (fs->source == NULL) {
		snprintf(err, errlen, "not connected");
		return FEED_REPOSITION;
	}
	return result(fs, source_fetch(fs->source, batch, wait_ms, count, err,
	    errlen), FEED_REPOSITION);
}

static const struct feed_msg *
fs_msg(struct feed *f, size_t i)
{
	return source_msg(((struct feed_source *)f)->source, i);
}

static enum feed_result
fs_ack(struct feed *f, size_t i, char *err, size_t errlen)
{
	struct feed_source *fs = (struct feed_source *)f;

	return result(fs, source_ack(fs->source, i, err, errlen), FEED_RETRY);
}

/* Nothing left for the consumer, and nothing delivered beyond folded. */
static enum feed_result
fs_drained(struct feed *f, uint64_t folded, int *drained, char *err,
    size_t errlen)
{
	struct feed_source *fs = (struct feed_source *)f;
	struct source_consumer_info ci;
	enum source_result r;

	if (fs->source == NULL) {
		snprintf(err, errlen, "not connected");
		return FEED_RETRY;
	}
	if ((r = consumer_info(fs, &ci, err, errlen)) != SOURCE_OK)
		return result(fs, r, FEED_RETRY);
	*drained = ci.num_pending == 0 && ci.delivered_seq <= folded;
	return FEED_OK;
}

static void
fs_close(struct feed *f)
{
	struct feed_source *fs = (struct feed_source *)f;

	source_close(fs->source);
	free(fs);
}

static const struct feed_ops durable_ops = {
	.connect = fs_connect,
	.position = fs_position,
	.fetch = fs_fetch,
	.msg = fs_msg,
	.ack = fs_ack,
	.drained = fs_drained,
	.close = fs_close
};

/* A replay's consumer has no acks to send. */
static const struct feed_ops ephemeral_ops = {
	.connect = fs_connect,
	.position = fs_position,
	.fetch = fs_fetch,
	.msg = fs_msg,
	.ack = NULL,
	.drained = fs_drained,
	.close = fs_close
};

/*
 * Returns a feed of acct's stream read in mode, not connected yet. Cannot
 * fail.
 */
struct feed *
feed_source_new(const struct config *cfg, const struct config_account *acct,
    enum feed_source_mode mode, source_event_fn *fn, void *arg)
{
	struct feed_source *fs = xcalloc(1, sizeof(*fs));

	fs->feed.ops = mode == FEED_SOURCE_DURABLE ? &durable_ops :
	    &ephemeral_ops;
	fs->cfg = cfg;
	fs->acct = acct;
	fs->mode = mode;
	fs->fn = fn;
	fs->arg = arg;
	return &fs->feed;
}
