/*
 * test_proj_session_history.c: the session_history projection
 * (projections/session_history.c) against read-model.md: the servers view
 * but current_wipe_id, session rules 1-3 with late disconnects, and every
 * poison case of the payloads it reads.
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

#define P	(&proj_session_history)
#define T(hms)	"2026-11-01T" hms ".000Z"
#define STORED	INT64_C(1687014252001)	/* 2023-06-17T15:04:12.001Z */
#define A	"76561198000000001"
#define B	"76561198000000002"

static int
setup(void **state)
{
	return testdb_fx_setup(P, STORED, state);
}

static void
server_event(struct testdb_fx *f, const char *server, const char *what,
    const char *at)
{
	char subject[256], payload[256];

	snprintf(subject, sizeof(subject), "v0.rust.servers.%s.events.%s",
	    server, what);
	snprintf(payload, sizeof(payload), "{\"timestamp\":\"%s\"}", at);
	testdb_fx_ok(f, subject, payload);
}

static void
conn(struct testdb_fx *f, const char *server, const char *steam, const char *at,
    const char *name)
{
	char subject[256], payload[512];

	snprintf(subject, sizeof(subject),
	    "v0.rust.servers.%s.players.%s.events.connected", server, steam);
	snprintf(payload, sizeof(payload), "{\"connected_timestamp\":\"%s\","
	    "\"player\":{\"id\":\"%s\",\"name\":\"%s\","
	    "\"address\":\"203.0.113.77\"}}", at, steam, name);
	testdb_fx_ok(f, subject, payload);
}

/* reason NULL: the payload has none. */
static void
disc(struct testdb_fx *f, const char *server, const char *steam,
    const char *at, const char *reason)
{
	char subject[256], payload[512];

	snprintf(subject, sizeof(subject),
	    "v0.rust.servers.%s.players.%s.events.disconnected", server, steam);
	if (reason != NULL)
		snprintf(payload, sizeof(payload), "{\"disconnected_timestamp\":"
		    "\"%s\",\"player\":{\"id\":\"%s\"},\"reason\":\"%s\"}", at,
		    steam, reason);
	else
		snprintf(payload, sizeof(payload), "{\"disconnected_timestamp\":"
		    "\"%s\",\"player\":{\"id\":\"%s\"}}", at, steam);
	testdb_fx_ok(f, subject, payload);
}

static const char *
sessions(struct testdb_fx *f)
{
	return testdb_rows(f->db, "SELECT server_id, steam_id, name,"
	    " connected_at, disconnected_at, duration_s, end_reason"
	    " FROM session_history ORDER BY seq", f->buf, sizeof(f->buf));
}

static const char *
servers(struct testdb_fx *f)
{
	return testdb_rows(f->db, "SELECT server_id, status, last_started_at,"
	    " last_stopped_at, current_wipe_id, online_players FROM servers"
	    " ORDER BY server_id", f->buf, sizeof(f->buf));
}

static void
test_declaration(void **state)
{
	static const char *const all[] = {
		"v0.rust.servers.1.events.started",
		"v0.rust.servers.1.events.stopped",
		"v0.rust.servers.1.events.wiped",
		"v0.rust.servers.1.events.command",
		"v0.rust.servers.1.events.player.2.chatted",
		"v0.rust.servers.1.players.2.events.connected",
		"v0.rust.servers.1.players.2.events.disconnected",
		"v0.rust.servers.1.players.2.events.respawned",
		"v0.rust.servers.1.players.2.events.combat.hit",
		"v0.rust.servers.1.players.2.events.gatheredResources",
		"v0.rust.servers.1.players.2.events.items.-3.pickup",
		"v0.rust.servers.1.players.2.events.items.3.loot",
		"v0.rust.servers.1.players.2.events.items.3.crafted",
		"v0.rust.servers.1.players.2.events.reported",
		"v0.rust.servers.1.players.2.events.banned",
		"v0.rust.servers.1.players.2.events.unbanned",
	};
	const struct projection *table[] = { P, NULL };
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(registry_check(table, err, sizeof(err)), 0);
	assert_string_equal(P->name, "session_history");
	assert_int_equal(P->version, 1);
	assert_string_equal(P->tables[0], "server_state");
	assert_string_equal(P->tables[1], "session_history");
	assert_null(P->tables[2]);
	assert_non_null(P->parked);
	/* Every recognised shape: servers has a row for each. */
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_true(registry_wants(P, all[i]));
	assert_false(registry_wants(P, "v0.rust.servers.1.events.stopping"));
	assert_ptr_equal(projections_builtin[0], P);
}

