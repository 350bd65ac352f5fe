/*
 * test_plugin_sdk.c: the example plug-in (examples/kill_feed), built out of
 * the tree against a `make install` tree with pkg-config alone
 * (tests/plugins/plugins.mk), exports one symbol and folds the fixture
 * beside the built-ins: the built-ins' contract still exact, and the kill
 * feed exactly the kills this test finds in the fixture itself, each bad
 * hit parked for it with the field it names.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build), the plug-in in its sdk/. A machine without nats-server
 * skips the tests.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "itest.h"
#include "proc.h"
#include "tmp.h"

static int
setup(void **state)
{
	return itest_fx_setup("itest-sdk-", 1, state);
}

/* What the test makes of one hit, on its own reading of the contract. */
enum hit { HIT_NONE, HIT_KILL, HIT_BAD };

/* o.key is absent, null or of a kind ok accepts. */
static int
kind_ok(const json_t *o, const char *key, int (*ok)(const json_t *))
{
	const json_t *v = o != NULL ? json_object_get(o, key) : NULL;

	return v == NULL || json_is_null(v) || ok(v);
}

static int is_obj(const json_t *v) { return json_is_object(v); }
static int is_str(const json_t *v) { return json_is_string(v); }
static int is_bool(const json_t *v) { return json_is_boolean(v); }
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_num(const json_t *v) { return json_is_number(v); }

static const json_t *
get(const json_t *o, const char *key)
{
	const json_t *v = o != NULL ? json_object_get(o, key) : NULL;

	return v != NULL && !json_is_null(v) ? v : NULL;
}

/* Classifies a hit's payload; a kill's row goes to row. */
static enum hit
classify(const char *payload, size_t len, const char *subject_steam,
    unsigned long long seq, char *row, size_t rowlen)
{
	json_t *doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *hit, *att, *vic, *kill;
	enum hit h = HIT_BAD;

	if (doc == NULL || !json_is_object(doc))
		goto done;
	hit = get(doc, "player_hit");
	att = get(hit, "attacker");
	vic = get(hit, "victim");
	if (!kind_ok(doc, "hit_timestamp", is_str) ||
	    !kind_ok(doc, "player_hit", is_obj) ||
	    !kind_ok(hit, "isKill", is_bool) ||
	    !kind_ok(hit, "is_kill", is_bool) ||
	    !kind_ok(hit, "victim", is_obj) || !kind_ok(hit, "attacker", is_obj) ||
	    !kind_ok(hit, "hit_area_id", is_int) ||
	    !kind_ok(hit, "hit_distance", is_num) ||
	    !kind_ok(vic, "steam_id", is_str) || !kind_ok(att, "steam_id", is_str) ||
	    !kind_ok(att, "active_item", is_obj) ||
	    !kind_ok(get(att, "active_item"), "item_id", is_int))
		goto done;
	/* isKill decides; is_kill only when isKill is not there. */
	kill = get(hit, "isKill") != NULL ? get(hit, "isKill") :
	    get(hit, "is_kill");
	h = HIT_NONE;
	if (kill == NULL || !json_is_true(kill))
		goto done;
	h = HIT_KILL;
	snprintf(row, rowlen, "%llu|%s|%s|%d", seq,
	    get(att, "steam_id") != NULL ?
	    json_string_value(get(att, "steam_id")) : subject_steam,
	    get(vic, "steam_id") != NULL ?
	    json_string_value(get(vic, "steam_id")) : "",
	    get(hit, "hit_area_id") != NULL &&
	    json_integer_value(get(hit, "hit_area_id")) == 1);
done:
	json_decref(doc);
	return h;
}

/*
 * The kills ("seq|killer|victim|headshot" lines) and the parked hits
 * ("seq" lines) of the fixture, in stream order.
 */
