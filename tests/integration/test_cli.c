/*
 * test_cli.c: the command line contract (shared/spec/cli.md, README.md
 * "Command line"): what each command prints where, and its exit code.
 *
 * Scripts and cron jobs branch on these codes, so each is checked on the
 * real binary: --help and --version, usage errors (64), check-config (0,
 * 78 with FILE:LINE:COLUMN, 66), migrate, status, a second writer on a
 * database (75) and a stream that went backwards (78, the database left as
 * it was). Run from the repository root; the binaries are in
 * $PROJECTOR_BIN_DIR (default build).
 */
#include <ctype.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "itest.h"
#include "natsd.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

#define SHORT_STREAM	10	/* events of the recreated stream */
#define GAP_MORE	100	/* events published after the first run */
#define GAP_FIRST	651	/* the purge keeps seq 651 on: 601-650 lost */
#define SHORT_WAIT_RUNS	5	/* --once runs with max_wait_ms 1 */

/* <sysexits.h>, as the CLI contract names them. */
#define EXIT_USAGE	64
#define EXIT_UNAVAILABLE 69
#define EXIT_NOINPUT	66
#define EXIT_TEMPFAIL	75
#define EXIT_CONFIG	78

static int
setup(void **state)
{
	return itest_fx_setup("itest-cli-", 0, state);
}

/* Returns the whole of the file at path (the caller frees it). */
static char *
slurp(const char *path)
{
	char *text;

	if (tmp_read_file(path, &text, NULL) == -1)
		fail_msg("%s: cannot read", path);
	return text;
}

