/*
 * rust.c: the GamingAPI Rust feed as the projections see it (see rust.h).
 */
#include <stdio.h>
#include <string.h>

#include "rust.h"

/* The most tokens a recognised subject has (the item shapes). */
#define RUST_MAX_TOKENS	10

#define RUST_DAY_MS	INT64_C(86400000)

/*
 * The event times the database can hold: 0000-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z, the years YYYY can spell. A time outside them is
 * not ISO (read-model.md section 2, "Event time").
 */
#define RUST_MS_MIN	INT64_C(-62167219200000)
#define RUST_MS_MAX	INT64_C(253402300799999)

struct rust_name {
	const char	*name;
	enum rust_kind	 kind;
};

/* v0.rust.servers.{server_id}.events.<name> */
static const struct rust_name rust_server_events[] = {
	{ "started", RUST_STARTED },
	{ "stopped", RUST_STOPPED },
	{ "wiped", RUST_WIPED },
	{ "command", RUST_COMMAND },
	{ NULL, RUST_UNKNOWN }
};

/* v0.rust.servers.{server_id}.players.{steam_id}.events.<name> */
static const struct rust_name rust_player_events[] = {
	{ "connected", RUST_CONNECTED },
	{ "disconnected", RUST_DISCONNECTED },
	{ "respawned", RUST_RESPAWNED },
	{ "gatheredResources", RUST_GATHERED },
	{ "reported", RUST_REPORTED },
	{ "banned", RUST_BANNED },
	{ "unbanned", RUST_UNBANNED },
	{ NULL, RUST_UNKNOWN }
};

/* ...players.{steam_id}.events.items.{item_id}.<name> */
static const struct rust_name rust_item_actions[] = {
	{ "pickup", RUST_PICKUP },
	{ "loot", RUST_LOOT },
	{ "crafted", RUST_CRAFTED },
	{ NULL, RUST_UNKNOWN }
};

