/*
 * worker.c: one account's fold loop (see worker.h): position the consumer
 * at the checkpoint, fetch, fold in one transaction, commit, then ack. The
 * other worker_*.c files open what the loop needs and report on it.
 */
#include <sysexits.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fold.h"
#include "log.h"
#include "replay.h"
#include "registry.h"
#include "secret.h"
#include "source.h"
#include "worker_int.h"

#ifdef PROJECTOR_FAULTS
/*
 * Test builds only: PROJECTOR_FAULT=POINT:N kills the process with SIGKILL
 * the Nth time it passes POINT ("before_commit", "after_commit"), so that
 * the crash tests can stop it exactly between COMMIT and the ack.
 */
static void
fault_init(struct worker *w)
{
	const char *s = getenv("PROJECTOR_FAULT");
	const char *colon;

	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return;
	snprintf(w->fault_point, sizeof(w->fault_point), "%.*s",
	    (int)(colon - s), s);
	w->fault_at = strtol(colon + 1, NULL, 10);
}

static void
fault(struct worker *w, const char *point)
{
	if (strcmp(point, w->fault_point) != 0)
		return;
	if (++w->passes == w->fault_at) {
		log_warn("fault point reached, killing myself", "account=%s"
		    " point=%s n=%ld", w->name, point, w->fault_at);
		raise(SIGKILL);
	}
}
#define FAULT(w, point)	fault((w), (point))
#else
#define FAULT(w, point)	((void)0)
#endif



/*
 * Forgets the connection after cnats gave up on it (the server refused the
 * credentials, say); the loop opens a new one after a backoff.
 */
static void
drop_source(struct worker *w)
{
	__atomic_store_n(&w->closing, 1, __ATOMIC_RELEASE);
	source_close(w->source);
	__atomic_store_n(&w->closing, 0, __ATOMIC_RELEASE);
	w->source = NULL;
	w->positioned = 0;
}

/*
 * Compares the database's checkpoint with the stream, then makes the
 * consumer deliver from the checkpoint + 1. Returns 0 when positioned, -1 to
 * retry later, or an exit code.
 */
/*
 * The stream no longer holds events after the checkpoint (they expired or
 * were purged before they were applied): the read model can never equal a
 * replay of the whole history. Refused unless the owner said to go on
 * (--accept-gap); then counted in projector_meta. Returns 0 or EX_CONFIG.
 * With a subject filter, expired events of other subjects look the same:
 * the message says what to check.
 */
static int
accept_gap(struct worker *w, uint64_t cp, const struct source_stream *st)
{
	char err[WORKER_ERR_LEN];
	uint64_t lost = st->first_seq - cp - 1;

	if (!w->p->accept_gap) {
		snprintf(err, sizeof(err), "stream %s no longer holds seq %llu to"
		    " %llu: they expired or were purged before they were"
		    " applied (checkpoint %llu, stream first seq %llu). Run with"
		    " --accept-gap to go on without them, or replay to rebuild"
		    " from what the stream holds", w->p->acct->stream,
		    (unsigned long long)cp + 1,
		    (unsigned long long)st->first_seq - 1,
		    (unsigned long long)cp, (unsigned long long)st->first_seq);
		log_error("events expired before they were applied", "account=%s"
		    " checkpoint=%llu stream_first_seq=%llu error=%s", w->name,
		    (unsigned long long)cp, (unsigned long long)st->first_seq, err);
		worker_set_state(w, "failed", err);
		return EX_CONFIG;
	}
	log_warn("events expired before they were applied; going on"
	    " (--accept-gap)", "account=%s checkpoint=%llu stream_first_seq=%llu"
	    " missing=%llu", w->name, (unsigned long long)cp,
	    (unsigned long long)st->first_seq, (unsigned long long)lost);
	if (db_add_meta(w->db, "gap_events", lost, err, sizeof(err)) == -1)
		log_warn("cannot record the gap", "account=%s error=%s", w->name,
		    err);
	return 0;
}

