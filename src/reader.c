/*
 * reader.c: the one loop shape of everything that folds a feed (see
 * reader.h).
 */
#include <sysexits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "decoder.h"
#include "reader.h"
#include "xmalloc.h"

/* How often a pause looks at the stop request. */
#define READER_NAP_MS	50

/*
 * Batches of fewer messages are decoded by the fold: a live trickle comes a
 * message a batch, and waking a thread for it costs more than it saves.
 */
#define READER_DECODE_MIN	64

struct reader {
	const struct reader_params *p;
	int		 positioned;
	size_t		 held;		/* a fetched batch not committed yet */
	int		 idle;		/* the last fetch brought nothing */
	uint64_t	 pending;	/* after the last message folded;
					   UINT64_MAX: none since positioned */
	uint64_t	 behind;	/* what the fetch-wait rule goes by */
	uint64_t	 stream_last;	/* the newest sequence heard of */
	int		 backoff_ms;
	int64_t		 away_since_ms;	/* feed unavailable since; 0 */
	struct decoder	*decoder;	/* NULL: the fold decodes */
};

/*
 * Returns a reader of p->feed into p->fold, not positioned. Cannot fail.
 */
struct reader *
reader_new(const struct reader_params *p)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	char err[256];

	r->p = p;
	r->pending = UINT64_MAX;
	r->backoff_ms = READER_BACKOFF_MIN_MS;
	/* Without its thread the fold decodes, as it can: no failure. */
	if (decoder_new(&r->decoder, err, sizeof(err)) == -1)
		r->decoder = NULL;
	return r;
}

/* Position again at the next step; a batch in hand is dropped. */
void
reader_reposition(struct reader *r)
{
	r->positioned = 0;
	r->held = 0;
}

/*
 * Returns how many messages the feed held after the last one folded, or
 * UINT64_MAX when none was folded since the feed was positioned.
 */
uint64_t
reader_pending(const struct reader *r)
{
	return r->pending;
}

/* Returns the newest stream sequence the reader has heard of. */
uint64_t
reader_stream_last(const struct reader *r)
{
	return r->stream_last;
}

/* Returns the pause the next reader_backoff() takes. */
int
reader_backoff_ms(const struct reader *r)
{
	return r->backoff_ms;
}

/* Sleeps up to ms, in short naps, so that a stop request is seen at once. */
void
reader_pause(struct reader *r, int ms)
{
	struct timespec ts = { 0, READER_NAP_MS * 1000000L };
	int64_t until = clock_now_ms() + ms;

	while (!r->p->stopping(r->p->arg) && clock_now_ms() < until)
		nanosleep(&ts, NULL);
}

/*
 * Waits the current backoff (never past the moment the reader would give
 * up, which is then what it does), then doubles it, up to backoff_max_ms.
 */
void
reader_backoff(struct reader *r)
{
	int ms = r->backoff_ms;
	int64_t left;

	if (r->p->give_up_ms > 0 && r->away_since_ms != 0) {
		left = r->away_since_ms + r->p->give_up_ms - clock_now_ms();
		if (left < ms)
			ms = left > 0 ? (int)left : 0;
	}
	reader_pause(r, ms);
	r->backoff_ms *= 2;
	if (r->backoff_ms > r->p->backoff_max_ms)
		r->backoff_ms = r->p->backoff_max_ms;
}

static void
recovered(struct reader *r)
{
	r->backoff_ms = READER_BACKOFF_MIN_MS;
}

/*
 * The feed could not be reached or positioned (fr, err). Passing trouble is
 * READER_RETRY until it has lasted give_up_ms; what retrying cannot mend,
 * or what lasted too long, is READER_STOP.
 */
static enum reader_next
unavailable(struct reader *r, enum feed_result fr, const char *what,
    struct reader_out *out, char *err, size_t errlen)
{
	int64_t now = clock_now_ms();
	size_t len;

