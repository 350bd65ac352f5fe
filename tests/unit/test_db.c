/*
 * test_db.c: db_open() and its lock, the pragmas the worker relies on,
 * db_migrate(), db_set_state() and db_open_readonly(), on files in a
 * temporary directory of each test's own; and the SQL helpers (db_exec(),
 * db_step_done(), the named binders, db_retryable()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "migrate.h"
#include "projections.h"
#include "testdb.h"
#include "tmp.h"

struct fx {
	char	 dir[512];
	char	 path[600];
	struct db *d;
	char	 buf[1024];
};

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	if (tmp_dir("test-db-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/account.db", f->dir);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->d);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

static struct db *
open_ok(const char *path)
{
	struct db *d = NULL;
	char err[512] = "";

	if (db_open(path, &d, err, sizeof(err)) != DB_OK)
		fail_msg("db_open: %s", err);
	assert_non_null(d);
	return d;
}

static const char *
rows(struct fx *f, sqlite3 *db, const char *sql)
{
	return testdb_rows(db, sql, f->buf, sizeof(f->buf));
}

/* Core migrated, with two status rows whose updated_at is a marker. */
static void
open_with_status(struct fx *f)
{
	char err[512] = "";

	f->d = open_ok(f->path);
	if (db_migrate(f->d, NULL, NULL, err, sizeof(err)) == -1)
		fail_msg("db_migrate: %s", err);
	assert_int_equal(sqlite3_exec(db_handle(f->d), "INSERT INTO"
	    " projector_status (projection, version, updated_at) VALUES"
	    " ('a', 1, 'old'), ('b', 1, 'old')", NULL, NULL, NULL), SQLITE_OK);
}

static void
test_open_creates_wal(void **state)
{
	struct fx *f = *state;
	char lockpath[700];
	struct stat st;
	sqlite3 *db;

	assert_int_equal(stat(f->path, &st), -1);
	f->d = open_ok(f->path);
	db = db_handle(f->d);
	assert_non_null(db);
	assert_int_equal(stat(f->path, &st), 0);
	snprintf(lockpath, sizeof(lockpath), "%s.lock", f->path);
	assert_int_equal(stat(lockpath, &st), 0);
	assert_string_equal(rows(f, db, "PRAGMA journal_mode"), "wal");
	assert_string_equal(rows(f, db, "PRAGMA synchronous"), "1");
	assert_string_equal(rows(f, db, "PRAGMA busy_timeout"), "5000");
	assert_string_equal(rows(f, db, "PRAGMA trusted_schema"), "0");
	assert_string_equal(rows(f, db, "PRAGMA foreign_keys"), "0");
	/* WAL is a property of the file: a plain connection sees it too. */
	db_close(f->d);
	f->d = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_string_equal(rows(f, db, "PRAGMA journal_mode"), "wal");
	sqlite3_close(db);
}

/*
 * A second writer on the same file is refused at once, with a message that
 * names the database and the lock; the lock goes with db_close().
 */
static void
test_second_open_locked(void **state)
{
	struct fx *f = *state;
	struct db *sentinel = (struct db *)&sentinel, *d2 = sentinel;
	char err[1024] = "", want[1400];

	f->d = open_ok(f->path);
	assert_int_equal(db_open(f->path, &d2, err, sizeof(err)), DB_ELOCKED);
	assert_ptr_equal(d2, sentinel);
	snprintf(want, sizeof(want), "%s is in use by another projector"
	    " (lock %s.lock held); stop it first", f->path, f->path);
	assert_string_equal(err, want);

	db_close(f->d);
	f->d = open_ok(f->path);
}

static void
test_open_missing_directory(void **state)
{
	struct fx *f = *state;
	struct db *sentinel = (struct db *)&sentinel, *d = sentinel;
	char path[700], err[1024] = "";
	struct stat st;

	snprintf(path, sizeof(path), "%s/nosuch/account.db", f->dir);
	assert_int_equal(db_open(path, &d, err, sizeof(err)), DB_ECREATE);
	assert_ptr_equal(d, sentinel);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(stat(path, &st), -1);
}

