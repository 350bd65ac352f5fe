/*
 * test_migrate.c: migrate_apply() and migrate_pending(), over lists built
 * here (so that order, failure and re-runs are under the test's control),
 * and the built-in list that migrations/embed.sh generates.
 *
 * Each migration of the test lists appends its own name to a "log" table
 * made in setup, so the order they ran in can be read back.
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

#include "migrate.h"
#include "testdb.h"
#include "tmp.h"

#define LOG(what)	"INSERT INTO log (what) VALUES ('" what "');"

static const struct migration good[] = {
	{ "s1", "0001_init.sql", "CREATE TABLE t1 (a);" LOG("s1/0001") },
	{ "s1", "0002_more.sql",
	    "ALTER TABLE t1 ADD COLUMN b;" LOG("s1/0002") },
	{ "s2", "0001_init.sql", "CREATE TABLE t2 (a);" LOG("s2/0001") },
	{ "s3", "0001_init.sql", "CREATE TABLE t3 (a);" LOG("s3/0001") },
};

/* The second file breaks halfway: its first statement must not stay. */
static const struct migration bad[] = {
	{ "s1", "0001_init.sql", "CREATE TABLE t1 (a);" LOG("s1/0001") },
	{ "s1", "0002_bad.sql", "CREATE TABLE half (a);" LOG("s1/0002")
	    "INSERT INTO nosuch VALUES (1);" },
	{ "s1", "0003_after.sql", "CREATE TABLE t3 (a);" LOG("s1/0003") },
};

struct fx {
	sqlite3	*db;
	char	 buf[2048];
};

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	if (sqlite3_open(":memory:", &f->db) != SQLITE_OK)
		return -1;
	return sqlite3_exec(f->db, "CREATE TABLE log (id INTEGER PRIMARY KEY,"
	    " what TEXT)", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->db);
	free(f);
	return 0;
}

static const char *
rows(struct fx *f, const char *sql)
{
	return testdb_rows(f->db, sql, f->buf, sizeof(f->buf));
}

static const char *
ran(struct fx *f)
{
	return rows(f, "SELECT group_concat(what, ' ') FROM"
	    " (SELECT what FROM log ORDER BY id)");
}

static void
apply_ok(struct fx *f, const struct migration *list, size_t n,
    const char *const *scopes, size_t nscopes, int want_applied)
{
	char err[512] = "";
	int applied = -1;

	if (migrate_apply(f->db, list, n, scopes, nscopes, &applied, err,
	    sizeof(err)) == -1)
		fail_msg("migrate_apply: %s", err);
	assert_int_equal(applied, want_applied);
}

static int
pending(struct fx *f, const struct migration *list, size_t n,
    const char *const *scopes, size_t nscopes)
{
	char err[512] = "";
	int count = -1;

	if (migrate_pending(f->db, list, n, scopes, nscopes, &count, err,
	    sizeof(err)) == -1)
		fail_msg("migrate_pending: %s", err);
	return count;
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Scope order is the caller's, file order within a scope the list's. */
static void
test_scope_order(void **state)
{
	static const char *const scopes[] = { "s2", "s1" };
	struct fx *f = *state;

	apply_ok(f, good, NELEM(good), scopes, NELEM(scopes), 3);
	assert_string_equal(ran(f), "s2/0001 s1/0001 s1/0002");
	/* s3 was not asked for. */
	assert_string_equal(rows(f, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 't3'"), "0");
	assert_string_equal(rows(f, "SELECT scope, name,"
	    " applied_at LIKE '____-__-__T__:__:__.___Z'"
	    " FROM projector_migrations ORDER BY scope, name"),
	    "s1|0001_init.sql|1\ns1|0002_more.sql|1\ns2|0001_init.sql|1");
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM"
	    " pragma_table_info('t1')"), "a,b");
}

/* Running again applies nothing; a new scope later applies just its own. */
static void
test_second_run_applies_nothing(void **state)
{
	static const char *const first[] = { "s1", "s2" };
	static const char *const later[] = { "s1", "s2", "s3" };
	struct fx *f = *state;

	apply_ok(f, good, NELEM(good), first, NELEM(first), 3);
	apply_ok(f, good, NELEM(good), first, NELEM(first), 0);
	assert_string_equal(ran(f), "s1/0001 s1/0002 s2/0001");
	apply_ok(f, good, NELEM(good), later, NELEM(later), 1);
	assert_string_equal(ran(f), "s1/0001 s1/0002 s2/0001 s3/0001");
	/* applied may be NULL. */
	assert_int_equal(migrate_apply(f->db, good, NELEM(good), later,
	    NELEM(later), NULL, (char[64]){ 0 }, 64), 0);
}

/* A file added to a scope later (an upgrade) is the only one applied. */
static void
test_new_file_in_scope(void **state)
{
	static const char *const scopes[] = { "s1" };
	struct fx *f = *state;

	apply_ok(f, good, 1, scopes, 1, 1);
	apply_ok(f, good, 2, scopes, 1, 1);
	assert_string_equal(ran(f), "s1/0001 s1/0002");
}

/* A scope named twice runs once. */
static void
test_duplicate_scope(void **state)
{
	static const char *const scopes[] = { "s1", "s1", "s2", "s1" };
	struct fx *f = *state;

	apply_ok(f, good, NELEM(good), scopes, NELEM(scopes), 3);
	assert_string_equal(ran(f), "s1/0001 s1/0002 s2/0001");
}

static void
test_pending(void **state)
{
	static const char *const s1[] = { "s1" };
	static const char *const all[] = { "s1", "s2", "s3" };
	static const char *const none[] = { "nosuch" };
	struct fx *f = *state;

	assert_int_equal(pending(f, good, NELEM(good), all, NELEM(all)), 4);
	assert_int_equal(pending(f, good, NELEM(good), none, 1), 0);
	/* Counting changed nothing but creating the bookkeeping table. */
	assert_string_equal(ran(f), "NULL");
	assert_string_equal(rows(f, "SELECT count(*) FROM"
	    " projector_migrations"), "0");
	apply_ok(f, good, NELEM(good), s1, 1, 2);
	assert_int_equal(pending(f, good, NELEM(good), all, NELEM(all)), 2);
	assert_int_equal(pending(f, good, NELEM(good), s1, 1), 0);
}

/*
 * A failing file is rolled back on its own: the files before it stay
 * applied and recorded, the ones after it are not run, and the error names
 * scope and file with SQLite's reason. Fixing it and running again goes on
 * from there.
 */
static void
test_failure_rolls_back_only_itself(void **state)
{
	static const char *const scopes[] = { "s1" };
	struct migration fixed[NELEM(bad)];
	struct fx *f = *state;
	char err[512] = "";
	int applied = 12345;

	assert_int_equal(migrate_apply(f->db, bad, NELEM(bad), scopes, 1,
	    &applied, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "migration s1/0002_bad.sql: no such table: nosuch");
	assert_int_equal(applied, 12345);
	assert_true(sqlite3_get_autocommit(f->db));
	assert_string_equal(ran(f), "s1/0001");
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM"
	    " sqlite_schema WHERE name IN ('t1', 'half', 't3')"), "t1");
	assert_string_equal(rows(f, "SELECT scope || '/' || name FROM"
	    " projector_migrations"), "s1/0001_init.sql");
	assert_int_equal(pending(f, bad, NELEM(bad), scopes, 1), 2);

	memcpy(fixed, bad, sizeof(bad));
	fixed[1].sql = "CREATE TABLE half (a);" LOG("s1/0002");
	apply_ok(f, fixed, NELEM(fixed), scopes, 1, 2);
	assert_string_equal(ran(f), "s1/0001 s1/0002 s1/0003");
}

