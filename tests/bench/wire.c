/*
 * wire.c: GamingAPI Rust v0 events in the fixture's format (see wire.h,
 * which gives every function's contract: each overwrites ev with one event
 * and cannot fail).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "wire.h"

/* Writes the subject; fmt takes the server id first. */
static void
wire_subject(struct wire_event *ev, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ev->subject, sizeof(ev->subject), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ev->subject))
		abort();
	ev->len = 0;
}

/* Appends to the payload. */
static void
wire_put(struct wire_event *ev, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ev->payload + ev->len, sizeof(ev->payload) - ev->len, fmt,
	    ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ev->payload) - ev->len)
		abort();
	ev->len += (size_t)n;
}

/* The subject of a player-scoped event: players.{steam}.events.{kind}. */
static void
wire_player(struct wire_event *ev, int server, unsigned long long steam,
    const char *kind)
{
	wire_subject(ev, "v0.rust.servers.%d.players.%llu.events.%s", server,
	    steam, kind);
}

void
wire_server(struct wire_event *ev, int server, const char *kind,
    const char *ts)
{
	wire_subject(ev, "v0.rust.servers.%d.events.%s", server, kind);
	wire_put(ev, "{\"timestamp\":\"%s\"}", ts);
}

void
wire_command(struct wire_event *ev, int server, const char *ts)
{
	wire_subject(ev, "v0.rust.servers.%d.events.command", server);
	wire_put(ev, "{\"command\":\"say\",\"arguments\":\"hello\","
	    "\"timestamp\":\"%s\"}", ts);
}

void
wire_connected(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name, int address)
{
	wire_player(ev, server, steam, "connected");
	wire_put(ev, "{\"connected_timestamp\":\"%s\",\"player\":{\"id\":"
	    "\"%llu\",\"name\":\"%s\",\"address\":\"203.0.113.%d\"}}", ts, steam,
	    name, address);
}

void
wire_disconnected(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, const char *reason)
{
	wire_player(ev, server, steam, "disconnected");
	wire_put(ev, "{\"disconnected_timestamp\":\"%s\",\"player\":{\"id\":"
	    "\"%llu\"},\"reason\":\"%s\"}", ts, steam, reason);
}

/* One side of a player_hit: steam_id, position, active_item. */
static void
wire_side(struct wire_event *ev, const char *key, unsigned long long steam,
    const double pos[3], int uid, int item)
{
	wire_put(ev, "\"%s\":{\"steam_id\":\"%llu\",\"position\":{\"x\":%.16g,"
	    "\"y\":%.16g,\"z\":%.16g},\"active_item\":{\"uid\":%d,\"item_id\":"
	    "%d}}", key, steam, pos[0], pos[1], pos[2], uid, item);
}

void
wire_hit(struct wire_event *ev, int server, unsigned long long attacker,
    const char *ts, const struct wire_hit *h)
{
	wire_player(ev, server, attacker, "combat.hit");
	if (h == NULL) {
		wire_put(ev, "{\"hit_timestamp\":\"%s\"}", ts);
		return;
	}
	wire_put(ev, "{\"hit_timestamp\":\"%s\",\"player_hit\":{\"hit_area_id\":"
	    "%d,\"hit_distance\":%.1f,\"hit_damage\":%.1f,\"%s\":%s,", ts,
	    h->area, h->distance, h->damage, h->kill_key,
	    h->kill ? "true" : "false");
	wire_side(ev, "victim", h->victim, h->victim_pos, h->victim_uid,
	    h->victim_item);
	wire_put(ev, ",");
	wire_side(ev, "attacker", attacker, h->attacker_pos, h->attacker_uid,
	    h->attacker_item);
	wire_put(ev, "}}");
}

void
wire_hit_broken(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts)
{
	wire_player(ev, server, steam, "combat.hit");
	wire_put(ev, "{\"hit_timestamp\":\"%s\",\"player_hit\":{\"hit_area_id\":",
	    ts);
}

void
wire_gathered(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, int amount)
{
	wire_player(ev, server, steam, "gatheredResources");
	wire_put(ev, "{\"gathered_timestamp\":\"%s\",\"steam_id\":\"%llu\","
	    "\"item_uid\":1,\"item_id\":-151838493,\"amount\":%d,"
	    "\"gathering_item\":{\"uid\":2,\"item_id\":963906841}}", ts, steam,
	    amount);
}

void
wire_respawned(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, int x, int y, int z)
{
	wire_player(ev, server, steam, "respawned");
	wire_put(ev, "{\"steam_id\":\"%llu\",\"respawn_timestamp\":\"%s\","
	    "\"respawn_position\":{\"x\":%d,\"y\":%d,\"z\":%d}}", steam, ts, x, y,
	    z);
}

void
wire_chatted(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name, const char *message)
{
	wire_subject(ev, "v0.rust.servers.%d.events.player.%llu.chatted", server,
	    steam);
	wire_put(ev, "{\"steam_id\":\"%llu\",\"player_name\":\"%s\","
	    "\"full_message\":\"%s\",\"is_admin\":false,\"timestamp\":\"%s\"}",
	    steam, name, message, ts);
}

void
wire_reported(struct wire_event *ev, int server, unsigned long long steam,
    unsigned long long target, const char *ts)
{
	wire_player(ev, server, steam, "reported");
	wire_put(ev, "{\"reporter_steam_id\":\"%llu\","
	    "\"reported_target_steam_id\":\"%llu\",\"subject\":\"Aimbot\","
	    "\"message\":\"sus\",\"reportedType\":\"cheat\",\"timestamp\":"
	    "\"%s\"}", steam, target, ts);
}

void
wire_item(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, int item, const char *action)
{
	/* The time field is named after the action, but crafted's is "craft". */
	const char *field = action[0] == 'p' ? "pickup" : action[0] == 'l' ?
	    "loot" : "craft";

	wire_subject(ev, "v0.rust.servers.%d.players.%llu.events.items.%d.%s",
	    server, steam, item, action);
	wire_put(ev, "{\"%s_timestamp\":\"%s\",\"steam_id\":\"%llu\","
	    "\"item_uid\":7,\"item_id\":%d,\"amount\":1}", field, ts, steam,
	    item);
}

void
wire_banned(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name)
{
	wire_player(ev, server, steam, "banned");
	if (name != NULL)
		wire_put(ev, "{\"player_name\":\"%s\",", name);
	else
		wire_put(ev, "{");
	wire_put(ev, "\"steam_id\":\"%llu\",\"reason\":\"Cheating\","
	    "\"duration\":\"600\",\"timestamp\":\"%s\"}", steam, ts);
}

void
wire_unbanned(struct wire_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name)
{
	wire_player(ev, server, steam, "unbanned");
	wire_put(ev, "{\"steam_id\":\"%llu\",\"name\":\"%s\",\"timestamp\":"
	    "\"%s\"}", steam, name, ts);
}