static void
test_session_basic(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "alice");
	assert_string_equal(sessions(f),
	    "101|" A "|alice|" T("12:00:00") "|NULL|NULL|NULL");
	assert_string_equal(servers(f), "101|unknown|NULL|NULL|0|1");
	/* duration_s to the millisecond; an offset is converted to UTC. */
	disc(f, "101", A, "2026-11-01T13:01:30.25+01:00", "Timed Out");
	assert_string_equal(sessions(f), "101|" A "|alice|" T("12:00:00")
	    "|2026-11-01T12:01:30.250Z|90.25|Timed Out");
	assert_string_equal(servers(f), "101|unknown|NULL|NULL|0|0");
	/* No reason: "disconnected". */
	conn(f, "101", A, T("12:05:00"), "alice");
	disc(f, "101", A, "2026-11-01T12:05:00.001Z", NULL);
	assert_string_equal(testdb_rows(f->db, "SELECT duration_s, end_reason"
	    " FROM session_history WHERE seq = 3", f->buf, sizeof(f->buf)),
	    "0.001|disconnected");
	/* An empty reason is a reason. */
	conn(f, "101", A, T("12:06:00"), "alice");
	disc(f, "101", A, T("12:07:00"), "");
	assert_string_equal(testdb_rows(f->db, "SELECT end_reason"
	    " FROM session_history WHERE seq = 5", f->buf, sizeof(f->buf)), "");
}

/* player.address is never written, in any table. */
static void
test_no_address(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "alice");
	disc(f, "101", A, T("12:00:01"), "x");
	testdb_dump(f->db, f->buf, sizeof(f->buf));
	assert_non_null(strstr(f->buf, "alice"));
	assert_null(strstr(f->buf, "203.0.113"));
}

static void
test_connect_fields(void **state)
{
	struct testdb_fx *f = *state;

	/* player or player.name missing or null: a session without a name. */
	testdb_fx_ok(f, "v0.rust.servers.1.players." A ".events.connected",
	    "{\"connected_timestamp\":\"" T("12:00:00") "\"}");
	testdb_fx_ok(f, "v0.rust.servers.1.players." B ".events.connected",
	    "{\"connected_timestamp\":\"" T("12:00:00") "\",\"player\":null}");
	testdb_fx_ok(f, "v0.rust.servers.2.players." A ".events.connected",
	    "{\"connected_timestamp\":\"" T("12:00:00") "\","
	    "\"player\":{\"name\":null}}");
	/* A timestamp that is not ISO, or not a string: the stored time. */
	testdb_fx_ok(f, "v0.rust.servers.2.players." B ".events.connected",
	    "{\"connected_timestamp\":\"6/17/2023 5:04:12 PM\","
	    "\"player\":{\"name\":\"bob\"}}");
	testdb_fx_ok(f, "v0.rust.servers.3.players." B ".events.connected",
	    "{\"connected_timestamp\":1687014252,\"player\":{\"name\":\"b\"}}");
	/* The plain timestamp is the fallback. */
	testdb_fx_ok(f, "v0.rust.servers.4.players." B ".events.connected",
	    "{\"timestamp\":\"" T("12:30:00") "\"}");
	assert_string_equal(sessions(f),
	    "1|" A "|NULL|" T("12:00:00") "|NULL|NULL|NULL\n"
	    "1|" B "|NULL|" T("12:00:00") "|NULL|NULL|NULL\n"
	    "2|" A "|NULL|" T("12:00:00") "|NULL|NULL|NULL\n"
	    "2|" B "|bob|2023-06-17T15:04:12.001Z|NULL|NULL|NULL\n"
	    "3|" B "|b|2023-06-17T15:04:12.001Z|NULL|NULL|NULL\n"
	    "4|" B "|NULL|" T("12:30:00") "|NULL|NULL|NULL");
}