/* Another connection holding the write lock is an error, not a hang. */
static void
test_locked(void **state)
{
	static const char *const scopes[] = { "s1" };
	struct fx *f = *state;
	char dir[512], path[600], err[512] = "";
	sqlite3 *a, *b;
	int n = -1;

	(void)f;
	assert_int_equal(tmp_dir("test-migrate-", dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/m.db", dir);
	assert_int_equal(sqlite3_open(path, &a), SQLITE_OK);
	assert_int_equal(sqlite3_open(path, &b), SQLITE_OK);
	assert_int_equal(sqlite3_exec(a, "CREATE TABLE log (id INTEGER PRIMARY"
	    " KEY, what TEXT); BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(migrate_apply(b, good, NELEM(good), scopes, 1, &n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(sqlite3_exec(a, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(migrate_apply(b, good, NELEM(good), scopes, 1, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	sqlite3_close(a);
	sqlite3_close(b);
	assert_int_equal(tmp_rm_rf(dir), 0);
}

/*
 * The built-in list: core first, then sorted by scope and name, each entry
 * byte for byte the file it came from (embed.sh escapes quotes, backslashes
 * and tabs). Run from the repository root, like the other unit tests.
 */
static void
test_builtin_matches_files(void **state)
{
	char path[512], *text;
	size_t i;

	(void)state;
	assert_true(migrate_nbuiltin >= 1);
	assert_string_equal(migrate_builtin[0].scope, "core");
	for (i = 0; i < migrate_nbuiltin; i++) {
		const struct migration *m = &migrate_builtin[i];
		const struct migration *prev = i > 0 ? m - 1 : NULL;

		if (prev != NULL && strcmp(prev->scope, "core") != 0) {
			int c = strcmp(prev->scope, m->scope);

			assert_true(c < 0 ||
			    (c == 0 && strcmp(prev->name, m->name) < 0));
		}
		snprintf(path, sizeof(path), "migrations/%s/%s", m->scope,
		    m->name);
		if (tmp_read_file(path, &text, NULL) == -1)
			fail_msg("%s: cannot read (run from the repository"
			    " root)", path);
		assert_string_equal(m->sql, text);
		free(text);
	}
}

/* All built-in migrations apply cleanly, core's tables included. */
static void
test_builtin_applies(void **state)
{
	const char *scopes[64];
	struct fx *f = *state;
	size_t i, n = 0;

	for (i = 0; i < migrate_nbuiltin && n < NELEM(scopes); i++) {
		const char *scope = migrate_builtin[i].scope;

		if (n == 0 || strcmp(scopes[n - 1], scope) != 0)
			scopes[n++] = scope;
	}
	apply_ok(f, migrate_builtin, migrate_nbuiltin, scopes, n,
	    (int)migrate_nbuiltin);
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM (SELECT"
	    " name FROM sqlite_schema WHERE name LIKE 'projector_%' AND"
	    " type = 'table' ORDER BY name)"),
	    "projector_meta,projector_migrations,projector_parked,"
	    "projector_status");
	assert_int_equal(pending(f, migrate_builtin, migrate_nbuiltin, scopes,
	    n), 0);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_scope_order),
		T(test_second_run_applies_nothing),
		T(test_new_file_in_scope),
		T(test_duplicate_scope),
		T(test_pending),
		T(test_failure_rolls_back_only_itself),
		T(test_locked),
		T(test_builtin_matches_files),
		T(test_builtin_applies),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
