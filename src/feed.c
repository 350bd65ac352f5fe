/*
 * feed.c: a sequence-ordered source of stream messages (see feed.h): the
 * dispatch to a backend's operations, and what a result means.
 */
#include <sysexits.h>

#include <stddef.h>
#include <string.h>

#include "feed.h"

/*
 * Returns the sysexits code of a result that retrying cannot mend, or 0
 * when the caller should retry (or the result is no failure). Cannot fail.
 */
int
feed_sysexit(enum feed_result r)
{
	switch (r) {
	case FEED_EPERM:
		return EX_NOPERM;
	case FEED_ECONFIG:
		return EX_CONFIG;
	case FEED_EDAMAGED:
		return EX_DATAERR;
	default:
		return 0;
	}
}

/*
 * Makes sure the feed can talk to its backend (connects when it has to).
 * Returns FEED_OK, FEED_RETRY to try again later, or an error, with err.
 */
enum feed_result
feed_connect(struct feed *f, char *err, size_t errlen)
{
	if (f->ops->connect == NULL)
		return FEED_OK;
	return f->ops->connect(f, err, errlen);
}

/*
 * Makes the feed deliver from start_seq on (1 = everything), and fills pos
 * with the sequences it can still deliver: a first_seq above start_seq
 * means the messages in between are gone, a last_seq below start_seq - 1
 * that the feed went backwards. Returns FEED_OK or an error
 * with err.
 */
enum feed_result
feed_position(struct feed *f, uint64_t start_seq, struct feed_pos *pos,
    char *err, size_t errlen)
{
	return f->ops->position(f, start_seq, pos, err, errlen);
}

/*
 * Fetches the next batch of at most batch messages, waiting at most wait_ms
 * for it; sets *count. Returns FEED_OK (at least one message), FEED_EMPTY,
 * FEED_REPOSITION, or an error with err.
 */
enum feed_result
feed_fetch(struct feed *f, int batch, int wait_ms, size_t *count, char *err,
    size_t errlen)
{
	return f->ops->fetch(f, batch, wait_ms, count, err, errlen);
}

/* Lends message i of the batch in hand; i must be below its count. */
const struct feed_msg *
feed_msg(struct feed *f, size_t i)
{
	return f->ops->msg(f, i);
}

/*
 * Says that every message of the batch up to message i is folded and
 * committed. Returns FEED_OK, or an error with err: a lost ack only means
 * that the messages come again, which the checkpoints skip.
 */
enum feed_result
feed_ack(struct feed *f, size_t i, char *err, size_t errlen)
{
	if (f->ops->ack == NULL)
		return FEED_OK;
	return f->ops->ack(f, i, err, errlen);
}

/*
 * Sets *drained to 1 when the backend has nothing left to deliver and has
 * delivered nothing beyond folded (the last sequence the caller folded).
 * Returns FEED_OK or an error with err (*drained is then 0).
 */
enum feed_result
feed_drained(struct feed *f, uint64_t folded, int *drained, char *err,
    size_t errlen)
{
	*drained = 0;
	return f->ops->drained(f, folded, drained, err, errlen);
}

/* Releases the feed and its backend. Accepts NULL. */
void
feed_close(struct feed *f)
{
	if (f != NULL)
		f->ops->close(f);
}

/*
 * Adds the hole from_seq to to_seq (in order after those already there) to
 * pos: listed while there is room, counted in any case. Cannot fail.
 */
void
feed_pos_hole(struct feed_pos *pos, uint64_t from_seq, uint64_t to_seq)
{
	if (to_seq < from_seq)
		return;
	if (pos->nholes < FEED_POS_HOLES) {
		pos->holes[pos->nholes].from_seq = from_seq;
		pos->holes[pos->nholes].to_seq = to_seq;
		pos->nholes++;
	}
	pos->missing += to_seq - from_seq + 1;
}

/*
 * Returns how many sequences from from_seq to to_seq fall in pos's holes,
 * and sets *first to the first such hole, cut to that range (both 0 when
 * there is none). Holes pos counts but could not list lie after the listed
 * ones: they count when the last listed hole ends before to_seq. Cannot
 * fail.
 */
uint64_t
feed_pos_missing(const struct feed_pos *pos, uint64_t from_seq,
    uint64_t to_seq, struct feed_hole *first)
{
	uint64_t n = 0, listed = 0, f, t;
	size_t i;

	memset(first, 0, sizeof(*first));
	for (i = 0; i < pos->nholes; i++) {
		const struct feed_hole *h = &pos->holes[i];

		listed += h->to_seq - h->from_seq + 1;
		if (h->to_seq < from_seq || h->from_seq > to_seq)
			continue;
		f = h->from_seq > from_seq ? h->from_seq : from_seq;
		t = h->to_seq < to_seq ? h->to_seq : to_seq;
		if (first->from_seq == 0) {
			first->from_seq = f;
			first->to_seq = t;
		}
		n += t - f + 1;
	}
	if (pos->missing > listed && (pos->nholes == 0 ||
	    pos->holes[pos->nholes - 1].to_seq < to_seq))
		n += pos->missing - listed;
	return n;
}
