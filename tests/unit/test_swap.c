/*
 * test_swap.c: swap_in() on two database files migrated with the built-in
 * migrations, a live one and a shadow one, filled by hand: the swapped
 * projections' tables, parked events and checkpoint come from the shadow,
 * their indexes are still there (and right) afterwards, the other
 * projections are untouched, a reader in the middle of a read transaction
 * sees the old view to its end, and a swap that fails (a shadow without one
 * of the tables, no shadow at all) leaves the live file as it was.
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

#include "projections.h"
#include "swap.h"
#include "testdb.h"
#include "tmp.h"

#define DUMP_LEN	16384

/*
 * The live file: three projections at seq 10, leaderboard recorded at an
 * old version and being rebuilt, each with rows and parked events.
 */
static const char live_sql[] =
	"INSERT INTO projector_status (projection, version, last_seq,"
	" stream_last_seq, state, updated_at, last_error, rebuild_seq,"
	" rebuild_target) VALUES"
	" ('session_history', 1, 10, 10, 'live', 'old', NULL, NULL, NULL),"
	" ('player_profiles', 1, 10, 10, 'live', 'old', NULL, NULL, NULL),"
	" ('leaderboard', 77, 10, 10, 'rebuilding', 'old', 'stale', 5, 20);"
	"INSERT INTO server_state VALUES ('1', 'online', 't1', NULL);"
	"INSERT INTO session_history VALUES"
	" (1, '1', 'p1', 'Ann', 't1', NULL, NULL, NULL),"
	" (2, '1', 'p2', 'Bob', 't2', 't3', 60.5, 'quit');"
	"INSERT INTO player_stats (steam_id, name, first_seen, last_seen)"
	" VALUES ('p1', 'Ann', 't1', 't1'), ('p2', 'Bob', 't2', 't3');"
	"INSERT INTO wipes VALUES ('1', 1, 'w1');"
	"INSERT INTO leaderboard_stats VALUES ('1', 1, 'p1', 1, 0, 0, 10.5);"
	"INSERT INTO projector_parked VALUES"
	" ('leaderboard', 4, 'v0.a', 'old reason', 'old'),"
	" ('player_profiles', 5, 'v0.b', 'bad name', 'old'),"
	" ('session_history', 6, 'v0.c', 'bad time', 'old');";

/*
 * The shadow: every projection rebuilt to seq 20, with other rows and
 * other parked events.
 */
static const char shadow_sql[] =
	"INSERT INTO projector_status (projection, version, last_seq,"
	" stream_last_seq, state, updated_at) VALUES"
	" ('session_history', 1, 20, 20, 'live', 'new'),"
	" ('player_profiles', 1, 20, 20, 'live', 'new'),"
	" ('leaderboard', 1, 20, 20, 'live', 'new');"
	"INSERT INTO server_state VALUES ('1', 'offline', 't1', 't9'),"
	" ('2', 'online', 't4', NULL);"
	"INSERT INTO session_history VALUES"
	" (1, '1', 'p1', 'Ann', 't1', 't9', 100.0, 'server stopped'),"
	" (2, '1', 'p2', 'Bob', 't2', 't3', 60.5, 'quit'),"
	" (8, '2', 'p3', 'Cid', 't4', NULL, NULL, NULL);"
	"INSERT INTO player_stats (steam_id, name, first_seen, last_seen)"
	" VALUES ('p1', 'Ann the rebuilt', 't1', 't9');"
	"INSERT INTO wipes VALUES ('1', 1, 'w1'), ('1', 2, 'w2');"
	"INSERT INTO leaderboard_stats VALUES ('1', 1, 'p1', 3, 1, 1, 12.25),"
	" ('1', 2, 'p2', 0, 2, 0, NULL);"
	"INSERT INTO projector_parked VALUES"
	" ('leaderboard', 6, 'v0.d', 'new reason', 'new'),"
	" ('leaderboard', 8, 'v0.e', 'too deep', 'new'),"
	" ('player_profiles', 9, 'v0.f', 'bad name', 'new'),"
	" ('session_history', 11, 'v0.g', 'bad time', 'new');";

