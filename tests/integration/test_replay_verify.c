/*
 * test_replay_verify.c: `projector verify` rebuilds a file's projections
 * aside and compares: it finds nothing on an exact file and names the
 * table and row a test planted, also while `run` writes the file. Against
 * a real nats-server (the replay issue; the fixture of the group is
 * tests/support/views.h).
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches. A
 * machine without nats-server skips the tests.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "views.h"

/* Fails unless the file at path holds exactly want lines containing s. */
static void
assert_lines(const char *path, const char *s, int want)
{
	int n = itest_log_count(path, s, NULL);

	if (n != want) {
		itest_show_log(path);
		fail_msg("%s: %d lines with '%s', want %d", path, n, s, want);
	}
}

/* No scratch file of verify (ga-1.db-verify-PID*) is left in the dir. */
static void
assert_no_verify_scratch(struct views_fx *v)
{
	struct dirent *e;
	DIR *d;

	assert_non_null(d = opendir(v->f->dir));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "ga-1.db-verify-", 15) == 0)
			fail_msg("verify left %s/%s", v->f->dir, e->d_name);
	closedir(d);
}

/*
 * verify: an exact file is equal, a line per projection; a row planted in
 * leaderboard_stats is a difference, named with the table and the row as
 * in each view (exit 1), while the other projections stay equal; with
 * --projection session_history only that one is checked (exit 0). The same
 * holds while `run` writes the file and new events arrive: verify reads
 * one snapshot and takes no lock. No scratch file is left.
 */
static void
test_verify(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	char live_row[256], rebuilt_row[256], buf[512], log[ITEST_PATH_MAX];

	views_fx_start_natsd(v);
	itest_fx_publish_fixture(f, NULL, NULL);
	views_fx_run_once(v, "run", f->config);

	assert_int_equal(views_fx_run(v, "verify-equal", f->config, "verify",
	    NULL), 0);
	assert_lines(v->out, "equal to a rebuild from sequence 1"
	    " (last_seq 600)", 3);
	assert_lines(v->out, "ga-1 session_history: equal", 1);
	assert_lines(v->out, "ga-1 player_profiles: equal", 1);
	assert_lines(v->out, "ga-1 leaderboard: equal", 1);
	assert_lines(v->out, "only in the", 0);
	assert_no_verify_scratch(v);

	/* The row as verify prints it, then one kill more in the live file. */
	itest_fx_rows(f->db, "SELECT printf('(''%s'', %d, ''%s'', %d, ',"
	    " server_id, wipe_id, steam_id, kills + 1) FROM leaderboard_stats"
	    " ORDER BY server_id, wipe_id, steam_id LIMIT 1", TESTDB_TYPED,
	    live_row, sizeof(live_row));
	itest_fx_rows(f->db, "SELECT printf('(''%s'', %d, ''%s'', %d, ',"
	    " server_id, wipe_id, steam_id, kills) FROM leaderboard_stats"
	    " ORDER BY server_id, wipe_id, steam_id LIMIT 1", TESTDB_TYPED,
	    rebuilt_row, sizeof(rebuilt_row));
	/* TESTDB_TYPED quoted the text; strip those quotes. */
	memmove(live_row, live_row + 1, strlen(live_row));
	live_row[strlen(live_row) - 1] = '\0';
	memmove(rebuilt_row, rebuilt_row + 1, strlen(rebuilt_row));
	rebuilt_row[strlen(rebuilt_row) - 1] = '\0';
	views_fx_plant(f->db, "UPDATE leaderboard_stats SET kills = kills + 1"
	    " WHERE (server_id, wipe_id, steam_id) = (SELECT server_id,"
	    " wipe_id, steam_id FROM leaderboard_stats ORDER BY 1, 2, 3"
	    " LIMIT 1)");

	assert_int_equal(views_fx_run(v, "verify-planted", f->config, "verify",
	    NULL), 1);
	snprintf(buf, sizeof(buf), "leaderboard_stats: only in the live view:"
	    " %s", live_row);
	assert_lines(v->out, buf, 1);
	snprintf(buf, sizeof(buf), "leaderboard_stats: only in the rebuilt"
	    " view: %s", rebuilt_row);
	assert_lines(v->out, buf, 1);
	assert_lines(v->out, "only in the", 2);
	assert_lines(v->out, "ga-1 leaderboard: 2 differences", 1);
	assert_lines(v->out, "ga-1 session_history: equal", 1);
	assert_lines(v->out, "ga-1 player_profiles: equal", 1);

	assert_int_equal(views_fx_run(v, "verify-one", f->config, "verify",
	    "--projection", "session_history", NULL), 0);
	assert_lines(v->out, "ga-1 ", 1);
	assert_lines(v->out, "ga-1 session_history: equal", 1);

	/* With `run` folding new events into the file meanwhile. */
	views_fx_start(v, "run-live", "run", NULL);
	views_fx_wait_query(v, "SELECT count(*) FROM projector_status"
	    " WHERE state = 'live'", 3);
	itest_fx_publish_fixture(f, NULL, NULL);
	assert_int_equal(views_fx_run(v, "verify-busy", f->config, "verify",
	    NULL), 1);
	assert_lines(v->out, "ga-1 session_history: equal", 1);
	assert_lines(v->out, "ga-1 player_profiles: equal", 1);
	assert_lines(v->out, "ga-1 leaderboard: ", 1);
	assert_lines(v->out, "leaderboard_stats: only in the live view", 1);
	assert_lines(v->out, "leaderboard_stats: only in the rebuilt view", 1);
	views_fx_wait_query(v, "SELECT min(last_seq) FROM projector_status",
	    2 * ITEST_NEVENTS);
	assert_int_equal(views_fx_run(v, "verify-busy-one", f->config,
	    "verify", "--projection", "player_profiles", NULL), 0);
	assert_lines(v->out, "ga-1 player_profiles: equal to a rebuild from"
	    " sequence 1 (last_seq 1200)", 1);
	views_fx_stop_run(v, "run-live");
	itest_fx_assert_no_sanitizer(views_log(v, "run-live", log,
	    sizeof(log)));
	assert_no_verify_scratch(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, views_fx_setup, \
	    views_fx_teardown)
		T_(test_verify),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
