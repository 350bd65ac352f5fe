/*
 * test_db.c: db_open() and its lock, the pragmas the worker relies on,
 * db_migrate(), db_set_state() and db_open_readonly(), on files in a
 * temporary directory of each test's own.
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
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "migrate.h"
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
	if (db_migrate(f->d, NULL, 0, NULL, err, sizeof(err)) == -1)
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

static void
test_migrate_core(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	int applied = -1;
	size_t i, ncore = 0;

	for (i = 0; i < migrate_nbuiltin; i++)
		if (strcmp(migrate_builtin[i].scope, "core") == 0)
			ncore++;
	f->d = open_ok(f->path);
	assert_int_equal(db_migrate(f->d, NULL, 0, &applied, err, sizeof(err)),
	    0);
	assert_int_equal(applied, (int)ncore);
	assert_int_equal(db_migrate(f->d, NULL, 0, &applied, err, sizeof(err)),
	    0);
	assert_int_equal(applied, 0);
	assert_string_equal(rows(f, db_handle(f->d), "SELECT count(*) FROM"
	    " projector_status"), "0");
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
		T(test_migrate_core),
		T(test_set_state),
		T(test_set_state_refused),
		T(test_readonly_while_writer),
		T(test_readonly_missing),
		T(test_close_null),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
