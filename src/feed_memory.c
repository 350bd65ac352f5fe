/*
 * feed_memory.c: a feed over messages in memory (see feed_memory.h).
 */
#include <stdlib.h>
#include <string.h>

#include "feed_memory.h"
#include "xmalloc.h"

struct feed_memory {
	struct feed	 feed;		/* first: the feed's ops */
	struct feed_msg	*msgs;
	size_t		 n;
	size_t		 next;		/* the next to hand over */
	size_t		 batch_at;	/* the batch in hand starts here */
	void		*owned;		/* freed with the feed */
};

static enum feed_result
mf_connect(struct feed *f, char *err, size_t errlen)
{
	(void)f;
	(void)err;
	(void)errlen;
	return FEED_OK;
}

static enum feed_result
mf_position(struct feed *f, uint64_t start_seq, struct feed_pos *pos,
    char *err, size_t errlen)
{
	struct feed_memory *mf = (struct feed_memory *)f;

	(void)err;
	(void)errlen;
	memset(pos, 0, sizeof(*pos));
	for (mf->next = 0; mf->next < mf->n &&
	    mf->msgs[mf->next].seq < start_seq; mf->next++)
		;
	mf->batch_at = mf->next;
	pos->last_seq = mf->n > 0 ? mf->msgs[mf->n - 1].seq : 0;
	pos->pending = mf->n - mf->next;
	return FEED_OK;
}

static enum feed_result
mf_fetch(struct feed *f, int batch, int wait_ms, size_t *count, char *err,
    size_t errlen)
{
	struct feed_memory *mf = (struct feed_memory *)f;
	size_t left = mf->n - mf->next;

	(void)wait_ms;
	(void)err;
	(void)errlen;
	*count = left < (size_t)batch ? left : (size_t)batch;
	mf->batch_at = mf->next;
	mf->next += *count;
	return *count > 0 ? FEED_OK : FEED_EMPTY;
}

static const struct feed_msg *
mf_msg(struct feed *f, size_t i)
{
	struct feed_memory *mf = (struct feed_memory *)f;

	return &mf->msgs[mf->batch_at + i];
}

static enum feed_result
mf_ack(struct feed *f, size_t i, char *err, size_t errlen)
{
	(void)f;
	(void)i;
	(void)err;
	(void)errlen;
	return FEED_OK;
}

static enum feed_result
mf_drained(struct feed *f, uint64_t folded, int *drained, char *err,
    size_t errlen)
{
	struct feed_memory *mf = (struct feed_memory *)f;

	(void)folded;
	(void)err;
	(void)errlen;
	*drained = mf->next == mf->n;
	return FEED_OK;
}

static void
mf_close(struct feed *f)
{
	struct feed_memory *mf = (struct feed_memory *)f;

	if (mf == NULL)
		return;
	free(mf->msgs);
	free(mf->owned);
	free(mf);
}

static const struct feed_ops feed_memory_ops = {
	.connect = mf_connect,
	.position = mf_position,
	.fetch = mf_fetch,
	.msg = mf_msg,
	.ack = mf_ack,
	.drained = mf_drained,
	.close = mf_close
};

/*
 * A feed over a copy of the n messages at msgs (pending is filled in),
 * which frees owned when it is closed.
 */
struct feed *
feed_memory_new(const struct feed_msg *msgs, size_t n, void *owned)
{
	struct feed_memory *mf = xcalloc(1, sizeof(*mf));
	size_t i;

	mf->feed.ops = &feed_memory_ops;
	mf->msgs = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*mf->msgs));
	if (n > 0)
		memcpy(mf->msgs, msgs, n * sizeof(*msgs));
	for (i = 0; i < n; i++)
		mf->msgs[i].pending = n - i - 1;
	mf->n = n;
	mf->owned = owned;
	return &mf->feed;
}