/* Rule 1: a connect supersedes the pair's open sessions up to its time. */
static void
test_superseded(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "alice");
	conn(f, "101", B, T("12:00:30"), "bob");
	conn(f, "102", A, T("12:00:40"), "alice");
	conn(f, "101", A, T("12:01:00"), "alice2");
	assert_string_equal(sessions(f),
	    "101|" A "|alice|" T("12:00:00") "|" T("12:01:00") "|60|superseded\n"
	    "101|" B "|bob|" T("12:00:30") "|NULL|NULL|NULL\n"
	    "102|" A "|alice|" T("12:00:40") "|NULL|NULL|NULL\n"
	    "101|" A "|alice2|" T("12:01:00") "|NULL|NULL|NULL");
	/* A connect that is late (earlier time) leaves later sessions open. */
	conn(f, "101", A, T("12:00:50"), "late");
	assert_string_equal(testdb_rows(f->db, "SELECT name, disconnected_at"
	    " FROM session_history WHERE steam_id = '" A "' AND server_id = '101'"
	    " ORDER BY seq", f->buf, sizeof(f->buf)),
	    "alice|" T("12:01:00") "\nalice2|NULL\nlate|NULL");
	/* The same time: the older one is closed at once. */
	conn(f, "101", B, T("12:00:30"), "bob2");
	assert_string_equal(testdb_rows(f->db, "SELECT name, disconnected_at,"
	    " duration_s, end_reason FROM session_history"
	    " WHERE steam_id = '" B "' ORDER BY seq", f->buf, sizeof(f->buf)),
	    "bob|" T("12:00:30") "|0|superseded\nbob2|NULL|NULL|NULL");
	assert_string_equal(servers(f),
	    "101|unknown|NULL|NULL|0|3\n102|unknown|NULL|NULL|0|1");
}

/* Rule 2: a late disconnect replaces a provisional close at or after it. */
static void
test_late_disconnect_superseded(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "one");
	conn(f, "101", A, T("12:10:00"), "two");
	/* Sent before the reconnect, arrived after it. */
	disc(f, "101", A, T("12:05:00"), "Connection lost");
	assert_string_equal(sessions(f),
	    "101|" A "|one|" T("12:00:00") "|" T("12:05:00")
	    "|300|Connection lost\n"
	    "101|" A "|two|" T("12:10:00") "|NULL|NULL|NULL");
	/* A provisional close exactly at the disconnect's time is replaced. */
	conn(f, "102", A, T("12:00:00"), "one");
	conn(f, "102", A, T("12:10:00"), "two");
	disc(f, "102", A, T("12:10:00"), "Kicked");
	assert_string_equal(testdb_rows(f->db, "SELECT name, disconnected_at,"
	    " end_reason FROM session_history WHERE server_id = '102'"
	    " ORDER BY seq", f->buf, sizeof(f->buf)),
	    "one|" T("12:10:00") "|superseded\ntwo|" T("12:10:00") "|Kicked");
}

static void
test_late_disconnect_restart(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "alice");
	server_event(f, "101", "started", T("12:20:00"));
	assert_string_equal(sessions(f), "101|" A "|alice|" T("12:00:00") "|"
	    T("12:20:00") "|1200|server_started");
	disc(f, "101", A, T("12:15:00"), "Server restarting");
	assert_string_equal(sessions(f), "101|" A "|alice|" T("12:00:00") "|"
	    T("12:15:00") "|900|Server restarting");
	/* Once a real disconnect closed it, another one changes nothing. */
	disc(f, "101", A, T("12:14:00"), "again");
	disc(f, "101", A, T("12:16:00"), "again");
	assert_string_equal(sessions(f), "101|" A "|alice|" T("12:00:00") "|"
	    T("12:15:00") "|900|Server restarting");
}

