/*
 * rust_event.c: an event of the GamingAPI Rust feed, read as the contract
 * says (see rust_event.h).
 */
#include <stdio.h>
#include <string.h>

#include "rust_event.h"

/* Each kind's timestamp field (read-model.md section 2, "Event time"). */
static const char *const rust_event_time_fields[RUST_NKINDS] = {
	[RUST_STARTED] = "timestamp",
	[RUST_STOPPED] = "timestamp",
	[RUST_WIPED] = "timestamp",
	[RUST_COMMAND] = "timestamp",
	[RUST_CHATTED] = "timestamp",
	[RUST_CONNECTED] = "connected_timestamp",
	[RUST_DISCONNECTED] = "disconnected_timestamp",
	[RUST_RESPAWNED] = "respawn_timestamp",
	[RUST_HIT] = "hit_timestamp",
	[RUST_GATHERED] = "gathered_timestamp",
	[RUST_PICKUP] = "pickup_timestamp",
	[RUST_LOOT] = "loot_timestamp",
	[RUST_CRAFTED] = "craft_timestamp",
	[RUST_REPORTED] = "timestamp",
	[RUST_BANNED] = "timestamp",
	[RUST_UNBANNED] = "timestamp"
};

static const char *const rust_event_type_names[] = {
	[RUST_OBJECT] = "an object",
	[RUST_STRING] = "a string",
	[RUST_BOOLEAN] = "a boolean",
	[RUST_NUMBER] = "a number"
};

/* Returns 1 and sets *ms when obj's member key is an ISO string. */
static int
rust_event_iso_member(const json_t *obj, const char *key, int64_t *ms)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) && rust_time_parse(json_string_value(v),
	    json_string_length(v), ms) == 0;
}

/*
 * Returns the event time of ev, whose subject is of kind: its kind's
 * timestamp field, else a plain "timestamp" field, whichever is first an ISO
 * string; otherwise (missing, null, another type, not ISO, a payload that is
 * null, not an object or not JSON) the time the stream stored it. A bad
 * timestamp is never poison (read-model.md section 2). Cannot fail.
 */
int64_t
rust_event_ms(const struct event *ev, enum rust_kind kind)
{
	const char *field = NULL;
	int64_t ms;

	if (!json_is_object(ev->json))
		return ev->stored_ms;
	if (kind > RUST_UNKNOWN && kind < RUST_NKINDS)
		field = rust_event_time_fields[kind];
	if (field != NULL && rust_event_iso_member(ev->json, field, &ms))
		return ms;
	if ((field == NULL || strcmp(field, "timestamp") != 0) &&
	    rust_event_iso_member(ev->json, "timestamp", &ms))
		return ms;
	return ev->stored_ms;
}

/*
 * Resolves ev's event time (rust_event_ms()) into *t, in milliseconds and as
 * the database stores it. Returns 0, or -1 with a reason in err when the
 * time falls back to a stored time that no TEXT time can spell; such an event
 * cannot be folded the same way on every replay unless it is parked.
 */
int
rust_event_time(const struct event *ev, enum rust_kind kind,
    struct rust_time *t, char *err, size_t errlen)
{
	t->ms = rust_event_ms(ev, kind);
	if (rust_time_format(t->ms, t->text, sizeof(t->text)) == -1) {
		snprintf(err, errlen, "stored time is out of range");
		return -1;
	}
	return 0;
}

/*
 * Checks the top level of ev's payload for a projection that consumes its
 * kind (read-model.md section 2, "Bad input"): it must be valid JSON and an
 * object, or null for started, stopped and wiped. Returns 0, or -1 with the
 * poison reason in err (the decoder's reason for invalid JSON).
 */
int
rust_event_check(const struct event *ev, enum rust_kind kind, char *err,
    size_t errlen)
{
	if (ev->json == NULL) {
		snprintf(err, errlen, "%s", ev->json_error != NULL ?
		    ev->json_error : "payload is not valid JSON");
		return -1;
	}
	if (json_is_object(ev->json))
		return 0;
	if (json_is_null(ev->json) && (kind == RUST_STARTED ||
	    kind == RUST_STOPPED || kind == RUST_WIPED))
		return 0;
	snprintf(err, errlen, "payload is not a JSON object");
	return -1;
}

/*
 * Looks up the member of obj named by the last part of path (the full path,
 * like "player_hit.victim.steam_id", is what a reason names) and checks it
 * has type. obj may be NULL (its parent was missing). Returns 1 and sets
 * *out when the member is there with that type; 0 and sets *out to NULL when
 * it is missing or JSON null (which counts as missing); -1 with "PATH is not
 * a TYPE" in err when it has another type, which is poison. The reason never
 * quotes the payload.
 */
int
rust_event_field(const json_t *obj, const char *path, enum rust_type type,
    const json_t **out, char *err, size_t errlen)
{
	const char *key = strrchr(path, '.');
	const json_t *v;
	int ok = 0;

	*out = NULL;
	key = key == NULL ? path : key + 1;
	if (obj == NULL || (v = json_object_get(obj, key)) == NULL ||
	    json_is_null(v))
		return 0;
	switch (type) {
	case RUST_OBJECT:
		ok = json_is_object(v);
		break;
	case RUST_STRING:
		ok = json_is_string(v);
		break;
	case RUST_BOOLEAN:
		ok = json_is_boolean(v);
		break;
	case RUST_NUMBER:
		ok = json_is_number(v);
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "%s is not %s", path,
		    rust_event_type_names[type]);
		return -1;
	}
	*out = v;
	return 1;
}
