/*
 * test_hostile.c: hostile payloads in a live stream (issue 4, scenario 3).
 *
 * The 600-event fixture goes through `projector run` with 50 hostile
 * events interleaved at known positions: JSON that is invalid,
 * truncated, not UTF-8, holding NUL bytes, 10,000 levels deep, integers
 * beyond 64 bits, a 1 MiB string, a payload exactly at the server's
 * max_payload (2 MiB, set in the server's configuration), empty payloads,
 * payloads that are not objects, a wrong type in each field a projection
 * reads, and duplicate keys; with valid payloads at the limits (64 levels,
 * exactly 1 MiB) beside them.
 *
 * The oracle is the contract (read-model.md section 2, "Bad input", and
 * section 3): every hostile event uses server 900 and players of its own,
 * which the fixture never names, so
 * - wipes, session_history and leaderboard answer exactly expected.json;
 * - servers answers expected.json plus one row for server 900, which every
 *   recognised event registers, parked or not (status unknown: no started
 *   or stopped event of it is valid);
 * - player_profiles answers expected.json plus the rows of the hostile
 *   events that player_profiles itself does not park (a wrong type in a
 *   field only leaderboard or session_history reads, a valid payload at a
 *   limit, duplicate keys whose last value is right);
 * - parked answers expected.json with its sequences moved to where the
 *   fixture's events landed, plus one row per (projection, hostile event)
 *   the contract calls poison for it, with a reason that names the rule or
 *   the field and never quotes the payload.
 * The first 500 fixture events and the hostile ones are published before
 * the projector starts, so that one fetch holds them all; the last 100
 * come while it runs, and the same process must apply them. Its peak
 * memory (VmHWM) stays under a bound, also when 48 payloads at
 * max_payload come in a row (test_hostile_flood), and a projector built
 * with sanitizers reports nothing.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build).
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
#include <nats/nats.h>

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "probe.h"
#include "publish.h"
#include "rust_subject.h"

#define HOSTILE_SERVER		"900"
#define HOSTILE_TIME		"2026-11-02T01:00:00.000Z"
#define HOSTILE_VICTIM		"76561199800000001"
/* A player named only by events player_profiles parks: never a row. */
#define HOSTILE_GHOST		"76561199800000002"
#define HOSTILE_MIB		(1024 * 1024)
/* Set in the server's configuration; one hostile payload is this long. */
#define HOSTILE_MAX_PAYLOAD	(2 * HOSTILE_MIB)
/* Fixture events published with the hostile ones; the rest come after. */
#define HOSTILE_FIRST_PART	500
/* Hostile event h goes after fixture event HOSTILE_AT(h). */
#define HOSTILE_AT(h)		(4 + 9 * (h))
/* Payloads at max_payload in a row, 96 MiB: more than the memory bound. */
#define HOSTILE_FLOOD		48
#define HOSTILE_FLOOD_WAIT_MS	2000	/* their batch.max_wait_ms */

/*
 * The peak resident memory allowed, in KiB: 64 MiB and four payloads at
 * max_payload. The program with its libraries, SQLite's page cache (2 MiB
 * by default) and cnats's buffers take some 19 MiB in the plain build;
 * beyond that the projector needs one fetched batch and one decoded
 * payload at a time. Four payloads leave room for a batch bounded in bytes
 * to hold a few of the largest; a batch bounded only in messages (1000 by
 * default) could hold 1000 of them, 2 GiB here, which test_hostile_flood
 * shows. AddressSanitizer adds shadow memory and redzones and keeps freed
 * blocks in a quarantine of up to 256 MiB, so its builds get that much
 * more: there the bound only catches gross growth, the plain build
 * measures.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_BASE_KIB ((64 + 256) * 1024L)
#else
#define HOSTILE_BASE_KIB (64 * 1024L)
#endif
#define HOSTILE_HWM_KIB (HOSTILE_BASE_KIB + 4L * HOSTILE_MAX_PAYLOAD / 1024)

/* The projections that park a hostile event. */
#define PARK_SH		0x1	/* session_history */
#define PARK_PP		0x2	/* player_profiles */
#define PARK_LB		0x4	/* leaderboard */

/* The nats-server of this test: the tests' usual one, 2 MiB payloads. */
static const char hostile_natsd_conf[] =
	"server_name: projector-hostile\n"
	"host: 127.0.0.1\n"
	"jetstream: enabled\n"
	"max_payload: 2097152\n";