	out->what = what;
	if ((out->code = feed_sysexit(fr)) != 0)
		return READER_STOP;
	if (r->away_since_ms == 0)
		r->away_since_ms = now;
	else if (r->p->give_up_ms > 0 &&
	    now - r->away_since_ms >= r->p->give_up_ms) {
		len = strlen(err);
		snprintf(err + len, errlen - len, " (NATS or the stream stayed"
		    " unavailable for %d s)", r->p->give_up_ms / 1000);
		out->what = "giving up: NATS or the stream stayed unavailable";
		out->code = EX_UNAVAILABLE;
		return READER_STOP;
	}
	return READER_RETRY;
}

static enum reader_next
position(struct reader *r, struct reader_out *out, char *err, size_t errlen)
{
	uint64_t start = fold_min_checkpoint(r->p->fold) + 1;
	enum feed_result fr;

	if (r->p->start != NULL)
		start = r->p->start(r->p->arg, start);
	if ((fr = feed_connect(r->p->feed, err, errlen)) != FEED_OK)
		return unavailable(r, fr, "cannot connect", out, err, errlen);
	fr = feed_position(r->p->feed, start, &out->pos, err, errlen);
	if (fr != FEED_OK)
		return unavailable(r, fr, "cannot position the consumer", out,
		    err, errlen);
	out->start_seq = start;
	r->positioned = 1;
	r->idle = 0;
	r->away_since_ms = 0;
	recovered(r);
	/* Nothing to deliver: whatever was pending is gone. */
	r->pending = out->pos.pending == 0 ? 0 : UINT64_MAX;
	r->behind = out->pos.pending;
	if (out->pos.last_seq > r->stream_last)
		r->stream_last = out->pos.last_seq;
	return READER_POSITIONED;
}

/*
 * Folds the held batch in one transaction, leaving out messages past
 * limit_seq, and commits it; sets *n to the messages folded, *last to the
 * last one's sequence and *pending to what followed it. Returns the
 * fold's result; the batch is rolled back unless FOLD_OK.
 */
static enum fold_result
fold_batch(struct reader *r, size_t *n, uint64_t *last, uint64_t *pending,
    int64_t *stored_ms, int64_t *commit_us, char *err, size_t errlen)
{
	const struct reader_params *p = r->p;
	const struct feed_msg *m;
	struct decoder_result dr;
	struct fold_decoded fd;
	const struct fold_decoded *dec;
	enum fold_result fr;
	size_t i;
	int ahead = r->decoder != NULL && r->held >= READER_DECODE_MIN;

	*n = r->held;
	*last = *pending = 0;
	*stored_ms = 0;
	if (p->before_fold != NULL)
		p->before_fold(p->arg, p->feed, *n);
	if (ahead)
		decoder_start(r->decoder, p->feed, *n,
		    fold_min_checkpoint(p->fold));
	fr = fold_begin(p->fold, err, errlen);
	for (i = 0; i < *n && fr == FOLD_OK; i++) {
		m = feed_msg(p->feed, i);
		if (p->limit_seq != 0 && m->seq > p->limit_seq) {
			/* Arrived: what the feed holds beyond is not wanted. */
			*n = i;
			*pending = 0;
			break;
		}
		dec = NULL;
		if (ahead) {
			decoder_get(r->decoder, i, &dr);
			fd.json = dr.json;
			fd.error = dr.error;
			dec = dr.decoded ? &fd : NULL;
		}
		fr = fold_event_decoded(p->fold, m->seq, m->stored_ms,
		    m->subject, m->data, m->len, dec, err, errlen);
		*pending = m->pending;
		*last = m->seq;
		*stored_ms = m->stored_ms;
	}
	if (ahead)
		decoder_stop(r->decoder);
	if (fr == FOLD_OK && p->before_commit != NULL && *n > 0)
		fr = p->before_commit(p->arg, p->feed, *n, err, errlen);
	if (fr == FOLD_OK) {
		if (*last + *pending > r->stream_last)
			r->stream_last = *last + *pending;
		*commit_us = clock_now_us();
		fr = fold_commit(p->fold, r->stream_last, err, errlen);
		*commit_us = clock_now_us() - *commit_us;
	}
	if (fr != FOLD_OK)
		fold_rollback(p->fold);
	return fr;
}

