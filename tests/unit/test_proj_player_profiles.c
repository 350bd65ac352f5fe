/*
 * test_proj_player_profiles.c: the player_profiles projection
 * (projections/player_profiles.c) against read-model.md: which steam_ids
 * get a row, names and bans by latest event time with ties to the later
 * event, first/last seen, chats, reports, kill victims, and every poison
 * case of the payloads it reads.
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

#define P	(&proj_player_profiles)
#define T(hms)	"2026-11-01T" hms ".000Z"
#define STORED	INT64_C(1687014252001)	/* 2023-06-17T15:04:12.001Z */
#define A	"76561198000000001"
#define B	"76561198000000002"
#define C	"76561198000000003"
#define PL(steam, what)	"v0.rust.servers.101.players." steam ".events." what
#define CHAT(steam)	"v0.rust.servers.101.events.player." steam ".chatted"

static int
setup(void **state)
{
	return testdb_fx_setup(P, STORED, state);
}

static const char *
profiles(struct testdb_fx *f)
{
	return testdb_rows(f->db, "SELECT steam_id, name, first_seen, last_seen,"
	    " sessions, playtime_s, chat_messages, reports_received, banned,"
	    " ban_reason FROM player_profiles ORDER BY steam_id", f->buf,
	    sizeof(f->buf));
}

static const char *
row(struct testdb_fx *f, const char *columns, const char *steam)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s FROM player_profiles"
	    " WHERE steam_id = '%s'", columns, steam);
	return testdb_rows(f->db, sql, f->buf, sizeof(f->buf));
}

static void
test_declaration(void **state)
{
	static const struct {
		const char	*subject;
		int		 wanted;
	} subjects[] = {
		{ "v0.rust.servers.1.events.started", 0 },
		{ "v0.rust.servers.1.events.stopped", 0 },
		{ "v0.rust.servers.1.events.wiped", 0 },
		{ "v0.rust.servers.1.events.command", 0 },
		{ "v0.rust.servers.1.events.player.2.chatted", 1 },
		{ "v0.rust.servers.1.players.2.events.connected", 1 },
		{ "v0.rust.servers.1.players.2.events.disconnected", 1 },
		{ "v0.rust.servers.1.players.2.events.respawned", 1 },
		{ "v0.rust.servers.1.players.2.events.combat.hit", 1 },
		{ "v0.rust.servers.1.players.2.events.gatheredResources", 1 },
		{ "v0.rust.servers.1.players.2.events.items.-3.pickup", 1 },
		{ "v0.rust.servers.1.players.2.events.items.3.loot", 1 },
		{ "v0.rust.servers.1.players.2.events.items.3.crafted", 1 },
		{ "v0.rust.servers.1.players.2.events.reported", 1 },
		{ "v0.rust.servers.1.players.2.events.banned", 1 },
		{ "v0.rust.servers.1.players.2.events.unbanned", 1 },
	};
	const struct projection *table[] = { P, NULL };
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	assert_string_equal(P->name, "player_profiles");
	assert_int_equal(P->version, 1);
	assert_string_equal(P->tables[0], "player_stats");
	assert_null(P->tables[1]);
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		assert_int_equal(registry_wants(P, subjects[i].subject),
		    subjects[i].wanted);
	assert_ptr_equal(projections_builtin[1], P);
}

