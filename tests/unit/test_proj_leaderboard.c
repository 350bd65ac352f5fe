/*
 * test_proj_leaderboard.c: the leaderboard projection
 * (projections/leaderboard.c) against read-model.md: wipes numbered per
 * server in stream order, kills and deaths per (server, wipe, player),
 * headshots, longest kill, kd and rank, the kill rules (isKill over is_kill,
 * attacker default, self-kill, no victim), and every poison case of the
 * payloads it reads.
 *
 * Events go straight into init()/apply() on a migrated in-memory database,
 * decoded as the engine decodes them; rows are read with plain SQL.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "projections.h"
#include "registry.h"
#include "testdb.h"

#define P	(&proj_leaderboard)
#define T(hms)	"2026-11-01T" hms ".000Z"
#define STORED	INT64_C(1687014252001)	/* 2023-06-17T15:04:12.001Z */
#define A	"76561198000000001"
#define B	"76561198000000002"
#define C	"76561198000000003"
#define HIT(server, steam) \
	"v0.rust.servers." server ".players." steam ".events.combat.hit"
#define WIPED(server)	"v0.rust.servers." server ".events.wiped"

static int
setup(void **state)
{
	return testdb_fx_setup(P, STORED, state);
}

/* A kill on server 101 by attacker (subject) of victim. */
static void
frag(struct testdb_fx *f, const char *subject, const char *attacker,
    const char *victim, int area, const char *distance)
{
	char payload[512];

	snprintf(payload, sizeof(payload), "{\"hit_timestamp\":\"" T("12:00:00")
	    "\",\"player_hit\":{\"isKill\":true,\"hit_area_id\":%d,"
	    "\"hit_distance\":%s,\"attacker\":{\"steam_id\":\"%s\"},"
	    "\"victim\":{\"steam_id\":\"%s\"}}}", area, distance, attacker,
	    victim);
	testdb_fx_ok(f, subject, payload);
}

static const char *
board(struct testdb_fx *f)
{
	return testdb_rows(f->db, "SELECT server_id, wipe_id, steam_id, name,"
	    " kills, deaths, headshots, longest_kill_m, kd, rank"
	    " FROM leaderboard ORDER BY server_id, wipe_id, rank", f->buf,
	    sizeof(f->buf));
}

static void
test_declaration(void **state)
{
	const struct projection *table[] = { P, NULL };
	char err[256];

	(void)state;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	assert_string_equal(P->name, "leaderboard");
	assert_int_equal(P->version, 1);
	assert_string_equal(P->tables[0], "wipes");
	assert_string_equal(P->tables[1], "leaderboard_stats");
	assert_null(P->tables[2]);
	assert_true(registry_wants(P, WIPED("1")));
	assert_true(registry_wants(P, HIT("1", "2")));
	assert_false(registry_wants(P, "v0.rust.servers.1.events.started"));
	assert_false(registry_wants(P,
	    "v0.rust.servers.1.players.2.events.connected"));
	assert_false(registry_wants(P,
	    "v0.rust.servers.1.players.2.events.respawned"));
	assert_ptr_equal(projections_builtin[2], P);
	assert_null(projections_builtin[3]);
}

static void
test_wipes(void **state)
{
	struct testdb_fx *f = *state;

	/* Numbered per server in stream order; wiped_at is the event time. */
	testdb_fx_ok(f, WIPED("101"), "{\"timestamp\":\"" T("12:30:00") "\"}");
	testdb_fx_ok(f, WIPED("102"), "null");
	testdb_fx_ok(f, WIPED("101"), "{\"timestamp\":\"" T("12:10:00") "\"}");
	testdb_fx_ok(f, WIPED("101"),
	    "{\"timestamp\":\"6/17/2023 5:04:12 PM\"}");
	testdb_fx_ok(f, WIPED("101"), "{\"timestamp\":17}");
	assert_string_equal(testdb_rows(f->db, "SELECT server_id, wipe_id,"
	    " wiped_at FROM wipes ORDER BY server_id, wipe_id", f->buf,
	    sizeof(f->buf)),
	    "101|1|" T("12:30:00") "\n"
	    "101|2|" T("12:10:00") "\n"
	    "101|3|2023-06-17T15:04:12.001Z\n"
	    "101|4|2023-06-17T15:04:12.001Z\n"
	    "102|1|2023-06-17T15:04:12.001Z");
}

