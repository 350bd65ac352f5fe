/*
 * late.c: events held back to reach the stream later (see late.h).
 *
 * A linear scan of LATE_MAX slots per event costs nothing next to
 * formatting a payload, and keeps the order plain: the earliest due first,
 * the lowest slot among equals.
 */
#include "late.h"

/*
 * Keeps a copy of ev until `due` events have been emitted. Returns 0, or -1
 * when every slot is taken (the caller emits ev at once instead).
 */
int
late_hold(struct late *l, uint64_t due, const struct wire_event *ev)
{
	int i;

	for (i = 0; i < LATE_MAX; i++)
		if (!l->slot[i].used) {
			l->slot[i].used = 1;
			l->slot[i].due = due;
			l->slot[i].ev = *ev;
			return 0;
		}
	return -1;
}

/*
 * With `emitted` events in the stream so far, moves the held event that is
 * due first (if any is due) into ev and returns 1; else returns 0 and
 * leaves ev alone. Cannot fail.
 */
int
late_take(struct late *l, uint64_t emitted, struct wire_event *ev)
{
	struct late_slot *best = NULL;
	int i;

	for (i = 0; i < LATE_MAX; i++)
		if (l->slot[i].used && l->slot[i].due <= emitted &&
		    (best == NULL || l->slot[i].due < best->due))
			best = &l->slot[i];
	if (best == NULL)
		return 0;
	*ev = best->ev;
	best->used = 0;
	return 1;
}
