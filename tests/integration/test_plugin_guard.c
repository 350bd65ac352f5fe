/*
 * test_plugin_guard.c: the guard rails (src/guard.h) through the real
 * program, with plug-ins of tests/plugins/plug.c that break the rules: a
 * statement on a table the plug-in does not declare, prepared in init() or
 * created by a migration, a trigger of its own that writes another's
 * table, and in apply() a write to another projection's table,
 * transaction control, ATTACH and PRAGMA. At start
 * the program exits 78 before folding anything; in apply() the batch rolls
 * back, nothing is acknowledged, the projections turn 'failed' with the
 * denial in last_error, and the account stops with 70, even though the
 * plug-in returned PROJ_OK. Each message names the statement and table.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build), the plug-ins in its tests/plugins. A machine without
 * nats-server skips the tests.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "probe.h"
#include "proc.h"
#include "tmp.h"

static int
setup(void **state)
{
	return itest_fx_setup("itest-guard-", 1, state);
}

/*
 * Starts the server with the fixture, installs the built plug-in name as
 * plug.so and writes a configuration whose account runs it and the
 * built-ins.
 */
static void
start(struct itest_fx *f, const char *name)
{
	char file[128], path[ITEST_PATH_MAX], text[2048];

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	snprintf(file, sizeof(file), "tests/plugins/%s.so", name);
	itest_fx_install(f, file, "plug.so", 0644, path, sizeof(path));
	snprintf(text, sizeof(text), "nats:\n  servers: [%s]\n"
	    "plugins:\n  plug_seen: plug.so\n"
	    "accounts:\n  - name: ga-1\n    stream: %s\n"
	    "    database: ga-1.db\n    projections: [session_history,"
	    " player_profiles, leaderboard, plug_seen]\n", f->d.url,
	    ITEST_STREAM);
	itest_fx_write_file(f->config, text, 0600);
}

/* run --once with VAR=value in its environment (var NULL: none). */
static int
run_with(struct itest_fx *f, const char *var, const char *value)
{
	char env[512];
	const char *envp[] = { env, NULL };
	char *argv[] = { f->bin, "run", "-c", f->config, "--once", NULL };
	int code = -1;

	snprintf(env, sizeof(env), "%s=%s", var != NULL ? var : "PLUG_NONE",
	    value != NULL ? value : "");
	if (proc_run_env(argv, envp, ITEST_RUN_MS, &code, f->out,
	    f->err) == -1)
		fail_msg("%s run: cannot run", f->bin);
	itest_fx_assert_no_sanitizer(f->err);
	return code;
}

/* Nothing was folded, nor acknowledged. */
static void
nothing_folded(struct itest_fx *f)
{
	struct probe_consumer pc;

	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq > 0"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " plug_seen"), 0);
	itest_fx_consumer(f, "projector", &pc);
	assert_int_equal(pc.ack_floor_stream, 0);
}

/* init() prepares a write into the engine's table: 78 at start. */
static void
test_guard_init(void **state)
{
	struct itest_fx *f = *state;

	start(f, "plug_seen");
	assert_int_equal(run_with(f, "PLUG_INIT_SQL", "INSERT INTO"
	    " projector_parked (projection, seq, subject, reason, parked_at)"
	    " VALUES ('leaderboard', 1, 's', 'r', 't')"), 78);
	assert_int_equal(itest_log_count(f->err, "cannot start projections",
	    "projection plug_seen was stopped: INSERT into"
	    " \\\"projector_parked\\\" is not allowed to projection plug_seen"
	    " in its calls", NULL), 1);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_parked"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq > 0"), 0);
}

/* A migration that creates a table the plug-in does not declare: 78. */
static void
test_guard_migration(void **state)
{
	struct itest_fx *f = *state;

	start(f, "plug_mig_other");
	assert_int_equal(run_with(f, NULL, NULL), 78);
	assert_int_equal(itest_log_count(f->err, "migration failed",
	    "migration plug_seen/0002_extra.sql: CREATE TABLE \\\"stolen\\\" is"
	    " not allowed to projection plug_seen in a migration", NULL), 1);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " sqlite_schema WHERE name = 'stolen'"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_migrations WHERE scope = 'plug_seen'"), 1);
}

/*
 * A trigger on its own table may be created, but one that writes another
 * projection's table is caught when a statement that fires it is
 * prepared, in init(): 78, with the trigger's name.
 */
static void
test_guard_trigger(void **state)
{
	struct itest_fx *f = *state;

	start(f, "plug_mig_trigger");
	assert_int_equal(run_with(f, NULL, NULL), 78);
	assert_int_equal(itest_log_count(f->err, "cannot start projections",
	    "DELETE from \\\"session_history\\\" (in trigger or view"
	    " \\\"spill\\\") is not allowed to projection plug_seen", NULL), 1);
}

/*
 * What apply() may not do, even when it then returns PROJ_OK: the batch
 * rolls back, nothing is acknowledged, 70, and last_error says why.
 */
static void
test_guard_apply(void **state)
{
	static const struct {
		const char	*sql;
		const char	*denial;
	} cases[] = {
		{ "INSERT INTO wipes (server_id, wipe_id, wiped_at) VALUES"
		    " ('x', 1, 't')", "INSERT into \\\"wipes\\\" is not"
		    " allowed" },
		{ "SAVEPOINT mine", "SAVEPOINT \\\"BEGIN\\\" is not allowed" },
		{ "BEGIN", "transaction control \\\"BEGIN\\\" is not allowed" },
		{ "ATTACH ':memory:' AS x", "ATTACH \\\":memory:\\\" is not"
		    " allowed" },
		{ "PRAGMA user_version = 9", "PRAGMA \\\"user_version\\\" is not"
		    " allowed" },
	};
	struct itest_fx *f = *state;
	char want[256];
	size_t i;

	start(f, "plug_seen");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_with(f, "PLUG_APPLY_EXEC", cases[i].sql),
		    70);
		snprintf(want, sizeof(want), "projection plug_seen was"
		    " stopped: %s", cases[i].denial);
		if (itest_log_count(f->err, "fold failed", want, NULL) != 1) {
			itest_show_log(f->err);
			fail_msg("no \"fold failed\" with %s", want);
		}
		nothing_folded(f);
		assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
		    " projector_status WHERE projection = 'plug_seen' AND"
		    " state = 'failed' AND last_error LIKE"
		    " 'projection plug_seen was stopped: %'"), 1);
	}
	assert_int_equal(itest_query_int(f->db, "PRAGMA user_version"), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM wipes"),
	    0);
	/* The same plug-in, behaving, then folds it all. */
	assert_int_equal(run_with(f, NULL, NULL), 0);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq = 600"), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_guard_init),
		T_(test_guard_migration),
		T_(test_guard_trigger),
		T_(test_guard_apply),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
