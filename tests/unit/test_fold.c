/*
 * test_fold.c: the fold's exactly-once promises (src/fold.h), with small
 * fake projections defined here rather than the real ones, so that each
 * promise is checked on its own: checkpoints committed with the writes they
 * cover, redeliveries skipped, rollbacks leaving nothing, poison events
 * rolled back and parked while the batch goes on, failures stopping the
 * batch with the right verdict, unknown subjects counted once, and the
 * payload decoded once for every projection.
 *
 * The fakes are driven by the payload, so that no test needs global state:
 *	{"n": 5}			add 5 to the projection's counter
 *	{"op": "poison", "who": "alpha"}
 *					add, then return PROJ_POISON (only
 *					for "who", or for everyone without it)
 *	{"op": "poison_silent"}		the same, with no reason
 *	{"op": "fail"}			add, then return PROJ_FAIL
 *	{"op": "fill"}			write a 1 MiB blob (fails when
 *					the database is capped: SQLITE_FULL)
 *	anything else valid		add 1
 * Every apply() first records (projection, seq, json pointer, json_error)
 * in "seen", which is rolled back with the rest when it does not return
 * PROJ_OK; the parked() hook records (projection, seq, subject) in "facts".
 *
 * Each test gets its own database file in a temporary directory, in WAL
 * mode like the worker's, with the core migration and the fakes' tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fold.h"
#include "migrate.h"
#include "registry.h"
#include "testdb.h"
#include "tmp.h"

#define MAX_PARKS	8

static const char fake_schema[] =
	"CREATE TABLE counter ("
	" projection TEXT PRIMARY KEY,"
	" total INTEGER NOT NULL,"
	" events INTEGER NOT NULL);"
	"CREATE TABLE seen ("
	" projection TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" json_ptr INTEGER,"
	" json_error TEXT,"
	" PRIMARY KEY (projection, seq));"
	"CREATE TABLE facts ("
	" projection TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" subject TEXT NOT NULL);"
	"CREATE TABLE blobs (b BLOB);";

/* What the fold's park callback was told, copied (it is only lent). */
struct park_rec {
	char		projection[32];
	uint64_t	seq;
	char		subject[64];
	char		reason[128];
};

struct fx {
	char		 dir[512];
	char		 path[600];
	sqlite3		*db;
	struct fold	*fold;
	struct park_rec	 parks[MAX_PARKS];
	size_t		 nparks;
	char		 buf[4096];
};

/* One message as the worker would hand it to fold_event(). */
struct msg {
	uint64_t	 seq;
	const char	*subject;
	const char	*payload;
};

/* The state of one fake projection instance. */
struct fake {
	const char	*name;
	sqlite3_stmt	*add, *seen, *fact, *fill;
	/*
	 * The last payload this instance saw, kept alive until its next
	 * event: were the fold to decode once per projection, the next
	 * projection's object could not reuse this address, so equal
	 * pointers in "seen" prove one shared decode.
	 */
	json_t		*held;
};

/* Prepares one persistent statement of a fake; -1 with err on failure. */
static int
fake_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return -1;
}

static void
fake_fini(void *state)
{
	struct fake *fk = state;

	if (fk == NULL)
		return;
	sqlite3_finalize(fk->add);
	sqlite3_finalize(fk->seen);
	sqlite3_finalize(fk->fact);
	sqlite3_finalize(fk->fill);
	json_decref(fk->held);
	free(fk);
}

static int
fake_init(sqlite3 *db, const char *name, void **state, char *err,
    size_t errlen)
{
	struct fake *fk;

	if ((fk = calloc(1, sizeof(*fk))) == NULL)
		return -1;
	fk->name = name;
	if (fake_prepare(db, "INSERT INTO counter VALUES (?1, ?2, 1)"
	    " ON CONFLICT DO UPDATE SET total = total + excluded.total,"
	    " events = events + 1", &fk->add, err, errlen) == -1 ||
	    fake_prepare(db, "INSERT INTO seen VALUES (?1, ?2, ?3, ?4)",
	    &fk->seen, err, errlen) == -1 ||
	    fake_prepare(db, "INSERT INTO facts VALUES (?1, ?2, ?3)",
	    &fk->fact, err, errlen) == -1 ||
	    fake_prepare(db, "INSERT INTO blobs VALUES (zeroblob(1048576))",
	    &fk->fill, err, errlen) == -1) {
		fake_fini(fk);
		return -1;
	}
	*state = fk;
	return 0;
}

static int
alpha_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return fake_init(db, "alpha", state, err, errlen);
}

static int
beta_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return fake_init(db, "beta", state, err, errlen);
}

static int
gamma_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return fake_init(db, "gamma", state, err, errlen);
}

static int
broken_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	(void)db;
	(void)state;
	snprintf(err, errlen, "broken: cannot init");
	return -1;
}

