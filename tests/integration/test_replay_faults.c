/*
 * test_replay_faults.c: `projector replay` of the large stream interrupted
 * or held up, against a real nats-server (the replay issue; the fixture of
 * the group is tests/support/views.h): SIGTERM during a replay exits 0 at
 * once and kill -9 leaves a sound file, both with the old view intact, and
 * the replay run again ends exact; a nats-server that stalls during a
 * replay only delays it.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches. A
 * machine without nats-server skips the tests.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "probe.h"
#include "proc.h"
#include "views.h"

/*
 * Interrupted replays of the large stream: SIGTERM in the middle exits 0
 * within VIEWS_STOP_MS, kill -9 in the middle leaves a sound file; after
 * both the live view is the old one, whole. The replay reads through an
 * ephemeral consumer (seen on the server while it runs), discards the
 * shadow an interrupted run left, and a last `replay --once` ends with the
 * new view, the durable consumer never touched.
 */
static void
test_replay_interrupted(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	struct probe_consumer before, after;
	char names[256], log[ITEST_PATH_MAX];
	long long seq, t0;
	int ephemeral, status;

	views_fx_start_natsd(v);
	views_fx_publish_large(v);
	views_fx_run_once(v, "run", f->config);
	views_fx_old_and_new(v);
	itest_fx_consumer(f, VIEWS_DURABLE, &before);

	/* SIGTERM half way. */
	views_fx_start(v, "replay-term", "replay", NULL);
	views_fx_wait_shadow(v, &seq);
	/* Beside the two durable consumers, the replay's own reader. */
	assert_int_equal(views_fx_consumers(v, names, sizeof(names),
	    &ephemeral), 2);
	assert_non_null(strstr(names, VIEWS_DURABLE));
	assert_non_null(strstr(names, VIEWS_SCRATCH));
	assert_int_equal(ephemeral, 1);
	t0 = itest_now_ms();
	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (proc_wait(&f->p, VIEWS_STOP_MS, &status) == -1)
		fail_msg("replay still running %d ms after SIGTERM",
		    VIEWS_STOP_MS);
	print_message("SIGTERM at shadow seq %lld: exit %d after %lld ms\n",
	    seq, proc_exit_code(status), itest_now_ms() - t0);
	views_fx_assert_exit(v, "replay-term", status, 0);
	itest_fx_assert_no_sanitizer(views_log(v, "replay-term", log,
	    sizeof(log)));
	views_fx_assert_view(v, f->db, v->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE state = 'stopped' AND last_seq = 30000"),
	    3);
	/* Its shadow stays; mark it, to see the next replay discard it. */
	assert_int_equal(access(v->shadow, F_OK), 0);
	views_fx_plant(v->shadow, "INSERT INTO projector_meta (key, value)"
	    " VALUES ('stale', 1)");

	/* kill -9 half way. */
	views_fx_start(v, "replay-kill", "replay", NULL);
	views_fx_wait_shadow(v, &seq);
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	assert_int_equal(proc_wait(&f->p, VIEWS_STOP_MS, &status), 0);
	views_fx_assert_exit(v, "replay-kill", status, ITEST_EXIT_SIGKILL);
	print_message("SIGKILL at shadow seq %lld\n", seq);
	itest_fx_assert_integrity(f, f->db);
	views_fx_assert_view(v, f->db, v->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq = 30000"), 3);

	/* Again, to the end. */
	assert_int_equal(views_fx_run(v, "replay", f->config, "replay",
	    "--once", NULL), 0);
	views_fx_assert_view(v, f->db, v->new, "new");
	views_fx_assert_status(v, VIEWS_LARGE_EVENTS);
	itest_fx_assert_integrity(f, f->db);
	views_fx_assert_no_shadow(v);
	itest_fx_consumer(f, VIEWS_DURABLE, &after);
	views_fx_assert_same_consumer(&before, &after);
}

/*
 * The nats-server stalls (SIGSTOP, as a long GC pause or a saturated host
 * would) for longer than the rebuild's fetch wait, half way through a
 * `replay --once`: a fetch that comes back empty while the consumer said
 * more was pending is not the end of the stream. The replay must wait for
 * the server and end with the whole new view, not swap in the half-built
 * shadow (a view older than the live one) and exit 0.
 */
static void
test_replay_server_stall(void **state)
{
	struct views_fx *v = *state;
	struct itest_fx *f = v->f;
	char log[ITEST_PATH_MAX];
	struct timespec stall = { 0, 500 * 1000000L };
	long long seq;
	int status;

	views_fx_start_natsd(v);
	views_fx_publish_large(v);
	views_fx_run_once(v, "run", f->config);
	views_fx_old_and_new(v);

	views_fx_start(v, "replay", "replay", "--once", NULL);
	views_fx_wait_shadow(v, &seq);
	assert_int_equal(proc_signal(&f->d.proc, SIGSTOP), 0);
	nanosleep(&stall, NULL);
	assert_int_equal(proc_signal(&f->d.proc, SIGCONT), 0);
	if (proc_wait(&f->p, VIEWS_RUN_MS, &status) == -1)
		fail_msg("replay --once still running after %d ms",
		    VIEWS_RUN_MS);
	views_fx_assert_exit(v, "replay", status, 0);
	views_log(v, "replay", log, sizeof(log));
	itest_fx_assert_no_sanitizer(log);
	print_message("stalled at shadow seq %lld; swapped at last_seq %lld\n",
	    seq, itest_last_seq(f->db));
	assert_int_equal(itest_log_count(log, "rebuild swapped in",
	    "last_seq=30000", NULL), 1);
	views_fx_assert_view(v, f->db, v->new, "new");
	views_fx_assert_status(v, VIEWS_LARGE_EVENTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, views_fx_setup, \
	    views_fx_teardown)
		T_(test_replay_interrupted),
		T_(test_replay_server_stall),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]),
	    views_fx_group_setup, views_fx_group_teardown);
}