/* Returns how many lines the file at path holds. */
static int
lines(const char *path)
{
	char *text = slurp(path), *p;
	int n = 0;

	for (p = text; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	if (p > text && p[-1] != '\n')
		n++;
	free(text);
	return n;
}

/* Fails unless the file at path holds exactly one line. */
static void
assert_one_line(const char *path)
{
	char *text, shown[2048];
	int n;

	if ((n = lines(path)) == 1)
		return;
	/* Copied out: fail_msg() does not return, so nothing could free it. */
	text = slurp(path);
	snprintf(shown, sizeof(shown), "%s", text);
	free(text);
	fail_msg("%s holds %d lines, not one:\n%s", path, n, shown);
}

/* Fails unless the file at path holds s. */
static void
assert_file_has(const char *path, const char *s)
{
	char *text = slurp(path), shown[2048];
	int found = strstr(text, s) != NULL;

	snprintf(shown, sizeof(shown), "%s", text);
	free(text);
	if (!found)
		fail_msg("%s does not hold '%s':\n%s", path, s, shown);
}

/* Returns 1 when n appears in s as a whole number, not part of a larger. */
static int
has_number(const char *s, long long n)
{
	char num[32];
	const char *p;
	size_t len;

	len = (size_t)snprintf(num, sizeof(num), "%lld", n);
	for (p = s; (p = strstr(p, num)) != NULL; p += len)
		if ((p == s || !isdigit((unsigned char)p[-1])) &&
		    !isdigit((unsigned char)p[len]))
			return 1;
	return 0;
}

/* The whole fixture with `run --once`: the exact answer. */
static void
run_fixture(struct itest_fx *f)
{
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	itest_fx_assert_contract(f);
}

/* --help and --version: stdout, nothing on stderr, exit 0. */
static void
test_cli_help_version(void **state)
{
	struct itest_fx *f = *state;
	static const char *const commands[] = { "run", "status",
	    "check-config", "migrate" };
	char *text;
	size_t i;

	assert_int_equal(itest_fx_run(f, "--help", NULL), 0);
	assert_int_equal(lines(f->err), 0);
	text = slurp(f->out);
	assert_non_null(strstr(text, "usage:"));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		assert_non_null(strstr(text, commands[i]));
	free(text);

	assert_int_equal(itest_fx_run(f, "--version", NULL), 0);
	assert_int_equal(lines(f->err), 0);
	assert_int_equal(lines(f->out), 1);
	text = slurp(f->out);
	assert_true(strncmp(text, "projector ", 10) == 0 &&
	    isdigit((unsigned char)text[10]));
	free(text);
}

/*
 * Usage errors exit 64 with one line on stderr that names the culprit
 * (cli.md: "Every non-zero exit prints one line to stderr that says what
 * to fix"), and nothing on stdout.
 */
static void
test_cli_usage_errors(void **state)
{
	struct itest_fx *f = *state;

	itest_fx_write_config(f, 0);
	assert_int_equal(itest_fx_run(f, "frobnicate", "-c", f->config, NULL),
	    EXIT_USAGE);
	assert_file_has(f->err, "frobnicate");
	assert_int_equal(lines(f->out), 0);
	assert_one_line(f->err);

	assert_int_equal(itest_fx_run(f, "run", "--bogus", "-c", f->config,
	    NULL), EXIT_USAGE);
	assert_file_has(f->err, "--bogus");
	assert_int_equal(lines(f->out), 0);
	assert_one_line(f->err);
}

/* check-config: 0 when valid, 78 at FILE:LINE:COLUMN, 66 when missing. */
static void
test_cli_check_config(void **state)
{
	struct itest_fx *f = *state;
	char bad[ITEST_PATH_MAX], missing[ITEST_PATH_MAX];
	char where[ITEST_PATH_MAX + 32];

	itest_fx_write_config(f, 0);
	assert_int_equal(itest_fx_run(f, "check-config", "-c", f->config,
	    NULL), 0);
	assert_file_has(f->out, "valid");
	assert_int_equal(lines(f->err), 0);

	/* Line 6, column 5: the misspelt key of the account. */
	snprintf(bad, sizeof(bad), "%s/bad.yaml", f->dir);
	assert_int_equal(tmp_write_file(bad,
	    "nats:\n"
	    "  servers: [nats://127.0.0.1:1]\n"
	    "accounts:\n"
	    "  - name: ga-1\n"
	    "    stream: everything\n"
	    "    databse: ga-1.db\n"), 0);
	assert_int_equal(itest_fx_run(f, "check-config", "-c", bad, NULL),
	    EXIT_CONFIG);
	snprintf(where, sizeof(where), "%s:6:5:", bad);
	assert_file_has(f->err, where);
	assert_file_has(f->err, "databse");
	assert_one_line(f->err);

	snprintf(missing, sizeof(missing), "%s/no-such.yaml", f->dir);
	assert_int_equal(itest_fx_run(f, "check-config", "-c", missing, NULL),
	    EXIT_NOINPUT);
	assert_file_has(f->err, missing);
	assert_one_line(f->err);
}

/*
 * Reads the count from migrate's "ga-1: N migrations applied to FILE"
 * in the file at path; -1 when there is no such line.
 */
static long
migrations_applied(const char *path)
{
	char line[1024];

	if (itest_log_line(line, sizeof(line), path, "ga-1: ", " applied to ",
	    NULL) == -1)
		return -1;
	return strtol(strstr(line, "ga-1: ") + 6, NULL, 10);
}

/*
 * migrate creates the database and applies every built-in migration (one
 * file each under migrations/), and a second migrate has nothing to do.
 */
static void
test_cli_migrate(void **state)
{
	struct itest_fx *f = *state;
	glob_t g;
	size_t nfiles;

	assert_int_equal(glob("migrations/*/*.sql", 0, NULL, &g), 0);
	nfiles = g.gl_pathc;
	globfree(&g);
	assert_true(nfiles >= 4);

	itest_fx_write_config(f, 0);
	assert_int_equal(access(f->db, F_OK), -1);
	assert_int_equal(itest_fx_run(f, "migrate", "-c", f->config, NULL), 0);
	assert_int_equal(access(f->db, F_OK), 0);
	assert_int_equal(migrations_applied(f->out), (long)nfiles);
	/* The public tables are there, ready for a website to open. */
	assert_int_equal(itest_query_int(f->db, "SELECT count(*)"
	    " FROM sqlite_schema WHERE name IN ('servers', 'wipes',"
	    " 'session_history', 'player_profiles', 'leaderboard',"
	    " 'projector_status', 'projector_parked')"), 7);

	assert_int_equal(itest_fx_run(f, "migrate", "-c", f->config, NULL), 0);
	assert_int_equal(migrations_applied(f->out), 0);
}

/* status (the table) lists the three projections, caught up. */
static void
test_cli_status_table(void **state)
{
	struct itest_fx *f = *state;
	static const char *const projections[] = { "leaderboard",
	    "player_profiles", "session_history" };
	size_t i;

	itest_fx_start_with_fixture(f, 0);
	run_fixture(f);
	assert_int_equal(itest_fx_run(f, "status", "-c", f->config, NULL), 0);
	for (i = 0; i < sizeof(projections) / sizeof(projections[0]); i++)
		if (itest_log_count(f->out, projections[i], " 600 ", NULL) != 1)
			fail_msg("%s: no line for %s at 600", f->out,
			    projections[i]);
}

/*
 * A second `run` on a database that a running `run` holds exits 75 and
 * names the database; the first one does not notice.
 */
static void
test_cli_database_locked(void **state)
{
	struct itest_fx *f = *state;
	int status;

	itest_fx_start_with_fixture(f, 0);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);

	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), EXIT_TEMPFAIL);
	assert_file_has(f->err, f->db);

	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fx_assert_contract(f);
}