/* Payloads built at run time, being too long to write out. */
enum hostile_gen {
	GEN_NONE = 0,
	GEN_DEEP,		/* 10,000 nested arrays */
	GEN_DEPTH_64,		/* valid: an object, 63 nested arrays */
	GEN_DEPTH_65,		/* one level more */
	GEN_MIB_STRING,		/* a player_name of 1 MiB */
	GEN_EXACT_MIB,		/* a valid chat of exactly 1 MiB */
	GEN_MIB_PLUS_ONE,	/* the same, one byte longer */
	GEN_MAX_PAYLOAD		/* a hit of HOSTILE_MAX_PAYLOAD bytes */
};

struct hostile {
	const char	*what;
	const char	*kind;		/* see hostile_subject() */
	const char	*payload;	/* the bytes, for GEN_NONE */
	size_t		 len;
	enum hostile_gen gen;
	unsigned	 parked;	/* PARK_* */
	const char	*reason;	/* in the reason of each parking */
	/* What player_profiles keeps of it, when it does not park it: */
	int		 seen;		/* a row for its player */
	const char	*name;		/* its name there */
	int		 chats;		/* its chat_messages */
	int		 victim;	/* a row for HOSTILE_VICTIM */
};

#define BYTES(s)	.payload = (s), .len = sizeof(s) - 1
#define HT		HOSTILE_TIME
#define HV		HOSTILE_VICTIM
#define HG		HOSTILE_GHOST
#define NOT_JSON	"payload is not valid JSON"
#define NOT_OBJECT	"payload is not a JSON object"
#define TOO_DEEP	"payload nests deeper than 64 levels"
#define TOO_LARGE	"payload is larger than 1 MiB"
#define EMPTY		"payload is empty"
/* A kill of HOSTILE_VICTIM by the subject's player, but for one field. */
#define KILL_BUT(field)	"{\"hit_timestamp\":\"" HT "\"," \
	"\"player_hit\":{\"isKill\":true," \
	"\"victim\":{\"steam_id\":\"" HV "\"}," field "}}"