/* Rule 2's third case: nothing to close. */
static void
test_disconnect_changes_nothing(void **state)
{
	struct testdb_fx *f = *state;
	int before;

	/* No session at all, or none that connected at or before it. */
	disc(f, "101", A, T("12:00:00"), "x");
	conn(f, "101", A, T("12:10:00"), "alice");
	before = sqlite3_total_changes(f->db);
	disc(f, "101", A, T("12:09:59"), "x");
	/* Only the server's row is touched. */
	assert_int_equal(sqlite3_total_changes(f->db), before + 1);
	assert_string_equal(sessions(f),
	    "101|" A "|alice|" T("12:10:00") "|NULL|NULL|NULL");
	/* Provisionally closed before the disconnect's time: it stays. */
	server_event(f, "101", "stopped", T("12:20:00"));
	disc(f, "101", A, T("12:25:00"), "late but after");
	assert_string_equal(sessions(f), "101|" A "|alice|" T("12:10:00") "|"
	    T("12:20:00") "|600|server_stopped");
	/* Another server's or another player's sessions are not touched. */
	conn(f, "102", B, T("12:30:00"), "bob");
	disc(f, "101", B, T("12:31:00"), "x");
	disc(f, "102", A, T("12:31:00"), "x");
	assert_string_equal(testdb_rows(f->db, "SELECT disconnected_at FROM"
	    " session_history WHERE server_id = '102'", f->buf, sizeof(f->buf)),
	    "NULL");
}

/* Rule 2's tie: the session created last among those connected at t. */
static void
test_disconnect_tie(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "first");
	server_event(f, "101", "stopped", T("12:00:10"));
	conn(f, "101", A, T("12:00:00"), "second");
	disc(f, "101", A, T("12:00:05"), "bye");
	assert_string_equal(testdb_rows(f->db, "SELECT name, disconnected_at,"
	    " end_reason FROM session_history ORDER BY seq", f->buf,
	    sizeof(f->buf)),
	    "first|" T("12:00:10") "|server_stopped\n"
	    "second|" T("12:00:05") "|bye");
}

/* Rule 3, and the servers row. */
static void
test_server_restart(void **state)
{
	struct testdb_fx *f = *state;

	conn(f, "101", A, T("12:00:00"), "alice");
	conn(f, "101", B, T("12:06:00"), "bob");
	conn(f, "102", A, T("12:00:00"), "alice");
	server_event(f, "101", "started", T("12:05:00"));
	/* Only 101's sessions that connected at or before 12:05. */
	assert_string_equal(testdb_rows(f->db, "SELECT server_id, steam_id,"
	    " disconnected_at, end_reason FROM session_history ORDER BY seq",
	    f->buf, sizeof(f->buf)),
	    "101|" A "|" T("12:05:00") "|server_started\n"
	    "101|" B "|NULL|NULL\n"
	    "102|" A "|NULL|NULL");
	assert_string_equal(servers(f), "101|online|" T("12:05:00")
	    "|NULL|0|1\n102|unknown|NULL|NULL|0|1");
	server_event(f, "101", "stopped", T("12:07:00"));
	assert_string_equal(testdb_rows(f->db, "SELECT disconnected_at,"
	    " duration_s, end_reason FROM session_history WHERE seq = 2",
	    f->buf, sizeof(f->buf)), T("12:07:00") "|60|server_stopped");
	assert_string_equal(servers(f), "101|offline|" T("12:05:00") "|"
	    T("12:07:00") "|0|0\n102|unknown|NULL|NULL|0|1");
	/* Status is the last in stream order; times the greatest. */
	server_event(f, "101", "started", T("12:01:00"));
	assert_string_equal(servers(f), "101|online|" T("12:05:00") "|"
	    T("12:07:00") "|0|0\n102|unknown|NULL|NULL|0|1");
	server_event(f, "101", "stopped", T("12:06:30"));
	server_event(f, "101", "started", T("12:09:00"));
	assert_string_equal(servers(f), "101|online|" T("12:09:00") "|"
	    T("12:07:00") "|0|0\n102|unknown|NULL|NULL|0|1");
	/*
	 * A null payload is valid: the stored time, here before 102's
	 * session connected, which stays open.
	 */
	testdb_fx_ok(f, "v0.rust.servers.102.events.stopped", "null");
	assert_string_equal(servers(f), "101|online|" T("12:09:00") "|"
	    T("12:07:00") "|0|0\n102|offline|NULL|2023-06-17T15:04:12.001Z|0|1");
	assert_string_equal(testdb_rows(f->db, "SELECT end_reason FROM"
	    " session_history WHERE server_id = '102'", f->buf, sizeof(f->buf)),
	    "NULL");
}