/* A file that is not SQLite shows at the first pragma: DB_ECREATE. */
static void
test_open_not_a_database(void **state)
{
	struct fx *f = *state;
	struct db *d = NULL;
	char text[600], err[1024] = "";

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(tmp_write_file(f->path, text), 0);
	assert_int_equal(db_open(f->path, &d, err, sizeof(err)), DB_ECREATE);
	assert_null(d);
	assert_true(strncmp(err, f->path, strlen(f->path)) == 0);
	assert_non_null(strstr(err, "not a database"));
	/* The failed open released its lock. */
	f->d = NULL;
	assert_int_equal(tmp_write_file(f->path, ""), 0);
	f->d = open_ok(f->path);
}

/* Each db_open() error has the exit code its enum comment names. */
static void
test_sysexit(void **state)
{
	(void)state;
	assert_int_equal(db_sysexit(DB_OK), 0);
	assert_int_equal(db_sysexit(DB_ELOCKED), EX_TEMPFAIL);
	assert_int_equal(db_sysexit(DB_ECREATE), EX_CANTCREAT);
	assert_int_equal(db_sysexit(DB_EIO), EX_IOERR);
}

static void
test_migrate_core(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	int applied = -1;
	size_t i, ncore = 0;

	for (i = 0; migrations_core[i].name != NULL; i++)
		ncore++;
	f->d = open_ok(f->path);
	assert_int_equal(db_migrate(f->d, NULL, &applied, err, sizeof(err)),
	    0);
	assert_int_equal(applied, (int)ncore);
	assert_int_equal(db_migrate(f->d, NULL, &applied, err, sizeof(err)),
	    0);
	assert_int_equal(applied, 0);
	assert_string_equal(rows(f, db_handle(f->d), "SELECT count(*) FROM"
	    " projector_status"), "0");
}

/*
 * With the built-in table: core, then each projection's scope, every file
 * once (in the table's order, or a view would miss the tables it reads);
 * the archive's scope belongs to the archive's file, never to a database.
 */
static void
test_migrate_table(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	int applied = -1, want = 0;
	size_t i, j;

	for (i = 0; migrations_core[i].name != NULL; i++)
		want++;
	for (i = 0; projections_builtin[i] != NULL; i++) {
		const struct projection_migration *m =
		    projections_builtin[i]->migrations;

		for (j = 0; m[j].name != NULL; j++)
			want++;
	}
	f->d = open_ok(f->path);
	assert_int_equal(db_migrate(f->d, projections_builtin, &applied, err,
	    sizeof(err)), 0);
	assert_int_equal(applied, want);
	assert_string_equal(rows(f, db_handle(f->d), "SELECT"
	    " group_concat(scope) FROM (SELECT DISTINCT scope"
	    " FROM projector_migrations ORDER BY scope)"),
	    "core,leaderboard,player_profiles,session_history");
	assert_int_equal(db_migrate(f->d, projections_builtin, &applied, err,
	    sizeof(err)), 0);
	assert_int_equal(applied, 0);
}

