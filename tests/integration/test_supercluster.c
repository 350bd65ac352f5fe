/*
 * test_supercluster.c: issue 13, point 3. A supercluster on loopback
 * (natsd_cluster_start_super()): clusters A and B of three nats-servers
 * each, joined by gateways. The R3 stream is placed in cluster A; the
 * projector lists only cluster B's three URLs in nats.servers, so that
 * every JetStream request, fetch, delivery and ack of its crosses a
 * gateway, as a site's projector that reads a stream kept in another
 * region would. The events are published through cluster B too.
 *
 * Case 1: the whole stream folded through B, exactly (the oracle below).
 * Before it, the latency the gateway adds is measured: the round trip of
 * a stream info request ($JS.API.STREAM.INFO, answered by the stream's
 * leader, in A) from a client on the leader's node and from one on a node
 * of B, SUPER_RTT_N of each, interleaved, and of a plain NATS request
 * answered by an echo on the leader's node; and two clean `run --once`
 * folds of the whole stream, one through A (the reference) and one
 * through B after it, are timed.
 *
 * Case 2: the server of cluster A that leads the stream (stream info's
 * cluster leader), made to lead the projector's durable consumer too, is
 * killed (SIGKILL) while the projector catches up; the second part of the
 * stream is published meanwhile (into A's two nodes left, through B), the
 * node is restarted on its ports and store, the third part published. The
 * projector must never exit, never lose its own connection (it is in B:
 * no msg=disconnected, projector_nats_reconnects_total 0, connected 1),
 * log no gap, and end exact. As in test_cluster.c, it is held (SIGSTOP)
 * while the consumer's leadership moves, so that the kill still lands in
 * the catch-up on a fast machine.
 *
 * The oracle, as in test_cluster.c: a clean `projector run --once` of the
 * whole stream through a consumer of its own into reference.db, compared
 * by the six contract queries; the database under test must have applied
 * exactly the stream's last sequence and pass PRAGMA integrity_check.
 *
 * TEST_SEED=N repeats a run's stream; TEST_EVENTS=N changes its length;
 * TEST_VERBOSE=1 prints the projector's log. Run from the repository root;
 * the binaries are in $PROJECTOR_BIN_DIR (default build); TEST_FILTER=
 * PATTERN runs only the tests it matches. A machine without nats-server
 * skips the tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "clusterfx.h"
#include "itest.h"
#include "natsd_cluster.h"
#include "proc.h"
#include "publish.h"
#include "stream.h"

#if defined(__SANITIZE_ADDRESS__)
#define SUPER_EVENTS		16000	/* ASan folds ~3 times slower */
#else
#define SUPER_EVENTS		40000
#endif
#define SUPER_CLUSTERS		2	/* A and B */
#define SUPER_NODES		3	/* in each */
#define SUPER_REPLICAS		3
#define SUPER_HOME		"A"	/* where the stream is placed */
#define SUPER_LOCAL		"B"	/* where the projector connects */
#define SUPER_BATCH		100	/* case 2: many batches to cut */
#define SUPER_CONSUMER		"projector"	/* the default durable */
#define SUPER_REFERENCE		"reference"	/* the clean run's consumer */
#define SUPER_RTT_N		300	/* stream info requests per side */
#define SUPER_RTT_MS		2000	/* wait of one of them */

/* What the tests share: the generated stream, cut into parts. */
static struct clusterfx_group group;

/* What one test holds besides the common fixture. */
struct super_fx {
	struct clusterfx	 x;	/* first: clusterfx_setup() */
	char			 local[CLUSTERFX_SERVERS_MAX]; /* YAML, B */
	char			 home[CLUSTERFX_SERVERS_MAX];  /* YAML, A */
	char			 local_urls[NATSD_CLUSTER_MAX * 64]; /* cnats */
	char			 home_urls[NATSD_CLUSTER_MAX * 64];
};

static int
setup(void **state)
{
	return clusterfx_setup(state, sizeof(struct super_fx), "itest-super-");
}

/*
 * Starts the supercluster of x and makes the R3 stream in cluster A,
 * checks that its replicas are A's, and writes f->config with cluster B's
 * URLs only, batches of batch events (0: the default). A machine without
 * nats-server skips the test.
 */