static int
position(struct worker *w)
{
	struct source_stream st;
	char err[WORKER_ERR_LEN];
	enum source_result r;
	uint64_t cp = fold_min_checkpoint(w->fold);
	int recreated, code;

	r = source_stream_info(w->source, &st, err, sizeof(err));
	if (r == SOURCE_ENOSTREAM) {
		worker_transient(w, "stream not found", err);
		return -1;
	}
	if (r != SOURCE_OK) {
		if (worker_fatal_code(r) != 0) {
			log_error("cannot read the stream", "account=%s error=%s",
			    w->name, err);
			return worker_fatal_code(r);
		}
		worker_transient(w, "cannot read the stream", err);
		if (r == SOURCE_ECLOSED)
			drop_source(w);
		return -1;
	}
	if (st.last_seq < cp) {
		/* Folding on would mix two histories in one view. */
		snprintf(err, sizeof(err), "stream %s went backwards: the"
		    " database has applied up to seq %llu but the stream's last"
		    " seq is %llu; it was deleted, purged or lost data. Rebuild"
		    " the database (projector replay) or restore the stream",
		    w->p->acct->stream, (unsigned long long)cp,
		    (unsigned long long)st.last_seq);
		log_error("stream went backwards", "account=%s checkpoint=%llu"
		    " stream_last_seq=%llu error=%s", w->name,
		    (unsigned long long)cp, (unsigned long long)st.last_seq, err);
		worker_set_state(w, "failed", err);
		return EX_CONFIG;
	}
	if (st.first_seq > cp + 1 && (code = accept_gap(w, cp, &st)) != 0)
		return code;
	w->stream_last = st.last_seq;
	w->behind = st.last_seq > cp ? st.last_seq - cp : 0;
	if (!w->have_target) {
		w->target = st.last_seq;
		w->have_target = 1;
	}
	r = source_position(w->source, cp + 1, &recreated, err, sizeof(err));
	if (r != SOURCE_OK) {
		if (worker_fatal_code(r) != 0) {
			log_error("cannot set up the consumer", "account=%s error=%s",
			    w->name, err);
			return worker_fatal_code(r);
		}
		worker_transient(w, "cannot set up the consumer", err);
		if (r == SOURCE_ECLOSED)
			drop_source(w);
		return -1;
	}
	log_info("consumer positioned", "account=%s stream=%s consumer=%s"
	    " start_seq=%llu stream_last_seq=%llu recreated=%d", w->name,
	    w->p->acct->stream, w->p->acct->consumer,
	    (unsigned long long)(cp + 1), (unsigned long long)st.last_seq,
	    recreated);
	w->positioned = 1;
	worker_recovered(w);
	worker_set_state(w, "live", NULL);
	return 0;
}

/*
 * Folds the fetched batch of n messages in one transaction, retrying it (the
 * messages stay in hand, unacknowledged) while SQLite is busy or full.
 * Returns 0 when committed, -1 when stopped first, or an exit code.
 */
static int
fold_batch(struct worker *w, size_t n)
{
	struct source_msg m;
	char err[WORKER_ERR_LEN];
	enum fold_result r;
	size_t i;

	for (;;) {
		r = fold_begin(w->fold, err, sizeof(err));
		for (i = 0; i < n && r == FOLD_OK; i++) {
			if (source_msg(w->source, i, &m, err, sizeof(err)) != SOURCE_OK) {
				r = FOLD_ERROR;
				break;
			}
			r = fold_event(w->fold, m.seq, m.stored_ms, m.subject, m.data,
			    m.len, err, sizeof(err));
		}
		if (r == FOLD_OK) {
			FAULT(w, "before_commit");
			r = fold_commit(w->fold, w->stream_last, err, sizeof(err));
		}
		if (r == FOLD_OK)
			return 0;
		fold_rollback(w->fold);
		if (r == FOLD_ERROR) {
			log_error("fold failed", "account=%s error=%s", w->name, err);
			worker_set_state(w, "failed", err);
			return EX_SOFTWARE;
		}
		worker_transient(w, "batch rolled back, will retry", err);
		worker_backoff(w);
		if (*w->p->stop)
			return -1;
	}
}