/*
 * Folds the held batch; it stays held when it must be folded again later.
 * A projection that wrote before refusing an event has it folded again at
 * once, with savepoints (FOLD_AGAIN comes once: the fold then uses them).
 */
static enum reader_next
fold_held(struct reader *r, struct reader_out *out, char *err, size_t errlen)
{
	enum fold_result fr;
	uint64_t last, pending;
	int64_t t0 = clock_now_us(), stored_ms, commit_us = 0;
	size_t n;

	while ((fr = fold_batch(r, &n, &last, &pending, &stored_ms,
	    &commit_us, err, errlen)) == FOLD_AGAIN)
		;
	if (fr == FOLD_OK) {
		r->held = 0;
		r->pending = r->behind = pending;
		recovered(r);
		out->count = n;
		out->last_seq = last;
		out->last_stored_ms = stored_ms;
		out->batch_us = clock_now_us() - t0;
		out->commit_us = commit_us;
		return READER_FOLDED;
	}
	if (fr == FOLD_ERROR) {
		out->stage = READER_STAGE_FOLD;
		out->what = "fold failed";
		out->code = EX_SOFTWARE;
		return READER_STOP;
	}
	out->stage = READER_STAGE_COMMIT;
	out->what = "batch rolled back, will retry";
	return READER_RETRY;
}

/* The fetch-wait rule of reader.h. */
static void
shape(const struct reader *r, int *batch, int *wait_ms)
{
	*batch = r->p->batch;
	if (r->idle) {
		*batch = 1;
		*wait_ms = r->p->idle_wait_ms;
	} else if (r->behind >= 2 * (uint64_t)*batch)
		/* Two: the request in flight was made one batch earlier. */
		*wait_ms = READER_CATCHUP_WAIT_MS;
	else
		*wait_ms = r->p->partial_wait_ms;
}

/*
 * Does the next thing that needs doing (see reader.h) and fills out.
 * Returns what it was; err holds the reason of READER_REPOSITION,
 * READER_RETRY and READER_STOP.
 */
enum reader_next
reader_step(struct reader *r, struct reader_out *out, char *err,
    size_t errlen)
{
	enum feed_result fr;
	size_t n;
	int batch, wait_ms;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!r->positioned)
		return position(r, out, err, errlen);
	if (r->held > 0)
		return fold_held(r, out, err, errlen);
	shape(r, &batch, &wait_ms);
	switch ((fr = feed_fetch(r->p->feed, batch, wait_ms, &n, err,
	    errlen))) {
	case FEED_OK:
		r->idle = 0;
		r->held = n;
		return fold_held(r, out, err, errlen);
	case FEED_EMPTY:
		r->idle = 1;
		return READER_IDLE;
	case FEED_REPOSITION:
		reader_reposition(r);
		return READER_REPOSITION;
	default:
		out->what = "fetch failed";
		if ((out->code = feed_sysexit(fr)) != 0)
			return READER_STOP;
		return READER_RETRY;
	}
}

/*
 * Steps the reader until n messages are folded, for a feed that neither
 * idles nor fails (one in memory: fold, the benchmarks). Sets *folded to
 * the messages folded. Returns 0, or -1 with err and *code (the sysexits
 * code: the reader's when it stopped, else EX_SOFTWARE).
 */
int
reader_drain(struct reader *r, uint64_t n, uint64_t *folded, int *code,
    char *err, size_t errlen)
{
	struct reader_out o;

	*folded = 0;
	*code = 0;
	while (*folded < n) {
		switch (reader_step(r, &o, err, errlen)) {
		case READER_POSITIONED:
			break;
		case READER_FOLDED:
			*folded += o.count;
			break;
		default:
			*code = o.code != 0 ? o.code : EX_SOFTWARE;
			if (err[0] == '\0')
				snprintf(err, errlen, "folding stopped after %llu"
				    " of %llu messages",
				    (unsigned long long)*folded,
				    (unsigned long long)n);
			return -1;
		}
	}
	return 0;
}

/* Frees the reader (not the feed, nor the fold). Accepts NULL. */
void
reader_free(struct reader *r)
{
	if (r == NULL)
		return;
	decoder_free(r->decoder);
	free(r);
}
