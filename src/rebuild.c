/*
 * rebuild.c: folding projections again into a shadow database (see
 * rebuild.h).
 */
#include <sysexits.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "feed_archive.h"
#include "feed_source.h"
#include "reader.h"
#include "rebuild.h"
#include "xmalloc.h"

/* Messages per transaction: large, a rebuild needs no low latency. */
#define REBUILD_BATCH_MIN	5000
#define REBUILD_WAIT_MS		100
#define REBUILD_BACKOFF_MAX_MS	5000
/* Consumers made in a row that deliver nothing while messages are pending. */
#define REBUILD_EMPTY_MAX	20

/* What a step of the thread says it does next. */
enum rebuild_next {
	REBUILD_GO = 0,		/* go on */
	REBUILD_DONE,		/* arrived: the shadow is complete */
	REBUILD_STOP		/* failed: err and code say why */
};

struct rebuild {
	struct rebuild_params	 p;
	pthread_t		 thread;
	pthread_mutex_t		 mu;	/* guards prog and quit */
	pthread_cond_t		 cv;	/* quit was set */
	struct rebuild_progress	 prog;
	int			 quit;
	struct db		*db;	/* the rest belongs to the thread */
	struct fold		*fold;
	struct feed		*feed;
	struct reader		*reader;
	struct reader_params	 rp;
	int			 empty;	/* empty fetches in a row */
	int			 code;	/* sysexits code of a failure */
};

static void
set_state(struct rebuild *r, enum rebuild_state state, const char *err)
{
	pthread_mutex_lock(&r->mu);
	r->prog.state = state;
	r->prog.code = r->code != 0 ? r->code : EX_SOFTWARE;
	snprintf(r->prog.error, sizeof(r->prog.error), "%s", err);
	pthread_mutex_unlock(&r->mu);
}

