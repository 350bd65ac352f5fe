/*
 * gen.c: a deterministic stream of GamingAPI Rust v0 events for the
 * benchmark (see gen.h).
 *
 * Each event advances a simulated clock by 0-19 ms (about 100 events/s over
 * all servers, a busy evening), so 1,000,000 events span about three hours.
 * Server-wide events are rarer than in the 600-event fixture, whose starts
 * and wipes are mostly the opening of a short story: here every server
 * starts once at the beginning, a restart (stopped, then started) comes
 * about once per 10,000 events and a wipe once per 25,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gen.h"
#include "late.h"
#include "roster.h"

#define GEN_BASE_MS	1793534400000LL	/* 2026-11-01T12:00:00Z, the fixture's */
#define GEN_STEAM_BASE	76561198000001000ULL
#define GEN_SERVER_BASE	101
#define GEN_STEP_MS	20		/* the clock moves 0..19 ms an event */
#define GEN_RESTARTS	10		/* per 100,000 events */
#define GEN_WIPES	4		/* per 100,000 events */
#define GEN_POISON	1		/* broken hit payloads, per 1,000 hits */
#define GEN_LATE_SPAN	400		/* how many events a late one trails */
#define GEN_TS_MAX	80		/* room for any int in the time format */

/* The per-player kinds, weighted by their counts in the fixture. */
enum gen_kind {
	GEN_HIT, GEN_GATHERED, GEN_CONNECTED, GEN_RESPAWNED, GEN_CHATTED,
	GEN_DISCONNECTED, GEN_REPORTED, GEN_ITEM, GEN_UNBANNED, GEN_BANNED,
	GEN_COMMAND, GEN_NKINDS
};
static const unsigned gen_weight[GEN_NKINDS] = {
	190, 83, 76, 54, 53, 38, 22, 59, 9, 5, 3
};
#define GEN_WEIGHT_SUM	592		/* of gen_weight */

static const char *const gen_chat[] = { "gg", "lol", "anyone selling sulfur?",
    "wipe when?", "raid at B4 tonight", "need a team", "nice shot", "rip" };
static const char *const gen_reason[] = { "Disconnected", "Timed Out",
    "Kicked: AFK", "Connection lost", "Steam auth timeout" };
static const int gen_item[] = { 1545779598, -2099697608, 963906841 };

struct gen {
	uint64_t		 rng;
	int64_t			 now_ms;
	int			 nservers, nplayers, target;
	struct roster		*roster;
	int			*rename;	/* per player: 0, or "~N" */
	int			 nstarted;	/* servers started so far */
	int			 restarting;	/* server to start next, or -1 */
	struct late		 late;		/* disconnects held back */
	struct gen_counts	 counts;
};

