/*
 * swap.h: putting rebuilt projections in place of the live ones, atomically.
 *
 * swap_in() copies the tables that each projection owns from a shadow
 * database into the live one, with the projection's parked events and its
 * checkpoint, in ONE transaction: a reader sees the whole old view or the
 * whole new one, never a mix. The tables' indexes are dropped before the
 * copy and built again after it, inside the same transaction, which is
 * faster than keeping them up to date row by row. The shadow's gap_events
 * (events a rebuild went on without) come along: the live count becomes the
 * larger of the two.
 *
 * Memory: nothing is kept; the shadow is attached for the call only.
 */
#ifndef SWAP_H
#define SWAP_H

#include <stddef.h>

#include <sqlite3.h>

#include "projection.h"

int	swap_in(sqlite3 *live, const char *shadow_path,
	    const struct projection *const *projs, size_t nprojs,
	    char *err, size_t errlen);

#endif /* SWAP_H */
