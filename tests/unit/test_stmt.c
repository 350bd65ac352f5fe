/*
 * test_stmt.c: a projection's prepared statements, and running them
 * (projections/stmt.c): prepare once, step, reset, bind without a copy,
 * and the state of a projection that holds only its statements.
 */
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "projection.h"
#include "stmt.h"

static void
test_statements(void **state)
{
	static const char *const good[] = {
		"CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
	};
	static const char *const sql[] = {
		"INSERT INTO t (k, v) VALUES (?1, ?2)",
		"SELECT v FROM t WHERE k = ?1",
		"SELECT nonsense FROM t",
	};
	sqlite3_stmt *st[3], *ddl[1];
	struct span k = { "key-and-more", 3 };
	char err[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(stmt_prepare(db, good, 1, ddl, err, sizeof(err)), 0);
	assert_int_equal(stmt_done(ddl[0], err, sizeof(err)), 0);
	stmt_finalize(ddl, 1);
	assert_null(ddl[0]);

	/* A statement that does not prepare leaves none prepared. */
	st[0] = st[1] = st[2] = (sqlite3_stmt *)err;
	assert_int_equal(stmt_prepare(db, sql, 3, st, err, sizeof(err)), -1);
	assert_string_equal(err, "preparing SELECT nonsense FROM t:"
	    " no such column: nonsense");
	assert_null(st[0]);
	assert_null(st[1]);
	assert_null(st[2]);

	assert_int_equal(stmt_prepare(db, sql, 2, st, err, sizeof(err)), 0);
	stmt_bind_span(st[0], 1, k);
	sqlite3_bind_int(st[0], 2, 7);
	assert_int_equal(stmt_done(st[0], err, sizeof(err)), 0);
	stmt_bind_span(st[1], 1, k);
	assert_int_equal(stmt_step(st[1], err, sizeof(err)), 1);
	assert_int_equal(sqlite3_column_int(st[1], 0), 7);
	stmt_reset(st[1]);
	/* Bindings are cleared by the reset: NULL matches nothing. */
	assert_int_equal(stmt_step(st[1], err, sizeof(err)), 0);
	stmt_reset(st[1]);
	/* An SQLite error comes back with its reason. */
	stmt_bind_span(st[0], 1, k);
	assert_int_equal(stmt_done(st[0], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NOT NULL constraint failed: t.v"));
	stmt_bind_span(st[0], 1, k);
	sqlite3_bind_int(st[0], 2, 8);
	assert_int_equal(stmt_done(st[0], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UNIQUE constraint failed: t.k"));
	stmt_finalize(st, 2);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The init() of a projection whose state is only its statements. */
static const char *const state_sql[] = {
	"INSERT INTO t (k, v) VALUES (?1, ?2)",
	"SELECT v FROM t WHERE k = ?1",
};

static int
state_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return stmt_state_new(db, state_sql, 2, state, err, errlen);
}

static void
test_state(void **state)
{
	static const char *const bad[] = {
		"SELECT 1",
		"SELECT nonsense FROM t",
	};
	/* It is a projection's init() and fini() as they are. */
	const struct projection p = {
		.init = state_init,
		.fini = stmt_state_free,
	};
	void *s = NULL, *none = &none;
	struct span k = { "key", 3 };
	char err[256];
	sqlite3 *db;
	size_t i;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY,"
	    " v INTEGER NOT NULL)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(p.init(db, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	/* Statement i is sql[i], prepared. */
	for (i = 0; i < 2; i++)
		assert_string_equal(sqlite3_sql(stmt_state_at(s, i)),
		    state_sql[i]);
	stmt_bind_span(stmt_state_at(s, 0), 1, k);
	sqlite3_bind_int(stmt_state_at(s, 0), 2, 7);
	assert_int_equal(stmt_done(stmt_state_at(s, 0), err, sizeof(err)), 0);
	stmt_bind_span(stmt_state_at(s, 1), 1, k);
	assert_int_equal(stmt_step(stmt_state_at(s, 1), err, sizeof(err)), 1);
	assert_int_equal(sqlite3_column_int(stmt_state_at(s, 1), 0), 7);
	stmt_reset(stmt_state_at(s, 1));
	p.fini(s);
	p.fini(NULL);

	/* A statement that does not prepare: no state, none left prepared. */
	assert_int_equal(stmt_state_new(db, bad, 2, &none, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "preparing SELECT nonsense FROM t:"
	    " no such column: nonsense");
	assert_ptr_equal(none, &none);
	assert_null(sqlite3_next_stmt(db, NULL));

	/* No statements at all is a state too. */
	assert_int_equal(stmt_state_new(db, bad, 0, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	stmt_state_free(s);
	/* Every statement was finalized: the database closes. */
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
