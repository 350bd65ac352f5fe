/*
 * test_crash.c: killed at the worst moments, the projector still counts
 * every event exactly once.
 *
 * build/projector-faults honours PROJECTOR_FAULT=POINT:N: the Nth time the
 * worker passes POINT it kills itself with SIGKILL. after_commit lies
 * between SQLite's COMMIT and the NATS ack, the window in which a naive
 * consumer would apply a batch twice; before_commit loses a batch in hand.
 * After each crash the database holds exactly the committed batches, and a
 * clean `run --once` of build/projector ends with the six contract queries
 * equal to expected.json, and the archive (on by default) holds every event
 * once: before_commit lies between the archive's COMMIT and the database's,
 * so the batch it loses was archived, and comes again without being
 * archived twice. Run from the repository root; the binaries are in
 * $PROJECTOR_BIN_DIR (default build).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "history.h"
#include "itest.h"
#include "natsd.h"
#include "probe.h"
#include "proc.h"


static int
setup(void **state)
{
	return itest_fx_setup("itest-crash-", 0, state);
}

/*
 * Runs projector-faults `run --once` with PROJECTOR_FAULT=fault, its log
 * appended to log, and checks that it killed itself there: by SIGKILL,
 * after saying so.
 */
static void
crash_at(struct itest_fx *f, const char *fault, const char *log)
{
	char env[128], point[128], faults[ITEST_PATH_MAX];
	const char *envp[] = { env, NULL };
	char *argv[] = { faults, "run", "-c", f->config, "--once", NULL };
	struct proc p;
	char err[512], line[1024];
	int status;

	itest_bin("projector-faults", faults, sizeof(faults));
	snprintf(env, sizeof(env), "PROJECTOR_FAULT=%s", fault);
	snprintf(point, sizeof(point), "point=%.*s", (int)strcspn(fault, ":"),
	    fault);
	if (proc_start_env(&p, argv, envp, log, log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (proc_wait(&p, ITEST_RUN_MS, &status) == -1) {
		proc_release(&p);
		fail_msg("%s with %s still running after %d ms", faults, env,
		    ITEST_RUN_MS);
	}
	if (proc_exit_code(status) != ITEST_EXIT_SIGKILL) {
		/* A sanitizer that aborted the run first says why. */
		itest_sanitizer_report(log, line, sizeof(line));
		fail_msg("%s with %s: exit status %d, not a SIGKILL (%s) %s",
		    faults, env, proc_exit_code(status), log, line);
	}
	assert_int_equal(itest_log_count(log, "fault point reached", point,
	    NULL), 1);
}

/*
 * A clean `run --once` of build/projector to the end: exact, quiet, and
 * the archive holds every event once, what came again not twice.
 */
static void
finish_clean(struct itest_fx *f)
{
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS);
	itest_fx_assert_contract(f);
	history_fx_assert_archive(f, f->config, "ga-1", ITEST_NEVENTS);
}

/* The account's archive, beside its database. */
static long long
mark(struct itest_fx *f)
{
	char archive[ITEST_PATH_MAX + 16];

	snprintf(archive, sizeof(archive), "%s-archive", f->db);
	return history_mark(archive);
}

/*
 * Killed between the third COMMIT and its ack: the database has three
 * batches, the server believes fewer were handled, and the redelivery that
 * follows must be skipped, not applied again.
 */
static void
test_crash_after_commit(void **state)
{
	struct itest_fx *f = *state;
	struct probe_consumer c;
	char log[ITEST_PATH_MAX];

	itest_fx_start_with_fixture(f, 50);
	snprintf(log, sizeof(log), "%s/crash.log", f->dir);
	crash_at(f, "after_commit:3", log);
	assert_int_equal(itest_last_seq(f->db), 150);
	assert_int_equal(mark(f), 150);
	/* A SIGKILL at any point leaves a sound SQLite file. */
	itest_fx_assert_integrity(f, f->db);
	/* The third batch was committed but never acknowledged. */
	itest_fx_consumer(f, "projector", &c);
	assert_true(c.ack_floor_stream < 150);

	finish_clean(f);
}

/* Killed with the fifth batch folded but not committed: it is lost whole. */
static void
test_crash_before_commit(void **state)
{
	struct itest_fx *f = *state;
	char log[ITEST_PATH_MAX];

	itest_fx_start_with_fixture(f, 50);
	snprintf(log, sizeof(log), "%s/crash.log", f->dir);
	crash_at(f, "before_commit:5", log);
	assert_int_equal(itest_last_seq(f->db), 200);
	/* The point lies between the archive's COMMIT and the database's. */
	assert_int_equal(mark(f), 250);
	itest_fx_assert_integrity(f, f->db);
	/* Nothing of the fifth batch shows: no parked event of seq > 200. */
	assert_int_equal(itest_query_int(f->db,
	    "SELECT count(*) FROM projector_parked WHERE seq > 200"), 0);

	finish_clean(f);
}

/*
 * Crash after crash on the same database: each run dies right after its
 * kth COMMIT, k = 1..6, so every restart begins with a batch committed and
 * not acknowledged. Batches of 20 (not 50) keep all six crashes inside the
 * 600 events (20 * (1 + ... + 6) = 420): with 50, runs 5 and 6 would catch
 * up before their fault point and prove nothing.
 */
static void
test_crash_loop(void **state)
{
	struct itest_fx *f = *state;
	struct probe_consumer c;
	char log[ITEST_PATH_MAX], fault[64];
	long long want = 0;
	int k;

	itest_fx_start_with_fixture(f, 20);
	for (k = 1; k <= 6; k++) {
		snprintf(log, sizeof(log), "%s/crash-%d.log", f->dir, k);
		snprintf(fault, sizeof(fault), "after_commit:%d", k);
		crash_at(f, fault, log);
		want += 20 * k;
		assert_int_equal(itest_last_seq(f->db), want);
		assert_int_equal(mark(f), want);
		itest_fx_assert_integrity(f, f->db);
	}
	assert_int_equal(want, 420);
	itest_fx_consumer(f, "projector", &c);
	assert_true(c.ack_floor_stream < (uint64_t)want);

	finish_clean(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_crash_after_commit),
		T_(test_crash_before_commit),
		T_(test_crash_loop),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