/* The reader's stop request: released by the owner, or a signal. */
static int
quitting(void *arg)
{
	struct rebuild *r = arg;
	int q;

	pthread_mutex_lock(&r->mu);
	q = r->quit || *r->p.stop;
	pthread_mutex_unlock(&r->mu);
	return q;
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
	if (fold_open(db_handle(r->db), db_guard(r->db), r->p.projs,
	    r->p.nprojs, &r->fold, err, errlen) != FOLD_OK)
		return -1;
	pthread_mutex_lock(&r->mu);
	r->prog.done_seq = fold_min_checkpoint(r->fold);
	pthread_mutex_unlock(&r->mu);
	return 0;
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

/*
 * Nothing came within the wait. That is the end when the last message said
 * nothing more was pending, or when no message came at all since the
 * consumer was made and the server says it has nothing left (an empty
 * stream, a complete shadow; with a limit that the stream no longer
 * reaches, the comparison that follows shows what is missing): an empty
 * fetch on a loaded machine alone proves nothing. When the last message
 * said more were pending, the server is slow or stalled: swapping the
 * shadow in now would put a view older than the live one in its place.
 * Fetching again on this subscription would stack pull requests that a
 * stalled server answers all at once; so position a new consumer from the
 * checkpoint after a pause, and give up after a while.
 */
static enum rebuild_next
idle(struct rebuild *r, char *err, size_t errlen)
{
	uint64_t pending = reader_pending(r->reader);
	uint64_t cp = fold_min_checkpoint(r->fold);
	int drained;

	if (arrived(r, pending))
		return REBUILD_DONE;
	if (pending == UINT64_MAX && feed_drained(r->feed, cp, &drained, err,
	    errlen) == FEED_OK && drained)
		return REBUILD_DONE;
	if (++r->empty > REBUILD_EMPTY_MAX) {
		snprintf(err, errlen, "%llu messages pending after seq %llu,"
		    " but none delivered", (unsigned long long)pending,
		    (unsigned long long)cp);
		return REBUILD_STOP;
	}
	reader_reposition(r->reader);
	reader_backoff(r->reader);
	return REBUILD_GO;
}

/*
 * The history from the shadow's checkpoint on has holes: a rebuild never
 * makes a view of less than the whole history unless it was told to, and
 * then it says so in the shadow's projector_meta. Returns 0 to go on, or -1
 * with err and r->code.
 */
static int
holes(struct rebuild *r, const struct feed_pos *pos, uint64_t cp, char *err,
    size_t errlen)
{
	const struct config_account *a = r->p.acct;
	struct feed_hole h;
	uint64_t n;

	n = feed_pos_missing(pos, cp + 1, r->p.limit_seq != 0 ?
	    r->p.limit_seq : UINT64_MAX, &h);
	if (n == 0)
		return 0;
	if (!r->p.accept_gap) {
		snprintf(err, errlen, "the history has a hole: seq %llu to %llu"
		    " (%llu in all) %s. Nothing was changed. Restore the archive"
		    " from a backup, or rebuild from what exists, on purpose,"
		    " with replay --accept-gap",
		    (unsigned long long)h.from_seq, (unsigned long long)h.to_seq,
		    (unsigned long long)n, a->archive != NULL ?
		    "are neither in the archive nor in the stream" :
		    "are no longer in the stream, and the account keeps no"
		    " archive (archive: false)");
		r->code = EX_CONFIG;
		return -1;
	}
	if (db_add_meta(r->db, "gap_events", n, err, errlen) == -1)
		return -1;
	pthread_mutex_lock(&r->mu);
	r->prog.gap_events += n;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* One turn of the reader, and what it means to a rebuild. */
static enum rebuild_next
step(struct rebuild *r, char *err, size_t errlen)
{
	struct reader_out o;
	uint64_t cp;

	switch (reader_step(r->reader, &o, err, errlen)) {
	case READER_POSITIONED:
		cp = o.start_seq - 1;
		if (o.pos.backwards) {
			snprintf(err, errlen, "the stream's last seq %llu is below"
			    " the shadow's checkpoint %llu",
			    (unsigned long long)o.pos.last_seq,
			    (unsigned long long)cp);
			r->code = EX_CONFIG;
			return REBUILD_STOP;
		}
		if (holes(r, &o.pos, cp, err, errlen) == -1)
			return REBUILD_STOP;
		pthread_mutex_lock(&r->mu);
		if (r->prog.target_seq == 0)
			r->prog.target_seq = r->p.limit_seq != 0 ?
			    r->p.limit_seq : o.pos.last_seq;
		pthread_mutex_unlock(&r->mu);
		return r->p.limit_seq != 0 && cp >= r->p.limit_seq ?
		    REBUILD_DONE : REBUILD_GO;
	case READER_FOLDED:
		pthread_mutex_lock(&r->mu);
		r->prog.done_seq = fold_min_checkpoint(r->fold);
		r->prog.events += o.count;
		pthread_mutex_unlock(&r->mu);
		r->empty = 0;
		return arrived(r, reader_pending(r->reader)) ? REBUILD_DONE :
		    REBUILD_GO;
	case READER_IDLE:
		return idle(r, err, errlen);
	case READER_REPOSITION:
	case READER_RETRY:
		reader_backoff(r->reader);
		return REBUILD_GO;
	case READER_STOP:
	default:
		r->code = o.code;
		return REBUILD_STOP;
	}
}

/*
 * Opens the shadow's reader: the account's archive, if it keeps one, then an
 * ephemeral consumer of its stream.
 */
static void
open_reader(struct rebuild *r)
{
	r->feed = feed_source_new(r->p.cfg, r->p.acct, FEED_SOURCE_EPHEMERAL,
	    NULL, NULL);
	if (r->p.acct->archive != NULL)
		r->feed = feed_archive_new(r->p.acct->archive, r->feed);
	r->rp.feed = r->feed;
	r->rp.fold = r->fold;
	r->rp.batch = r->p.cfg->max_events > REBUILD_BATCH_MIN ?
	    r->p.cfg->max_events : REBUILD_BATCH_MIN;
	r->rp.partial_wait_ms = REBUILD_WAIT_MS;
	r->rp.idle_wait_ms = REBUILD_WAIT_MS;
	r->rp.backoff_max_ms = REBUILD_BACKOFF_MAX_MS;
	r->rp.limit_seq = r->p.limit_seq;
	r->rp.give_up_ms = r->p.give_up_ms;
	r->rp.stopping = quitting;
	r->rp.arg = r;
	r->reader = reader_new(&r->rp);
}

static void *
rebuild_main(void *arg)
{
	struct rebuild *r = arg;
	enum rebuild_next next = REBUILD_GO;
	char err[512];

	if (open_shadow(r, err, sizeof(err)) == -1) {
		set_state(r, REBUILD_FAILED, err);
		goto wait;
	}
	open_reader(r);
	while (!quitting(r) && (next = step(r, err, sizeof(err))) == REBUILD_GO)
		;
	if (next == REBUILD_DONE)
		set_state(r, REBUILD_READY, "");
	else if (next == REBUILD_STOP)
		set_state(r, REBUILD_FAILED, err);
wait:
	/* Idle until released: the owner swaps or compares the shadow now. */
	pthread_mutex_lock(&r->mu);
	while (!r->quit)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	feed_close(r->feed);
	reader_free(r->reader);
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
