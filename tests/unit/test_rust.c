/*
 * test_rust.c: the GamingAPI helpers the projections share
 * (projections/rust.c): subject shapes, event times, payload and field
 * checks (read-model.md section 2).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rust.h"
#include "testdb.h"

#define S	"v0.rust.servers."

/* One subject of each shape, with what it must give. */
static const struct {
	const char	*subject;
	enum rust_kind	 kind;
	const char	*server, *steam, *item;
} shapes[] = {
	{ S "101.events.started", RUST_STARTED, "101", NULL, NULL },
	{ S "101.events.stopped", RUST_STOPPED, "101", NULL, NULL },
	{ S "srv-A.events.wiped", RUST_WIPED, "srv-A", NULL, NULL },
	{ S "0.events.command", RUST_COMMAND, "0", NULL, NULL },
	{ S "101.events.player.76561198000000001.chatted", RUST_CHATTED,
	  "101", "76561198000000001", NULL },
	{ S "101.players.76561198000000001.events.connected", RUST_CONNECTED,
	  "101", "76561198000000001", NULL },
	{ S "101.players.7.events.disconnected", RUST_DISCONNECTED, "101", "7",
	  NULL },
	{ S "101.players.7.events.respawned", RUST_RESPAWNED, "101", "7", NULL },
	{ S "101.players.7.events.combat.hit", RUST_HIT, "101", "7", NULL },
	{ S "101.players.7.events.gatheredResources", RUST_GATHERED, "101", "7",
	  NULL },
	{ S "101.players.7.events.items.-151838493.pickup", RUST_PICKUP, "101",
	  "7", "-151838493" },
	{ S "101.players.7.events.items.963906841.loot", RUST_LOOT, "101", "7",
	  "963906841" },
	{ S "101.players.7.events.items.-2099697608.crafted", RUST_CRAFTED,
	  "101", "7", "-2099697608" },
	{ S "101.players.7.events.reported", RUST_REPORTED, "101", "7", NULL },
	{ S "101.players.7.events.banned", RUST_BANNED, "101", "7", NULL },
	{ S "101.players.7.events.unbanned", RUST_UNBANNED, "101", "7", NULL },
	/* A parameter token may be any token, even a literal's word. */
	{ S "events.players.events.events.respawned", RUST_RESPAWNED, "events",
	  "events", NULL },
};

static void
assert_span(struct span s, const char *want)
{
	if (want == NULL) {
		assert_null(s.p);
		return;
	}
	assert_non_null(s.p);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void
test_subject_shapes(void **state)
{
	struct rust_subject sub;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		assert_int_equal(rust_subject_parse(shapes[i].subject, &sub),
		    shapes[i].kind);
		assert_int_equal(sub.kind, shapes[i].kind);
		assert_span(sub.server_id, shapes[i].server);
		assert_span(sub.steam_id, shapes[i].steam);
		assert_span(sub.item_id, shapes[i].item);
	}
}

static void
test_subject_unknown(void **state)
{
	static const char *const unknown[] = {
		"",
		"v0",
		"v0.rust.servers.101",
		S "101.events",
		S "101.events.stopping",
		S "101.events.Started",
		S "101.events.started.late",
		"v1.rust.servers.101.events.started",
		"v0.Rust.servers.101.events.started",
		"v0.rust.server.101.events.started",
		"x.v0.rust.servers.101.events.started",
		S ".events.started",
		S "101..started",
		S "101.events.started.",
		"." S "101.events.started",
		S "101.events.player.7.chatted.extra",
		S "101.events.players.7.chatted",
		S "101.events.player.7.connected",
		S "101.players.7.events.chatted",
		S "101.players.7.events.chat",
		S "101.players.7.event.connected",
		S "101.player.7.events.connected",
		S "101.players.7.events.connected.v2",
		S "101.players.7.events.combat.playerhit",
		S "101.players.7.events.combat",
		S "101.players.7.events.hit",
		S "101.players.7.events.gathered.resources",
		S "101.players.7.events.items.pickup",
		S "101.players.7.events.items.1.dropped",
		S "101.players.7.events.items.1.Pickup",
		S "101.players.7.events.item.1.pickup",
		S "101.players.7.events.items.1.pickup.x",
		S "101.players.7",
		S "101.players.7.events",
	};
	struct rust_subject sub;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		memset(&sub, 0xff, sizeof(sub));
		if (rust_subject_parse(unknown[i], &sub) != RUST_UNKNOWN)
			fail_msg("recognised: %s", unknown[i]);
		assert_null(sub.server_id.p);
		assert_null(sub.steam_id.p);
		assert_null(sub.item_id.p);
	}
}