/* A row per player-scoped subject; seen over its own events but bans. */
static void
test_seen(void **state)
{
	struct testdb_fx *f = *state;

	testdb_fx_ok(f, PL(A, "respawned"),
	    "{\"respawn_timestamp\":\"" T("12:05:00") "\"}");
	testdb_fx_ok(f, PL(A, "gatheredResources"), "{\"gathered_timestamp\":\""
	    T("12:01:00") "\"}");
	testdb_fx_ok(f, PL(A, "items.-151838493.pickup"),
	    "{\"pickup_timestamp\":\"" T("12:09:00") "\"}");
	testdb_fx_ok(f, PL(A, "items.1.loot"),
	    "{\"loot_timestamp\":\"" T("12:03:00") "\"}");
	testdb_fx_ok(f, PL(A, "items.1.crafted"),
	    "{\"craft_timestamp\":\"" T("12:04:00") "\"}");
	testdb_fx_ok(f, PL(A, "disconnected"), "{\"disconnected_timestamp\":\""
	    T("12:02:00") "\"}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"hit_timestamp\":\"" T("12:02:30") "\"}");
	testdb_fx_ok(f, PL(A, "reported"),
	    "{\"timestamp\":\"" T("12:02:40") "\"}");
	/* Banned and unbanned leave first and last seen alone. */
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"timestamp\":\"" T("11:00:00") "\"}");
	testdb_fx_ok(f, PL(A, "unbanned"),
	    "{\"timestamp\":\"" T("13:00:00") "\"}");
	testdb_fx_ok(f, PL(B, "banned"),
	    "{\"timestamp\":\"" T("11:00:00") "\"}");
	/* A bad timestamp: the stored time. */
	testdb_fx_ok(f, PL(C, "respawned"),
	    "{\"respawn_timestamp\":\"6/17/2023 5:04:12 PM\"}");
	/* Subjects it does not consume, or does not know, change nothing. */
	testdb_fx_ok(f, "v0.rust.servers.101.events.started", "{}");
	testdb_fx_ok(f, "v0.rust.servers.101.players.9.events.chatted", "{}");
	assert_string_equal(profiles(f),
	    A "|NULL|" T("12:01:00") "|" T("12:09:00") "|0|0|0|0|0|NULL\n"
	    B "|NULL|NULL|NULL|0|0|0|0|1|NULL\n"
	    C "|NULL|2023-06-17T15:04:12.001Z|2023-06-17T15:04:12.001Z|0|0|0|0|0"
	    "|NULL");
}

/* The latest name by event time; ties go to the later event. */
static void
test_names(void **state)
{
	struct testdb_fx *f = *state;

	testdb_fx_ok(f, PL(A, "connected"),
	    "{\"connected_timestamp\":\"" T("12:10:00")
	    "\",\"player\":{\"name\":\"conn\",\"address\":\"203.0.113.9\"}}");
	assert_string_equal(row(f, "name", A), "conn");
	/* Earlier, later in the stream: not the latest. */
	testdb_fx_ok(f, CHAT(A), "{\"player_name\":\"early\",\"timestamp\":\""
	    T("12:05:00") "\"}");
	assert_string_equal(row(f, "name", A), "conn");
	testdb_fx_ok(f, CHAT(A), "{\"player_name\":\"chat\",\"timestamp\":\""
	    T("12:11:00") "\"}");
	assert_string_equal(row(f, "name", A), "chat");
	/* The same time, later in the stream: it wins. */
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"player_name\":\"banned\",\"timestamp\":\"" T("12:11:00") "\"}");
	assert_string_equal(row(f, "name", A), "banned");
	testdb_fx_ok(f, PL(A, "connected"),
	    "{\"connected_timestamp\":\"" T("12:11:00")
	    "\",\"player\":{\"name\":\"tie\"}}");
	assert_string_equal(row(f, "name", A), "tie");
	/* No name, or null: no change, even when later. */
	testdb_fx_ok(f, PL(A, "connected"),
	    "{\"connected_timestamp\":\"" T("12:20:00")
	    "\",\"player\":{\"name\":null}}");
	testdb_fx_ok(f, PL(A, "connected"),
	    "{\"connected_timestamp\":\"" T("12:21:00") "\"}");
	testdb_fx_ok(f, CHAT(A),
	    "{\"player_name\":null,\"timestamp\":\"" T("12:22:00") "\"}");
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"timestamp\":\"" T("12:23:00") "\"}");
	/* Other events with a name-like field are not names. */
	testdb_fx_ok(f, PL(A, "unbanned"),
	    "{\"name\":\"unb\",\"player_name\":\"unb\","
	    "\"timestamp\":\"" T("12:24:00") "\"}");
	testdb_fx_ok(f, PL(A, "respawned"), "{\"player_name\":\"resp\","
	    "\"respawn_timestamp\":\"" T("12:25:00") "\"}");
	assert_string_equal(row(f, "name", A), "tie");
	/* The IP address is written nowhere. */
	testdb_dump(f->db, f->buf, sizeof(f->buf));
	assert_null(strstr(f->buf, "203.0.113"));
}

