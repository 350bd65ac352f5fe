/*
 * test_verify.c: verify_compare() on two hand-made databases, the live view
 * and its rebuild: what counts as a difference (a row on one side only, a
 * REAL one bit apart, NULL against 0, a parked event), what does not (row
 * order, another projection's parked events, when an event was parked), and
 * the lines it prints, read back from a tmpfile().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "verify.h"

/* A projection that owns one table, t, of every kind of value. */
static const char *const fake_tables[] = { "t", NULL };
static const struct projection fake = {
	.abi = PROJECTION_ABI, .size = sizeof(struct projection),
	.name = "fake",
	.version = 1,
	.tables = fake_tables,
};

static const char schema_sql[] =
	"CREATE TABLE t (k INTEGER PRIMARY KEY, r REAL, s TEXT, n INTEGER);"
	"CREATE TABLE projector_parked (projection TEXT NOT NULL,"
	" seq INTEGER NOT NULL, subject TEXT NOT NULL, reason TEXT NOT NULL,"
	" parked_at TEXT NOT NULL, PRIMARY KEY (projection, seq))"
	" WITHOUT ROWID;";

/* The rows both sides start with, written in a different order on each. */
static const char rows_sql[] =
	"INSERT INTO t VALUES (1, 1.5, 'a', 10), (2, NULL, NULL, NULL);"
	"INSERT INTO projector_parked VALUES"
	" ('fake', 7, 'v0.x', 'bad json', '2026-01-01T00:00:00.000Z');";
static const char rows_reversed_sql[] =
	"INSERT INTO projector_parked VALUES"
	" ('fake', 7, 'v0.x', 'bad json', '2026-11-27T21:00:00.000Z');"
	"INSERT INTO t VALUES (2, NULL, NULL, NULL);"
	"INSERT INTO t VALUES (1, 1.5, 'a', 10);";

struct fx {
	sqlite3	*live;
	sqlite3	*rebuilt;
	FILE	*out;
	size_t	 ndiffs;
	char	 err[512];
	char	 text[8192];	/* what verify_compare() printed */
};

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	if (sqlite3_open(":memory:", &f->live) != SQLITE_OK ||
	    sqlite3_open(":memory:", &f->rebuilt) != SQLITE_OK ||
	    (f->out = tmpfile()) == NULL)
		return -1;
	exec_ok(f->live, schema_sql);
	exec_ok(f->rebuilt, schema_sql);
	exec_ok(f->live, rows_sql);
	exec_ok(f->rebuilt, rows_reversed_sql);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->live);
	sqlite3_close(f->rebuilt);
	if (f->out != NULL)
		fclose(f->out);
	free(f);
	return 0;
}

/*
 * Runs verify_compare() on fake; fails the test unless it returns 0. Leaves
 * the number of differences in f->ndiffs and the printed text in f->text.
 */
static void
compare(struct fx *f)
{
	size_t n;

	rewind(f->out);
	f->ndiffs = 12345;
	if (verify_compare(f->live, f->rebuilt, &fake, f->out, &f->ndiffs,
	    f->err, sizeof(f->err)) == -1)
		fail_msg("verify_compare: %s", f->err);
	fflush(f->out);
	n = (size_t)ftell(f->out);
	assert_true(n < sizeof(f->text));
	rewind(f->out);
	assert_int_equal(fread(f->text, 1, n, f->out), n);
	f->text[n] = '\0';
}

