/*
 * gen.h: a deterministic stream of GamingAPI Rust v0 events for the
 * benchmark, shaped like a busy set of game servers.
 *
 * The mix of kinds follows tests/fixtures/gamingapi-small (the per-kind
 * weights are that file's counts; wire.h writes the payloads in its
 * format), spread over dozens of servers and thousands of players with a
 * real session structure: every server starts first, players connect
 * before they chat, hit, gather or disconnect, some disconnects reach the
 * stream late (after later events, as the plugin's queue sends them),
 * reconnects supersede open sessions, and servers restart and wipe now and
 * then. The output is a pure function of the seed and the sizes: one
 * splitmix64 generator, no clock, no hash order.
 *
 * gen_counts() says what the events emitted so far must produce in the read
 * model (sessions, chats, kills, deaths, wipes, parked events), so that the
 * benchmark can check that the projector did the work it timed.
 *
 * Memory: gen_new() allocates a struct gen that gen_free() releases (NULL is
 * accepted). A struct wire_event is the caller's; gen_next() fills it.
 */
#ifndef GEN_H
#define GEN_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define GEN_DEFAULT_SERVERS	40
#define GEN_DEFAULT_PLAYERS	5000

/* What the events emitted so far add to the read model. */
struct gen_counts {
	uint64_t	events;		/* emitted */
	uint64_t	connects;	/* rows of session_history */
	uint64_t	chats;		/* sum of player_profiles.chat_messages */
	uint64_t	kills;		/* sum of leaderboard.kills */
	uint64_t	deaths;		/* sum of leaderboard.deaths */
	uint64_t	wipes;		/* rows of wipes */
	uint64_t	poison;		/* broken hits: parked twice each */
};

struct gen;

struct gen	*gen_new(uint64_t seed, int nservers, int nplayers);
void		 gen_free(struct gen *g);
void		 gen_next(struct gen *g, struct wire_event *ev);
const struct gen_counts *gen_counts(const struct gen *g);

#endif /* GEN_H */