/* Steps and resets a statement; 0 when it ran, -1 with SQLite's reason. */
static int
fake_step(struct fake *fk, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "%s: %s", fk->name,
	    sqlite3_errmsg(sqlite3_db_handle(st)));
	return -1;
}

static enum proj_result
fake_apply(void *state, const struct event *ev, char *err, size_t errlen)
{
	struct fake *fk = state;
	const char *op = "", *who;
	json_int_t n = 1;

	/* Refused before any write, as the built-in projections refuse. */
	if (json_is_object(ev->json) && (op = json_string_value(
	    json_object_get(ev->json, "op"))) != NULL &&
	    strcmp(op, "refuse") == 0) {
		snprintf(err, errlen, "refused first");
		return PROJ_POISON;
	}
	op = "";
	sqlite3_bind_text(fk->seen, 1, fk->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(fk->seen, 2, (sqlite3_int64)ev->seq);
	if (ev->json != NULL)
		sqlite3_bind_int64(fk->seen, 3,
		    (sqlite3_int64)(intptr_t)ev->json);
	else
		sqlite3_bind_null(fk->seen, 3);
	sqlite3_bind_text(fk->seen, 4, ev->json_error, -1, SQLITE_STATIC);
	if (fake_step(fk, fk->seen, err, errlen) == -1)
		return PROJ_FAIL;
	if (ev->json == NULL)
		return PROJ_OK;
	/* See struct fake: the cast only takes a reference, never writes. */
	json_decref(fk->held);
	fk->held = json_incref((json_t *)ev->json);

	if (json_is_object(ev->json)) {
		json_t *v;

		if ((v = json_object_get(ev->json, "op")) != NULL)
			op = json_string_value(v);
		if ((v = json_object_get(ev->json, "n")) != NULL)
			n = json_integer_value(v);
		who = json_string_value(json_object_get(ev->json, "who"));
		if (who != NULL && strcmp(who, fk->name) != 0)
			op = "";
	}
	if (strcmp(op, "fill") == 0)
		return fake_step(fk, fk->fill, err, errlen) == -1 ?
		    PROJ_FAIL : PROJ_OK;

	sqlite3_bind_text(fk->add, 1, fk->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(fk->add, 2, n);
	if (fake_step(fk, fk->add, err, errlen) == -1)
		return PROJ_FAIL;
	/* These write first, to show that the savepoint undoes it. */
	if (strcmp(op, "poison") == 0) {
		snprintf(err, errlen, "op is poison");
		return PROJ_POISON;
	}
	if (strcmp(op, "poison_silent") == 0)
		return PROJ_POISON;
	if (strcmp(op, "fail") == 0) {
		snprintf(err, errlen, "asked to fail");
		return PROJ_FAIL;
	}
	return PROJ_OK;
}

static enum proj_result
fake_parked(void *state, const struct event *ev, char *err, size_t errlen)
{
	struct fake *fk = state;

	sqlite3_bind_text(fk->fact, 1, fk->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(fk->fact, 2, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(fk->fact, 3, ev->subject, -1, SQLITE_STATIC);
	return fake_step(fk, fk->fact, err, errlen) == -1 ? PROJ_FAIL : PROJ_OK;
}

static const char *const alpha_subjects[] = { "t.a.>", "t.both", NULL };
static const char *const beta_subjects[] = { "t.b.>", "t.both", NULL };
static const char *const gamma_subjects[] = { "t.g", NULL };
static const char *const fake_tables[] = { "counter", "seen", NULL };

static const struct projection proj_alpha = {
	PROJECTION_HEADER, .name = "alpha", .version = 3,
	.subjects = alpha_subjects, .tables = fake_tables,
	.init = alpha_init, .apply = fake_apply, .parked = fake_parked,
	.fini = fake_fini,
};

static const struct projection proj_beta = {
	PROJECTION_HEADER, .name = "beta", .version = 1,
	.subjects = beta_subjects, .tables = fake_tables,
	.init = beta_init, .apply = fake_apply, .parked = fake_parked,
	.fini = fake_fini,
};

/* No parked() hook: parking must not need one. */
static const struct projection proj_gamma = {
	PROJECTION_HEADER, .name = "gamma", .version = 1,
	.subjects = gamma_subjects, .tables = fake_tables,
	.init = gamma_init, .apply = fake_apply, .fini = fake_fini,
};

static const struct projection proj_broken = {
	PROJECTION_HEADER, .name = "broken", .version = 1,
	.subjects = gamma_subjects, .tables = fake_tables,
	.init = broken_init, .apply = fake_apply,
};

static const struct projection *const alpha_only[] = { &proj_alpha };
static const struct projection *const alpha_beta[] = {
	&proj_alpha, &proj_beta
};
static const struct projection *const all_three[] = {
	&proj_alpha, &proj_beta, &proj_gamma
};

static void
record_park(void *arg, const char *projection, uint64_t seq,
    const char *subject, const char *reason)
{
	struct fx *f = arg;
	struct park_rec *p;

	assert_true(f->nparks < MAX_PARKS);
	p = &f->parks[f->nparks++];
	snprintf(p->projection, sizeof(p->projection), "%s", projection);
	p->seq = seq;
	snprintf(p->subject, sizeof(p->subject), "%s", subject);
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
}

/* Makes a database like the worker's: a file, WAL, core tables, fakes'. */
static int
fx_init(struct fx *f)
{
	char err[512];

	memset(f, 0, sizeof(*f));
	if (tmp_dir("test-fold-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/fold.db", f->dir);
	if (sqlite3_open(f->path, &f->db) != SQLITE_OK ||
	    sqlite3_exec(f->db, "PRAGMA journal_mode = WAL", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	if (migrate_apply(f->db, "core", migrations_core, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "migrate: %s\n", err);
		return -1;
	}
	return sqlite3_exec(f->db, fake_schema, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

static void
fx_release(struct fx *f)
{
	fold_close(f->fold);
	f->fold = NULL;
	sqlite3_close(f->db);
	f->db = NULL;
	tmp_rm_rf(f->dir);
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = malloc(sizeof(*f))) == NULL)
		return -1;
	if (fx_init(f) == -1) {
		fx_release(f);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fx_release(f);
	free(f);
	return 0;
}

static void
open_fold(struct fx *f, const struct projection *const *projs, size_t n)
{
	char err[512] = "";

	if (fold_open(f->db, NULL, projs, n, &f->fold, err, sizeof(err)) != FOLD_OK)
		fail_msg("fold_open: %s", err);
	fold_on_park(f->fold, record_park, f);
}

static void
reopen_fold(struct fx *f, const struct projection *const *projs, size_t n)
{
	fold_close(f->fold);
	f->fold = NULL;
	open_fold(f, projs, n);
}

/*
 * Starts a batch and folds msgs into it; every step must succeed, but a
 * FOLD_AGAIN (a projection wrote before it refused), which rolls back and
 * folds the batch again, as the reader does, once. Returns how many
 * FOLD_AGAINs came.
 */
static int
feed(struct fx *f, const struct msg *msgs, size_t n)
{
	char err[512] = "";
	enum fold_result r = FOLD_OK;
	size_t i;
	int again = -1;

	do {
		again++;
		if (fold_begin(f->fold, err, sizeof(err)) != FOLD_OK)
			fail_msg("fold_begin: %s", err);
		for (i = 0; i < n; i++) {
			r = fold_event(f->fold, msgs[i].seq,
			    1000 * (int64_t)msgs[i].seq, msgs[i].subject,
			    msgs[i].payload, strlen(msgs[i].payload), err,
			    sizeof(err));
			if (r == FOLD_AGAIN && again == 0) {
				fold_rollback(f->fold);
				break;
			}
			if (r != FOLD_OK)
				fail_msg("fold_event seq %llu: %s",
				    (unsigned long long)msgs[i].seq, err);
		}
	} while (r == FOLD_AGAIN);
	return again;
}

/*
 * One whole batch: feed() then fold_commit(), which must succeed. Returns
 * feed()'s count of FOLD_AGAINs.
 */
static int
batch(struct fx *f, const struct msg *msgs, size_t n, uint64_t stream_last)
{
	char err[512] = "";
	int again;

	again = feed(f, msgs, n);
	if (fold_commit(f->fold, stream_last, err, sizeof(err)) != FOLD_OK)
		fail_msg("fold_commit: %s", err);
	return again;
}

static const char *
rows(struct fx *f, const char *sql)
{
	return testdb_rows(f->db, sql, f->buf, sizeof(f->buf));
}

/*
 * Renders everything a fold can change except wall-clock columns and
 * pointers, for before/after comparisons and across databases.
 */
static void
snapshot(struct fx *f, char *out, size_t len)
{
	static const char *const queries[] = {
		"SELECT * FROM counter ORDER BY projection",
		"SELECT projection, seq, json_ptr IS NOT NULL, json_error"
		" FROM seen ORDER BY projection, seq",
		"SELECT * FROM facts ORDER BY projection, seq",
		"SELECT count(*) FROM blobs",
		"SELECT projection, version, last_seq, stream_last_seq, state,"
		" last_error FROM projector_status ORDER BY projection",
		"SELECT projection, seq, subject, reason FROM projector_parked"
		" ORDER BY projection, seq",
		"SELECT * FROM projector_meta ORDER BY key",
	};
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		off += (size_t)snprintf(out + off, len - off, "%s\n--\n",
		    rows(f, queries[i]));
	assert_true(off < len);
}

#define NMSGS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The checkpoint is written in the batch's transaction: invisible to a
 * reader until COMMIT, then there together with the writes, and read back
 * by the next fold_open() on the same file.
 */
static void
test_checkpoint_committed_and_reloaded(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.x", "{\"n\": 2}" },
		{ 2, "t.b.y", "{\"n\": 5}" },
		{ 3, "t.both", "{\"n\": 1}" },
	};
	struct fx *f = *state;
	sqlite3 *reader;
	char err[512], buf[512];

	open_fold(f, alpha_beta, 2);
	assert_string_equal(rows(f, "SELECT projection, version, last_seq,"
	    " stream_last_seq FROM projector_status ORDER BY projection"),
	    "alpha|3|0|0\nbeta|1|0|0");
	assert_int_equal(sqlite3_open_v2(f->path, &reader,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);

	feed(f, msgs, NMSGS(msgs));
	/* Mid-batch: the fold's committed view and other readers see 0. */
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 0);
	assert_string_equal(testdb_rows(reader, "SELECT (SELECT count(*) FROM"
	    " counter), group_concat(last_seq) FROM projector_status", buf,
	    sizeof(buf)), "0|0,0");
	if (fold_commit(f->fold, 10, err, sizeof(err)) != FOLD_OK)
		fail_msg("fold_commit: %s", err);
	assert_string_equal(testdb_rows(reader, "SELECT (SELECT count(*) FROM"
	    " counter), group_concat(last_seq) FROM projector_status", buf,
	    sizeof(buf)), "2|3,3");
	sqlite3_close(reader);

	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 3);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 3);
	assert_int_equal(fold_checkpoint(f->fold, "nosuch"), 0);
	assert_int_equal(fold_min_checkpoint(f->fold), 3);
	assert_string_equal(rows(f, "SELECT projection, last_seq,"
	    " stream_last_seq, lag FROM projector_status ORDER BY projection"),
	    "alpha|3|10|7\nbeta|3|10|7");
	assert_string_equal(rows(f, "SELECT * FROM counter"
	    " ORDER BY projection"),
	    "alpha|3|2\nbeta|6|2");
	assert_int_equal(fold_stats(f->fold)->applied, 4);
	assert_int_equal(fold_stats(f->fold)->batches, 1);

	/* A restarted worker: new fold, same file. */
	reopen_fold(f, alpha_beta, 2);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 3);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 3);
	assert_int_equal(fold_min_checkpoint(f->fold), 3);
	assert_int_equal(fold_stats(f->fold)->applied, 0);
}

/* Events at or below a checkpoint are skipped and counted as duplicates. */
static void
test_duplicates_skipped(void **state)
{
	static const struct msg first[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.a.x", "{\"n\": 10}" },
		{ 3, "t.a.x", "{\"n\": 100}" },
	};
	static const struct msg overlap[] = {
		{ 2, "t.a.x", "{\"n\": 10}" },
		{ 3, "t.a.x", "{\"n\": 100}" },
		{ 4, "t.a.x", "{\"n\": 1000}" },
		{ 4, "t.a.x", "{\"n\": 1000}" },	/* twice in one batch */
	};
	struct fx *f = *state;

	open_fold(f, alpha_only, 1);
	batch(f, first, NMSGS(first), 3);
	batch(f, overlap, NMSGS(overlap), 4);
	assert_string_equal(rows(f, "SELECT * FROM counter"), "alpha|1111|4");
	assert_string_equal(rows(f, "SELECT group_concat(seq) FROM"
	    " (SELECT seq FROM seen ORDER BY seq)"), "1,2,3,4");
	assert_int_equal(fold_stats(f->fold)->applied, 4);
	assert_int_equal(fold_stats(f->fold)->duplicates, 3);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 4);
}

/*
 * A whole batch delivered again after its commit (the worker died between
 * COMMIT and ack) changes no row at all: not the projections' tables, not
 * the parked events, not the unknown-subject count. Also after a restart.
 */
static void
test_redelivered_batch_changes_nothing(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.b.x", "{\"n\": 2}" },
		{ 3, "t.both", "{\"n\": 3}" },
		{ 4, "t.a.x", "{\"op\": \"poison\"}" },
		{ 5, "t.zzz", "{\"n\": 5}" },
		{ 6, "t.both", "{not json" },
	};
	struct fx *f = *state;
	char before[4096], after[4096];
	sqlite3_int64 changes;

	open_fold(f, alpha_beta, 2);
	batch(f, msgs, NMSGS(msgs), 6);
	assert_int_equal(f->nparks, 1);
	assert_string_equal(rows(f, "SELECT value FROM projector_meta"
	    " WHERE key = 'unknown_events'"), "1");
	snapshot(f, before, sizeof(before));
	changes = sqlite3_total_changes64(f->db);

	batch(f, msgs, NMSGS(msgs), 6);
	snapshot(f, after, sizeof(after));
	assert_string_equal(after, before);
	assert_true(sqlite3_total_changes64(f->db) == changes);
	assert_int_equal(f->nparks, 1);
	assert_int_equal(fold_stats(f->fold)->duplicates, NMSGS(msgs));
	assert_int_equal(fold_stats(f->fold)->unknown, 1);

	reopen_fold(f, alpha_beta, 2);
	batch(f, msgs, NMSGS(msgs), 6);
	snapshot(f, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(f->nparks, 1);
	assert_int_equal(fold_stats(f->fold)->unknown, 0);
}

/*
 * fold_rollback() leaves tables and checkpoints as they were, and folding
 * the same events again gives what folding them once gives.
 */
static void
test_rollback_then_refold(void **state)
{
	static const struct msg first[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.b.x", "{\"n\": 2}" },
	};
	static const struct msg second[] = {
		{ 3, "t.a.x", "{\"n\": 4}" },
		{ 4, "t.both", "{\"op\": \"poison\", \"who\": \"beta\"}" },
		{ 5, "t.zzz", "{}" },
	};
	struct fx *f = *state, ref;
	char before[4096], after[4096], want[4096];

	open_fold(f, alpha_beta, 2);
	batch(f, first, NMSGS(first), 2);
	snapshot(f, before, sizeof(before));

	feed(f, second, NMSGS(second));
	assert_int_equal(f->nparks, 1);	/* told, but inside the batch */
	fold_rollback(f->fold);
	snapshot(f, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 2);
	assert_int_equal(fold_stats(f->fold)->applied, 2);
	assert_int_equal(fold_stats(f->fold)->parked, 0);
	assert_int_equal(fold_stats(f->fold)->unknown, 0);

	/* The retry is not mistaken for a redelivery. */
	batch(f, second, NMSGS(second), 5);
	snapshot(f, after, sizeof(after));
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 5);
	assert_int_equal(fold_stats(f->fold)->parked, 1);

	/* The same events folded once, into a database of their own. */
	assert_int_equal(fx_init(&ref), 0);
	open_fold(&ref, alpha_beta, 2);
	batch(&ref, first, NMSGS(first), 2);
	batch(&ref, second, NMSGS(second), 5);
	snapshot(&ref, want, sizeof(want));
	fx_release(&ref);
	assert_string_equal(after, want);
}

/* fold_close() with a batch open rolls it back. */
static void
test_close_rolls_back(void **state)
{
	static const struct msg msgs[] = { { 1, "t.a.x", "{\"n\": 1}" } };
	struct fx *f = *state;

	open_fold(f, alpha_only, 1);
	feed(f, msgs, NMSGS(msgs));
	fold_close(f->fold);
	f->fold = NULL;
	assert_true(sqlite3_get_autocommit(f->db));
	assert_string_equal(rows(f, "SELECT count(*) FROM counter"), "0");
	assert_string_equal(rows(f, "SELECT last_seq FROM projector_status"),
	    "0");
}

/*
 * PROJ_POISON: what apply() wrote is undone (alpha writes before it
 * refuses: the batch is folded again, with savepoints), the event is
 * parked for that projection only with its reason, the callback is told
 * once, the parked() hook's writes stay, and the batch goes on.
 */
static void
test_poison_parked(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.both", "{\"op\": \"poison\", \"who\": \"alpha\","
		    " \"n\": 100}" },
		{ 3, "t.a.x", "{\"n\": 2}" },
	};
	struct fx *f = *state;

	open_fold(f, alpha_beta, 2);
	assert_int_equal(batch(f, msgs, NMSGS(msgs), 3), 1);
	assert_string_equal(rows(f, "SELECT * FROM counter"
	    " ORDER BY projection"),
	    "alpha|3|2\nbeta|100|1");
	assert_string_equal(rows(f, "SELECT projection, seq FROM seen"
	    " ORDER BY seq, projection"), "alpha|1\nbeta|2\nalpha|3");
	assert_string_equal(rows(f, "SELECT projection, seq, subject, reason,"
	    " parked_at LIKE '____-__-__T__:__:__.___Z' FROM projector_parked"),
	    "alpha|2|t.both|op is poison|1");
	assert_string_equal(rows(f, "SELECT * FROM facts"), "alpha|2|t.both");

	assert_int_equal(f->nparks, 1);
	assert_string_equal(f->parks[0].projection, "alpha");
	assert_int_equal(f->parks[0].seq, 2);
	assert_string_equal(f->parks[0].subject, "t.both");
	assert_string_equal(f->parks[0].reason, "op is poison");

	assert_int_equal(fold_stats(f->fold)->parked, 1);
	assert_int_equal(fold_stats(f->fold)->applied, 3);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 3);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 3);
}

