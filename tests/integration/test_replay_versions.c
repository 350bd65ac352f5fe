/*
 * test_replay_versions.c: a projection whose recorded version is not the
 * program's is rebuilt in the background by `run`, its old view serving
 * meanwhile while the other projections apply new events, then swapped
 * in; killed, that rebuild resumes from its shadow. Against a real
 * nats-server and the large stream (the replay issue; the fixture of the
 * group is tests/support/views.h).
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches. A
 * machine without nats-server skips the tests.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "itest.h"
#include "proc.h"
#include "projections.h"
#include "views.h"

/*
 * The status of projection name in the output of `status --json`.
 */
static json_t *
status_json_projection(struct views_fx *v, json_t **root, const char *name)
{
	json_error_t je;
	json_t *p;
	size_t i;

	assert_int_equal(views_fx_run(v, "status", v->f->config, "status",
	    "--json", NULL), 0);
	if ((*root = json_load_file(v->out, 0, &je)) == NULL)
		fail_msg("%s: %s", v->out, je.text);
	json_array_foreach(json_object_get(json_array_get(json_object_get(*root,
	    "accounts"), 0), "projections"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "projection")),
		    name) == 0)
			return p;
	fail_msg("status --json has no projection %s", name);
	return NULL;
}

/*
 * A database recorded with another version of player_profiles: `run`
 * rebuilds it in the background. While it does, player_profiles is
 * 'rebuilding', at the old version, its old view (with a planted
 * difference) still served; session_history and leaderboard apply events
 * published meanwhile; `status --json` shows the progress. Then the
 * rebuild is swapped in: player_profiles live at the program's version,
 * and the whole contract equals a from-scratch fold of every event.
 *
 * So that these states can be looked at, the test holds the shadow's
 * write lock for a while once the rebuild has started (a rebuild thread
 * that cannot write its shadow waits and retries): that slows the rebuild
 * down, never the live projections, which is what is being proven.
 */
