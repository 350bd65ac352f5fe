/*
 * test_replay.c: `projector replay`, projection versions and `projector
 * verify`, against a real nats-server and the SQLite files a website reads.
 *
 * What the replay issue asks to be proven, one test each:
 * - a full `replay --once` ends with the six contract queries equal to a
 *   from-scratch run (expected.json), the status rows right, and the
 *   durable consumer untouched (the rebuild reads through an ephemeral one);
 * - a reader looping over the six queries during a replay sees, in every
 *   read transaction, exactly the old view or exactly the new one;
 * - `replay --projection leaderboard` leaves the other projections' tables,
 *   parked events and status rows as they were;
 * - SIGTERM during a replay exits 0 at once and kill -9 leaves a sound file,
 *   both with the old view intact; the replay run again ends exact; a
 *   nats-server that stalls during a replay only delays it;
 * - a projection whose recorded version is not the program's is rebuilt in
 *   the background by `run`, its old view serving meanwhile, while the
 *   other projections apply new events; then it is swapped in; killed, that
 *   rebuild resumes from its shadow;
 * - `verify` finds nothing on an exact file and names the table and row a
 *   test planted, also while `run` writes the file.
 *
 * The old and the new view of a replay must differ for the reader test to
 * mean anything, so each test that needs it plants a known difference in
 * the live file (an UPDATE while no projector runs), and takes the new view
 * from a from-scratch run into a second file with a consumer of its own.
 * The large stream (30000 events of tests/oracle/gen.py, seed 11) makes a
 * rebuild last long enough to be watched and interrupted; it is generated
 * once per run and published asynchronously into each test's own server.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches. A
 * machine without nats-server skips the tests.
 */
#include <dirent.h>
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

#include <jansson.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "natsd.h"
#include "probe.h"
#include "proc.h"
#include "projections.h"
#include "publish.h"
#include "stream.h"
#include "tmp.h"

#define LARGE_EVENTS	30000
#define LARGE_SEED	11
#define RUN_MS		120000	/* bound on one command (ASan is slow) */
#define STOP_MS		5000	/* SIGTERM to exit */
#define DURABLE		"projector"	/* the configuration's default */
#define SCRATCH		"scratch"	/* the from-scratch run's consumer */
#define MIN_SNAPSHOTS	3	/* a reader must look at least this often */

/* What the tests share: the large stream, generated on first use. */
struct group {
	char	dir[512];
	char	large[ITEST_PATH_MAX];	/* "" until generated */
};

struct fx {
	struct group	*g;
	struct natsd	 d;
	struct proc	 p;		/* a projector in the background */
	sqlite3		*conn;		/* a reader, or a lock holder */
	json_t		*old;		/* the view before a replay */
	json_t		*new;		/* the view after it */
	char		 dir[512];
	char		 bin[ITEST_PATH_MAX];
	char		 config[ITEST_PATH_MAX];	/* ga-1.db, DURABLE */
	char		 db[ITEST_PATH_MAX];
	char		 shadow[ITEST_PATH_MAX + 16];	/* db-rebuild */
	char		 scratch_config[ITEST_PATH_MAX];	/* scratch.db */
	char		 scratch_db[ITEST_PATH_MAX];
	char		 out[ITEST_PATH_MAX];	/* stdout of the last command */
	char		 err[1024];
};

/* A durable consumer's state, as `nats consumer info` shows it. */
struct durable {
	int64_t		created;
	uint64_t	delivered_stream, delivered_consumer;
	uint64_t	ack_floor_stream, ack_floor_consumer;
	uint64_t	num_pending;
	int64_t		num_ack_pending;
	int		deliver_policy, ack_policy;
	uint64_t	opt_start_seq;
	int64_t		max_ack_pending;
	char		filter[128];
};

