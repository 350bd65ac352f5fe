/*
 * test_guard.c: the rules guard.c enforces, on a real SQLite connection:
 * what a projection's calls and migrations may prepare, each denial in
 * words, and the engine's statements always allowed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "guard.h"

static const char *const own_tables[] = { "own", "own2", NULL };
static const struct projection proj = {
	.abi = PROJECTION_ABI, .size = sizeof(struct projection),
	.name = "kills", .tables = own_tables,
};

struct fx {
	sqlite3		*db;
	struct guard	 g;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sqlite3_open(":memory:", &f->db) != SQLITE_OK)
		return -1;
	guard_install(&f->g, f->db);
	*state = f;
	/* The engine's mode: anything. */
	return sqlite3_exec(f->db, "CREATE TABLE own (k PRIMARY KEY, n);"
	    "CREATE TABLE other (k, n); PRAGMA user_version = 3;",
	    NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->db);
	free(f);
	return 0;
}

/* Prepares sql under mode: SQLITE_OK, or the code it failed with. */
static int
prep(struct fx *f, enum guard_mode mode, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	guard_forget(&f->g);
	guard_enter(&f->g, mode, &proj);
	rc = sqlite3_prepare_v2(f->db, sql, -1, &st, NULL);
	guard_leave(&f->g);
	sqlite3_finalize(st);
	return rc;
}

static void
allowed(struct fx *f, enum guard_mode mode, const char *sql)
{
	if (prep(f, mode, sql) != SQLITE_OK)
		fail_msg("%s: %s (%s)", sql, sqlite3_errmsg(f->db),
		    guard_denied(&f->g) != NULL ? guard_denied(&f->g) : "");
	assert_null(guard_denied(&f->g));
}

static void
denied(struct fx *f, enum guard_mode mode, const char *sql, const char *want)
{
	/*
	 * SQLITE_AUTH, or SQLITE_ERROR for a read ("access to T.C is
	 * prohibited") and a function ("not authorized to use function").
	 */
	if (prep(f, mode, sql) == SQLITE_OK)
		fail_msg("%s: not denied", sql);
	assert_non_null(guard_denied(&f->g));
	assert_string_equal(guard_denied(&f->g), want);
}

#define CALLS	"is not allowed to projection kills in its calls: it may" \
		" only read and write its declared tables"
#define MIGR	"is not allowed to projection kills in a migration: it may" \
		" only create and change its declared tables"

/* init(), apply(), parked() and fini(): rows of its own tables only. */
static void
test_calls(void **state)
{
	struct fx *f = *state;

	allowed(f, GUARD_CALL, "INSERT INTO own (k, n) VALUES (?1, 1)"
	    " ON CONFLICT (k) DO UPDATE SET n = n + excluded.n");
	allowed(f, GUARD_CALL, "UPDATE own SET n = 0 WHERE k = ?1");
	allowed(f, GUARD_CALL, "DELETE FROM own WHERE k IN (SELECT k FROM own"
	    " WHERE n > 3)");
	allowed(f, GUARD_CALL, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
	    " SELECT x + 1 FROM c WHERE x < 3) SELECT max(x), lower('A')"
	    " FROM c");
	denied(f, GUARD_CALL, "INSERT INTO other VALUES (1, 2)",
	    "INSERT into \"other\" " CALLS);
	denied(f, GUARD_CALL, "DELETE FROM main.other",
	    "DELETE from \"other\" " CALLS);
	denied(f, GUARD_CALL, "SELECT n FROM other", "reading \"other\" "
	    CALLS);
	denied(f, GUARD_CALL, "UPDATE other SET n = 1",
	    "UPDATE of \"other\" " CALLS);
}

