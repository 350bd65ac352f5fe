/*
 * test_accounts.c: one projector, several NATS accounts, one SQLite file
 * each, and nothing crosses from one owner to another.
 *
 * nats-server runs with two accounts, GA-1 and GA-2, each with JetStream
 * and a password user, and a stream "everything" of its own. GA-1 gets the
 * 600-event fixture, GA-2 three events of a server 900 that GA-1 never
 * saw. One projector process with both accounts must fold each stream into
 * its own file exactly; an account whose password is wrong must be
 * reported and retried without holding up the others. Run from the
 * repository root; the binaries are in $PROJECTOR_BIN_DIR (default build).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

#define PASS_GA1	"ga1-Zq7vN2pLx"
#define PASS_GA2	"ga2-Hc4rT8wKe"
#define PASS_WRONG	"not-the-password-9Fj3"

/*
 * The server's side: accounts and users. No listen (natsd's -p sets the
 * port) and no jetstream store_dir: natsd passes -sd on the command line,
 * and nats-server refuses a store_dir given both ways ("Duplicate
 * 'store_dir' configuration").
 */
static const char server_conf[] =
	"jetstream {\n"
	"  max_file_store: 256MB\n"
	"}\n"
	"accounts {\n"
	"  GA-1: {\n"
	"    jetstream: enabled\n"
	"    users: [ { user: ga1, password: \"" PASS_GA1 "\" } ]\n"
	"  }\n"
	"  GA-2: {\n"
	"    jetstream: enabled\n"
	"    users: [ { user: ga2, password: \"" PASS_GA2 "\" } ]\n"
	"  }\n"
	"}\n";

/* GA-2's stream: server 900 starts, a player comes and goes. */
static const struct {
	const char	*subject;
	const char	*payload;
} ga2_events[] = {
	{ "v0.rust.servers.900.events.started",
	  "{\"timestamp\":\"2026-11-02T10:00:00.000Z\"}" },
	{ "v0.rust.servers.900.players.76561198000009001.events.connected",
	  "{\"connected_timestamp\":\"2026-11-02T10:00:05.000Z\",\"player\":"
	  "{\"id\":\"76561198000009001\",\"name\":\"alice900\","
	  "\"address\":\"198.51.100.9\"}}" },
	{ "v0.rust.servers.900.players.76561198000009001.events.disconnected",
	  "{\"disconnected_timestamp\":\"2026-11-02T10:10:05.500Z\",\"player\":"
	  "{\"id\":\"76561198000009001\"},"
	  "\"reason\":\"Disconnected by user\"}" },
};
#define GA2_NEVENTS	(sizeof(ga2_events) / sizeof(ga2_events[0]))

static int
setup(void **state)
{
	return itest_fx_setup("itest-accounts-", 0, state);
}

/* The URL that logs in as user with password. */
static void
user_url(const struct itest_fx *f, const char *user, const char *password,
    char *buf, size_t len)
{
	snprintf(buf, len, "nats://%s:%s@127.0.0.1:%d", user, password,
	    f->d.port);
}

/*
 * Starts nats-server with both accounts, the fixture in GA-1's stream and
 * server 900's events in GA-2's, and writes the projector's password files
 * (mode 0600). A machine without nats-server skips the test.
 */
static void
start_accounts(struct itest_fx *f)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	char path[ITEST_PATH_MAX], url[256], err[1024];
	size_t i;

	itest_fx_start_natsd(f, server_conf);
	user_url(f, "ga1", PASS_GA1, url, sizeof(url));
	itest_fx_publish_fixture(f, url, NULL);

	user_url(f, "ga2", PASS_GA2, url, sizeof(url));
	if (publish_connect(url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("GA-2: %s", err);
	for (i = 0; i < GA2_NEVENTS; i++)
		if (publish_one(js, ga2_events[i].subject,
		    ga2_events[i].payload, strlen(ga2_events[i].payload), err,
		    sizeof(err)) == -1)
			fail_msg("GA-2: %s", err);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);

	itest_fx_path(f, "ga-1.pass", path, sizeof(path));
	assert_int_equal(tmp_write_file_mode(path, PASS_GA1, 0600), 0);
	itest_fx_path(f, "ga-2.pass", path, sizeof(path));
	assert_int_equal(tmp_write_file_mode(path, PASS_GA2, 0600), 0);
	itest_fx_path(f, "wrong.pass", path, sizeof(path));
	assert_int_equal(tmp_write_file_mode(path, PASS_WRONG, 0600),
	    0);
}

/*
 * Writes the configuration: ga-1 (its database f->db) and ga-2, and ga-bad
 * when bad is set.
 */
