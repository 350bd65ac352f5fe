/*
 * bench.c: `make bench`, the benchmark of issue 5. One run, on a
 * nats-server of its own (tests/support/natsd.h, file storage, a temp
 * store), in this order:
 *
 *  1. RSS probe: publish the first BENCH_PROBE events of the generated
 *     stream (gen.h) and time `projector run --once` catching them up from
 *     an empty database, keeping its peak RSS. Then publish the rest, up
 *     to N. The probe is the same stream's beginning, caught up by the
 *     same program in the same way, so its RSS against the full run's says
 *     whether memory grows with the stream (it should not: everything the
 *     projector keeps lives in SQLite). With N <= BENCH_PROBE there is no
 *     probe and no growth to report.
 *  2. The transport ceiling (ceiling.c) over the whole stream, and the
 *     fold alone (foldonly.c) over the same N events made in memory: with
 *     the worker's settings (batch.max_events' default) and with a
 *     rebuild's (5,000 a batch, its bulk pragmas); then over at most
 *     BENCH_PLUGIN_N of them with the built-in leaderboard and with the
 *     same projection loaded as a plug-in (leaderboard_plugin.c), to show
 *     that a plug-in costs what a built-in does.
 *  3. `projector run --once` catching up the whole stream, all three
 *     projections, from an empty database: events/s and peak RSS; its
 *     archive (checked to hold every event) against what it holds; then
 *     the same catch-up without an archive (archive: false), for what
 *     archiving costs.
 *  4. `projector replay --once` on those databases: every projection
 *     rebuilt from sequence 1 and swapped in, read from the archive, and,
 *     for the one without, from the stream; events/s and peak RSS.
 *  5. Latency: the stream deleted and created again, `projector run` on a
 *     fresh database with the default batch settings, one warm-up event
 *     applied, then LAT_RATE events/s for LAT_SECONDS (lat.h). The first
 *     events find the projector idle, and its fetch after an empty one
 *     waits up to a second for a full batch (WORKER_IDLE_WAIT_MS); they
 *     count, as they would after any pause of a real feed. At 5,000/s a
 *     batch fills in 0.2 s and they are 1,000 of 150,000 events.
 *  6. A trickle: the stream created again with BENCH_TRICKLE events, folded
 *     one a batch (batch.max_events: 1), for the archive's ratio when its
 *     messages come one at a time.
 *
 * Every timed run must exit 0 and leave a database that check.h accepts;
 * anything else fails the benchmark (exit 1), with the temp dir (configs,
 * databases, logs) kept for a look. Targets missed are only reported.
 *
 *     bench -p PROJECTOR -c CEILING -f FOLDONLY [-n N] [-l LAT_SECONDS]
 *           [-r LAT_RATE] [-s SEED] [-k]
 *
 * -k keeps the temp dir (configs, databases, logs) after a successful run
 * too, for a closer look at what the projector did.
 *
 * Run it from the repository root (the nats-server configuration is
 * configs/nats-server.conf).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "check.h"
#include "child.h"
#include "config.h"
#include "gen.h"
#include "lat.h"
#include "natsd.h"
#include "proc.h"
#include "pub.h"
#include "publish.h"
#include "report.h"
#include "tmp.h"

#define BENCH_STREAM	"everything"		/* as the tests' ITEST_STREAM */
#define BENCH_SUBJECTS	"v0.rust.servers.>"
#define BENCH_PROBE	100000			/* events of the RSS probe */
#define BENCH_TRICKLE	100000			/* events folded one a batch */
#define BENCH_RUN_S	7200			/* bound on one timed run */
#define BENCH_WARMUP_MS	30000
#define BENCH_STOP_MS	10000			/* SIGTERM to exit */
#define BENCH_REBUILD_BATCH 5000		/* a rebuild's transaction */
#define BENCH_PLUGIN_N	200000	/* events of the plug-in comparison */
#define BENCH_PLUGIN_RUNS 2		/* ... runs of each, alternately */
#define BENCH_PATH_MAX	1024
/* The ceiling's fetch wait: long, see ceiling.c for why. */
#define BENCH_CEILING_WAIT_MS	5000