/*
 * A refusal before any write costs no savepoint and no second pass; one
 * after a write folds its batch again, with savepoints, and the batch
 * after that goes without them again.
 */
static void
test_poison_savepoints(void **state)
{
	static const struct msg refused[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.a.x", "{\"op\": \"refuse\"}" },
		{ 3, "t.a.x", "{\"n\": 2}" },
	};
	static const struct msg wrote[] = {
		{ 4, "t.a.x", "{\"op\": \"poison\", \"n\": 50}" },
		{ 5, "t.a.x", "{\"n\": 3}" },
	};
	static const struct msg after[] = {
		{ 6, "t.a.x", "{\"op\": \"refuse\"}" },
		{ 7, "t.a.x", "{\"op\": \"poison\", \"n\": 50}" },
	};
	struct fx *f = *state;

	open_fold(f, alpha_beta, 2);
	assert_int_equal(batch(f, refused, NMSGS(refused), 3), 0);
	assert_int_equal(batch(f, wrote, NMSGS(wrote), 5), 1);
	assert_int_equal(batch(f, after, NMSGS(after), 7), 1);
	/* Nothing of the refused events stays, but their parking. */
	assert_string_equal(rows(f, "SELECT * FROM counter"), "alpha|6|3");
	assert_string_equal(rows(f, "SELECT group_concat(seq) FROM"
	    " (SELECT seq FROM projector_parked ORDER BY seq)"), "2,4,6,7");
	assert_string_equal(rows(f, "SELECT group_concat(seq) FROM"
	    " (SELECT seq FROM seen ORDER BY seq)"), "1,3,5");
	/* Seq 6 was told twice: parked, rolled back, parked again (fold.h). */
	assert_int_equal(f->nparks, 5);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 7);
}