/* Every recognised event registers its server, parked or not. */
static void
test_servers_registered(void **state)
{
	struct testdb_fx *f = *state;
	struct testdb_event te;

	testdb_fx_ok(f, "v0.rust.servers.a.events.wiped", "null");
	testdb_fx_ok(f, "v0.rust.servers.b.events.command", "not json");
	testdb_fx_ok(f, "v0.rust.servers.c.events.player." A ".chatted",
	    "{\"player_name\":42}");
	testdb_fx_ok(f, "v0.rust.servers.d.players." A ".events.combat.hit",
	    "{\"player_hit\":{\"isKill\":\"true\"}}");
	testdb_fx_ok(f, "v0.rust.servers.e.players." A
	    ".events.items.-1.pickup", "[]");
	testdb_fx_ok(f, "v0.rust.servers.f.players." A ".events.respawned",
	    "null");
	testdb_fx_ok(f, "v0.rust.servers.g.players." A
	    ".events.gatheredResources", "{}");
	testdb_fx_ok(f, "v0.rust.servers.h.players." A ".events.reported",
	    "{}");
	testdb_fx_ok(f, "v0.rust.servers.i.players." A ".events.banned", "{}");
	testdb_fx_ok(f, "v0.rust.servers.j.players." A ".events.unbanned",
	    "{}");
	testdb_fx_ok(f, "v0.rust.servers.k.players." A ".events.items.1.loot",
	    "{}");
	testdb_fx_ok(f, "v0.rust.servers.l.players." A
	    ".events.items.1.crafted", "{}");
	/* Unknown subjects register nothing. */
	testdb_fx_ok(f, "v0.rust.servers.x.events.stopping", "{}");
	testdb_fx_ok(f, "v0.rust.servers.y.players." A ".events.chatted", "{}");
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM servers"
	    " WHERE status = 'unknown' AND online_players = 0"), 12);
	assert_int_equal(testdb_int(f->db, "SELECT count(*) FROM servers"
	    " WHERE server_id IN ('x', 'y')"), 0);

	/* The parked hook registers a parked event's server, and only that. */
	testdb_event_init(&te, 99, STORED, "v0.rust.servers.p.events.started",
	    "\"just a string\"");
	assert_int_equal(P->apply(f->state, &te.ev, f->err, sizeof(f->err)),
	    PROJ_POISON);
	assert_int_equal(P->parked(f->state, &te.ev, f->err, sizeof(f->err)),
	    PROJ_OK);
	testdb_event_release(&te);
	testdb_event_init(&te, 100, STORED, "v0.rust.servers.q.events.x", "{");
	assert_int_equal(P->parked(f->state, &te.ev, f->err, sizeof(f->err)),
	    PROJ_OK);
	testdb_event_release(&te);
	assert_string_equal(testdb_rows(f->db, "SELECT * FROM servers"
	    " WHERE server_id IN ('p', 'q')", f->buf, sizeof(f->buf)),
	    "p|unknown|NULL|NULL|0|0");
	/* A parked event changes no status. */
	conn(f, "101", A, T("12:00:00"), "alice");
	testdb_event_init(&te, 101, STORED, "v0.rust.servers.101.events.started",
	    "[]");
	assert_int_equal(P->parked(f->state, &te.ev, f->err, sizeof(f->err)),
	    PROJ_OK);
	testdb_event_release(&te);
	assert_string_equal(testdb_rows(f->db, "SELECT * FROM servers"
	    " WHERE server_id = '101'", f->buf, sizeof(f->buf)),
	    "101|unknown|NULL|NULL|0|1");
}

