/*
 * test_fixture_fold.c: the built-in projections, folded by the engine's
 * fold (src/fold.c, no NATS), give exactly the read model that the
 * contract's fixture expects (read-model.md section 5,
 * tests/fixtures/gamingapi-small/expected.json).
 *
 * Each test folds the 600 events (sequence = line number, stored time 0, so
 * that a stored time leaking into the answer shows as a 1970 date) into a
 * migrated SQLite file of its own, in a different batching, and compares the
 * six contract queries. Run from the repository root (the fixture path is
 * relative).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "contract.h"
#include "fold.h"
#include "projections.h"
#include "testdb.h"
#include "tmp.h"

#define FIXTURE_DIR	"tests/fixtures/gamingapi-small"
#define FIXTURE_EVENTS	600
#define NPROJS		3

struct line {
	char	*subject;
	char	*payload;
	size_t	 len;
};

struct fx {
	char		 dir[512];
	char		 path[600];
	sqlite3		*db;
	struct fold	*fold;
	struct line	 lines[FIXTURE_EVENTS];
	size_t		 n;
};

/* Reads events.jsonl: one {"subject":...,"payload":"<bytes>"} a line. */
static void
load_lines(struct fx *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	FILE *fp;

	fp = fopen(FIXTURE_DIR "/events.jsonl", "r");
	assert_non_null(fp);
	while ((got = getline(&buf, &cap, fp)) > 0) {
		json_error_t je;
		json_t *j, *payload;

		assert_true(f->n < FIXTURE_EVENTS);
		/* JSON_ALLOW_NUL: the payload's bytes, whatever they are. */
		j = json_loadb(buf, (size_t)got, JSON_ALLOW_NUL, &je);
		assert_non_null(j);
		payload = json_object_get(j, "payload");
		f->lines[f->n].subject =
		    strdup(json_string_value(json_object_get(j, "subject")));
		f->lines[f->n].len = json_string_length(payload);
		f->lines[f->n].payload = malloc(f->lines[f->n].len + 1);
		memcpy(f->lines[f->n].payload, json_string_value(payload),
		    f->lines[f->n].len + 1);
		f->n++;
		json_decref(j);
	}
	free(buf);
	fclose(fp);
	assert_int_equal(f->n, FIXTURE_EVENTS);
}

static void
open_fold(struct fx *f)
{
	char err[512];

	assert_int_equal(fold_open(f->db, NULL, projections_builtin, NPROJS, &f->fold,
	    err, sizeof(err)), FOLD_OK);
}

