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
 * equal to expected.json. Run from the repository root; the binaries are in
 * $PROJECTOR_BIN_DIR (default build).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "itest.h"
#include "natsd.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

#define RUN_TIMEOUT_MS	60000	/* a --once run of 600 events takes < 1 s */
#define EXIT_SIGKILL	(128 + 9)	/* proc_exit_code() of a SIGKILL */

struct fixture {
	struct natsd	d;
	char		dir[512];	/* leaves room for file names */
	char		config[ITEST_PATH_MAX];
	char		db[ITEST_PATH_MAX];
	char		bin[ITEST_PATH_MAX];
	char		faults[ITEST_PATH_MAX];
};

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (tmp_dir("itest-crash-", f->dir, sizeof(f->dir)) == -1) {
		free(f);
		return -1;
	}
	snprintf(f->config, sizeof(f->config), "%s/projector.yaml", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/ga-1.db", f->dir);
	itest_bin("projector", f->bin, sizeof(f->bin));
	itest_bin("projector-faults", f->faults, sizeof(f->faults));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	natsd_release(&f->d);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/*
 * Starts nats-server with the whole fixture in the stream and writes the
 * configuration with batches of at most max_events. A machine without
 * nats-server skips the test.
 */
static void
start_with_fixture(struct fixture *f, int max_events)
{
	static const struct itest_account acct = { "ga-1", NULL, NULL,
	    "ga-1.db" };
	uint64_t count = 0;
	char err[1024];

	if (natsd_start(&f->d, NULL, err, sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_start: %s", err);
	}
	if (itest_publish_fixture(f->d.url, ITEST_EVENTS, &count, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(count, ITEST_NEVENTS);
	assert_int_equal(itest_write_config(f->config, f->d.url, max_events,
	    &acct, 1), 0);
}

/*
 * Runs projector-faults `run --once` with PROJECTOR_FAULT=fault, its log
 * appended to log, and checks that it killed itself there: by SIGKILL,
 * after saying so.
 */
static void
crash_at(struct fixture *f, const char *fault, const char *log)
{
	char env[128], point[128];
	const char *envp[] = { env, NULL };
	char *argv[] = { f->faults, "run", "-c", f->config, "--once", NULL };
	struct proc p;
	char err[512], line[1024];
	int status;

	snprintf(env, sizeof(env), "PROJECTOR_FAULT=%s", fault);
	snprintf(point, sizeof(point), "point=%.*s", (int)strcspn(fault, ":"),
	    fault);
	if (proc_start_env(&p, argv, envp, log, log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (proc_wait(&p, RUN_TIMEOUT_MS, &status) == -1) {
		proc_release(&p);
		fail_msg("%s with %s still running after %d ms", f->faults, env,
		    RUN_TIMEOUT_MS);
	}
	if (proc_exit_code(status) != EXIT_SIGKILL) {
		/* A sanitizer that aborted the run first says why. */
		itest_sanitizer_report(log, line, sizeof(line));
		fail_msg("%s with %s: exit status %d, not a SIGKILL (%s) %s",
		    f->faults, env, proc_exit_code(status), log, line);
	}
	assert_int_equal(itest_log_count(log, "fault point reached", point,
	    NULL), 1);
}

/* A clean `run --once` of build/projector to the end: exact, quiet. */
static void
finish_clean(struct fixture *f, const char *log)
{
	char *argv[] = { f->bin, "run", "-c", f->config, "--once", NULL };
	char err[1024], line[1024];
	int code = -1;

	if (proc_run(argv, RUN_TIMEOUT_MS, &code, NULL, log) == -1)
		fail_msg("%s run --once: cannot run, or still running after"
		    " %d ms", f->bin, RUN_TIMEOUT_MS);
	if (itest_sanitizer_report(log, line, sizeof(line)))
		fail_msg("%s: %s", log, line);
	assert_int_equal(code, 0);
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS);
	if (itest_contract(f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* A SIGKILL at any point leaves a sound SQLite file. */
static void
assert_integrity(const char *db)
{
	sqlite3 *conn;
	sqlite3_stmt *st;
	char err[512];

	if (itest_open_ro(db, &conn, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(conn);
}

/*
 * Reads the durable consumer's ack floor (stream sequence) from the
 * server, as an operator's `nats consumer info` would.
 */
static uint64_t
ack_floor(struct fixture *f)
{
	natsConnection *nc = NULL;
	jsConsumerInfo *ci = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	uint64_t floor;
	char err[512];

	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(js_GetConsumerInfo(&ci, js, ITEST_STREAM, "projector",
	    NULL, &jerr), NATS_OK);
	floor = ci->AckFloor.Stream;
	jsConsumerInfo_Destroy(ci);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return floor;
}

/*
 * Killed between the third COMMIT and its ack: the database has three
 * batches, the server believes fewer were handled, and the redelivery that
 * follows must be skipped, not applied again.
 */
static void
test_crash_after_commit(void **state)
{
	struct fixture *f = *state;
	char log[ITEST_PATH_MAX];

	start_with_fixture(f, 50);
	snprintf(log, sizeof(log), "%s/crash.log", f->dir);
	crash_at(f, "after_commit:3", log);
	assert_int_equal(itest_last_seq(f->db), 150);
	assert_integrity(f->db);
	/* The third batch was committed but never acknowledged. */
	assert_true(ack_floor(f) < 150);

	snprintf(log, sizeof(log), "%s/clean.log", f->dir);
	finish_clean(f, log);
}

/* Killed with the fifth batch folded but not committed: it is lost whole. */
static void
test_crash_before_commit(void **state)
{
	struct fixture *f = *state;
	char log[ITEST_PATH_MAX];

	start_with_fixture(f, 50);
	snprintf(log, sizeof(log), "%s/crash.log", f->dir);
	crash_at(f, "before_commit:5", log);
	assert_int_equal(itest_last_seq(f->db), 200);
	assert_integrity(f->db);
	/* Nothing of the fifth batch shows: no parked event of seq > 200. */
	assert_int_equal(itest_query_int(f->db,
	    "SELECT count(*) FROM projector_parked WHERE seq > 200"), 0);

	snprintf(log, sizeof(log), "%s/clean.log", f->dir);
	finish_clean(f, log);
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
	struct fixture *f = *state;
	char log[ITEST_PATH_MAX], fault[64];
	long long want = 0;
	int k;

	start_with_fixture(f, 20);
	for (k = 1; k <= 6; k++) {
		snprintf(log, sizeof(log), "%s/crash-%d.log", f->dir, k);
		snprintf(fault, sizeof(fault), "after_commit:%d", k);
		crash_at(f, fault, log);
		want += 20 * k;
		assert_int_equal(itest_last_seq(f->db), want);
		assert_integrity(f->db);
	}
	assert_int_equal(want, 420);
	assert_true(ack_floor(f) < (uint64_t)want);

	snprintf(log, sizeof(log), "%s/clean.log", f->dir);
	finish_clean(f, log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_after_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_loop, setup,
		    teardown),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* cnats keeps threads and global state; free them for leak checkers. */
	nats_CloseAndWait(5000);
	return rc;
}
