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

#include "itest.h"
#include "natsd_cluster.h"
#include "proc.h"
#include "scrape.h"
#include "stream.h"
#include "tmp.h"

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
#define CLUSTER_CATCH_UP_MS	300000	/* a whole stream, under ASan, loaded */
#define CLUSTER_PARTS		3

/* Where each part of the stream ends, in tenths of it. */
static const int cluster_cuts[CLUSTER_PARTS] = { 7, 9, 10 };

/* What the tests share: the generated stream, cut into parts. */
static struct {
	char			dir[512];
	char			part[CLUSTER_PARTS][ITEST_PATH_MAX];
	long long		end[CLUSTER_PARTS];	/* last seq of each */
	unsigned long long	seed;
	int			nevents;
	int			verbose;
} group;

/* What one test holds besides the common fixture. */
struct cluster_fx {
	struct itest_fx		*f;
	struct natsd_cluster	 c;
	char			 servers[NATSD_CLUSTER_MAX * 72]; /* YAML */
	char			 metrics[64];	/* the http: block's /metrics */
};

/* Reads a positive number from the environment, or returns dflt. */
static unsigned long long
env_number(const char *name, unsigned long long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtoull(s, &end, 10);
	return *end == '\0' && v > 0 ? v : dflt;
}

/*
 * Cuts the events.jsonl file at path into the parts of group: part k holds
 * the lines up to group.end[k]. Returns 0, or -1 with errno set.
 */
static int
cut(const char *path)
{
	FILE *in, *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	long long n = 0;
	int k = 0, rc = -1;

	if ((in = fopen(path, "re")) == NULL)
		return -1;
	while (getline(&line, &cap, in) != -1) {
		while (k < CLUSTER_PARTS && n == group.end[k]) {
			if (out != NULL && fclose(out) != 0) {
				out = NULL;
				goto done;
			}
			out = NULL;
			k++;
		}
		if (k == CLUSTER_PARTS)
			break;
		if (out == NULL && (out = fopen(group.part[k], "we")) == NULL)
			goto done;
		if (fputs(line, out) == EOF)
			goto done;
		n++;
	}
	if (n != group.end[CLUSTER_PARTS - 1] || ferror(in)) {
		errno = EINVAL;
		goto done;
	}
	rc = 0;
done:
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	free(line);
	fclose(in);
	return rc;
}

/* Generates the stream of the run, once for every test, and cuts it. */
static int
group_setup(void **state)
{
	char events[ITEST_PATH_MAX], err[1024];
	int k;

	(void)state;
	group.seed = env_number("TEST_SEED",
	    ((unsigned long long)time(NULL) ^ (unsigned long long)getpid()) %
	    1000000);
	group.nevents = (int)env_number("TEST_EVENTS", CLUSTER_EVENTS);
	group.verbose = getenv("TEST_VERBOSE") != NULL;
	fprintf(stderr, "test_cluster: seed %llu, %d events (TEST_SEED=%llu"
	    " repeats them)\n", group.seed, group.nevents, group.seed);
	if (tmp_dir("itest-cluster-group-", group.dir, sizeof(group.dir)) == -1)
		return -1;
	for (k = 0; k < CLUSTER_PARTS; k++) {
		/* Through events: GCC's -Wrestrict (ASan) fears an overlap. */
		snprintf(events, sizeof(events), "%s/part%d.jsonl", group.dir,
		    k + 1);
		memcpy(group.part[k], events, sizeof(events));
		group.end[k] = (long long)group.nevents * cluster_cuts[k] / 10;
	}
	snprintf(events, sizeof(events), "%s/events.jsonl", group.dir);
	if (stream_generate(events, group.seed, group.nevents, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "test_cluster: %s\n", err);
		goto fail;
	}
	if (cut(events) == -1) {
		fprintf(stderr, "test_cluster: cutting %s: %s\n", events,
		    strerror(errno));
		goto fail;
	}
	return 0;

fail:
	tmp_rm_rf(group.dir);
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	tmp_rm_rf(group.dir);
	return 0;
}

