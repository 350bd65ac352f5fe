/*
 * rebuild.c: folding projections again into a shadow database (see
 * rebuild.h).
 */
#include <sysexits.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "rebuild.h"
#include "source.h"
#include "xmalloc.h"

/* Messages per transaction: large, a rebuild needs no low latency. */
#define REBUILD_BATCH_MIN	5000
#define REBUILD_WAIT_MS		100
#define REBUILD_CATCHUP_WAIT_MS	2000
#define REBUILD_BACKOFF_MAX_MS	5000
/* Consumers made in a row that deliver nothing while messages are pending. */
#define REBUILD_EMPTY_MAX	20

struct rebuild {
	struct rebuild_params	 p;
	pthread_t		 thread;
	pthread_mutex_t		 mu;	/* guards prog and quit */
	pthread_cond_t		 cv;	/* quit was set */
	struct rebuild_progress	 prog;
	int			 quit;
	struct db		*db;	/* the rest belongs to the thread */
	struct fold		*fold;
	struct source		*source;
	int			 positioned;
	uint64_t		 pending;	/* after the last message */
	int			 empty;		/* empty fetches in a row */
	int			 backoff_ms;
	int64_t			 away_since_ms;	/* NATS unavailable since; 0 */
	int			 code;		/* sysexits code of a failure */
};

static void
set_error(struct rebuild *r, enum rebuild_state state, const char *err)
{
	pthread_mutex_lock(&r->mu);
	r->prog.state = state;
	r->prog.code = r->code != 0 ? r->code : EX_SOFTWARE;
	snprintf(r->prog.error, sizeof(r->prog.error), "%s", err);
	pthread_mutex_unlock(&r->mu);
}

static int
quitting(struct rebuild *r)
{
	int q;

	pthread_mutex_lock(&r->mu);
	q = r->quit || *r->p.stop;
	pthread_mutex_unlock(&r->mu);
	return q;
}

/* Waits the backoff (or until told to quit), then doubles it. */
static void
backoff(struct rebuild *r)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += r->backoff_ms / 1000;
	until.tv_nsec += (long)(r->backoff_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->quit && !*r->p.stop &&
	    pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
		;
	pthread_mutex_unlock(&r->mu);
	r->backoff_ms *= 2;
	if (r->backoff_ms > REBUILD_BACKOFF_MAX_MS)
		r->backoff_ms = REBUILD_BACKOFF_MAX_MS;
}

/*
 * Says whether the shadow at hand holds exactly the projections and
 * versions asked for (or nothing yet), so that it can be resumed.
 */