static void
expected(const struct itest_fx *f, char *kills, size_t klen, char *parked,
    size_t plen, size_t *nkills)
{
	static const char hit_suffix[] = ".events.combat.hit";
	char row[256], steam[64];
	size_t i, n;

	kills[0] = parked[0] = '\0';
	*nkills = 0;
	for (i = 0; i < f->events.n; i++) {
		const char *s = f->events.ev[i].subject, *p;

		n = strlen(s);
		if (strncmp(s, "v0.rust.servers.", 16) != 0 ||
		    n < sizeof(hit_suffix) ||
		    strcmp(s + n - (sizeof(hit_suffix) - 1), hit_suffix) != 0 ||
		    (p = strstr(s, ".players.")) == NULL)
			continue;
		snprintf(steam, sizeof(steam), "%.*s",
		    (int)strcspn(p + 9, "."), p + 9);
		switch (classify(f->events.ev[i].payload, f->events.ev[i].len,
		    steam, (unsigned long long)i + 1, row, sizeof(row))) {
		case HIT_KILL:
			assert_true(strlen(kills) + strlen(row) + 2 < klen);
			if (kills[0] != '\0')
				strcat(kills, "\n");
			strcat(kills, row);
			(*nkills)++;
			break;
		case HIT_BAD:
			snprintf(row, sizeof(row), "%s%zu",
			    parked[0] != '\0' ? "\n" : "", i + 1);
			assert_true(strlen(parked) + strlen(row) + 1 < plen);
			strcat(parked, row);
			break;
		case HIT_NONE:
			break;
		}
	}
}

/*
 * The built-ins answer the contract exactly: checked on a copy of the
 * database without the plug-in's own parked rows, which the contract's
 * list of parked events does not know.
 */
static void
builtins_exact(struct itest_fx *f)
{
	char copy[ITEST_PATH_MAX], sql[ITEST_PATH_MAX + 64], err[1024];
	sqlite3 *db;

	itest_fx_path(f, "builtins.db", copy, sizeof(copy));
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM projector_parked WHERE"
	    " projection = 'kill_feed'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if (itest_contract(copy, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
test_kill_feed_exact(void **state)
{
	struct itest_fx *f = *state;
	char src[ITEST_PATH_MAX], dst[ITEST_PATH_MAX], text[2048];
	char want_kills[16384], want_parked[4096], got[16384], *data;
	char *argv[] = { "nm", "-D", "--defined-only", src, NULL };
	size_t len, nkills;
	int code;

	itest_bin("sdk/kill_feed.so", src, sizeof(src));
	/* The entry point is all it exports. */
	assert_int_equal(proc_run(argv, ITEST_RUN_MS, &code, f->out, f->err),
	    0);
	assert_int_equal(code, 0);
	assert_int_equal(tmp_read_file(f->out, &data, &len), 0);
	assert_non_null(strstr(data, " T projector_projection\n"));
	assert_int_equal(strchr(data, '\n') - data + 1, (long)len);
	free(data);

	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	itest_fx_install(f, "sdk/kill_feed.so", "kill_feed.so", 0644, dst,
	    sizeof(dst));
	snprintf(text, sizeof(text), "nats:\n  servers: [%s]\n"
	    "plugins:\n  kill_feed: kill_feed.so\n"
	    "accounts:\n  - name: ga-1\n    stream: %s\n"
	    "    database: ga-1.db\n    projections: [session_history,"
	    " player_profiles, leaderboard, kill_feed]\n", f->d.url,
	    ITEST_STREAM);
	itest_fx_write_file(f->config, text, 0600);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);

	builtins_exact(f);
	expected(f, want_kills, sizeof(want_kills), want_parked,
	    sizeof(want_parked), &nkills);
	assert_true(nkills > 0);
	itest_fx_rows(f->db, "SELECT seq, killer, coalesce(victim, ''),"
	    " headshot FROM kill_feed ORDER BY seq", TESTDB_PLAIN, got,
	    sizeof(got));
	assert_string_equal(got, want_kills);
	itest_fx_rows(f->db, "SELECT seq FROM projector_parked WHERE"
	    " projection = 'kill_feed' ORDER BY seq", TESTDB_PLAIN, got,
	    sizeof(got));
	assert_string_equal(got, want_parked);
	/* The view pages newest first. */
	itest_fx_rows(f->db, "SELECT count(*) = (SELECT count(*) FROM"
	    " kill_feed) FROM (SELECT seq FROM kill_feed_page LIMIT 1000)",
	    TESTDB_PLAIN, got, sizeof(got));
	assert_string_equal(got, "1");
	itest_fx_rows(f->db, "SELECT (SELECT seq FROM kill_feed_page LIMIT 1)"
	    " = max(seq) FROM kill_feed", TESTDB_PLAIN, got, sizeof(got));
	assert_string_equal(got, "1");
	assert_int_equal(itest_fx_run(f, "verify", "-c", f->config, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_kill_feed_exact),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