static void
test_kills(void **state)
{
	struct testdb_fx *f = *state;

	frag(f, HIT("101", A), A, B, 2, "100.5");
	frag(f, HIT("101", A), A, C, 1, "250");
	frag(f, HIT("101", A), A, B, 1, "50");
	frag(f, HIT("101", B), B, A, 4, "300.25");
	/* hit_area_id 1.0 is 1: a headshot. */
	frag(f, HIT("101", C), C, A, 1, "1.0");
	frag(f, HIT("102", C), C, A, 8, "20");
	assert_string_equal(board(f),
	    "101|0|" A "|NULL|3|2|2|250|1.5|1\n"
	    "101|0|" C "|NULL|1|1|1|1|1|2\n"
	    "101|0|" B "|NULL|1|2|0|300.25|0.5|3\n"
	    "102|0|" C "|NULL|1|0|0|20|1|1\n"
	    "102|0|" A "|NULL|0|1|0|NULL|0|2");
	/* The name comes from player_profiles. */
	assert_int_equal(sqlite3_exec(f->db, "INSERT INTO player_stats"
	    " (steam_id, name) VALUES ('" C "', 'carol')", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_string_equal(testdb_rows(f->db, "SELECT DISTINCT name FROM"
	    " leaderboard WHERE steam_id = '" C "'", f->buf, sizeof(f->buf)),
	    "carol");
}

/* rank: kills DESC, deaths ASC, steam_id ASC; kd = kills / max(deaths, 1). */
static void
test_rank(void **state)
{
	struct testdb_fx *f = *state;

	frag(f, HIT("1", "p3"), "p3", "v1", 0, "1");
	frag(f, HIT("1", "p2"), "p2", "v1", 0, "1");
	frag(f, HIT("1", "p1"), "p1", "v2", 0, "1");
	frag(f, HIT("1", "v2"), "v2", "p1", 0, "1");
	assert_string_equal(testdb_rows(f->db, "SELECT steam_id, kills, deaths,"
	    " kd, rank FROM leaderboard ORDER BY rank", f->buf, sizeof(f->buf)),
	    "p2|1|0|1|1\np3|1|0|1|2\np1|1|1|1|3\nv2|1|1|1|4\nv1|0|2|0|5");
}

static void
test_kill_rules(void **state)
{
	struct testdb_fx *f = *state;

	/* Not kills: no player_hit, no flag, isKill false wins. */
	testdb_fx_ok(f, HIT("1", A),
	    "{\"hit_timestamp\":\"" T("12:00:00") "\"}");
	testdb_fx_ok(f, HIT("1", A),
	    "{\"player_hit\":{\"victim\":{\"steam_id\":\"" B "\"}}}");
	testdb_fx_ok(f, HIT("1", A),
	    "{\"player_hit\":{\"isKill\":false,\"is_kill\":true,"
	    "\"victim\":{\"steam_id\":\"" B "\"}}}");
	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"is_kill\":false,"
	    "\"victim\":{\"steam_id\":\"" B "\"}}}");
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM"
	    " leaderboard_stats"), 0);
	/* isKill true wins over is_kill false; is_kill alone counts. */
	testdb_fx_ok(f, HIT("1", A),
	    "{\"player_hit\":{\"isKill\":true,\"is_kill\":false,"
	    "\"victim\":{\"steam_id\":\"" B "\"}}}");
	testdb_fx_ok(f, HIT("1", A),
	    "{\"player_hit\":{\"isKill\":null,\"is_kill\":true,"
	    "\"victim\":{\"steam_id\":\"" B "\"}}}");
	/* No attacker: the subject's player. */
	testdb_fx_ok(f, HIT("1", C), "{\"player_hit\":{\"is_kill\":true,"
	    "\"attacker\":{},\"victim\":{\"steam_id\":\"" B "\"}}}");
	/* No victim: a kill and no death. */
	testdb_fx_ok(f, HIT("1", C), "{\"player_hit\":{\"isKill\":true}}");
	testdb_fx_ok(f, HIT("1", C),
	    "{\"player_hit\":{\"isKill\":true,\"victim\":null,"
	    "\"hit_distance\":null,\"hit_area_id\":null}}");
	/* A self-kill is a death only, whoever names the attacker. */
	testdb_fx_ok(f, HIT("1", B),
	    "{\"player_hit\":{\"isKill\":true,\"hit_area_id\":1,"
	    "\"hit_distance\":9,\"victim\":{\"steam_id\":\"" B "\"}}}");
	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"isKill\":true,"
	    "\"attacker\":{\"steam_id\":\"" C "\"},"
	    "\"victim\":{\"steam_id\":\"" C "\"}}}");
	/* The attacker is the payload's, not the subject's. */
	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"isKill\":true,"
	    "\"attacker\":{\"steam_id\":\"x\"},\"victim\":{\"steam_id\":\""
	    C "\"}}}");
	assert_string_equal(testdb_rows(f->db, "SELECT steam_id, kills, deaths,"
	    " headshots, longest_kill_m FROM leaderboard_stats ORDER BY steam_id",
	    f->buf, sizeof(f->buf)),
	    A "|2|0|0|NULL\n"
	    B "|0|4|0|NULL\n"
	    C "|3|2|0|NULL\n"
	    "x|1|0|0|NULL");
}

