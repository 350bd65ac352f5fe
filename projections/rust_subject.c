/*
 * rust_subject.c: the subjects of the GamingAPI Rust feed (see
 * rust_subject.h).
 */
#include <string.h>

#include "rust_subject.h"

/* The most tokens a recognised subject has (the item shapes). */
#define RUST_SUBJECT_MAX_TOKENS	10

struct rust_subject_name {
	const char	*name;
	enum rust_kind	 kind;
};

/* v0.rust.servers.{server_id}.events.<name> */
static const struct rust_subject_name rust_subject_servers[] = {
	{ "started", RUST_STARTED },
	{ "stopped", RUST_STOPPED },
	{ "wiped", RUST_WIPED },
	{ "command", RUST_COMMAND },
	{ NULL, RUST_UNKNOWN }
};

/* v0.rust.servers.{server_id}.players.{steam_id}.events.<name> */
static const struct rust_subject_name rust_subject_players[] = {
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
static const struct rust_subject_name rust_subject_items[] = {
	{ "pickup", RUST_PICKUP },
	{ "loot", RUST_LOOT },
	{ "crafted", RUST_CRAFTED },
	{ NULL, RUST_UNKNOWN }
};

/*
 * The NATS filter of each kind ('*' is one token), in the order of enum
 * rust_kind: the server-scoped ones (RUST_SUBJECTS_PLAYER of them), then the
 * player-scoped ones. They say again what rust_subject_parse() says in code,
 * so test_rust_subject checks that the two agree: a subject the parser
 * recognises matches exactly one filter, one it does not matches none, and
 * the subjects of each filter parse as a kind of their own, with a steam_id
 * from RUST_SUBJECTS_PLAYER on and without one before.
 */
const char *const rust_subjects[] = {
	"v0.rust.servers.*.events.started",
	"v0.rust.servers.*.events.stopped",
	"v0.rust.servers.*.events.wiped",
	"v0.rust.servers.*.events.command",
	"v0.rust.servers.*.events.player.*.chatted",
	"v0.rust.servers.*.players.*.events.connected",
	"v0.rust.servers.*.players.*.events.disconnected",
	"v0.rust.servers.*.players.*.events.respawned",
	"v0.rust.servers.*.players.*.events.combat.hit",
	"v0.rust.servers.*.players.*.events.gatheredResources",
	"v0.rust.servers.*.players.*.events.items.*.pickup",
	"v0.rust.servers.*.players.*.events.items.*.loot",
	"v0.rust.servers.*.players.*.events.items.*.crafted",
	"v0.rust.servers.*.players.*.events.reported",
	"v0.rust.servers.*.players.*.events.banned",
	"v0.rust.servers.*.players.*.events.unbanned",
	NULL
};

/*
 * Splits s on '.' into tok. Returns the number of tokens, or 0 when a token
 * is empty (not a NATS subject) or there are more than
 * RUST_SUBJECT_MAX_TOKENS.
 */
static size_t
rust_subject_split(const char *s, struct span *tok)
{
	size_t n = 0, len;

	for (;;) {
		len = strcspn(s, ".");
		if (len == 0 || n == RUST_SUBJECT_MAX_TOKENS)
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
rust_subject_is(struct span tok, const char *literal)
{
	return tok.len == strlen(literal) &&
	    memcmp(tok.p, literal, tok.len) == 0;
}

static enum rust_kind
rust_subject_lookup(const struct rust_subject_name *names, struct span tok)
{
	for (; names->name != NULL; names++)
		if (rust_subject_is(tok, names->name))
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
	struct span t[RUST_SUBJECT_MAX_TOKENS];
	size_t n;

	memset(out, 0, sizeof(*out));
	n = rust_subject_split(subject, t);
	if (n < 6 || !rust_subject_is(t[0], "v0") ||
	    !rust_subject_is(t[1], "rust") || !rust_subject_is(t[2], "servers"))
		return RUST_UNKNOWN;
	out->server_id = t[3];
	if (rust_subject_is(t[4], "events")) {
		if (n == 6)
			out->kind = rust_subject_lookup(rust_subject_servers,
			    t[5]);
		else if (n == 8 && rust_subject_is(t[5], "player") &&
		    rust_subject_is(t[7], "chatted")) {
			/* The irregular chat subject (gamingapi.md 2.2). */
			out->kind = RUST_CHATTED;
			out->steam_id = t[6];
		}
	} else if (rust_subject_is(t[4], "players") && n >= 8 &&
	    rust_subject_is(t[6], "events")) {
		out->steam_id = t[5];
		if (n == 8)
			out->kind = rust_subject_lookup(rust_subject_players,
			    t[7]);
		else if (n == 9 && rust_subject_is(t[7], "combat") &&
		    rust_subject_is(t[8], "hit"))
			out->kind = RUST_HIT;
		else if (n == 10 && rust_subject_is(t[7], "items")) {
			out->kind = rust_subject_lookup(rust_subject_items,
			    t[9]);
			out->item_id = t[8];
		}
	}
	if (out->kind == RUST_UNKNOWN)
		memset(out, 0, sizeof(*out));
	return out->kind;
}