static const struct hostile hostile_events[] = {
	/* Not valid JSON: RFC 8259 and the contract's limits. */
	{ "missing comma", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\" \"player_name\":\"x\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "truncated", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{\"isKill\":true,"
	  "\"victim\":{\"steam_id\":\"7656"),
	  .parked = PARK_PP | PARK_LB, .reason = NOT_JSON },
	{ "invalid UTF-8", "connected",
	  BYTES("{\"connected_timestamp\":\"" HT "\",\"player\":{\"name\":\""
	  "\xff\xfe" "\"}}"),
	  .parked = PARK_SH | PARK_PP, .reason = NOT_JSON },
	{ "overlong UTF-8", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":\"" "\xc0\xaf"
	  "\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "UTF-8 of a surrogate", "banned",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":\"" "\xed\xa0\x80"
	  "\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "lone surrogate escape", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":\"\\ud800\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "UTF-8 cut short", "reported",
	  BYTES("{\"timestamp\":\"" HT "\",\"reported_target_steam_id\":\""
	  "\xe2\x82" "\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "NUL byte in a string", "disconnected",
	  BYTES("{\"disconnected_timestamp\":\"" HT "\",\"reason\":\"a\0b\"}"),
	  .parked = PARK_SH | PARK_PP, .reason = NOT_JSON },
	{ "NUL byte between tokens", "gathered",
	  BYTES("{\"gathered_timestamp\":\"" HT "\",\0\"x\":1}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "NUL escape", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":\"a\\u0000b\"}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "a lone NUL byte", "started", BYTES("\0"),
	  .parked = PARK_SH, .reason = NOT_JSON },
	{ "nesting 10,000 deep", "hit", .gen = GEN_DEEP,
	  .parked = PARK_PP | PARK_LB, .reason = TOO_DEEP },
	{ "nesting 65 deep", "chatted", .gen = GEN_DEPTH_65,
	  .parked = PARK_PP, .reason = TOO_DEEP },
	{ "nesting 64 deep (valid)", "chatted", .gen = GEN_DEPTH_64,
	  .seen = 1, .name = "deep-64", .chats = 1 },
	{ "a 1 MiB string", "chatted", .gen = GEN_MIB_STRING,
	  .parked = PARK_PP, .reason = TOO_LARGE },
	{ "exactly 1 MiB (valid)", "chatted", .gen = GEN_EXACT_MIB,
	  .seen = 1, .name = "exactly-1MiB", .chats = 1 },
	{ "1 MiB + 1 byte", "chatted", .gen = GEN_MIB_PLUS_ONE,
	  .parked = PARK_PP, .reason = TOO_LARGE },
	{ "exactly the server's max_payload", "hit", .gen = GEN_MAX_PAYLOAD,
	  .parked = PARK_PP | PARK_LB, .reason = TOO_LARGE },
	{ "empty payload", "chatted", BYTES(""),
	  .parked = PARK_PP, .reason = EMPTY },
	{ "empty payload", "wiped", BYTES(""),
	  .parked = PARK_LB, .reason = EMPTY },
	{ "empty payload", "started", BYTES(""),
	  .parked = PARK_SH, .reason = EMPTY },
	{ "integer beyond 64 bits", "hit",
	  BYTES(KILL_BUT("\"hit_distance\":123456789012345678901234567890")),
	  .parked = PARK_PP | PARK_LB, .reason = NOT_JSON },
	{ "integer 2^63", "reported",
	  BYTES("{\"timestamp\":\"" HT "\",\"reported_target_steam_id\":\"" HG
	  "\",\"n\":9223372036854775808}"),
	  .parked = PARK_PP, .reason = NOT_JSON },
	{ "integer -2^63 - 1", "connected",
	  BYTES("{\"connected_timestamp\":\"" HT "\","
	  "\"player\":{\"name\":\"x\",\"id\":-9223372036854775809}}"),
	  .parked = PARK_SH | PARK_PP, .reason = NOT_JSON },
	{ "a number beyond a double", "disconnected",
	  BYTES("{\"disconnected_timestamp\":\"" HT "\",\"reason\":\"x\","
	  "\"n\":1e400}"),
	  .parked = PARK_SH | PARK_PP, .reason = NOT_JSON },
	/* Nobody reads these payloads: acknowledged, never parked. */
	{ "invalid JSON of a command", "command", BYTES("{not json") },
	{ "invalid JSON, unknown subject", "unknown", BYTES("\xff{") },
	/* Valid JSON, not an object (null is allowed for started only). */
	{ "null payload", "connected", BYTES("null"),
	  .parked = PARK_SH | PARK_PP, .reason = NOT_OBJECT },
	{ "an array payload", "hit", BYTES("[1,2,3]"),
	  .parked = PARK_PP | PARK_LB, .reason = NOT_OBJECT },
	{ "a string payload", "wiped", BYTES("\"wiped\""),
	  .parked = PARK_LB, .reason = NOT_OBJECT },
	{ "a number payload", "started", BYTES("42"),
	  .parked = PARK_SH, .reason = NOT_OBJECT },
	/* A wrong type in each field a projection reads. */
	{ "player not an object", "connected",
	  BYTES("{\"connected_timestamp\":\"" HT "\","
	  "\"player\":\"203.0.113.9\"}"),
	  .parked = PARK_SH | PARK_PP, .reason = "player is not an object" },
	{ "player.name not a string", "connected",
	  BYTES("{\"connected_timestamp\":\"" HT "\","
	  "\"player\":{\"name\":42}}"),
	  .parked = PARK_SH | PARK_PP,
	  .reason = "player.name is not a string" },
	{ "reason of a disconnect not a string", "disconnected",
	  BYTES("{\"disconnected_timestamp\":\"" HT "\",\"reason\":3}"),
	  .parked = PARK_SH, .reason = "reason is not a string", .seen = 1 },
	{ "player_name of a chat not a string", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":42}"),
	  .parked = PARK_PP, .reason = "player_name is not a string" },
	{ "player_name of a ban not a string", "banned",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":7,"
	  "\"reason\":\"x\"}"),
	  .parked = PARK_PP, .reason = "player_name is not a string" },
	{ "reason of a ban not a string", "banned",
	  BYTES("{\"timestamp\":\"" HT "\",\"reason\":{\"text\":\"x\"}}"),
	  .parked = PARK_PP, .reason = "reason is not a string" },
	{ "reported_target_steam_id not a string", "reported",
	  BYTES("{\"timestamp\":\"" HT "\",\"reported_target_steam_id\":"
	  "76561199800000001}"),
	  .parked = PARK_PP,
	  .reason = "reported_target_steam_id is not a string" },
	{ "player_hit not an object", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":\"headshot\"}"),
	  .parked = PARK_PP | PARK_LB,
	  .reason = "player_hit is not an object" },
	{ "player_hit.victim not an object", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{\"isKill\":true,"
	  "\"victim\":\"" HV "\"}}"),
	  .parked = PARK_PP | PARK_LB,
	  .reason = "player_hit.victim is not an object" },
	{ "player_hit.isKill not a boolean", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{\"isKill\":"
	  "\"true\",\"victim\":{\"steam_id\":\"" HG "\"}}}"),
	  .parked = PARK_PP | PARK_LB,
	  .reason = "player_hit.isKill is not a boolean" },
	{ "player_hit.is_kill not a boolean", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{\"is_kill\":1,"
	  "\"victim\":{\"steam_id\":\"" HG "\"}}}"),
	  .parked = PARK_PP | PARK_LB,
	  .reason = "player_hit.is_kill is not a boolean" },
	{ "player_hit.victim.steam_id not a string", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{\"isKill\":true,"
	  "\"victim\":{\"steam_id\":76561199800000001}}}"),
	  .parked = PARK_PP | PARK_LB,
	  .reason = "player_hit.victim.steam_id is not a string" },
	/* Fields only leaderboard reads: player_profiles applies the kill. */
	{ "player_hit.attacker not an object", "hit",
	  BYTES(KILL_BUT("\"attacker\":5")),
	  .parked = PARK_LB, .reason = "player_hit.attacker is not an object",
	  .seen = 1, .victim = 1 },
	{ "player_hit.attacker.steam_id not a string", "hit",
	  BYTES(KILL_BUT("\"attacker\":{\"steam_id\":42}")),
	  .parked = PARK_LB,
	  .reason = "player_hit.attacker.steam_id is not a string",
	  .seen = 1, .victim = 1 },
	{ "player_hit.hit_area_id not a number", "hit",
	  BYTES(KILL_BUT("\"hit_area_id\":\"1\"")),
	  .parked = PARK_LB, .reason = "player_hit.hit_area_id is not a number",
	  .seen = 1, .victim = 1 },
	{ "player_hit.hit_distance not a number", "hit",
	  BYTES(KILL_BUT("\"hit_distance\":\"12.5m\"")),
	  .parked = PARK_LB,
	  .reason = "player_hit.hit_distance is not a number",
	  .seen = 1, .victim = 1 },
	/* Duplicate keys: the last one counts. */
	{ "duplicate key, the last one right", "chatted",
	  BYTES("{\"player_name\":42,\"timestamp\":\"" HT "\","
	  "\"player_name\":\"dup-last\"}"),
	  .seen = 1, .name = "dup-last", .chats = 1 },
	{ "duplicate key, the last one wrong", "chatted",
	  BYTES("{\"timestamp\":\"" HT "\",\"player_name\":\"dup-first\","
	  "\"player_name\":42}"),
	  .parked = PARK_PP, .reason = "player_name is not a string" },
	{ "duplicate key, the last one no kill", "hit",
	  BYTES("{\"hit_timestamp\":\"" HT "\",\"player_hit\":{"
	  "\"isKill\":\"yes\",\"victim\":{\"steam_id\":\"" HV "\"},"
	  "\"isKill\":false}}"),
	  .seen = 1 },
};