struct fx {
	char	 dir[512];
	char	 live_path[600];
	char	 shadow_path[600];
	sqlite3	*live;
	sqlite3	*shadow;
	char	 err[512];
	char	 a[DUMP_LEN];
	char	 b[DUMP_LEN];
};

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* Opens path read-write in WAL mode, as db_open() would, and migrates it. */
static sqlite3 *
open_migrated(const char *path, const char *rows)
{
	sqlite3 *db = NULL;
	char err[512];

	if (sqlite3_open(path, &db) != SQLITE_OK)
		fail_msg("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 2000);
	exec_ok(db, "PRAGMA journal_mode = WAL");
	if (testdb_migrate(db, err, sizeof(err)) == -1)
		fail_msg("%s: %s", path, err);
	exec_ok(db, rows);
	return db;
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	if (tmp_dir("test-swap-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->live_path, sizeof(f->live_path), "%s/ga-1.db", f->dir);
	snprintf(f->shadow_path, sizeof(f->shadow_path), "%s/ga-1.db-rebuild",
	    f->dir);
	f->live = open_migrated(f->live_path, live_sql);
	/* The rebuild thread keeps the shadow open during a swap: so do we. */
	f->shadow = open_migrated(f->shadow_path, shadow_sql);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sqlite3_close(f->live), SQLITE_OK);
	sqlite3_close(f->shadow);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/* The rows of sql on db as text (testdb_rows()), into buf. */
static const char *
rows(sqlite3 *db, const char *sql, char *buf)
{
	return testdb_rows(db, sql, buf, DUMP_LEN);
}

/*
 * Renders, into buf, what projection p owns in db: each of its tables in a
 * total order, its parked events and its status row, with updated_at.
 */
static const char *
owned(sqlite3 *db, const struct projection *p, char *buf)
{
	const char *const *t;
	size_t off = 0;
	char *sql;

	buf[0] = '\0';
	for (t = p->tables; *t != NULL; t++) {
		sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1, 2, 3",
		    *t);
		off += (size_t)snprintf(buf + off, DUMP_LEN - off, "== %s\n",
		    *t);
		testdb_rows(db, sql, buf + off, DUMP_LEN - off);
		off += strlen(buf + off);
		sqlite3_free(sql);
		assert_true(off + 1 < DUMP_LEN);
	}
	sql = sqlite3_mprintf("SELECT 'parked', seq, subject, reason, parked_at"
	    " FROM projector_parked WHERE projection = %Q ORDER BY seq",
	    p->name);
	off += (size_t)snprintf(buf + off, DUMP_LEN - off, "\n");
	testdb_rows(db, sql, buf + off, DUMP_LEN - off);
	off += strlen(buf + off);
	sqlite3_free(sql);
	sql = sqlite3_mprintf("SELECT * FROM projector_status"
	    " WHERE projection = %Q", p->name);
	off += (size_t)snprintf(buf + off, DUMP_LEN - off, "\n");
	testdb_rows(db, sql, buf + off, DUMP_LEN - off);
	sqlite3_free(sql);
	return buf;
}

/* The whole file: every table's rows, then the schema (indexes included). */
static const char *
whole(sqlite3 *db, char *buf)
{
	size_t off;

	testdb_dump(db, buf, DUMP_LEN);
	off = strlen(buf);
	assert_true(off + 1 < DUMP_LEN);
	testdb_rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema"
	    " ORDER BY type, name", buf + off, DUMP_LEN - off);
	return buf;
}

static void
swap_ok(struct fx *f, const struct projection *const *projs, size_t n)
{
	if (swap_in(f->live, f->shadow_path, projs, n, f->err,
	    sizeof(f->err)) == -1)
		fail_msg("swap_in: %s", f->err);
	/* Nothing left behind: no transaction, no attached shadow. */
	assert_int_equal(sqlite3_get_autocommit(f->live), 1);
	assert_int_equal(testdb_int(f->live, "SELECT count(*) FROM"
	    " pragma_database_list WHERE name = 'shadow'"), 0);
}

/*
 * Swapping leaderboard: its tables, parked events and checkpoint are the
 * shadow's, its status row says live at the program's version with no
 * error and no rebuild progress; the other projections, their parked
 * events and status rows are untouched, although the shadow holds other
 * rows for them.
 */
static void
test_swap_one(void **state)
{
	struct fx *f = *state;
	const struct projection *projs[] = { &proj_leaderboard };
	char sh[DUMP_LEN], pp[DUMP_LEN];

	owned(f->live, &proj_session_history, sh);
	owned(f->live, &proj_player_profiles, pp);
	swap_ok(f, projs, 1);

	assert_string_equal(rows(f->live, "SELECT * FROM wipes ORDER BY 1, 2",
	    f->a), rows(f->shadow, "SELECT * FROM wipes ORDER BY 1, 2", f->b));
	assert_string_equal(rows(f->live, "SELECT * FROM leaderboard_stats"
	    " ORDER BY 1, 2, 3", f->a),
	    "1|1|p1|3|1|1|12.25\n1|2|p2|0|2|0|NULL");
	assert_string_equal(rows(f->live, "SELECT projection, seq, subject,"
	    " reason, parked_at FROM projector_parked ORDER BY 1, 2", f->a),
	    "leaderboard|6|v0.d|new reason|new\n"
	    "leaderboard|8|v0.e|too deep|new\n"
	    "player_profiles|5|v0.b|bad name|old\n"
	    "session_history|6|v0.c|bad time|old");
	assert_string_equal(rows(f->live, "SELECT last_seq, state, last_error,"
	    " rebuild_seq, rebuild_target, updated_at != 'old'"
	    " FROM projector_status WHERE projection = 'leaderboard'", f->a),
	    "20|live|NULL|NULL|NULL|1");
	assert_int_equal(testdb_int(f->live, "SELECT version FROM"
	    " projector_status WHERE projection = 'leaderboard'"),
	    proj_leaderboard.version);
	/* The others: byte for byte, updated_at included. */
	assert_string_equal(owned(f->live, &proj_session_history, f->a), sh);
	assert_string_equal(owned(f->live, &proj_player_profiles, f->a), pp);
	/* The public view over the swapped tables reads the new rows. */
	assert_string_equal(rows(f->live, "SELECT server_id, wipe_id, steam_id,"
	    " name, kills, rank FROM leaderboard ORDER BY 1, 2, 6", f->a),
	    "1|1|p1|Ann|3|1\n1|2|p2|Bob|0|1");
}

/*
 * Swapping session_history, the projection with indexes: they are dropped
 * for the copy and built again in the same transaction, so afterwards they
 * are there with the same SQL, hold the new rows (integrity_check) and the
 * planner uses them.
 */
static void
test_swap_keeps_indexes(void **state)
{
	struct fx *f = *state;
	const struct projection *projs[] = { &proj_session_history };
	static const char indexes_sql[] = "SELECT name, sql FROM sqlite_schema"
	    " WHERE type = 'index' AND sql IS NOT NULL ORDER BY name";
	char before[DUMP_LEN];

	rows(f->live, indexes_sql, before);
	assert_non_null(strstr(before, "session_history_pair"));
	assert_non_null(strstr(before, "session_history_open"));
	assert_non_null(strstr(before, "session_history_player"));
	swap_ok(f, projs, 1);

	assert_string_equal(rows(f->live, indexes_sql, f->a), before);
	assert_string_equal(rows(f->live, "PRAGMA integrity_check", f->a),
	    "ok");
	assert_string_equal(rows(f->live, "SELECT * FROM session_history"
	    " ORDER BY seq", f->a), rows(f->shadow, "SELECT * FROM"
	    " session_history ORDER BY seq", f->b));
	assert_string_equal(rows(f->live, "SELECT * FROM server_state"
	    " ORDER BY 1", f->a), rows(f->shadow, "SELECT * FROM server_state"
	    " ORDER BY 1", f->b));
	/* The index holds the new rows: a lookup through it finds them. */
	assert_string_equal(rows(f->live, "SELECT seq FROM session_history"
	    " INDEXED BY session_history_player WHERE steam_id = 'p3'", f->a),
	    "8");
	assert_string_equal(rows(f->live, "SELECT seq FROM session_history"
	    " INDEXED BY session_history_open WHERE server_id = '2'"
	    " AND disconnected_at IS NULL", f->a), "8");
	assert_string_equal(rows(f->live, "SELECT last_seq, state FROM"
	    " projector_status WHERE projection = 'session_history'", f->a),
	    "20|live");
	assert_string_equal(rows(f->live, "SELECT seq FROM projector_parked"
	    " WHERE projection = 'session_history'", f->a), "11");
}

/* All three at once: the live file's owned tables become the shadow's. */
static void
test_swap_all(void **state)
{
	struct fx *f = *state;
	const struct projection *const *p;
	char want[DUMP_LEN];

	swap_ok(f, projections_builtin, 3);
	for (p = projections_builtin; *p != NULL; p++) {
		owned(f->shadow, *p, want);
		owned(f->live, *p, f->a);
		/* All but the status rows (state, updated_at): the shadow's. */
		*strrchr(want, '\n') = '\0';
		*strrchr(f->a, '\n') = '\0';
		assert_string_equal(f->a, want);
	}
	assert_string_equal(rows(f->live, "SELECT projection, version,"
	    " last_seq, state FROM projector_status ORDER BY 1", f->a),
	    "leaderboard|1|20|live\nplayer_profiles|1|20|live\n"
	    "session_history|1|20|live");
	assert_string_equal(rows(f->live, "PRAGMA integrity_check", f->a),
	    "ok");
}

/*
 * A reader whose read transaction began before the swap sees the whole old
 * view (every table, status included) until it ends it, then the whole new
 * one: never a mix.
 */
static void
test_reader_snapshot(void **state)
{
	struct fx *f = *state;
	static const char view_sql[] = "SELECT (SELECT group_concat(kills)"
	    " FROM leaderboard_stats), (SELECT count(*) FROM session_history),"
	    " (SELECT group_concat(last_seq) FROM projector_status)";
	sqlite3 *reader = NULL;
	char old[DUMP_LEN];

	assert_int_equal(sqlite3_open_v2(f->live_path, &reader,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	exec_ok(reader, "BEGIN");
	rows(reader, view_sql, old);
	assert_string_equal(old, "1|2|10,10,10");
	swap_ok(f, projections_builtin, 3);
	assert_string_equal(rows(reader, view_sql, f->a), old);
	exec_ok(reader, "COMMIT");
	assert_string_equal(rows(reader, view_sql, f->a), "3,0|3|20,20,20");
	sqlite3_close(reader);
}

/*
 * The shadow lacks the second projection's table: the swap fails with the
 * table named, and nothing of the first projection's copy, nor of the
 * dropped indexes, shows in the live file.
 */
static void
test_swap_missing_table(void **state)
{
	struct fx *f = *state;
	const struct projection *projs[] = { &proj_session_history,
	    &proj_leaderboard };
	char before[DUMP_LEN];

	exec_ok(f->shadow, "DROP VIEW leaderboard;"
	    " DROP TABLE leaderboard_stats");
	whole(f->live, before);
	f->err[0] = '\0';
	assert_int_equal(swap_in(f->live, f->shadow_path, projs, 2, f->err,
	    sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "leaderboard_stats"));
	assert_string_equal(whole(f->live, f->a), before);
	assert_int_equal(sqlite3_get_autocommit(f->live), 1);
	assert_int_equal(testdb_int(f->live, "SELECT count(*) FROM"
	    " pragma_database_list WHERE name = 'shadow'"), 0);
	assert_string_equal(rows(f->live, "PRAGMA integrity_check", f->a),
	    "ok");
	/* And the live file still takes a swap that can succeed. */
	swap_ok(f, projs, 1);
	assert_int_equal(testdb_int(f->live, "SELECT count(*) FROM"
	    " session_history"), 3);
}

/* A shadow with a column missing fails the same way. */
static void
test_swap_missing_column(void **state)
{
	struct fx *f = *state;
	const struct projection *projs[] = { &proj_player_profiles };
	char before[DUMP_LEN];

	exec_ok(f->shadow, "DROP VIEW player_profiles;"
	    " ALTER TABLE player_stats DROP COLUMN ban_at");
	whole(f->live, before);
	assert_int_equal(swap_in(f->live, f->shadow_path, projs, 1, f->err,
	    sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "ban_at"));
	assert_string_equal(whole(f->live, f->a), before);
}

/* No shadow file at all: an error, the live file unchanged. */
static void
test_swap_no_shadow(void **state)
{
	struct fx *f = *state;
	char before[DUMP_LEN], missing[700];

	snprintf(missing, sizeof(missing), "%s/nowhere/ga-1.db-rebuild",
	    f->dir);
	whole(f->live, before);
	assert_int_equal(swap_in(f->live, missing, projections_builtin, 3,
	    f->err, sizeof(f->err)), -1);
	assert_string_equal(whole(f->live, f->a), before);
	assert_int_equal(sqlite3_get_autocommit(f->live), 1);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_swap_one),
		T(test_swap_keeps_indexes),
		T(test_swap_all),
		T(test_reader_snapshot),
		T(test_swap_missing_table),
		T(test_swap_missing_column),
		T(test_swap_no_shadow),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
