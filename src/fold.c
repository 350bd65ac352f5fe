/*
 * fold.c: folding events into one SQLite database, exactly once (see fold.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "event.h"
#include "fold.h"
#include "guard.h"
#include "registry.h"
#include "xmalloc.h"

struct fold_proj {
	const struct projection	*p;
	void			*state;
	uint64_t		 checkpoint;	/* committed */
	uint64_t		 pending;	/* applied in the open batch */
};

struct fold {
	sqlite3			*db;
	struct guard		*guard;		/* NULL: projections unconfined */
	struct fold_proj	 proj[PROJECTION_MAX];
	size_t			 n;
	sqlite3_stmt		*begin, *commit, *rollback;
	sqlite3_stmt		*savepoint, *release, *rollback_to;
	sqlite3_stmt		*park, *checkpoint, *unknown;
	fold_park_fn		*park_fn;
	void			*park_arg;
	int			 in_batch;
	int			 careful;	/* savepoints in this batch */
	int			 again;		/* ... and in the next */
	uint64_t		 batch_last;	/* last seq fed to the open batch */
	struct fold_stats	 batch;		/* counts of the open batch */
	struct fold_stats	 stats;		/* committed counts */
};

static const struct {
	size_t		 offset;
	const char	*sql;
} statements[] = {
	{ offsetof(struct fold, begin), "BEGIN IMMEDIATE" },
	{ offsetof(struct fold, commit), "COMMIT" },
	{ offsetof(struct fold, rollback), "ROLLBACK" },
	{ offsetof(struct fold, savepoint), "SAVEPOINT fold_event" },
	{ offsetof(struct fold, release), "RELEASE fold_event" },
	{ offsetof(struct fold, rollback_to), "ROLLBACK TO fold_event" },
	{ offsetof(struct fold, park),
	    "INSERT INTO projector_parked (projection, seq, subject, reason,"
	    " parked_at) VALUES (?1, ?2, ?3, ?4, " DB_NOW_SQL ")"
	    " ON CONFLICT DO UPDATE SET reason = excluded.reason" },
	{ offsetof(struct fold, checkpoint),
	    "UPDATE projector_status SET last_seq = ?2,"
	    " stream_last_seq = max(stream_last_seq, ?2, ?3),"
	    " updated_at = " DB_NOW_SQL " WHERE projection = ?1" },
	{ offsetof(struct fold, unknown),
	    "INSERT INTO projector_meta (key, value) VALUES ('unknown_events', ?1)"
	    " ON CONFLICT DO UPDATE SET value = value + excluded.value" },
};

#define STMT(f, i)	((sqlite3_stmt **)((char *)(f) + statements[i].offset))

/*
 * Says whether an SQLite failure can go away by itself (a lock, a full disk,
 * an I/O error) so that the batch is worth retrying, rather than a broken
 * schema or projection that a retry would only repeat.
 */
static enum fold_result
classify(sqlite3 *db)
{
	return db_retryable(db) ? FOLD_RETRY : FOLD_ERROR;
}

/* Runs a statement that returns no row, ready for its next run. */
static enum fold_result
run(struct fold *f, sqlite3_stmt *st, char *err, size_t errlen)
{
	if (db_step_done(st, NULL, err, errlen) == 0)
		return FOLD_OK;
	return classify(f->db);
}

/* Creates p's status row on first use and reads its checkpoint. */
static enum fold_result
load_checkpoint(struct fold *f, struct fold_proj *fp, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_ensure_status(f->db, fp->p->name, fp->p->version, err,
	    errlen) == -1)
		goto fail;
	rc = sqlite3_prepare_v2(f->db, "SELECT last_seq FROM projector_status"
	    " WHERE projection = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, fp->p->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW)
		goto fail;
	fp->checkpoint = fp->pending = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return FOLD_OK;
fail:
	snprintf(err, errlen, "reading the checkpoint of %s: %s", fp->p->name,
	    sqlite3_errmsg(f->db));
	sqlite3_finalize(st);
	return classify(f->db);
}

/* From here to leave(), db answers to fp's rules (guard.h). */
static void
enter(struct fold *f, const struct fold_proj *fp)
{
	if (f->guard != NULL)
		guard_enter(f->guard, GUARD_CALL, fp->p);
}

/*
 * Back to the engine's rules. Returns -1 with the denial in err when the
 * call did what its projection may not: whatever it returned, that is a
 * bug of the projection, neither poison nor a failure to retry.
 */