static void
write_config(struct itest_fx *f, int bad)
{
#define AUTH(user, file)	"{ user: " user ", password_file: " file " }"
	static const struct itest_account accts[] = {
		{ "ga-1", AUTH("ga1", "ga-1.pass"), "ga-1.db", NULL, NULL, NULL },
		{ "ga-2", AUTH("ga2", "ga-2.pass"), "b.db", NULL, NULL, NULL },
		{ "ga-bad", AUTH("ga2", "wrong.pass"), "c.db", NULL, NULL, NULL },
	};
#undef AUTH

	itest_fx_write_accounts(f, NULL, accts, bad ? 3 : 2);
}

/* GA-1's file is the fixture's exact answer, and knows no server 900. */
static void
assert_ga1(struct itest_fx *f)
{
	itest_fx_assert_contract(f);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT count(*) FROM servers WHERE server_id = '900'"), 0);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT count(*) FROM session_history WHERE server_id = '900'"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*)"
	    " FROM player_profiles WHERE steam_id = '76561198000009001'"), 0);
}

/* GA-2's file holds server 900, its one session and player, and no more. */
static void
assert_ga2(struct itest_fx *f)
{
	char b_db[ITEST_PATH_MAX], buf[4096];

	itest_fx_path(f, "b.db", b_db, sizeof(b_db));
	assert_int_equal(itest_last_seq(b_db), GA2_NEVENTS);
	assert_string_equal(itest_fx_rows(b_db, "SELECT server_id, status,"
	    " last_started_at, last_stopped_at, current_wipe_id, online_players"
	    " FROM servers", TESTDB_PLAIN, buf, sizeof(buf)),
	    "900|online|2026-11-02T10:00:00.000Z|NULL|0|0");
	assert_string_equal(itest_fx_rows(b_db, "SELECT server_id, steam_id,"
	    " name, connected_at, disconnected_at, duration_s, end_reason"
	    " FROM session_history", TESTDB_PLAIN, buf, sizeof(buf)),
	    "900|76561198000009001|alice900|2026-11-02T10:00:05.000Z|"
	    "2026-11-02T10:10:05.500Z|600.5|Disconnected by user");
	assert_string_equal(itest_fx_rows(b_db, "SELECT steam_id, name,"
	    " first_seen, last_seen, sessions, playtime_s, chat_messages,"
	    " reports_received, banned, ban_reason FROM player_profiles",
	    TESTDB_PLAIN, buf, sizeof(buf)),
	    "76561198000009001|alice900|2026-11-02T10:00:05.000Z|"
	    "2026-11-02T10:10:05.500Z|1|600.5|0|0|0|NULL");
	assert_int_equal(itest_query_int(b_db,
	    "SELECT (SELECT count(*) FROM wipes) + (SELECT count(*)"
	    " FROM leaderboard) + (SELECT count(*) FROM projector_parked)"), 0);
}

/* Neither secret reaches the log at path, nor any sanitizer report. */
static void
assert_clean_log(const char *path)
{
	assert_int_equal(itest_log_count(path, PASS_GA1, NULL), 0);
	assert_int_equal(itest_log_count(path, PASS_GA2, NULL), 0);
	assert_int_equal(itest_log_count(path, PASS_WRONG, NULL), 0);
	/* The files are 0600: no reason for the permissions warning. */
	assert_int_equal(itest_log_count(path, "readable by others", NULL), 0);
	itest_fx_assert_no_sanitizer(path);
}

/* Both accounts in one `run --once`: each file gets its own stream. */
static void
test_accounts_isolated(void **state)
{
	struct itest_fx *f = *state;
	int code;

	start_accounts(f);
	write_config(f, 0);
	code = itest_fx_run(f, "run", "-c", f->config, "--once", NULL);
	assert_clean_log(f->err);
	assert_int_equal(code, 0);
	assert_ga1(f);
	assert_ga2(f);
}

/*
 * A third account whose password the server refuses: it is named in the
 * log with the server's reason and retried, while the other two fold their
 * streams to the end; SIGTERM still stops the whole process cleanly.
 */
static void
test_accounts_bad_password(void **state)
{
	struct itest_fx *f = *state;
	char b_db[ITEST_PATH_MAX], c_db[ITEST_PATH_MAX];
	int status;

	itest_fx_path(f, "b.db", b_db, sizeof(b_db));
	itest_fx_path(f, "c.db", c_db, sizeof(c_db));
	start_accounts(f);
	write_config(f, 1);
	itest_fx_start_projector(f);

	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, b_db, GA2_NEVENTS);
	itest_fx_wait_log(f, f->log, 1, "cannot connect", "account=ga-bad",
	    "Authorization Violation", NULL);
	/* The good accounts never hear of it. */
	assert_int_equal(itest_log_count(f->log, "Authorization Violation",
	    NULL), itest_log_count(f->log, "Authorization Violation",
	    "account=ga-bad", NULL));
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	/* Nothing applied for it (-1: no status rows, or no file, yet). */
	assert_true(itest_last_seq(c_db) <= 0);

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	assert_clean_log(f->log);
	assert_ga1(f);
	assert_ga2(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_accounts_isolated),
		T_(test_accounts_bad_password),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
