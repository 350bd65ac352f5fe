/*
 * clusterfx.c: the fixture of the tests against several nats-servers (see
 * clusterfx.h).
 */
#include <errno.h>
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
#include "scrape.h"
#include "stream.h"
#include "tmp.h"

/* Where each part of the stream ends, in tenths of it. */
static const int clusterfx_cuts[CLUSTERFX_PARTS] = { 7, 9, 10 };

/* What clusterfx_main() was given, for the group setup. */
static struct {
	struct clusterfx_group	*g;
	const char		*name;
	const char		*prefix;
	int			 nevents;
} run;

/*
 * Cuts the events.jsonl file at path into the parts of g: part k holds
 * the lines up to g->end[k]. Returns 0, or -1 with errno set.
 */
static int
cut(const struct clusterfx_group *g, const char *path)
{
	FILE *in, *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	long long n = 0;
	int k = 0, rc = -1;

	if ((in = fopen(path, "re")) == NULL)
		return -1;
	while (getline(&line, &cap, in) != -1) {
		while (k < CLUSTERFX_PARTS && n == g->end[k]) {
			if (out != NULL && fclose(out) != 0) {
				out = NULL;
				goto done;
			}
			out = NULL;
			k++;
		}
		if (k == CLUSTERFX_PARTS)
			break;
		if (out == NULL && (out = fopen(g->part[k], "we")) == NULL)
			goto done;
		if (fputs(line, out) == EOF)
			goto done;
		n++;
	}
	if (n != g->end[CLUSTERFX_PARTS - 1] || ferror(in)) {
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

/*
 * Generates the stream of the run into a temp dir named after
 * run.prefix, once for every test, and cuts it into run.g's parts:
 * run.nevents events (TEST_EVENTS overrides), from the seed TEST_SEED or
 * one of the clock and the pid, printed under run.name. TEST_VERBOSE sets
 * g->verbose. Returns 0, or -1 (said on stderr).
 */
static int
group_setup(void **state)
{
	struct clusterfx_group *g = run.g;
	const char *name = run.name;
	char events[ITEST_PATH_MAX], err[1024];
	int k;

	(void)state;

	g->seed = itest_env_number("TEST_SEED",
	    ((unsigned long long)time(NULL) ^ (unsigned long long)getpid()) %
	    1000000);
	g->nevents = (int)itest_env_number("TEST_EVENTS",
	    (unsigned long long)run.nevents);
	g->verbose = getenv("TEST_VERBOSE") != NULL;
	fprintf(stderr, "%s: seed %llu, %d events (TEST_SEED=%llu repeats"
	    " them)\n", name, g->seed, g->nevents, g->seed);
	if (tmp_dir(run.prefix, g->dir, sizeof(g->dir)) == -1)
		return -1;
	for (k = 0; k < CLUSTERFX_PARTS; k++) {
		/* Through events: GCC's -Wrestrict (ASan) fears an overlap. */
		snprintf(events, sizeof(events), "%s/part%d.jsonl", g->dir,
		    k + 1);
		memcpy(g->part[k], events, sizeof(events));
		g->end[k] = (long long)g->nevents * clusterfx_cuts[k] / 10;
	}
	snprintf(events, sizeof(events), "%s/events.jsonl", g->dir);
	if (stream_generate(events, g->seed, g->nevents, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", name, err);
		goto fail;
	}
	if (cut(g, events) == -1) {
		fprintf(stderr, "%s: cutting %s: %s\n", name, events,
		    strerror(errno));
		goto fail;
	}
	return 0;

fail:
	tmp_rm_rf(g->dir);
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	tmp_rm_rf(run.g->dir);
	return 0;
}

/*
 * The main() of a test of this fixture: runs tests (itest_main()) with g
 * made for them all by the group setup, as clusterfx.h says.
 */
int
clusterfx_main(const struct CMUnitTest *tests, size_t n,
    struct clusterfx_group *g, const char *name, const char *prefix,
    int nevents)
{
	run.g = g;
	run.name = name;
	run.prefix = prefix;
	run.nevents = nevents;
	return itest_main(tests, n, group_setup, group_teardown);
}

/*
 * A test's setup: allocates size bytes, a struct whose first member is
 * struct clusterfx, with the common fixture in a temp dir named after
 * prefix.
 */
int
clusterfx_setup(void **state, size_t size, const char *prefix)
{
	struct clusterfx *x;

	if (size < sizeof(*x) || (x = calloc(1, size)) == NULL)
		return -1;
	if (itest_fx_setup(prefix, 0, (void **)&x->f) == -1) {
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

/* Kills the projector first: it must not see the servers go away. */
int
clusterfx_teardown(void **state)
{
	struct clusterfx *x = *state;

	proc_release(&x->f->p);
	natsd_cluster_release(&x->c);
	itest_fx_teardown((void **)&x->f);
	free(x);
	return 0;
}

/*
 * After what (natsd_cluster_start() or another start) failed with err:
 * skips the test on a machine without nats-server, else fails it.
 */
void
clusterfx_fx_no_cluster(const char *what, const char *err)
{
	if (strstr(err, "cannot run") != NULL) {
		print_message("skipped: %s\n", err);
		skip();
	}
	fail_msg("%s: %s", what, err);
}

/*
 * Writes a configuration of account ga-1 with servers (a YAML list's
 * inside, as an operator lists a cluster) in nats.servers: its database
 * db, its durable consumer (NULL: the default), batches of at most batch
 * events (0: the default).
 */
void
clusterfx_fx_write_config(const char *servers, const char *path,
    const char *db, const char *consumer, int batch)
{
	const struct itest_account acct = { "ga-1", NULL, db, NULL, consumer,
	    NULL };

	if (itest_write_config(path, servers, NULL, batch, 0, &acct,
	    1) == -1)
		fail_msg("%s: %s", path, strerror(errno));
}

/*
 * Appends an http: block on a free port to f->config, for the metrics, and
 * keeps its URL in x->metrics.
 */
void
clusterfx_fx_add_http(struct clusterfx *x)
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
 * Publishes part k of g's stream through urls (comma-separated; any that
 * is up): afterwards the stream's last sequence is g->end[k]. via, when
 * not NULL, names where the events went through, in the message.
 */
void
clusterfx_fx_publish_part(const struct clusterfx_group *g, const char *urls,
    int k, const char *via)
{
	uint64_t count = 0;
	long long t0 = itest_now_ms();
	char err[1024];

	if (stream_append(urls, ITEST_STREAM, g->part[k], &count, err,
	    sizeof(err)) == -1)
		fail_msg("part %d: %s", k + 1, err);
	assert_int_equal(count, g->end[k] - (k > 0 ? g->end[k - 1] : 0));
	print_message("part %d published%s%s: seq %lld to %lld in %lld ms\n",
	    k + 1, via != NULL ? " through " : "", via != NULL ? via : "",
	    k > 0 ? g->end[k - 1] + 1 : 1, g->end[k], itest_now_ms() - t0);
}

/*
 * Waits until f->db has applied exactly want, within
 * CLUSTERFX_CATCH_UP_MS; the projector runs on.
 */
void
clusterfx_fx_wait_seq(struct itest_fx *f, long long want)
{
	char err[1024];

	if (itest_wait_last_seq(f->db, want, &f->p, CLUSTERFX_CATCH_UP_MS, err,
	    sizeof(err)) == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * Returns the node the projector is connected to now: the URL of its
 * log's last msg=connected or msg=reconnected line. Fails when there is
 * none or it names no node of x->c.
 */
int
clusterfx_fx_connected_node(struct clusterfx *x)
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
 * Returns the value of series in the running projector's metrics
 * (x->metrics); fails when the endpoint does not answer 200 or has no
 * such series.
 */
double
clusterfx_fx_metric(const struct clusterfx *x, const char *series)
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
 * The projector's log tells of no gap: no event expired before it was
 * applied, and the stream never went backwards.
 */
void
clusterfx_fx_assert_no_gap(struct itest_fx *f)
{
	int gaps = itest_log_count(f->log, "events expired", NULL);
	int back = itest_log_count(f->log, "stream went backwards", NULL);

	if (gaps != 0 || back != 0) {
		itest_show_log(f->log);
		fail_msg("%s: %d gap and %d backwards lines", f->log, gaps,
		    back);
	}
}

/*
 * Runs a clean `projector run --once` of g's whole stream into <name>.db
 * (in f's dir) through a durable consumer of its own, name, connected to
 * servers (a YAML list's inside), with the default batches; fails unless
 * it exits 0 with no sanitizer report, having applied the stream's last
 * sequence. Writes the database's path into db and returns the run's
 * wall time in ms (the process's start included).
 */
long long
clusterfx_fx_run_once(struct itest_fx *f, const struct clusterfx_group *g,
    const char *servers, const char *name, char *db, size_t dblen)
{
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
	clusterfx_fx_write_config(servers, yaml, file, name, 0);
	t0 = itest_now_ms();
	if (proc_run(argv, CLUSTERFX_CATCH_UP_MS, &code, NULL, log) == -1)
		fail_msg("%s run --once (%s): cannot run, or still running"
		    " after %d ms", f->bin, name, CLUSTERFX_CATCH_UP_MS);
	ms = itest_now_ms() - t0;
	itest_fx_assert_no_sanitizer(log);
	if (code != 0) {
		itest_show_log(log);
		fail_msg("the %s run exited %d", name, code);
	}
	assert_int_equal(itest_last_seq(db), g->nevents);
	return ms;
}

/*
 * The oracle: the projector stopped cleanly (SIGTERM, exit 0, no sanitizer
 * report), its database has applied exactly the stream's last sequence
 * (every projection), is sound, and answers the six contract queries as
 * <reference>.db does, folded from the same stream by
 * clusterfx_fx_run_once() through consumer reference, connected to
 * servers. Returns the reference run's wall time in ms.
 */
long long
clusterfx_fx_assert_oracle(struct itest_fx *f, const struct clusterfx_group *g,
    const char *servers, const char *reference)
{
	char ref[ITEST_PATH_MAX], err[2048];
	long long ms;

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	if (g->verbose)
		itest_show_log(f->log);
	assert_int_equal(itest_last_seq(f->db), g->nevents);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT max(last_seq) FROM projector_status"), g->nevents);
	itest_fx_assert_integrity(f, f->db);
	ms = clusterfx_fx_run_once(f, g, servers, reference, ref, sizeof(ref));
	if (stream_diff(ref, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("reference folded in %lld ms; equal\n", ms);
	return ms;
}
