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

#include "itest.h"
#include "natsd_cluster.h"
#include "proc.h"
#include "publish.h"
#include "scrape.h"
#include "stream.h"
#include "tmp.h"

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
#define SUPER_CATCH_UP_MS	300000	/* a whole stream, under ASan, loaded */
#define SUPER_PARTS		3
#define SUPER_RTT_N		300	/* stream info requests per side */
#define SUPER_RTT_MS		2000	/* wait of one of them */

/* Where each part of the stream ends, in tenths of it. */
static const int super_cuts[SUPER_PARTS] = { 7, 9, 10 };

/* What the tests share: the generated stream, cut into parts. */
static struct {
	char			dir[512];
	char			part[SUPER_PARTS][ITEST_PATH_MAX];
	long long		end[SUPER_PARTS];	/* last seq of each */
	unsigned long long	seed;
	int			nevents;
	int			verbose;
} group;

/* What one test holds besides the common fixture. */
struct super_fx {
	struct itest_fx		*f;
	struct natsd_cluster	 c;
	char			 local[NATSD_CLUSTER_MAX * 72]; /* YAML, B */
	char			 home[NATSD_CLUSTER_MAX * 72];  /* YAML, A */
	char			 local_urls[NATSD_CLUSTER_MAX * 64]; /* cnats */
	char			 home_urls[NATSD_CLUSTER_MAX * 64];
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
		while (k < SUPER_PARTS && n == group.end[k]) {
			if (out != NULL && fclose(out) != 0) {
				out = NULL;
				goto done;
			}
			out = NULL;
			k++;
		}
		if (k == SUPER_PARTS)
			break;
		if (out == NULL && (out = fopen(group.part[k], "we")) == NULL)
			goto done;
		if (fputs(line, out) == EOF)
			goto done;
		n++;
	}
	if (n != group.end[SUPER_PARTS - 1] || ferror(in)) {
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
	group.nevents = (int)env_number("TEST_EVENTS", SUPER_EVENTS);
	group.verbose = getenv("TEST_VERBOSE") != NULL;
	fprintf(stderr, "test_supercluster: seed %llu, %d events (TEST_SEED="
	    "%llu repeats them)\n", group.seed, group.nevents, group.seed);
	if (tmp_dir("itest-super-group-", group.dir, sizeof(group.dir)) == -1)
		return -1;
	for (k = 0; k < SUPER_PARTS; k++) {
		/* Through events: GCC's -Wrestrict (ASan) fears an overlap. */
		snprintf(events, sizeof(events), "%s/part%d.jsonl", group.dir,
		    k + 1);
		memcpy(group.part[k], events, sizeof(events));
		group.end[k] = (long long)group.nevents * super_cuts[k] / 10;
	}
	snprintf(events, sizeof(events), "%s/events.jsonl", group.dir);
	if (stream_generate(events, group.seed, group.nevents, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "test_supercluster: %s\n", err);
		goto fail;
	}
	if (cut(events) == -1) {
		fprintf(stderr, "test_supercluster: cutting %s: %s\n", events,
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
	struct super_fx *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	if (itest_fx_setup("itest-super-", 0, (void **)&x->f) == -1) {
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

/* Kills the projector first: it must not see the servers go away. */
static int
teardown(void **state)
{
	struct super_fx *x = *state;

	proc_release(&x->f->p);
	natsd_cluster_release(&x->c);
	itest_fx_teardown((void **)&x->f);
	free(x);
	return 0;
}

/*
 * Writes a configuration of account ga-1 with servers (a YAML list's
 * inside) in nats.servers: its database db, its durable consumer (NULL:
 * the default), batches of at most batch events (0: the default).
 */
static void
write_config(const char *servers, const char *path, const char *db,
    const char *consumer, int batch)
{
	const struct itest_account acct = { "ga-1", NULL, db, NULL, consumer,
	    NULL };

	if (itest_write_config(path, servers, NULL, batch, 0, &acct,
	    1) == -1)
		fail_msg("%s: %s", path, strerror(errno));
}

/* Appends an http: block on a free port to f->config, for the metrics. */
static void
add_http(struct super_fx *x)
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
 * Starts the supercluster of x and makes the R3 stream in cluster A,
 * checks that its replicas are A's, and writes f->config with cluster B's
 * URLs only, batches of batch events (0: the default). A machine without
 * nats-server skips the test.
 */
static void
start(struct super_fx *x, int batch)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	char err[1024];
	long long t0 = itest_now_ms();
	int lead;

	if (natsd_cluster_start_super(&x->c, SUPER_CLUSTERS, SUPER_NODES, err,
	    sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_cluster_start_super: %s", err);
	}
	if (natsd_cluster_add_stream_in(&x->c, ITEST_STREAM, subjects, 1,
	    SUPER_REPLICAS, SUPER_HOME, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (natsd_cluster_leader(&x->c, ITEST_STREAM, NULL, &lead, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	/* The placement held: the leader (and its current peers) are A's. */
	assert_string_equal(x->c.node[lead].cluster, SUPER_HOME);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_LOCAL, ", ",
	    x->local, sizeof(x->local)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_HOME, ", ",
	    x->home, sizeof(x->home)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_LOCAL, ",",
	    x->local_urls, sizeof(x->local_urls)), SUPER_NODES);
	assert_int_equal(natsd_cluster_urls(&x->c, SUPER_HOME, ",",
	    x->home_urls, sizeof(x->home_urls)), SUPER_NODES);
	write_config(x->local, x->f->config, "ga-1.db", NULL, batch);
	add_http(x);
	print_message("supercluster of %d x %d up, R%d stream placed in %s"
	    " (leader %s) in %lld ms; projector on %s: %s\n", SUPER_CLUSTERS,
	    SUPER_NODES, SUPER_REPLICAS, SUPER_HOME, x->c.node[lead].name,
	    itest_now_ms() - t0, SUPER_LOCAL, x->local);
}

/*
 * Publishes part k of the stream through cluster B (its PubAcks come from
 * the stream's leader in A, over the gateway): afterwards the stream's
 * last sequence is group.end[k].
 */
static void
publish_part(struct super_fx *x, int k)
{
	uint64_t count = 0;
	long long t0 = itest_now_ms();
	char err[1024];

	if (stream_append(x->local_urls, ITEST_STREAM, group.part[k], &count,
	    err, sizeof(err)) == -1)
		fail_msg("part %d: %s", k + 1, err);
	assert_int_equal(count, group.end[k] - (k > 0 ? group.end[k - 1] : 0));
	print_message("part %d published through %s: seq %lld to %lld in %lld"
	    " ms\n", k + 1, SUPER_LOCAL, k > 0 ? group.end[k - 1] + 1 : 1,
	    group.end[k], itest_now_ms() - t0);
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

/* Starts `projector run` on f->config in the background, with debug lines. */
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

	if (itest_wait_last_seq(f->db, want, &f->p, SUPER_CATCH_UP_MS, err,
	    sizeof(err)) == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * Returns the node the projector is connected to: the URL of its log's
 * last msg=connected or msg=reconnected line. Fails when there is none or
 * it names no node of the supercluster.
 */
static int
connected_node(struct super_fx *x)
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

/* Returns the value of series in the running projector's metrics. */
static double
metric(struct super_fx *x, const char *series)
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
 * The projector is connected to a node of B and has been all along: one
 * msg=connected, no disconnect, no reconnect in its log or its metrics;
 * and its log tells of no gap (no event expired before it was applied,
 * the stream never went backwards).
 */
static void
assert_log(struct super_fx *x)
{
	struct itest_fx *f = x->f;
	int gaps = itest_log_count(f->log, "events expired", NULL);
	int back = itest_log_count(f->log, "stream went backwards", NULL);
	int node = connected_node(x);

	if (gaps != 0 || back != 0) {
		itest_show_log(f->log);
		fail_msg("%s: %d gap and %d backwards lines", f->log, gaps, back);
	}
	assert_string_equal(x->c.node[node].cluster, SUPER_LOCAL);
	assert_int_equal(itest_log_count(f->log, "msg=connected", NULL), 1);
	assert_int_equal(itest_log_count(f->log, "msg=disconnected", NULL), 0);
	assert_true(metric(x,
	    "projector_nats_reconnects_total{account=\"ga-1\"}") == 0);
	assert_true(metric(x, "projector_nats_connected{account=\"ga-1\"}") ==
	    1);
	print_message("log: connected to %s all along, %d repositionings\n",
	    x->c.node[node].name, itest_log_count(f->log,
	    "positioning the consumer again", NULL));
}

/*
 * Runs a clean `projector run --once` of the whole stream into
 * <name>.db through a durable consumer of its own, name, connected to
 * servers (a YAML list's inside), with the default batches; fails unless
 * it exits 0 with no sanitizer report, having applied the stream's last
 * sequence. Writes the database's path into db and returns the run's
 * wall time in ms (the process's start included).
 */
static long long
run_once(struct super_fx *x, const char *servers, const char *name,
    char *db, size_t dblen)
{
	struct itest_fx *f = x->f;
	char yaml[ITEST_PATH_MAX], log[ITEST_PATH_MAX], file[256];
	char *argv[] = { f->bin, "run", "-c", yaml, "--once", NULL };
	long long t0, ms;
	int code = -1;

	snprintf(file, sizeof(file), "%s.yaml", name);
	itest_fx_path(f, file, yaml, sizeof(yaml));
	snprintf(file, sizeof(file), "%s.log", name);
	itest_fx_path(f, file, log, sizeof(log));
	snprintf(file, sizeof(file), "%s.db", name);
	itest_fx_path(f, file, db, dblen);
	write_config(servers, yaml, file, name, 0);
	t0 = itest_now_ms();
	if (proc_run(argv, SUPER_CATCH_UP_MS, &code, NULL, log) == -1)
		fail_msg("%s run --once (%s): cannot run, or still running after"
		    " %d ms", f->bin, name, SUPER_CATCH_UP_MS);
	ms = itest_now_ms() - t0;
	itest_fx_assert_no_sanitizer(log);
	if (code != 0) {
		itest_show_log(log);
		fail_msg("the %s run exited %d", name, code);
	}
	assert_int_equal(itest_last_seq(db), group.nevents);
	return ms;
}

/*
 * The oracle: the projector stopped cleanly (SIGTERM, exit 0, no sanitizer
 * report), its database has applied exactly the stream's last sequence
 * (every projection), is sound, and answers the six contract queries as
 * reference.db does, folded from the same stream by run_once() connected
 * to servers. Returns the reference run's wall time in ms.
 */
static long long
assert_oracle(struct super_fx *x, const char *servers)
{
	struct itest_fx *f = x->f;
	char ref[ITEST_PATH_MAX], err[2048];
	long long ms;

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	if (group.verbose)
		itest_show_log(f->log);
	assert_int_equal(itest_last_seq(f->db), group.nevents);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT max(last_seq) FROM projector_status"), group.nevents);
	itest_fx_assert_integrity(f, f->db);
	ms = run_once(x, servers, SUPER_REFERENCE, ref, sizeof(ref));
	if (stream_diff(ref, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("reference folded in %lld ms; equal\n", ms);
	return ms;
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
measure_rtt(struct super_fx *x)
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
	struct super_fx *x = *state;
	struct itest_fx *f = x->f;
	char db[ITEST_PATH_MAX], err[2048];
	long long through_a, through_b;
	int k;

	start(x, 0);
	for (k = 0; k < SUPER_PARTS; k++)
		publish_part(x, k);
	measure_rtt(x);
	start_run(f);
	wait_seq(f, group.nevents);
	assert_alive(f, "at the end");
	assert_log(x);
	/* The reference reads through A: the same fold without a gateway. */
	through_a = assert_oracle(x, x->home);
	/*
	 * And once more through B, run as the reference was and after it
	 * (so that whatever the servers keep cached favours it): the two
	 * times differ by the gateway alone.
	 */
	through_b = run_once(x, x->local, "through-b", db, sizeof(db));
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
	struct super_fx *x = *state;
	struct itest_fx *f = x->f;
	char err[1024];
	long long at, held, t0;
	int node, lead = -1;

	start(x, SUPER_BATCH);
	publish_part(x, 0);
	start_run(f);
	/*
	 * Catch-up has begun: a batch is committed, the consumer exists. The
	 * projector is held (SIGSTOP) while the consumer's leadership moves
	 * to the stream's leader, so that the kill still finds it catching
	 * up however fast this machine folds; once let go, it must be seen
	 * folding again before the kill.
	 */
	wait_past(f, 0);
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
	wait_past(f, held);

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
	assert_alive(f, "after the leader was killed");
	publish_part(x, 1);
	/* It folds on while A has two nodes. */
	wait_past(f, at);

	t0 = itest_now_ms();
	if (natsd_cluster_restart(&x->c, node, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, NULL,
	    SUPER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1 ||
	    natsd_cluster_wait_current(&x->c, ITEST_STREAM, SUPER_CONSUMER,
	    SUPER_REPLICAS, ITEST_WAIT_MS, NULL, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("%s back and current in %lld ms\n", x->c.node[node].name,
	    itest_now_ms() - t0);
	assert_alive(f, "after the old leader came back");
	publish_part(x, 2);
	wait_seq(f, group.nevents);
	assert_alive(f, "at the end");
	assert_log(x);
	assert_oracle(x, x->local);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T_(test_supercluster_exact_through_b),
		T_(test_supercluster_kill_a_catching_up),
	};
#undef T_

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), group_setup,
	    group_teardown);
}
