/*
 * test_faults.c: issue 4, scenarios 1, 2 and 7. The projector folds a
 * large realistic stream while the test kills it, kills its nats-server,
 * deletes its durable consumer, or hands it a database older than its
 * consumer; each time it must end with exactly the answer of a clean run.
 *
 * The stream: FAULTS_EVENTS events of the independent generator
 * tests/oracle/gen.py (stream.h), made once per run from the run's seed and
 * published into each test's own nats-server. The oracle: before the
 * faults, a clean `projector run --once` folds the same stream, through a
 * consumer of its own ("reference"), into reference.db. After them the
 * database under test must give the same six contract queries (compared
 * by contract_diff(), first difference shown), pass PRAGMA integrity_check,
 * and have applied exactly the stream's last sequence; no log may hold a
 * sanitizer report.
 *
 * 1. kill -9 of the worker at random points, FAULTS_KILLS times: each run
 *    (`run`, sometimes `run --once`, batches of random size) is killed a
 *    random 0 to FAULTS_DELAY_MS after its checkpoint moved; one in five
 *    runs is projector-faults instead, which kills itself at a named point
 *    (after_commit:N, before_commit:N); every FAULTS_EARLY_EVERY kills, one
 *    more run is killed early, whatever it is doing. No kill may lose a
 *    commit or break the file, nor leave the archive (on by default, and
 *    committed before the database: before_commit:N lies between the two)
 *    behind the checkpoint; a last `run --once` takes it to the end, the
 *    archive then holds every event once, and a replay from it gives the
 *    same answer.
 * 2. nats-server killed (SIGKILL) and restarted on the same port and store
 *    FAULTS_SERVER_KILLS times under one `run`: it never exits, logs each
 *    disconnect and reconnect, and goes on. (A projector started while the
 *    server is down is test_restart.c's test_restart_server_down_at_start.)
 * 7a. the durable consumer deleted under a running `run`, twice: it is
 *    created again from the database's checkpoint. (A pull request to a
 *    deleted consumer gets no answer at all: an engine that takes the
 *    empty fetch or the missed heartbeat for a quiet stream or a passing
 *    error waits for ever.)
 * 7b. a database older than the consumer's ack floor (restored from a copy
 *    taken at mid-stream): `run --once` must see that the consumer is ahead
 *    of its checkpoint and deliver from the checkpoint, not lose the middle
 *    (from the archive when it was not restored with the database).
 *
 * Random choices come from one seeded generator: the seed is printed, and
 * TEST_SEED=N repeats a run's choices and stream (the timing of a machine
 * is not repeated). TEST_EVENTS=N changes the stream's length; built with
 * AddressSanitizer (`make sanitize`, which folds three times slower) it is
 * 20,000 events rather than 50,000. TEST_VERBOSE=1 prints each kill of
 * scenario 1 and the projector's log of the others. Run from the
 * repository root; the binaries are in $PROJECTOR_BIN_DIR (default build);
 * TEST_FILTER=PATTERN runs only the tests it matches. A machine without
 * nats-server skips the tests.
 */
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

#include "history.h"
#include "itest.h"
#include "natsd.h"
#include "probe.h"
#include "proc.h"
#include "publish.h"
#include "stream.h"
#include "tmp.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS_EVENTS		20000	/* ASan folds ~3 times slower */
#else
#define FAULTS_EVENTS		50000
#endif
#define FAULTS_KILLS		50	/* scenario 1 */
#define FAULTS_SERVER_KILLS	5	/* scenario 2 */
#define FAULTS_DELETES		2	/* scenario 7a */
#define FAULTS_BATCH		100	/* max_events of scenarios 2 and 7 */
#define FAULTS_DELAY_MS		50	/* most a kill waits after progress */
#define FAULTS_EARLY_EVERY	10	/* scenario 1: an early kill every... */
#define FAULTS_EARLY_MS		150	/* ...at most this long after start */
#define FAULTS_POLL_NS		2000000L	/* 2 ms between two looks */
#define FAULTS_CATCH_UP_MS	300000	/* a whole stream, under ASan, loaded */
#define FAULTS_CONSUMER		"projector"	/* itest_fx_write_config's */
#define FAULTS_REFERENCE	"reference"	/* the clean run's consumer */

