/*
 * test_rust_event.c: an event of the GamingAPI Rust feed as the contract
 * reads it (projections/rust_event.c, read-model.md section 2): its event
 * time, the top level of its payload, typed fields and the words of the
 * poison reasons.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rust_event.h"
#include "testdb.h"

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

/* rust_event_check() on payload for kind; "" when it passes. */
static const char *
payload_check(enum rust_kind kind, const char *payload, char *err,
    size_t errlen)
{
	struct testdb_event te;

	testdb_event_init(&te, 1, 0, "x", payload);
	err[0] = '\0';
	if (rust_event_check(&te.ev, kind, err, errlen) == 0)
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
	assert_int_equal(rust_event_field(te.ev.json, "o", RUST_OBJECT, &o, err,
	    sizeof(err)), 1);
	assert_int_equal(rust_event_field(o, "o.s", RUST_STRING, &v, err,
	    sizeof(err)), 1);
	assert_string_equal(json_string_value(v), "x");
	assert_int_equal(rust_event_field(te.ev.json, "b", RUST_BOOLEAN, &v,
	    err, sizeof(err)), 1);
	assert_true(json_is_false(v));
	assert_int_equal(rust_event_field(te.ev.json, "i", RUST_NUMBER, &v, err,
	    sizeof(err)), 1);
	assert_int_equal(rust_event_field(te.ev.json, "r", RUST_NUMBER, &v, err,
	    sizeof(err)), 1);
	/* Missing, null, or under a missing parent: 0 and NULL. */
	v = o;
	assert_int_equal(rust_event_field(te.ev.json, "missing", RUST_STRING,
	    &v, err, sizeof(err)), 0);
	assert_null(v);
	assert_int_equal(rust_event_field(te.ev.json, "z", RUST_OBJECT, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(rust_event_field(o, "o.n", RUST_NUMBER, &v, err,
	    sizeof(err)), 0);
	assert_int_equal(rust_event_field(NULL, "p.q", RUST_STRING, &v, err,
	    sizeof(err)), 0);
	assert_null(v);
	/* Another type: poison, naming the path, never the content. */
	assert_int_equal(rust_event_field(te.ev.json, "s", RUST_OBJECT, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "s is not an object");
	assert_null(v);
	assert_int_equal(rust_event_field(te.ev.json, "s", RUST_NUMBER, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "s is not a number");
	assert_int_equal(rust_event_field(te.ev.json, "i", RUST_BOOLEAN, &v,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "i is not a boolean");
	assert_int_equal(rust_event_field(te.ev.json, "b", RUST_NUMBER, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "b is not a number");
	assert_int_equal(rust_event_field(te.ev.json, "a", RUST_OBJECT, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "a is not an object");
	assert_int_equal(rust_event_field(o, "player_hit.o.s", RUST_BOOLEAN,
	    &v, err, sizeof(err)), -1);
	assert_string_equal(err, "player_hit.o.s is not a boolean");
	assert_int_equal(rust_event_field(te.ev.json, "o", RUST_STRING, &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "o is not a string");
	testdb_event_release(&te);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_time_fields),
		cmocka_unit_test(test_event_time_fallback),
		cmocka_unit_test(test_event_time_resolved),
		cmocka_unit_test(test_payload_check),
		cmocka_unit_test(test_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