#define HOSTILE_N	(sizeof(hostile_events) / sizeof(hostile_events[0]))

static const char *const hostile_projections[] = {
	"session_history", "player_profiles", "leaderboard"
};
static const unsigned hostile_park_bits[] = { PARK_SH, PARK_PP, PARK_LB };

/* Where each event of the stream landed. */
struct hostile_stream {
	uint64_t	fixture_seq[ITEST_NEVENTS + 1]; /* by line, from 1 */
	uint64_t	hostile_seq[HOSTILE_N];
	uint64_t	last;		/* published so far */
};

static int
setup(void **state)
{
	return itest_fx_setup("itest-hostile-", 1, state);
}

/* The steam_id of hostile event h's subject: its own player. */
static void
hostile_steam_id(size_t h, char *buf, size_t len)
{
	snprintf(buf, len, "765611999%08zu", h + 1);
}

/* Writes the subject of hostile event h into buf. */
static void
hostile_subject(size_t h, char *buf, size_t len)
{
	const char *kind = hostile_events[h].kind;
	char steam[32];

	hostile_steam_id(h, steam, sizeof(steam));
	if (strcmp(kind, "started") == 0 || strcmp(kind, "wiped") == 0 ||
	    strcmp(kind, "command") == 0)
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".events.%s", kind);
	else if (strcmp(kind, "unknown") == 0)
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".events.bogus");
	else if (strcmp(kind, "chatted") == 0)
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".events.player.%s.chatted", steam);
	else if (strcmp(kind, "hit") == 0)
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".players.%s.events.combat.hit", steam);
	else if (strcmp(kind, "gathered") == 0)
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".players.%s.events.gatheredResources", steam);
	else
		snprintf(buf, len, "v0.rust.servers." HOSTILE_SERVER
		    ".players.%s.events.%s", steam, kind);
}

