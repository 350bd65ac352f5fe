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

#define HALF		300	/* events published before the restart */
#define STALLS		3	/* SIGSTOPs of the server in the stall test */
#define STALL_MS	700	/* each one's length: > the fetch wait */
#define STALL_BATCH	10	/* small batches: many requests in flight */

static int
setup(void **state)
{
	return itest_fx_setup("itest-restart-", 1, state);
}

/*
 * Starts nats-server with an empty stream and writes the configuration
 * (batches of 50). A machine without nats-server skips the test.
 */
static void
start_server(struct itest_fx *f)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	natsConnection *nc = NULL;
	char err[1024];

	itest_fx_start_natsd(f, NULL);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	itest_fx_write_config(f, 50);
}

/*
 * SIGTERM: the projector must exit 0 within ITEST_STOP_MS, and leave the
 * exact answer and a log without sanitizer reports behind.
 */
static void
stop_and_check(struct itest_fx *f)
{
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fx_assert_contract(f);
}

/*
 * Half the stream, a server crash while the projector idles, the server
 * back on the same port and store, the other half: every event exactly
 * once, without anyone restarting the projector.
 */
static void
test_restart_server_crash(void **state)
{
	struct itest_fx *f = *state;
	char err[1024];

	start_server(f);
	itest_fx_publish_acked(f, NULL, 0, HALF);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, HALF);

	if (natsd_kill(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_wait_log(f, f->log, 1, "msg=disconnected", "account=ga-1",
	    NULL);
	if (natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_wait_reconnections(f, 1);

	itest_fx_publish_acked(f, NULL, HALF, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	stop_and_check(f);
}

/*
 * The server is down when the projector starts: it keeps trying and says
 * why, and catches up once the server is back.
 */
static void
test_restart_server_down_at_start(void **state)
{
	struct itest_fx *f = *state;
	natsConnection *nc = NULL;
	uint64_t last = 0;
	char err[1024];
	int status;

	start_server(f);
	itest_fx_publish_fixture(f, NULL, NULL);
	if (natsd_stop(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);

	itest_fx_start_projector(f);
	itest_fx_wait_log(f, f->log, 1, "cannot connect", "account=ga-1", NULL);
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
	itest_fx_wait_last_seq(f, f->db, (long long)last);
	stop_and_check(f);
}

/* Waits until the database has applied at least seq (it may go past). */
static void
wait_at_least(struct itest_fx *f, long long seq)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;

	while (itest_last_seq(f->db) < seq) {
		if (itest_now_ms() >= deadline)
			fail_msg("%s: last_seq %lld, not %lld after %d ms",
			    f->db, itest_last_seq(f->db), seq, ITEST_WAIT_MS);
		itest_nap();
	}
}

/*
 * The server stalls (SIGSTOP: a long GC pause, a saturated host) under a
 * worker catching up in small batches, several times: fetches expire on
 * the worker's side while their pull requests live on in the stopped
 * server, whose answers then arrive late, after newer requests (libnats
 * 3.4.1 can overflow its batch array on such leftovers: source_pull.c
 * positions the consumer again instead, and the test reports how often).
 * Nothing may be lost, applied twice or out of order.
 */
static void
test_restart_server_stall(void **state)
{
	struct itest_fx *f = *state;
	struct timespec stall = { 0, STALL_MS * 1000000L };
	long long seq = 0;
	int k, status;

	start_server(f);
	itest_fx_write_config(f, STALL_BATCH);
	itest_fx_publish_acked(f, NULL, 0, ITEST_NEVENTS);
	itest_fx_start_projector(f);
	for (k = 0; k < STALLS; k++) {
		seq = (k + 1) * (ITEST_NEVENTS / (STALLS + 2));
		wait_at_least(f, seq);
		assert_int_equal(proc_signal(&f->d.proc, SIGSTOP), 0);
		nanosleep(&stall, NULL);	/* the fault's length */
		assert_int_equal(proc_signal(&f->d.proc, SIGCONT), 0);
	}
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	/* Still there: a stalled server is no reason to exit. */
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	print_message("%d stalls of %d ms; %d late-delivery repositions\n",
	    STALLS, STALL_MS, itest_log_count(f->log, "late deliveries", NULL));
	stop_and_check(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_restart_server_crash),
		T_(test_restart_server_down_at_start),
		T_(test_restart_server_stall),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
