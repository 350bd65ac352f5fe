/*
 * worker_archive.c: how a worker keeps its account's archive (see worker.h
 * and archive.h): each batch is archived, by the archive's thread
 * (archiver.h) while it folds, before the read model commits it,
 * the feed starts at the archive's mark while the archive lags behind the
 * checkpoint (so what it lacks comes again from the stream), and what the
 * stream no longer holds is recorded as a hole.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "worker_int.h"
#include "xmalloc.h"

/*
 * Before a live batch folds: hands the count messages of the feed's batch
 * that lie above the archive's mark to the archive's thread, which appends
 * them, in a transaction of its own, while they fold. A batch folded again
 * is handed over again: what was appended the first time is above the mark
 * no more.
 */
void
worker_archive_submit(struct worker *w, struct feed *feed, size_t count)
{
	const struct feed_msg *m;
	char err[WORKER_ERR_LEN];
	size_t i, n = 0;

	/* The last attempt's, when its fold failed before collecting it. */
	(void)worker_archive_settle(w, err, sizeof(err));
	if (count > w->narecs) {
		w->arecs = xreallocarray(w->arecs, count, sizeof(*w->arecs));
		w->narecs = count;
	}
	for (i = 0; i < count; i++) {
		m = feed_msg(feed, i);
		/* Redelivered, or read from the archive itself. */
		if (m->seq <= w->archive_mark)
			continue;
		w->arecs[n].seq = m->seq;
		w->arecs[n].stored_ms = m->stored_ms;
		w->arecs[n].subject = m->subject;
		w->arecs[n].subject_len = strlen(m->subject);
		w->arecs[n].payload = m->data;
		w->arecs[n].payload_len = m->len;
		n++;
	}
	if (n > 0) {
		/* An empty archive's first message, for /metrics. */
		if (w->p->stats != NULL &&
		    STATS_GET(w->p->stats->archive_first_seq) == 0)
			STATS_SET(w->p->stats->archive_first_seq,
			    w->arecs[0].seq);
		archiver_submit(w->archiver, w->arecs, n);
		w->archive_out = w->arecs[n - 1].seq;
	}
}

/*
 * Waits for the batch handed to the archive's thread, if any, and moves
 * the mark when it was appended: the batch's last step before COMMIT, so
 * that the archive always reaches the checkpoint. Returns FOLD_OK,
 * FOLD_RETRY (the archive's disk is full, say: the batch is rolled back and
 * nothing is acknowledged) or FOLD_ERROR, with err.
 */
enum fold_result
worker_archive_settle(struct worker *w, char *err, size_t errlen)
{
	enum archive_result r = archiver_wait(w->archiver, err, errlen);
	uint64_t out = w->archive_out;

	w->archive_out = 0;
	switch (r) {
	case ARCHIVE_OK:
		if (out > w->archive_mark)
			w->archive_mark = out;
		return FOLD_OK;
	case ARCHIVE_RETRY:
		worker_stats_error(w, STATS_STAGE_ARCHIVE);
		return FOLD_RETRY;
	default:
		worker_stats_error(w, STATS_STAGE_ARCHIVE);
		return FOLD_ERROR;
	}
}

/*
 * Where the live feed starts: next_seq (the checkpoint + 1), or lower while
 * the archive lags behind the checkpoint (a database from before the
 * archive, an archive just turned on, an older archive restored, or none
 * left at all), so that the stream delivers again what the archive lacks;
 * the fold skips what it has already applied.
 */
uint64_t
worker_archive_start(struct worker *w, uint64_t next_seq)
{
	return w->archive_mark + 1 < next_seq ? w->archive_mark + 1 : next_seq;
}

/*
 * The feed was positioned: when the stream no longer holds what follows
 * the archive's mark, records that range as lost in the archive (it will
 * never have it) and says so once. Returns 0, or an exit code.
 */
int
worker_archive_lost(struct worker *w, const struct feed_pos *pos)
{
	char err[WORKER_ERR_LEN];
	size_t i;

	/* Nothing of the archive's may be out while the worker writes it. */
	if (worker_archive_settle(w, err, sizeof(err)) == FOLD_ERROR) {
		log_error("cannot write the archive", "account=%s error=%s",
		    w->name, err);
		return EX_IOERR;
	}
	for (i = 0; i < pos->nholes; i++) {
		const struct feed_hole *h = &pos->holes[i];

		if (h->from_seq != w->archive_mark + 1)
			continue;
		if (archive_lost(w->archive, h->to_seq, err, sizeof(err)) !=
		    ARCHIVE_OK) {
			log_error("cannot record a hole in the archive",
			    "account=%s error=%s", w->name, err);
			return EX_IOERR;
		}
		log_warn("the archive lacks events the stream no longer holds",
		    "account=%s archive=%s missing_from=%llu missing_to=%llu",
		    w->name, w->p->acct->archive,
		    (unsigned long long)h->from_seq,
		    (unsigned long long)h->to_seq);
		w->archive_mark = h->to_seq;
		break;
	}
	return 0;
}