/* Batch sizes of scenario 1's runs (the consumer follows each change). */
static const int faults_batches[] = { 10, 20, 50, 100 };

/* What the tests share: the generated stream and the run's seed. */
static struct {
	char			dir[512];
	char			events[ITEST_PATH_MAX];	/* events.jsonl */
	unsigned long long	seed;
	int			nevents;
	int			verbose;	/* TEST_VERBOSE: say more */
	uint64_t		rng;
} group;

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* splitmix64: small, good enough, and the same on every machine. */
static uint64_t
rng_next(void)
{
	uint64_t z = (group.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), or 0 when n <= 0. */
static int
rng_below(int n)
{
	return n <= 0 ? 0 : (int)(rng_next() % (uint64_t)n);
}

/*
 * Seeds the generator for one test from the run's seed and the test's
 * name, so that a test's choices do not depend on the tests before it.
 */
static void
rng_seed(const char *name)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	group.rng = group.seed ^ h;
}

/* Generates the stream of the run, once for every test. */
static int
group_setup(void **state)
{
	char err[1024];

	(void)state;
	group.seed = itest_env_number("TEST_SEED",
	    ((unsigned long long)time(NULL) ^ (unsigned long long)getpid()) %
	    1000000);
	group.nevents = (int)itest_env_number("TEST_EVENTS", FAULTS_EVENTS);
	group.verbose = getenv("TEST_VERBOSE") != NULL;
	fprintf(stderr, "test_faults: seed %llu, %d events (TEST_SEED=%llu"
	    " repeats them)\n", group.seed, group.nevents, group.seed);
	if (tmp_dir("itest-faults-group-", group.dir, sizeof(group.dir)) == -1)
		return -1;
	snprintf(group.events, sizeof(group.events), "%s/events.jsonl",
	    group.dir);
	if (stream_generate(group.events, group.seed, group.nevents, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "test_faults: %s\n", err);
		tmp_rm_rf(group.dir);
		return -1;
	}
	return 0;
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
	return itest_fx_setup("itest-faults-", 0, state);
}

/*
 * Starts the server of f with the run's stream in it (sequences 1 to
 * group.nevents), writes f->config (batches of batch) and makes the
 * oracle: reference.db, folded from the same stream by a clean `run
 * --once` of f->bin through a consumer of its own.
 */
