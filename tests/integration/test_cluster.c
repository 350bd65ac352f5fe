/*
 * test_cluster.c: the Operations issue, point 7. The example configuration
 * lists three servers; this proves it: a 3-node JetStream cluster on
 * loopback (natsd_cluster.h), an R3 stream, and `projector run` with every
 * node's URL in nats.servers. The node that leads the stream is killed
 * (SIGKILL) and restarted on the same ports and store, once while the
 * projector catches up and once while it idles; each time the projector
 * must not exit, must log the disconnect and the reconnect and count the
 * reconnect in its metrics (projector_nats_reconnects_total, scraped from
 * its http: endpoint), must log no gap, and must end with exactly the
 * answer of a clean run.
 *
 * To make the kill hit everything at once, the test first moves the
 * leadership of the stream and of the projector's durable consumer
 * (step-down requests) to the node the projector is connected to (its
 * log's msg=connected line says which): the kill then takes the client's
 * connection, the stream's leader and the consumer's leader together, and
 * the other two nodes elect new ones while events keep coming. During the
 * catch-up the projector is held (SIGSTOP) while the leaders move, which
 * takes a few step-downs, so that the kill still lands in the catch-up on
 * a fast machine; it is seen folding again before the kill.
 *
 * The stream: CLUSTER_EVENTS events of the independent generator
 * tests/oracle/gen.py (stream.h), made once per run from the run's seed and
 * cut into three parts, published one after the other into each test's own
 * cluster: the first before the projector starts, the second while the
 * leader is down (into the two nodes left), the third once it is back and
 * current. The oracle, as in test_faults.c: a clean `projector run --once`
 * of the whole stream through a consumer of its own into reference.db,
 * compared by the six contract queries (contract_diff(), first difference
 * shown); the database under test must also have applied exactly the
 * stream's last sequence and pass PRAGMA integrity_check.
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

#include "clusterfx.h"
#include "itest.h"
#include "natsd_cluster.h"
#include "proc.h"

#if defined(__SANITIZE_ADDRESS__)
#define CLUSTER_EVENTS		20000	/* ASan folds ~3 times slower */
#else
#define CLUSTER_EVENTS		60000
#endif
#define CLUSTER_NODES		3
#define CLUSTER_REPLICAS	3
#define CLUSTER_BATCH		100	/* max_events: many batches to cut */
#define CLUSTER_CONSUMER	"projector"	/* the default durable */
#define CLUSTER_REFERENCE	"reference"	/* the clean run's consumer */

/* What the tests share: the generated stream, cut into parts. */
static struct clusterfx_group group;

/* What one test holds besides the common fixture. */
struct cluster_fx {
	struct clusterfx	 x;	/* first: clusterfx_setup() */
	char			 servers[CLUSTERFX_SERVERS_MAX]; /* YAML */
};

static int
setup(void **state)
{
	return clusterfx_setup(state, sizeof(struct cluster_fx),
	    "itest-cluster-");
}

/*
 * Starts the cluster of x and makes the R3 stream on it, writes f->config
 * (every node's URL, comma-separated in nats.servers, as an operator
 * lists a cluster) and adds its http: block. A machine without
 * nats-server skips the test.
 */