struct bench {
	const char	*projector, *ceiling, *foldonly;
	const char	*leaderboard_so;	/* the plug-in build of it */
	struct natsd	 d;
	natsConnection	*nc;
	char		 dir[512];
	struct report	 rep;
	char		 err[2 * BENCH_PATH_MAX];
};

/* Names a file of the temp dir. */
static void
bench_path(const struct bench *b, const char *name, char *buf)
{
	snprintf(buf, BENCH_PATH_MAX, "%s/%s", b->dir, name);
}

/*
 * Writes config NAME.yaml for database NAME.db (with its archive, the
 * default, unless NAME starts with "noarch") and consumer bench-NAME;
 * NAME "trickle" folds one event a batch, as a quiet live feed does.
 */
static int
bench_config(struct bench *b, const char *name, char *path)
{
	char text[2048];
	int noarch = strncmp(name, "noarch", 6) == 0;
	int trickle = strcmp(name, "trickle") == 0;

	snprintf(path, BENCH_PATH_MAX, "%s/%s.yaml", b->dir, name);
	snprintf(text, sizeof(text), "# written by tests/bench/bench.c; the "
	    "batch settings are the defaults but for a trickle\nnats:\n"
	    "  servers: [%s]\n%saccounts:\n  - name: bench\n    stream: %s\n"
	    "    consumer: bench-%s\n    database: %s.db\n%s", b->d.url,
	    trickle ? "batch:\n  max_events: 1\n" : "", BENCH_STREAM, name,
	    name, noarch ? "    archive: false\n" : "");
	if (tmp_write_file(path, text) == -1) {
		snprintf(b->err, sizeof(b->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Creates the stream, empty, as the game servers' side would. */
static int
bench_stream(struct bench *b)
{
	const char *const subjects[] = { BENCH_SUBJECTS };

	return publish_create_stream(b->nc, BENCH_STREAM, subjects, 1, b->err,
	    sizeof(b->err));
}

/* Publishes n more events of g and waits until the stream holds total. */
static int
bench_publish(struct bench *b, struct gen *g, uint64_t n, uint64_t total)
{
	int64_t start = pub_now_ns();

	fprintf(stderr, "bench: publishing %llu events\n", (unsigned long long)n);
	if (pub_bulk(b->nc, g, n, b->err, sizeof(b->err)) == -1 ||
	    pub_wait_stream(b->nc, BENCH_STREAM, total, b->err,
	    sizeof(b->err)) == -1)
		return -1;
	b->rep.publish_eps = (double)n / ((double)(pub_now_ns() - start) / 1e9);
	return 0;
}

/*
 * Runs `projector CMD --once -c NAME.yaml` (CMD: run or replay), which must
 * exit 0 and leave NAME.db at checkpoint last_seq adding up to want.
 */
static int
bench_projector(struct bench *b, const char *cmd, const char *name,
    uint64_t last_seq, const struct gen_counts *want, struct child_result *res)
{
	char config[BENCH_PATH_MAX], db[BENCH_PATH_MAX], log[BENCH_PATH_MAX];
	char logname[64], dbname[64];
	char *argv[] = { (char *)b->projector, (char *)cmd, "--once", "-c",
	    config, NULL };

	snprintf(logname, sizeof(logname), "%s-%s.log", name, cmd);
	snprintf(dbname, sizeof(dbname), "%s.db", name);
	bench_path(b, logname, log);
	bench_path(b, dbname, db);
	if (bench_config(b, name, config) == -1)
		return -1;
	fprintf(stderr, "bench: projector %s --once over %llu events\n", cmd,
	    (unsigned long long)last_seq);
	/*
	 * Written back first what the runs before left dirty (nats-server's
	 * store, the last run's files): the kernel would do it during this
	 * one, and the first run after a large publish was 10-20% slower.
	 */
	sync();
	if (child_run(argv, log, BENCH_RUN_S, res, b->err, sizeof(b->err)) == -1)
		return -1;
	fprintf(stderr, "bench:   %.2f s, exit %d, peak RSS %.1f MiB\n",
	    res->seconds, res->exit_code, (double)res->maxrss_kib / 1024.0);
	if (res->exit_code != 0) {
		snprintf(b->err, sizeof(b->err), "projector %s exited %d "
		    "(log: %s)", cmd, res->exit_code, log);
		return -1;
	}
	return check_db(db, last_seq, want, b->err, sizeof(b->err));
}

/* Checks and measures NAME.db's archive, which holds last_seq messages. */
static int
bench_archive(struct bench *b, const char *name, uint64_t last_seq,
    struct check_archive *out)
{
	char path[BENCH_PATH_MAX], file[64];

	snprintf(file, sizeof(file), "%s.db-archive", name);
	bench_path(b, file, path);
	return check_archive(path, last_seq, out, b->err, sizeof(b->err));
}

static int
bench_ceiling(struct bench *b)
{
	char log[BENCH_PATH_MAX], batch[16], wait[16], total[32];
	char *argv[] = { (char *)b->ceiling, b->d.url, BENCH_STREAM,
	    BENCH_SUBJECTS, batch, wait, total, NULL };
	struct child_result res;

	snprintf(batch, sizeof(batch), "%d", b->rep.batch);
	snprintf(wait, sizeof(wait), "%d", BENCH_CEILING_WAIT_MS);
	snprintf(total, sizeof(total), "%llu", (unsigned long long)b->rep.n);
	bench_path(b, "ceiling.log", log);
	fprintf(stderr, "bench: ceiling over %s events\n", total);
	sync();			/* as bench_projector() */
	if (child_run(argv, log, BENCH_RUN_S, &res, b->err, sizeof(b->err)) == -1)
		return -1;
	fprintf(stderr, "bench:   %.2f s, exit %d\n", res.seconds, res.exit_code);
	if (res.exit_code != 0) {
		snprintf(b->err, sizeof(b->err), "ceiling exited %d (log: %s)",
		    res.exit_code, log);
		return -1;
	}
	b->rep.ceiling_eps = (double)b->rep.n / res.seconds;
	return 0;
}

/*
 * The fold alone over the first n events of seed's stream, batch a
 * transaction, as a rebuild opens its shadow when bulk: sets *eps.
 */
static int
bench_foldonly(struct bench *b, uint64_t seed, uint64_t n, int batch,
    int bulk, const char *plugin, double *eps)
{
	char log[BENCH_PATH_MAX], nbuf[32], bbuf[16], sbuf[32], line[256];
	char *argv[] = { (char *)b->foldonly, "-d", b->dir, "-n", nbuf, "-b",
	    bbuf, "-s", sbuf, NULL, NULL, NULL };
	struct child_result res;
	FILE *fp;
	int ok = 0;

	if (bulk)
		argv[9] = "-r";
	else if (plugin != NULL) {
		argv[9] = "-P";
		argv[10] = (char *)plugin;
	}
	snprintf(nbuf, sizeof(nbuf), "%llu", (unsigned long long)n);
	snprintf(bbuf, sizeof(bbuf), "%d", batch);
	snprintf(sbuf, sizeof(sbuf), "%llu", (unsigned long long)seed);
	bench_path(b, bulk ? "foldonly-bulk.log" : "foldonly.log", log);
	fprintf(stderr, "bench: the fold alone over %s events, %d a batch%s\n",
	    nbuf, batch, bulk ? ", as a rebuild" : plugin != NULL ?
	    ", leaderboard as a plug-in" : "");
	sync();			/* as bench_projector() */
	if (child_run(argv, log, BENCH_RUN_S, &res, b->err,
	    sizeof(b->err)) == -1)
		return -1;
	if (res.exit_code == 0 && (fp = fopen(log, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "fold-only %*s events %*s a batch %*s s"
			    " %lf ev/s", eps) == 1)
				ok = 1;
		fclose(fp);
	}
	if (!ok) {
		snprintf(b->err, sizeof(b->err), "foldonly exited %d without"
		    " its line (log: %s)", res.exit_code, log);
		return -1;
	}
	fprintf(stderr, "bench:   %.2f s, exit 0\n", res.seconds);
	return 0;
}

/*
 * The same events folded with the built-in leaderboard and with the same
 * code loaded as a plug-in, alternately, BENCH_PLUGIN_RUNS times each: the
 * best of each, so that the machine's noise does not decide.
 */
static int
bench_plugin(struct bench *b, uint64_t seed)
{
	uint64_t n = b->rep.n < BENCH_PLUGIN_N ? b->rep.n : BENCH_PLUGIN_N;
	double eps;
	int i;

	b->rep.plugin_n = n;
	for (i = 0; i < BENCH_PLUGIN_RUNS; i++) {
		if (bench_foldonly(b, seed, n, b->rep.batch, 0, NULL,
		    &eps) == -1)
			return -1;
		if (eps > b->rep.plugin_builtin_eps)
			b->rep.plugin_builtin_eps = eps;
		if (bench_foldonly(b, seed, n, b->rep.batch, 0,
		    b->leaderboard_so, &eps) == -1)
			return -1;
		if (eps > b->rep.plugin_eps)
			b->rep.plugin_eps = eps;
	}
	return 0;
}

/* Deletes durable consumer bench-NAME, so that it does not idle on. */
static int
bench_drop_consumer(struct bench *b, const char *name)
{
	char consumer[64];
	jsCtx *js = NULL;
	natsStatus s;

	snprintf(consumer, sizeof(consumer), "bench-%s", name);
	if (publish_js(b->nc, &js, b->err, sizeof(b->err)) == -1)
		return -1;
	s = js_DeleteConsumer(js, BENCH_STREAM, consumer, NULL, NULL);
	jsCtx_Destroy(js);
	if (s != NATS_OK) {
		snprintf(b->err, sizeof(b->err), "delete consumer %s: %s",
		    consumer, natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

/* Deletes the stream (and with it every consumer) and creates it again. */
static int
bench_fresh_stream(struct bench *b)
{
	jsCtx *js = NULL;
	natsStatus s;

	if (publish_js(b->nc, &js, b->err, sizeof(b->err)) == -1)
		return -1;
	s = js_DeleteStream(js, BENCH_STREAM, NULL, NULL);
	jsCtx_Destroy(js);
	if (s != NATS_OK) {
		snprintf(b->err, sizeof(b->err), "delete stream %s: %s",
		    BENCH_STREAM, natsStatus_GetText(s));
		return -1;
	}
	return bench_stream(b);
}

/* Phase 5: a live projector, a steady feed, a reader polling the file. */
static int
bench_latency(struct bench *b, uint64_t seed)
{
	char config[BENCH_PATH_MAX], db[BENCH_PATH_MAX], log[BENCH_PATH_MAX];
	char *argv[] = { (char *)b->projector, "run", "-c", config, NULL };
	uint64_t n = (uint64_t)(b->rep.lat_rate * b->rep.lat_seconds);
	struct proc p;
	struct gen *g;
	int status, rc = -1;

	memset(&p, 0, sizeof(p));
	if ((g = gen_new(seed + 1, b->rep.servers, b->rep.players)) == NULL) {
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	bench_path(b, "lat.db", db);
	bench_path(b, "lat-run.log", log);
	if (bench_fresh_stream(b) == -1 || bench_config(b, "lat", config) == -1 ||
	    proc_start(&p, argv, log, b->err, sizeof(b->err)) == -1)
		goto done;
	fprintf(stderr, "bench: latency, %llu events at %.0f/s\n",
	    (unsigned long long)n, b->rep.lat_rate);
	/* One event applied: the consumer is in place, the file is there. */
	if (pub_bulk(b->nc, g, 1, b->err, sizeof(b->err)) == -1 ||
	    lat_wait_seq(db, 1, BENCH_WARMUP_MS, b->err, sizeof(b->err)) == -1 ||
	    lat_run(b->nc, g, db, 2, n, b->rep.lat_rate, &b->rep.lat, b->err,
	    sizeof(b->err)) == -1 ||
	    pub_wait_stream(b->nc, BENCH_STREAM, n + 1, b->err,
	    sizeof(b->err)) == -1)
		goto done;
	if (proc_stop(&p, BENCH_STOP_MS, &status) == -1 ||
	    proc_exit_code(status) != 0) {
		snprintf(b->err, sizeof(b->err), "projector run did not stop "
		    "cleanly on SIGTERM (log: %s)", log);
		goto done;
	}
	rc = check_db(db, n + 1, gen_counts(g), b->err, sizeof(b->err));

done:
	proc_release(&p);
	gen_free(g);
	return rc;
}

/*
 * Phase 6: a trickle. BENCH_TRICKLE events folded one a batch, as a quiet
 * live feed brings them: the archive gets them one at a time and must
 * still pack them into full blocks.
 */
static int
bench_trickle(struct bench *b, uint64_t seed)
{
	struct child_result res;
	struct gen *g;
	uint64_t n = b->rep.trickle_n;
	int rc = -1;

	if ((g = gen_new(seed + 2, b->rep.servers, b->rep.players)) == NULL) {
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	if (bench_fresh_stream(b) == -1 || bench_publish(b, g, n, n) == -1 ||
	    bench_projector(b, "run", "trickle", n, gen_counts(g), &res) == -1 ||
	    bench_archive(b, "trickle", n, &b->rep.trickle) == -1)
		goto done;
	b->rep.trickle_eps = (double)n / res.seconds;
	rc = 0;
done:
	gen_free(g);
	return rc;
}

/* Phases 1 to 4 on one generated stream of b->rep.n events. */
static int
bench_throughput(struct bench *b, uint64_t seed)
{
	struct child_result res;
	struct gen_counts at_probe;
	struct gen *g;
	uint64_t n = b->rep.n, probe = b->rep.probe;
	int rc = -1;

	if ((g = gen_new(seed, b->rep.servers, b->rep.players)) == NULL) {
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	if (bench_stream(b) == -1)
		goto done;
	if (probe > 0) {
		if (bench_publish(b, g, probe, probe) == -1)
			goto done;
		at_probe = *gen_counts(g);
		if (bench_projector(b, "run", "probe", probe, &at_probe,
		    &res) == -1 || bench_drop_consumer(b, "probe") == -1)
			goto done;
		b->rep.probe_rss_kib = res.maxrss_kib;
		b->rep.probe_eps = (double)probe / res.seconds;
	}
	if (bench_publish(b, g, n - probe, n) == -1 || bench_ceiling(b) == -1 ||
	    bench_foldonly(b, seed, n, b->rep.batch, 0, NULL,
	    &b->rep.foldonly_eps) == -1 ||
	    bench_foldonly(b, seed, n, BENCH_REBUILD_BATCH, 1, NULL,
	    &b->rep.foldonly_bulk_eps) == -1 ||
	    bench_plugin(b, seed) == -1)
		goto done;
	if (bench_projector(b, "run", "full", n, gen_counts(g), &res) == -1 ||
	    bench_archive(b, "full", n, &b->rep.archive) == -1)
		goto done;
	b->rep.catchup_eps = (double)n / res.seconds;
	b->rep.catchup_rss_kib = res.maxrss_kib;
	/* The same without the archive: what archiving costs. */
	if (bench_projector(b, "run", "noarch", n, gen_counts(g), &res) == -1)
		goto done;
	b->rep.catchup_noarch_eps = (double)n / res.seconds;
	/* Replays read the archive, or, without one, the stream. */
	if (bench_projector(b, "replay", "full", n, gen_counts(g), &res) == -1)
		goto done;
	b->rep.replay_eps = (double)n / res.seconds;
	b->rep.replay_rss_kib = res.maxrss_kib;
	if (bench_projector(b, "replay", "noarch", n, gen_counts(g),
	    &res) == -1)
		goto done;
	b->rep.replay_stream_eps = (double)n / res.seconds;
	b->rep.replay_stream_rss_kib = res.maxrss_kib;
	rc = 0;

done:
	gen_free(g);
	return rc;
}

static int
bench_usage(void)
{
	fprintf(stderr, "usage: bench -p PROJECTOR -c CEILING -f FOLDONLY "
	    "-L LEADERBOARD_SO [-n N] [-l LAT_SECONDS] [-r LAT_RATE] [-s SEED]"
	    " [-k]\n");
	return 64;
}

int
main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 1;
	int64_t start = pub_now_ns();
	int c, keep = 0, rc = 1;

	memset(&b, 0, sizeof(b));
	b.rep.n = 1000000;
	b.rep.lat_seconds = 30;
	b.rep.lat_rate = 5000;
	while ((c = getopt(argc, argv, "p:c:f:L:n:l:r:s:k")) != -1) {
		switch (c) {
		case 'p': b.projector = optarg; break;
		case 'c': b.ceiling = optarg; break;
		case 'f': b.foldonly = optarg; break;
		case 'L': b.leaderboard_so = optarg; break;
		case 'n': b.rep.n = strtoull(optarg, NULL, 10); break;
		case 'l': b.rep.lat_seconds = atoi(optarg); break;
		case 'r': b.rep.lat_rate = atof(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'k': keep = 1; break;
		default: return bench_usage();
		}
	}
	if (optind != argc || b.projector == NULL || b.ceiling == NULL ||
	    b.foldonly == NULL || b.leaderboard_so == NULL ||
	    b.rep.n < 1 || b.rep.lat_seconds < 1 || b.rep.lat_rate < 1)
		return bench_usage();
	b.rep.probe = b.rep.n > BENCH_PROBE ? BENCH_PROBE : 0;
	b.rep.servers = GEN_DEFAULT_SERVERS;
	b.rep.players = GEN_DEFAULT_PLAYERS;
	b.rep.seed = seed;
	b.rep.batch = CONFIG_DEFAULT_MAX_EVENTS;
	b.rep.wait_ms = CONFIG_DEFAULT_MAX_WAIT_MS;
	b.rep.trickle_n = b.rep.n < BENCH_TRICKLE ? b.rep.n : BENCH_TRICKLE;

	if (tmp_dir("projector-bench-", b.dir, sizeof(b.dir)) == -1) {
		fprintf(stderr, "bench: temp dir: %s\n", strerror(errno));
		return 1;
	}
	if (natsd_start(&b.d, NULL, b.err, sizeof(b.err)) == -1 ||
	    publish_connect(b.d.url, &b.nc, b.err, sizeof(b.err)) == -1 ||
	    bench_throughput(&b, seed) == -1 || bench_latency(&b, seed) == -1 ||
	    bench_trickle(&b, seed) == -1) {
		fprintf(stderr, "bench: %s\nbench: files kept in %s\n", b.err,
		    b.dir);
		goto done;
	}
	report_print(&b.rep, stdout);
	printf("(whole run: %.0f s)\n", (double)(pub_now_ns() - start) / 1e9);
	if (keep)
		fprintf(stderr, "bench: files kept in %s\n", b.dir);
	else
		tmp_rm_rf(b.dir);
	rc = 0;

done:
	natsConnection_Destroy(b.nc);
	natsd_release(&b.d);
	nats_Close();
	return rc;
}