static int
setup(void **state)
{
	struct fx *f;
	char err[512];

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	load_lines(f);
	assert_int_equal(tmp_dir("fixture-fold", f->dir, sizeof(f->dir)), 0);
	snprintf(f->path, sizeof(f->path), "%s/projector.db", f->dir);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(f->db, "PRAGMA journal_mode = WAL;"
	    " PRAGMA synchronous = OFF", NULL, NULL, NULL), SQLITE_OK);
	if (testdb_migrate(f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	open_fold(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	fold_close(f->fold);
	sqlite3_close(f->db);
	tmp_rm_rf(f->dir);
	for (i = 0; i < f->n; i++) {
		free(f->lines[i].subject);
		free(f->lines[i].payload);
	}
	free(f);
	return 0;
}

/* Folds lines [from, to) (sequences from+1 ... to) in batches of size. */
static void
fold_lines(struct fx *f, size_t from, size_t to, size_t size)
{
	char err[512];
	size_t i, end;

	for (i = from; i < to; i = end) {
		end = i + size < to ? i + size : to;
		assert_int_equal(fold_begin(f->fold, err, sizeof(err)), FOLD_OK);
		for (; i < end; i++) {
			if (fold_event(f->fold, i + 1, 0, f->lines[i].subject,
			    f->lines[i].payload, f->lines[i].len, err,
			    sizeof(err)) != FOLD_OK)
				fail_msg("seq %zu: %s", i + 1, err);
		}
		if (fold_commit(f->fold, FIXTURE_EVENTS, err, sizeof(err)) !=
		    FOLD_OK)
			fail_msg("commit at seq %zu: %s", end, err);
	}
}

static void
assert_contract(struct fx *f)
{
	char err[1024];

	if (contract_compare(f->db, FIXTURE_DIR "/expected.json", err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
test_fold_one_batch(void **state)
{
	struct fx *f = *state;

	fold_lines(f, 0, FIXTURE_EVENTS, FIXTURE_EVENTS);
	assert_contract(f);
	assert_int_equal(fold_min_checkpoint(f->fold), FIXTURE_EVENTS);
	assert_int_equal(fold_stats(f->fold)->parked, 10);
}

static void
test_fold_batches_of_37(void **state)
{
	struct fx *f = *state;

	fold_lines(f, 0, FIXTURE_EVENTS, 37);
	assert_contract(f);
}

static void
test_fold_one_by_one(void **state)
{
	struct fx *f = *state;

	fold_lines(f, 0, FIXTURE_EVENTS, 1);
	assert_contract(f);
}

/* A redelivery of everything changes nothing. */
static void
test_fold_redelivered(void **state)
{
	struct fx *f = *state;

	fold_lines(f, 0, FIXTURE_EVENTS, 100);
	fold_lines(f, 0, FIXTURE_EVENTS, 250);
	assert_contract(f);
	assert_int_equal(fold_stats(f->fold)->duplicates, FIXTURE_EVENTS -
	    fold_stats(f->fold)->unknown / 2);
}

/*
 * A worker that stops halfway and starts again (a new fold over the same
 * file, so new projection states) and is then sent everything again, as
 * JetStream redelivers unacknowledged messages, gives the same answer.
 */
static void
test_fold_restarted(void **state)
{
	struct fx *f = *state;

	fold_lines(f, 0, 300, 50);
	fold_close(f->fold);
	f->fold = NULL;
	open_fold(f);
	assert_int_equal(fold_min_checkpoint(f->fold), 300);
	fold_lines(f, 0, FIXTURE_EVENTS, 64);
	assert_contract(f);
}

/* A batch rolled back leaves no trace; folding it again gives the answer. */
static void
test_fold_rolled_back(void **state)
{
	struct fx *f = *state;
	char err[512];
	size_t i;

	fold_lines(f, 0, 200, 200);
	assert_int_equal(fold_begin(f->fold, err, sizeof(err)), FOLD_OK);
	for (i = 200; i < 400; i++)
		assert_int_equal(fold_event(f->fold, i + 1, 0,
		    f->lines[i].subject, f->lines[i].payload, f->lines[i].len,
		    err, sizeof(err)), FOLD_OK);
	fold_rollback(f->fold);
	fold_lines(f, 200, FIXTURE_EVENTS, 400);
	assert_contract(f);
}

/* The comparison itself finds a difference and says where it is. */
static void
test_contract_reports_difference(void **state)
{
	struct fx *f = *state;
	json_error_t je;
	json_t *expected, *actual, *row;
	char err[1024];

	fold_lines(f, 0, FIXTURE_EVENTS, FIXTURE_EVENTS);
	expected = json_load_file(FIXTURE_DIR "/expected.json", 0, &je);
	assert_non_null(expected);
	actual = contract_snapshot(f->db, err, sizeof(err));
	assert_non_null(actual);
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), 0);

	/* servers row 1, current_wipe_id: 2 becomes 3. */
	row = json_array_get(json_object_get(expected, "servers"), 0);
	json_array_set_new(row, 4, json_integer(3));
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), -1);
	assert_string_equal(err, "query servers, row 1, column 5"
	    " (current_wipe_id): expected 3, got 2");
	json_array_set_new(row, 4, json_integer(2));

	/* A REAL within the tolerance is the same; beyond it is not. */
	row = json_array_get(json_object_get(expected, "session_history"), 2);
	json_array_set_new(row, 5, json_real(257.4560000005));
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), 0);
	json_array_set_new(row, 5, json_real(257.457));
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "query session_history, row 3, column 6"
	    " (duration_s)"));
	json_array_set_new(row, 5, json_real(257.456));

	/* null is not "" and a missing row is counted. */
	row = json_array_get(json_object_get(expected, "wipes"), 1);
	json_array_remove(json_object_get(expected, "wipes"), 1);
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), -1);
	assert_string_equal(err, "query wipes: expected 1 rows, got 2;"
	    " row 2 is extra, first column \"101\"");

	json_object_set_new(expected, "nonsense", json_array());
	assert_int_equal(contract_diff(expected, actual, err, sizeof(err)), -1);
	assert_string_equal(err, "no contract query is called nonsense");
	json_decref(expected);
	json_decref(actual);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fold_one_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_batches_of_37, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_one_by_one, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_redelivered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_restarted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold_rolled_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_contract_reports_difference,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
