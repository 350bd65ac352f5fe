/*
 * replay.h: a background rebuild of some projections of a live database,
 * from start to swap.
 *
 * replay_start() marks the projections 'rebuilding' in the live database
 * (their old view keeps serving readers) and starts a rebuild thread into a
 * shadow file (rebuild.h). replay_tend(), called by the worker between two
 * live batches, writes the progress into projector_status and, once the
 * shadow has caught up, swaps it in (swap.h), removes the shadow file and
 * says REPLAY_SWAPPED: the worker then folds those projections live again.
 * It computes the figures the worker reports (rate, ETA) and logs nothing.
 *
 * Memory: struct replay borrows the database and the projections; it owns
 * the rebuild. replay_finish() stops the rebuild, leaving an unfinished
 * shadow on disk to be resumed, and accepts NULL.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "rebuild.h"

enum replay_state {
	REPLAY_RUNNING = 0,
	REPLAY_SWAPPED,		/* the new view is live */
	REPLAY_FAILED		/* error says why; the old view stays */
};

struct replay_report {
	uint64_t	done_seq;	/* the shadow's checkpoint */
	uint64_t	target_seq;	/* the stream's last seq at start */
	uint64_t	events;		/* folded so far by this run */
	double		rate;		/* events per second since start */
	double		eta_s;		/* seconds left at that rate */
	double		elapsed_s;
	char		error[512];	/* REPLAY_FAILED, or a swap to retry */
	int		code;		/* REPLAY_FAILED: sysexits code */
};

struct replay;

int	replay_start(struct db *live, const struct rebuild_params *p,
	    struct replay **out, char *err, size_t errlen);
enum replay_state replay_tend(struct replay *r, struct replay_report *out);
void	replay_finish(struct replay *r);

#endif /* REPLAY_H */