/* No reason given: the fold supplies one; no parked() hook: not needed. */
static void
test_poison_default_reason(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.g", "{\"op\": \"poison_silent\"}" },
		{ 2, "t.g", "{\"n\": 7}" },
	};
	struct fx *f = *state;

	open_fold(f, all_three, 3);
	batch(f, msgs, NMSGS(msgs), 2);
	assert_string_equal(rows(f, "SELECT projection, seq, reason FROM"
	    " projector_parked"), "gamma|1|rejected by gamma");
	assert_string_equal(rows(f, "SELECT * FROM counter"), "gamma|7|1");
	assert_string_equal(rows(f, "SELECT count(*) FROM facts"), "0");
	assert_int_equal(f->nparks, 1);
	assert_string_equal(f->parks[0].reason, "rejected by gamma");
}

/*
 * PROJ_FAIL is not the event's fault: fold_event() says FOLD_ERROR, and the
 * caller's rollback leaves nothing of the batch, earlier events included.
 */
static void
test_fail_stops_batch(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.a.x", "{\"op\": \"fail\"}" },
	};
	struct fx *f = *state;
	char err[512] = "", before[4096], after[4096];

	open_fold(f, alpha_only, 1);
	snapshot(f, before, sizeof(before));
	feed(f, msgs, 1);
	assert_int_equal(fold_event(f->fold, msgs[1].seq, 0, msgs[1].subject,
	    msgs[1].payload, strlen(msgs[1].payload), err, sizeof(err)),
	    FOLD_ERROR);
	assert_string_equal(err, "alpha failed on seq 2: asked to fail");
	fold_rollback(f->fold);
	snapshot(f, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(f->nparks, 0);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 0);

	/* The fold is still usable: the next batch commits. */
	batch(f, msgs, 1, 1);
	assert_string_equal(rows(f, "SELECT * FROM counter"), "alpha|1|1");
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 1);
}