static int
leave(struct fold *f, const struct fold_proj *fp, char *err, size_t errlen)
{
	const char *denied;

	if (f->guard == NULL)
		return 0;
	guard_leave(f->guard);
	if ((denied = guard_denied(f->guard)) == NULL)
		return 0;
	snprintf(err, errlen, "projection %s was stopped: %s", fp->p->name,
	    denied);
	return -1;
}

/*
 * Builds a fold over db, whose schema is migrated, for the nprojs
 * projections (at most PROJECTION_MAX): creates their status rows when
 * missing, reads their checkpoints and runs their init(). Returns FOLD_OK
 * and sets *out, or an error with the reason in err (and nothing to
 * release).
 */
enum fold_result
fold_open(sqlite3 *db, struct guard *g, const struct projection *const *projs,
    size_t nprojs, struct fold **out, char *err, size_t errlen)
{
	struct fold *f;
	enum fold_result r = FOLD_ERROR;
	size_t i;
	int rc;

	if (nprojs > PROJECTION_MAX) {
		snprintf(err, errlen, "more than %d projections",
		    PROJECTION_MAX);
		return FOLD_ERROR;
	}
	f = xcalloc(1, sizeof(*f));
	f->db = db;
	f->guard = g;
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		if (sqlite3_prepare_v3(db, statements[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, STMT(f, i), NULL) != SQLITE_OK) {
			snprintf(err, errlen, "preparing %s: %s",
			    statements[i].sql, sqlite3_errmsg(db));
			r = classify(db);
			goto fail;
		}
	}
	for (i = 0; i < nprojs; i++) {
		struct fold_proj *fp = &f->proj[i];

		fp->p = projs[i];
		if ((r = load_checkpoint(f, fp, err, errlen)) != FOLD_OK)
			goto fail;
		if (fp->p->init != NULL) {
			enter(f, fp);
			rc = fp->p->init(db, &fp->state, err, errlen);
			if (leave(f, fp, err, errlen) == -1) {
				f->n++;		/* its fini() runs */
				r = FOLD_DENIED;
				goto fail;
			}
			if (rc == -1) {
				r = FOLD_ERROR;
				goto fail;
			}
		}
		f->n++;
	}
	*out = f;
	return FOLD_OK;
fail:
	fold_close(f);
	return r;
}

/* Sets the function told about each parked event. Cannot fail. */
void
fold_on_park(struct fold *f, fold_park_fn *fn, void *arg)
{
	f->park_fn = fn;
	f->park_arg = arg;
}

/*
 * Starts a batch: BEGIN IMMEDIATE, so that a competing writer shows up here,
 * after the busy timeout, and not halfway through the batch. Returns FOLD_OK,
 * or FOLD_RETRY/FOLD_ERROR with err.
 */
enum fold_result
fold_begin(struct fold *f, char *err, size_t errlen)
{
	enum fold_result r;

	if ((r = run(f, f->begin, err, errlen)) != FOLD_OK)
		return r;
	f->in_batch = 1;
	f->careful = f->again;
	f->again = 0;
	f->batch_last = 0;
	memset(&f->batch, 0, sizeof(f->batch));
	return FOLD_OK;
}