static int
setup(void **state)
{
	struct cluster_fx *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	if (itest_fx_setup("itest-cluster-", 0, (void **)&x->f) == -1) {
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

/* Kills the projector first: it must not see the cluster go away. */
static int
teardown(void **state)
{
	struct cluster_fx *x = *state;

	proc_release(&x->f->p);
	natsd_cluster_release(&x->c);
	itest_fx_teardown((void **)&x->f);
	free(x);
	return 0;
}

/*
 * Writes a configuration of account ga-1 on every node of the cluster,
 * comma-separated in nats.servers, as an operator lists a cluster: its
 * database db, its durable consumer (NULL: the default), batches of at
 * most batch events (0: the default).
 */
static void
write_config(struct cluster_fx *x, const char *path, const char *db,
    const char *consumer, int batch)
{
	const struct itest_account acct = { "ga-1", NULL, db, NULL, consumer,
	    NULL };

	if (itest_write_config(path, x->servers, NULL, batch, 0, &acct,
	    1) == -1)
		fail_msg("%s: %s", path, strerror(errno));
}

/* Appends an http: block on a free port to f->config, for the metrics. */
static void
add_http(struct cluster_fx *x)
{
	FILE *fp;
	int port;

	assert_true((port = scrape_free_port()) > 0);
	snprintf(x->metrics, sizeof(x->metrics), "http://127.0.0.1:%d/metrics",
	    port);
	assert_non_null(fp = fopen(x->f->config, "a"));
	fprintf(fp, "http:\n  listen: 127.0.0.1:%d\n", port);
	assert_int_equal(fclose(fp), 0);
}

/*
 * Starts the cluster of x and makes the R3 stream on it, writes f->config
 * and publishes the first part of the stream. A machine without
 * nats-server skips the test.
 */
static void
start(struct cluster_fx *x)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	char err[1024];
	long long t0 = itest_now_ms();
	size_t off = 0;
	int i;

	if (natsd_cluster_start(&x->c, CLUSTER_NODES, err, sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_cluster_start: %s", err);
	}
	if (natsd_cluster_add_stream(&x->c, ITEST_STREAM, subjects, 1,
	    CLUSTER_REPLICAS, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	for (i = 0; i < x->c.n; i++)
		off += (size_t)snprintf(x->servers + off, sizeof(x->servers) -
		    off, "%s%s", i > 0 ? ", " : "", x->c.node[i].url);
	write_config(x, x->f->config, "ga-1.db", NULL, CLUSTER_BATCH);
	add_http(x);
	print_message("cluster of %d up, R%d stream made in %lld ms (%s)\n",
	    x->c.n, CLUSTER_REPLICAS, itest_now_ms() - t0, x->c.urls);
}

/*
 * Publishes part k of the stream into the cluster (any node that is up):
 * afterwards the stream's last sequence is group.end[k].
 */
static void
publish_part(struct cluster_fx *x, int k)
{
	uint64_t count = 0;
	long long t0 = itest_now_ms();
	char err[1024];

	if (stream_append(x->c.urls, ITEST_STREAM, group.part[k], &count, err,
	    sizeof(err)) == -1)
		fail_msg("part %d: %s", k + 1, err);
	assert_int_equal(count, group.end[k] - (k > 0 ? group.end[k - 1] : 0));
	print_message("part %d published: seq %lld to %lld in %lld ms\n", k + 1,
	    k > 0 ? group.end[k - 1] + 1 : 1, group.end[k],
	    itest_now_ms() - t0);
}

/* Fails, with the log shown, unless the projector still runs. */
static void
assert_alive(struct itest_fx *f, const char *when)
{
	int status;

	if (proc_wait(&f->p, 0, &status) == 0) {
		itest_show_log(f->log);
		fail_msg("the projector exited (status %d) %s",
		    proc_exit_code(status), when);
	}
}

/*
 * Starts `projector run` on f->config in the background, its stderr in
 * f->log, with debug lines: when a test fails, its log shows what the
 * worker did last.
 */
static void
start_run(struct itest_fx *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, "--log-level",
	    "debug", NULL };
	char err[512];

	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/*
 * Polls the checkpoint of f->db until it passes past, and returns it.
 * Fails, with the log shown, when the projector exits first or
 * ITEST_WAIT_MS pass.
 */
static long long
wait_past(struct itest_fx *f, long long past)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS, v;

	while ((v = itest_last_seq(f->db)) <= past) {
		assert_alive(f, "before its checkpoint moved");
		if (itest_now_ms() >= deadline) {
			itest_show_log(f->log);
			fail_msg("last_seq %lld after %d ms, want past %lld", v,
			    ITEST_WAIT_MS, past);
		}
		itest_nap();
	}
	return v;
}

/* Waits until f->db has applied exactly want; the projector runs on. */
static void
wait_seq(struct itest_fx *f, long long want)
{
	char err[1024];

	if (itest_wait_last_seq(f->db, want, &f->p, CLUSTER_CATCH_UP_MS, err,
	    sizeof(err)) == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * Returns the node the projector is connected to now: the URL of its
 * log's last msg=connected or msg=reconnected line. Fails when there is
 * none or it names no node of the cluster.
 */
static int
connected_node(struct cluster_fx *x)
{
	char *text, *line, *url, *end;
	int node = -1;

	if (tmp_read_file(x->f->log, &text, NULL) == -1)
		fail_msg("%s: %s", x->f->log, strerror(errno));
	for (line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if ((strstr(line, "msg=connected ") != NULL ||
		    strstr(line, "msg=reconnected ") != NULL) &&
		    (url = strstr(line, "url=")) != NULL) {
			url += 4;
			if ((end = strchr(url, ' ')) != NULL)
				*end = '\0';
			node = natsd_cluster_node_of_url(&x->c, url);
		}
	free(text);
	if (node < 0) {
		itest_show_log(x->f->log);
		fail_msg("%s: no connected line naming a node of %s", x->f->log,
		    x->c.urls);
	}
	return node;
}

/*
 * Makes node the leader of the stream and of the projector's consumer, so
 * that killing it takes the projector's connection and both leaders.
 */
static void
lead_from(struct cluster_fx *x, int node)
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
 * Counts the reconnections in the projector's log: cnats's own reconnect
 * logs msg=reconnected, a connection the worker opened anew logs one more
 * msg=connected (the first was the start's), as in test_faults.c.
 */
static int
reconnections(struct itest_fx *f)
{
	int again = itest_log_count(f->log, "msg=connected", NULL) - 1;

	return itest_log_count(f->log, "msg=reconnected", NULL) +
	    (again > 0 ? again : 0);
}

/* Waits until the projector's log tells of at least n reconnections. */
static void
wait_reconnections(struct itest_fx *f, int n)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;

	while (reconnections(f) < n) {
		assert_alive(f, "while reconnecting");
		if (itest_now_ms() >= deadline) {
			itest_show_log(f->log);
			fail_msg("%s: %d of %d reconnections after %d ms", f->log,
			    reconnections(f), n, ITEST_WAIT_MS);
		}
		itest_nap();
	}
}

/*
 * Kills node (the leader of everything), waits until the projector says
 * it lost its connection and is connected again (to one of the others),
 * and until the two nodes left have elected a new leader of the stream and
 * of the consumer. Returns the checkpoint at the moment of the kill.
 */
static long long
kill_leader(struct cluster_fx *x, int node)
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
	wait_reconnections(f, 1);
	if (natsd_cluster_wait_leader(&x->c, ITEST_STREAM, NULL, node,
	    ITEST_WAIT_MS, &lead, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s killed at last_seq %lld; projector reconnected to"
	    " %s, %s leads the stream, in %lld ms\n", x->c.node[node].name, seq,
	    x->c.node[connected_node(x)].name, x->c.node[lead].name,
	    itest_now_ms() - t0);
	assert_alive(f, "after the leader was killed");
	return seq;
}

/*
 * Restarts node on its ports and store and waits until the stream and the
 * consumer are current on every node again.
 */
static void
restart(struct cluster_fx *x, int node)
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
	assert_alive(x->f, "after the old leader came back");
}

/*
 * Returns the value of series in the running projector's metrics; fails
 * when the endpoint does not answer 200 or has no such series.
 */
static double
metric(struct cluster_fx *x, const char *series)
{
	struct scrape_reply r;
	char err[512];
	double v = 0;

	if (scrape_get(x->metrics, "GET", 10000, &r, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (r.status != 200 || scrape_value(r.body, series, &v) == -1) {
		scrape_reply_release(&r);
		fail_msg("%s: status %ld, %s not found", x->metrics, r.status,
		    series);
	}
	scrape_reply_release(&r);
	return v;
}

/*
 * The projector's log tells of the disconnect and the reconnect, and of
 * no gap: no event expired before it was applied, and the stream never
 * went backwards (the new leader holds everything the old one
 * acknowledged). Its metrics count the reconnects its log tells of (the
 * counter goes up before the line is written).
 */
static void
assert_log(struct cluster_fx *x)
{
	struct itest_fx *f = x->f;
	double reconnects;
	int gaps = itest_log_count(f->log, "events expired", NULL);
	int back = itest_log_count(f->log, "stream went backwards", NULL);

	if (gaps != 0 || back != 0) {
		itest_show_log(f->log);
		fail_msg("%s: %d gap and %d backwards lines", f->log, gaps, back);
	}
	assert_true(itest_log_count(f->log, "msg=disconnected", "account=ga-1",
	    NULL) >= 1);
	assert_true(reconnections(f) >= 1);
	reconnects = metric(x,
	    "projector_nats_reconnects_total{account=\"ga-1\"}");
	assert_true(reconnects >= 1);
	assert_true(reconnects == itest_log_count(f->log, "msg=reconnected",
	    NULL));
	/* And it is connected now, to one of the nodes. */
	assert_true(metric(x, "projector_nats_connected{account=\"ga-1\"}") ==
	    1);
	print_message("log: %d disconnected, %d reconnected, %d connected, %d"
	    " repositionings; projector_nats_reconnects_total %.0f\n",
	    itest_log_count(f->log, "msg=disconnected", NULL),
	    itest_log_count(f->log, "msg=reconnected", NULL),
	    itest_log_count(f->log, "msg=connected", NULL),
	    itest_log_count(f->log, "positioning the consumer again", NULL),
	    reconnects);
}

/*
 * The oracle: the projector stopped cleanly (SIGTERM, exit 0, no sanitizer
 * report), its database has applied exactly the stream's last sequence
 * (every projection), is sound, and answers the six contract queries as
 * reference.db does, folded from the same stream by a clean `run --once`
 * through a consumer of its own.
 */
static void
assert_oracle(struct cluster_fx *x)
{
	struct itest_fx *f = x->f;
	char yaml[ITEST_PATH_MAX], log[ITEST_PATH_MAX], ref[ITEST_PATH_MAX];
	char *argv[] = { f->bin, "run", "-c", yaml, "--once", NULL };
	char err[2048];
	long long t0 = itest_now_ms();
	int code = -1;

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	if (group.verbose)
		itest_show_log(f->log);
	assert_int_equal(itest_last_seq(f->db), group.nevents);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT max(last_seq) FROM projector_status"), group.nevents);
	itest_fx_assert_integrity(f, f->db);

	itest_fx_path(f, "reference.yaml", yaml, sizeof(yaml));
	itest_fx_path(f, "reference.log", log, sizeof(log));
	itest_fx_path(f, "reference.db", ref, sizeof(ref));
	/* Default batches: the reference only has to be right, and quick. */
	write_config(x, yaml, "reference.db", CLUSTER_REFERENCE, 0);
	if (proc_run(argv, CLUSTER_CATCH_UP_MS, &code, NULL, log) == -1)
		fail_msg("%s run --once (the reference): cannot run, or still"
		    " running after %d ms", f->bin, CLUSTER_CATCH_UP_MS);
	itest_fx_assert_no_sanitizer(log);
	if (code != 0) {
		itest_show_log(log);
		fail_msg("the reference run exited %d", code);
	}
	assert_int_equal(itest_last_seq(ref), group.nevents);
	if (stream_diff(ref, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("reference folded in %lld ms; equal\n",
	    itest_now_ms() - t0);
}

/*
 * Case A: the leader killed while the projector catches up on the first
 * part, the second part published while it is down, the third once it is
 * back: no exit, no gap, the exact answer.
 */
static void
test_cluster_kill_leader_catching_up(void **state)
{
	struct cluster_fx *x = *state;
	struct itest_fx *f = x->f;
	long long at, held;
	int node;

	start(x);
	publish_part(x, 0);
	start_run(f);
	/*
	 * Catch-up has begun: a batch is committed, the consumer exists. The
	 * projector is held (SIGSTOP) while the leaders move, so that the
	 * kill still finds it catching up however fast this machine folds
	 * and however many step-downs the moves take; once let go, it must
	 * be seen folding again before the kill.
	 */
	wait_past(f, 0);
	assert_int_equal(proc_signal(&f->p, SIGSTOP), 0);
	node = connected_node(x);
	lead_from(x, node);
	held = itest_last_seq(f->db);
	assert_int_equal(proc_signal(&f->p, SIGCONT), 0);
	wait_past(f, held);
	at = kill_leader(x, node);
	if (at >= group.end[0])
		fail_msg("the catch-up was over (last_seq %lld) before the"
		    " kill: the stream is too short for this machine", at);
	publish_part(x, 1);
	restart(x, node);
	publish_part(x, 2);
	wait_seq(f, group.nevents);
	assert_alive(f, "at the end");
	assert_log(x);
	assert_oracle(x);
}

/*
 * Case B: the leader killed while the projector idles, caught up; the
 * second part published while it is down, into the two nodes left; the
 * third once it is back: no exit, no gap, the exact answer.
 */
static void
test_cluster_kill_leader_idle(void **state)
{
	struct cluster_fx *x = *state;
	struct itest_fx *f = x->f;
	int node;

	start(x);
	publish_part(x, 0);
	start_run(f);
	wait_seq(f, group.end[0]);
	node = connected_node(x);
	lead_from(x, node);
	assert_int_equal(kill_leader(x, node), group.end[0]);
	publish_part(x, 1);
	restart(x, node);
	publish_part(x, 2);
	wait_seq(f, group.nevents);
	assert_alive(f, "at the end");
	assert_log(x);
	assert_oracle(x);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T_(test_cluster_kill_leader_catching_up),
		T_(test_cluster_kill_leader_idle),
	};
#undef T_

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), group_setup,
	    group_teardown);
}