/* Appends len bytes of c to b at *n. */
static void
fill(char *b, size_t *n, int c, size_t len)
{
	memset(b + *n, c, len);
	*n += len;
}

static void
put(char *b, size_t *n, const char *s)
{
	size_t len = strlen(s);

	memcpy(b + *n, s, len);
	*n += len;
}

/*
 * A chat of exactly total bytes: player_name name, and a message padded
 * with 'y' to the length.
 */
static char *
chat_of(const char *name, size_t total, size_t *len)
{
	char head[256];
	char *b;
	size_t n = 0, hl;

	hl = (size_t)snprintf(head, sizeof(head), "{\"timestamp\":\"" HT "\","
	    "\"player_name\":\"%s\",\"message\":\"", name);
	assert_true(total > hl + 2);
	assert_non_null(b = malloc(total));
	put(b, &n, head);
	fill(b, &n, 'y', total - hl - 2);
	put(b, &n, "\"}");
	*len = n;
	return b;
}

/* A chat whose "meta" holds arrays nested levels deep (0 inside). */
static char *
nested_chat(const char *name, int levels, size_t *len)
{
	char head[256];
	char *b;
	size_t n = 0;

	snprintf(head, sizeof(head), "{\"timestamp\":\"" HT "\","
	    "\"player_name\":\"%s\",\"meta\":", name);
	assert_non_null(b = malloc(strlen(head) + 2 * (size_t)levels + 2));
	put(b, &n, head);
	fill(b, &n, '[', (size_t)levels);
	put(b, &n, "0");
	fill(b, &n, ']', (size_t)levels);
	put(b, &n, "}");
	*len = n;
	return b;
}

/*
 * Returns the payload of hostile event h in a new buffer (free() it), with
 * its length in *len.
 */
static char *
hostile_payload(const struct hostile *h, size_t *len)
{
	static const char hit_head[] = "{\"hit_timestamp\":\"" HT "\","
	    "\"player_hit\":{\"isKill\":true,\"victim\":{\"steam_id\":\"" HG
	    "\"}},\"pad\":\"";
	static const char name_head[] = "{\"timestamp\":\"" HT "\","
	    "\"player_name\":\"";
	char *b;
	size_t n = 0;

	switch (h->gen) {
	case GEN_NONE:
		assert_non_null(b = malloc(h->len + 1));
		memcpy(b, h->payload, h->len);
		*len = h->len;
		return b;
	case GEN_DEEP:
		assert_non_null(b = malloc(20000));
		fill(b, &n, '[', 10000);
		fill(b, &n, ']', 10000);
		*len = n;
		return b;
	case GEN_DEPTH_64:
		/* The object is one level, its 63 arrays the others. */
		return nested_chat("deep-64", 63, len);
	case GEN_DEPTH_65:
		return nested_chat("deep-65", 64, len);
	case GEN_MIB_STRING:
		assert_non_null(b = malloc(sizeof(name_head) + HOSTILE_MIB +
		    2));
		put(b, &n, name_head);
		fill(b, &n, 'a', HOSTILE_MIB);
		put(b, &n, "\"}");
		*len = n;
		return b;
	case GEN_EXACT_MIB:
		return chat_of("exactly-1MiB", HOSTILE_MIB, len);
	case GEN_MIB_PLUS_ONE:
		return chat_of("one-byte-more", HOSTILE_MIB + 1, len);
	case GEN_MAX_PAYLOAD:
		assert_non_null(b = malloc(HOSTILE_MAX_PAYLOAD));
		put(b, &n, hit_head);
		fill(b, &n, 'z', HOSTILE_MAX_PAYLOAD - n - 2);
		put(b, &n, "\"}");
		assert_int_equal(n, HOSTILE_MAX_PAYLOAD);
		*len = n;
		return b;
	}
	fail_msg("hostile event %s: no payload", h->what);
	return NULL;
}