/* The engine's transaction, connection and schema are not theirs. */
static void
test_calls_control(void **state)
{
	struct fx *f = *state;

	denied(f, GUARD_CALL, "BEGIN", "transaction control \"BEGIN\" "
	    CALLS);
	denied(f, GUARD_CALL, "COMMIT", "transaction control \"COMMIT\" "
	    CALLS);
	denied(f, GUARD_CALL, "SAVEPOINT fold_event",
	    "SAVEPOINT \"BEGIN\" " CALLS);
	denied(f, GUARD_CALL, "RELEASE fold_event",
	    "SAVEPOINT \"RELEASE\" " CALLS);
	denied(f, GUARD_CALL, "ATTACH ':memory:' AS x",
	    "ATTACH \":memory:\" " CALLS);
	denied(f, GUARD_CALL, "PRAGMA user_version = 4",
	    "PRAGMA \"user_version\" " CALLS);
	denied(f, GUARD_CALL, "CREATE TABLE own3 (a)",
	    "CREATE TABLE \"own3\" " CALLS);
	denied(f, GUARD_CALL, "SELECT load_extension('x')",
	    "calling \"load_extension\" " CALLS);
}

/* A trigger on its own table that writes another is caught, by name. */
static void
test_trigger(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sqlite3_exec(f->db, "CREATE TRIGGER spill AFTER"
	    " INSERT ON own BEGIN INSERT INTO other VALUES (new.k, new.n);"
	    " END", NULL, NULL, NULL), SQLITE_OK);
	denied(f, GUARD_CALL, "INSERT INTO own VALUES (1, 2)",
	    "INSERT into \"other\" (in trigger or view \"spill\") " CALLS);
}

/* Migrations: its own tables and their indexes, triggers and views. */
static void
test_migrations(void **state)
{
	struct fx *f = *state;

	allowed(f, GUARD_MIGRATION, "CREATE TABLE own2 (a, b)");
	assert_int_equal(sqlite3_exec(f->db, "CREATE TABLE own2 (a, b)", NULL,
	    NULL, NULL), SQLITE_OK);
	allowed(f, GUARD_MIGRATION, "CREATE INDEX own2_a ON own2 (a)");
	allowed(f, GUARD_MIGRATION, "ALTER TABLE own2 ADD COLUMN c");
	allowed(f, GUARD_MIGRATION, "CREATE VIEW kill_feed AS SELECT o.k,"
	    " x.n FROM own o JOIN other x USING (k)");
	allowed(f, GUARD_MIGRATION, "CREATE TRIGGER t AFTER INSERT ON own2"
	    " BEGIN UPDATE own SET n = n + 1; END");
	allowed(f, GUARD_MIGRATION, "INSERT INTO own2 SELECT k, n FROM"
	    " other");
	denied(f, GUARD_MIGRATION, "CREATE TABLE stolen (a)",
	    "CREATE TABLE \"stolen\" " MIGR);
	denied(f, GUARD_MIGRATION, "CREATE INDEX o_k ON other (k)",
	    "CREATE INDEX \"other\" " MIGR);
	denied(f, GUARD_MIGRATION, "DROP TABLE other",
	    "DROP TABLE \"other\" " MIGR);
	denied(f, GUARD_MIGRATION, "INSERT INTO other VALUES (1, 1)",
	    "INSERT into \"other\" " MIGR);
	denied(f, GUARD_MIGRATION, "PRAGMA journal_mode = DELETE",
	    "PRAGMA \"journal_mode\" " MIGR);
	denied(f, GUARD_MIGRATION, "CREATE TEMP TABLE t (a)",
	    "CREATE TEMP TABLE \"t\" " MIGR);
}

/*
 * Between calls, the engine's statements are allowed; only the first
 * denial is kept until forgotten.
 */
static void
test_engine_and_first(void **state)
{
	struct fx *f = *state;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_exec(f->db, "BEGIN; INSERT INTO other VALUES"
	    " (1, 1); SAVEPOINT s; RELEASE s; COMMIT; PRAGMA user_version = 5",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_null(guard_denied(&f->g));
	guard_enter(&f->g, GUARD_CALL, &proj);
	assert_int_equal(sqlite3_prepare_v2(f->db, "BEGIN", -1, &st, NULL),
	    SQLITE_AUTH);
	assert_int_equal(sqlite3_prepare_v2(f->db, "PRAGMA user_version", -1,
	    &st, NULL), SQLITE_AUTH);
	guard_leave(&f->g);
	assert_string_equal(guard_denied(&f->g),
	    "transaction control \"BEGIN\" " CALLS);
	guard_forget(&f->g);
	assert_null(guard_denied(&f->g));
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_calls),
		T(test_calls_control),
		T(test_trigger),
		T(test_migrations),
		T(test_engine_and_first),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
