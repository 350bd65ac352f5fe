/*
 * test_registry.c: registry_check(), registry_find(), registry_select(),
 * registry_subject_match() and registry_wants().
 *
 * Subject matching decides which events reach a projection, so it is checked
 * against NATS's own rules: tokens split on '.', '*' is exactly one token,
 * '>' (last) one or more, no partial-token wildcards, and a subject with an
 * empty token matches nothing (nats-server delivers none to a filter).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "registry.h"

static const char *const subjects_a[] = { "orders.*.created", "misc.>", NULL };
static const char *const subjects_b[] = { "payments.>", NULL };
static const char *const no_subjects[] = { NULL };
static const char *const tables_a[] = { "orders", NULL };
static const char *const no_tables[] = { NULL };

static enum proj_result
fake_apply(void *state, const struct event *ev, char *err, size_t errlen)
{
	(void)state;
	(void)ev;
	(void)err;
	(void)errlen;
	return PROJ_OK;
}

static const struct projection proj_a = {
	.abi = PROJECTION_ABI, .size = sizeof(struct projection),
	.name = "orders_v2",
	.version = 1,
	.subjects = subjects_a,
	.tables = tables_a,
	.apply = fake_apply,
};

static const struct projection proj_b = {
	.abi = PROJECTION_ABI, .size = sizeof(struct projection),
	.name = "payments",
	.version = 3,
	.subjects = subjects_b,
	.tables = tables_a,
	.apply = fake_apply,
};

/* Checks one table that must be refused with exactly want. */
static void
check_fails(const struct projection *const *table, const char *want)
{
	char err[256] = "";

	assert_int_equal(registry_check(table, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void
test_match_literal(void **state)
{
	(void)state;
	assert_true(registry_subject_match("a", "a"));
	assert_true(registry_subject_match("a.b.c", "a.b.c"));
	assert_false(registry_subject_match("a.b.c", "a.b.d"));
	assert_false(registry_subject_match("a.b", "a.bc"));
	assert_false(registry_subject_match("a.bc", "a.b"));
	/* Longer and shorter subjects. */
	assert_false(registry_subject_match("a.b", "a.b.c"));
	assert_false(registry_subject_match("a.b.c", "a.b"));
	assert_false(registry_subject_match("a", ""));
}

static void
test_match_star(void **state)
{
	(void)state;
	assert_true(registry_subject_match("*", "a"));
	assert_true(registry_subject_match("a.*.c", "a.xyz.c"));
	assert_true(registry_subject_match("*.*", "a.b"));
	assert_false(registry_subject_match("*", "a.b"));
	assert_false(registry_subject_match("a.*", "a"));
	assert_false(registry_subject_match("a.*", "a.b.c"));
	assert_false(registry_subject_match("a.*.c", "a.b.d"));
}

static void
test_match_gt(void **state)
{
	(void)state;
	assert_true(registry_subject_match(">", "a"));
	assert_true(registry_subject_match(">", "a.b.c"));
	assert_true(registry_subject_match("a.>", "a.b"));
	assert_true(registry_subject_match("a.>", "a.b.c.d"));
	assert_true(registry_subject_match("a.*.>", "a.b.c"));
	/* '>' needs at least one token. */
	assert_false(registry_subject_match("a.>", "a"));
	assert_false(registry_subject_match("a.*.>", "a.b"));
	assert_false(registry_subject_match(">", ""));
	assert_false(registry_subject_match("a.>", "b.c"));
}

/* Wildcards are whole tokens: "a*" and "a>" are literals. */
static void
test_match_no_partial_tokens(void **state)
{
	(void)state;
	assert_false(registry_subject_match("a*", "ab"));
	assert_false(registry_subject_match("a.b*", "a.bc"));
	assert_false(registry_subject_match("a.*b", "a.cb"));
	assert_false(registry_subject_match("a>", "ab"));
	assert_false(registry_subject_match("a.b>", "a.b.c"));
	assert_true(registry_subject_match("a*", "a*"));
}

/* An empty token anywhere means no match, whatever the filter. */
static void
test_match_empty_tokens(void **state)
{
	(void)state;
	assert_false(registry_subject_match("a..b", "a..b"));
	assert_false(registry_subject_match("a.*.b", "a..b"));
	assert_false(registry_subject_match("a.*", "a."));
	assert_false(registry_subject_match("*.a", ".a"));
	assert_false(registry_subject_match("a.>", "a."));
	assert_false(registry_subject_match("a.>", "a..b"));
	assert_false(registry_subject_match("a.>", "a.b..c"));
	assert_false(registry_subject_match("a.>", "a.b."));
	assert_false(registry_subject_match(">", ".a"));
	assert_false(registry_subject_match(">", "a."));
	assert_false(registry_subject_match(">", "a..b"));
	assert_false(registry_subject_match("", ""));
}

/* The contract's real subjects, with the filters the projections use. */
static void
test_match_gamingapi(void **state)
{
	const char *hit = "v0.rust.servers.s1.players.765.events.combat.hit";

	(void)state;
	assert_true(registry_subject_match(
	    "v0.rust.servers.*.players.*.events.combat.hit", hit));
	assert_true(registry_subject_match("v0.rust.servers.>", hit));
	assert_false(registry_subject_match(
	    "v0.rust.servers.*.events.*", hit));
	assert_true(registry_subject_match(
	    "v0.rust.servers.*.players.*.events.items.*.*",
	    "v0.rust.servers.s1.players.7.events.items.rifle.loot"));
}

static void
test_wants(void **state)
{
	(void)state;
	assert_true(registry_wants(&proj_a, "orders.7.created"));
	assert_true(registry_wants(&proj_a, "misc.anything.at.all"));
	assert_false(registry_wants(&proj_a, "orders.7.deleted"));
	assert_false(registry_wants(&proj_a, "misc"));
	assert_false(registry_wants(&proj_a, "payments.1"));
	assert_true(registry_wants(&proj_b, "payments.1"));
	assert_false(registry_wants(&proj_b, "orders.7.created"));
}

static void
test_find(void **state)
{
	const struct projection *const table[] = { &proj_a, &proj_b, NULL };
	const struct projection *const empty[] = { NULL };

	(void)state;
	assert_ptr_equal(registry_find(table, "orders_v2"), &proj_a);
	assert_ptr_equal(registry_find(table, "payments"), &proj_b);
	assert_null(registry_find(table, "orders"));
	assert_null(registry_find(table, "payments2"));
	assert_null(registry_find(table, ""));
	assert_null(registry_find(empty, "payments"));
}

/*
 * An account's projections: all of them when it names none, else the ones
 * it names, in the table's order; an unknown name is refused and nothing is
 * set.
 */
static void
test_select(void **state)
{
	static const struct projection proj_c = {
		.abi = PROJECTION_ABI, .size = sizeof(struct projection),
		.name = "c",
		.version = 1,
		.subjects = subjects_b,
		.tables = tables_a,
		.apply = fake_apply,
	};
	const struct projection *const table[] = { &proj_a, &proj_b, &proj_c,
	    NULL };
	const struct projection *const empty[] = { NULL };
	char *reversed[] = { "c", "orders_v2" };
	char *unknown[] = { "payments", "orders" };
	const struct projection *out[PROJECTION_MAX];
	char err[256] = "";
	size_t n = 99;

	(void)state;
	assert_int_equal(registry_select(table, NULL, 0, out, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_ptr_equal(out[0], &proj_a);
	assert_ptr_equal(out[1], &proj_b);
	assert_ptr_equal(out[2], &proj_c);

	assert_int_equal(registry_select(table, reversed, 2, out, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], &proj_a);
	assert_ptr_equal(out[1], &proj_c);

	out[0] = NULL;
	n = 99;
	assert_int_equal(registry_select(table, unknown, 2, out, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unknown projection orders");
	assert_null(out[0]);
	assert_int_equal(n, 99);

	assert_int_equal(registry_select(empty, NULL, 0, out, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(registry_select(empty, reversed, 1, out, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unknown projection c");
}

static void
test_check_ok(void **state)
{
	const struct projection *const table[] = { &proj_a, &proj_b, NULL };
	const struct projection *const empty[] = { NULL };
	char err[256] = "untouched";

	(void)state;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	assert_int_equal(registry_check(empty, err, sizeof(err)), 0);
	assert_string_equal(err, "untouched");
}

static void
test_check_abi(void **state)
{
	struct projection p = proj_b;
	const struct projection *const table[] = { &proj_a, &p, NULL };
	char want[512];

	(void)state;
	p.abi = (PROJECTION_ABI_MAJOR + 1) << 16;
	check_fails(table, "projection 1: built for projection ABI 3.0, this"
	    " projector speaks 2.0: rebuild it against this projector's"
	    " projection.h");
	p.abi = 1;
	check_fails(table, "projection 1: built for projection ABI 0.1, this"
	    " projector speaks 2.0: rebuild it against this projector's"
	    " projection.h");
	p.abi = PROJECTION_ABI + 1;
	check_fails(table, "projection 1: needs projection ABI 2.1, newer than"
	    " this projector's 2.0: upgrade projector");
	p.abi = PROJECTION_ABI;
	p.size = offsetof(struct projection, fini);
	snprintf(want, sizeof(want), "projection 1: descriptor has %zu bytes,"
	    " projection ABI 2.0 needs %zu: is it filled by"
	    " PROJECTION_HEADER?", offsetof(struct projection, fini),
	    sizeof(struct projection));
	check_fails(table, want);
	/* A larger one, of a newer build of the same minor, is read. */
	p.size = sizeof(struct projection) + 64;
	assert_int_equal(registry_check(table, want, sizeof(want)), 0);
}

/* Migrations are named, carry SQL, and come in strictly ascending order. */
static void
test_check_migrations(void **state)
{
	static const struct projection_migration ok[] = {
		{ "0001_init.sql", "CREATE TABLE t (a)" },
		{ "0002_more.sql", "CREATE INDEX ti ON t (a)" },
		{ NULL, NULL }
	};
	static const struct projection_migration unsorted[] = {
		{ "0002_more.sql", "CREATE INDEX ti ON t (a)" },
		{ "0001_init.sql", "CREATE TABLE t (a)" },
		{ NULL, NULL }
	};
	static const struct projection_migration twice[] = {
		{ "0001_init.sql", "CREATE TABLE t (a)" },
		{ "0001_init.sql", "CREATE TABLE t (a)" },
		{ NULL, NULL }
	};
	static const struct projection_migration nosql[] = {
		{ "0001_init.sql", NULL },
		{ NULL, NULL }
	};
	struct projection p = proj_b;
	const struct projection *const table[] = { &proj_a, &p, NULL };
	char err[256];

	(void)state;
	p.migrations = ok;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	p.migrations = unsorted;
	check_fails(table, "projection payments: migration 0001_init.sql comes"
	    " after 0002_more.sql: names must be unique and sorted");
	p.migrations = twice;
	check_fails(table, "projection payments: migration 0001_init.sql comes"
	    " after 0001_init.sql: names must be unique and sorted");
	p.migrations = nosql;
	check_fails(table, "projection payments: migration 1 has no name or no"
	    " SQL");
}

static void
test_check_name(void **state)
{
	static const char *const bad[] = {
		"", "Orders", "orders-v2", "orders.v2", "orders v2", "ördersä",
	};
	struct projection p = proj_a;
	const struct projection *const table[] = { &p, NULL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.name = bad[i];
		check_fails(table, "projection 0: name is not [a-z0-9_]+");
	}
	p.name = NULL;
	check_fails(table, "projection 0: name is not [a-z0-9_]+");
	p.name = "a_9";
	assert_int_equal(registry_check(table, (char[64]){ 0 }, 64), 0);
}

static void
test_check_required(void **state)
{
	static const char *const want =
	    "projection orders_v2: apply, subjects and tables are required";
	struct projection p;
	const struct projection *const table[] = { &p, NULL };

	(void)state;
	p = proj_a;
	p.apply = NULL;
	check_fails(table, want);
	p = proj_a;
	p.subjects = NULL;
	check_fails(table, want);
	p = proj_a;
	p.subjects = no_subjects;
	check_fails(table, want);
	p = proj_a;
	p.tables = NULL;
	check_fails(table, want);
	p = proj_a;
	p.tables = no_tables;
	check_fails(table, want);
}

/* A table may hold PROJECTION_MAX projections, not one more. */
static void
test_check_max(void **state)
{
	static struct projection many[PROJECTION_MAX + 1];
	static char names[PROJECTION_MAX + 1][16];
	const struct projection *table[PROJECTION_MAX + 2];
	const struct projection *out[PROJECTION_MAX];
	char err[256] = "";
	size_t i, n;

	(void)state;
	for (i = 0; i < PROJECTION_MAX + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "p%zu", i);
		many[i] = proj_a;
		many[i].name = names[i];
		table[i] = &many[i];
	}
	table[PROJECTION_MAX] = NULL;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	table[PROJECTION_MAX] = &many[PROJECTION_MAX];
	table[PROJECTION_MAX + 1] = NULL;
	check_fails(table, "more than 32 projections");
	/* registry_select() never writes past its PROJECTION_MAX entries. */
	assert_int_equal(registry_select(table, NULL, 0, out, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "more than 32 projections");
}

static void
test_check_duplicate(void **state)
{
	struct projection p = proj_b;
	const struct projection *const table[] = { &proj_a, &proj_b, &p, NULL };
	const struct projection *const same[] = { &proj_a, &proj_a, NULL };

	(void)state;
	check_fails(table, "projection payments: name used twice");
	check_fails(same, "projection orders_v2: name used twice");
}

/* The first broken rule is the one reported, in table order. */
static void
test_check_first_error(void **state)
{
	struct projection p1 = proj_a, p2 = proj_b;
	const struct projection *const table[] = { &p1, &p2, NULL };

	(void)state;
	p1.apply = NULL;
	p2.abi = 7;
	check_fails(table,
	    "projection orders_v2: apply, subjects and tables are required");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_literal),
		cmocka_unit_test(test_match_star),
		cmocka_unit_test(test_match_gt),
		cmocka_unit_test(test_match_no_partial_tokens),
		cmocka_unit_test(test_match_empty_tokens),
		cmocka_unit_test(test_match_gamingapi),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_check_ok),
		cmocka_unit_test(test_check_abi),
		cmocka_unit_test(test_check_migrations),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_check_required),
		cmocka_unit_test(test_check_duplicate),
		cmocka_unit_test(test_check_max),
		cmocka_unit_test(test_check_first_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
