/*
 * worker.c: one account's live loop (see worker.h): it turns the account's
 * reader (reader.h) over its durable feed, and decides what each step means
 * to a live account: a gap refused or accepted, a batch acknowledged once
 * committed, the end of --once, a rebuild tended between batches. The other
 * worker_*.c files open what the loop needs and report on it.
 */
#include <sysexits.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "fault.h"
#include "feed_archive.h"
#include "feed_source.h"
#include "fold.h"
#include "log.h"
#include "rebuild_live.h"
#include "worker_int.h"

/*
 * The stream no longer holds events after the checkpoint (they expired or
 * were purged before they were applied): the read model can never equal a
 * replay of the whole history. Refused unless the owner said to go on
 * (--accept-gap); then counted in projector_meta. Returns 0 or EX_CONFIG.
 * With a subject filter, expired events of other subjects look the same:
 * the message says what to check.
 */
static int
accept_gap(struct worker *w, uint64_t cp, const struct feed_hole *hole,
    uint64_t missing)
{
	char err[WORKER_ERR_LEN];

	if (!w->p->accept_gap) {
		snprintf(err, sizeof(err), "stream %s no longer holds seq %llu to"
		    " %llu: they expired or were purged before they were"
		    " applied (checkpoint %llu). Run with --accept-gap to go on"
		    " without them, or replay to rebuild from what the stream"
		    " holds", w->p->acct->stream,
		    (unsigned long long)hole->from_seq,
		    (unsigned long long)hole->to_seq, (unsigned long long)cp);
		log_error("events expired before they were applied", "account=%s"
		    " checkpoint=%llu missing_from=%llu missing_to=%llu error=%s",
		    w->name, (unsigned long long)cp,
		    (unsigned long long)hole->from_seq,
		    (unsigned long long)hole->to_seq, err);
		worker_set_state(w, "failed", err);
		return EX_CONFIG;
	}
	log_warn("events expired before they were applied; going on"
	    " (--accept-gap)", "account=%s checkpoint=%llu missing_from=%llu"
	    " missing_to=%llu missing=%llu", w->name, (unsigned long long)cp,
	    (unsigned long long)hole->from_seq,
	    (unsigned long long)hole->to_seq, (unsigned long long)missing);
	if (db_add_meta(w->db, "gap_events", missing, err, sizeof(err)) == -1)
		log_warn("cannot record the gap", "account=%s error=%s", w->name,
		    err);
	return 0;
}

/*
 * The feed was positioned: compares what it holds with the checkpoint.
 * Returns 0 to go on, or an exit code.
 */
static int
positioned(struct worker *w, const struct reader_out *o)
{
	char err[WORKER_ERR_LEN];
	struct feed_hole hole;
	uint64_t cp = fold_min_checkpoint(w->fold), missing;
	int code;

	if (!o->pos.backwards && w->archive != NULL &&
	    (code = worker_archive_lost(w, &o->pos)) != 0)
		return code;
	if (o->pos.backwards) {
		/* Folding on would mix two histories in one view. */
		snprintf(err, sizeof(err), "stream %s went backwards: the"
		    " database has applied up to seq %llu but the stream's last"
		    " seq is %llu; it was deleted, purged or lost data. Rebuild"
		    " the database (projector replay) or restore the stream",
		    w->p->acct->stream, (unsigned long long)cp,
		    (unsigned long long)o->pos.last_seq);
		log_error("stream went backwards", "account=%s checkpoint=%llu"
		    " stream_last_seq=%llu error=%s", w->name,
		    (unsigned long long)cp, (unsigned long long)o->pos.last_seq,
		    err);
		worker_set_state(w, "failed", err);
		return EX_CONFIG;
	}
	missing = feed_pos_missing(&o->pos, cp + 1, UINT64_MAX, &hole);
	if (missing > 0 && (code = accept_gap(w, cp, &hole, missing)) != 0)
		return code;
	if (!w->have_target) {
		w->target = o->pos.last_seq;
		w->have_target = 1;
	}
	log_info("consumer positioned", "account=%s stream=%s consumer=%s"
	    " start_seq=%llu stream_last_seq=%llu recreated=%d", w->name,
	    w->p->acct->stream, w->p->acct->consumer,
	    (unsigned long long)o->start_seq, (unsigned long long)o->pos.last_seq,
	    o->pos.recreated);
	worker_recovered(w);
	worker_set_state(w, "live", NULL);
	return 0;
}