/*
 * PROJ_FAIL because SQLite ran out of room is transient: FOLD_RETRY, and
 * the same batch commits once there is room. The cap is max_page_count,
 * which makes the fake's 1 MiB blob fail with SQLITE_FULL, a code that
 * fold.c retries like SQLITE_BUSY.
 */
static void
test_fail_full_is_retry(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.x", "{\"n\": 1}" },
		{ 2, "t.a.x", "{\"op\": \"fill\"}" },
	};
	struct fx *f = *state;
	char err[512] = "", sql[128];

	open_fold(f, alpha_only, 1);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    testdb_int(f->db, "PRAGMA page_count") + 4);
	assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
	feed(f, msgs, 1);
	assert_int_equal(fold_event(f->fold, msgs[1].seq, 0, msgs[1].subject,
	    msgs[1].payload, strlen(msgs[1].payload), err, sizeof(err)),
	    FOLD_RETRY);
	assert_non_null(strstr(err, "alpha failed on seq 2: "));
	assert_non_null(strstr(err, "full"));
	fold_rollback(f->fold);
	assert_string_equal(rows(f, "SELECT count(*) FROM counter"), "0");

	assert_int_equal(sqlite3_exec(f->db, "PRAGMA max_page_count = 1000000",
	    NULL, NULL, NULL), SQLITE_OK);
	batch(f, msgs, NMSGS(msgs), 2);
	assert_string_equal(rows(f, "SELECT count(*) FROM blobs"), "1");
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 2);
}

