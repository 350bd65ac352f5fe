/*
 * views.c: the old and the new view of a projector's file, for the tests
 * of what rebuilds it (see views.h).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include "contract.h"
#include "itest.h"
#include "probe.h"
#include "proc.h"
#include "projections.h"
#include "stream.h"
#include "tmp.h"
#include "views.h"

/*
 * Writes into buf the path of the log (stderr) of the command called name
 * in v's dir. Returns buf. Cannot fail; a name too long is cut.
 */
const char *
views_log(const struct views_fx *v, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.log", v->f->dir, name);
	return buf;
}

/* The group's setup: a temp dir for the large stream, made on first use. */
int
views_fx_group_setup(void **state)
{
	struct views_group *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	if (tmp_dir("itest-replay-group-", g->dir, sizeof(g->dir)) == -1) {
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

/* The teardown that goes with views_fx_group_setup(). Returns 0. */
int
views_fx_group_teardown(void **state)
{
	struct views_group *g = *state;

	tmp_rm_rf(g->dir);
	free(g);
	return 0;
}

/*
 * The setup of a test of the group: a new struct views_fx in *state on the
 * common fixture (itest_fx_setup()), with the group's state that *state
 * held (NULL without views_fx_group_setup()). Returns 0, or -1 with
 * nothing left behind.
 */
int
views_fx_setup(void **state)
{
	struct views_fx *v;
	void *f;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	if (itest_fx_setup("itest-replay-", 0, &f) == -1) {
		free(v);
		return -1;
	}
	v->f = f;
	v->g = *state;
	snprintf(v->shadow, sizeof(v->shadow), "%s-rebuild", v->f->db);
	itest_fx_path(v->f, "scratch.yaml", v->scratch_config,
	    sizeof(v->scratch_config));
	itest_fx_path(v->f, "scratch.db", v->scratch_db,
	    sizeof(v->scratch_db));
	*state = v;
	return 0;
}

/*
 * The teardown that goes with views_fx_setup(): closes the reader, frees
 * the views and the common fixture (itest_fx_teardown()), and leaves the
 * group's state in *state. Returns 0.
 */
int
views_fx_teardown(void **state)
{
	struct views_fx *v = *state;
	struct views_group *g = v->g;
	void *f = v->f;

	sqlite3_close(v->conn);
	json_decref(v->old);
	json_decref(v->new);
	itest_fx_teardown(&f);
	free(v);
	*state = g;
	return 0;
}

/*
 * Starts the test's nats-server and writes both configurations: the live
 * one (f->config) and the scratch one. A machine without nats-server skips
 * the test.
 */
void
views_fx_start_natsd(struct views_fx *v)
{
	const struct itest_account live = { "ga-1", NULL, v->f->db, NULL,
	    VIEWS_DURABLE, NULL };
	const struct itest_account scratch = { "ga-1", NULL, v->scratch_db,
	    NULL, VIEWS_SCRATCH, NULL };

	itest_fx_start_natsd(v->f, NULL);
	itest_fx_write_accounts(v->f, NULL, &live, 1);
	itest_fx_write_accounts(v->f, v->scratch_config, &scratch, 1);
}

/*
 * Publishes the large stream, generated on first use, into the test's new
 * stream, asynchronously (in order, on one connection, so stream sequence
 * = line number), and checks that it holds them all: sequences 1 to
 * VIEWS_LARGE_EVENTS.
 */
void
views_fx_publish_large(struct views_fx *v)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct views_group *g = v->g;
	uint64_t count = 0;

	if (g == NULL)
		fail_msg("the large stream needs views_fx_group_setup()");
	if (g->large[0] == '\0') {
		snprintf(g->large, sizeof(g->large), "%s/large.jsonl", g->dir);
		if (stream_generate(g->large, VIEWS_LARGE_SEED,
		    VIEWS_LARGE_EVENTS, v->err, sizeof(v->err)) == -1) {
			g->large[0] = '\0';
			fail_msg("%s", v->err);
		}
	}
	if (stream_publish(v->f->d.url, ITEST_STREAM, subjects, 1, g->large,
	    &count, v->err, sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
	assert_int_equal(count, VIEWS_LARGE_EVENTS);
}

/*
 * Fills argv with the projector, cmd, -c config and the arguments of ap
 * (NULL ends them; at most 11 are taken).
 */
static void
views_argv(struct views_fx *v, char *argv[16], const char *cmd,
    const char *config, va_list ap)
{
	int n = 0;

	argv[n++] = v->f->bin;
	argv[n++] = (char *)cmd;
	argv[n++] = "-c";
	argv[n++] = (char *)config;
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n] = NULL;
}

/*
 * Runs `projector CMD -c config ARGS...` (NULL ends ARGS) to its end, its
 * stdout in dir/NAME.out (v->out then) and its stderr in dir/NAME.log.
 * Fails when it cannot run, still runs after VIEWS_RUN_MS, or a sanitizer
 * reported; shows the log when it exits neither 0 nor 1. Returns its exit
 * code.
 */
int
views_fx_run(struct views_fx *v, const char *name, const char *config,
    const char *cmd, ...)
{
	char *argv[16], log[ITEST_PATH_MAX];
	va_list ap;
	int code = -1;

	va_start(ap, cmd);
	views_argv(v, argv, cmd, config, ap);
	va_end(ap);
	snprintf(v->out, sizeof(v->out), "%s/%s.out", v->f->dir, name);
	views_log(v, name, log, sizeof(log));
	if (proc_run(argv, VIEWS_RUN_MS, &code, v->out, log) == -1)
		fail_msg("projector %s (%s): cannot run, or still running after"
		    " %d ms", cmd, name, VIEWS_RUN_MS);
	itest_fx_assert_no_sanitizer(log);
	if (code != 0 && code != 1)
		itest_show_log(log);
	return code;
}

/* `run --once` into the live file (config) or the scratch one: exit 0. */
void
views_fx_run_once(struct views_fx *v, const char *name, const char *config)
{
	assert_int_equal(views_fx_run(v, name, config, "run", "--once", NULL),
	    0);
}

/*
 * Starts `projector CMD -c f->config ARGS...` (NULL ends ARGS) in the
 * background as f->p, its output in dir/NAME.out and dir/NAME.log.
 */
void
views_fx_start(struct views_fx *v, const char *name, const char *cmd, ...)
{
	char *argv[16], log[ITEST_PATH_MAX], out[ITEST_PATH_MAX];
	va_list ap;

	va_start(ap, cmd);
	views_argv(v, argv, cmd, v->f->config, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s/%s.out", v->f->dir, name);
	views_log(v, name, log, sizeof(log));
	if (proc_start_env(&v->f->p, argv, NULL, out, log, v->err,
	    sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
}

/*
 * Fails the test unless the wait status of the background command called
 * name is the exit code want; shows its log when it is not.
 */
void
views_fx_assert_exit(struct views_fx *v, const char *name, int status,
    int want)
{
	char log[ITEST_PATH_MAX];

	if (proc_exit_code(status) == want)
		return;
	itest_show_log(views_log(v, name, log, sizeof(log)));
	fail_msg("projector %s: exit status %d, want %d", name,
	    proc_exit_code(status), want);
}

/*
 * Stops the background `run` called name with SIGTERM: it must exit 0.
 * Only test_replay_interrupted holds it to VIEWS_STOP_MS; here a slow stop
 * on a loaded machine is reported, not failed.
 */
void
views_fx_stop_run(struct views_fx *v, const char *name)
{
	long long t0 = itest_now_ms(), took;
	int status;

	assert_int_equal(proc_signal(&v->f->p, SIGTERM), 0);
	if (proc_wait(&v->f->p, ITEST_WAIT_MS, &status) == -1)
		fail_msg("%s still running %d ms after SIGTERM", name,
		    ITEST_WAIT_MS);
	views_fx_assert_exit(v, name, status, 0);
	if ((took = itest_now_ms() - t0) > VIEWS_STOP_MS)
		print_message("%s: %lld ms from SIGTERM to exit\n", name, took);
}

/*
 * Executes sql on the file at db, read-write, while no projector runs; it
 * must change something.
 */
void
views_fx_plant(const char *db, const char *sql)
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
void
views_fx_plant_everywhere(const char *db)
{
	views_fx_plant(db, "UPDATE leaderboard_stats SET kills = kills + 1000"
	    " WHERE (server_id, wipe_id, steam_id) = (SELECT server_id,"
	    " wipe_id, steam_id FROM leaderboard_stats ORDER BY 1, 2, 3"
	    " LIMIT 1)");
	views_fx_plant(db, "UPDATE player_stats SET chat_messages ="
	    " chat_messages + 1000 WHERE steam_id = (SELECT min(steam_id)"
	    " FROM player_stats)");
	views_fx_plant(db, "UPDATE session_history SET end_reason = 'planted'"
	    " WHERE seq = (SELECT min(seq) FROM session_history)");
	views_fx_plant(db, "INSERT INTO projector_parked (projection, seq,"
	    " subject, reason, parked_at) VALUES ('leaderboard', 999999,"
	    " 'planted', 'planted', '2026-01-01T00:00:00.000Z')");
}

/* Fails the test unless the query q of a and b differ. */
static void
views_assert_query_differs(const json_t *a, const json_t *b, const char *q)
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
 * Sets v->old, the old view (the live file with its planted differences),
 * and v->new, the new one (a from-scratch run into the scratch file);
 * checks that each planted difference shows in the contract.
 */
void
views_fx_old_and_new(struct views_fx *v)
{
	views_fx_plant_everywhere(v->f->db);
	v->old = itest_fx_snapshot(v->f->db);
	views_fx_run_once(v, "scratch", v->scratch_config);
	v->new = itest_fx_snapshot(v->scratch_db);
	views_assert_query_differs(v->old, v->new, "leaderboard");
	views_assert_query_differs(v->old, v->new, "player_profiles");
	views_assert_query_differs(v->old, v->new, "session_history");
	views_assert_query_differs(v->old, v->new, "parked");
}

/* Fails the test unless the contract of db equals want, the what view. */
void
views_fx_assert_view(struct views_fx *v, const char *db, const json_t *want,
    const char *what)
{
	if (itest_diff(db, want, v->err, sizeof(v->err)) == -1)
		fail_msg("%s: not the %s view: %s", db, what, v->err);
}

/*
 * Checks the status rows after a replay or run that stopped cleanly: every
 * projection at the program's version and at last_seq, stopped, with no
 * error and no rebuild progress left.
 */
void
views_fx_assert_status(struct views_fx *v, long long last_seq)
{
	const struct projection *const *p;
	char want[2048], got[2048];
	size_t off = 0;

	want[0] = '\0';
	for (p = projections_builtin; *p != NULL; p++)
		off += (size_t)snprintf(want + off, sizeof(want) - off,
		    "%s'%s'|%d|%lld|'stopped'|NULL|NULL|NULL",
		    off > 0 ? "\n" : "", (*p)->name, (*p)->version, last_seq);
	itest_fx_rows(v->f->db, "SELECT projection, version, last_seq, state,"
	    " last_error, rebuild_seq, rebuild_target FROM projector_status"
	    " ORDER BY CASE projection WHEN 'session_history' THEN 1"
	    " WHEN 'player_profiles' THEN 2 ELSE 3 END", TESTDB_TYPED, got,
	    sizeof(got));
	assert_string_equal(got, want);
}

/* Fails when a file of the shadow (or its -wal, -shm, .lock) is left. */
void
views_fx_assert_no_shadow(struct views_fx *v)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".lock" };
	char path[ITEST_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", v->shadow, suffix[i]);
		if (access(path, F_OK) == 0)
			fail_msg("%s is left behind", path);
	}
}

/*
 * Fails unless two looks at a durable consumer (itest_fx_consumer()) saw
 * the same consumer in the same state: creation time, deliveries, ack
 * floor, pending counts and configuration.
 */
void
views_fx_assert_same_consumer(const struct probe_consumer *a,
    const struct probe_consumer *b)
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
 * Counts the consumers of stream ITEST_STREAM: returns the number of
 * durable ones (named in durables, comma-separated, as the server lists
 * them) and sets *ephemeral to the number of replay readers (no durable
 * name, AckNone, described "projector replay"); any other kind fails the
 * test.
 */
int
views_fx_consumers(struct views_fx *v, char *durables, size_t len,
    int *ephemeral)
{
	struct probe_nats pn;
	jsConsumerInfoList *list = NULL;
	jsErrCode jerr = 0;
	size_t off = 0;
	int i, n = 0;

	*ephemeral = 0;
	durables[0] = '\0';
	if (probe_nats_open(&pn, v->f->d.url, v->err, sizeof(v->err)) == -1)
		fail_msg("%s", v->err);
	assert_int_equal(js_Consumers(&list, pn.js, ITEST_STREAM, NULL, &jerr),
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
	probe_nats_close(&pn);
	return n;
}

/*
 * Polls until the shadow file has committed at least one batch of a
 * rebuild (its smallest checkpoint > 0, into *seq) and holds no row of
 * projector_meta called 'stale' (which marks a shadow of an earlier run);
 * fails when the background projector exits first or ITEST_WAIT_MS pass.
 */
void
views_fx_wait_shadow(struct views_fx *v, long long *seq)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;

	for (;;) {
		*seq = itest_query_int(v->shadow, "SELECT CASE WHEN EXISTS"
		    " (SELECT 1 FROM projector_meta WHERE key = 'stale')"
		    " THEN -1 ELSE (SELECT min(last_seq) FROM projector_status)"
		    " END");
		if (*seq > 0)
			return;
		if (proc_wait(&v->f->p, 0, NULL) == 0)
			fail_msg("the replay exited (%d) before its shadow had"
			    " a batch", proc_exit_code(v->f->p.status));
		if (itest_now_ms() >= deadline)
			fail_msg("%s: no batch after %d ms", v->shadow,
			    ITEST_WAIT_MS);
		itest_nap();
	}
}

/*
 * Polls until sql on the live file (read-only) returns want; fails when
 * the background projector exits first or ITEST_WAIT_MS pass.
 */
void
views_fx_wait_query(struct views_fx *v, const char *sql, long long want)
{
	struct proc *p = &v->f->p;
	long long deadline = itest_now_ms() + ITEST_WAIT_MS, n;

	for (;;) {
		if ((n = itest_query_int(v->f->db, sql)) == want)
			return;
		if (p->pid > 0 && proc_wait(p, 0, NULL) == 0)
			fail_msg("the projector exited (%d) before %s gave %lld"
			    " (last %lld)", proc_exit_code(p->status), sql,
			    want, n);
		if (itest_now_ms() >= deadline)
			fail_msg("%s gave %lld after %d ms, want %lld", sql, n,
			    ITEST_WAIT_MS, want);
		itest_nap();
	}
}