/* --once: has every event of the stream as of start been applied? */
static int
caught_up(struct worker *w, uint64_t pending)
{
	return w->replay == NULL && w->have_target &&
	    (fold_min_checkpoint(w->fold) >= w->target || pending == 0);
}

/*
 * Opens the connection. Returns 0, -1 to retry later (refused credentials
 * too: the owner may be fixing them on the server side), or an exit code.
 */
static int
open_source(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	enum source_result r;

	r = source_open(w->p->cfg, w->p->acct, worker_on_conn, w, &w->source, err,
	    sizeof(err));
	if (r == SOURCE_OK)
		return 0;
	if (worker_fatal_code(r) != 0) {
		log_error("cannot connect", "account=%s error=%s", w->name, err);
		worker_set_state(w, "failed", err);
		return worker_fatal_code(r);
	}
	worker_transient(w, "cannot connect", err);
	return -1;
}

/* --once waits a bounded time for NATS; run waits for ever. */
static int
give_up(struct worker *w)
{
	if (!w->p->once || worker_now_ms() - w->started_ms < WORKER_ONCE_GIVE_UP_MS)
		return 0;
	log_error("giving up: NATS or the stream stayed unavailable",
	    "account=%s error=%s", w->name, w->last_err);
	return 1;
}

/*
 * The size and wait of the next fetch. A quiet stream waits up to a second
 * for its next event, asked for alone so that it is handed over the moment
 * it comes (a request for a full batch would hold it until the wait ends),
 * or a tenth of that while a rebuild runs, whose swap waits for the fetch.
 * A consumer with full batches pending waits long enough for a slow server
 * to deliver it (a large store on a loaded machine can take more than
 * max_wait_ms; an answer that arrives after the wait would have to be
 * thrown away, see source_fetch.c); otherwise a partial batch waits
 * max_wait_ms.
 */
static void
fetch_shape(const struct worker *w, int idle, int *batch, int *wait_ms)
{
	*batch = w->p->cfg->max_events;
	if (idle) {
		*batch = 1;
		*wait_ms = w->replay != NULL ? WORKER_REBUILD_WAIT_MS :
		    WORKER_IDLE_WAIT_MS;
	} else if (w->behind >= 2 * (uint64_t)*batch)
		/* Two: the request in flight was made one batch earlier. */
		*wait_ms = WORKER_CATCHUP_WAIT_MS;
	else
		*wait_ms = w->p->cfg->max_wait_ms;
}