/* Each kind's timestamp field (read-model.md section 2, "Event time"). */
static const char *const rust_time_fields[RUST_NKINDS] = {
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

static const char *const rust_type_names[] = {
	[RUST_OBJECT] = "an object",
	[RUST_STRING] = "a string",
	[RUST_BOOLEAN] = "a boolean",
	[RUST_NUMBER] = "a number"
};

/*
 * Splits s on '.' into tok. Returns the number of tokens, or 0 when a token
 * is empty (not a NATS subject) or there are more than RUST_MAX_TOKENS.
 */
static size_t
rust_split(const char *s, struct span *tok)
{
	size_t n = 0, len;

	for (;;) {
		len = strcspn(s, ".");
		if (len == 0 || n == RUST_MAX_TOKENS)
			return 0;
		tok[n].p = s;
		tok[n].len = len;
		n++;
		s += len;
		if (*s == '\0')
			return n;
		s++;
	}
}

static int
rust_is(struct span tok, const char *literal)
{
	return tok.len == strlen(literal) && memcmp(tok.p, literal, tok.len) == 0;
}

static enum rust_kind
rust_lookup(const struct rust_name *names, struct span tok)
{
	for (; names->name != NULL; names++)
		if (rust_is(tok, names->name))
			return names->kind;
	return RUST_UNKNOWN;
}

/*
 * Classifies subject as one of the 14 shapes of read-model.md section 2 and
 * points out->server_id, steam_id and item_id into it (absent parts have a
 * NULL p). Anything else (another token count, another literal token, an
 * item action other than pickup, loot and crafted) is RUST_UNKNOWN, with
 * every span NULL. Returns out->kind. Cannot fail.
 */
enum rust_kind
rust_subject_parse(const char *subject, struct rust_subject *out)
{
	struct span t[RUST_MAX_TOKENS];
	size_t n;

	memset(out, 0, sizeof(*out));
	n = rust_split(subject, t);
	if (n < 6 || !rust_is(t[0], "v0") || !rust_is(t[1], "rust") ||
	    !rust_is(t[2], "servers"))
		return RUST_UNKNOWN;
	out->server_id = t[3];
	if (rust_is(t[4], "events")) {
		if (n == 6)
			out->kind = rust_lookup(rust_server_events, t[5]);
		else if (n == 8 && rust_is(t[5], "player") &&
		    rust_is(t[7], "chatted")) {
			/* The irregular chat subject (gamingapi.md 2.2). */
			out->kind = RUST_CHATTED;
			out->steam_id = t[6];
		}
	} else if (rust_is(t[4], "players") && n >= 8 && rust_is(t[6], "events")) {
		out->steam_id = t[5];
		if (n == 8)
			out->kind = rust_lookup(rust_player_events, t[7]);
		else if (n == 9 && rust_is(t[7], "combat") && rust_is(t[8], "hit"))
			out->kind = RUST_HIT;
		else if (n == 10 && rust_is(t[7], "items")) {
			out->kind = rust_lookup(rust_item_actions, t[9]);
			out->item_id = t[8];
		}
	}
	if (out->kind == RUST_UNKNOWN)
		memset(out, 0, sizeof(*out));
	return out->kind;
}

/* Reads n ASCII digits (never the locale's) into *v. */
static int
rust_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int
rust_month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard
 * Hinnant's days_from_civil), so that no timegm() or time zone is involved.
 */
static int64_t
rust_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of rust_days_from_civil(). */
static void
rust_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/*
 * Parses the len bytes at s as ISO-8601 in the contract's form:
 * YYYY-MM-DDTHH:MM:SS, an optional fraction of one or more digits (cut to
 * milliseconds, never rounded), then an optional Z or +HH:MM/-HH:MM (none
 * means UTC). Every field is range-checked, the day against its month and
 * leap year. Sets *ms to milliseconds since the epoch, UTC. Returns 0, or -1
 * when s is anything else (lowercase t or z, a space, a culture format such
 * as "6/17/2023 5:04:12 PM") or lies outside years 0000-9999 once in UTC.
 */
int
rust_time_parse(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, nd, oh, om, off = 0;
	size_t i = 19;
	int64_t v;

	if (len < 19 || !rust_digits(s, 4, &y) || s[4] != '-' ||
	    !rust_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !rust_digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !rust_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !rust_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !rust_digits(s + 17, 2, &sec))
		return -1;
	if (i < len && s[i] == '.') {
		for (i++, nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 3; nd++)
			frac *= 10;
	}
	if (i < len && s[i] == 'Z')
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		if (len - i < 6 || !rust_digits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || !rust_digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	}
	if (i != len || mo < 1 || mo > 12 || d < 1 ||
	    d > rust_month_days(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	v = rust_days_from_civil(y, mo, d) * RUST_DAY_MS +
	    ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac -
	    (int64_t)off * 60000;
	if (v < RUST_MS_MIN || v > RUST_MS_MAX)
		return -1;
	*ms = v;
	return 0;
}

/*
 * Writes ms as YYYY-MM-DDTHH:MM:SS.sssZ (UTC) into buf, which holds len
 * bytes, at least RUST_TIME_LEN. Returns 0, or -1 when buf is too small or
 * ms lies outside years 0000-9999.
 */
int
rust_time_format(int64_t ms, char *buf, size_t len)
{
	int64_t days, rem;
	int y, m, d;

	if (ms < RUST_MS_MIN || ms > RUST_MS_MAX || len < RUST_TIME_LEN)
		return -1;
	days = ms / RUST_DAY_MS;
	rem = ms % RUST_DAY_MS;
	if (rem < 0) {
		days--;
		rem += RUST_DAY_MS;
	}
	rust_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return 0;
}

/* Returns 1 and sets *ms when obj's member key is an ISO string. */
static int
rust_iso_member(const json_t *obj, const char *key, int64_t *ms)
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
		field = rust_time_fields[kind];
	if (field != NULL && rust_iso_member(ev->json, field, &ms))
		return ms;
	if ((field == NULL || strcmp(field, "timestamp") != 0) &&
	    rust_iso_member(ev->json, "timestamp", &ms))
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
rust_payload_check(const struct event *ev, enum rust_kind kind, char *err,
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
rust_field(const json_t *obj, const char *path, enum rust_type type,
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
		snprintf(err, errlen, "%s is not %s", path, rust_type_names[type]);
		return -1;
	}
	*out = v;
	return 1;
}