/* splitmix64: tiny, fast and good enough to shape a workload. */
static uint64_t
gen_rand(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
gen_below(struct gen *g, int n)
{
	return (int)(gen_rand(g) % (uint64_t)n);
}

static double
gen_real(struct gen *g, double lo, double hi)
{
	return lo + (hi - lo) * (double)(gen_rand(g) >> 11) / 9007199254740992.0;
}

static void
gen_time(const struct gen *g, char buf[GEN_TS_MAX])
{
	time_t t = (time_t)(g->now_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, GEN_TS_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(g->now_ms % 1000));
}

static unsigned long long
gen_steam(int p)
{
	return GEN_STEAM_BASE + (unsigned long long)p;
}

static void
gen_name(const struct gen *g, int p, char buf[32])
{
	if (g->rename[p] != 0)
		snprintf(buf, 32, "player%d~%d", p, g->rename[p]);
	else
		snprintf(buf, 32, "player%d", p);
}

static int
gen_any_online(struct gen *g)
{
	return roster_at(g->roster, gen_below(g, roster_count(g->roster)));
}

/* Another player online on p's server, or -1 when p is alone there. */
static int
gen_neighbour(struct gen *g, int p)
{
	int s = roster_server_of(g->roster, p), n, q;

	if ((n = roster_server_count(g->roster, s)) < 2)
		return -1;
	while ((q = roster_server_at(g->roster, s, gen_below(g, n))) == p)
		;
	return q;
}

static void
gen_server_event(struct gen *g, int s, const char *kind, struct wire_event *ev)
{
	char ts[GEN_TS_MAX];

	gen_time(g, ts);
	wire_server(ev, GEN_SERVER_BASE + s, kind, ts);
}

/* A stop: its players are gone without disconnects; the start comes next. */
static void
gen_restart(struct gen *g, struct wire_event *ev)
{
	int s = gen_below(g, g->nservers);

	while (roster_server_count(g->roster, s) > 0)
		roster_leave(g->roster, roster_server_at(g->roster, s, 0));
	gen_server_event(g, s, "stopped", ev);
	g->restarting = s;
}

static void
gen_pos(struct gen *g, double pos[3])
{
	pos[0] = gen_real(g, -1000, 1000);
	pos[1] = gen_real(g, 0, 40);
	pos[2] = gen_real(g, -1000, 1000);
}

/*
 * Shaped like the fixture's hits: a quarter without player_hit, two in five
 * of the others kills (one in a hundred a suicide), a few poison.
 */
static void
gen_hit(struct gen *g, int a, const char *ts, struct wire_event *ev)
{
	struct wire_hit h;
	int s = GEN_SERVER_BASE + roster_server_of(g->roster, a);
	int v = gen_neighbour(g, a);

	if (gen_below(g, 1000) < GEN_POISON) {
		wire_hit_broken(ev, s, gen_steam(a), ts);
		g->counts.poison++;
		return;
	}
	if (v < 0 || gen_below(g, 190) < 45) {
		wire_hit(ev, s, gen_steam(a), ts, NULL);
		return;
	}
	h.kill = gen_below(g, 145) < 56;
	if (h.kill && gen_below(g, 100) == 0)
		v = a;		/* a death, no kill */
	if (h.kill) {
		g->counts.deaths++;
		g->counts.kills += v != a;
	}
	h.victim = gen_steam(v);
	h.area = gen_below(g, 20) + 1;
	h.distance = gen_real(g, 1, 300);
	h.damage = gen_real(g, 1, 100);
	h.kill_key = gen_below(g, 10) == 0 ? "is_kill" : "isKill";
	gen_pos(g, h.victim_pos);
	gen_pos(g, h.attacker_pos);
	h.victim_uid = gen_below(g, 99999) + 1;
	h.victim_item = gen_item[gen_below(g, 3)];
	h.attacker_uid = gen_below(g, 99999) + 1;
	h.attacker_item = gen_item[gen_below(g, 3)];
	wire_hit(ev, s, gen_steam(a), ts, &h);
}

/*
 * Below the target population a connect brings a new player in; above it,
 * it is a reconnect that supersedes the player's open session, which keeps
 * the fixture's ratio of connects to disconnects with a stable population.
 */
static void
gen_connect(struct gen *g, const char *ts, struct wire_event *ev)
{
	char name[32];
	int p;

	if (roster_count(g->roster) < g->target) {
		while (roster_server_of(g->roster,
		    p = gen_below(g, g->nplayers)) >= 0)
			;
		roster_join(g->roster, p, gen_below(g, g->nservers));
	} else
		p = gen_any_online(g);
	if (gen_below(g, 100) == 0)
		g->rename[p]++;
	gen_name(g, p, name);
	wire_connected(ev, GEN_SERVER_BASE + roster_server_of(g->roster, p),
	    gen_steam(p), ts, name, p % 254 + 1);
	g->counts.connects++;
}

/*
 * A fifth of the disconnects reach the stream up to GEN_LATE_SPAN events
 * late. Returns 0 when ev was held back (another event must take its place
 * now), else 1.
 */
static int
gen_disconnect(struct gen *g, int p, const char *ts, struct wire_event *ev)
{
	wire_disconnected(ev, GEN_SERVER_BASE + roster_server_of(g->roster, p),
	    gen_steam(p), ts, gen_reason[gen_below(g, 5)]);
	roster_leave(g->roster, p);
	if (gen_below(g, 5) != 0)
		return 1;
	return late_hold(&g->late, g->counts.events + 1 +
	    (uint64_t)gen_below(g, GEN_LATE_SPAN), ev) == -1;
}

/* Draws a kind with the fixture's weights. */
static enum gen_kind
gen_kind(struct gen *g)
{
	int k, r;

	r = gen_below(g, GEN_WEIGHT_SUM);
	for (k = 0; r >= (int)gen_weight[k]; k++)
		r -= (int)gen_weight[k];
	/* Nobody online yet (the very start): someone must connect first. */
	if (roster_count(g->roster) == 0 && k != GEN_UNBANNED && k != GEN_COMMAND)
		k = GEN_CONNECTED;
	return (enum gen_kind)k;
}

/*
 * One per-player event (or a command). Returns 0 when the event was held
 * back to be emitted later (draw again), else 1.
 */
static int
gen_player_event(struct gen *g, struct wire_event *ev)
{
	static const char *const action[] = { "pickup", "loot", "crafted" };
	enum gen_kind k = gen_kind(g);
	char ts[GEN_TS_MAX], name[32];
	unsigned long long steam = 0;
	int r, p, q, s;

	p = k == GEN_UNBANNED ? gen_below(g, g->nplayers) :
	    k == GEN_COMMAND || k == GEN_CONNECTED ? -1 : gen_any_online(g);
	s = p >= 0 ? roster_server_of(g->roster, p) : -1;
	s = GEN_SERVER_BASE + (s >= 0 ? s : gen_below(g, g->nservers));
	gen_time(g, ts);
	if (p >= 0) {
		gen_name(g, p, name);
		steam = gen_steam(p);
	}
	switch (k) {
	case GEN_HIT:
		gen_hit(g, p, ts, ev);
		break;
	case GEN_CONNECTED:
		gen_connect(g, ts, ev);
		break;
	case GEN_DISCONNECTED:
		return gen_disconnect(g, p, ts, ev);
	case GEN_GATHERED:
		wire_gathered(ev, s, steam, ts, gen_below(g, 50) + 1);
		break;
	case GEN_RESPAWNED:
		wire_respawned(ev, s, steam, ts, gen_below(g, 2000) - 1000,
		    gen_below(g, 40), gen_below(g, 2000) - 1000);
		break;
	case GEN_CHATTED:
		wire_chatted(ev, s, steam, ts, name, gen_chat[gen_below(g, 8)]);
		g->counts.chats++;
		break;
	case GEN_REPORTED:
		if ((q = gen_neighbour(g, p)) < 0)
			while ((q = gen_below(g, g->nplayers)) == p)
				;
		wire_reported(ev, s, steam, gen_steam(q), ts);
		break;
	case GEN_ITEM:
		r = gen_below(g, 59);	/* the fixture: 26 pickups, 21 loots */
		wire_item(ev, s, steam, ts, gen_item[gen_below(g, 3)],
		    action[r < 26 ? 0 : r < 47 ? 1 : 2]);
		break;
	case GEN_BANNED:
		wire_banned(ev, s, steam, ts, gen_below(g, 2) ? name : NULL);
		break;
	case GEN_UNBANNED:
		wire_unbanned(ev, s, steam, ts, name);
		break;
	default:
		wire_command(ev, s, ts);
		break;
	}
	return 1;
}

/* The next event when no held-back one is due. */
static void
gen_draw(struct gen *g, struct wire_event *ev)
{
	int r;

	if (g->nstarted < g->nservers)
		gen_server_event(g, g->nstarted++, "started", ev);
	else if (g->restarting >= 0) {
		gen_server_event(g, g->restarting, "started", ev);
		g->restarting = -1;
	} else if ((r = gen_below(g, 100000)) < GEN_RESTARTS)
		gen_restart(g, ev);
	else if (r < GEN_RESTARTS + GEN_WIPES) {
		gen_server_event(g, gen_below(g, g->nservers), "wiped", ev);
		g->counts.wipes++;
	} else
		while (!gen_player_event(g, ev))
			;
}

/*
 * Returns a generator of the stream for seed over nservers servers and
 * nplayers players (a third of them online at a time), or NULL when the
 * sizes are too small or memory runs out. Free it with gen_free().
 */
struct gen *
gen_new(uint64_t seed, int nservers, int nplayers)
{
	struct gen *g;

	if (nservers < 1 || nplayers < 2 || (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->rng = seed;
	g->now_ms = GEN_BASE_MS;
	g->nservers = nservers;
	g->nplayers = nplayers;
	g->target = nplayers / 3 + 1;
	g->restarting = -1;
	g->roster = roster_new(nservers, nplayers);
	g->rename = calloc((size_t)nplayers, sizeof(*g->rename));
	if (g->roster == NULL || g->rename == NULL) {
		gen_free(g);
		return NULL;
	}
	return g;
}

/* Releases g. Accepts NULL. */
void
gen_free(struct gen *g)
{
	if (g == NULL)
		return;
	roster_free(g->roster);
	free(g->rename);
	free(g);
}

/* Fills ev with the next event of the stream. Cannot fail. */
void
gen_next(struct gen *g, struct wire_event *ev)
{
	g->now_ms += gen_below(g, GEN_STEP_MS);
	if (!late_take(&g->late, g->counts.events, ev))
		gen_draw(g, ev);
	g->counts.events++;
}

/* Returns what the events emitted so far add up to; borrowed from g. */
const struct gen_counts *
gen_counts(const struct gen *g)
{
	return &g->counts;
}