/* A kill counts in its server's current wipe when it is applied. */
static void
test_kills_per_wipe(void **state)
{
	struct testdb_fx *f = *state;

	frag(f, HIT("101", A), A, B, 1, "10");
	testdb_fx_ok(f, WIPED("101"), "null");
	frag(f, HIT("101", A), A, B, 2, "20");
	frag(f, HIT("102", A), A, B, 2, "30");
	testdb_fx_ok(f, WIPED("101"), "{\"timestamp\":\"" T("11:00:00") "\"}");
	frag(f, HIT("101", B), B, A, 2, "40");
	assert_string_equal(testdb_rows(f->db, "SELECT server_id, wipe_id,"
	    " steam_id, kills, deaths, headshots, longest_kill_m"
	    " FROM leaderboard ORDER BY server_id, wipe_id, rank", f->buf,
	    sizeof(f->buf)),
	    "101|0|" A "|1|0|1|10\n101|0|" B "|0|1|0|NULL\n"
	    "101|1|" A "|1|0|0|20\n101|1|" B "|0|1|0|NULL\n"
	    "101|2|" B "|1|0|0|40\n101|2|" A "|0|1|0|NULL\n"
	    "102|0|" A "|1|0|0|30\n102|0|" B "|0|1|0|NULL");
}

/* longest_kill_m: the greatest distance over kills that have one. */
static void
test_longest(void **state)
{
	struct testdb_fx *f = *state;

	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"isKill\":true}}");
	assert_string_equal(board(f), "1|0|" A "|NULL|1|0|0|NULL|1|1");
	frag(f, HIT("1", A), A, B, 2, "12.5");
	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"isKill\":true}}");
	frag(f, HIT("1", A), A, B, 2, "7");
	/* A longer hit that is no kill does not count. */
	testdb_fx_ok(f, HIT("1", A), "{\"player_hit\":{\"isKill\":false,"
	    "\"hit_distance\":500}}");
	frag(f, HIT("1", A), A, B, 2, "-3");
	assert_string_equal(testdb_rows(f->db, "SELECT kills, longest_kill_m"
	    " FROM leaderboard WHERE steam_id = '" A "'", f->buf,
	    sizeof(f->buf)), "5|12.5");
}

static void
test_poison(void **state)
{
	struct testdb_fx *f = *state;
	const char *h = HIT("1", A);

	frag(f, h, A, B, 1, "10");
	testdb_fx_poison(f, WIPED("1"), "{", "payload is not valid JSON");
	testdb_fx_poison(f, WIPED("1"), "", "payload is empty, not JSON");
	testdb_fx_poison(f, WIPED("1"), "\"just a string\"",
	    "payload is not a JSON object");
	testdb_fx_poison(f, WIPED("1"), "[null]",
	    "payload is not a JSON object");
	testdb_fx_poison(f, WIPED("1"), "0", "payload is not a JSON object");
	testdb_fx_poison(f, h, "{\"player_hit\":", "payload is not valid JSON");
	testdb_fx_poison(f, h, "{\"s\":\"\\u0000\"}",
	    "payload is not valid JSON");
	testdb_fx_poison(f, h, "null", "payload is not a JSON object");
	testdb_fx_poison(f, h, "true", "payload is not a JSON object");
	testdb_fx_poison(f, h, "[]", "payload is not a JSON object");
	testdb_fx_poison(f, h, "{\"player_hit\":true}",
	    "player_hit is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"attacker\":\"" A "\"}}",
	    "player_hit.attacker is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"victim\":7}}",
	    "player_hit.victim is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"isKill\":\"true\"}}",
	    "player_hit.isKill is not a boolean");
	testdb_fx_poison(f, h,
	    "{\"player_hit\":{\"isKill\":true,\"is_kill\":0}}",
	    "player_hit.is_kill is not a boolean");
	testdb_fx_poison(f, h,
	    "{\"player_hit\":{\"attacker\":{\"steam_id\":1}}}",
	    "player_hit.attacker.steam_id is not a string");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"isKill\":true,\"victim\":"
	    "{\"steam_id\":[\"" B "\"]}}}",
	    "player_hit.victim.steam_id is not a string");
	/* Checked whatever the other fields say: here, no kill. */
	testdb_fx_poison(f, h,
	    "{\"player_hit\":{\"isKill\":false,\"hit_area_id\":\"1\"}}",
	    "player_hit.hit_area_id is not a number");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"hit_distance\":\"far\"}}",
	    "player_hit.hit_distance is not a number");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"hit_distance\":true}}",
	    "player_hit.hit_distance is not a number");
	assert_string_equal(board(f),
	    "1|0|" A "|NULL|1|0|1|10|1|1\n1|0|" B "|NULL|0|1|0|NULL|0|2");
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM wipes"), 0);

	/* Fields it does not read, and timestamps, are not poison for it. */
	testdb_fx_ok(f, h,
	    "{\"hit_timestamp\":5,\"player_hit\":{\"hit_damage\":\"x\","
	    "\"victim\":{\"position\":\"here\",\"active_item\":1}}}");
	testdb_fx_ok(f, WIPED("1"), "{\"timestamp\":[],\"anything\":{}}");
	testdb_fx_ok(f, "v0.rust.servers.1.events.started", "{");
	testdb_fx_ok(f, "v0.rust.servers.1.players." A ".events.connected",
	    "[]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declaration),
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, testdb_fx_teardown)
		T_(test_wipes),
		T_(test_kills),
		T_(test_rank),
		T_(test_kill_rules),
		T_(test_kills_per_wipe),
		T_(test_longest),
		T_(test_poison),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