static void
start(struct cluster_fx *cx)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct clusterfx *x = &cx->x;
	char err[1024];
	long long t0 = itest_now_ms();
	size_t off = 0;
	int i;

	if (natsd_cluster_start(&x->c, CLUSTER_NODES, err, sizeof(err)) == -1)
		clusterfx_fx_no_cluster("natsd_cluster_start", err);
	if (natsd_cluster_add_stream(&x->c, ITEST_STREAM, subjects, 1,
	    CLUSTER_REPLICAS, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	for (i = 0; i < x->c.n; i++)
		off += (size_t)snprintf(cx->servers + off, sizeof(cx->servers) -
		    off, "%s%s", i > 0 ? ", " : "", x->c.node[i].url);
	clusterfx_fx_write_config(cx->servers, x->f->config, "ga-1.db", NULL,
	    CLUSTER_BATCH);
	clusterfx_fx_add_http(x);
	print_message("cluster of %d up, R%d stream made in %lld ms (%s)\n",
	    x->c.n, CLUSTER_REPLICAS, itest_now_ms() - t0, x->c.urls);
}

/*
 * Publishes part k of the stream into the cluster (any node that is up):
 * afterwards the stream's last sequence is group.end[k].
 */
static void
publish_part(struct clusterfx *x, int k)
{
	clusterfx_fx_publish_part(&group, x->c.urls, k, NULL);
}

/*
 * Makes node the leader of the stream and of the projector's consumer, so
 * that killing it takes the projector's connection and both leaders.
 */
static void
lead_from(struct clusterfx *x, int node)
{
	char err[1024];
	long long t0 = itest_now_ms();

	if (natsd_cluster_move_leader(&x->c, ITEST_STREAM, CLUSTER_CONSUMER,
	    node, ITEST_WAIT_MS, err, sizeof(err)) == -1 ||
	    natsd_cluster_move_leader(&x->c, ITEST_STREAM, NULL, node,
	    ITEST_WAIT_MS, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s leads the stream and the consumer (%lld ms)\n",
	    x->c.node[node].name, itest_now_ms() - t0);
}

/*
 * Kills node (the leader of everything), waits until the projector says
 * it lost its connection and is connected again (to one of the others),
 * and until the two nodes left have elected a new leader of the stream and
 * of the consumer. Returns the checkpoint at the moment of the kill.
 */
static long long
kill_leader(struct clusterfx *x, int node)
{
	struct itest_fx *f = x->f;
	char err[1024];
	long long seq, t0;
	int lead = -1;

	seq = itest_last_seq(f->db);
	if (natsd_cluster_kill(&x->c, node, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	t0 = itest_now_ms();
	itest_fx_wait_log(f, f->log, 1, "msg=disconnected", "account=ga-1",
	    NULL);
	itest_fx_wait_reconnections(f, 1);
	if (natsd_cluster_wait_leader(&x->c, ITEST_STREAM, NULL, node,
	    ITEST_WAIT_MS, &lead, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s killed at last_seq %lld; projector reconnected to"
	    " %s, %s leads the stream, in %lld ms\n", x->c.node[node].name, seq,
	    x->c.node[clusterfx_fx_connected_node(x)].name,
	    x->c.node[lead].name, itest_now_ms() - t0);
	itest_fx_assert_alive(f, "after the leader was killed");
	return seq;
}

/*
 * Restarts node on its ports and store and waits until the stream and the
 * consumer are current on every node again.
 */
static void
restart(struct clusterfx *x, int node)
{
	char err[1024];
	long long t0 = itest_now_ms();

	if (natsd_cluster_restart(&x->c, node, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, NULL,
	    CLUSTER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, CLUSTER_CONSUMER,
	    CLUSTER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s back and current in %lld ms\n", x->c.node[node].name,
	    itest_now_ms() - t0);
	itest_fx_assert_alive(x->f, "after the old leader came back");
}

/*
 * The projector's log tells of the disconnect and the reconnect, and of
 * no gap: no event expired before it was applied, and the stream never
 * went backwards (the new leader holds everything the old one
 * acknowledged). Its metrics count the reconnects its log tells of (the
 * counter goes up before the line is written).
 */
static void
assert_log(struct clusterfx *x)
{
	struct itest_fx *f = x->f;
	double reconnects;

	clusterfx_fx_assert_no_gap(f);
	assert_true(itest_log_count(f->log, "msg=disconnected", "account=ga-1",
	    NULL) >= 1);
	assert_true(itest_reconnections(f->log) >= 1);
	reconnects = clusterfx_fx_metric(x,
	    "projector_nats_reconnects_total{account=\"ga-1\"}");
	assert_true(reconnects >= 1);
	assert_true(reconnects == itest_log_count(f->log, "msg=reconnected",
	    NULL));
	/* And it is connected now, to one of the nodes. */
	assert_true(clusterfx_fx_metric(x,
	    "projector_nats_connected{account=\"ga-1\"}") == 1);
	print_message("log: %d disconnected, %d reconnected, %d connected, %d"
	    " repositionings; projector_nats_reconnects_total %.0f\n",
	    itest_log_count(f->log, "msg=disconnected", NULL),
	    itest_log_count(f->log, "msg=reconnected", NULL),
	    itest_log_count(f->log, "msg=connected", NULL),
	    itest_log_count(f->log, "positioning the consumer again", NULL),
	    reconnects);
}

/*
 * What both cases do once node, the leader, is down: the second part
 * published into the two nodes left, node restarted, the third part
 * published; then no exit, no gap, the exact answer.
 */
static void
finish(struct cluster_fx *cx, int node)
{
	struct clusterfx *x = &cx->x;
	struct itest_fx *f = x->f;

	publish_part(x, 1);
	restart(x, node);
	publish_part(x, 2);
	clusterfx_fx_wait_seq(f, group.nevents);
	itest_fx_assert_alive(f, "at the end");
	assert_log(x);
	clusterfx_fx_assert_oracle(f, &group, cx->servers,
	    CLUSTER_REFERENCE);
}

/*
 * Case A: the leader killed while the projector catches up on the first
 * part, the second part published while it is down, the third once it is
 * back: no exit, no gap, the exact answer.
 */
static void
test_cluster_kill_leader_catching_up(void **state)
{
	struct cluster_fx *cx = *state;
	struct clusterfx *x = &cx->x;
	struct itest_fx *f = x->f;
	long long at, held;
	int node;

	start(cx);
	publish_part(x, 0);
	itest_fx_start_projector_debug(f);
	/*
	 * Catch-up has begun: a batch is committed, the consumer exists. The
	 * projector is held (SIGSTOP) while the leaders move, so that the
	 * kill still finds it catching up however fast this machine folds
	 * and however many step-downs the moves take; once let go, it must
	 * be seen folding again before the kill.
	 */
	itest_fx_wait_past(f, 0, 0);
	assert_int_equal(proc_signal(&f->p, SIGSTOP), 0);
	node = clusterfx_fx_connected_node(x);
	lead_from(x, node);
	held = itest_last_seq(f->db);
	assert_int_equal(proc_signal(&f->p, SIGCONT), 0);
	itest_fx_wait_past(f, held, 0);
	at = kill_leader(x, node);
	if (at >= group.end[0])
		fail_msg("the catch-up was over (last_seq %lld) before the"
		    " kill: the stream is too short for this machine", at);
	finish(cx, node);
}

/*
 * Case B: the leader killed while the projector idles, caught up; the
 * second part published while it is down, into the two nodes left; the
 * third once it is back: no exit, no gap, the exact answer.
 */
static void
test_cluster_kill_leader_idle(void **state)
{
	struct cluster_fx *cx = *state;
	struct clusterfx *x = &cx->x;
	struct itest_fx *f = x->f;
	int node;

	start(cx);
	publish_part(x, 0);
	itest_fx_start_projector_debug(f);
	clusterfx_fx_wait_seq(f, group.end[0]);
	node = clusterfx_fx_connected_node(x);
	lead_from(x, node);
	assert_int_equal(kill_leader(x, node), group.end[0]);
	finish(cx, node);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, \
	    clusterfx_teardown)
	const struct CMUnitTest tests[] = {
		T_(test_cluster_kill_leader_catching_up),
		T_(test_cluster_kill_leader_idle),
	};
#undef T_

	return clusterfx_main(tests, sizeof(tests) / sizeof(tests[0]), &group,
	    "test_cluster", "itest-cluster-group-", CLUSTER_EVENTS);
}
