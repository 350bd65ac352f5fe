/*
 * test_plugins.c: a projection loaded from a shared object, through the
 * real program: tests/plugins/plug.c (plug_seen, counting each server's
 * started events), built beside the tests, copied into the test's own
 * directory, named under plugins: and in the account's projections:. It
 * folds the fixture beside the built-ins, whose tables stay exact; replays
 * and verifies; a new version is rebuilt; a plug-in the loader refuses
 * stops the program with 78 (66 when missing) before any of it runs.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build), the plug-ins in its tests/plugins. A machine without
 * nats-server skips the tests.
 */
#include <sys/stat.h>

#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "digest.h"
#include "itest.h"
#include "proc.h"
#include "tmp.h"

static int
setup(void **state)
{
	return itest_fx_setup("itest-plugins-", 1, state);
}

/*
 * Installs the built plug-in name as plug.so in the test's directory, with
 * mode. Sets sha to its SHA-256 when not NULL.
 */
static void
install(struct itest_fx *f, const char *name, mode_t mode,
    char sha[DIGEST_HEX_LEN + 1])
{
	char file[128], path[ITEST_PATH_MAX], *data;
	size_t len;

	snprintf(file, sizeof(file), "tests/plugins/%s.so", name);
	itest_fx_install(f, file, "plug.so", mode, path, sizeof(path));
	if (sha == NULL)
		return;
	assert_int_equal(tmp_read_file(path, &data, &len), 0);
	assert_int_equal(digest_sha256_hex(data, len, sha), 0);
	free(data);
}

/* The configuration: account ga-1 runs the built-ins and plug_seen. */
static void
write_config(struct itest_fx *f, const char *plugin_path)
{
	char text[2048];

	snprintf(text, sizeof(text), "nats:\n  servers: [%s]\n"
	    "plugins:\n  plug_seen: %s\n"
	    "accounts:\n  - name: ga-1\n    stream: %s\n"
	    "    database: ga-1.db\n    projections: [session_history,"
	    " player_profiles, leaderboard, plug_seen]\n", f->d.url,
	    plugin_path, ITEST_STREAM);
	itest_fx_write_file(f->config, text, 0600);
}

/* plug_seen's rows as the fixture says they must be: "id|count" lines. */
static void
expected_rows(const struct itest_fx *f, char *buf, size_t len)
{
	static const char prefix[] = "v0.rust.servers.";
	char ids[64][32], line[128];
	int counts[64] = { 0 };
	size_t i, j, n = 0, used = 0;

	for (i = 0; i < f->events.n; i++) {
		const char *s = f->events.ev[i].subject, *id, *end;

		if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
			continue;
		id = s + sizeof(prefix) - 1;
		if ((end = strchr(id, '.')) == NULL ||
		    strcmp(end, ".events.started") != 0 ||
		    (size_t)(end - id) >= sizeof(ids[0]))
			continue;
		for (j = 0; j < n; j++)
			if (strncmp(ids[j], id, (size_t)(end - id)) == 0 &&
			    ids[j][end - id] == '\0')
				break;
		if (j == n) {
			assert_true(n < 64);
			snprintf(ids[n++], sizeof(ids[0]), "%.*s",
			    (int)(end - id), id);
		}
		counts[j]++;
	}
	assert_true(n > 0);
	/* In id order, as the query sorts them (the ids are digits). */
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t k = i;

		for (j = i + 1; j < n; j++)
			if (strcmp(ids[j], ids[k]) < 0)
				k = j;
		if (k != i) {
			char t[32];
			int c = counts[i];

			memcpy(t, ids[i], sizeof(t));
			memcpy(ids[i], ids[k], sizeof(t));
			memcpy(ids[k], t, sizeof(t));
			counts[i] = counts[k];
			counts[k] = c;
		}
		snprintf(line, sizeof(line), "%s%.31s|%d", i > 0 ? "\n" : "",
		    ids[i], counts[i]);
		assert_true(used + strlen(line) < len);
		strcat(buf, line);
		used += strlen(line);
	}
}