/* The loop; returns the exit code. */
static int
loop(struct worker *w)
{
	struct source_msg last;
	char err[WORKER_ERR_LEN];
	enum source_result r;
	size_t n;
	int code, idle = 0, batch, wait_ms;

	while (!*w->p->stop) {
		if (w->replay != NULL && (code = worker_rebuild_tend(w)) != 0)
			return code == -1 ? 0 : code;
		if (w->nlive == 0) {
			/* Everything is being rebuilt: nothing to fold live yet. */
			worker_pause(w, 100);
			continue;
		}
		if (w->source == NULL) {
			if ((code = open_source(w)) > 0)
				return code;
			if (code == -1) {
				if (give_up(w))
					return EX_UNAVAILABLE;
				worker_backoff(w);
				continue;
			}
		}
		if (!w->positioned) {
			if ((code = position(w)) > 0)
				return code;
			if (code == -1) {
				if (give_up(w))
					return EX_UNAVAILABLE;
				worker_backoff(w);
				continue;
			}
			if (w->p->once && caught_up(w, UINT64_MAX))
				return 0;
		}
		fetch_shape(w, idle, &batch, &wait_ms);
		r = source_fetch(w->source, batch, wait_ms, &n, err,
		    sizeof(err));
		switch (r) {
		case SOURCE_OK:
			break;
		case SOURCE_EMPTY:
			idle = 1;
			/*
			 * --once ends when the server has nothing left to
			 * deliver and everything it delivered is folded: a
			 * batch still on its way (fetched ahead, or late on a
			 * loaded machine) is not the end.
			 */
			if (w->p->once) {
				struct source_consumer c;

				if (source_consumer_info(w->source, &c, err,
				    sizeof(err)) == SOURCE_OK &&
				    c.num_pending == 0 && c.delivered_seq <=
				    fold_min_checkpoint(w->fold) && caught_up(w, 0))
					return 0;
			}
			worker_progress(w, 0);
			continue;
		case SOURCE_REPOSITION:
			log_info("positioning the consumer again", "account=%s"
			    " reason=%s", w->name, err);
			w->positioned = 0;
			continue;
		default:
			if ((code = worker_fatal_code(r)) != 0) {
				log_error("fetch failed", "account=%s error=%s", w->name,
				    err);
				worker_set_state(w, "failed", err);
				return code;
			}
			worker_transient(w, "fetch failed", err);
			if (r == SOURCE_ECLOSED)
				drop_source(w);
			worker_backoff(w);
			continue;
		}
		idle = 0;
		worker_recovered(w);
		source_msg(w->source, n - 1, &last, err, sizeof(err));
		if (last.seq + last.pending > w->stream_last)
			w->stream_last = last.seq + last.pending;
		w->behind = last.pending;
		if ((code = fold_batch(w, n)) != 0)
			return code > 0 ? code : 0;
		FAULT(w, "after_commit");
		/* Only now, after COMMIT, may the server forget the batch. */
		if (source_ack(w->source, n - 1, err, sizeof(err)) != SOURCE_OK)
			log_debug("ack failed; the redelivery will be skipped",
			    "account=%s error=%s", w->name, err);
		log_debug("batch committed", "account=%s events=%zu last_seq=%llu",
		    w->name, n, (unsigned long long)last.seq);
		worker_progress(w, 0);
		if (w->p->once && caught_up(w, last.pending))
			return 0;
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
	w.backoff_ms = WORKER_BACKOFF_MIN_MS;
	w.started_ms = w.progress_ms = worker_now_ms();
#ifdef PROJECTOR_FAULTS
	fault_init(&w);
#endif
	if (worker_select(&w, err, sizeof(err)) == -1) {
		log_error("bad configuration", "account=%s error=%s", w.name, err);
		return EX_CONFIG;
	}
	worker_check_secret(&w);
	w.tty = isatty(STDERR_FILENO);
	if ((code = worker_open_db(&w)) != 0 || (code = worker_rebuild_start(&w)) != 0)
		goto done;
	log_info("starting", "account=%s database=%s stream=%s projections=%zu"
	    " checkpoint=%llu", w.name, p->acct->database, p->acct->stream,
	    w.nprojs, (unsigned long long)fold_min_checkpoint(w.fold));
	code = loop(&w);
done:
	/* An unfinished shadow stays on disk, to be resumed. */
	replay_finish(w.replay);
	if (w.fold != NULL)
		worker_progress(&w, 1);
	/*
	 * Every projection: a rebuild that is not running is not rebuilding,
	 * and its progress figures go with it (a resumed one sets them again).
	 */
	if (code == 0 && w.db != NULL &&
	    db_set_state(w.db, NULL, "stopped", NULL, err, sizeof(err)) == -1)
		log_warn("cannot update projector_status", "account=%s error=%s",
		    w.name, err);
	for (i = 0; w.db != NULL && i < w.nrprojs; i++)
		db_set_rebuild(w.db, w.rprojs[i]->name, 0, 0, err, sizeof(err));
	/* Closing the connection first: no callback may run on a dead worker. */
	__atomic_store_n(&w.closing, 1, __ATOMIC_RELEASE);
	source_close(w.source);
	fold_close(w.fold);
	db_close(w.db);
	return code;
}