/* The next double above v (v > 0), without libm. */
static double
next_up(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	bits++;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* Sets column r of t's row k to the double v in db. */
static void
set_real(sqlite3 *db, int k, double v)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE t SET r = ?1"
	    " WHERE k = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_double(st, 1, v);
	sqlite3_bind_int(st, 2, k);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/*
 * The same rows and parked events, inserted in another order and parked at
 * other times: equal, and nothing printed.
 */
static void
test_equal(void **state)
{
	struct fx *f = *state;

	compare(f);
	assert_int_equal(f->ndiffs, 0);
	assert_string_equal(f->text, "");
}

/* Empty on both sides is equal too. */
static void
test_equal_empty(void **state)
{
	struct fx *f = *state;

	exec_ok(f->live, "DELETE FROM t; DELETE FROM projector_parked");
	exec_ok(f->rebuilt, "DELETE FROM t; DELETE FROM projector_parked");
	compare(f);
	assert_int_equal(f->ndiffs, 0);
	assert_string_equal(f->text, "");
}

/* A row only in the live view: one difference, the row in SQL literals. */
static void
test_only_live(void **state)
{
	struct fx *f = *state;

	exec_ok(f->live, "INSERT INTO t VALUES (3, 2.5, 'it''s', -4)");
	compare(f);
	assert_int_equal(f->ndiffs, 1);
	assert_string_equal(f->text,
	    "  t: only in the live view: (3, 2.5, 'it''s', -4)\n");
}

/* A row only in the rebuild, sorted before the common rows. */
static void
test_only_rebuilt(void **state)
{
	struct fx *f = *state;

	exec_ok(f->rebuilt, "INSERT INTO t VALUES (0, NULL, 'z', NULL)");
	compare(f);
	assert_int_equal(f->ndiffs, 1);
	assert_string_equal(f->text,
	    "  t: only in the rebuilt view: (0, NULL, 'z', NULL)\n");
}

/*
 * A REAL one bit apart is a difference (a fold that is not a pure function
 * of the stream often shows only there), and the two printed rows must show
 * it: with SQLite's 15 significant digits both would read 0.3.
 */
static void
test_real_last_bit(void **state)
{
	struct fx *f = *state;
	double a = 0.3, b = next_up(0.3);

	assert_true(a != b);
	set_real(f->live, 1, a);
	set_real(f->rebuilt, 1, b);
	compare(f);
	assert_int_equal(f->ndiffs, 2);
	assert_string_equal(f->text,
	    "  t: only in the live view: (1, 0.3, 'a', 10)\n"
	    "  t: only in the rebuilt view:"
	    " (1, 0.30000000000000004, 'a', 10)\n");
}

/* A whole REAL prints as a REAL, as SQLite writes it. */
static void
test_real_whole(void **state)
{
	struct fx *f = *state;

	set_real(f->live, 1, 2.0);
	compare(f);
	assert_int_equal(f->ndiffs, 2);
	assert_string_equal(f->text,
	    "  t: only in the rebuilt view: (1, 1.5, 'a', 10)\n"
	    "  t: only in the live view: (1, 2.0, 'a', 10)\n");
}

/* NULL is not 0, nor '' (and NULL prints as NULL, '' as ''). */
static void
test_null_vs_zero(void **state)
{
	struct fx *f = *state;

	exec_ok(f->rebuilt, "UPDATE t SET n = 0, s = '' WHERE k = 2");
	compare(f);
	assert_int_equal(f->ndiffs, 2);
	assert_string_equal(f->text,
	    "  t: only in the live view: (2, NULL, NULL, NULL)\n"
	    "  t: only in the rebuilt view: (2, NULL, '', 0)\n");
}

/*
 * Empty texts compare equal, and below any other text ('' has no bytes:
 * SQLite may hand a NULL pointer for it, which memcmp() must not get).
 */
static void
test_empty_text(void **state)
{
	struct fx *f = *state;

	exec_ok(f->live, "UPDATE t SET s = '' WHERE k = 2");
	exec_ok(f->rebuilt, "UPDATE t SET s = '' WHERE k = 2");
	compare(f);
	assert_int_equal(f->ndiffs, 0);
	exec_ok(f->rebuilt, "UPDATE t SET s = 'b' WHERE k = 2");
	compare(f);
	assert_int_equal(f->ndiffs, 2);
	assert_string_equal(f->text,
	    "  t: only in the live view: (2, NULL, '', NULL)\n"
	    "  t: only in the rebuilt view: (2, NULL, 'b', NULL)\n");
}

/*
 * Parked events of the projection compare by seq, subject and reason: a
 * reason changed and an event parked only in the rebuild are differences;
 * another projection's parked events are none of verify's business.
 */
static void
test_parked(void **state)
{
	struct fx *f = *state;

	exec_ok(f->live, "UPDATE projector_parked SET reason = 'no player'"
	    " WHERE seq = 7;"
	    "INSERT INTO projector_parked VALUES ('other', 3, 'v0.y', 'r',"
	    " '2026-01-01T00:00:00.000Z')");
	exec_ok(f->rebuilt, "INSERT INTO projector_parked VALUES ('fake', 9,"
	    " 'v0.z', 'too deep', '2026-01-01T00:00:00.000Z')");
	compare(f);
	assert_int_equal(f->ndiffs, 3);
	assert_string_equal(f->text,
	    "  projector_parked: only in the rebuilt view: (7, 'v0.x',"
	    " 'bad json')\n"
	    "  projector_parked: only in the live view: (7, 'v0.x',"
	    " 'no player')\n"
	    "  projector_parked: only in the rebuilt view: (9, 'v0.z',"
	    " 'too deep')\n");
}

/*
 * Every difference counts, but only the first VERIFY_MAX_DIFFS of a table
 * are printed, then how many more.
 */
static void
test_many_differences(void **state)
{
	struct fx *f = *state;
	const char *p;
	int lines = 0;

	exec_ok(f->live, "WITH RECURSIVE k(v) AS (SELECT 100 UNION ALL"
	    " SELECT v + 1 FROM k WHERE v < 114)"
	    " INSERT INTO t SELECT v, NULL, NULL, NULL FROM k");
	compare(f);
	assert_int_equal(f->ndiffs, 15);
	for (p = f->text; (p = strstr(p, "only in the live view")) != NULL; p++)
		lines++;
	assert_int_equal(lines, VERIFY_MAX_DIFFS);
	assert_non_null(strstr(f->text,
	    "  t: only in the live view: (109, NULL, NULL, NULL)\n"
	    "  t: 5 more differences\n"));
	assert_null(strstr(f->text, "(110,"));
}

/* A table missing from the rebuild is an error, not a difference. */
static void
test_missing_table(void **state)
{
	struct fx *f = *state;

	exec_ok(f->rebuilt, "DROP TABLE t");
	f->err[0] = '\0';
	assert_int_equal(verify_compare(f->live, f->rebuilt, &fake, f->out,
	    &f->ndiffs, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "t: no such table"));
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_equal),
		T(test_equal_empty),
		T(test_only_live),
		T(test_only_rebuilt),
		T(test_real_last_bit),
		T(test_real_whole),
		T(test_null_vs_zero),
		T(test_empty_text),
		T(test_parked),
		T(test_many_differences),
		T(test_missing_table),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