/* The text s parses to the time want (as formatted). */
static void
assert_iso(const char *s, const char *want)
{
	char buf[RUST_TIME_LEN];
	int64_t ms;

	if (rust_time_parse(s, strlen(s), &ms) == -1)
		fail_msg("not ISO: %s", s);
	assert_int_equal(rust_time_format(ms, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void
test_time_forms(void **state)
{
	int64_t ms;

	(void)state;
	assert_iso("2023-06-17T15:04:12.001Z", "2023-06-17T15:04:12.001Z");
	assert_iso("2023-06-17T15:04:12Z", "2023-06-17T15:04:12.000Z");
	/* No zone is UTC. */
	assert_iso("2023-06-17T15:04:12", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12.5", "2023-06-17T15:04:12.500Z");
	/* Offsets, across days, months and years. */
	assert_iso("2026-11-01T14:00:00.000+02:00", "2026-11-01T12:00:00.000Z");
	assert_iso("2023-06-17T01:30:00-05:30", "2023-06-17T07:00:00.000Z");
	assert_iso("2023-01-01T01:00:00+02:00", "2022-12-31T23:00:00.000Z");
	assert_iso("2023-12-31T22:00:00-03:00", "2024-01-01T01:00:00.000Z");
	assert_iso("2024-03-01T00:10:00+00:20", "2024-02-29T23:50:00.000Z");
	assert_iso("2023-06-17T15:04:12+00:00", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12-00:00", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12.123+23:59", "2023-06-16T15:05:12.123Z");
	/* Fractions of 1 to 9+ digits, truncated to ms, never rounded. */
	assert_iso("2023-06-17T15:04:12.9Z", "2023-06-17T15:04:12.900Z");
	assert_iso("2023-06-17T15:04:12.99Z", "2023-06-17T15:04:12.990Z");
	assert_iso("2023-06-17T15:04:12.999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.9999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.99999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.999999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.9999999", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.99999999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T23:59:59.999999999Z", "2023-06-17T23:59:59.999Z");
	assert_iso("2026-11-01T12:00:00.000417Z", "2026-11-01T12:00:00.000Z");
	assert_iso("2023-06-17T15:04:12.0000000000000000000001Z",
	    "2023-06-17T15:04:12.000Z");
	/* Leap days. */
	assert_iso("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z");
	assert_iso("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z");
	/* The ends of years 0000-9999, and the epoch. */
	assert_iso("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z");
	assert_iso("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z");
	assert_iso("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_parse("1970-01-01T00:00:00Z", 20, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(rust_time_parse("2023-06-17T15:04:12.001Z", 24, &ms),
	    0);
	assert_int_equal(ms, INT64_C(1687014252001));
	/* Only len bytes count: a longer buffer is cut where len says. */
	assert_int_equal(rust_time_parse("2023-06-17T15:04:12Zjunk", 20, &ms),
	    0);
}

static void
test_time_not_iso(void **state)
{
	static const char *const bad[] = {
		"",
		"6/17/2023 5:04:12 PM",
		"17.06.2023 17:04:12",
		"2023-06-17 15:04:12",
		"2023-06-17t15:04:12Z",
		"2023-06-17T15:04:12z",
		"2023-06-17T15:04:12.Z",
		"2023-06-17T15:04:12.",
		"2023-06-17T15:04:12,5Z",
		"2023-06-17T15:04:12+0200",
		"2023-06-17T15:04:12+02",
		"2023-06-17T15:04:12+2:00",
		"2023-06-17T15:04:12+24:00",
		"2023-06-17T15:04:12+02:60",
		"2023-06-17T15:04:12 Z",
		"2023-06-17T15:04:12Z ",
		" 2023-06-17T15:04:12Z",
		"2023-06-17T15:04:12ZZ",
		"2023-06-17T15:04",
		"2023-06-17",
		"2023-6-17T15:04:12Z",
		"23-06-17T15:04:12Z",
		"+2023-06-17T15:04:12Z",
		"20230617T150412Z",
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2023-04-31T00:00:00Z",
		"2023-06-00T00:00:00Z",
		"2023-06-32T00:00:00Z",
		"2023-00-17T00:00:00Z",
		"2023-13-17T00:00:00Z",
		"2023-06-17T24:00:00Z",
		"2023-06-17T15:60:00Z",
		"2023-06-17T15:04:60Z",
		"2023-06-17T15:04:1aZ",
		"2023-06-17T15:04:12.12a",
		"0000-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59-00:01",
	};
	int64_t ms = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rust_time_parse(bad[i], strlen(bad[i]), &ms) != -1)
			fail_msg("ISO: \"%s\"", bad[i]);
	}
	assert_int_equal(ms, 42);
}

static void
test_time_format(void **state)
{
	char buf[RUST_TIME_LEN], small[RUST_TIME_LEN - 1];
	int64_t ms, back;

	(void)state;
	assert_int_equal(rust_time_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(rust_time_format(-1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_format(-86400000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T00:00:00.000Z");
	assert_int_equal(rust_time_format(INT64_C(951782400000), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
	/* Years 0000-9999 only. */
	assert_int_equal(rust_time_format(INT64_C(-62167219200000), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "0000-01-01T00:00:00.000Z");
	assert_int_equal(rust_time_format(INT64_C(-62167219200001), buf,
	    sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_C(253402300799999), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_format(INT64_C(253402300800000), buf,
	    sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_MAX, buf, sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_MIN, buf, sizeof(buf)), -1);
	assert_int_equal(rust_time_format(0, small, sizeof(small)), -1);
	/* Parse and format are inverses, every ~3.2 days over 0000-9999. */
	for (ms = INT64_C(-62167219200000); ms < INT64_C(253402300799999);
	    ms += INT64_C(277777777777)) {
		assert_int_equal(rust_time_format(ms, buf, sizeof(buf)), 0);
		assert_int_equal(rust_time_parse(buf, strlen(buf), &back), 0);
		assert_int_equal(back, ms);
	}
}

/* The event time of payload for the subject of kind, as formatted. */
static const char *
event_time(enum rust_kind kind, const char *payload, int64_t stored,
    char *buf)
{
	struct testdb_event te;
	int64_t ms;

	testdb_event_init(&te, 1, stored, "unused", payload);
	ms = rust_event_ms(&te.ev, kind);
	testdb_event_release(&te);
	if (rust_time_format(ms, buf, RUST_TIME_LEN) == -1)
		return "out of range";
	return buf;
}

#define STORED		INT64_C(1687014252001)	/* 2023-06-17T15:04:12.001Z */
#define STORED_TEXT	"2023-06-17T15:04:12.001Z"

static void
test_event_time_fields(void **state)
{
	static const struct {
		enum rust_kind	 kind;
		const char	*field;
	} fields[] = {
		{ RUST_STARTED, "timestamp" }, { RUST_STOPPED, "timestamp" },
		{ RUST_WIPED, "timestamp" }, { RUST_COMMAND, "timestamp" },
		{ RUST_CHATTED, "timestamp" }, { RUST_REPORTED, "timestamp" },
		{ RUST_BANNED, "timestamp" }, { RUST_UNBANNED, "timestamp" },
		{ RUST_CONNECTED, "connected_timestamp" },
		{ RUST_DISCONNECTED, "disconnected_timestamp" },
		{ RUST_RESPAWNED, "respawn_timestamp" },
		{ RUST_HIT, "hit_timestamp" },
		{ RUST_GATHERED, "gathered_timestamp" },
		{ RUST_PICKUP, "pickup_timestamp" },
		{ RUST_LOOT, "loot_timestamp" },
		{ RUST_CRAFTED, "craft_timestamp" },
	};
	char buf[RUST_TIME_LEN], payload[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* The kind's own field. */
		snprintf(payload, sizeof(payload),
		    "{\"%s\":\"2020-01-02T03:04:05.678Z\"}", fields[i].field);
		assert_string_equal(event_time(fields[i].kind, payload, STORED,
		    buf), "2020-01-02T03:04:05.678Z");
		/* It wins over a plain timestamp. */
		if (strcmp(fields[i].field, "timestamp") != 0) {
			snprintf(payload, sizeof(payload),
			    "{\"timestamp\":\"2021-01-01T00:00:00Z\","
			    "\"%s\":\"2020-01-02T03:04:05.678Z\"}",
			    fields[i].field);
			assert_string_equal(event_time(fields[i].kind, payload,
			    STORED, buf), "2020-01-02T03:04:05.678Z");
		}
		/* A plain timestamp is the fallback of every kind. */
		assert_string_equal(event_time(fields[i].kind,
		    "{\"timestamp\":\"2021-01-01T00:00:00+01:00\"}", STORED,
		    buf), "2020-12-31T23:00:00.000Z");
	}
	/* Another kind's field is not this kind's. */
	assert_string_equal(event_time(RUST_CRAFTED,
	    "{\"crafted_timestamp\":\"2020-01-01T00:00:00Z\"}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_HIT,
	    "{\"connected_timestamp\":\"2020-01-01T00:00:00Z\"}", STORED, buf),
	    STORED_TEXT);
}

static void
test_event_time_fallback(void **state)
{
	char buf[RUST_TIME_LEN];

	(void)state;
	/* The kind's field is not ISO: the plain timestamp, if ISO. */
	assert_string_equal(event_time(RUST_CONNECTED,
	    "{\"connected_timestamp\":\"6/17/2023 5:04:12 PM\","
	    "\"timestamp\":\"2020-01-01T00:00:00Z\"}", STORED, buf),
	    "2020-01-01T00:00:00.000Z");
	assert_string_equal(event_time(RUST_CONNECTED,
	    "{\"connected_timestamp\":1687014252,"
	    "\"timestamp\":\"2020-01-01T00:00:00Z\"}", STORED, buf),
	    "2020-01-01T00:00:00.000Z");
	/* Otherwise the stored time, whatever is wrong. */
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":\"6/17/2023 5:04:12 PM\"}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":\"17.06.2023 17:04:12\"}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":\"2023-02-29T00:00:00Z\"}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_CONNECTED,
	    "{\"connected_timestamp\":\"6/17/2023 5:04:12 PM\","
	    "\"timestamp\":\"bad\"}", STORED, buf), STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED, "{}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED, "{\"timestamp\":null}",
	    STORED, buf), STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED, "{\"timestamp\":12}",
	    STORED, buf), STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED, "{\"timestamp\":true}",
	    STORED, buf), STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":[\"2020-01-01T00:00:00Z\"]}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":{\"at\":\"2020-01-01T00:00:00Z\"}}", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_WIPED, "null", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "\"2020-01-01T00:00:00Z\"", STORED, buf), STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "[{\"timestamp\":\"2020-01-01T00:00:00Z\"}]", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_STARTED,
	    "{\"timestamp\":\"2020-01-01T00:00:00Z\"", STORED, buf),
	    STORED_TEXT);
	assert_string_equal(event_time(RUST_UNKNOWN,
	    "{\"timestamp\":\"2020-01-01T00:00:00Z\"}", STORED, buf),
	    "2020-01-01T00:00:00.000Z");
}

static void
test_event_time_resolved(void **state)
{
	struct testdb_event te;
	struct rust_time t;
	char err[128];

	(void)state;
	testdb_event_init(&te, 1, STORED, "x",
	    "{\"hit_timestamp\":\"2023-06-17T17:04:12.5+02:00\"}");
	assert_int_equal(rust_event_time(&te.ev, RUST_HIT, &t, err,
	    sizeof(err)), 0);
	assert_int_equal(t.ms, INT64_C(1687014252500));
	assert_string_equal(t.text, "2023-06-17T15:04:12.500Z");
	testdb_event_release(&te);

	/* A stored time that no TEXT time can spell cannot be folded. */
	testdb_event_init(&te, 1, INT64_C(253402300800000), "x", "{}");
	assert_int_equal(rust_event_time(&te.ev, RUST_HIT, &t, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "stored time is out of range");
	testdb_event_release(&te);
}

/* rust_payload_check() on payload for kind; "" when it passes. */
static const char *
payload_check(enum rust_kind kind, const char *payload, char *err,
    size_t errlen)
{
	struct testdb_event te;

	testdb_event_init(&te, 1, 0, "x", payload);
	err[0] = '\0';
	if (rust_payload_check(&te.ev, kind, err, errlen) == 0)
		snprintf(err, errlen, "%s", "");
	else if (err[0] == '\0')
		snprintf(err, errlen, "(no reason)");
	testdb_event_release(&te);
	return err;
}

static void
test_payload_check(void **state)
{
	static const enum rust_kind kinds[] = { RUST_COMMAND, RUST_CHATTED,
	    RUST_CONNECTED, RUST_DISCONNECTED, RUST_RESPAWNED, RUST_HIT,
	    RUST_GATHERED, RUST_PICKUP, RUST_LOOT, RUST_CRAFTED,
	    RUST_REPORTED, RUST_BANNED, RUST_UNBANNED };
	char err[256];
	size_t i;

	(void)state;
	assert_string_equal(payload_check(RUST_HIT, "{}", err, sizeof(err)), "");
	/* null is a valid payload for started, stopped and wiped only. */
	assert_string_equal(payload_check(RUST_STARTED, "null", err,
	    sizeof(err)), "");
	assert_string_equal(payload_check(RUST_STOPPED, " null ", err,
	    sizeof(err)), "");
	assert_string_equal(payload_check(RUST_WIPED, "null", err, sizeof(err)),
	    "");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		assert_string_equal(payload_check(kinds[i], "null", err,
		    sizeof(err)), "payload is not a JSON object");
	assert_string_equal(payload_check(RUST_STARTED, "\"just a string\"",
	    err, sizeof(err)), "payload is not a JSON object");
	assert_string_equal(payload_check(RUST_WIPED, "[]", err, sizeof(err)),
	    "payload is not a JSON object");
	assert_string_equal(payload_check(RUST_HIT, "42", err, sizeof(err)),
	    "payload is not a JSON object");
	assert_string_equal(payload_check(RUST_STOPPED, "true", err,
	    sizeof(err)), "payload is not a JSON object");
	/* Invalid JSON: the decoder's reason. */
	assert_string_equal(payload_check(RUST_STARTED, "", err, sizeof(err)),
	    "payload is empty, not JSON");
	assert_non_null(strstr(payload_check(RUST_CONNECTED,
	    "{\"player\":{\"id\":", err, sizeof(err)),
	    "payload is not valid JSON"));
	assert_non_null(strstr(payload_check(RUST_WIPED, "{\"a\":\"\\u0000\"}",
	    err, sizeof(err)), "payload is not valid JSON"));
	assert_non_null(strstr(payload_check(RUST_WIPED, "nul", err,
	    sizeof(err)), "payload is not valid JSON"));
}

static void
test_field(void **state)
{
	const char *payload = "{\"o\":{\"s\":\"x\",\"n\":null},\"s\":\"secret"
	    " text\",\"b\":false,\"i\":1,\"r\":1.5,\"a\":[1],\"z\":null}";
	struct testdb_event te;
	const json_t *v, *o;
	char err[128];

	(void)state;
	testdb_event_init(&te, 1, 0, "x", payload);
	assert_non_null(te.ev.json);
	/* Present with the type. */
	assert_int_equal(rust_field(te.ev.json, "o", RUST_OBJECT, &o, err,
	    sizeof(err)), 1);
	assert_int_equal(rust_field(o, "o.s", RUST_STRING, &v, err,
	    sizeof(err)), 1);
	assert_string_equal(json_string_value(v), "x");
	assert_int_equal(rust_field(te.ev.json, "b", RUST_BOOLEAN, &v, err,
	    sizeof(err)), 1);
	assert_true(json_is_false(v));
	assert_int_equal(rust_field(te.ev.json, "i", RUST_NUMBER, &v, err,
	    sizeof(err)), 1);
	assert_int_equal(rust_field(te.ev.json, "r", RUST_NUMBER, &v, err,
	    sizeof(err)), 1);
	/* Missing, null, or under a missing parent: 0 and NULL. */
	v = o;
	assert_int_equal(rust_field(te.ev.json, "missing", RUST_STRING, &v,
	    err, sizeof(err)), 0);
	assert_null(v);
	assert_int_equal(rust_field(te.ev.json, "z", RUST_OBJECT, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(rust_field(o, "o.n", RUST_NUMBER, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(rust_field(NULL, "p.q", RUST_STRING, &v, err,
	    sizeof(err)), 0);
	assert_null(v);
	/* Another type: poison, naming the path, never the content. */
	assert_int_equal(rust_field(te.ev.json, "s", RUST_OBJECT, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "s is not an object");
	assert_null(v);
	assert_int_equal(rust_field(te.ev.json, "s", RUST_NUMBER, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "s is not a number");
	assert_int_equal(rust_field(te.ev.json, "i", RUST_BOOLEAN, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "i is not a boolean");
	assert_int_equal(rust_field(te.ev.json, "b", RUST_NUMBER, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "b is not a number");
	assert_int_equal(rust_field(te.ev.json, "a", RUST_OBJECT, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "a is not an object");
	assert_int_equal(rust_field(o, "player_hit.o.s", RUST_BOOLEAN, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "player_hit.o.s is not a boolean");
	assert_int_equal(rust_field(te.ev.json, "o", RUST_STRING, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "o is not a string");
	testdb_event_release(&te);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_shapes),
		cmocka_unit_test(test_subject_unknown),
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_not_iso),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_event_time_fields),
		cmocka_unit_test(test_event_time_fallback),
		cmocka_unit_test(test_event_time_resolved),
		cmocka_unit_test(test_payload_check),
		cmocka_unit_test(test_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