static void
test_chats_and_reports(void **state)
{
	struct testdb_fx *f = *state;

	testdb_fx_ok(f, CHAT(A), "{\"timestamp\":\"" T("12:00:00") "\"}");
	testdb_fx_ok(f, CHAT(A), "{\"full_message\":\"gg\"}");
	/* Reported: the reporter is seen, the target gets a row. */
	testdb_fx_ok(f, PL(A, "reported"),
	    "{\"reported_target_steam_id\":\"" B "\","
	    "\"timestamp\":\"" T("12:01:00") "\"}");
	testdb_fx_ok(f, PL(C, "reported"),
	    "{\"reported_target_steam_id\":\"" B "\","
	    "\"timestamp\":\"" T("12:02:00") "\"}");
	/* Reporting oneself counts too; no target, or null: no report. */
	testdb_fx_ok(f, PL(C, "reported"),
	    "{\"reported_target_steam_id\":\"" C "\","
	    "\"timestamp\":\"" T("12:03:00") "\"}");
	testdb_fx_ok(f, PL(C, "reported"),
	    "{\"timestamp\":\"" T("12:04:00") "\"}");
	testdb_fx_ok(f, PL(C, "reported"), "{\"reported_target_steam_id\":null,"
	    "\"timestamp\":\"" T("12:04:00") "\"}");
	/* Target comes from the payload, the reporter from the subject. */
	testdb_fx_ok(f, PL(A, "reported"), "{\"reporter_steam_id\":\"" C "\","
	    "\"reported_target_steam_id\":\"" B "\",\"timestamp\":\""
	    T("12:05:00") "\"}");
	assert_string_equal(profiles(f),
	    A "|NULL|2023-06-17T15:04:12.001Z|" T("12:05:00") "|0|0|2|0|0|NULL\n"
	    B "|NULL|NULL|NULL|0|0|0|3|0|NULL\n"
	    C "|NULL|" T("12:02:00") "|" T("12:04:00") "|0|0|0|1|0|NULL");
}

/* A kill victim gets a row; isKill wins over is_kill. */
static void
test_kill_victims(void **state)
{
	struct testdb_fx *f = *state;

	/* Not kills. */
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"hit_timestamp\":\"" T("12:00:00") "\"}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"player_hit\":{\"victim\":{\"steam_id\":\"900\"}}}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"player_hit\":{\"isKill\":false,"
	    "\"victim\":{\"steam_id\":\"901\"}}}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"player_hit\":{\"isKill\":false,"
	    "\"is_kill\":true,\"victim\":{\"steam_id\":\"902\"}}}");
	/* Kills. */
	testdb_fx_ok(f, PL(A, "combat.hit"), "{\"player_hit\":{\"isKill\":true,"
	    "\"is_kill\":false,\"victim\":{\"steam_id\":\"910\"}}}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"player_hit\":{\"is_kill\":true,"
	    "\"victim\":{\"steam_id\":\"911\"}}}");
	testdb_fx_ok(f, PL(A, "combat.hit"), "{\"player_hit\":{\"isKill\":null,"
	    "\"is_kill\":true,\"victim\":{\"steam_id\":\"912\"}}}");
	/* A kill without a victim id: no row. */
	testdb_fx_ok(f, PL(A, "combat.hit"), "{\"player_hit\":{\"isKill\":true,"
	    "\"victim\":{}}}");
	testdb_fx_ok(f, PL(A, "combat.hit"),
	    "{\"player_hit\":{\"isKill\":true}}");
	/* Victims are not seen: first_seen is the subject player's only. */
	assert_string_equal(testdb_rows(f->db, "SELECT steam_id,"
	    " first_seen IS NULL FROM player_profiles ORDER BY steam_id",
	    f->buf, sizeof(f->buf)), A "|0\n910|1\n911|1\n912|1");
}