/* The archive's thread appends the batch while it folds. */
static void
before_fold(void *arg, struct feed *feed, size_t count)
{
	worker_archive_submit(arg, feed, count);
}

/*
 * The live reader's last step before COMMIT: the batch must be in the
 * archive first. The fault point lies between the two commits.
 */
static enum fold_result
before_commit(void *arg, struct feed *feed, size_t count, char *err,
    size_t errlen)
{
	struct worker *w = arg;
	enum fold_result r;

	(void)feed;
	(void)count;
	if (w->archive != NULL &&
	    (r = worker_archive_settle(w, err, errlen)) != FOLD_OK)
		return r;
	fault_point("before_commit");
	return FOLD_OK;
}

static uint64_t
start(void *arg, uint64_t next_seq)
{
	return worker_archive_start(arg, next_seq);
}

static int
stopping(void *arg)
{
	struct worker *w = arg;

	return *w->p->stop || (w->p->leave != NULL && *w->p->leave);
}

/*
 * Opens the account's durable feed (not connected yet), behind its archive
 * when it has one, and the reader that folds it into the live fold. Cannot
 * fail.
 */
static void
open_reader(struct worker *w)
{
	w->feed = feed_source_new(w->p->cfg, w->p->acct, FEED_SOURCE_DURABLE,
	    worker_on_conn, w);
	/* The history the archive holds comes first, then the stream. */
	if (w->archive != NULL) {
		w->feed = feed_archive_new(w->p->acct->archive, w->feed);
		w->rp.start = start;
		w->rp.before_fold = before_fold;
	}
	w->rp.feed = w->feed;
	w->rp.fold = w->fold;
	w->rp.batch = w->p->cfg->max_events;
	w->rp.partial_wait_ms = w->p->cfg->max_wait_ms;
	w->rp.idle_wait_ms = WORKER_IDLE_WAIT_MS;
	w->rp.backoff_max_ms = READER_BACKOFF_MAX_MS;
	w->rp.give_up_ms = w->p->once ? WORKER_ONCE_GIVE_UP_MS : 0;
	w->rp.before_commit = before_commit;
	w->rp.stopping = stopping;
	w->rp.arg = w;
	w->reader = reader_new(&w->rp);
}

/*
 * --once: has every event of the stream as of start been applied, and
 * archived (an archive that lagged is filled in before the end)?
 */
static int
caught_up(struct worker *w, uint64_t pending)
{
	return w->rebuild == NULL && w->have_target &&
	    (fold_min_checkpoint(w->fold) >= w->target || pending == 0) &&
	    (w->archive == NULL || w->archive_mark >= w->target ||
	    pending == 0);
}

/*
 * --once ends when the server has nothing left to deliver and everything it
 * delivered is folded: a batch still on its way (fetched ahead, or late on
 * a loaded machine) is not the end.
 */
static int
once_done(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	int drained;

	return feed_drained(w->feed, fold_min_checkpoint(w->fold), &drained,
	    err, sizeof(err)) == FEED_OK && drained && caught_up(w, 0);
}

/* Only now, after COMMIT, may the server forget the batch. */
static void
acknowledge(struct worker *w, const struct reader_out *o)
{
	char err[WORKER_ERR_LEN];

	fault_point("after_commit");
	if (o->count > 0 &&
	    feed_ack(w->feed, o->count - 1, err, sizeof(err)) != FEED_OK) {
		worker_stats_error(w, STATS_STAGE_ACK);
		log_debug("ack failed; the redelivery will be skipped",
		    "account=%s error=%s", w->name, err);
	}
	log_debug("batch committed", "account=%s events=%zu last_seq=%llu",
	    w->name, o->count, (unsigned long long)o->last_seq);
}

/* Where a reader's trouble counts in projector_errors_total. */
static enum stats_stage
stage_of(const struct reader_out *o)
{
	switch (o->stage) {
	case READER_STAGE_FOLD:
		return STATS_STAGE_APPLY;
	case READER_STAGE_COMMIT:
		return STATS_STAGE_COMMIT;
	default:
		return STATS_STAGE_FETCH;
	}
}