static int
group_setup(void **state)
{
	struct group *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	if (tmp_dir("itest-replay-group-", g->dir, sizeof(g->dir)) == -1) {
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

static int
group_teardown(void **state)
{
	struct group *g = *state;

	tmp_rm_rf(g->dir);
	free(g);
	return 0;
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->g = *state;
	if (tmp_dir("itest-replay-", f->dir, sizeof(f->dir)) == -1) {
		free(f);
		return -1;
	}
	itest_bin("projector", f->bin, sizeof(f->bin));
	snprintf(f->config, sizeof(f->config), "%s/projector.yaml", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/ga-1.db", f->dir);
	snprintf(f->shadow, sizeof(f->shadow), "%s-rebuild", f->db);
	snprintf(f->scratch_config, sizeof(f->scratch_config),
	    "%s/scratch.yaml", f->dir);
	snprintf(f->scratch_db, sizeof(f->scratch_db), "%s/scratch.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	struct group *g = f->g;

	proc_release(&f->p);
	sqlite3_close(f->conn);
	json_decref(f->old);
	json_decref(f->new);
	natsd_release(&f->d);
	tmp_rm_rf(f->dir);
	free(f);
	*state = g;
	return 0;
}

/* Starts the test's nats-server and writes both configurations. */
static void
start_natsd(struct fx *f)
{
	const struct itest_account live = { "ga-1", NULL, f->db, NULL,
	    DURABLE };
	const struct itest_account scratch = { "ga-1", NULL, f->scratch_db,
	    NULL, SCRATCH };

	itest_start_natsd(&f->d, NULL);
	if (itest_write_config(f->config, f->d.url, NULL, 0, 0, &live,
	    1) == -1 || itest_write_config(f->scratch_config, f->d.url, NULL,
	    0, 0, &scratch, 1) == -1)
		fail_msg("%s: %s", f->dir, strerror(errno));
}

/* Returns the path of the large stream, generating it on first use. */
static const char *
large_stream(struct fx *f)
{
	if (f->g->large[0] != '\0')
		return f->g->large;
	snprintf(f->g->large, sizeof(f->g->large), "%s/large.jsonl", f->g->dir);
	if (stream_generate(f->g->large, LARGE_SEED, LARGE_EVENTS, f->err,
	    sizeof(f->err)) == -1) {
		f->g->large[0] = '\0';
		fail_msg("%s", f->err);
	}
	return f->g->large;
}

/*
 * Publishes the large stream into the test's new stream, asynchronously
 * (in order, on one connection, so stream sequence = line number), and
 * checks that it holds them all: sequences 1 to LARGE_EVENTS.
 */
static void
publish_large(struct fx *f)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	uint64_t count = 0;

	if (stream_publish(f->d.url, ITEST_STREAM, subjects, 1, large_stream(f),
	    &count, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	assert_int_equal(count, LARGE_EVENTS);
}

/* Publishes the small fixture (ITEST_NEVENTS more events). */
static void
publish_fixture(struct fx *f)
{
	uint64_t count = 0;

	if (itest_publish_fixture(f->d.url, NULL, ITEST_EVENTS, &count, f->err,
	    sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	assert_int_equal(count, ITEST_NEVENTS);
}

/*
 * Runs `projector CMD -c config ARGS...` (NULL ends ARGS) to its end, its
 * stdout in f->out and its stderr in dir/NAME.log; returns its exit code.
 */
static int
run_cmd(struct fx *f, const char *name, const char *config, const char *cmd,
    ...)
{
	char *argv[16], log[ITEST_PATH_MAX];
	va_list ap;
	int n = 0, code = -1;

	argv[n++] = f->bin;
	argv[n++] = (char *)cmd;
	argv[n++] = "-c";
	argv[n++] = (char *)config;
	va_start(ap, cmd);
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	snprintf(f->out, sizeof(f->out), "%s/%s.out", f->dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", f->dir, name);
	if (proc_run(argv, RUN_MS, &code, f->out, log) == -1)
		fail_msg("projector %s (%s): cannot run, or still running after"
		    " %d ms", cmd, name, RUN_MS);
	itest_fx_assert_no_sanitizer(log);
	if (code != 0 && code != 1)
		itest_show_log(log);
	return code;
}

/* Starts `projector CMD -c f->config ARGS...` in the background as f->p. */
static void
start_cmd(struct fx *f, const char *name, const char *cmd, ...)
{
	char *argv[16], log[ITEST_PATH_MAX], out[ITEST_PATH_MAX];
	va_list ap;
	int n = 0;

	argv[n++] = f->bin;
	argv[n++] = (char *)cmd;
	argv[n++] = "-c";
	argv[n++] = f->config;
	va_start(ap, cmd);
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/%s.out", f->dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", f->dir, name);
	if (proc_start_env(&f->p, argv, NULL, out, log, f->err,
	    sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
}

/* Path of the log of the command called name. */
static const char *
log_of(struct fx *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.log", f->dir, name);
	return buf;
}

/*
 * Fails the test unless the wait status of the background command called
 * name is the exit code want; shows its log when it is not.
 */
static void
assert_exit(struct fx *f, const char *name, int status, int want)
{
	char log[ITEST_PATH_MAX];

	if (proc_exit_code(status) == want)
		return;
	itest_show_log(log_of(f, name, log, sizeof(log)));
	fail_msg("projector %s: exit status %d, want %d", name,
	    proc_exit_code(status), want);
}

/*
 * Stops the background `run` called name with SIGTERM: it must exit 0.
 * Only test_replay_interrupted holds it to STOP_MS; here a slow stop on a
 * loaded machine is reported, not failed.
 */
static void
stop_run(struct fx *f, const char *name)
{
	long long t0 = itest_now_ms(), took;
	int status;

	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (proc_wait(&f->p, ITEST_WAIT_MS, &status) == -1)
		fail_msg("%s still running %d ms after SIGTERM", name,
		    ITEST_WAIT_MS);
	assert_exit(f, name, status, 0);
	if ((took = itest_now_ms() - t0) > STOP_MS)
		print_message("%s: %lld ms from SIGTERM to exit\n", name, took);
}

/* `run --once` into the live file (config) or the scratch one: exit 0. */
static void
run_once(struct fx *f, const char *name, const char *config)
{
	assert_int_equal(run_cmd(f, name, config, "run", "--once", NULL), 0);
}

/* Executes sql on the file at db, read-write, while no projector runs. */
static void
plant(const char *db, const char *sql)
{
	sqlite3 *conn = NULL;
	char *msg = NULL;

	if (sqlite3_open_v2(db, &conn, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK)
		fail_msg("%s: %s", db, sqlite3_errmsg(conn));
	sqlite3_busy_timeout(conn, 5000);
	if (sqlite3_exec(conn, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s: %s", db, sql, msg);
	assert_true(sqlite3_changes(conn) > 0);
	sqlite3_close(conn);
}

/*
 * Plants one difference in a table of each projection, and a parked event
 * of leaderboard, so that a view that is a mix of old and new projections
 * shows in the contract queries.
 */
static void
plant_everywhere(const char *db)
{
	plant(db, "UPDATE leaderboard_stats SET kills = kills + 1000"
	    " WHERE (server_id, wipe_id, steam_id) = (SELECT server_id,"
	    " wipe_id, steam_id FROM leaderboard_stats ORDER BY 1, 2, 3"
	    " LIMIT 1)");
	plant(db, "UPDATE player_stats SET chat_messages = chat_messages + 1000"
	    " WHERE steam_id = (SELECT min(steam_id) FROM player_stats)");
	plant(db, "UPDATE session_history SET end_reason = 'planted'"
	    " WHERE seq = (SELECT min(seq) FROM session_history)");
	plant(db, "INSERT INTO projector_parked (projection, seq, subject,"
	    " reason, parked_at) VALUES ('leaderboard', 999999, 'planted',"
	    " 'planted', '2026-01-01T00:00:00.000Z')");
}

/* Fails the test unless the contract of db equals want. */
static void
assert_contract(struct fx *f, const char *db, const json_t *want,
    const char *what)
{
	if (itest_diff(db, want, f->err, sizeof(f->err)) == -1)
		fail_msg("%s: not the %s view: %s", db, what, f->err);
}

/* Fails the test unless the query q of a and b differ. */
static void
assert_query_differs(const json_t *a, const json_t *b, const char *q)
{
	json_t *x = json_object(), *y = json_object();
	char err[512];

	json_object_set(x, q, json_object_get(a, q));
	json_object_set(y, q, json_object_get(b, q));
	if (contract_diff(x, y, err, sizeof(err)) == 0)
		fail_msg("the planted difference does not show in query %s", q);
	json_decref(x);
	json_decref(y);
}

/*
 * Sets f->old, the old view (the live file with its planted differences),
 * and f->new, the new one (a from-scratch run into the scratch file);
 * checks that each planted difference shows in the contract.
 */
static void
old_and_new(struct fx *f)
{
	plant_everywhere(f->db);
	f->old = itest_fx_snapshot(f->db);
	run_once(f, "scratch", f->scratch_config);
	f->new = itest_fx_snapshot(f->scratch_db);
	assert_query_differs(f->old, f->new, "leaderboard");
	assert_query_differs(f->old, f->new, "player_profiles");
	assert_query_differs(f->old, f->new, "session_history");
	assert_query_differs(f->old, f->new, "parked");
}

/*
 * Renders (malloc'd) everything projection p owns in db: each of its
 * tables in a total order with every column, its parked events, and its
 * status row but for updated_at.
 */
static char *
owned_dump(const char *db, const struct projection *p)
{
	const size_t len = 1 << 20;
	const char *const *t;
	char *buf, *sql;
	size_t off = 0;

	if ((buf = malloc(len)) == NULL)
		fail_msg("out of memory");
	for (t = p->tables; *t != NULL; t++) {
		sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1, 2, 3",
		    *t);
		off += (size_t)snprintf(buf + off, len - off, "== %s\n", *t);
		itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
		off += strlen(buf + off);
		sqlite3_free(sql);
	}
	sql = sqlite3_mprintf("SELECT * FROM projector_parked"
	    " WHERE projection = %Q ORDER BY seq", p->name);
	off += (size_t)snprintf(buf + off, len - off, "\n== parked\n");
	itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
	off += strlen(buf + off);
	sqlite3_free(sql);
	sql = sqlite3_mprintf("SELECT projection, version, last_seq,"
	    " stream_last_seq, state, last_error, rebuild_seq, rebuild_target"
	    " FROM projector_status WHERE projection = %Q", p->name);
	off += (size_t)snprintf(buf + off, len - off, "\n== status\n");
	itest_fx_rows(db, sql, TESTDB_TYPED, buf + off, len - off);
	sqlite3_free(sql);
	return buf;
}

/*
 * Checks the status rows after a replay or run that stopped cleanly: every
 * projection at the program's version and at last_seq, stopped, with no
 * error and no rebuild progress left.
 */
static void
assert_status_after(struct fx *f, long long last_seq)
{
	const struct projection *const *p;
	char want[2048], got[2048];
	size_t off = 0;

	want[0] = '\0';
	for (p = projections_builtin; *p != NULL; p++)
		off += (size_t)snprintf(want + off, sizeof(want) - off,
		    "%s'%s'|%d|%lld|'stopped'|NULL|NULL|NULL",
		    off > 0 ? "\n" : "", (*p)->name, (*p)->version, last_seq);
	itest_fx_rows(f->db, "SELECT projection, version, last_seq, state,"
	    " last_error, rebuild_seq, rebuild_target FROM projector_status"
	    " ORDER BY CASE projection WHEN 'session_history' THEN 1"
	    " WHEN 'player_profiles' THEN 2 ELSE 3 END", TESTDB_TYPED, got,
	    sizeof(got));
	assert_string_equal(got, want);
}

static void
assert_integrity(const char *db)
{
	char err[1024];

	if (probe_integrity(db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* No file of the shadow (nor its -wal, -shm, .lock) is left. */
static void
assert_no_shadow(struct fx *f)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".lock" };
	char path[ITEST_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", f->shadow, suffix[i]);
		if (access(path, F_OK) == 0)
			fail_msg("%s is left behind", path);
	}
}

/* Reads the state of the durable consumer name from the server. */
static void
durable_info(struct fx *f, const char *name, struct durable *out)
{
	natsConnection *nc = NULL;
	jsConsumerInfo *ci = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;

	if (publish_connect(f->d.url, &nc, f->err, sizeof(f->err)) == -1 ||
	    publish_js(nc, &js, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	assert_int_equal(js_GetConsumerInfo(&ci, js, ITEST_STREAM, name, NULL,
	    &jerr), NATS_OK);
	memset(out, 0, sizeof(*out));
	out->created = ci->Created;
	out->delivered_stream = ci->Delivered.Stream;
	out->delivered_consumer = ci->Delivered.Consumer;
	out->ack_floor_stream = ci->AckFloor.Stream;
	out->ack_floor_consumer = ci->AckFloor.Consumer;
	out->num_pending = ci->NumPending;
	out->num_ack_pending = ci->NumAckPending;
	out->deliver_policy = (int)ci->Config->DeliverPolicy;
	out->ack_policy = (int)ci->Config->AckPolicy;
	out->opt_start_seq = ci->Config->OptStartSeq;
	out->max_ack_pending = ci->Config->MaxAckPending;
	snprintf(out->filter, sizeof(out->filter), "%s",
	    ci->Config->FilterSubject != NULL ? ci->Config->FilterSubject : "");
	jsConsumerInfo_Destroy(ci);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

static void
assert_durable_same(const struct durable *a, const struct durable *b)
{
	assert_int_equal(b->created, a->created);
	assert_int_equal(b->delivered_stream, a->delivered_stream);
	assert_int_equal(b->delivered_consumer, a->delivered_consumer);
	assert_int_equal(b->ack_floor_stream, a->ack_floor_stream);
	assert_int_equal(b->ack_floor_consumer, a->ack_floor_consumer);
	assert_int_equal(b->num_pending, a->num_pending);
	assert_int_equal(b->num_ack_pending, a->num_ack_pending);
	assert_int_equal(b->deliver_policy, a->deliver_policy);
	assert_int_equal(b->ack_policy, a->ack_policy);
	assert_int_equal(b->opt_start_seq, a->opt_start_seq);
	assert_int_equal(b->max_ack_pending, a->max_ack_pending);
	assert_string_equal(b->filter, a->filter);
}

/*
 * Counts the consumers of the stream: returns the number of durable ones
 * (named in durables, comma-separated, as the server lists them) and sets
 * *ephemeral to the number of replay readers (no durable name, AckNone,
 * described "projector replay"); any other kind fails the test.
 */
static int
consumers(struct fx *f, char *durables, size_t len, int *ephemeral)
{
	natsConnection *nc = NULL;
	jsConsumerInfoList *list = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	size_t off = 0;
	int i, n = 0;

	*ephemeral = 0;
	durables[0] = '\0';
	if (publish_connect(f->d.url, &nc, f->err, sizeof(f->err)) == -1 ||
	    publish_js(nc, &js, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	assert_int_equal(js_Consumers(&list, js, ITEST_STREAM, NULL, &jerr),
	    NATS_OK);
	for (i = 0; i < list->Count; i++) {
		const jsConsumerConfig *c = list->List[i]->Config;

		if (c->Durable != NULL && *c->Durable != '\0') {
			off += (size_t)snprintf(durables + off, len - off,
			    "%s%s", off > 0 ? "," : "", c->Durable);
			n++;
		}
		else if (c->AckPolicy == js_AckNone && c->Description != NULL &&
		    strcmp(c->Description, "projector replay") == 0)
			(*ephemeral)++;
		else
			fail_msg("unexpected consumer %s", list->List[i]->Name);
	}
	jsConsumerInfoList_Destroy(list);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
}

/*
 * Polls until the shadow file has committed at least one batch of a
 * rebuild (its smallest checkpoint > 0) and holds no row of projector_meta
 * called 'stale' (which marks a shadow of an earlier run); fails when the
 * process p exits first or ITEST_WAIT_MS pass.
 */
static void
wait_rebuild_progress(struct fx *f, long long *seq)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;

	for (;;) {
		*seq = itest_query_int(f->shadow, "SELECT CASE WHEN EXISTS"
		    " (SELECT 1 FROM projector_meta WHERE key = 'stale')"
		    " THEN -1 ELSE (SELECT min(last_seq) FROM projector_status)"
		    " END");
		if (*seq > 0)
			return;
		if (proc_wait(&f->p, 0, NULL) == 0)
			fail_msg("the replay exited (%d) before its shadow had"
			    " a batch", proc_exit_code(f->p.status));
		if (itest_now_ms() >= deadline)
			fail_msg("%s: no batch after %d ms", f->shadow,
			    ITEST_WAIT_MS);
		itest_nap();
	}
}

/*
 * Polls until sql on the live file (read-only) returns want; fails when
 * the background projector exits first or ITEST_WAIT_MS pass.
 */
static void
wait_query(struct fx *f, const char *sql, long long want)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS, v;

	for (;;) {
		if ((v = itest_query_int(f->db, sql)) == want)
			return;
		if (f->p.pid > 0 && proc_wait(&f->p, 0, NULL) == 0)
			fail_msg("the projector exited (%d) before %s gave %lld"
			    " (last %lld)", proc_exit_code(f->p.status), sql,
			    want, v);
		if (itest_now_ms() >= deadline)
			fail_msg("%s gave %lld after %d ms, want %lld", sql, v,
			    ITEST_WAIT_MS, want);
		itest_nap();
	}
}

/*
 * A full replay ends where a run from scratch ends: the six contract
 * queries equal expected.json, although the live file had differences
 * planted in every projection. It did not touch the durable consumer
 * (same creation time, ack floor, deliveries and configuration), left no
 * consumer of its own behind, and removed its shadow.
 */
static void
test_full_replay(void **state)
{
	struct fx *f = *state;
	struct durable before, after;
	char names[256], log[ITEST_PATH_MAX];
	int ephemeral;

	start_natsd(f);
	publish_fixture(f);
	run_once(f, "run", f->config);
	durable_info(f, DURABLE, &before);
	assert_int_equal(before.ack_floor_stream, ITEST_NEVENTS);
	plant_everywhere(f->db);
	if (itest_contract(f->db, f->err, sizeof(f->err)) == 0)
		fail_msg("the planted differences do not show");

	assert_int_equal(run_cmd(f, "replay", f->config, "replay", "--once",
	    NULL), 0);
	assert_int_equal(itest_log_count(log_of(f, "replay", log, sizeof(log)),
	    "rebuild swapped in", "projections=3", "last_seq=600", NULL), 1);
	if (itest_contract(f->db, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	assert_status_after(f, ITEST_NEVENTS);
	assert_integrity(f->db);
	assert_no_shadow(f);

	durable_info(f, DURABLE, &after);
	assert_durable_same(&before, &after);
	assert_int_equal(consumers(f, names, sizeof(names), &ephemeral), 1);
	assert_string_equal(names, DURABLE);
	assert_int_equal(ephemeral, 0);

	/* And `run` goes on from there with nothing to do. */
	run_once(f, "run-after", f->config);
	if (itest_contract(f->db, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
}

/*
 * A reader loops over the six contract queries, each time in one read
 * transaction, while a replay of the large stream rebuilds and swaps:
 * every snapshot is exactly the old view or exactly the new one (a
 * projection swapped without the others, or a table half copied, would be
 * neither), it saw the old one at least once, and the last is the new.
 */
static void
test_reader_during_replay(void **state)
{
	struct fx *f = *state;
	json_t *s;
	char err_old[512], err_new[512], log[ITEST_PATH_MAX];
	int n = 0, n_old = 0, n_new = 0, status, last_new = 0;

	start_natsd(f);
	publish_large(f);
	run_once(f, "run", f->config);
	old_and_new(f);

	if (db_open_readonly(f->db, &f->conn, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	start_cmd(f, "replay", "replay", "--once", NULL);
	while (proc_wait(&f->p, 0, &status) == -1) {
		if ((s = itest_snapshot(f->conn, f->db, f->err,
		    sizeof(f->err))) == NULL)
			fail_msg("snapshot %d: %s", n + 1, f->err);
		n++;
		if (contract_diff(f->old, s, err_old, sizeof(err_old)) == 0) {
			n_old++;
			/* Once new, never old again. */
			if (last_new)
				fail_msg("snapshot %d: old after new", n);
		} else if (contract_diff(f->new, s, err_new,
		    sizeof(err_new)) == 0) {
			n_new++;
			last_new = 1;
		} else
			fail_msg("snapshot %d is neither the old view (%s) nor"
			    " the new one (%s)", n, err_old, err_new);
		json_decref(s);
	}
	assert_exit(f, "replay", status, 0);
	print_message("%d snapshots during the replay: %d old, %d new\n", n,
	    n_old, n_new);
	assert_true(n >= MIN_SNAPSHOTS);
	assert_true(n_old >= 1);
	/* After the exit: the new view, whole. */
	if ((s = itest_snapshot(f->conn, f->db, f->err, sizeof(f->err))) == NULL)
		fail_msg("%s", f->err);
	if (contract_diff(f->new, s, f->err, sizeof(f->err)) == -1)
		fail_msg("the view after the replay is not the new one: %s",
		    f->err);
	json_decref(s);
	itest_fx_assert_no_sanitizer(log_of(f, "replay", log, sizeof(log)));
	assert_status_after(f, LARGE_EVENTS);
	assert_no_shadow(f);
}

/*
 * `replay --projection leaderboard` rebuilds leaderboard (its planted
 * differences go) and leaves the other projections byte for byte as they
 * were, planted differences included: tables, parked events, status rows
 * but for updated_at.
 */
static void
test_replay_one_projection(void **state)
{
	struct fx *f = *state;
	json_error_t je;
	json_t *expected, *want, *parked, *row;
	char *sh_before, *pp_before, *sh_after, *pp_after;
	char buf[256];
	size_t i;

	start_natsd(f);
	publish_fixture(f);
	run_once(f, "run", f->config);
	plant_everywhere(f->db);
	plant(f->db, "INSERT INTO projector_parked (projection, seq, subject,"
	    " reason, parked_at) VALUES ('player_profiles', 999998, 'planted',"
	    " 'planted', '2026-01-01T00:00:00.000Z')");
	sh_before = owned_dump(f->db, &proj_session_history);
	pp_before = owned_dump(f->db, &proj_player_profiles);

	assert_int_equal(run_cmd(f, "replay", f->config, "replay",
	    "--projection", "leaderboard", "--once", NULL), 0);

	sh_after = owned_dump(f->db, &proj_session_history);
	pp_after = owned_dump(f->db, &proj_player_profiles);
	assert_string_equal(sh_after, sh_before);
	assert_string_equal(pp_after, pp_before);
	assert_non_null(strstr(pp_after, "'planted'"));

	/* leaderboard: its queries and its parked events as expected.json. */
	if ((expected = json_load_file(ITEST_EXPECTED, 0, &je)) == NULL)
		fail_msg("%s: %s", ITEST_EXPECTED, je.text);
	want = json_object();
	json_object_set(want, "leaderboard", json_object_get(expected,
	    "leaderboard"));
	json_object_set(want, "wipes", json_object_get(expected, "wipes"));
	parked = json_array();
	json_array_foreach(json_object_get(expected, "parked"), i, row)
		if (strcmp(json_string_value(json_array_get(row, 0)),
		    "leaderboard") == 0)
			json_array_append(parked, row);
	assert_true(json_array_size(parked) > 0);
	assert_contract(f, f->db, want, "rebuilt leaderboard");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_parked WHERE projection = 'leaderboard'"),
	    (long long)json_array_size(parked));
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_parked WHERE seq = 999999"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'leaderboard'"),
	    proj_leaderboard.version);
	assert_string_equal(itest_fx_rows(f->db, "SELECT last_seq, state,"
	    " rebuild_seq FROM projector_status WHERE projection ="
	    " 'leaderboard'", TESTDB_TYPED, buf, sizeof(buf)),
	    "600|'stopped'|NULL");
	assert_no_shadow(f);

	json_decref(parked);
	json_decref(want);
	json_decref(expected);
	free(sh_before);
	free(pp_before);
	free(sh_after);
	free(pp_after);
}

/*
 * Interrupted replays of the large stream: SIGTERM in the middle exits 0
 * within STOP_MS, kill -9 in the middle leaves a sound file; after both
 * the live view is the old one, whole. The replay reads through an
 * ephemeral consumer (seen on the server while it runs), discards the
 * shadow an interrupted run left, and a last `replay --once` ends with the
 * new view, the durable consumer never touched.
 */
static void
test_replay_interrupted(void **state)
{
	struct fx *f = *state;
	struct durable before, after;
	char names[256], log[ITEST_PATH_MAX];
	long long seq, t0;
	int ephemeral, status;

	start_natsd(f);
	publish_large(f);
	run_once(f, "run", f->config);
	old_and_new(f);
	durable_info(f, DURABLE, &before);

	/* SIGTERM half way. */
	start_cmd(f, "replay-term", "replay", NULL);
	wait_rebuild_progress(f, &seq);
	/* Beside the two durable consumers, the replay's own reader. */
	assert_int_equal(consumers(f, names, sizeof(names), &ephemeral), 2);
	assert_non_null(strstr(names, DURABLE));
	assert_non_null(strstr(names, SCRATCH));
	assert_int_equal(ephemeral, 1);
	t0 = itest_now_ms();
	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (proc_wait(&f->p, STOP_MS, &status) == -1)
		fail_msg("replay still running %d ms after SIGTERM", STOP_MS);
	print_message("SIGTERM at shadow seq %lld: exit %d after %lld ms\n",
	    seq, proc_exit_code(status), itest_now_ms() - t0);
	assert_exit(f, "replay-term", status, 0);
	itest_fx_assert_no_sanitizer(log_of(f, "replay-term", log, sizeof(log)));
	assert_contract(f, f->db, f->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE state = 'stopped' AND last_seq = 30000"),
	    3);
	/* Its shadow stays; mark it, to see the next replay discard it. */
	assert_int_equal(access(f->shadow, F_OK), 0);
	plant(f->shadow, "INSERT INTO projector_meta (key, value)"
	    " VALUES ('stale', 1)");

	/* kill -9 half way. */
	start_cmd(f, "replay-kill", "replay", NULL);
	wait_rebuild_progress(f, &seq);
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	assert_int_equal(proc_wait(&f->p, STOP_MS, &status), 0);
	assert_exit(f, "replay-kill", status, ITEST_EXIT_SIGKILL);
	print_message("SIGKILL at shadow seq %lld\n", seq);
	assert_integrity(f->db);
	assert_contract(f, f->db, f->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq = 30000"), 3);

	/* Again, to the end. */
	assert_int_equal(run_cmd(f, "replay", f->config, "replay", "--once",
	    NULL), 0);
	assert_contract(f, f->db, f->new, "new");
	assert_status_after(f, LARGE_EVENTS);
	assert_integrity(f->db);
	assert_no_shadow(f);
	durable_info(f, DURABLE, &after);
	assert_durable_same(&before, &after);
}

/*
 * The nats-server stalls (SIGSTOP, as a long GC pause or a saturated host
 * would) for longer than the rebuild's fetch wait, half way through a
 * `replay --once`: a fetch that comes back empty while the consumer said
 * more was pending is not the end of the stream. The replay must wait for
 * the server and end with the whole new view, not swap in the half-built
 * shadow (a view older than the live one) and exit 0.
 */
static void
test_replay_server_stall(void **state)
{
	struct fx *f = *state;
	char log[ITEST_PATH_MAX];
	struct timespec stall = { 0, 500 * 1000000L };
	long long seq;
	int status;

	start_natsd(f);
	publish_large(f);
	run_once(f, "run", f->config);
	old_and_new(f);

	start_cmd(f, "replay", "replay", "--once", NULL);
	wait_rebuild_progress(f, &seq);
	assert_int_equal(proc_signal(&f->d.proc, SIGSTOP), 0);
	nanosleep(&stall, NULL);
	assert_int_equal(proc_signal(&f->d.proc, SIGCONT), 0);
	if (proc_wait(&f->p, RUN_MS, &status) == -1)
		fail_msg("replay --once still running after %d ms", RUN_MS);
	assert_exit(f, "replay", status, 0);
	log_of(f, "replay", log, sizeof(log));
	itest_fx_assert_no_sanitizer(log);
	print_message("stalled at shadow seq %lld; swapped at last_seq %lld\n",
	    seq, itest_last_seq(f->db));
	assert_int_equal(itest_log_count(log, "rebuild swapped in",
	    "last_seq=30000", NULL), 1);
	assert_contract(f, f->db, f->new, "new");
	assert_status_after(f, LARGE_EVENTS);
}

/*
 * The status of projection name in the output of `status --json`.
 */
static json_t *
status_json_projection(struct fx *f, json_t **root, const char *name)
{
	json_error_t je;
	json_t *p;
	size_t i;

	assert_int_equal(run_cmd(f, "status", f->config, "status", "--json",
	    NULL), 0);
	if ((*root = json_load_file(f->out, 0, &je)) == NULL)
		fail_msg("%s: %s", f->out, je.text);
	json_array_foreach(json_object_get(json_array_get(json_object_get(*root,
	    "accounts"), 0), "projections"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "projection")),
		    name) == 0)
			return p;
	fail_msg("status --json has no projection %s", name);
	return NULL;
}

/*
 * A database recorded with another version of player_profiles: `run`
 * rebuilds it in the background. While it does, player_profiles is
 * 'rebuilding', at the old version, its old view (with a planted
 * difference) still served; session_history and leaderboard apply events
 * published meanwhile; `status --json` shows the progress. Then the
 * rebuild is swapped in: player_profiles live at the program's version,
 * and the whole contract equals a from-scratch fold of every event.
 *
 * So that these states can be looked at, the test holds the shadow's
 * write lock for a while once the rebuild has started (a rebuild thread
 * that cannot write its shadow waits and retries): that slows the rebuild
 * down, never the live projections, which is what is being proven.
 */
static void
test_version_bump(void **state)
{
	struct fx *f = *state;
	const int old_version = proj_player_profiles.version + 1;
	json_t *root, *p;
	char sql[512], buf[1024], log[ITEST_PATH_MAX];
	const long long total = LARGE_EVENTS + ITEST_NEVENTS;
	long long chat;

	start_natsd(f);
	publish_large(f);
	run_once(f, "run", f->config);
	plant(f->db, "UPDATE player_stats SET chat_messages = chat_messages"
	    " + 1000 WHERE steam_id = (SELECT min(steam_id)"
	    " FROM player_stats)");
	chat = itest_query_int(f->db, "SELECT chat_messages FROM player_stats"
	    " WHERE steam_id = (SELECT min(steam_id) FROM player_stats)");
	snprintf(sql, sizeof(sql), "UPDATE projector_status SET version = %d"
	    " WHERE projection = 'player_profiles'", old_version);
	plant(f->db, sql);

	start_cmd(f, "run-bump", "run", NULL);
	/* The rebuild thread has made its shadow and opened its fold. */
	for (;;) {
		if (itest_query_int(f->shadow, "SELECT count(*) FROM"
		    " projector_status WHERE projection ="
		    " 'player_profiles'") == 1)
			break;
		if (proc_wait(&f->p, 0, NULL) == 0)
			fail_msg("run exited (%d) before rebuilding",
			    proc_exit_code(f->p.status));
		itest_nap();
	}
	assert_int_equal(sqlite3_open_v2(f->shadow, &f->conn,
	    SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(f->conn, 5000);
	assert_int_equal(sqlite3_exec(f->conn, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	if (itest_query_int(f->db, "SELECT version FROM projector_status"
	    " WHERE projection = 'player_profiles'") != old_version)
		fail_msg("the rebuild was over before the test could look");

	/* New events; the live projections apply them. */
	publish_fixture(f);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE projection IN ('session_history', 'leaderboard')"
	    " AND last_seq = %lld AND state = 'live'", total);
	wait_query(f, sql, 2);
	/* Meanwhile, in one snapshot: player_profiles is rebuilding... */
	snprintf(sql, sizeof(sql), "SELECT version, last_seq, state,"
	    " (SELECT group_concat(last_seq) FROM projector_status"
	    "   WHERE projection != 'player_profiles'),"
	    " (SELECT chat_messages FROM player_stats ORDER BY steam_id"
	    "   LIMIT 1)"
	    " FROM projector_status WHERE projection = 'player_profiles'");
	snprintf(log, sizeof(log), "%d|30000|'rebuilding'|'%lld,%lld'|%lld",
	    old_version, total, total, chat);
	assert_string_equal(itest_fx_rows(f->db, sql, TESTDB_TYPED, buf,
	    sizeof(buf)), log);
	/* ...and says how far it is, in the table and in `status --json`. */
	wait_query(f, "SELECT rebuild_target >= 30000 FROM projector_status"
	    " WHERE projection = 'player_profiles'", 1);
	p = status_json_projection(f, &root, "player_profiles");
	assert_string_equal(json_string_value(json_object_get(p, "state")),
	    "rebuilding");
	assert_int_equal(json_integer_value(json_object_get(p, "version")),
	    old_version);
	assert_true(json_is_integer(json_object_get(p, "rebuild_seq")));
	assert_true(json_integer_value(json_object_get(p, "rebuild_seq")) <
	    json_integer_value(json_object_get(p, "rebuild_target")));
	assert_true(json_integer_value(json_object_get(p, "rebuild_target")) >=
	    LARGE_EVENTS);
	json_decref(root);
	p = status_json_projection(f, &root, "leaderboard");
	assert_string_equal(json_string_value(json_object_get(p, "state")),
	    "live");
	assert_int_equal(json_integer_value(json_object_get(p, "last_seq")),
	    total);
	assert_null(json_object_get(p, "rebuild_seq"));
	json_decref(root);

	/* Let the rebuild go: it catches up, new events included, and swaps. */
	sqlite3_exec(f->conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(f->conn);
	f->conn = NULL;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE version = %d AND state = 'live' AND last_seq = %lld"
	    " AND rebuild_seq IS NULL", proj_player_profiles.version, total);
	wait_query(f, sql, 3);
	stop_run(f, "run-bump");
	log_of(f, "run-bump", log, sizeof(log));
	itest_fx_assert_no_sanitizer(log);
	assert_int_equal(itest_log_count(log, "projection version changed",
	    "projection=player_profiles", NULL), 1);
	assert_int_equal(itest_log_count(log, "rebuild swapped in",
	    "projections=1", NULL), 1);
	assert_no_shadow(f);

	run_once(f, "scratch", f->scratch_config);
	f->new = itest_fx_snapshot(f->scratch_db);
	assert_contract(f, f->db, f->new, "from-scratch");
}

/*
 * The background rebuild of a version change, killed half way, resumes
 * from its shadow at the next start (README: when the shadow was made by
 * the same versions) instead of folding the stream again from sequence 1,
 * and still ends exact. Meanwhile the old view is intact.
 */
static void
test_version_rebuild_resumes(void **state)
{
	struct fx *f = *state;
	const int old_version = proj_player_profiles.version + 1;
	char sql[256], line[1024], log[ITEST_PATH_MAX];
	const char *ev;
	long long seq, events;
	int status;

	start_natsd(f);
	publish_large(f);
	run_once(f, "run", f->config);
	old_and_new(f);
	snprintf(sql, sizeof(sql), "UPDATE projector_status SET version = %d"
	    " WHERE projection = 'player_profiles'", old_version);
	plant(f->db, sql);

	start_cmd(f, "run-killed", "run", NULL);
	wait_rebuild_progress(f, &seq);
	assert_int_equal(proc_signal(&f->p, SIGKILL), 0);
	assert_int_equal(proc_wait(&f->p, STOP_MS, &status), 0);
	assert_exit(f, "run-killed", status, ITEST_EXIT_SIGKILL);
	/* What the shadow kept: it is where the next run starts from. */
	seq = itest_query_int(f->shadow, "SELECT last_seq FROM projector_status"
	    " WHERE projection = 'player_profiles'");
	print_message("killed with the shadow at seq %lld\n", seq);
	assert_true(seq > 0 && seq < LARGE_EVENTS);
	assert_integrity(f->db);
	/* The old view, planted rows and all, at the old version. */
	assert_contract(f, f->db, f->old, "old");
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'player_profiles'"),
	    old_version);

	run_once(f, "run-resumed", f->config);
	log_of(f, "run-resumed", log, sizeof(log));
	if (itest_log_line(line, sizeof(line), log, "rebuild caught up",
	    "done_seq=30000", NULL) == -1) {
		itest_show_log(log);
		fail_msg("%s: no rebuild caught up at 30000", log);
	}
	assert_non_null(ev = strstr(line, " events="));
	events = strtoll(ev + 8, NULL, 10);
	assert_int_equal(events, LARGE_EVENTS - seq);
	/*
	 * player_profiles is rebuilt; the planted rows of the others stay
	 * (nothing rebuilt them): compare player_profiles with the new view,
	 * and the rest with the old one.
	 */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status WHERE"
	    " version = %d AND last_seq = 30000", proj_player_profiles.version);
	assert_int_equal(itest_query_int(f->db, sql), 3);
	json_object_set(f->old, "player_profiles", json_object_get(f->new,
	    "player_profiles"));
	assert_contract(f, f->db, f->old, "old with player_profiles rebuilt");
	assert_no_shadow(f);
}

/* Fails unless the file at path holds exactly want lines containing s. */
static void
assert_lines(const char *path, const char *s, int want)
{
	int n = itest_log_count(path, s, NULL);

	if (n != want) {
		itest_show_log(path);
		fail_msg("%s: %d lines with '%s', want %d", path, n, s, want);
	}
}

/* No scratch file of verify (ga-1.db-verify-PID*) is left in the dir. */
static void
assert_no_verify_scratch(struct fx *f)
{
	struct dirent *e;
	DIR *d;

	assert_non_null(d = opendir(f->dir));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "ga-1.db-verify-", 15) == 0)
			fail_msg("verify left %s/%s", f->dir, e->d_name);
	closedir(d);
}

/*
 * verify: an exact file is equal, a line per projection; a row planted in
 * leaderboard_stats is a difference, named with the table and the row as
 * in each view (exit 1), while the other projections stay equal; with
 * --projection session_history only that one is checked (exit 0). The same
 * holds while `run` writes the file and new events arrive: verify reads
 * one snapshot and takes no lock. No scratch file is left.
 */
static void
test_verify(void **state)
{
	struct fx *f = *state;
	char live_row[256], rebuilt_row[256], buf[512], log[ITEST_PATH_MAX];

	start_natsd(f);
	publish_fixture(f);
	run_once(f, "run", f->config);

	assert_int_equal(run_cmd(f, "verify-equal", f->config, "verify", NULL),
	    0);
	assert_lines(f->out, "equal to a rebuild from sequence 1"
	    " (last_seq 600)", 3);
	assert_lines(f->out, "ga-1 session_history: equal", 1);
	assert_lines(f->out, "ga-1 player_profiles: equal", 1);
	assert_lines(f->out, "ga-1 leaderboard: equal", 1);
	assert_lines(f->out, "only in the", 0);
	assert_no_verify_scratch(f);

	/* The row as verify prints it, then one kill more in the live file. */
	itest_fx_rows(f->db, "SELECT printf('(''%s'', %d, ''%s'', %d, ',"
	    " server_id, wipe_id, steam_id, kills + 1) FROM leaderboard_stats"
	    " ORDER BY server_id, wipe_id, steam_id LIMIT 1", TESTDB_TYPED,
	    live_row, sizeof(live_row));
	itest_fx_rows(f->db, "SELECT printf('(''%s'', %d, ''%s'', %d, ',"
	    " server_id, wipe_id, steam_id, kills) FROM leaderboard_stats"
	    " ORDER BY server_id, wipe_id, steam_id LIMIT 1", TESTDB_TYPED,
	    rebuilt_row, sizeof(rebuilt_row));
	/* TESTDB_TYPED quoted the text; strip those quotes. */
	memmove(live_row, live_row + 1, strlen(live_row));
	live_row[strlen(live_row) - 1] = '\0';
	memmove(rebuilt_row, rebuilt_row + 1, strlen(rebuilt_row));
	rebuilt_row[strlen(rebuilt_row) - 1] = '\0';
	plant(f->db, "UPDATE leaderboard_stats SET kills = kills + 1"
	    " WHERE (server_id, wipe_id, steam_id) = (SELECT server_id,"
	    " wipe_id, steam_id FROM leaderboard_stats ORDER BY 1, 2, 3"
	    " LIMIT 1)");

	assert_int_equal(run_cmd(f, "verify-planted", f->config, "verify",
	    NULL), 1);
	snprintf(buf, sizeof(buf), "leaderboard_stats: only in the live view:"
	    " %s", live_row);
	assert_lines(f->out, buf, 1);
	snprintf(buf, sizeof(buf), "leaderboard_stats: only in the rebuilt"
	    " view: %s", rebuilt_row);
	assert_lines(f->out, buf, 1);
	assert_lines(f->out, "only in the", 2);
	assert_lines(f->out, "ga-1 leaderboard: 2 differences", 1);
	assert_lines(f->out, "ga-1 session_history: equal", 1);
	assert_lines(f->out, "ga-1 player_profiles: equal", 1);

	assert_int_equal(run_cmd(f, "verify-one", f->config, "verify",
	    "--projection", "session_history", NULL), 0);
	assert_lines(f->out, "ga-1 ", 1);
	assert_lines(f->out, "ga-1 session_history: equal", 1);

	/* With `run` folding new events into the file meanwhile. */
	start_cmd(f, "run-live", "run", NULL);
	wait_query(f, "SELECT count(*) FROM projector_status"
	    " WHERE state = 'live'", 3);
	publish_fixture(f);
	assert_int_equal(run_cmd(f, "verify-busy", f->config, "verify", NULL),
	    1);
	assert_lines(f->out, "ga-1 session_history: equal", 1);
	assert_lines(f->out, "ga-1 player_profiles: equal", 1);
	assert_lines(f->out, "ga-1 leaderboard: ", 1);
	assert_lines(f->out, "leaderboard_stats: only in the live view", 1);
	assert_lines(f->out, "leaderboard_stats: only in the rebuilt view", 1);
	wait_query(f, "SELECT min(last_seq) FROM projector_status",
	    2 * ITEST_NEVENTS);
	assert_int_equal(run_cmd(f, "verify-busy-one", f->config, "verify",
	    "--projection", "player_profiles", NULL), 0);
	assert_lines(f->out, "ga-1 player_profiles: equal to a rebuild from"
	    " sequence 1 (last_seq 1200)", 1);
	stop_run(f, "run-live");
	itest_fx_assert_no_sanitizer(log_of(f, "run-live", log, sizeof(log)));
	assert_no_verify_scratch(f);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_full_replay),
		T(test_reader_during_replay),
		T(test_replay_one_projection),
		T(test_replay_interrupted),
		T(test_replay_server_stall),
		T(test_version_bump),
		T(test_version_rebuild_resumes),
		T(test_verify),
	};
#undef T

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), group_setup,
	    group_teardown);
}