/* Ban state by latest event time, ties to the later event. */
static void
test_bans(void **state)
{
	struct testdb_fx *f = *state;

	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"reason\":\"Cheating\",\"timestamp\":\"" T("12:10:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|Cheating");
	/* An earlier unban arriving later changes nothing. */
	testdb_fx_ok(f, PL(A, "unbanned"),
	    "{\"timestamp\":\"" T("12:05:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|Cheating");
	/* An unban at the same time, later in the stream, wins. */
	testdb_fx_ok(f, PL(A, "unbanned"),
	    "{\"timestamp\":\"" T("12:10:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "0|NULL");
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"reason\":\"Toxic\",\"timestamp\":\"" T("12:10:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|Toxic");
	/* A ban without reason, or with a null one: banned, no reason. */
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"timestamp\":\"" T("12:11:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|NULL");
	testdb_fx_ok(f, PL(A, "banned"),
	    "{\"reason\":null,\"timestamp\":\"" T("12:12:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|NULL");
	/* First event an unban: not banned. */
	testdb_fx_ok(f, PL(B, "unbanned"),
	    "{\"timestamp\":\"" T("12:00:00") "\"}");
	testdb_fx_ok(f, PL(B, "banned"), "{\"reason\":\"old\",\"timestamp\":\""
	    T("11:00:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", B), "0|NULL");
	/* Other events leave the ban alone. */
	testdb_fx_ok(f, CHAT(A), "{\"timestamp\":\"" T("13:00:00") "\"}");
	assert_string_equal(row(f, "banned, ban_reason", A), "1|NULL");
}

/* sessions and playtime_s come from session_history. */
static void
test_sessions_from_history(void **state)
{
	struct testdb_fx *f = *state;
	void *sh;
	char err[256];

	assert_int_equal(proj_session_history.init(f->db, &sh, err,
	    sizeof(err)), 0);
	assert_int_equal(testdb_apply(&proj_session_history, sh, 1, STORED,
	    PL(A, "connected"), "{\"connected_timestamp\":\"" T("12:00:00")
	    "\"}", err, sizeof(err)), PROJ_OK);
	assert_int_equal(testdb_apply(&proj_session_history, sh, 2, STORED,
	    PL(A, "disconnected"), "{\"disconnected_timestamp\":\""
	    "2026-11-01T12:01:00.5Z\"}", err, sizeof(err)), PROJ_OK);
	assert_int_equal(testdb_apply(&proj_session_history, sh, 3, STORED,
	    PL(A, "connected"), "{\"connected_timestamp\":\"" T("12:02:00")
	    "\"}", err, sizeof(err)), PROJ_OK);
	proj_session_history.fini(sh);
	testdb_fx_ok(f, PL(A, "connected"),
	    "{\"connected_timestamp\":\"" T("12:00:00") "\"}");
	assert_string_equal(row(f, "sessions, playtime_s", A), "2|60.5");
}

static void
test_poison(void **state)
{
	struct testdb_fx *f = *state;
	static const char *const kinds[] = {
		CHAT(A), PL(A, "connected"), PL(A, "disconnected"),
		PL(A, "respawned"), PL(A, "combat.hit"),
		PL(A, "gatheredResources"), PL(A, "items.-1.pickup"),
		PL(A, "items.1.loot"), PL(A, "items.1.crafted"),
		PL(A, "reported"), PL(A, "banned"), PL(A, "unbanned"),
	};
	const char *h = PL(A, "combat.hit");
	size_t i;

	testdb_fx_ok(f, CHAT(A), "{\"player_name\":\"alice\",\"timestamp\":\""
	    T("12:00:00") "\"}");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		testdb_fx_poison(f, kinds[i], "{", "payload is not valid JSON");
		testdb_fx_poison(f, kinds[i], "", "payload is empty, not JSON");
		testdb_fx_poison(f, kinds[i], "null",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "\"x\"",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "[{}]",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "1.5",
		    "payload is not a JSON object");
	}
	testdb_fx_poison(f, PL(A, "connected"), "{\"player\":\"alice\"}",
	    "player is not an object");
	testdb_fx_poison(f, PL(A, "connected"), "{\"player\":{\"name\":1}}",
	    "player.name is not a string");
	testdb_fx_poison(f, CHAT(A), "{\"player_name\":42}",
	    "player_name is not a string");
	testdb_fx_poison(f, PL(A, "banned"), "{\"player_name\":[]}",
	    "player_name is not a string");
	testdb_fx_poison(f, PL(A, "banned"),
	    "{\"player_name\":\"x\",\"reason\":true}",
	    "reason is not a string");
	testdb_fx_poison(f, PL(A, "reported"), "{\"reported_target_steam_id\":"
	    "76561198000000002}", "reported_target_steam_id is not a string");
	testdb_fx_poison(f, h, "{\"player_hit\":\"hit\"}",
	    "player_hit is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":[]}",
	    "player_hit is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"victim\":\"" B "\"}}",
	    "player_hit.victim is not an object");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"isKill\":\"true\"}}",
	    "player_hit.isKill is not a boolean");
	testdb_fx_poison(f, h, "{\"player_hit\":{\"isKill\":1}}",
	    "player_hit.isKill is not a boolean");
	/* is_kill is checked even when isKill decides. */
	testdb_fx_poison(f, h,
	    "{\"player_hit\":{\"isKill\":true,\"is_kill\":\"no\"}}",
	    "player_hit.is_kill is not a boolean");
	/* victim.steam_id is checked even when it is no kill. */
	testdb_fx_poison(f, h, "{\"player_hit\":{\"isKill\":false,\"victim\":"
	    "{\"steam_id\":76561198000000002}}}",
	    "player_hit.victim.steam_id is not a string");
	testdb_fx_poison(f, h,
	    "{\"player_hit\":{\"victim\":{\"steam_id\":{}}}}",
	    "player_hit.victim.steam_id is not a string");
	assert_string_equal(profiles(f),
	    A "|alice|" T("12:00:00") "|" T("12:00:00") "|0|0|1|0|0|NULL");

	/* Fields it does not read are not poison for it. */
	testdb_fx_ok(f, h,
	    "{\"player_hit\":{\"attacker\":\"x\",\"hit_distance\":\"far\","
	    "\"hit_area_id\":\"head\",\"attacker\":{\"steam_id\":5}}}");
	testdb_fx_ok(f, PL(A, "disconnected"), "{\"reason\":5}");
	testdb_fx_ok(f, PL(A, "unbanned"), "{\"player_name\":5,\"name\":[]}");
	testdb_fx_ok(f, PL(A, "respawned"),
	    "{\"player_name\":5,\"steam_id\":5}");
	testdb_fx_ok(f, PL(A, "reported"),
	    "{\"reporter_steam_id\":5,\"subject\":[]}");
	testdb_fx_ok(f, "v0.rust.servers.1.events.started", "{");
	testdb_fx_ok(f, "v0.rust.servers.1.events.wiped", "[]");
	testdb_fx_ok(f, "v0.rust.servers.1.events.command", "{\"steam_id\":5}");
	/* Nor is a timestamp of another type. */
	testdb_fx_ok(f, CHAT(A), "{\"timestamp\":{}}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declaration),
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, testdb_fx_teardown)
		T_(test_seen),
		T_(test_names),
		T_(test_chats_and_reports),
		T_(test_kill_victims),
		T_(test_bans),
		T_(test_sessions_from_history),
		T_(test_poison),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