/* The loop; returns the exit code. */
static int
loop(struct worker *w)
{
	struct reader_out o;
	enum reader_next next;
	char err[WORKER_ERR_LEN];
	int code;

	while (!stopping(w)) {
		worker_stats_beat(w, 0);
		if (w->rebuild != NULL) {
			switch (worker_rebuild_tend(w, &code)) {
			case WORKER_DONE:
				return 0;
			case WORKER_STOP:
				return code;
			case WORKER_GO:
				break;
			}
		}
		if (worker_nlive(w) == 0) {
			/* Everything is being rebuilt: nothing to fold live yet. */
			reader_pause(w->reader, 100);
			continue;
		}
		/* A swap waits for the fetch: keep it short while rebuilding. */
		w->rp.idle_wait_ms = w->rebuild != NULL ? WORKER_REBUILD_WAIT_MS :
		    WORKER_IDLE_WAIT_MS;
		next = reader_step(w->reader, &o, err, sizeof(err));
		/* NATS was tried once, whatever came of it: started. */
		worker_stats_beat(w, 1);
		switch (next) {
		case READER_POSITIONED:
			if ((code = positioned(w, &o)) != 0)
				return code;
			if (w->p->once && caught_up(w, UINT64_MAX))
				return 0;
			break;
		case READER_FOLDED:
			worker_recovered(w);
			worker_stats_batch(w, &o);
			acknowledge(w, &o);
			worker_progress(w, 0);
			if (w->p->once &&
			    caught_up(w, reader_pending(w->reader)))
				return 0;
			break;
		case READER_IDLE:
			worker_stats_heard(w);
			if (w->p->once && once_done(w))
				return 0;
			worker_progress(w, 0);
			break;
		case READER_REPOSITION:
			log_info("positioning the consumer again", "account=%s"
			    " reason=%s", w->name, err);
			break;
		case READER_RETRY:
			worker_stats_error(w, stage_of(&o));
			worker_transient(w, o.what, err);
			reader_backoff(w->reader);
			break;
		case READER_STOP:
			worker_stats_error(w, stage_of(&o));
			log_error(o.what, "account=%s error=%s", w->name, err);
			/* Giving up on NATS says nothing of the projections. */
			if (o.code != EX_UNAVAILABLE)
				worker_set_state(w, "failed", err);
			return o.code;
		}
	}
	return 0;
}

/*
 * Runs one account until *p->stop is set (or, with p->once, until it has
 * applied its stream's last sequence as of start). Returns 0, or the
 * sysexits code of the error that stopped it, after logging it.
 */
int
worker_run(const struct worker_params *p)
{
	struct worker w;
	char err[WORKER_ERR_LEN];
	size_t i;
	int code;

	memset(&w, 0, sizeof(w));
	w.p = p;
	w.name = p->acct->name;
	w.progress_ms = clock_now_ms();
	if (worker_select(&w, err, sizeof(err)) == -1) {
		log_error("bad configuration", "account=%s error=%s", w.name, err);
		return EX_CONFIG;
	}
	worker_check_secret(&w);
	w.tty = isatty(STDERR_FILENO);
	if ((code = worker_open_db(&w)) != 0 ||
	    (code = worker_open_archive(&w)) != 0)
		goto done;
	open_reader(&w);
	if ((code = worker_rebuild_start(&w)) != 0)
		goto done;
	log_info("starting", "account=%s database=%s stream=%s projections=%zu"
	    " checkpoint=%llu", w.name, p->acct->database, p->acct->stream,
	    w.nprojs, (unsigned long long)fold_min_checkpoint(w.fold));
	code = loop(&w);
done:
	/* An unfinished shadow stays on disk, to be resumed. */
	rebuild_live_finish(w.rebuild);
	if (w.fold != NULL)
		worker_progress(&w, 1);
	/*
	 * Every projection: a rebuild that is not running is not rebuilding,
	 * and its progress figures go with it (a resumed one sets them again);
	 * one whose rebuild failed keeps saying why.
	 */
	for (i = 0; code == 0 && w.db != NULL && i < w.nprojs; i++)
		if (!w.projs[i].failed && db_set_state(w.db,
		    w.projs[i].p->name, "stopped", NULL, err, sizeof(err)) == -1)
			log_warn("cannot update projector_status", "account=%s"
			    " error=%s", w.name, err);
	for (i = 0; w.db != NULL && i < w.nprojs; i++)
		if (w.projs[i].rebuilding)
			db_set_rebuild(w.db, w.projs[i].p->name, 0, 0, err,
			    sizeof(err));
	/* Before the feed: a batch it lends may still be out. */
	archiver_free(w.archiver);
	/* The connection first: its callbacks use the worker. */
	feed_close(w.feed);
	reader_free(w.reader);
	fold_close(w.fold);
	archive_close(w.archive);
	free(w.arecs);
	db_close(w.db);
	if (p->stats != NULL)
		__atomic_store_n(&p->stats->done, 1, __ATOMIC_RELEASE);
	return code;
}
