/*
 * test_replay_swap.c: `projector replay` builds the projections again in
 * a shadow file and swaps it in, in one transaction, against a real
 * nats-server and the SQLite files a website reads (the replay issue; the
 * fixture of the group is tests/support/views.h):
 * - a full `replay --once` ends with the six contract queries equal to a
 *   from-scratch run (expected.json), the status rows right, and the
 *   durable consumer untouched (the rebuild reads through an ephemeral one);
 * - a reader looping over the six queries during a replay of the large
 *   stream sees, in every read transaction, exactly the old view or
 *   exactly the new one;
 * - `replay --projection leaderboard` leaves the other projections' tables,
 *   parked events and status rows as they were.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches. A
 * machine without nats-server skips the tests.
 */
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

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "probe.h"
#include "proc.h"
#include "projections.h"
#include "views.h"

#define MIN_SNAPSHOTS	3	/* a reader must look at least this often */

/*
 * Renders (malloc'd) everything projection p owns in db: each of its
 * tables in a total order with every column, its parked events, and its
 * status row but for updated_at.
 */
static char *
owned_dump(const char *db, const struct projection *p)
{
	const size_t len = 1 << 20;
	const char *const *t;
	char *buf, *sql;
	size_t off = 0;

	if ((buf = malloc(len)) == NULL)
		fail_msg("out of memory");
	for (t = p->tables; *t != NULL; t++) {
		sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1, 2, 3",
		    *t);
		off += (size_t)snprintf(buf + off, len - off, "== %s\n", *t);
		itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
		off += strlen(buf + off);
		sqlite3_free(sql);
	}
	sql = sqlite3_mprintf("SELECT * FROM projector_parked"
	    " WHERE projection = %Q ORDER BY seq", p->name);
	off += (size_t)snprintf(buf + off, len - off, "\n== parked\n");
	itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
	off += strlen(buf + off);
	sqlite3_free(sql);
	sql = sqlite3_mprintf("SELECT projection, version, last_seq,"
	    " stream_last_seq, state, last_error, rebuild_seq, rebuild_target"
	    " FROM projector_status WHERE projection = %Q", p->name);
	off += (size_t)snprintf(buf + off, len - off, "\n== status\n");
	itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
	sqlite3_free(sql);
	return buf;
}

/*
 * A full replay ends where a run from scratch ends: the six contract
 * queries equal expected.json, although the live file had differences
 * planted in every projection. It did not touch the durable consumer
 * (same creation time, ack floor, deliveries and configuration), left no
 * consumer of its own behind, and removed its shadow.
 */