/*
 * The stream deleted and recreated with fewer events than the database has
 * applied: folding on would mix two histories, so `run` exits 78, names
 * the checkpoint and the stream's last sequence, and changes nothing.
 */
static void
test_cli_stream_backwards(void **state)
{
	struct itest_fx *f = *state;
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct itest_fixture *fx = &f->events;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	char err[1024], line[2048];

	itest_fx_start_with_fixture(f, 0);
	run_fixture(f);

	if (itest_fixture_load(ITEST_EVENTS, fx, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(js_DeleteStream(js, ITEST_STREAM, NULL, &jerr),
	    NATS_OK);
	if (publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (itest_publish_events(js, fx, 0, SHORT_STREAM, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);

	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), EXIT_CONFIG);
	if (itest_log_line(line, sizeof(line), f->err, "backwards", NULL) == -1)
		fail_msg("%s: no line says the stream went backwards", f->err);
	if (!has_number(line, ITEST_NEVENTS) || !has_number(line, SHORT_STREAM))
		fail_msg("the line names not both %d and %d: %s", ITEST_NEVENTS,
		    SHORT_STREAM, line);

	/* Nothing of the new stream was folded in. */
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT max(last_seq) FROM projector_status"), ITEST_NEVENTS);
	itest_fx_assert_contract(f);
}

/*
 * Events expired from the stream before they were applied (here: purged
 * below seq GAP_FIRST while the projector was stopped at ITEST_NEVENTS):
 * run refuses with 78 and a line naming the missing range, changing
 * nothing; with --accept-gap it goes on and counts the missing events.
 */
static void
test_cli_stream_gap(void **state)
{
	struct itest_fx *f = *state;
	struct itest_fixture *fx = &f->events;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions o;
	jsErrCode jerr = 0;
	char err[1024], line[2048];

	itest_fx_start_with_fixture(f, 0);
	run_fixture(f);

	if (itest_fixture_load(ITEST_EVENTS, fx, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (itest_publish_events(js, fx, 0, GAP_MORE, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	jsOptions_Init(&o);
	o.Stream.Purge.Sequence = GAP_FIRST;
	assert_int_equal(js_PurgeStream(js, ITEST_STREAM, &o, &jerr), NATS_OK);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);

	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), EXIT_CONFIG);
	if (itest_log_line(line, sizeof(line), f->err, "expired", "--accept-gap",
	    NULL) == -1)
		fail_msg("%s: no line says events expired", f->err);
	if (!has_number(line, ITEST_NEVENTS + 1) || !has_number(line,
	    GAP_FIRST - 1))
		fail_msg("the line names not both %d and %d: %s",
		    ITEST_NEVENTS + 1, GAP_FIRST - 1, line);
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS);
	itest_fx_assert_contract(f);

	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    "--accept-gap", NULL), 0);
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS + GAP_MORE);
	assert_int_equal(itest_query_int(f->db, "SELECT value FROM projector_meta"
	    " WHERE key = 'gap_events'"), GAP_FIRST - ITEST_NEVENTS - 1);
	/* Once past the gap, a plain run has nothing to refuse. */
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
}