static void
test_version_bump(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	const int old_version = proj_player_profiles.version + 1;
	json_t *root, *p;
	char sql[512], buf[1024], log[ITEST_PATH_MAX];
	const long long total = VIEWS_LARGE_EVENTS + ITEST_NEVENTS;
	long long chat;

	views_fx_start_natsd(v);
	views_fx_publish_large(v);
	views_fx_run_once(v, "run", f->config);
	views_fx_plant(f->db, "UPDATE player_stats SET chat_messages ="
	    " chat_messages + 1000 WHERE steam_id = (SELECT min(steam_id)"
	    " FROM player_stats)");
	chat = itest_query_int(f->db, "SELECT chat_messages FROM player_stats"
	    " WHERE steam_id = (SELECT min(steam_id) FROM player_stats)");
	snprintf(sql, sizeof(sql), "UPDATE projector_status SET version = %d"
	    " WHERE projection = 'player_profiles'", old_version);
	views_fx_plant(f->db, sql);

	views_fx_start(v, "run-bump", "run", NULL);
	/* The rebuild thread has made its shadow and opened its fold. */
	for (;;) {
		if (itest_query_int(v->shadow, "SELECT count(*) FROM"
		    " projector_status WHERE projection ="
		    " 'player_profiles'") == 1)
			break;
		if (proc_wait(&f->p, 0, NULL) == 0)
			fail_msg("run exited (%d) before rebuilding",
			    proc_exit_code(f->p.status));
		itest_nap();
	}
	assert_int_equal(sqlite3_open_v2(v->shadow, &v->conn,
	    SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(v->conn, 5000);
	assert_int_equal(sqlite3_exec(v->conn, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	if (itest_query_int(f->db, "SELECT version FROM projector_status"
	    " WHERE projection = 'player_profiles'") != old_version)
		fail_msg("the rebuild was over before the test could look");

	/* New events; the live projections apply them. */
	itest_fx_publish_fixture(f, NULL, NULL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE projection IN ('session_history', 'leaderboard')"
	    " AND last_seq = %lld AND state = 'live'", total);
	views_fx_wait_query(v, sql, 2);
	/* Meanwhile, in one snapshot: player_profiles is rebuilding... */
	snprintf(sql, sizeof(sql), "SELECT version, last_seq, state,"
	    " (SELECT group_concat(last_seq) FROM projector_status"
	    "   WHERE projection != 'player_profiles'),"
	    " (SELECT chat_messages FROM player_stats ORDER BY steam_id"
	    "   LIMIT 1)"
	    " FROM projector_status WHERE projection = 'player_profiles'");
	snprintf(log, sizeof(log), "%d|30000|'rebuilding'|'%lld,%lld'|%lld",
	    old_version, total, total, chat);
	assert_string_equal(itest_fx_rows(f->db, sql, TESTDB_TYPED, buf,
	    sizeof(buf)), log);
	/* ...and says how far it is, in the table and in `status --json`. */
	views_fx_wait_query(v, "SELECT rebuild_target >= 30000"
	    " FROM projector_status WHERE projection = 'player_profiles'", 1);
	p = status_json_projection(v, &root, "player_profiles");
	assert_string_equal(json_string_value(json_object_get(p, "state")),
	    "rebuilding");
	assert_int_equal(json_integer_value(json_object_get(p, "version")),
	    old_version);
	assert_true(json_is_integer(json_object_get(p, "rebuild_seq")));
	assert_true(json_integer_value(json_object_get(p, "rebuild_seq")) <
	    json_integer_value(json_object_get(p, "rebuild_target")));
	assert_true(json_integer_value(json_object_get(p, "rebuild_target")) >=
	    VIEWS_LARGE_EVENTS);
	json_decref(root);
	p = status_json_projection(v, &root, "leaderboard");
	assert_string_equal(json_string_value(json_object_get(p, "state")),
	    "live");
	assert_int_equal(json_integer_value(json_object_get(p, "last_seq")),
	    total);
	assert_null(json_object_get(p, "rebuild_seq"));
	json_decref(root);

	/* Let the rebuild go: it catches up, new events included, and swaps. */
	sqlite3_exec(v->conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(v->conn);
	v->conn = NULL;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE version = %d AND state = 'live' AND last_seq = %lld"
	    " AND rebuild_seq IS NULL", proj_player_profiles.version, total);
	views_fx_wait_query(v, sql, 3);
	views_fx_stop_run(v, "run-bump");
	views_log(v, "run-bump", log, sizeof(log));
	itest_fx_assert_no_sanitizer(log);
	assert_int_equal(itest_log_count(log, "projection version changed",
	    "projection=player_profiles", NULL), 1);
	assert_int_equal(itest_log_count(log, "rebuild swapped in",
	    "projections=1", NULL), 1);
	views_fx_assert_no_shadow(v);

	views_fx_run_once(v, "scratch", v->scratch_config);
	v->new = itest_fx_snapshot(v->scratch_db);
	views_fx_assert_view(v, f->db, v->new, "from-scratch");
}

/*
 * The background rebuild of a version change, killed half way, resumes
 * from its shadow at the next start (README: when the shadow was made by
 * the same versions) instead of folding the stream again from sequence 1,
 * and still ends exact. Meanwhile the old view is intact.
 */
static void
test_version_rebuild_resumes(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	const int old_version = proj_player_profiles.version + 1;
	char sql[256], line[1024], log[ITEST_PATH_MAX];
	const char *ev;
	long long seq, events;
	int status;

	views_fx_start_natsd(v);
	views_fx_publish_large(v);
	views_fx_run_once(v, "run", f->config);
	views_fx_old_and_new(v);
	snprintf(sql, sizeof(sql), "UPDATE projector_status SET version = %d"
	    " WHERE projection = 'player_profiles'", old_version);
	views_fx_plant(f->db, sql);

	views_fx_start(v, "run-killed", "run", NULL);
	views_fx_wait_shadow(v, &seq);
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	assert_int_equal(proc_wait(&f->p, VIEWS_STOP_MS, &status), 0);
	views_fx_assert_exit(v, "run-killed", status, ITEST_EXIT_SIGKILL);
	/* What the shadow kept: it is where the next run starts from. */
	seq = itest_query_int(v->shadow, "SELECT last_seq"
	    " FROM projector_status WHERE projection = 'player_profiles'");
	print_message("killed with the shadow at seq %lld\n", seq);
	assert_true(seq > 0 && seq < VIEWS_LARGE_EVENTS);
	itest_fx_assert_integrity(f, f->db);
	/* The old view, planted rows and all, at the old version. */
	views_fx_assert_view(v, f->db, v->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'player_profiles'"),
	    old_version);

	views_fx_run_once(v, "run-resumed", f->config);
	views_log(v, "run-resumed", log, sizeof(log));
	if (itest_log_line(line, sizeof(line), log, "rebuild caught up",
	    "done_seq=30000", NULL) == -1) {
		itest_show_log(log);
		fail_msg("%s: no rebuild caught up at 30000", log);
	}
	assert_non_null(ev = strstr(line, " events="));
	events = strtoll(ev + 8, NULL, 10);
	assert_int_equal(events, VIEWS_LARGE_EVENTS - seq);
	/*
	 * player_profiles is rebuilt; the planted rows of the others stay
	 * (nothing rebuilt them): compare player_profiles with the new view,
	 * and the rest with the old one.
	 */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status WHERE"
	    " version = %d AND last_seq = 30000", proj_player_profiles.version);
	assert_int_equal(itest_query_int(f->db, sql), 3);
	json_object_set(v->old, "player_profiles", json_object_get(v->new,
	    "player_profiles"));
	views_fx_assert_view(v, f->db, v->old,
	    "old with player_profiles rebuilt");
	views_fx_assert_no_shadow(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, views_fx_setup, \
	    views_fx_teardown)
		T_(test_version_bump),
		T_(test_version_rebuild_resumes),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]),
	    views_fx_group_setup, views_fx_group_teardown);
}