static void
test_poison(void **state)
{
	struct testdb_fx *f = *state;
	const char *c = "v0.rust.servers.1.players." A ".events.connected";
	const char *d = "v0.rust.servers.1.players." A ".events.disconnected";
	const char *const kinds[] = { "v0.rust.servers.1.events.started",
	    "v0.rust.servers.1.events.stopped", c, d };
	size_t i;

	/* Something to leave untouched. */
	conn(f, "1", A, T("12:00:00"), "alice");
	for (i = 0; i < 4; i++) {
		testdb_fx_poison(f, kinds[i], "{\"timestamp\":",
		    "payload is not valid JSON");
		testdb_fx_poison(f, kinds[i], "", "payload is empty, not JSON");
		testdb_fx_poison(f, kinds[i], "{\"a\":\"\\u0000\"}",
		    "payload is not valid JSON");
		testdb_fx_poison(f, kinds[i], "\"just a string\"",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "[]",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "42",
		    "payload is not a JSON object");
		testdb_fx_poison(f, kinds[i], "false",
		    "payload is not a JSON object");
	}
	/* null is valid for started and stopped only. */
	testdb_fx_poison(f, c, "null", "payload is not a JSON object");
	testdb_fx_poison(f, d, "null", "payload is not a JSON object");
	/* The fields it reads, whatever the others say. */
	testdb_fx_poison(f, c, "{\"player\":\"alice\"}",
	    "player is not an object");
	testdb_fx_poison(f, c, "{\"player\":[]}", "player is not an object");
	testdb_fx_poison(f, c, "{\"player\":7}", "player is not an object");
	testdb_fx_poison(f, c, "{\"player\":true}", "player is not an object");
	testdb_fx_poison(f, c, "{\"player\":{\"name\":42}}",
	    "player.name is not a string");
	testdb_fx_poison(f, c, "{\"player\":{\"name\":{}}}",
	    "player.name is not a string");
	testdb_fx_poison(f, c, "{\"player\":{\"name\":[\"a\"]}}",
	    "player.name is not a string");
	testdb_fx_poison(f, c, "{\"player\":{\"name\":false}}",
	    "player.name is not a string");
	testdb_fx_poison(f, d, "{\"reason\":7}", "reason is not a string");
	testdb_fx_poison(f, d, "{\"reason\":{\"text\":\"x\"}}",
	    "reason is not a string");
	testdb_fx_poison(f, d,
	    "{\"reason\":true,\"disconnected_timestamp\":\"" T("12:01:00")
	    "\"}", "reason is not a string");
	assert_string_equal(sessions(f),
	    "1|" A "|alice|" T("12:00:00") "|NULL|NULL|NULL");
	assert_string_equal(servers(f), "1|unknown|NULL|NULL|0|1");

	/* Fields it does not read, and bad timestamps, are not poison. */
	testdb_fx_ok(f, c,
	    "{\"player\":{\"name\":\"a\",\"id\":5,\"address\":[]},"
	    "\"connected_timestamp\":{}}");
	testdb_fx_ok(f, d, "{\"player\":\"x\",\"disconnected_timestamp\":5}");
	testdb_fx_ok(f, "v0.rust.servers.1.events.started",
	    "{\"timestamp\":[1]}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declaration),
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, testdb_fx_teardown)
		T_(test_session_basic),
		T_(test_no_address),
		T_(test_connect_fields),
		T_(test_superseded),
		T_(test_late_disconnect_superseded),
		T_(test_late_disconnect_restart),
		T_(test_disconnect_changes_nothing),
		T_(test_disconnect_tie),
		T_(test_server_restart),
		T_(test_servers_registered),
		T_(test_poison),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