static int
resumable(struct rebuild *r)
{
	sqlite3_stmt *st = NULL;
	size_t i, rows = 0, matched = 0;

	if (sqlite3_prepare_v2(db_handle(r->db), "SELECT projection, version"
	    " FROM projector_status", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		rows++;
		for (i = 0; i < r->p.nprojs; i++)
			if (strcmp(name, r->p.projs[i]->name) == 0 &&
			    sqlite3_column_int(st, 1) == r->p.projs[i]->version)
				matched++;
	}
	sqlite3_finalize(st);
	return rows == 0 || (rows == r->p.nprojs && matched == rows);
}

/* Opens the shadow (discarding one that cannot be resumed) and its fold. */
static int
open_shadow(struct rebuild *r, char *err, size_t errlen)
{
	int attempt;

	if (r->p.fresh && db_unlink(r->p.shadow_path, err, errlen) == -1)
		return -1;
	for (attempt = 0; attempt < 2; attempt++) {
		if (db_open(r->p.shadow_path, &r->db, err, errlen) != DB_OK ||
		    db_set_bulk(r->db, err, errlen) == -1 ||
		    db_migrate(r->db, r->p.builtin, NULL, err, errlen) == -1)
			return -1;
		if (resumable(r))
			break;
		/* Built for other projections or versions: start afresh. */
		db_close(r->db);
		r->db = NULL;
		if (db_unlink(r->p.shadow_path, err, errlen) == -1)
			return -1;
	}
	if (r->db == NULL) {
		snprintf(err, errlen, "%.400s cannot be reset", r->p.shadow_path);
		return -1;
	}
	if (fold_open(db_handle(r->db), r->p.projs, r->p.nprojs, &r->fold, err,
	    errlen) != FOLD_OK)
		return -1;
	pthread_mutex_lock(&r->mu);
	r->prog.done_seq = fold_min_checkpoint(r->fold);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * NATS or the stream could not be used (sr, err): 0 to retry after a
 * backoff, or -1 when retrying cannot mend it (permissions, configuration)
 * or when it has lasted give_up_ms; r->code then says what to fix.
 */
static int
unavailable(struct rebuild *r, enum source_result sr, char *err,
    size_t errlen)
{
	if (sr == SOURCE_EPERM || sr == SOURCE_ECONFIG) {
		r->code = sr == SOURCE_EPERM ? EX_NOPERM : EX_CONFIG;
		return -1;
	}
	if (r->away_since_ms == 0)
		r->away_since_ms = now_ms();
	else if (r->p.give_up_ms > 0 &&
	    now_ms() - r->away_since_ms >= r->p.give_up_ms) {
		size_t len = strlen(err);

		snprintf(err + len, errlen - len, " (NATS or the stream stayed"
		    " unavailable for %d s)", r->p.give_up_ms / 1000);
		r->code = EX_UNAVAILABLE;
		return -1;
	}
	backoff(r);
	return 0;
}

/*
 * Connects if needed and points a new ephemeral consumer at the shadow's
 * checkpoint + 1. Returns 1 when ready to fetch, 0 to retry later, -1 when
 * the rebuild cannot go on (err says why).
 */
static int
position(struct rebuild *r, char *err, size_t errlen)
{
	struct source_stream st;
	enum source_result sr;
	uint64_t cp = fold_min_checkpoint(r->fold);

	if (r->source == NULL &&
	    (sr = source_open(r->p.cfg, r->p.acct, NULL, NULL, &r->source, err,
	    errlen)) != SOURCE_OK)
		return unavailable(r, sr, err, errlen);
	if ((sr = source_stream_info(r->source, &st, err, errlen)) != SOURCE_OK)
		goto fail;
	if (st.last_seq < cp) {
		snprintf(err, errlen, "the stream's last seq %llu is below the"
		    " shadow's checkpoint %llu", (unsigned long long)st.last_seq,
		    (unsigned long long)cp);
		r->code = EX_CONFIG;
		return -1;
	}
	pthread_mutex_lock(&r->mu);
	if (r->prog.target_seq == 0)
		r->prog.target_seq = r->p.limit_seq != 0 ? r->p.limit_seq :
		    st.last_seq;
	pthread_mutex_unlock(&r->mu);
	if ((sr = source_position_ephemeral(r->source, cp + 1, err, errlen)) !=
	    SOURCE_OK)
		goto fail;
	/* Nothing after the checkpoint: whatever was pending is gone. */
	if (st.last_seq <= cp)
		r->pending = 0;
	r->positioned = 1;
	r->away_since_ms = 0;
	return 1;
fail:
	if (sr == SOURCE_ECLOSED) {
		source_close(r->source);
		r->source = NULL;
	}
	return unavailable(r, sr, err, errlen);
}

/*
 * Folds the n fetched messages in one transaction, leaving out those past
 * limit_seq. Sets *last_pending to what the consumer still holds after the
 * last one. Returns FOLD_OK or the fold's error.
 */
static enum fold_result
fold_fetched(struct rebuild *r, size_t n, uint64_t *last_pending, char *err,
    size_t errlen)
{
	struct source_msg m;
	enum fold_result fr;
	uint64_t folded = 0;
	size_t i;

	*last_pending = UINT64_MAX;
	if ((fr = fold_begin(r->fold, err, errlen)) != FOLD_OK)
		return fr;
	for (i = 0; i < n; i++) {
		if (source_msg(r->source, i, &m, err, errlen) != SOURCE_OK) {
			fold_rollback(r->fold);
			return FOLD_ERROR;
		}
		*last_pending = m.pending;
		if (r->p.limit_seq != 0 && m.seq > r->p.limit_seq) {
			*last_pending = 0;
			break;
		}
		fr = fold_event(r->fold, m.seq, m.stored_ms, m.subject, m.data,
		    m.len, err, errlen);
		if (fr != FOLD_OK) {
			fold_rollback(r->fold);
			return fr;
		}
		folded++;
	}
	if ((fr = fold_commit(r->fold, 0, err, errlen)) != FOLD_OK)
		return fr;
	pthread_mutex_lock(&r->mu);
	r->prog.done_seq = fold_min_checkpoint(r->fold);
	r->prog.events += folded;
	pthread_mutex_unlock(&r->mu);
	return FOLD_OK;
}

/* Has the shadow got where it was going? */
static int
arrived(struct rebuild *r, uint64_t pending)
{
	uint64_t cp = fold_min_checkpoint(r->fold);

	if (r->p.limit_seq != 0)
		return cp >= r->p.limit_seq || pending == 0;
	return pending == 0;
}

/* One step of the loop: returns 1 when arrived, 0 to go on, -1 on failure. */
static int
step(struct rebuild *r, int batch, char *err, size_t errlen)
{
	enum source_result sr;
	enum fold_result fr;
	uint64_t pending;
	size_t n;
	int rc;

	if (!r->positioned) {
		if ((rc = position(r, err, errlen)) <= 0)
			return rc;
		if (r->p.limit_seq != 0 &&
		    fold_min_checkpoint(r->fold) >= r->p.limit_seq)
			return 1;
	}
	/* Full batches pending: give a slow server time (see worker.c). */
	sr = source_fetch(r->source, batch, r->pending != UINT64_MAX &&
	    r->pending >= 2 * (uint64_t)batch ? REBUILD_CATCHUP_WAIT_MS :
	    REBUILD_WAIT_MS, &n, err, errlen);
	switch (sr) {
	case SOURCE_OK:
		break;
	case SOURCE_EMPTY:
		/*
		 * Nothing came within the wait. That is the end when the last
		 * message said nothing more was pending, or when no message
		 * came at all (an empty stream, a complete shadow; with a limit
		 * that the stream no longer reaches, the comparison that
		 * follows shows what is missing). When the last message said
		 * more were pending, the server is slow or stalled: swapping
		 * the shadow in now would put a view older than the live one in
		 * its place. Fetching again on this subscription would stack
		 * pull requests that a stalled server answers all at once
		 * (libnats 3.4.1 then writes more messages than the batch into
		 * the batch's array); so position a new consumer from the
		 * checkpoint after a pause, and give up after a while.
		 */
		if (r->pending == 0 || (r->p.limit_seq != 0 &&
		    fold_min_checkpoint(r->fold) >= r->p.limit_seq))
			return 1;
		/*
		 * No message since the consumer was made: ask the server, an
		 * empty fetch on a loaded machine proves nothing. The end is
		 * nothing pending and everything delivered folded.
		 */
		if (r->pending == UINT64_MAX) {
			uint64_t left, delivered;

			if (source_sub_state(r->source, &left, &delivered, err,
			    errlen) == SOURCE_OK && left == 0 &&
			    delivered <= fold_min_checkpoint(r->fold))
				return 1;
		}
		if (++r->empty > REBUILD_EMPTY_MAX) {
			snprintf(err, errlen, "%llu messages pending after seq"
			    " %llu, but none delivered", (unsigned long long)
			    r->pending, (unsigned long long)
			    fold_min_checkpoint(r->fold));
			return -1;
		}
		r->positioned = 0;
		backoff(r);
		return 0;
	case SOURCE_EPERM:
	case SOURCE_ECONFIG:
		r->code = sr == SOURCE_EPERM ? EX_NOPERM : EX_CONFIG;
		return -1;
	case SOURCE_ECLOSED:
		source_close(r->source);
		r->source = NULL;
		r->positioned = 0;
		backoff(r);
		return 0;
	default:
		r->positioned = 0;
		backoff(r);
		return 0;
	}
	while ((fr = fold_fetched(r, n, &pending, err, errlen)) == FOLD_RETRY) {
		backoff(r);
		if (quitting(r))
			return 0;
	}
	if (fr != FOLD_OK)
		return -1;
	r->backoff_ms = 100;
	r->pending = pending;
	r->empty = 0;
	return arrived(r, pending);
}

static void *
rebuild_main(void *arg)
{
	struct rebuild *r = arg;
	char err[512];
	int batch, rc = 0;

	batch = r->p.cfg->max_events > REBUILD_BATCH_MIN ? r->p.cfg->max_events :
	    REBUILD_BATCH_MIN;
	if (open_shadow(r, err, sizeof(err)) == -1) {
		set_error(r, REBUILD_FAILED, err);
		goto wait;
	}
	while (!quitting(r) && (rc = step(r, batch, err, sizeof(err))) == 0)
		;
	if (rc == 1)
		set_error(r, REBUILD_READY, "");
	else if (rc == -1)
		set_error(r, REBUILD_FAILED, err);
wait:
	/* Idle until released: the owner swaps or compares the shadow now. */
	pthread_mutex_lock(&r->mu);
	while (!r->quit)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	source_close(r->source);
	fold_close(r->fold);
	db_close(r->db);
	return NULL;
}

/*
 * Starts rebuilding p->projs into p->shadow_path in a new thread. Returns 0
 * and sets *out, or -1 with err (no thread).
 */
int
rebuild_start(const struct rebuild_params *p, struct rebuild **out, char *err,
    size_t errlen)
{
	struct rebuild *r;

	r = xcalloc(1, sizeof(*r));
	r->p = *p;
	r->backoff_ms = 100;
	r->pending = UINT64_MAX;	/* unknown until a message comes */
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, rebuild_main, r) != 0) {
		snprintf(err, errlen, "cannot start the rebuild thread");
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* Copies the current progress into out. Cannot fail. */
void
rebuild_progress(struct rebuild *r, struct rebuild_progress *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->prog;
	pthread_mutex_unlock(&r->mu);
}

/*
 * Stops the thread (a batch in progress is rolled back or committed first),
 * waits for it and releases everything; the shadow file stays, to be resumed
 * or removed (db_unlink) by the caller. Accepts NULL.
 */
void
rebuild_finish(struct rebuild *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