/*
 * Subjects no projection wants are counted in projector_meta, once per
 * message, and still move the checkpoints.
 */
static void
test_unknown_subjects_counted(void **state)
{
	static const struct msg first[] = {
		{ 1, "t.zzz", "{}" },
		{ 2, "t.a.x", "{\"n\": 1}" },
		{ 3, "other.subject", "{}" },
	};
	static const struct msg second[] = {
		{ 3, "other.subject", "{}" },		/* redelivered */
		{ 4, "t.a", "{}" },		/* '>' needs a token */
		{ 4, "t.a", "{}" },		/* twice in a batch */
	};
	struct fx *f = *state;

	open_fold(f, alpha_only, 1);
	batch(f, first, NMSGS(first), 3);
	assert_string_equal(rows(f, "SELECT key, value FROM projector_meta"),
	    "unknown_events|2");
	assert_int_equal(fold_stats(f->fold)->unknown, 2);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 3);

	batch(f, second, NMSGS(second), 4);
	assert_string_equal(rows(f, "SELECT key, value FROM projector_meta"),
	    "unknown_events|3");
	assert_int_equal(fold_stats(f->fold)->unknown, 3);
	assert_int_equal(fold_stats(f->fold)->duplicates, 2);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 4);
	assert_string_equal(rows(f, "SELECT count(*) FROM seen"), "1");
}