static void
test_full_replay(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	struct probe_consumer before, after;
	char names[256], log[ITEST_PATH_MAX];
	int ephemeral;

	views_fx_start_natsd(v);
	itest_fx_publish_fixture(f, NULL, NULL);
	views_fx_run_once(v, "run", f->config);
	itest_fx_consumer(f, VIEWS_DURABLE, &before);
	assert_int_equal(before.ack_floor_stream, ITEST_NEVENTS);
	views_fx_plant_everywhere(f->db);
	if (itest_contract(f->db, v->err, sizeof(v->err)) == 0)
		fail_msg("the planted differences do not show");

	assert_int_equal(views_fx_run(v, "replay", f->config, "replay",
	    "--once", NULL), 0);
	assert_int_equal(itest_log_count(views_log(v, "replay", log,
	    sizeof(log)), "rebuild swapped in", "projections=3",
	    "last_seq=600", NULL), 1);
	if (itest_contract(f->db, v->err, sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
	views_fx_assert_status(v, ITEST_NEVENTS);
	itest_fx_assert_integrity(f, f->db);
	views_fx_assert_no_shadow(v);

	itest_fx_consumer(f, VIEWS_DURABLE, &after);
	views_fx_assert_same_consumer(&before, &after);
	assert_int_equal(views_fx_consumers(v, names, sizeof(names),
	    &ephemeral), 1);
	assert_string_equal(names, VIEWS_DURABLE);
	assert_int_equal(ephemeral, 0);

	/* And `run` goes on from there with nothing to do. */
	views_fx_run_once(v, "run-after", f->config);
	if (itest_contract(f->db, v->err, sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
}

/*
 * A reader loops over the six contract queries, each time in one read
 * transaction, while a replay of the large stream rebuilds and swaps:
 * every snapshot is exactly the old view or exactly the new one (a
 * projection swapped without the others, or a table half copied, would be
 * neither), it saw the old one at least once, and the last is the new.
 */
static void
test_reader_during_replay(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	json_t *s;
	char err_old[512], err_new[512], log[ITEST_PATH_MAX];
	int n = 0, n_old = 0, n_new = 0, status, last_new = 0;

	views_fx_start_natsd(v);
	views_fx_publish_large(v);
	views_fx_run_once(v, "run", f->config);
	views_fx_old_and_new(v);

	if (db_open_readonly(f->db, &v->conn, v->err, sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
	views_fx_start(v, "replay", "replay", "--once", NULL);
	while (proc_wait(&f->p, 0, &status) == -1) {
		if ((s = itest_snapshot(v->conn, f->db, v->err,
		    sizeof(v->err))) == NULL)
			fail_msg("snapshot %d: %s", n + 1, v->err);
		n++;
		if (contract_diff(v->old, s, err_old, sizeof(err_old)) == 0) {
			n_old++;
			/* Once new, never old again. */
			if (last_new)
				fail_msg("snapshot %d: old after new", n);
		} else if (contract_diff(v->new, s, err_new,
		    sizeof(err_new)) == 0) {
			n_new++;
			last_new = 1;
		} else
			fail_msg("snapshot %d is neither the old view (%s) nor"
			    " the new one (%s)", n, err_old, err_new);
		json_decref(s);
	}
	views_fx_assert_exit(v, "replay", status, 0);
	print_message("%d snapshots during the replay: %d old, %d new\n", n,
	    n_old, n_new);
	assert_true(n >= MIN_SNAPSHOTS);
	assert_true(n_old >= 1);
	/* After the exit: the new view, whole. */
	if ((s = itest_snapshot(v->conn, f->db, v->err,
	    sizeof(v->err))) == NULL)
		fail_msg("%s", v->err);
	if (contract_diff(v->new, s, v->err, sizeof(v->err)) == -1)
		fail_msg("the view after the replay is not the new one: %s",
		    v->err);
	json_decref(s);
	itest_fx_assert_no_sanitizer(views_log(v, "replay", log,
	    sizeof(log)));
	views_fx_assert_status(v, VIEWS_LARGE_EVENTS);
	views_fx_assert_no_shadow(v);
}

/*
 * `replay --projection leaderboard` rebuilds leaderboard (its planted
 * differences go) and leaves the other projections byte for byte as they
 * were, planted differences included: tables, parked events, status rows
 * but for updated_at.
 */
static void
test_replay_one_projection(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	json_error_t je;
	json_t *expected, *want, *parked, *row;
	char *sh_before, *pp_before, *sh_after, *pp_after;
	char buf[256];
	size_t i;

	views_fx_start_natsd(v);
	itest_fx_publish_fixture(f, NULL, NULL);
	views_fx_run_once(v, "run", f->config);
	views_fx_plant_everywhere(f->db);
	views_fx_plant(f->db, "INSERT INTO projector_parked (projection, seq,"
	    " subject, reason, parked_at) VALUES ('player_profiles', 999998,"
	    " 'planted', 'planted', '2026-01-01T00:00:00.000Z')");
	sh_before = owned_dump(f->db, &proj_session_history);
	pp_before = owned_dump(f->db, &proj_player_profiles);

	assert_int_equal(views_fx_run(v, "replay", f->config, "replay",
	    "--projection", "leaderboard", "--once", NULL), 0);

	sh_after = owned_dump(f->db, &proj_session_history);
	pp_after = owned_dump(f->db, &proj_player_profiles);
	assert_string_equal(sh_after, sh_before);
	assert_string_equal(pp_after, pp_before);
	assert_non_null(strstr(pp_after, "'planted'"));

	/* leaderboard: its queries and its parked events as expected.json. */
	if ((expected = json_load_file(ITEST_EXPECTED, 0, &je)) == NULL)
		fail_msg("%s: %s", ITEST_EXPECTED, je.text);
	want = json_object();
	json_object_set(want, "leaderboard", json_object_get(expected,
	    "leaderboard"));
	json_object_set(want, "wipes", json_object_get(expected, "wipes"));
	parked = json_array();
	json_array_foreach(json_object_get(expected, "parked"), i, row)
		if (strcmp(json_string_value(json_array_get(row, 0)),
		    "leaderboard") == 0)
			json_array_append(parked, row);
	assert_true(json_array_size(parked) > 0);
	views_fx_assert_view(v, f->db, want, "rebuilt leaderboard");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_parked WHERE projection = 'leaderboard'"),
	    (long long)json_array_size(parked));
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_parked WHERE seq = 999999"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'leaderboard'"),
	    proj_leaderboard.version);
	assert_string_equal(itest_fx_rows(f->db, "SELECT last_seq, state,"
	    " rebuild_seq FROM projector_status WHERE projection ="
	    " 'leaderboard'", TESTDB_TYPED, buf, sizeof(buf)),
	    "600|'stopped'|NULL");
	views_fx_assert_no_shadow(v);

	json_decref(parked);
	json_decref(want);
	json_decref(expected);
	free(sh_before);
	free(pp_before);
	free(sh_after);
	free(pp_after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, views_fx_setup, \
	    views_fx_teardown)
		T_(test_full_replay),
		T_(test_reader_during_replay),
		T_(test_replay_one_projection),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]),
	    views_fx_group_setup, views_fx_group_teardown);
}
