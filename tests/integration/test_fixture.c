/*
 * test_fixture.c: the 600-event fixture through the real program.
 *
 * build/projector folds tests/fixtures/gamingapi-small from a real
 * nats-server into a real SQLite file, and the six contract queries answer
 * exactly expected.json; a second `run --once` changes nothing; no IP
 * address of a connected payload reaches the file (nor its -wal and -shm);
 * `status --json` tells the truth; the log names every parked event and
 * never carries a payload. Run from the repository root; the binaries are
 * in $PROJECTOR_BIN_DIR (default build).
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "db.h"
#include "itest.h"
#include "tmp.h"

/* The parked events of the fixture, per projection (expected.json). */
static const struct {
	const char	*projection;
	long long	 parked;
} expected_parked[] = {
	{ "leaderboard", 2 },
	{ "player_profiles", 5 },
	{ "session_history", 3 },
};

static int
setup(void **state)
{
	return itest_fx_setup("itest-fixture-", 1, state);
}

/* `run --once` to its end; returns its exit code (itest_fx_run()). */
static int
run_once(struct itest_fx *f)
{
	return itest_fx_run(f, "run", "-c", f->config, "--once", NULL);
}

/* Checks that every projection has applied the whole stream. */
static void
assert_all_at(const char *db, long long seq)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE last_seq = %lld", seq);
	assert_int_equal(itest_query_int(db, sql), 3);
	assert_int_equal(itest_query_int(db,
	    "SELECT count(*) FROM projector_status"), 3);
}

/*
 * Reads the file at path into *text; a file that does not exist reads as
 * empty (SQLite removes -wal and -shm when the last connection closes).
 */
static void
read_or_empty(const char *path, char **text, size_t *len)
{
	struct stat sb;

	if (stat(path, &sb) == -1) {
		*text = NULL;
		*len = 0;
		return;
	}
	assert_int_equal(tmp_read_file(path, text, len), 0);
}

/*
 * Collects the player.address of every connected event whose payload is
 * JSON; returns how many there are. The caller frees out[i].
 */
static size_t
fixture_addresses(const struct itest_fixture *fx, char **out, size_t max)
{
	static const char suffix[] = ".events.connected";
	size_t i, n = 0, sl = strlen(suffix);

	for (i = 0; i < fx->n && n < max; i++) {
		const struct itest_event *e = &fx->ev[i];
		size_t len = strlen(e->subject);
		json_t *j, *addr;

		if (len < sl || strcmp(e->subject + len - sl, suffix) != 0)
			continue;
		if ((j = json_loadb(e->payload, e->len, 0, NULL)) == NULL)
			continue;
		addr = json_object_get(json_object_get(j, "player"), "address");
		if (json_is_string(addr) && json_string_length(addr) > 0) {
			out[n] = strdup(json_string_value(addr));
			assert_non_null(out[n++]);
		}
		json_decref(j);
	}
	return n;
}

/*
 * Returns 1 when payload (len bytes) shows in text, as is or as the
 * projector's log would have escaped it inside a quoted value.
 */
static int
payload_in(const char *text, size_t textlen, const char *payload, size_t len)
{
	char *esc;
	size_t i, n = 0;
	int found;

	if (memmem(text, textlen, payload, len) != NULL)
		return 1;
	assert_non_null(esc = malloc(2 * len + 1));
	for (i = 0; i < len; i++) {
		if (payload[i] == '"' || payload[i] == '\\')
			esc[n++] = '\\';
		esc[n++] = payload[i];
	}
	found = memmem(text, textlen, esc, n) != NULL;
	free(esc);
	return found;
}

/*
 * The whole fixture in one `run --once`, then the same again: the second
 * run must find nothing to do.
 */
static void
test_fixture_exact_and_idempotent(void **state)
{
	struct itest_fx *f = *state;
	char line[1024];
	long long parked;

	itest_fx_start_with_fixture(f, 0);
	assert_int_equal(run_once(f), 0);
	itest_fx_assert_contract(f);
	assert_all_at(f->db, ITEST_NEVENTS);
	parked = itest_query_int(f->db,
	    "SELECT count(*) FROM projector_parked");
	assert_int_equal(parked, 10);

	/* Everything is at or below the checkpoint: nothing applies again. */
	assert_int_equal(run_once(f), 0);
	itest_fx_assert_contract(f);
	assert_all_at(f->db, ITEST_NEVENTS);
	assert_int_equal(itest_query_int(f->db,
	    "SELECT count(*) FROM projector_parked"), parked);
	assert_int_equal(itest_log_count(f->err, "event parked", NULL), 0);
	if (itest_log_line(line, sizeof(line), f->err, "msg=stopped",
	    NULL) == -1)
		fail_msg("%s: no msg=stopped line", f->err);
	assert_non_null(strstr(line, " applied=0 "));
}