static void
assert_plug_rows(struct itest_fx *f)
{
	char want[1024], got[1024];

	expected_rows(f, want, sizeof(want));
	itest_fx_rows(f->db, "SELECT server_id, started FROM plug_seen"
	    " ORDER BY server_id", TESTDB_PLAIN, got, sizeof(got));
	assert_string_equal(got, want);
}

/*
 * check-config loads it; run --once folds the fixture: plug_seen exact,
 * the built-ins' contract still exact, all four at the stream's end; the
 * log says which plug-in, at which version, from which bytes.
 */
static void
test_plugin_folds_beside_builtins(void **state)
{
	struct itest_fx *f = *state;
	char path[ITEST_PATH_MAX], sha[DIGEST_HEX_LEN + 1], needle[128];
	char out[ITEST_PATH_MAX + 64], *text;
	size_t len;

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	install(f, "plug_seen", 0644, sha);
	itest_fx_path(f, "plug.so", path, sizeof(path));
	write_config(f, "plug.so");
	assert_int_equal(itest_fx_run(f, "check-config", "-c", f->config,
	    NULL), 0);
	snprintf(out, sizeof(out), "%s: valid, 1 account, 1 plug-in\n",
	    f->config);
	assert_int_equal(tmp_read_file(f->out, &text, &len), 0);
	assert_string_equal(text, out);
	free(text);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_plug_rows(f);
	itest_fx_assert_contract(f);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq = 600"), 4);
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'plug_seen'"), 1);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_migrations WHERE scope = 'plug_seen'"), 1);
	snprintf(needle, sizeof(needle), "sha256=%s", sha);
	assert_int_equal(itest_log_count(f->err, "plug-in loaded",
	    "name=plug_seen", "version=1", "abi=2.0", needle, NULL), 1);
	/* Again: nothing to do, nothing changes. */
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_plug_rows(f);
}

/* replay --projection of the plug-in alone, and verify, with it. */
static void
test_plugin_replay_and_verify(void **state)
{
	struct itest_fx *f = *state;

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	install(f, "plug_seen", 0644, NULL);
	write_config(f, "plug.so");
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_fx_run(f, "replay", "-c", f->config,
	    "--projection", "plug_seen", "--once", NULL), 0);
	assert_plug_rows(f);
	itest_fx_assert_contract(f);
	assert_int_equal(itest_fx_run(f, "verify", "-c", f->config, NULL), 0);
	assert_int_equal(itest_fx_run(f, "verify", "-c", f->config,
	    "--projection", "plug_seen", NULL), 0);
}

/* A new version of the plug-in is rebuilt, then served at that version. */
static void
test_plugin_version_bump(void **state)
{
	struct itest_fx *f = *state;

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	install(f, "plug_seen", 0644, NULL);
	write_config(f, "plug.so");
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	install(f, "plug_seen_v2", 0644, NULL);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_log_count(f->err, "projection version changed,"
	    " rebuilding", "projection=plug_seen", NULL), 1);
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'plug_seen'"), 2);
	assert_plug_rows(f);
	itest_fx_assert_contract(f);
}

/*
 * A new build installed while it runs, then SIGHUP: the account that runs
 * the plug-in restarts on the new bytes, which rebuild it at version 2.
 */
static void
test_plugin_reload(void **state)
{
	struct itest_fx *f = *state;

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	install(f, "plug_seen", 0644, NULL);
	write_config(f, "plug.so");
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	install(f, "plug_seen_v2", 0644, NULL);
	assert_int_equal(proc_signal(&f->p, SIGHUP), 0);
	itest_fx_wait_log(f, f->log, 1, "account changed, restarting",
	    "account=ga-1", NULL);
	itest_fx_wait_log(f, f->log, 1, "rebuild swapped in", "account=ga-1",
	    NULL);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	assert_int_equal(itest_log_count(f->log, "plug-in loaded",
	    "version=2", NULL), 1);
	assert_int_equal(itest_query_int(f->db, "SELECT version FROM"
	    " projector_status WHERE projection = 'plug_seen'"), 2);
	assert_plug_rows(f);
	itest_fx_assert_contract(f);
}

/*
 * Other bytes under the same version draw one warning, with both
 * fingerprints, and are recorded: the next start is quiet.
 */