/* Publishes one message and counts it in hs. */
static void
publish(jsCtx *js, struct hostile_stream *hs, const char *subject,
    const char *data, size_t len)
{
	char err[1024];

	if (publish_one(js, subject, data, len, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	hs->last++;
}

/*
 * Publishes fixture events from..to (lines, from 1), each followed by the
 * hostile events placed after it (HOSTILE_AT()), and records where each
 * landed.
 */
static void
publish_part(struct itest_fx *f, jsCtx *js, struct hostile_stream *hs,
    size_t from, size_t to)
{
	char subject[256];
	size_t i, h, len;
	char *payload;

	for (i = from; i <= to; i++) {
		publish(js, hs, f->events.ev[i - 1].subject,
		    f->events.ev[i - 1].payload, f->events.ev[i - 1].len);
		hs->fixture_seq[i] = hs->last;
		for (h = 0; h < HOSTILE_N; h++) {
			if (HOSTILE_AT(h) != i)
				continue;
			hostile_subject(h, subject, sizeof(subject));
			payload = hostile_payload(&hostile_events[h], &len);
			publish(js, hs, subject, payload, len);
			free(payload);
			hs->hostile_seq[h] = hs->last;
		}
	}
}

/* A player_profiles row as the contract query returns it. */
static json_t *
profile_row(const char *steam_id, const char *name, int seen, int chats)
{
	return json_pack("[s,o,o,o,i,i,i,i,i,n]", steam_id,
	    name != NULL ? json_string(name) : json_null(),
	    seen ? json_string(HOSTILE_TIME) : json_null(),
	    seen ? json_string(HOSTILE_TIME) : json_null(), 0, 0, chats, 0, 0);
}

/*
 * The contract's answer for the stream of hs, from expected.json (see the
 * head of this file), with the first nhostile hostile events in it (0 or
 * HOSTILE_N): caller releases it.
 */
static json_t *
expected_answer(const struct hostile_stream *hs, size_t nhostile)
{
	json_error_t je;
	json_t *e, *parked, *profiles, *row;
	char steam[32];
	size_t i, h, p;
	int victim = 0;

	if ((e = json_load_file(ITEST_EXPECTED, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", ITEST_EXPECTED, je.line, je.text);
	json_array_append_new(json_object_get(e, "servers"), json_pack(
	    "[s,s,n,n,i,i]", HOSTILE_SERVER, "unknown", 0, 0));

	parked = json_object_get(e, "parked");
	json_array_foreach(parked, i, row) {
		json_int_t seq = json_integer_value(json_array_get(row, 1));

		assert_true(seq >= 1 && seq <= ITEST_NEVENTS);
		json_array_set_new(row, 1, json_integer(
		    (json_int_t)hs->fixture_seq[seq]));
	}
	profiles = json_object_get(e, "player_profiles");
	for (h = 0; h < nhostile; h++) {
		const struct hostile *x = &hostile_events[h];

		for (p = 0; p < 3; p++)
			if (x->parked & hostile_park_bits[p])
				json_array_append_new(parked, json_pack("[s,I]",
				    hostile_projections[p],
				    (json_int_t)hs->hostile_seq[h]));
		if (x->seen) {
			hostile_steam_id(h, steam, sizeof(steam));
			json_array_append_new(profiles, profile_row(steam,
			    x->name, 1, x->chats));
		}
		victim |= x->victim;
	}
	if (victim)
		json_array_append_new(profiles, profile_row(HOSTILE_VICTIM,
		    NULL, 0, 0));
	return e;
}

/* Fails unless the contract queries answer expected, which it releases. */
static void
assert_contract(struct itest_fx *f, json_t *expected)
{
	char err[1024];
	int rc;

	rc = itest_diff(f->db, expected, err, sizeof(err));
	json_decref(expected);
	if (rc == -1)
		fail_msg("%s", err);
}

/* Returns 1 when s is printable ASCII only. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/*
 * Each parking of a hostile event: its subject, a reason that says what
 * is wrong (h->reason) and quotes nothing, a time, and one log line.
 */
static void
assert_parked_rows(struct itest_fx *f, const struct hostile_stream *hs)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[512], subject[256], proj[64], seq[64];
	size_t h, p;

	if (db_open_readonly(f->db, &db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT subject, reason,"
	    " parked_at FROM projector_parked WHERE projection = ?1"
	    " AND seq = ?2", -1, &st, NULL), SQLITE_OK);
	for (h = 0; h < HOSTILE_N; h++) {
		const struct hostile *x = &hostile_events[h];

		hostile_subject(h, subject, sizeof(subject));
		for (p = 0; p < 3; p++) {
			const char *reason;

			if (!(x->parked & hostile_park_bits[p]))
				continue;
			sqlite3_bind_text(st, 1, hostile_projections[p], -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(st, 2,
			    (sqlite3_int64)hs->hostile_seq[h]);
			if (sqlite3_step(st) != SQLITE_ROW)
				fail_msg("%s (seq %llu) not parked for %s",
				    x->what,
				    (unsigned long long)hs->hostile_seq[h],
				    hostile_projections[p]);
			reason = (const char *)sqlite3_column_text(st, 1);
			assert_string_equal((const char *)
			    sqlite3_column_text(st, 0), subject);
			if (reason == NULL || strstr(reason, x->reason) == NULL)
				fail_msg("%s parked for %s with reason \"%s\","
				    " not \"%s\"", x->what,
				    hostile_projections[p], reason != NULL ?
				    reason : "(null)", x->reason);
			/* A sentence, never bytes of the payload. */
			if (strlen(reason) > 160 || !printable(reason))
				fail_msg("%s: reason \"%s\" is not a short"
				    " sentence", x->what, reason);
			assert_true(sqlite3_column_type(st, 2) == SQLITE_TEXT);
			sqlite3_reset(st);

			snprintf(proj, sizeof(proj), " projection=%s ",
			    hostile_projections[p]);
			snprintf(seq, sizeof(seq), " seq=%llu ",
			    (unsigned long long)hs->hostile_seq[h]);
			assert_int_equal(itest_log_count(f->log,
			    "msg=\"event parked\"", proj, seq, NULL), 1);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Messages whose subject no projection wants: counted, never parked. */
static long long
unknown_in_fixture(const struct itest_fixture *fx)
{
	struct rust_subject sub;
	long long n = 0;
	size_t i;

	for (i = 0; i < fx->n; i++)
		if (rust_subject_parse(fx->ev[i].subject, &sub) == RUST_UNKNOWN)
			n++;
	return n;
}

/*
 * The log says what was parked, never what was in it: no run of the
 * padding of the large payloads, and far smaller than one of them.
 */
static void
assert_log_quiet(const char *log)
{
	static const char *const runs[] = { "aaaaaaaaaaaaaaaa",
	    "yyyyyyyyyyyyyyyy", "zzzzzzzzzzzzzzzz", "[[[[[[[[[[[[[[[[",
	    "203.0.113.9", "dup-first" };
	long long size = probe_file_size(log);
	size_t i;

	assert_true(size > 0);
	if (size > 256 * 1024)
		fail_msg("%s: %lld bytes of log for 650 events", log, size);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		assert_int_equal(itest_log_count(log, runs[i], NULL), 0);
}

/*
 * Fails unless the projector of f still runs, with no sanitizer report
 * and its peak memory under the bound; returns that peak (KiB).
 */
static long
assert_running(struct itest_fx *f)
{
	char err[256];
	long hwm;

	itest_fx_assert_no_sanitizer(f->log);
	if (proc_wait(&f->p, 0, NULL) == 0) {
		itest_show_log(f->log);
		fail_msg("the projector exited (status %d)",
		    proc_exit_code(f->p.status));
	}
	if (probe_proc_kib(f->p.pid, "VmHWM", &hwm, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	print_message("projector VmHWM %ld KiB (bound %ld KiB)\n", hwm,
	    (long)HOSTILE_HWM_KIB);
	if (hwm > HOSTILE_HWM_KIB)
		fail_msg("projector VmHWM %ld KiB > %ld KiB", hwm,
		    (long)HOSTILE_HWM_KIB);
	return hwm;
}

/*
 * The server refuses a payload one byte over its max_payload: the one of
 * exactly that size among the hostile events (which it takes) is the
 * largest a game server can send.
 */
static void
assert_max_payload(jsCtx *js)
{
	char err[1024], *b;

	assert_non_null(b = calloc(1, HOSTILE_MAX_PAYLOAD + 1));
	memset(b, ' ', HOSTILE_MAX_PAYLOAD + 1);
	if (publish_one(js, "v0.rust.servers." HOSTILE_SERVER ".events.command",
	    b, HOSTILE_MAX_PAYLOAD + 1, err, sizeof(err)) == 0) {
		free(b);
		fail_msg("the server took %d bytes: max_payload is not %d",
		    HOSTILE_MAX_PAYLOAD + 1, HOSTILE_MAX_PAYLOAD);
	}
	free(b);
}

/*
 * The fixture with the hostile events in it, live: all parked as the
 * contract says, everything else applied, the projector still running
 * and applying what comes after them, in bounded memory.
 */
static void
test_hostile_interleaved(void **state)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct itest_fx *f = *state;
	struct hostile_stream *hs;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	char err[1024];
	uint64_t last = 0;
	long hwm1, hwm2;

	assert_int_equal(f->events.n, ITEST_NEVENTS);
	assert_true(HOSTILE_AT(HOSTILE_N - 1) <= HOSTILE_FIRST_PART);
	assert_non_null(hs = calloc(1, sizeof(*hs)));
	itest_fx_start_natsd(f, hostile_natsd_conf);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1 || publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_max_payload(js);
	/*
	 * Published before the projector starts, so that its first fetch
	 * holds them all (batches of 1000): the most memory one batch takes.
	 */
	publish_part(f, js, hs, 1, HOSTILE_FIRST_PART);
	assert_int_equal(publish_stream_info(nc, ITEST_STREAM, NULL, &last, err,
	    sizeof(err)), 0);
	assert_int_equal(last, hs->last);
	assert_int_equal(hs->last, HOSTILE_FIRST_PART + HOSTILE_N);
	itest_fx_write_config(f, 0);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, (long long)hs->last);
	hwm1 = assert_running(f);
	assert_parked_rows(f, hs);

	/* Good events after the hostile ones, live: the same process. */
	publish_part(f, js, hs, HOSTILE_FIRST_PART + 1, ITEST_NEVENTS);
	assert_int_equal(hs->last, ITEST_NEVENTS + HOSTILE_N);
	itest_fx_wait_last_seq(f, f->db, (long long)hs->last);
	hwm2 = assert_running(f);
	assert_contract(f, expected_answer(hs, HOSTILE_N));
	assert_parked_rows(f, hs);
	/* The unknown subject counts as one more unknown event, once. */
	assert_int_equal(itest_query_int(f->db, "SELECT value FROM"
	    " projector_meta WHERE key = 'unknown_events'"),
	    unknown_in_fixture(&f->events) + 1);
	assert_log_quiet(f->log);
#if !defined(__SANITIZE_ADDRESS__)
	/*
	 * The good tail cost no new peak worth a payload (ASan's quarantine
	 * grows with every block freed, so only the plain build can tell).
	 */
	assert_true(hwm2 - hwm1 < HOSTILE_MAX_PAYLOAD / 1024);
#else
	(void)hwm1;
	(void)hwm2;
#endif

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(hs);
}

/*
 * A flood of payloads at the server's max_payload, after the fixture and
 * before the projector starts, whose batches may wait long enough
 * (batch.max_wait_ms) for its first fetch to take them all at once: 1000
 * messages is the default batch. Each is parked, and the peak memory stays
 * under the same bound: a batch must be bounded in bytes too, not only in
 * messages, or HOSTILE_FLOOD of them would be held together.
 */
static void
test_hostile_flood(void **state)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	static const struct itest_account acct = { "ga-1", NULL, "ga-1.db",
	    NULL, NULL, NULL };
	struct itest_fx *f = *state;
	struct hostile_stream *hs;
	natsConnection *nc = NULL;
	json_t *expected, *parked;
	jsCtx *js = NULL;
	char err[1024], subject[256], *payload = NULL;
	size_t h, i, len = 0;

	assert_non_null(hs = calloc(1, sizeof(*hs)));
	itest_fx_start_natsd(f, hostile_natsd_conf);
	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1 || publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	for (i = 1; i <= ITEST_NEVENTS; i++) {
		publish(js, hs, f->events.ev[i - 1].subject,
		    f->events.ev[i - 1].payload, f->events.ev[i - 1].len);
		hs->fixture_seq[i] = hs->last;
	}
	for (h = 0; h < HOSTILE_N; h++)
		if (hostile_events[h].gen == GEN_MAX_PAYLOAD)
			break;
	assert_true(h < HOSTILE_N);
	hostile_subject(h, subject, sizeof(subject));
	payload = hostile_payload(&hostile_events[h], &len);
	for (i = 0; i < HOSTILE_FLOOD; i++)
		publish(js, hs, subject, payload, len);
	free(payload);

	/*
	 * Batches that wait up to HOSTILE_FLOOD_WAIT_MS to fill, so that what
	 * one fetch holds depends on the projector's limits, not on how fast
	 * the server sends.
	 */
	assert_int_equal(itest_write_config(f->config, f->d.url, NULL, 0,
	    HOSTILE_FLOOD_WAIT_MS, &acct, 1), 0);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, (long long)hs->last);
	assert_running(f);
	expected = expected_answer(hs, 0);
	parked = json_object_get(expected, "parked");
	for (i = ITEST_NEVENTS + 1; i <= hs->last; i++) {
		json_array_append_new(parked, json_pack("[s,I]", "leaderboard",
		    (json_int_t)i));
		json_array_append_new(parked, json_pack("[s,I]",
		    "player_profiles", (json_int_t)i));
	}
	assert_contract(f, expected);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(hs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_hostile_interleaved),
		T_(test_hostile_flood),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
