/*
 * test_tenants_isolation.c: owners kept apart by NATS (issue 4, scenario
 * 8). On the tenants' server of tests/support/tenants.h (accounts GA-1 and
 * GA-2, the gamingapi-small fixture in GA-1's stream, the same events of
 * servers 201-203 in GA-2's), one projector with both accounts, each with
 * its least-privilege user, must fold each stream into its own file
 * exactly (run, replay, verify, status, a recreated consumer) without
 * being refused anything, and show neither user's seed.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "tenants.h"

/* Fails when the server refused the projector anything. */
static void
assert_no_violation(struct tenants_fx *t)
{
	char line[2048];

	if (itest_log_line(line, sizeof(line), t->f->d.log, "Violation",
	    NULL) == 0)
		fail_msg("nats-server refused something: %s", line);
}

/*
 * The fixture's expected answer as GA-2's database must give it: the same,
 * with servers 2xx for 1xx. Returns it, to json_decref().
 */
static json_t *
ga2_expected(void)
{
	const struct contract_query *q;
	json_error_t je;
	json_t *expected, *rows, *row, *v;
	char id[64];
	size_t i, j, c;

	if ((expected = json_load_file(ITEST_EXPECTED, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", ITEST_EXPECTED, je.line, je.text);
	for (i = 0; i < contract_nqueries; i++) {
		q = &contract_queries[i];
		for (c = 0; q->columns[c] != NULL; c++)
			if (strcmp(q->columns[c], "server_id") == 0)
				break;
		if (q->columns[c] == NULL)
			continue;
		rows = json_object_get(expected, q->name);
		json_array_foreach(rows, j, row) {
			v = json_array_get(row, c);
			assert_true(json_is_string(v));
			snprintf(id, sizeof(id), "%s", json_string_value(v));
			assert_int_equal(id[0], '1');
			id[0] = TENANTS_GA2_SERVER;
			json_array_set_new(row, c, json_string(id));
		}
	}
	return expected;
}

/*
 * Fails unless the contract queries of GA-2's database at db give
 * ga2_expected(), showing the stderr of the last command when they do not.
 */
static void
assert_ga2(struct tenants_fx *t, const char *db)
{
	json_t *expected = ga2_expected();
	char err[1024];
	int rc;

	rc = itest_diff(db, expected, err, sizeof(err));
	json_decref(expected);
	if (rc == -1) {
		itest_show_log(t->err);
		fail_msg("%s: %s", db, err);
	}
}

/*
 * One projector, both accounts, each with its least-privilege user and its
 * own file: each file holds its own owner's events exactly, through run,
 * replay, verify, status, and run again with a consumer that must be
 * deleted and created again; and the server never refused a thing.
 */
static void
test_tenants_isolated(void **state)
{
	struct tenants_fx *t = *state;
	struct itest_fx *f = t->f;
	char auth1[2 * ITEST_PATH_MAX], auth2[2 * ITEST_PATH_MAX];
	char db2[ITEST_PATH_MAX], archive[ITEST_PATH_MAX + 16], err[512];
	const char *cfg = f->config;

	tenants_fx_start_server(t);
	tenants_fx_feed(t);
	tenants_auth(&t->ga1_proj, t->ga1_proj_seed, auth1, sizeof(auth1));
	tenants_auth(&t->ga2_proj, t->ga2_proj_seed, auth2, sizeof(auth2));
	itest_fx_write_accounts(f, cfg, (const struct itest_account[]){
		{ "ga-1", auth1, "ga-1.db", TENANTS_GA1_STREAM, NULL, NULL },
		{ "ga-2", auth2, "ga-2.db", TENANTS_GA2_STREAM, NULL, NULL } }, 2);
	itest_fx_path(f, "ga-2.db", db2, sizeof(db2));

	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "run", "-c", cfg,
	    "--once", NULL });
	assert_no_violation(t);
	tenants_fx_assert_ga1(t, f->db);
	assert_ga2(t, db2);

	/* The replay's own consumers, and the views swapped in. */
	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "replay", "-c",
	    cfg, "--once", NULL });
	assert_no_violation(t);
	tenants_fx_assert_ga1(t, f->db);
	assert_ga2(t, db2);
	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "verify", "-c",
	    cfg, NULL });

	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "status", "-c",
	    cfg, NULL });
	assert_int_equal(itest_log_count(t->out, "account ga-1",
	    "stream " TENANTS_GA1_STREAM " (last seq 600)", "(pending 0)",
	    NULL), 1);
	assert_int_equal(itest_log_count(t->out, "account ga-2",
	    "stream " TENANTS_GA2_STREAM " (last seq 600)", "(pending 0)",
	    NULL), 1);
	assert_int_equal(itest_log_count(t->out, "nats:", NULL), 0);

	/*
	 * GA-1's file lost: its archive folds it again from 1, its durable
	 * consumer, acknowledged to 600, stays where it is.
	 */
	if (db_unlink(f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "run", "-c", cfg,
	    "--once", NULL });
	assert_int_equal(itest_log_count(t->err, "consumer positioned",
	    "account=ga-1", "start_seq=1 ", "recreated=0", NULL), 1);
	tenants_fx_assert_ga1(t, f->db);
	assert_ga2(t, db2);
	assert_no_violation(t);
	/*
	 * The file and its archive lost: the durable consumer must be deleted
	 * and created again at 1.
	 */
	snprintf(archive, sizeof(archive), "%s-archive", f->db);
	if (db_unlink(f->db, err, sizeof(err)) == -1 ||
	    db_unlink(archive, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "run", "-c", cfg,
	    "--once", NULL });
	assert_int_equal(itest_log_count(t->err, "consumer positioned",
	    "account=ga-1", "recreated=1", NULL), 1);
	tenants_fx_assert_ga1(t, f->db);
	assert_ga2(t, db2);
	assert_no_violation(t);

	/* The seeds are 0600 and never shown. */
	assert_int_equal(itest_log_count(t->err, "readable by others", NULL),
	    0);
	snprintf(t->leg.secret[0], TENANTS_SECRET_LEN, "%s", t->ga1_proj.seed);
	snprintf(t->leg.secret[1], TENANTS_SECRET_LEN, "%s", t->ga2_proj.seed);
	t->leg.name[0] = "GA-1 projector's seed";
	t->leg.name[1] = "GA-2 projector's seed";
	t->leg.nsecrets = 2;
	t->leg.method = "nkey";
	tenants_fx_assert_no_secret(t, &t->leg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, tenants_fx_setup, \
	    tenants_fx_teardown)
		T_(test_tenants_isolated),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
