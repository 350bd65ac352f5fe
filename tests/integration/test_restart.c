/*
 * test_restart.c: nats-server goes away under a running projector, or is
 * not there yet when it starts; the projector waits, says so, and carries
 * on by itself to the exact answer.
 *
 * `projector run` (not --once) runs in the background against a real
 * nats-server that the test kills with SIGKILL and brings back on the same
 * port with the same store. The test learns what the projector is doing
 * only from its log and from its SQLite file (read-only, as a website
 * would), polling both with a deadline. Run from the repository root; the
 * binaries are in $PROJECTOR_BIN_DIR (default build).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#define STOP_MS		5000	/* SIGTERM to exit, at most (README: ~1 s) */
#define HALF		300	/* events published before the restart */

struct fixture {
	struct natsd		d;
	struct proc		p;	/* the projector */
	struct itest_fixture	events;
	char			dir[512];	/* leaves room for file names */
	char			config[ITEST_PATH_MAX];
	char			db[ITEST_PATH_MAX];
	char			log[ITEST_PATH_MAX];
	char			bin[ITEST_PATH_MAX];
};

static int
setup(void **state)
{
	struct fixture *f;
	char err[512];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (tmp_dir("itest-restart-", f->dir, sizeof(f->dir)) == -1 ||
	    itest_fixture_load(ITEST_EVENTS, &f->events, err,
	    sizeof(err)) == -1) {
		tmp_rm_rf(f->dir);
		free(f);
		return -1;
	}
	snprintf(f->config, sizeof(f->config), "%s/projector.yaml", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/ga-1.db", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/projector.log", f->dir);
	itest_bin("projector", f->bin, sizeof(f->bin));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	proc_release(&f->p);
	natsd_release(&f->d);
	itest_fixture_release(&f->events);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/*
 * Starts nats-server with an empty stream and writes the configuration
 * (batches of 50). A machine without nats-server skips the test.
 */
static void
start_server(struct fixture *f)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	static const struct itest_account acct = { "ga-1", NULL, NULL,
	    "ga-1.db" };
	natsConnection *nc = NULL;
	char err[1024];

	if (natsd_start(&f->d, NULL, err, sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_start: %s", err);
	}
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	assert_int_equal(itest_write_config(f->config, f->d.url, 50, &acct, 1),
	    0);
}

/*
 * Publishes fixture lines [from, to) (from 0) one by one over a connection
 * of its own, each acknowledged by the server: they get stream sequences
 * from + 1 to to, since nothing else publishes.
 */
static void
publish_range(struct fixture *f, size_t from, size_t to)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	uint64_t last = 0;
	char err[1024];
	size_t i;

	assert_true(to <= f->events.n);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	for (i = from; i < to; i++)
		if (publish_one(js, f->events.ev[i].subject,
		    f->events.ev[i].payload, f->events.ev[i].len, err,
		    sizeof(err)) == -1)
			fail_msg("line %zu: %s", i + 1, err);
	if (publish_stream_info(nc, ITEST_STREAM, NULL, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(last, to);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/* Starts `projector run` in the background, its output in f->log. */
static void
start_projector(struct fixture *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, NULL };
	char err[512];

	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
wait_last_seq(struct fixture *f, long long want)
{
	char err[1024];

	if (itest_wait_last_seq(f->db, want, &f->p, ITEST_WAIT_MS, err,
	    sizeof(err)) == -1)
		fail_msg("%s (log %s)", err, f->log);
}

/* Waits for a line of the projector's log holding both a and b. */
static void
wait_log(struct fixture *f, const char *a, const char *b)
{
	char err[1024];

	if (itest_wait_log(&f->p, ITEST_WAIT_MS, 1, err, sizeof(err), f->log,
	    a, b, NULL) == -1)
		fail_msg("%s", err);
}

/*
 * Waits until the projector's log says it is connected again after
 * msg=disconnected: cnats's own reconnect logs msg=reconnected, a
 * connection the worker opened anew logs a second msg=connected (the first
 * was the start).
 */
static void
wait_back(struct fixture *f)
{
	struct timespec start, now, nap = { 0, ITEST_POLL_MS * 1000000L };
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (itest_log_count(f->log, "msg=reconnected", NULL) > 0 ||
		    itest_log_count(f->log, "msg=connected", NULL) > 1)
			return;
		if (proc_wait(&f->p, 0, &status) == 0)
			fail_msg("the projector exited (status %d) while the"
			    " server was away (%s)", proc_exit_code(status),
			    f->log);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= ITEST_WAIT_MS)
			fail_msg("%s: not connected again after %d ms", f->log,
			    ITEST_WAIT_MS);
		nanosleep(&nap, NULL);
	}
}

/*
 * SIGTERM: the projector must exit 0 within STOP_MS, and leave the exact
 * answer and a log without sanitizer reports behind.
 */
static void
stop_and_check(struct fixture *f)
{
	char err[1024], line[1024];
	int status;

	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (proc_wait(&f->p, STOP_MS, &status) == -1)
		fail_msg("still running %d ms after SIGTERM", STOP_MS);
	if (itest_sanitizer_report(f->log, line, sizeof(line)))
		fail_msg("%s: %s", f->log, line);
	assert_int_equal(proc_exit_code(status), 0);
	if (itest_contract(f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/*
 * Half the stream, a server crash while the projector idles, the server
 * back on the same port and store, the other half: every event exactly
 * once, without anyone restarting the projector.
 */
static void
test_restart_server_crash(void **state)
{
	struct fixture *f = *state;
	char err[1024];

	start_server(f);
	publish_range(f, 0, HALF);
	start_projector(f);
	wait_last_seq(f, HALF);

	if (natsd_kill(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	wait_log(f, "msg=disconnected", "account=ga-1");
	if (natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	wait_back(f);

	publish_range(f, HALF, ITEST_NEVENTS);
	wait_last_seq(f, ITEST_NEVENTS);
	stop_and_check(f);
}

/*
 * The server is down when the projector starts: it keeps trying and says
 * why, and catches up once the server is back.
 */
static void
test_restart_server_down_at_start(void **state)
{
	struct fixture *f = *state;
	natsConnection *nc = NULL;
	uint64_t count = 0, last = 0;
	char err[1024];
	int status;

	start_server(f);
	if (itest_publish_fixture(f->d.url, ITEST_EVENTS, &count, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(count, ITEST_NEVENTS);
	if (natsd_stop(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);

	start_projector(f);
	wait_log(f, "cannot connect", "account=ga-1");
	/* Still there: a server that is down is no reason to exit. */
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	/* Nothing applied (-1: no status rows, or no file, yet). */
	assert_true(itest_last_seq(f->db) <= 0);

	if (natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_stream_info(nc, ITEST_STREAM, NULL, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	assert_int_equal(last, ITEST_NEVENTS);
	wait_last_seq(f, (long long)last);
	stop_and_check(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_server_crash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_server_down_at_start, setup, teardown),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* cnats keeps threads and global state; free them for leak checkers. */
	nats_CloseAndWait(5000);
	return rc;
}