/*
 * A subject that is not UTF-8 is wanted by no projection, even one whose
 * filters match its bytes: it counts as unknown, and its payload is never
 * decoded (exactly as a subject no filter matches).
 */
static void
test_subject_not_utf8_unknown(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.a.\xff", "{\"n\": 1}" },
		{ 2, "t.a.\xc3\xa9", "{\"n\": 2}" },
		{ 3, "t.both\xc3", "{}" },
	};
	struct fx *f = *state;

	open_fold(f, alpha_only, 1);
	batch(f, msgs, NMSGS(msgs), 3);
	assert_int_equal(fold_stats(f->fold)->unknown, 2);
	assert_int_equal(fold_stats(f->fold)->applied, 1);
	assert_string_equal(rows(f, "SELECT key, value FROM projector_meta"),
	    "unknown_events|2");
	assert_string_equal(rows(f, "SELECT count(*) FROM seen"), "1");
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 3);
}

/*
 * A projection that wants none of a batch's subjects still advances to the
 * batch's last sequence, unknown subjects included, so that the minimum
 * checkpoint (where the consumer restarts) moves on.
 */
static void
test_unwanted_subjects_advance_checkpoint(void **state)
{
	static const struct msg first[] = {
		{ 1, "t.a.x", "{}" },
		{ 2, "t.a.y", "{}" },
	};
	static const struct msg second[] = {
		{ 3, "t.a.x", "{}" },
		{ 7, "t.zzz", "{}" },		/* a gap, then unknown */
	};
	struct fx *f = *state;

	open_fold(f, alpha_beta, 2);
	batch(f, first, NMSGS(first), 9);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 2);
	batch(f, second, NMSGS(second), 9);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 7);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 7);
	assert_int_equal(fold_min_checkpoint(f->fold), 7);
	assert_string_equal(rows(f, "SELECT projection, last_seq,"
	    " stream_last_seq FROM projector_status ORDER BY projection"),
	    "alpha|7|9\nbeta|7|9");
	assert_string_equal(rows(f, "SELECT count(*) FROM counter WHERE"
	    " projection = 'beta'"), "0");
}

/*
 * One decode per event, shared by every projection (same json pointer,
 * while the first projection still holds it); invalid JSON reaches apply()
 * as json NULL with json_error set, the same text for each projection and
 * none of the payload in it.
 */
static void
test_decoded_once(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.both", "{\"n\": 1}" },
		{ 2, "t.both", "{\"n\": \"zebra" },
		{ 3, "t.both", "[1, 2]" },
		{ 4, "t.both", "" },
	};
	struct fx *f = *state;

	open_fold(f, alpha_beta, 2);
	batch(f, msgs, NMSGS(msgs), 4);
	assert_string_equal(rows(f, "SELECT seq, count(*),"
	    " count(DISTINCT json_ptr) FROM seen WHERE json_ptr IS NOT NULL"
	    " GROUP BY seq ORDER BY seq"), "1|2|1\n3|2|1");
	assert_string_equal(rows(f, "SELECT seq, count(*),"
	    " count(DISTINCT json_error) FROM seen WHERE json_ptr IS NULL"
	    " AND json_error IS NOT NULL GROUP BY seq ORDER BY seq"),
	    "2|2|1\n4|2|1");
	assert_string_equal(rows(f, "SELECT json_error FROM seen WHERE"
	    " projection = 'alpha' AND seq = 4"), "payload is empty, not JSON");
	assert_string_equal(rows(f, "SELECT json_error LIKE"
	    " 'payload is not valid JSON: %', instr(json_error, 'zebra')"
	    " FROM seen WHERE projection = 'alpha' AND seq = 2"), "1|0");
	assert_string_equal(rows(f, "SELECT count(*) FROM seen WHERE"
	    " json_ptr IS NOT NULL AND json_error IS NOT NULL"), "0");
}