/* The IP addresses of connected events never reach the database files. */
static void
test_fixture_no_addresses(void **state)
{
	struct itest_fx *f = *state;
	const char *suffixes[] = { "", "-wal", "-shm" };
	char *addrs[ITEST_NEVENTS], *bytes, path[ITEST_PATH_MAX];
	size_t n, i, k, len, scanned = 0;

	itest_fx_start_with_fixture(f, 0);
	assert_int_equal(run_once(f), 0);
	itest_fx_assert_contract(f);

	n = fixture_addresses(&f->events, addrs, ITEST_NEVENTS);
	/* Without addresses in the fixture this test would prove nothing. */
	assert_true(n > 10);
	for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
		snprintf(path, sizeof(path), "%s%s", f->db, suffixes[k]);
		read_or_empty(path, &bytes, &len);
		scanned += len;
		for (i = 0; i < n; i++)
			if (bytes != NULL && memmem(bytes, len, addrs[i],
			    strlen(addrs[i])) != NULL)
				fail_msg("%s holds the address %s", path,
				    addrs[i]);
		free(bytes);
	}
	assert_true(scanned > 0);
	/* Nor the log, which is kept for months too. */
	assert_int_equal(tmp_read_file(f->err, &bytes, &len), 0);
	for (i = 0; i < n; i++)
		if (memmem(bytes, len, addrs[i], strlen(addrs[i])) != NULL)
			fail_msg("%s holds the address %s", f->err, addrs[i]);
	free(bytes);
	for (i = 0; i < n; i++)
		free(addrs[i]);
}

/* status --json, on stdout, after the run: caught up, parked counted. */
static void
test_fixture_status_json(void **state)
{
	struct itest_fx *f = *state;
	json_error_t je;
	json_t *root, *accounts, *acct, *projs, *p;
	size_t i, k, seen = 0;

	itest_fx_start_with_fixture(f, 0);
	assert_int_equal(run_once(f), 0);
	assert_int_equal(itest_fx_run(f, "status", "-c", f->config, "--json",
	    NULL), 0);

	if ((root = json_load_file(f->out, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", f->out, je.line, je.text);
	accounts = json_object_get(root, "accounts");
	assert_int_equal(json_array_size(accounts), 1);
	acct = json_array_get(accounts, 0);
	assert_string_equal(json_string_value(json_object_get(acct, "name")),
	    "ga-1");
	projs = json_object_get(acct, "projections");
	assert_int_equal(json_array_size(projs), 3);
	json_array_foreach(projs, i, p) {
		const char *name = json_string_value(json_object_get(p,
		    "projection"));

		assert_non_null(name);
		assert_int_equal(json_integer_value(json_object_get(p,
		    "last_seq")), ITEST_NEVENTS);
		assert_true(json_is_integer(json_object_get(p, "lag")));
		assert_int_equal(json_integer_value(json_object_get(p,
		    "lag")), 0);
		for (k = 0; k < sizeof(expected_parked) /
		    sizeof(expected_parked[0]); k++) {
			if (strcmp(name, expected_parked[k].projection) != 0)
				continue;
			assert_int_equal(json_integer_value(json_object_get(p,
			    "parked")), expected_parked[k].parked);
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	json_decref(root);
}

/* One "event parked" line per parked event, and never a payload. */
static void
test_fixture_log(void **state)
{
	struct itest_fx *f = *state;
	char proj[64], seq[64], err[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	char *text;
	size_t len, i;
	int rows = 0;

	itest_fx_start_with_fixture(f, 0);
	assert_int_equal(run_once(f), 0);

	if (db_open_readonly(f->db, &db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT projection, seq"
	    " FROM projector_parked", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(proj, sizeof(proj), " projection=%s ",
		    (const char *)sqlite3_column_text(st, 0));
		/* A space after the number: seq=18 must not match seq=181. */
		snprintf(seq, sizeof(seq), " seq=%lld ",
		    (long long)sqlite3_column_int64(st, 1));
		assert_int_equal(itest_log_count(f->err,
		    "msg=\"event parked\"", proj, seq, NULL), 1);
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rows, 10);
	assert_int_equal(itest_log_count(f->err, "event parked", NULL), rows);

	assert_int_equal(tmp_read_file(f->err, &text, &len), 0);
	for (i = 0; i < f->events.n; i++)
		if (payload_in(text, len, f->events.ev[i].payload,
		    f->events.ev[i].len))
			fail_msg("%s holds the payload of seq %zu", f->err,
			    i + 1);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_fixture_exact_and_idempotent),
		T_(test_fixture_no_addresses),
		T_(test_fixture_status_json),
		T_(test_fixture_log),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