/*
 * --once ends only when everything the server delivered is folded: with
 * fetches that expire after 1 ms, batches are still on their way when a
 * fetch comes back empty (it used to exit 0 having applied nothing, 7 runs
 * in 10).
 */
static void
test_cli_once_short_wait(void **state)
{
	struct itest_fx *f = *state;
	struct itest_account acct = { "ga-1", NULL, NULL, NULL, NULL, NULL };
	char db[ITEST_PATH_MAX], consumer[32];
	int k;

	itest_fx_start_with_fixture(f, 0);
	for (k = 0; k < SHORT_WAIT_RUNS; k++) {
		snprintf(db, sizeof(db), "%s/short-%d.db", f->dir, k);
		snprintf(consumer, sizeof(consumer), "short-%d", k);
		acct.database = db;
		acct.consumer = consumer;
		assert_int_equal(itest_write_config(f->config, f->d.url, NULL,
		    50, 1, &acct, 1), 0);
		assert_int_equal(itest_fx_run(f, "run", "-c", f->config,
		    "--once", NULL), 0);
		assert_int_equal(itest_last_seq(db), ITEST_NEVENTS);
	}
}

/*
 * No NATS at all: run --once and replay --once give up after 30 s with 69
 * and a line that says so (replay used to spin for ever). Both at once,
 * to wait the 30 s only once.
 */
static void
test_cli_nats_unavailable(void **state)
{
	struct itest_fx *f = *state;
	static const struct itest_account other = { "ga-1", NULL, "other.db",
	    NULL, NULL, NULL };
	char run_log[ITEST_PATH_MAX], replay_log[ITEST_PATH_MAX];
	char other_config[ITEST_PATH_MAX];
	char *run_argv[] = { f->bin, "run", "-c", f->config, "--once", NULL };
	char *replay_argv[] = { f->bin, "replay", "-c", other_config, "--once",
	    NULL };
	struct proc run, replay;
	char err[512];
	int status;

	/* No server (nats://127.0.0.1:1); a database each: one writer a file. */
	itest_fx_write_config(f, 0);
	itest_fx_path(f, "other.yaml", other_config, sizeof(other_config));
	itest_fx_write_accounts(f, other_config, &other, 1);
	snprintf(run_log, sizeof(run_log), "%s/run.log", f->dir);
	snprintf(replay_log, sizeof(replay_log), "%s/replay.log", f->dir);
	if (proc_start(&run, run_argv, run_log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (proc_start(&replay, replay_argv, replay_log, err,
	    sizeof(err)) == -1) {
		proc_stop(&run, 0, &status);
		fail_msg("%s", err);
	}
	assert_int_equal(proc_wait(&run, ITEST_RUN_MS, &status), 0);
	assert_int_equal(proc_exit_code(status), EXIT_UNAVAILABLE);
	assert_int_equal(proc_wait(&replay, ITEST_RUN_MS, &status), 0);
	assert_int_equal(proc_exit_code(status), EXIT_UNAVAILABLE);
	assert_true(itest_log_count(run_log, "giving up", NULL) == 1);
	assert_true(itest_log_count(replay_log, "rebuild failed",
	    "stayed unavailable", NULL) == 1);
	itest_fx_assert_no_sanitizer(run_log);
	itest_fx_assert_no_sanitizer(replay_log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_cli_help_version),
		T_(test_cli_usage_errors),
		T_(test_cli_check_config),
		T_(test_cli_migrate),
		T_(test_cli_status_table),
		T_(test_cli_database_locked),
		T_(test_cli_stream_backwards),
		T_(test_cli_stream_gap),
		T_(test_cli_once_short_wait),
		T_(test_cli_nats_unavailable),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