static void
start(struct itest_fx *f, int batch)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	static const struct itest_account reference = { "ga-1", NULL,
	    "reference.db", NULL, FAULTS_REFERENCE, NULL };
	char yaml[ITEST_PATH_MAX], log[ITEST_PATH_MAX], ref[ITEST_PATH_MAX];
	char *argv[] = { f->bin, "run", "-c", yaml, "--once", NULL };
	char err[1024];
	uint64_t count = 0;
	long long t0 = itest_now_ms();
	int code = -1;

	itest_fx_start_natsd(f, NULL);
	if (stream_publish(f->d.url, ITEST_STREAM, subjects, 1, group.events,
	    &count, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(count, group.nevents);
	itest_fx_write_config(f, batch);

	itest_fx_path(f, "reference.yaml", yaml, sizeof(yaml));
	itest_fx_path(f, "reference.log", log, sizeof(log));
	itest_fx_path(f, "reference.db", ref, sizeof(ref));
	itest_fx_write_accounts(f, yaml, &reference, 1);
	if (proc_run(argv, FAULTS_CATCH_UP_MS, &code, NULL, log) == -1)
		fail_msg("%s run --once (the reference): cannot run, or still"
		    " running after %d ms", f->bin, FAULTS_CATCH_UP_MS);
	itest_fx_assert_no_sanitizer(log);
	if (code != 0) {
		itest_show_log(log);
		fail_msg("the reference run exited %d", code);
	}
	assert_int_equal(itest_last_seq(ref), group.nevents);
	print_message("%d events published and folded by the reference in"
	    " %lld ms\n", group.nevents, itest_now_ms() - t0);
}

/*
 * The oracle: the database of f has applied exactly the stream's last
 * sequence (every projection), is sound, and answers the six contract
 * queries exactly as reference.db does; the log of the projector holds no
 * sanitizer report.
 */
static void
assert_oracle(struct itest_fx *f)
{
	natsConnection *nc = NULL;
	char ref[ITEST_PATH_MAX], err[2048];
	uint64_t last = 0;

	itest_fx_assert_no_sanitizer(f->log);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_stream_info(nc, ITEST_STREAM, NULL, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	assert_int_equal(last, group.nevents);
	assert_int_equal(itest_last_seq(f->db), group.nevents);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT max(last_seq) FROM projector_status"), group.nevents);
	itest_fx_assert_integrity(f, f->db);
	itest_fx_path(f, "reference.db", ref, sizeof(ref));
	if (stream_diff(ref, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Waits until f->db has applied the whole stream; the projector runs on. */
static void
wait_end(struct itest_fx *f)
{
	char err[1024];

	if (itest_wait_last_seq(f->db, group.nevents, &f->p,
	    FAULTS_CATCH_UP_MS, err, sizeof(err)) == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * How long a kill may wait after the checkpoint moved, so that the kills
 * left spread over the events left: half of each one's share of them is
 * for the wait (at rate events per ms), the other half for the batch in
 * hand and the overshoot of a slow machine. Capped at FAULTS_DELAY_MS.
 */
static int
max_delay(long long left, int kills_left, int batch, double rate)
{
	double share = (double)left / (kills_left + 1) / 2 - batch;
	double ms = rate > 0 ? share / rate : 0;

	if (ms < 0)
		return 0;
	return ms > FAULTS_DELAY_MS ? FAULTS_DELAY_MS : (int)ms;
}

/*
 * One run of scenario 1 killed from outside: `run` (one in four `run
 * --once`) with batches of batch, SIGKILL a random 0 to delay_max ms
 * after its checkpoint passed before. Returns the checkpoint seen last
 * before the kill (committed, so it must survive it); *delay gets the wait.
 */
static long long
kill_run(struct itest_fx *f, long long before, int delay_max, int *delay)
{
	char *argv[] = { f->bin, "run", "-c", f->config, NULL, NULL };
	char err[512];
	long long seen;
	int status;

	if (rng_below(4) == 0)
		argv[4] = "--once";
	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	seen = itest_fx_wait_past(f, before, FAULTS_POLL_NS);
	*delay = rng_below(delay_max + 1);
	nap_ms(*delay);
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	if (proc_wait(&f->p, ITEST_STOP_MS, &status) == -1)
		fail_msg("the projector outlived SIGKILL by %d ms", ITEST_STOP_MS);
	if (proc_exit_code(status) != ITEST_EXIT_SIGKILL) {
		/* It exited by itself: a crash, or --once at the end. */
		itest_show_log(f->log);
		fail_msg("the projector exited %d before the SIGKILL, at"
		    " last_seq %lld", proc_exit_code(status),
		    itest_last_seq(f->db));
	}
	return seen;
}

/*
 * One run of scenario 1 that kills itself: projector-faults with
 * PROJECTOR_FAULT=point:n, batches of batch. Checks that it died by
 * SIGKILL at that point, and that the checkpoint moved as the point says:
 * after_commit:n keeps n batches, before_commit:n loses the nth.
 */
static void
fault_run(struct itest_fx *f, const char *point, int n, int batch,
    long long before)
{
	char env[128], faults[ITEST_PATH_MAX], needle[64], err[512];
	const char *envp[] = { env, NULL };
	char *argv[] = { faults, "run", "-c", f->config, NULL };
	long long cp, kept = strcmp(point, "after_commit") == 0 ? n : n - 1;
	int status, reached;

	itest_bin("projector-faults", faults, sizeof(faults));
	snprintf(env, sizeof(env), "PROJECTOR_FAULT=%s:%d", point, n);
	snprintf(needle, sizeof(needle), "point=%s", point);
	reached = itest_log_count(f->log, "fault point reached", needle, NULL);
	if (proc_start_env(&f->p, argv, envp, NULL, f->log, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (proc_wait(&f->p, ITEST_RUN_MS, &status) == -1)
		fail_msg("%s with %s still running after %d ms", faults, env,
		    ITEST_RUN_MS);
	if (proc_exit_code(status) != ITEST_EXIT_SIGKILL) {
		itest_show_log(f->log);
		fail_msg("%s with %s: exit status %d, not a SIGKILL", faults,
		    env, proc_exit_code(status));
	}
	assert_int_equal(itest_log_count(f->log, "fault point reached", needle,
	    NULL), reached + 1);
	cp = itest_last_seq(f->db);
	if (cp < before + kept || cp > before + kept * batch) {
		itest_show_log(f->log);
		fail_msg("%s: last_seq %lld after %lld, want %lld batches of at"
		    " most %d", env, cp, before, kept, batch);
	}
}

/*
 * A run of scenario 1 killed early, a random 0 to FAULTS_EARLY_MS after it
 * started, whatever it was doing: opening the database, connecting,
 * deleting or creating the consumer, folding.
 */
static void
early_kill(struct itest_fx *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, NULL };
	char err[512];
	int status;

	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	nap_ms(rng_below(FAULTS_EARLY_MS + 1));
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	if (proc_wait(&f->p, ITEST_STOP_MS, &status) == -1)
		fail_msg("the projector outlived SIGKILL by %d ms", ITEST_STOP_MS);
	if (proc_exit_code(status) != ITEST_EXIT_SIGKILL) {
		itest_show_log(f->log);
		fail_msg("the projector exited %d before the SIGKILL",
		    proc_exit_code(status));
	}
}

/*
 * After a kill: what a reader saw committed before it (seen) is still
 * there, and the file is sound. Returns the checkpoint.
 */
static long long
after_kill(struct itest_fx *f, int k, long long seen)
{
	char archive[ITEST_PATH_MAX + 16];
	long long cp = itest_last_seq(f->db), mark;

	if (cp < seen) {
		itest_show_log(f->log);
		fail_msg("kill %d: last_seq %lld after the kill, %lld seen"
		    " before", k, cp, seen);
	}
	/* The archive commits first: never behind the checkpoint. */
	snprintf(archive, sizeof(archive), "%s-archive", f->db);
	if ((mark = history_mark(archive)) < cp && cp > 0)
		fail_msg("kill %d: the archive's mark %lld is behind the"
		    " checkpoint %lld", k, mark, cp);
	itest_fx_assert_integrity(f, f->db);
	return cp;
}

/*
 * Scenario 1: kill -9 at random points, FAULTS_KILLS times in one pass
 * over the stream (and, every FAULTS_EARLY_EVERY kills, one more early in
 * a run), then a clean run to the end.
 */
static void
test_faults_kill_worker(void **state)
{
	struct itest_fx *f = *state;
	const char *point;
	long long before = 0, seen, cp, t0;
	double rate = 5.0;	/* events per ms, measured as it goes */
	int k, n, batch, delay = 0, delay_max, selfkills = 0, early = 0;

	rng_seed("test_faults_kill_worker");
	start(f, faults_batches[0]);
	t0 = itest_now_ms();
	for (k = 1; k <= FAULTS_KILLS; k++) {
		batch = faults_batches[rng_below((int)(sizeof(faults_batches) /
		    sizeof(faults_batches[0])))];
		itest_fx_write_config(f, batch);
		if (k % FAULTS_EARLY_EVERY == 0) {
			early_kill(f);
			before = after_kill(f, k, before);
			early++;
		}
		delay = 0;
		if (rng_below(5) == 0) {
			point = rng_below(2) == 0 ? "after_commit" :
			    "before_commit";
			n = 1 + rng_below(3);
			fault_run(f, point, n, batch, before);
			seen = before;
			selfkills++;
		} else {
			delay_max = max_delay(group.nevents - before,
			    FAULTS_KILLS - k, batch, rate);
			seen = kill_run(f, before, delay_max, &delay);
		}
		cp = after_kill(f, k, seen);
		if (cp >= group.nevents)
			fail_msg("the stream ended after %d of %d kills: the"
			    " kills came too late (seed %llu)", k, FAULTS_KILLS,
			    group.seed);
		if (delay > 0)
			rate = 0.5 * rate + 0.5 * (double)(cp - seen) / delay;
		if (group.verbose)
			print_message("kill %d: batch %d, last_seq %lld, seen"
			    " %lld, after %lld; delay %d ms, %.1f events/ms\n", k,
			    batch, before, seen, cp, delay, rate);
		before = cp;
	}
	print_message("%d kills (%d at fault points, and %d early ones) in %lld"
	    " ms, last_seq %lld of %d\n", FAULTS_KILLS, selfkills, early,
	    itest_now_ms() - t0, before, group.nevents);

	/* The rest of the stream in one clean run, default batches. */
	itest_fx_write_config(f, 0);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_oracle(f);
	/* Every event archived once, whatever the kills; a replay from it. */
	history_fx_assert_archive(f, f->config, "ga-1", group.nevents);
	assert_int_equal(itest_fx_run(f, "replay", "-c", f->config, "--once",
	    NULL), 0);
	assert_oracle(f);
}

/*
 * Scenario 2: the server killed and restarted FAULTS_SERVER_KILLS times
 * under one `run`, each time a random moment after the checkpoint moved.
 */
static void
test_faults_kill_server(void **state)
{
	struct itest_fx *f = *state;
	char err[1024];
	long long before = 0;
	int k;

	rng_seed("test_faults_kill_server");
	start(f, FAULTS_BATCH);
	itest_fx_start_projector_debug(f);
	for (k = 1; k <= FAULTS_SERVER_KILLS; k++) {
		before = itest_fx_wait_past(f, before, FAULTS_POLL_NS);
		nap_ms(rng_below(FAULTS_DELAY_MS + 1));
		if (natsd_kill(&f->d, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		itest_fx_wait_log(f, f->log, k, "msg=disconnected",
		    "account=ga-1", NULL);
		itest_fx_assert_alive(f, "while the server was down");
		if (natsd_restart(&f->d, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		itest_fx_wait_reconnections(f, k);
		itest_fx_assert_alive(f, "after the server came back");
		before = itest_last_seq(f->db);
	}
	print_message("%d server kills; last_seq %lld of %d at the last\n",
	    FAULTS_SERVER_KILLS, before, group.nevents);
	wait_end(f);
	itest_fx_assert_alive(f, "at the end");
	assert_true(itest_log_count(f->log, "msg=disconnected", NULL) >=
	    FAULTS_SERVER_KILLS);
	assert_true(itest_reconnections(f->log) >= FAULTS_SERVER_KILLS);
	print_message("log: %d disconnected, %d reconnected, %d connected\n",
	    itest_log_count(f->log, "msg=disconnected", NULL),
	    itest_log_count(f->log, "msg=reconnected", NULL),
	    itest_log_count(f->log, "msg=connected", NULL));
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	if (group.verbose)
		itest_show_log(f->log);
	assert_oracle(f);
}

/*
 * Scenario 7a: the durable consumer deleted under a running `run`,
 * FAULTS_DELETES times; it is positioned (created) again each time.
 */
static void
test_faults_delete_consumer(void **state)
{
	struct itest_fx *f = *state;
	struct probe_consumer c;
	char err[1024];
	long long before = 0;
	int k;

	rng_seed("test_faults_delete_consumer");
	start(f, FAULTS_BATCH);
	itest_fx_start_projector_debug(f);
	itest_fx_wait_log(f, f->log, 1, "consumer positioned", NULL);
	for (k = 1; k <= FAULTS_DELETES; k++) {
		before = itest_fx_wait_past(f, before, FAULTS_POLL_NS);
		nap_ms(rng_below(FAULTS_DELAY_MS + 1));
		if (stream_delete_consumer(f->d.url, ITEST_STREAM,
		    FAULTS_CONSUMER, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		/* The first line was the start's. */
		if (itest_wait_log(&f->p, ITEST_WAIT_MS, k + 1, err,
		    sizeof(err), f->log, "consumer positioned", "recreated=1",
		    NULL) == -1) {
			itest_show_log(f->log);
			fail_msg("deletion %d of the consumer at last_seq %lld:"
			    " not created again, the worker still pulls from the"
			    " deleted one (%s)", k, before, err);
		}
		before = itest_last_seq(f->db);
	}
	print_message("%d consumer deletions; last_seq %lld of %d at the"
	    " last\n", FAULTS_DELETES, before, group.nevents);
	wait_end(f);
	itest_fx_assert_alive(f, "at the end");
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	if (group.verbose)
		itest_show_log(f->log);
	itest_fx_consumer(f, FAULTS_CONSUMER, &c);	/* it exists */
	assert_oracle(f);
}

/*
 * Runs `run --once` on the file restored at mid: it must position the
 * feed at mid + 1, with the consumer recreated (recreated: 1) or reused
 * behind the archive, and end with the oracle's answer.
 */
static void
run_restored(struct itest_fx *f, long long mid, int recreated)
{
	char want[64], again[32], line[1024];

	assert_int_equal(itest_last_seq(f->db), mid);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	snprintf(want, sizeof(want), "start_seq=%lld", mid + 1);
	snprintf(again, sizeof(again), "recreated=%d", recreated);
	if (itest_log_line(line, sizeof(line), f->err, "consumer positioned",
	    want, again, NULL) == -1) {
		itest_show_log(f->err);
		fail_msg("%s: no \"consumer positioned\" with %s %s", f->err,
		    want, again);
	}
	if (group.verbose)
		itest_show_log(f->err);
	itest_fx_assert_no_sanitizer(f->err);
	assert_oracle(f);
}

/*
 * Scenario 7b: the consumer's ack floor ahead of the database. A copy of
 * the database (and of its archive) taken at mid-stream is restored after
 * the run went on to the end; `run --once` must deliver from the copy's
 * checkpoint again. The database alone restored: its archive, ahead,
 * delivers the middle and the consumer stays where it is; both restored
 * (a backup of the two): the consumer, ahead of both, is made again at the
 * checkpoint.
 */
static void
test_faults_consumer_ahead(void **state)
{
	struct itest_fx *f = *state;
	struct probe_consumer c;
	char copy[ITEST_PATH_MAX], archive[ITEST_PATH_MAX + 16];
	char archive_copy[ITEST_PATH_MAX], err[1024];
	uint64_t floor = 0;
	long long mid;

	rng_seed("test_faults_consumer_ahead");
	start(f, FAULTS_BATCH);
	itest_fx_start_projector(f);
	itest_fx_wait_past(f, group.nevents / 2, FAULTS_POLL_NS);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	mid = itest_last_seq(f->db);
	assert_true(mid > group.nevents / 2 && mid < group.nevents);
	itest_fx_path(f, "mid.db", copy, sizeof(copy));
	itest_fx_path(f, "mid.db-archive", archive_copy, sizeof(archive_copy));
	snprintf(archive, sizeof(archive), "%s-archive", f->db);
	if (stream_copy_db(f->db, copy, err, sizeof(err)) == -1 ||
	    stream_copy_db(archive, archive_copy, err, sizeof(err)) == -1)
		fail_msg("%s", err);

	/*
	 * On to the end: the consumer acknowledges (nearly: an ack may be
	 * lost, which only means a redelivery) everything past the copy.
	 */
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_last_seq(f->db), group.nevents);
	itest_fx_consumer(f, FAULTS_CONSUMER, &c);
	floor = c.ack_floor_stream;
	assert_true(floor > (uint64_t)mid);
	print_message("restored at last_seq %lld, consumer's ack floor %llu\n",
	    mid, (unsigned long long)floor);

	/* The old file back, its archive ahead: the archive has the middle. */
	if (stream_copy_db(copy, f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	run_restored(f, mid, 0);
	/* Both back: the consumer is ahead of everything, made again. */
	if (stream_copy_db(copy, f->db, err, sizeof(err)) == -1 ||
	    stream_copy_db(archive_copy, archive, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	run_restored(f, mid, 1);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
	const struct CMUnitTest tests[] = {
		T_(test_faults_kill_worker),
		T_(test_faults_kill_server),
		T_(test_faults_delete_consumer),
		T_(test_faults_consumer_ahead),
	};
#undef T_

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), group_setup,
	    group_teardown);
}
