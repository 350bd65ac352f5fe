/*
 * late.h: events held back to reach the stream later than they happened.
 *
 * The GamingAPI plugin sends events through a priority queue, and
 * disconnects, its lowest priority, often reach the stream after events
 * that happened later (README.md, "the game sends disconnects last"). A
 * struct late holds up to LATE_MAX such events, each with the position in
 * the stream at which it is due, so that the generator can replay that
 * order deterministically.
 *
 * Memory: struct late is the caller's, zeroed before first use (an empty
 * queue); it holds copies of the events, nothing allocated.
 */
#ifndef LATE_H
#define LATE_H

#include <stdint.h>

#include "wire.h"

#define LATE_MAX	64

struct late_slot {
	int			used;
	uint64_t		due;	/* emit once this many events were */
	struct wire_event	ev;
};

struct late {
	struct late_slot	slot[LATE_MAX];
};

int	late_hold(struct late *l, uint64_t due, const struct wire_event *ev);
int	late_take(struct late *l, uint64_t emitted, struct wire_event *ev);

#endif /* LATE_H */
