/*
 * test_migrate.c: migrate_apply() and migrate_pending(), over arrays built
 * here (so that order, failure, re-runs and edits are under the test's
 * control), and the arrays that migrations/embed.sh generates.
 *
 * Each migration of the test arrays appends its scope and name to a "log"
 * table made in setup, so the order they ran in can be read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "digest.h"
#include "migrate.h"
#include "projections.h"
#include "testdb.h"
#include "tmp.h"

#define LOG(what)	"INSERT INTO log (what) VALUES ('" what "');"

static const struct projection_migration s1[] = {
	{ "0001_init.sql", "CREATE TABLE t1 (a);" LOG("s1/0001") },
	{ "0002_more.sql", "ALTER TABLE t1 ADD COLUMN b;" LOG("s1/0002") },
	{ NULL, NULL }
};
static const struct projection_migration s2[] = {
	{ "0001_init.sql", "CREATE TABLE t2 (a);" LOG("s2/0001") },
	{ NULL, NULL }
};
/* s1 as its first release shipped it. */
static const struct projection_migration s1_first[] = {
	{ "0001_init.sql", "CREATE TABLE t1 (a);" LOG("s1/0001") },
	{ NULL, NULL }
};
/* s1 with its shipped first file edited, and a new one. */
static const struct projection_migration s1_edited[] = {
	{ "0001_init.sql", "CREATE TABLE t1 (a, c);" LOG("s1/0001") },
	{ "0002_more.sql", "ALTER TABLE t1 ADD COLUMN b;" LOG("s1/0002") },
	{ NULL, NULL }
};

/* The second file breaks halfway: its first statement must not stay. */
static const struct projection_migration bad[] = {
	{ "0001_init.sql", "CREATE TABLE t1 (a);" LOG("s1/0001") },
	{ "0002_bad.sql", "CREATE TABLE half (a);" LOG("s1/0002")
	    "INSERT INTO nosuch VALUES (1);" },
	{ "0003_after.sql", "CREATE TABLE t3 (a);" LOG("s1/0003") },
	{ NULL, NULL }
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
apply_ok(struct fx *f, const char *scope,
    const struct projection_migration *list, int want_applied)
{
	char err[512] = "";
	int applied = -1;

	if (migrate_apply(f->db, scope, list, &applied, err,
	    sizeof(err)) == -1)
		fail_msg("migrate_apply: %s", err);
	assert_int_equal(applied, want_applied);
}

static int
pending(struct fx *f, const char *scope,
    const struct projection_migration *list)
{
	char err[512] = "";
	int count = -1;

	if (migrate_pending(f->db, scope, list, &count, err,
	    sizeof(err)) == -1)
		fail_msg("migrate_pending: %s", err);
	return count;
}

/*
 * Files run in array order, scopes in the caller's, and each is recorded
 * with when and the SHA-256 of its SQL (what sha256sum prints for it).
 */
static void
test_order_and_record(void **state)
{
	char sha[DIGEST_HEX_LEN + 1], want[256];
	struct fx *f = *state;

	apply_ok(f, "s2", s2, 1);
	apply_ok(f, "s1", s1, 2);
	assert_string_equal(ran(f), "s2/0001 s1/0001 s1/0002");
	assert_string_equal(rows(f, "SELECT scope, name,"
	    " applied_at LIKE '____-__-__T__:__:__.___Z',"
	    " length(sha256), sha256 GLOB '*[^0-9a-f]*'"
	    " FROM projector_migrations ORDER BY scope, name"),
	    "s1|0001_init.sql|1|64|0\ns1|0002_more.sql|1|64|0\n"
	    "s2|0001_init.sql|1|64|0");
	assert_int_equal(digest_sha256_hex(s2[0].sql, strlen(s2[0].sql), sha),
	    0);
	snprintf(want, sizeof(want), "%s", sha);
	assert_string_equal(rows(f, "SELECT sha256 FROM projector_migrations"
	    " WHERE scope = 's2'"), want);
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM"
	    " pragma_table_info('t1')"), "a,b");
}