static void
test_plugin_same_version_other_bytes(void **state)
{
	struct itest_fx *f = *state;
	char sha1[DIGEST_HEX_LEN + 1], sha2[DIGEST_HEX_LEN + 1];
	char was[128], now[128];

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	install(f, "plug_seen", 0644, sha1);
	write_config(f, "plug.so");
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_log_count(f->err, "plug-in changed", NULL), 0);
	install(f, "plug_seen_rebuilt", 0644, sha2);
	assert_string_not_equal(sha1, sha2);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	snprintf(was, sizeof(was), "sha256_was=%s", sha1);
	snprintf(now, sizeof(now), "sha256_now=%s", sha2);
	assert_int_equal(itest_log_count(f->err, "plug-in changed under the"
	    " same version", "projection=plug_seen", "version=1", was, now,
	    NULL), 1);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_log_count(f->err, "plug-in changed", NULL), 0);
	assert_plug_rows(f);
}

/*
 * Runs command with the plug-in at plug.so (or path) and expects code, the
 * message after "projector: CONFIG:LINE:COLUMN: plug-in "plug_seen": " to
 * start with want, and the plug-in's init() never to have run.
 */
static void
refused(struct itest_fx *f, const char *command, int code, const char *want)
{
	char marker[ITEST_PATH_MAX], prefix[ITEST_PATH_MAX + 64], *text;
	const char *envp[2];
	char env[ITEST_PATH_MAX + 16];
	char *argv[] = { f->bin, (char *)command, "-c", f->config, "--once",
	    NULL };
	int got = -1;
	size_t len;

	if (strcmp(command, "check-config") == 0)
		argv[4] = NULL;
	itest_fx_path(f, "init-ran", marker, sizeof(marker));
	snprintf(env, sizeof(env), "PLUG_MARKER=%s", marker);
	envp[0] = env;
	envp[1] = NULL;
	if (proc_run_env(argv, envp, ITEST_RUN_MS, &got, f->out,
	    f->err) == -1)
		fail_msg("%s %s: cannot run", f->bin, command);
	assert_int_equal(got, code);
	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(tmp_read_file(f->err, &text, &len), 0);
	snprintf(prefix, sizeof(prefix), "projector: %s:4:3: plug-in"
	    " \"plug_seen\": ", f->config);
	if (strncmp(text, prefix, strlen(prefix)) != 0 ||
	    strstr(text, want) != text + strlen(prefix) ||
	    strchr(text, '\n') != text + len - 1)
		fail_msg("stderr is \"%s\", not one line \"%s%s...\"", text,
		    prefix, want);
	free(text);
}

/*
 * Refusals through the program: ABI, unsafe mode, missing file, another
 * SQLite; each one line at the plug-in's place in the configuration, 78
 * (66 for a missing file), before the plug-in's init() could run.
 */
static void
test_plugin_refused(void **state)
{
	struct itest_fx *f = *state;
	char want[ITEST_PATH_MAX + 128], path[ITEST_PATH_MAX];

	itest_fx_start_natsd(f, NULL);
	write_config(f, "plug.so");
	itest_fx_path(f, "plug.so", path, sizeof(path));
	refused(f, "check-config", 66, "cannot open");
	install(f, "plug_abi_major", 0644, NULL);
	snprintf(want, sizeof(want), "%s is built for projection ABI 3.0",
	    path);
	refused(f, "check-config", 78, want);
	refused(f, "run", 78, want);
	install(f, "plug_seen", 0664, NULL);
	snprintf(want, sizeof(want), "plug-in %s must be writable only by its"
	    " owner (mode 0664)", path);
	refused(f, "run", 78, want);
	install(f, "plug_own_sqlite", 0644, NULL);
	snprintf(want, sizeof(want), "%s uses its own copy of SQLite", path);
	refused(f, "run", 78, want);
	/* Nothing was folded, nor even created. */
	assert_int_equal(access(f->db, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_plugin_folds_beside_builtins),
		T_(test_plugin_replay_and_verify),
		T_(test_plugin_version_bump),
		T_(test_plugin_same_version_other_bytes),
		T_(test_plugin_reload),
		T_(test_plugin_refused),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
