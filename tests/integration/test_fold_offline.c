/*
 * test_fold_offline.c: `projector fold`, a JSON Lines file of messages
 * folded into a fresh database without NATS: the fixture's own lines give
 * the contract's exact answer; what `archive export` wrote of a live run
 * folds into the same views as that run; a database that follows a stream
 * is refused (73), a bad line names itself (65), a missing file is 66.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build). The export test needs nats-server (skipped without).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "itest.h"
#include "tmp.h"

static int
setup(void **state)
{
	return itest_fx_setup("itest-fold-", 0, state);
}

/* An account whose database is name, on no server at all. */
static void
write_config(struct itest_fx *f, const char *path, const char *db)
{
	char text[1024];

	snprintf(text, sizeof(text), "nats:\n  servers: [%s]\naccounts:\n"
	    "  - name: ga-1\n    stream: %s\n    database: %s\n",
	    f->d.port != 0 ? f->d.url : "nats://127.0.0.1:1", ITEST_STREAM,
	    db);
	itest_fx_write_file(path, text, 0600);
}

static void
assert_out(struct itest_fx *f, const char *want_start)
{
	char *text;
	size_t len;

	assert_int_equal(tmp_read_file(f->out, &text, &len), 0);
	if (strncmp(text, want_start, strlen(want_start)) != 0)
		fail_msg("stdout is \"%s\", not \"%s...\"", text, want_start);
	free(text);
}

static void
assert_err(struct itest_fx *f, const char *needle)
{
	char *text;
	size_t len;

	assert_int_equal(tmp_read_file(f->err, &text, &len), 0);
	if (strstr(text, needle) == NULL)
		fail_msg("stderr is \"%s\", without \"%s\"", text, needle);
	free(text);
}

/*
 * The fixture's lines (subject and payload; seq from their order) give the
 * contract's exact answer, with no server anywhere; a second fold into the
 * same database is refused.
 */
static void
test_fold_fixture(void **state)
{
	struct itest_fx *f = *state;

	write_config(f, f->config, "ga-1.db");
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", "--input", ITEST_EVENTS, NULL), 0);
	assert_out(f, "ga-1: folded 600 messages (to seq 600) into ");
	itest_fx_assert_contract(f);
	assert_int_equal(itest_query_int(f->db, "SELECT count(*) FROM"
	    " projector_status WHERE last_seq = 600"), 3);
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", "--input", ITEST_EVENTS, NULL), 73);
	assert_err(f, "is not a fresh database");
	itest_fx_assert_contract(f);
}

/* A bad line names its file and line (65); a missing file is 66. */
static void
test_fold_bad_input(void **state)
{
	struct itest_fx *f = *state;
	char path[ITEST_PATH_MAX], want[ITEST_PATH_MAX + 64];

	write_config(f, f->config, "ga-1.db");
	itest_fx_path(f, "bad.jsonl", path, sizeof(path));
	itest_fx_write_file(path, "{\"seq\":1,\"subject\":\"v0.rust.servers.1"
	    ".events.started\",\"payload\":\"{}\"}\n\n{\"seq\":1,\"subject\":"
	    "\"x\",\"payload\":\"{}\"}\n", 0600);
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", "--input", path, NULL), 65);
	snprintf(want, sizeof(want), "%s:3: \"seq\" must be an integer above"
	    " the line before's 1", path);
	assert_err(f, want);
	itest_fx_write_file(path, "{\"subject\":\"s\",\"payload\":\"e30\","
	    "\"encoding\":\"base64\"}\n", 0600);
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", "--input", path, NULL), 65);
	assert_err(f, ":1: \"payload\" is not base64 as \"encoding\" says");
	itest_fx_path(f, "nosuch.jsonl", path, sizeof(path));
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", "--input", path, NULL), 66);
	assert_int_equal(itest_fx_run(f, "fold", "-c", f->config, "--account",
	    "ga-1", NULL), 64);
}

/*
 * What archive export writes of a live run folds into the very views of
 * that run (the six contract queries compared), base64 lines included.
 */
static void
test_fold_export(void **state)
{
	struct itest_fx *f = *state;
	char other[ITEST_PATH_MAX], input[ITEST_PATH_MAX], db2[ITEST_PATH_MAX];
	char *text;
	size_t len;
	json_t *a, *b;

	itest_fx_start_with_fixture(f, 0);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    "--account", "ga-1", NULL), 0);
	itest_fx_path(f, "history.jsonl", input, sizeof(input));
	assert_int_equal(tmp_read_file(f->out, &text, &len), 0);
	itest_fx_write_file(input, text, 0600);
	free(text);
	itest_fx_path(f, "other.yaml", other, sizeof(other));
	write_config(f, other, "other.db");
	assert_int_equal(itest_fx_run(f, "fold", "-c", other, "--account",
	    "ga-1", "--input", input, NULL), 0);
	itest_fx_path(f, "other.db", db2, sizeof(db2));
	a = itest_fx_snapshot(f->db);
	b = itest_fx_snapshot(db2);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_fold_fixture),
		T_(test_fold_bad_input),
		T_(test_fold_export),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