/* The SHA-256 is the one sha256sum(1) prints: a known answer. */
static void
test_digest_known_answer(void **state)
{
	char sha[DIGEST_HEX_LEN + 1];

	(void)state;
	assert_int_equal(digest_sha256_hex("abc", 3, sha), 0);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(digest_sha256_hex("", 0, sha), 0);
	assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

/* Running again applies nothing; a new file in a scope (an upgrade) alone. */
static void
test_second_run_and_upgrade(void **state)
{
	struct fx *f = *state;

	apply_ok(f, "s1", s1_first, 1);
	apply_ok(f, "s1", s1_first, 0);
	apply_ok(f, "s1", s1, 1);
	apply_ok(f, "s1", s1, 0);
	assert_string_equal(ran(f), "s1/0001 s1/0002");
	/* applied may be NULL, and so may the list (no migrations). */
	assert_int_equal(migrate_apply(f->db, "s1", s1, NULL,
	    (char[64]){ 0 }, 64), 0);
	apply_ok(f, "s3", NULL, 0);
}

static void
test_pending(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pending(f, "s1", s1), 2);
	assert_int_equal(pending(f, "s2", s2), 1);
	assert_int_equal(pending(f, "s3", NULL), 0);
	/* Counting changed nothing but creating the bookkeeping table. */
	assert_string_equal(ran(f), "NULL");
	assert_string_equal(rows(f, "SELECT count(*) FROM"
	    " projector_migrations"), "0");
	apply_ok(f, "s1", s1_first, 1);
	assert_int_equal(pending(f, "s1", s1), 1);
	assert_int_equal(pending(f, "s2", s2), 1);
}

/*
 * A shipped migration edited after it was applied is refused, by apply and
 * by pending, with both checksums and what to do; nothing after it runs.
 */