static void
test_set_state(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3 *db;

	open_with_status(f);
	db = db_handle(f->d);
	assert_int_equal(db_set_state(f->d, "a", "live", NULL, err,
	    sizeof(err)), 0);
	assert_string_equal(rows(f, db, "SELECT projection, state, last_error,"
	    " updated_at LIKE '____-__-__T__:__:__.___Z' FROM projector_status"
	    " ORDER BY projection"), "a|live|NULL|1\nb|stopped|NULL|0");

	/* NULL projection: every row. */
	assert_int_equal(db_set_state(f->d, NULL, "failed", "disk \"full\"",
	    err, sizeof(err)), 0);
	assert_string_equal(rows(f, db, "SELECT projection, state, last_error"
	    " FROM projector_status ORDER BY projection"),
	    "a|failed|disk \"full\"\nb|failed|disk \"full\"");

	/* NULL last_error clears it. */
	assert_int_equal(db_set_state(f->d, "b", "live", NULL, err,
	    sizeof(err)), 0);
	assert_string_equal(rows(f, db, "SELECT projection, state, last_error"
	    " FROM projector_status ORDER BY projection"),
	    "a|failed|disk \"full\"\nb|live|NULL");

	/* An unknown projection is no error: there is just no row. */
	assert_int_equal(db_set_state(f->d, "zz", "live", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(sqlite3_changes(db), 0);
}

static void
test_set_state_refused(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	open_with_status(f);
	assert_int_equal(db_set_state(f->d, "a", "bogus", NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "updating projector_status: "));
	assert_non_null(strstr(err, "CHECK constraint failed"));
	assert_string_equal(rows(f, db_handle(f->d), "SELECT"
	    " group_concat(state) FROM projector_status"), "stopped,stopped");
}

/* Rebuild progress in the status row; counters in projector_meta. */
static void
test_rebuild_and_meta(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3 *db;

	open_with_status(f);
	db = db_handle(f->d);
	assert_int_equal(db_set_rebuild(f->d, "a", 0, 600, err, sizeof(err)),
	    0);
	assert_int_equal(db_set_rebuild(f->d, "b", 250, 600, err,
	    sizeof(err)), 0);
	assert_string_equal(rows(f, db, "SELECT projection, rebuild_seq,"
	    " rebuild_target FROM projector_status ORDER BY projection"),
	    "a|0|600\nb|250|600");
	assert_int_equal(db_set_rebuild(f->d, "b", 250, 0, err, sizeof(err)),
	    0);
	assert_string_equal(rows(f, db, "SELECT projection, rebuild_seq,"
	    " rebuild_target FROM projector_status ORDER BY projection"),
	    "a|0|600\nb|NULL|NULL");

	assert_int_equal(db_add_meta(f->d, "gap_events", 3, err, sizeof(err)),
	    0);
	assert_int_equal(db_add_meta(f->d, "gap_events", 4, err, sizeof(err)),
	    0);
	assert_string_equal(rows(f, db, "SELECT key, value FROM projector_meta"
	    " WHERE key = 'gap_events'"), "gap_events|7");
}

/* db_exec(): SQLite's reason after what, or after the SQL itself. */
static void
test_exec(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3 *db;

	f->d = open_ok(f->path);
	db = db_handle(f->d);
	assert_int_equal(db_exec(db, "CREATE TABLE t (a NOT NULL);"
	    " INSERT INTO t VALUES (1)", NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(db_exec(db, "INSERT INTO nosuch VALUES (1)", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "INSERT INTO nosuch VALUES (1): no such table: nosuch");
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (NULL)",
	    "adding a row", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "adding a row: NOT NULL constraint failed: t.a");
	assert_string_equal(rows(f, db, "SELECT group_concat(a) FROM t"), "1");
}

/*
 * db_step_done() leaves the statement reset with no bindings, ready for the
 * next run, and names the statement (or what) in its error; the binders find
 * parameters by name and refuse one the statement does not have.
 */
static void
test_step_done_and_bind(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3_stmt *st = NULL;
	sqlite3 *db;

	f->d = open_ok(f->path);
	db = db_handle(f->d);
	assert_int_equal(db_exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY,"
	    " n INTEGER NOT NULL)", NULL, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (:k, :n)",
	    -1, &st, NULL), SQLITE_OK);

	assert_int_equal(db_bind_text(st, ":k", "a"), 0);
	assert_int_equal(db_bind_int64(st, ":n", INT64_MAX), 0);
	assert_int_equal(db_step_done(st, NULL, err, sizeof(err)), 0);
	assert_false(sqlite3_stmt_busy(st));
	/* The bindings are gone: n is NULL now. */
	assert_int_equal(db_bind_text(st, ":k", "b"), 0);
	assert_int_equal(db_step_done(st, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "INSERT INTO t VALUES (:k, :n):"
	    " NOT NULL constraint failed: t.n");
	assert_false(db_retryable(db));
	assert_int_equal(db_bind_text(st, ":k", "a"), 0);
	assert_int_equal(db_bind_int64(st, ":n", -1), 0);
	assert_int_equal(db_step_done(st, "adding a", err, sizeof(err)), -1);
	assert_string_equal(err,
	    "adding a: UNIQUE constraint failed: t.k");

	/* A name the statement lacks is refused, and nothing is bound. */
	assert_int_equal(db_bind_text(st, ":nosuch", "x"), -1);
	assert_int_equal(sqlite3_errcode(db), SQLITE_RANGE);
	assert_int_equal(db_bind_int64(st, "k", 1), -1);
	/* A NULL text binds SQL NULL. */
	assert_int_equal(db_bind_text(st, ":k", NULL), 0);
	assert_int_equal(db_bind_int64(st, ":n", 7), 0);
	assert_int_equal(db_step_done(st, NULL, err, sizeof(err)), 0);
	sqlite3_finalize(st);
	assert_string_equal(rows(f, db, "SELECT k, n FROM t ORDER BY n"),
	    "NULL|7\na|9223372036854775807");
}

/*
 * A lock held by another connection may go away: retryable. A constraint
 * or a missing table will not.
 */
static void
test_retryable(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3 *db, *other = NULL;

	f->d = open_ok(f->path);
	db = db_handle(f->d);
	assert_int_equal(db_exec(db, "CREATE TABLE t (a)", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(db_exec(other, "BEGIN IMMEDIATE", NULL, err,
	    sizeof(err)), 0);
	sqlite3_busy_timeout(db, 0);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (1)", NULL, err,
	    sizeof(err)), -1);
	assert_true(db_retryable(db));
	sqlite3_close(other);
	assert_int_equal(db_exec(db, "INSERT INTO nosuch VALUES (1)", NULL,
	    err, sizeof(err)), -1);
	assert_false(db_retryable(db));
}

/* db_ensure_status() creates a row once, on any connection. */
static void
test_ensure_status(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	sqlite3 *db;
	int version = -1;

	open_with_status(f);
	db = db_handle(f->d);
	assert_int_equal(db_ensure_status(db, "c", 4, err, sizeof(err)), 0);
	assert_int_equal(db_ensure_status(db, "c", 5, err, sizeof(err)), 0);
	assert_int_equal(db_ensure_status(db, "a", 9, err, sizeof(err)), 0);
	assert_string_equal(rows(f, db, "SELECT projection, version, last_seq,"
	    " updated_at LIKE '____-__-__T__:__:__.___Z' FROM projector_status"
	    " ORDER BY projection"), "a|1|0|0\nb|1|0|0\nc|4|0|1");
	assert_int_equal(db_get_version(f->d, "c", &version, err,
	    sizeof(err)), 0);
	assert_int_equal(version, 4);
}

/*
 * A reader (`projector status`, a website) opens the file while the worker
 * holds its lock and is halfway through a batch: it reads the last commit
 * without waiting, cannot write, and sees the batch once committed.
 */
static void
test_readonly_while_writer(void **state)
{
	struct fx *f = *state;
	sqlite3 *ro = NULL, *w;
	char err[512] = "";

	open_with_status(f);
	w = db_handle(f->d);
	assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE;"
	    " UPDATE projector_status SET last_seq = 42", NULL, NULL, NULL),
	    SQLITE_OK);

	assert_int_equal(db_open_readonly(f->path, &ro, err, sizeof(err)), 0);
	assert_non_null(ro);
	assert_string_equal(rows(f, ro, "SELECT group_concat(last_seq) FROM"
	    " projector_status"), "0,0");
	assert_int_equal(sqlite3_exec(ro, "DELETE FROM projector_status", NULL,
	    NULL, NULL), SQLITE_READONLY);

	assert_int_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_string_equal(rows(f, ro, "SELECT group_concat(last_seq) FROM"
	    " projector_status"), "42,42");
	sqlite3_close(ro);
}

/* Read-only never creates: a missing file is an error naming it. */
static void
test_readonly_missing(void **state)
{
	struct fx *f = *state;
	sqlite3 *sentinel = (sqlite3 *)&sentinel, *ro = sentinel;
	char err[1024] = "";
	struct stat st;

	assert_int_equal(db_open_readonly(f->path, &ro, err, sizeof(err)), -1);
	assert_ptr_equal(ro, sentinel);
	assert_non_null(strstr(err, f->path));
	assert_int_equal(stat(f->path, &st), -1);
}

static void
test_close_null(void **state)
{
	struct fx *f = *state;

	db_close(NULL);
	/* Close then reopen: nothing of the first handle lingers. */
	f->d = open_ok(f->path);
	db_close(f->d);
	f->d = open_ok(f->path);
	assert_non_null(db_handle(f->d));
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_wal),
		T(test_second_open_locked),
		T(test_open_missing_directory),
		T(test_open_not_a_database),
		T(test_sysexit),
		T(test_migrate_core),
		T(test_migrate_table),
		T(test_set_state),
		T(test_set_state_refused),
		T(test_rebuild_and_meta),
		T(test_exec),
		T(test_step_done_and_bind),
		T(test_retryable),
		T(test_ensure_status),
		T(test_readonly_while_writer),
		T(test_readonly_missing),
		T(test_close_null),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