/*
 * A projection added later starts at 0 and gets every event again, while
 * the one already there skips what it has; the consumer restarts from the
 * minimum.
 */
static void
test_new_projection_starts_at_zero(void **state)
{
	static const struct msg msgs[] = {
		{ 1, "t.both", "{\"n\": 1}" },
		{ 2, "t.both", "{\"n\": 2}" },
		{ 3, "t.b.x", "{\"n\": 4}" },
		{ 4, "t.both", "{\"n\": 8}" },
		{ 5, "t.both", "{\"n\": 16}" },
		{ 6, "t.a.x", "{\"n\": 32}" },
	};
	struct fx *f = *state;

	open_fold(f, alpha_only, 1);
	batch(f, msgs, 4, 4);
	assert_int_equal(fold_min_checkpoint(f->fold), 4);

	reopen_fold(f, alpha_beta, 2);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 4);
	assert_int_equal(fold_checkpoint(f->fold, "beta"), 0);
	assert_int_equal(fold_min_checkpoint(f->fold), 0);
	assert_string_equal(rows(f, "SELECT projection, last_seq FROM"
	    " projector_status ORDER BY projection"), "alpha|4\nbeta|0");

	batch(f, msgs, NMSGS(msgs), 6);
	assert_string_equal(rows(f, "SELECT * FROM counter"
	    " ORDER BY projection"),
	    "alpha|59|5\nbeta|31|5");
	/* seq 3 is beta's only; seqs 1, 2 and 4 are new for beta. */
	assert_int_equal(fold_stats(f->fold)->duplicates, 0);
	assert_int_equal(fold_stats(f->fold)->applied, 7);
	assert_int_equal(fold_min_checkpoint(f->fold), 6);
}

/*
 * Another connection holding the write lock makes fold_begin() wait out
 * the busy timeout and say FOLD_RETRY, never FOLD_ERROR; once the lock is
 * gone the batch goes through.
 */
static void
test_begin_busy_is_retry(void **state)
{
	static const struct msg msgs[] = { { 1, "t.a.x", "{\"n\": 1}" } };
	struct fx *f = *state;
	sqlite3 *other;
	char err[512] = "";

	open_fold(f, alpha_only, 1);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(f->db, 20);
	assert_int_equal(fold_begin(f->fold, err, sizeof(err)), FOLD_RETRY);
	assert_non_null(strstr(err, "database is locked"));
	assert_true(sqlite3_get_autocommit(f->db));

	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	batch(f, msgs, NMSGS(msgs), 1);
	assert_int_equal(fold_checkpoint(f->fold, "alpha"), 1);
}

static void
test_open_errors(void **state)
{
	const struct projection *many[PROJECTION_MAX + 1];
	const struct projection *const with_broken[] = {
		&proj_alpha, &proj_broken
	};
	struct fx *f = *state;
	struct fold *sentinel = (struct fold *)&sentinel, *out = sentinel;
	sqlite3 *bare;
	char err[512] = "";
	size_t i;

	for (i = 0; i < PROJECTION_MAX + 1; i++)
		many[i] = &proj_alpha;
	assert_int_equal(fold_open(f->db, NULL, many, PROJECTION_MAX + 1, &out,
	    err, sizeof(err)), FOLD_ERROR);
	assert_string_equal(err, "more than 32 projections");
	assert_ptr_equal(out, sentinel);

	/* alpha's state, made before broken failed, is released (valgrind). */
	assert_int_equal(fold_open(f->db, NULL, with_broken, 2, &out, err,
	    sizeof(err)), FOLD_ERROR);
	assert_string_equal(err, "broken: cannot init");
	assert_ptr_equal(out, sentinel);

	/* A database without the core migration. */
	assert_int_equal(sqlite3_open(":memory:", &bare), SQLITE_OK);
	assert_int_equal(fold_open(bare, NULL, alpha_only, 1, &out, err, sizeof(err)),
	    FOLD_ERROR);
	assert_non_null(strstr(err, "no such table: projector_"));
	assert_ptr_equal(out, sentinel);
	sqlite3_close(bare);

	/* No projection at all is a valid, if idle, fold. */
	open_fold(f, alpha_only, 0);
	assert_int_equal(fold_min_checkpoint(f->fold), 0);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_checkpoint_committed_and_reloaded),
		T(test_duplicates_skipped),
		T(test_redelivered_batch_changes_nothing),
		T(test_rollback_then_refold),
		T(test_close_rolls_back),
		T(test_poison_parked),
		T(test_poison_savepoints),
		T(test_poison_default_reason),
		T(test_fail_stops_batch),
		T(test_fail_full_is_retry),
		T(test_unknown_subjects_counted),
		T(test_unwanted_subjects_advance_checkpoint),
		T(test_subject_not_utf8_unknown),
		T(test_decoded_once),
		T(test_new_projection_starts_at_zero),
		T(test_begin_busy_is_retry),
		T(test_open_errors),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