static void
start(struct super_fx *sx, int batch)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct clusterfx *x = &sx->x;
	char err[1024];
	long long t0 = itest_now_ms();
	int lead;

	if (natsd_cluster_start_super(&x->c, SUPER_CLUSTERS, SUPER_NODES, err,
	    sizeof(err)) == -1)
		clusterfx_fx_no_cluster("natsd_cluster_start_super", err);
	if (natsd_cluster_add_stream_in(&x->c, ITEST_STREAM, subjects, 1,
	    SUPER_REPLICAS, SUPER_HOME, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (natsd_cluster_leader(&x->c, ITEST_STREAM, NULL, &lead, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	/* The placement held: the leader (and its current peers) are A's. */
	assert_string_equal(x->c.node[lead].cluster, SUPER_HOME);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_LOCAL, ", ",
	    sx->local, sizeof(sx->local)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_HOME, ", ",
	    sx->home, sizeof(sx->home)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_LOCAL, ",",
	    sx->local_urls, sizeof(sx->local_urls)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_HOME, ",",
	    sx->home_urls, sizeof(sx->home_urls)), SUPER_NODES);
	clusterfx_fx_write_config(sx->local, x->f->config, "ga-1.db", NULL,
	    batch);
	clusterfx_fx_add_http(x);
	print_message("supercluster of %d x %d up, R%d stream placed in %s"
	    " (leader %s) in %lld ms; projector on %s: %s\n", SUPER_CLUSTERS,
	    SUPER_NODES, SUPER_REPLICAS, SUPER_HOME, x->c.node[lead].name,
	    itest_now_ms() - t0, SUPER_LOCAL, sx->local);
}

/*
 * Publishes part k of the stream through cluster B (its PubAcks come from
 * the stream's leader in A, over the gateway): afterwards the stream's
 * last sequence is group.end[k].
 */
static void
publish_part(struct super_fx *sx, int k)
{
	clusterfx_fx_publish_part(&group, sx->local_urls, k, SUPER_LOCAL);
}

/*
 * The projector is connected to a node of B and has been all along: one
 * msg=connected, no disconnect, no reconnect in its log or its metrics;
 * and its log tells of no gap (no event expired before it was applied,
 * the stream never went backwards).
 */
static void
assert_log(struct clusterfx *x)
{
	struct itest_fx *f = x->f;
	int node = clusterfx_fx_connected_node(x);

	clusterfx_fx_assert_no_gap(f);
	assert_string_equal(x->c.node[node].cluster, SUPER_LOCAL);
	assert_int_equal(itest_log_count(f->log, "msg=connected", NULL), 1);
	assert_int_equal(itest_log_count(f->log, "msg=disconnected", NULL), 0);
	assert_true(clusterfx_fx_metric(x,
	    "projector_nats_reconnects_total{account=\"ga-1\"}") == 0);
	assert_true(clusterfx_fx_metric(x,
	    "projector_nats_connected{account=\"ga-1\"}") == 1);
	print_message("log: connected to %s all along, %d repositionings\n",
	    x->c.node[node].name, itest_log_count(f->log,
	    "positioning the consumer again", NULL));
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* A connection to one of urls (comma-separated). */
static natsConnection *
connect_to(const char *urls)
{
	natsConnection *nc = NULL;
	char err[1024];

	if (publish_connect(urls, &nc, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return nc;
}

/* Answers each request with its own payload: the echo of measure_rtt(). */
static void
echo(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	(void)sub;
	(void)arg;
	if (natsMsg_GetReply(msg) != NULL)
		natsConnection_Publish(nc, natsMsg_GetReply(msg),
		    natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
	natsMsg_Destroy(msg);
}

/*
 * One request on subject through nc, timed in microseconds, into *us.
 * Returns 0; or -1 with err when no answer came or a stream info (want
 * not NULL: a string its answer must hold) did not answer it.
 */
static int
request_us(natsConnection *nc, const char *subject, const char *want,
    long long *us, char *err, size_t errlen)
{
	struct timespec t0, t1;
	natsMsg *reply = NULL;
	natsStatus s;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = natsConnection_RequestString(&reply, nc, subject, "{}",
	    SUPER_RTT_MS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (s != NATS_OK)
		snprintf(err, errlen, "%s: %s", subject, natsStatus_GetText(s));
	else if (want != NULL && strstr(natsMsg_GetData(reply), want) == NULL)
		snprintf(err, errlen, "%s: %.300s", subject,
		    natsMsg_GetData(reply));
	else
		rc = 0;
	natsMsg_Destroy(reply);
	*us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
	return rc;
}

/*
 * Polls one request through nc until it is answered (the responder's
 * interest may not have crossed the gateway yet), within ITEST_WAIT_MS.
 */
static void
warm_up(natsConnection *nc, const char *subject, const char *want)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS, us;
	char err[512];

	while (request_us(nc, subject, want, &us, err, sizeof(err)) == -1)
		if (itest_now_ms() >= deadline)
			fail_msg("%s after %d ms", err, ITEST_WAIT_MS);
}

/*
 * SUPER_RTT_N requests on subject through na and as many through nb,
 * interleaved so that both see the same load; prints their medians and
 * 90th percentiles under the name what.
 */
static void
compare_rtt(natsConnection *na, natsConnection *nb, const char *subject,
    const char *want, const char *what, const char *a_name,
    const char *b_name)
{
	static long long a[SUPER_RTT_N], b[SUPER_RTT_N];
	char err[512];
	int i;

	warm_up(na, subject, want);
	warm_up(nb, subject, want);
	for (i = 0; i < SUPER_RTT_N; i++)
		if (request_us(na, subject, want, &a[i], err,
		    sizeof(err)) == -1 || request_us(nb, subject, want, &b[i],
		    err, sizeof(err)) == -1)
			fail_msg("%s", err);
	qsort(a, SUPER_RTT_N, sizeof(a[0]), cmp_ll);
	qsort(b, SUPER_RTT_N, sizeof(b[0]), cmp_ll);
	print_message("%s round trip, %d each: from %s median %lld us, p90"
	    " %lld us; from %s median %lld us, p90 %lld us: the gateway adds"
	    " %lld us (median)\n", what, SUPER_RTT_N, a_name,
	    a[SUPER_RTT_N / 2], a[SUPER_RTT_N * 9 / 10], b_name,
	    b[SUPER_RTT_N / 2], b[SUPER_RTT_N * 9 / 10],
	    b[SUPER_RTT_N / 2] - a[SUPER_RTT_N / 2]);
}

/*
 * Measures the latency the gateway adds, from a client on the node of A
 * that leads the stream and from one on a node of B: the round trip of a
 * stream info request (answered by that leader), and of a plain NATS
 * request answered by an echo on that same node of A (no JetStream: the
 * hop alone, both ways across the gateway from B).
 */
static void
measure_rtt(struct clusterfx *x)
{
	natsConnection *na, *nb, *nr;
	natsSubscription *sub = NULL;
	char err[1024], a_name[64], b_name[64];
	int lead, local;

	if (natsd_cluster_leader(&x->c, ITEST_STREAM, NULL, &lead, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	local = lead % SUPER_NODES + SUPER_NODES;	/* a node of B */
	assert_string_equal(x->c.node[local].cluster, SUPER_LOCAL);
	na = connect_to(x->c.node[lead].url);
	nb = connect_to(x->c.node[local].url);
	nr = connect_to(x->c.node[lead].url);
	if (natsConnection_Subscribe(&sub, nr, "super.echo", echo, NULL) !=
	    NATS_OK || natsConnection_Flush(nr) != NATS_OK)
		fail_msg("echo on %s", x->c.node[lead].name);
	snprintf(a_name, sizeof(a_name), "%s (the leader's node)",
	    x->c.node[lead].name);
	snprintf(b_name, sizeof(b_name), "%s", x->c.node[local].name);
	compare_rtt(na, nb, "$JS.API.STREAM.INFO." ITEST_STREAM, "\"config\"",
	    "stream info", a_name, b_name);
	compare_rtt(na, nb, "super.echo", "{}", "echo", a_name, b_name);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nr);
	natsConnection_Destroy(na);
	natsConnection_Destroy(nb);
}

/*
 * Case 1: the whole stream folded through cluster B, exactly; the
 * gateway's latency measured on the side.
 */
static void
test_supercluster_exact_through_b(void **state)
{
	struct super_fx *sx = *state;
	struct clusterfx *x = &sx->x;
	struct itest_fx *f = x->f;
	char db[ITEST_PATH_MAX], err[2048];
	long long through_a, through_b;
	int k;

	start(sx, 0);
	for (k = 0; k < CLUSTERFX_PARTS; k++)
		publish_part(sx, k);
	measure_rtt(x);
	itest_fx_start_projector_debug(f);
	clusterfx_fx_wait_seq(f, group.nevents);
	itest_fx_assert_alive(f, "at the end");
	assert_log(x);
	/* The reference reads through A: the same fold without a gateway. */
	through_a = clusterfx_fx_assert_oracle(f, &group, sx->home,
	    SUPER_REFERENCE);
	/*
	 * And once more through B, run as the reference was and after it
	 * (so that whatever the servers keep cached favours it): the two
	 * times differ by the gateway alone.
	 */
	through_b = clusterfx_fx_run_once(f, &group, sx->local, "through-b", db,
	    sizeof(db));
	if (stream_diff(db, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("run --once of %d events (default batches): through %s"
	    " %lld ms (%.0f events/s), through %s %lld ms (%.0f events/s);"
	    " equal\n", group.nevents, SUPER_HOME, through_a,
	    group.nevents * 1000.0 / (double)(through_a > 0 ? through_a : 1),
	    SUPER_LOCAL, through_b,
	    group.nevents * 1000.0 / (double)(through_b > 0 ? through_b : 1));
}

/*
 * Case 2: the server of A that leads the stream and the consumer killed
 * while the projector, on B, catches up; the second part published while
 * it is down, the third once it is back and current: no exit, no lost
 * connection, no gap, the exact answer.
 */
static void
test_supercluster_kill_a_catching_up(void **state)
{
	struct super_fx *sx = *state;
	struct clusterfx *x = &sx->x;
	struct itest_fx *f = x->f;
	char err[1024];
	long long at, held, t0;
	int node, lead = -1;

	start(sx, SUPER_BATCH);
	publish_part(sx, 0);
	itest_fx_start_projector_debug(f);
	/*
	 * Catch-up has begun: a batch is committed, the consumer exists. The
	 * projector is held (SIGSTOP) while the consumer's leadership moves
	 * to the stream's leader, so that the kill still finds it catching
	 * up however fast this machine folds; once let go, it must be seen
	 * folding again before the kill.
	 */
	itest_fx_wait_past(f, 0, 0);
	assert_int_equal(proc_signal(&f->p, SIGSTOP), 0);
	t0 = itest_now_ms();
	if (natsd_cluster_leader(&x->c, ITEST_STREAM, NULL, &node, err,
	    sizeof(err)) == -1 ||
	    natsd_cluster_move_leader(&x->c, ITEST_STREAM, SUPER_CONSUMER,
	    node, ITEST_WAIT_MS, err, sizeof(err)) == -1 ||
	    natsd_cluster_leader(&x->c, ITEST_STREAM, NULL, &lead, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(lead, node);
	assert_string_equal(x->c.node[node].cluster, SUPER_HOME);
	print_message("%s leads the stream and the consumer (%lld ms)\n",
	    x->c.node[node].name, itest_now_ms() - t0);
	held = itest_last_seq(f->db);
	assert_int_equal(proc_signal(&f->p, SIGCONT), 0);
	itest_fx_wait_past(f, held, 0);

	at = itest_last_seq(f->db);
	if (natsd_cluster_kill(&x->c, node, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	t0 = itest_now_ms();
	if (at >= group.end[0])
		fail_msg("the catch-up was over (last_seq %lld) before the"
		    " kill: the stream is too short for this machine", at);
	if (natsd_cluster_wait_leader(&x->c, ITEST_STREAM, NULL, node,
	    ITEST_WAIT_MS, &lead, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_string_equal(x->c.node[lead].cluster, SUPER_HOME);
	print_message("%s killed at last_seq %lld; %s leads the stream after"
	    " %lld ms\n", x->c.node[node].name, at, x->c.node[lead].name,
	    itest_now_ms() - t0);
	itest_fx_assert_alive(f, "after the leader was killed");
	publish_part(sx, 1);
	/* It folds on while A has two nodes. */
	itest_fx_wait_past(f, at, 0);

	t0 = itest_now_ms();
	if (natsd_cluster_restart(&x->c, node, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, NULL,
	    SUPER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, SUPER_CONSUMER,
	    SUPER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s back and current in %lld ms\n", x->c.node[node].name,
	    itest_now_ms() - t0);
	itest_fx_assert_alive(f, "after the old leader came back");
	publish_part(sx, 2);
	clusterfx_fx_wait_seq(f, group.nevents);
	itest_fx_assert_alive(f, "at the end");
	assert_log(x);
	clusterfx_fx_assert_oracle(f, &group, sx->local, SUPER_REFERENCE);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, \
	    clusterfx_teardown)
	const struct CMUnitTest tests[] = {
		T_(test_supercluster_exact_through_b),
		T_(test_supercluster_kill_a_catching_up),
	};
#undef T_

	return clusterfx_main(tests, sizeof(tests) / sizeof(tests[0]), &group,
	    "test_supercluster", "itest-super-group-", SUPER_EVENTS);
}