/* Records a poison event for fp and lets its parked hook keep what it may. */
static enum fold_result
park(struct fold *f, struct fold_proj *fp, const struct event *ev,
    const char *reason, char *err, size_t errlen)
{
	enum proj_result pr;
	enum fold_result r;

	sqlite3_bind_text(f->park, 1, fp->p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->park, 2, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(f->park, 3, ev->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->park, 4, reason, -1, SQLITE_STATIC);
	if ((r = run(f, f->park, err, errlen)) != FOLD_OK)
		return r;
	if (f->park_fn != NULL)
		f->park_fn(f->park_arg, fp->p->name, ev->seq, ev->subject, reason);
	f->batch.parked++;
	if (fp->p->parked != NULL) {
		enter(f, fp);
		pr = fp->p->parked(fp->state, ev, err, errlen);
		if (leave(f, fp, err, errlen) == -1)
			return FOLD_ERROR;
		if (pr != PROJ_OK)
			return classify(f->db);
	}
	return FOLD_OK;
}

/*
 * Runs fp's apply() and deals with its result: in a savepoint in a careful
 * batch; else bare, and a refusal after a write asks for the batch again.
 */
static enum fold_result
apply(struct fold *f, struct fold_proj *fp, const struct event *ev,
    char *err, size_t errlen)
{
	char reason[512];
	enum proj_result pr;
	enum fold_result r;
	sqlite3_int64 changes = 0;

	if (f->careful && (r = run(f, f->savepoint, err, errlen)) != FOLD_OK)
		return r;
	if (!f->careful)
		changes = sqlite3_total_changes64(f->db);
	reason[0] = '\0';
	enter(f, fp);
	pr = fp->p->apply(fp->state, ev, reason, sizeof(reason));
	if (leave(f, fp, err, errlen) == -1)
		return FOLD_ERROR;
	if (pr != PROJ_OK && pr != PROJ_POISON) {
		/*
		 * Classified before anything else runs on the connection:
		 * ROLLBACK TO and RELEASE would replace the error code of the
		 * statement that failed in apply() (SQLITE_FULL would read as
		 * a broken projection). The caller rolls the batch back.
		 */
		snprintf(err, errlen, "%s failed on seq %llu: %s", fp->p->name,
		    (unsigned long long)ev->seq, reason);
		return classify(f->db);
	}
	/*
	 * The guard denies transaction control; this catches the rest. (A
	 * failure may end it too: SQLITE_FULL rolls back, see above.)
	 */
	if (sqlite3_get_autocommit(f->db)) {
		snprintf(err, errlen, "projection %s ended the batch's"
		    " transaction on seq %llu", fp->p->name,
		    (unsigned long long)ev->seq);
		return FOLD_ERROR;
	}
	if (pr == PROJ_POISON && !f->careful &&
	    sqlite3_total_changes64(f->db) != changes) {
		snprintf(err, errlen, "%s wrote before it refused seq %llu:"
		    " the batch is folded again, with savepoints", fp->p->name,
		    (unsigned long long)ev->seq);
		f->again = 1;
		return FOLD_AGAIN;
	}
	if (f->careful) {
		/* The savepoint undoes whatever the projection wrote. */
		if (pr == PROJ_POISON &&
		    (r = run(f, f->rollback_to, err, errlen)) != FOLD_OK)
			return r;
		if ((r = run(f, f->release, err, errlen)) != FOLD_OK)
			return r;
	}
	if (pr == PROJ_OK)
		f->batch.applied++;
	else {
		if (reason[0] == '\0')
			snprintf(reason, sizeof(reason), "rejected by %s",
			    fp->p->name);
		if ((r = park(f, fp, ev, reason, err, errlen)) != FOLD_OK)
			return r;
	}
	fp->pending = ev->seq;
	return FOLD_OK;
}

/*
 * Folds one message into every projection that wants its subject and has
 * not applied its sequence yet. Messages must come in stream order within
 * and across batches (a lower sequence than one already folded is a
 * duplicate and is skipped). Returns FOLD_OK (poison events are parked and
 * count as folded), or FOLD_RETRY/FOLD_ERROR with err, after which the caller
 * rolls the batch back.
 */
enum fold_result
fold_event(struct fold *f, uint64_t seq, int64_t stored_ms,
    const char *subject, const char *payload, size_t len,
    char *err, size_t errlen)
{
	return fold_event_decoded(f, seq, stored_ms, subject, payload, len,
	    NULL, err, errlen);
}

/*
 * fold_event() of a message whose payload was decoded before it came
 * (decoder.h): dec says what event_decode() gave, and stays the caller's.
 * With dec NULL the fold decodes it, when a projection wants it.
 */
enum fold_result
fold_event_decoded(struct fold *f, uint64_t seq, int64_t stored_ms,
    const char *subject, const char *payload, size_t len,
    const struct fold_decoded *dec, char *err, size_t errlen)
{
	char json_error[256];
	struct fold_proj *want[PROJECTION_MAX];
	struct event ev;
	json_t *json = NULL;
	enum fold_result r = FOLD_OK;
	size_t i, nwant = 0, nmatch = 0;
	int folded = seq <= f->batch_last;
	int subject_ok = event_subject_ok(subject);

	if (seq > f->batch_last)
		f->batch_last = seq;
	for (i = 0; i < f->n; i++) {
		/*
		 * Every checkpoint moved past the batches that carried it, so
		 * any checkpoint at or above seq means it was folded before.
		 */
		if (seq <= f->proj[i].checkpoint)
			folded = 1;
		if (!subject_ok || !registry_wants(f->proj[i].p, subject))
			continue;
		nmatch++;
		if (seq > f->proj[i].pending)
			want[nwant++] = &f->proj[i];
	}
	if (nmatch == 0) {
		/* Counted once per message, not once per delivery. */
		if (folded)
			f->batch.duplicates++;
		else
			f->batch.unknown++;
		return FOLD_OK;
	}
	if (nwant == 0) {
		f->batch.duplicates++;
		return FOLD_OK;
	}

	memset(&ev, 0, sizeof(ev));
	ev.seq = seq;
	ev.stored_ms = stored_ms;
	ev.subject = subject;
	ev.payload = payload;
	ev.payload_len = len;
	if (dec != NULL) {
		ev.json = dec->json;
		ev.json_error = dec->json == NULL ? dec->error : NULL;
	} else if (event_decode(payload, len, &json, json_error,
	    sizeof(json_error)) == 0)
		ev.json = json;
	else
		ev.json_error = json_error;

	for (i = 0; i < nwant && r == FOLD_OK; i++)
		r = apply(f, want[i], &ev, err, errlen);
	json_decref(json);
	return r;
}

/*
 * Ends the batch: every projection's checkpoint becomes the last sequence of
 * the batch (events a projection does not want advance it too), written with
 * stream_last_seq and the count of unknown subjects in the batch's
 * transaction, then COMMIT. Returns FOLD_OK, or FOLD_RETRY/FOLD_ERROR with
 * err after rolling the batch back.
 */
enum fold_result
fold_commit(struct fold *f, uint64_t stream_last_seq, char *err, size_t errlen)
{
	enum fold_result r;
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct fold_proj *fp = &f->proj[i];

		if (f->batch_last > fp->pending)
			fp->pending = f->batch_last;
		if (fp->pending == fp->checkpoint)
			continue;
		sqlite3_bind_text(f->checkpoint, 1, fp->p->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(f->checkpoint, 2, (sqlite3_int64)fp->pending);
		sqlite3_bind_int64(f->checkpoint, 3, (sqlite3_int64)stream_last_seq);
		if ((r = run(f, f->checkpoint, err, errlen)) != FOLD_OK)
			goto fail;
	}
	if (f->batch.unknown > 0) {
		sqlite3_bind_int64(f->unknown, 1, (sqlite3_int64)f->batch.unknown);
		if ((r = run(f, f->unknown, err, errlen)) != FOLD_OK)
			goto fail;
	}
	if ((r = run(f, f->commit, err, errlen)) != FOLD_OK)
		goto fail;
	f->in_batch = 0;
	for (i = 0; i < f->n; i++)
		f->proj[i].checkpoint = f->proj[i].pending;
	f->stats.applied += f->batch.applied;
	f->stats.parked += f->batch.parked;
	f->stats.duplicates += f->batch.duplicates;
	f->stats.unknown += f->batch.unknown;
	f->stats.batches++;
	return FOLD_OK;
fail:
	fold_rollback(f);
	return r;
}

/*
 * Abandons the open batch (if any): ROLLBACK, and the checkpoints go back to
 * the committed ones. Cannot fail: when ROLLBACK itself fails, SQLite has
 * already rolled the transaction back.
 */
void
fold_rollback(struct fold *f)
{
	size_t i;

	if (!sqlite3_get_autocommit(f->db)) {
		sqlite3_step(f->rollback);
		sqlite3_reset(f->rollback);
	}
	for (i = 0; i < f->n; i++)
		f->proj[i].pending = f->proj[i].checkpoint;
	f->in_batch = 0;
}

/*
 * Returns the smallest committed checkpoint: the stream sequence after which
 * the next batch must start. Cannot fail.
 */
uint64_t
fold_min_checkpoint(const struct fold *f)
{
	uint64_t min = UINT64_MAX;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->proj[i].checkpoint < min)
			min = f->proj[i].checkpoint;
	return f->n == 0 ? 0 : min;
}

/* Returns the committed checkpoint of a projection, 0 if unknown. */
uint64_t
fold_checkpoint(const struct fold *f, const char *projection)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->proj[i].p->name, projection) == 0)
			return f->proj[i].checkpoint;
	return 0;
}

/* Lends the committed counts. Cannot fail. */
const struct fold_stats *
fold_stats(const struct fold *f)
{
	return &f->stats;
}

/* Rolls back an open batch, finalises everything. Accepts NULL. */
void
fold_close(struct fold *f)
{
	size_t i;

	if (f == NULL)
		return;
	if (f->in_batch)
		fold_rollback(f);
	for (i = 0; i < f->n; i++)
		if (f->proj[i].p->fini != NULL) {
			enter(f, &f->proj[i]);
			f->proj[i].p->fini(f->proj[i].state);
			if (f->guard != NULL)
				guard_leave(f->guard);
		}
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		sqlite3_finalize(*STMT(f, i));
	free(f);
}