static void
test_changed_migration_refused(void **state)
{
	char err[512] = "", sha_then[DIGEST_HEX_LEN + 1],
	    sha_now[DIGEST_HEX_LEN + 1], want[512];
	struct fx *f = *state;
	int n = 12345;

	apply_ok(f, "s1", s1_first, 1);
	assert_int_equal(migrate_apply(f->db, "s1", s1_edited, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(n, 12345);
	digest_sha256_hex(s1_first[0].sql, strlen(s1_first[0].sql), sha_then);
	digest_sha256_hex(s1_edited[0].sql, strlen(s1_edited[0].sql),
	    sha_now);
	snprintf(want, sizeof(want), "migration s1/0001_init.sql changed after"
	    " it was applied (sha256 %s then, %s now): a shipped migration is"
	    " never edited; restore it and add the change as a new NNNN file",
	    sha_then, sha_now);
	assert_string_equal(err, want);
	assert_true(sqlite3_get_autocommit(f->db));
	assert_string_equal(ran(f), "s1/0001");
	err[0] = '\0';
	assert_int_equal(migrate_pending(f->db, "s1", s1_edited, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	/* The same name in another scope is another migration. */
	apply_ok(f, "s2", s2, 1);
}

/*
 * A database made before checksums were recorded: its table gets the
 * column, each applied file its checksum (trusted as it is now), and from
 * then on an edit is refused.
 */
static void
test_checksums_added_to_old_database(void **state)
{
	char err[512] = "";
	struct fx *f = *state;

	assert_int_equal(sqlite3_exec(f->db, "CREATE TABLE projector_migrations"
	    " (scope TEXT NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT"
	    " NULL DEFAULT 'then', PRIMARY KEY (scope, name)) WITHOUT ROWID;"
	    "INSERT INTO projector_migrations (scope, name)"
	    " VALUES ('s1', '0001_init.sql');"
	    "CREATE TABLE t1 (a);", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(pending(f, "s1", s1), 1);
	apply_ok(f, "s1", s1, 1);
	assert_string_equal(ran(f), "s1/0002");
	assert_string_equal(rows(f, "SELECT name, length(sha256) FROM"
	    " projector_migrations ORDER BY name"),
	    "0001_init.sql|64\n0002_more.sql|64");
	assert_int_equal(migrate_apply(f->db, "s1", s1_edited, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "migration s1/0001_init.sql changed"));
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
	struct projection_migration fixed[sizeof(bad) / sizeof(bad[0])];
	struct fx *f = *state;
	char err[512] = "";
	int applied = 12345;

	assert_int_equal(migrate_apply(f->db, "s1", bad, &applied, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "migration s1/0002_bad.sql: no such table: nosuch");
	assert_int_equal(applied, 12345);
	assert_true(sqlite3_get_autocommit(f->db));
	assert_string_equal(ran(f), "s1/0001");
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM"
	    " sqlite_schema WHERE name IN ('t1', 'half', 't3')"), "t1");
	assert_string_equal(rows(f, "SELECT scope || '/' || name FROM"
	    " projector_migrations"), "s1/0001_init.sql");
	assert_int_equal(pending(f, "s1", bad), 2);

	memcpy(fixed, bad, sizeof(bad));
	fixed[1].sql = "CREATE TABLE half (a);" LOG("s1/0002");
	apply_ok(f, "s1", fixed, 2);
	assert_string_equal(ran(f), "s1/0001 s1/0002 s1/0003");
}

/* Another connection holding the write lock is an error, not a hang. */
static void
test_locked(void **state)
{
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
	assert_int_equal(migrate_apply(b, "s1", s1, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(sqlite3_exec(a, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(migrate_apply(b, "s1", s1, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	sqlite3_close(a);
	sqlite3_close(b);
	assert_int_equal(tmp_rm_rf(dir), 0);
}

/*
 * One generated array against its folder: every NNNN_*.sql file once, in
 * name order, byte for byte (embed.sh escapes quotes, backslashes and tabs).
 * Run from the repository root, like the other unit tests.
 */
static void
matches_folder(const char *scope, const struct projection_migration *m)
{
	char pattern[256], *text;
	glob_t g;
	size_t i;

	snprintf(pattern, sizeof(pattern), "migrations/%s/*.sql", scope);
	if (glob(pattern, 0, NULL, &g) != 0)
		fail_msg("%s: no files (run from the repository root)",
		    pattern);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		assert_non_null(m[i].name);
		assert_string_equal(m[i].name, base);
		if (tmp_read_file(g.gl_pathv[i], &text, NULL) == -1)
			fail_msg("%s: cannot read", g.gl_pathv[i]);
		assert_string_equal(m[i].sql, text);
		free(text);
	}
	assert_null(m[i].name);
	assert_null(m[i].sql);
	globfree(&g);
}

/* The engine's arrays and each built-in's, from migrations/<scope>/. */
static void
test_builtin_matches_files(void **state)
{
	size_t i;

	(void)state;
	matches_folder("core", migrations_core);
	matches_folder("archive", migrations_archive);
	for (i = 0; projections_builtin[i] != NULL; i++)
		matches_folder(projections_builtin[i]->name,
		    projections_builtin[i]->migrations);
}

/* All built-in migrations apply cleanly, core's tables included. */
static void
test_builtin_applies(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	size_t i;

	assert_int_equal(testdb_migrate(f->db, err, sizeof(err)), 0);
	assert_string_equal(rows(f, "SELECT group_concat(name) FROM (SELECT"
	    " name FROM sqlite_schema WHERE name LIKE 'projector_%' AND"
	    " type = 'table' ORDER BY name)"),
	    "projector_meta,projector_migrations,projector_parked,"
	    "projector_status");
	assert_int_equal(pending(f, "core", migrations_core), 0);
	for (i = 0; projections_builtin[i] != NULL; i++)
		assert_int_equal(pending(f, projections_builtin[i]->name,
		    projections_builtin[i]->migrations), 0);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_order_and_record),
		T(test_digest_known_answer),
		T(test_second_run_and_upgrade),
		T(test_pending),
		T(test_changed_migration_refused),
		T(test_checksums_added_to_old_database),
		T(test_failure_rolls_back_only_itself),
		T(test_locked),
		T(test_builtin_matches_files),
		T(test_builtin_applies),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
