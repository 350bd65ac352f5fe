/*
 * feed.c: GamingAPI Rust v0 events in the fixture's format (see feed.h,
 * which gives every function's contract: each overwrites ev with one event
 * and cannot fail).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "feed.h"

/* Writes the subject; fmt takes the server id first. */
static void
feed_subject(struct feed_event *ev, const char *fmt, ...)
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
feed_put(struct feed_event *ev, const char *fmt, ...)
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
feed_player(struct feed_event *ev, int server, unsigned long long steam,
    const char *kind)
{
	feed_subject(ev, "v0.rust.servers.%d.players.%llu.events.%s", server,
	    steam, kind);
}

void
feed_server(struct feed_event *ev, int server, const char *kind,
    const char *ts)
{
	feed_subject(ev, "v0.rust.servers.%d.events.%s", server, kind);
	feed_put(ev, "{\"timestamp\":\"%s\"}", ts);
}

void
feed_command(struct feed_event *ev, int server, const char *ts)
{
	feed_subject(ev, "v0.rust.servers.%d.events.command", server);
	feed_put(ev, "{\"command\":\"say\",\"arguments\":\"hello\","
	    "\"timestamp\":\"%s\"}", ts);
}

void
feed_connected(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name, int address)
{
	feed_player(ev, server, steam, "connected");
	feed_put(ev, "{\"connected_timestamp\":\"%s\",\"player\":{\"id\":"
	    "\"%llu\",\"name\":\"%s\",\"address\":\"203.0.113.%d\"}}", ts, steam,
	    name, address);
}

void
feed_disconnected(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, const char *reason)
{
	feed_player(ev, server, steam, "disconnected");
	feed_put(ev, "{\"disconnected_timestamp\":\"%s\",\"player\":{\"id\":"
	    "\"%llu\"},\"reason\":\"%s\"}", ts, steam, reason);
}

/* One side of a player_hit: steam_id, position, active_item. */
static void
feed_side(struct feed_event *ev, const char *key, unsigned long long steam,
    const double pos[3], int uid, int item)
{
	feed_put(ev, "\"%s\":{\"steam_id\":\"%llu\",\"position\":{\"x\":%.16g,"
	    "\"y\":%.16g,\"z\":%.16g},\"active_item\":{\"uid\":%d,\"item_id\":"
	    "%d}}", key, steam, pos[0], pos[1], pos[2], uid, item);
}

void
feed_hit(struct feed_event *ev, int server, unsigned long long attacker,
    const char *ts, const struct feed_hit *h)
{
	feed_player(ev, server, attacker, "combat.hit");
	if (h == NULL) {
		feed_put(ev, "{\"hit_timestamp\":\"%s\"}", ts);
		return;
	}
	feed_put(ev, "{\"hit_timestamp\":\"%s\",\"player_hit\":{\"hit_area_id\":"
	    "%d,\"hit_distance\":%.1f,\"hit_damage\":%.1f,\"%s\":%s,", ts,
	    h->area, h->distance, h->damage, h->kill_key,
	    h->kill ? "true" : "false");
	feed_side(ev, "victim", h->victim, h->victim_pos, h->victim_uid,
	    h->victim_item);
	feed_put(ev, ",");
	feed_side(ev, "attacker", attacker, h->attacker_pos, h->attacker_uid,
	    h->attacker_item);
	feed_put(ev, "}}");
}

void
feed_hit_broken(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts)
{
	feed_player(ev, server, steam, "combat.hit");
	feed_put(ev, "{\"hit_timestamp\":\"%s\",\"player_hit\":{\"hit_area_id\":",
	    ts);
}

void
feed_gathered(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, int amount)
{
	feed_player(ev, server, steam, "gatheredResources");
	feed_put(ev, "{\"gathered_timestamp\":\"%s\",\"steam_id\":\"%llu\","
	    "\"item_uid\":1,\"item_id\":-151838493,\"amount\":%d,"
	    "\"gathering_item\":{\"uid\":2,\"item_id\":963906841}}", ts, steam,
	    amount);
}

void
feed_respawned(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, int x, int y, int z)
{
	feed_player(ev, server, steam, "respawned");
	feed_put(ev, "{\"steam_id\":\"%llu\",\"respawn_timestamp\":\"%s\","
	    "\"respawn_position\":{\"x\":%d,\"y\":%d,\"z\":%d}}", steam, ts, x, y,
	    z);
}

void
feed_chatted(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name, const char *message)
{
	feed_subject(ev, "v0.rust.servers.%d.events.player.%llu.chatted", server,
	    steam);
	feed_put(ev, "{\"steam_id\":\"%llu\",\"player_name\":\"%s\","
	    "\"full_message\":\"%s\",\"is_admin\":false,\"timestamp\":\"%s\"}",
	    steam, name, message, ts);
}

void
feed_reported(struct feed_event *ev, int server, unsigned long long steam,
    unsigned long long target, const char *ts)
{
	feed_player(ev, server, steam, "reported");
	feed_put(ev, "{\"reporter_steam_id\":\"%llu\","
	    "\"reported_target_steam_id\":\"%llu\",\"subject\":\"Aimbot\","
	    "\"message\":\"sus\",\"reportedType\":\"cheat\",\"timestamp\":"
	    "\"%s\"}", steam, target, ts);
}

void
feed_item(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, int item, const char *action)
{
	/* The time field is named after the action, but crafted's is "craft". */
	const char *field = action[0] == 'p' ? "pickup" : action[0] == 'l' ?
	    "loot" : "craft";

	feed_subject(ev, "v0.rust.servers.%d.players.%llu.events.items.%d.%s",
	    server, steam, item, action);
	feed_put(ev, "{\"%s_timestamp\":\"%s\",\"steam_id\":\"%llu\","
	    "\"item_uid\":7,\"item_id\":%d,\"amount\":1}", field, ts, steam,
	    item);
}

void
feed_banned(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name)
{
	feed_player(ev, server, steam, "banned");
	if (name != NULL)
		feed_put(ev, "{\"player_name\":\"%s\",", name);
	else
		feed_put(ev, "{");
	feed_put(ev, "\"steam_id\":\"%llu\",\"reason\":\"Cheating\","
	    "\"duration\":\"600\",\"timestamp\":\"%s\"}", steam, ts);
}

void
feed_unbanned(struct feed_event *ev, int server, unsigned long long steam,
    const char *ts, const char *name)
{
	feed_player(ev, server, steam, "unbanned");
	feed_put(ev, "{\"steam_id\":\"%llu\",\"name\":\"%s\",\"timestamp\":"
	    "\"%s\"}", steam, name, ts);
}
