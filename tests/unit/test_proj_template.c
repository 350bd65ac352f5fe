/*
 * test_proj_template.c: the projection to copy (projections/template.c)
 * works: it prepares and finalizes its statements, reads what it says it
 * reads, parks bad input and writes nothing. Copy this file with it (step 1
 * of template.c) and grow it with the new projection's rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fold.h"
#include "projections.h"
#include "registry.h"
#include "testdb.h"

#define P	(&proj_template)
#define STORED	INT64_C(1687014252001)

static int
setup(void **state)
{
	return testdb_fx_setup(P, STORED, state);
}

static void
test_declaration(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(P->abi, PROJECTION_ABI);
	assert_string_equal(P->name, "template");
	assert_int_equal(P->version, 1);
	assert_non_null(P->init);
	assert_non_null(P->apply);
	assert_non_null(P->fini);
	assert_null(P->parked);
	/* It owns no table (a real projection lists at least one). */
	assert_null(P->tables[0]);
	assert_true(registry_wants(P, "v0.rust.servers.1.events.started"));
	assert_false(registry_wants(P, "v0.rust.servers.1.events.stopped"));
	/* Not built in. */
	for (i = 0; projections_builtin[i] != NULL; i++)
		assert_ptr_not_equal(projections_builtin[i], P);
	/* fini() accepts NULL. */
	P->fini(NULL);
}

static void
test_apply_writes_nothing(void **state)
{
	struct testdb_fx *f = *state;
	char before[sizeof(f->buf)];
	int changes = sqlite3_total_changes(f->db);

	testdb_dump(f->db, before, sizeof(before));
	testdb_fx_ok(f, "v0.rust.servers.1.events.started",
	    "{\"timestamp\":\"2026-11-01T12:00:00Z\"}");
	testdb_fx_ok(f, "v0.rust.servers.1.events.started", "null");
	/* Subjects it does not know. */
	testdb_fx_ok(f, "v0.rust.servers.1.events.stopping", "{");
	testdb_fx_ok(f, "v0.rust.servers.1.events.wiped", "{");
	assert_int_equal(sqlite3_total_changes(f->db), changes);
	assert_string_equal(testdb_dump(f->db, f->buf, sizeof(f->buf)), before);
}

static void
test_poison(void **state)
{
	struct testdb_fx *f = *state;
	int changes = sqlite3_total_changes(f->db);

	assert_int_equal(testdb_fx_apply(f, "v0.rust.servers.1.events.started",
	    "{"), PROJ_POISON);
	assert_non_null(strstr(f->err, "payload is not valid JSON"));
	assert_int_equal(testdb_fx_apply(f, "v0.rust.servers.1.events.started",
	    "[]"), PROJ_POISON);
	assert_string_equal(f->err, "payload is not a JSON object");
	assert_int_equal(sqlite3_total_changes(f->db), changes);
}

/* The engine runs it as it runs a built-in one, and parks what it parks. */
static void
test_in_a_fold(void **state)
{
	struct testdb_fx *f = *state;
	const struct projection *projs[] = { P };
	struct fold *fold;
	char err[512];

	assert_int_equal(fold_open(f->db, NULL, projs, 1, &fold, err, sizeof(err)),
	    FOLD_OK);
	assert_int_equal(fold_begin(fold, err, sizeof(err)), FOLD_OK);
	assert_int_equal(fold_event(fold, 1, STORED,
	    "v0.rust.servers.1.events.started", "null", 4, err, sizeof(err)),
	    FOLD_OK);
	assert_int_equal(fold_event(fold, 2, STORED,
	    "v0.rust.servers.1.events.started", "\"x\"", 3, err, sizeof(err)),
	    FOLD_OK);
	assert_int_equal(fold_event(fold, 3, STORED,
	    "v0.rust.servers.1.events.wiped", "null", 4, err, sizeof(err)),
	    FOLD_OK);
	assert_int_equal(fold_commit(fold, 3, err, sizeof(err)), FOLD_OK);
	assert_string_equal(testdb_rows(f->db, "SELECT projection, seq, reason"
	    " FROM projector_parked", f->buf, sizeof(f->buf)),
	    "template|2|payload is not a JSON object");
	assert_int_equal(fold_checkpoint(fold, "template"), 3);
	fold_close(fold);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declaration),
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, testdb_fx_teardown)
		T_(test_apply_writes_nothing),
		T_(test_poison),
		T_(test_in_a_fold),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
