/*
 * rebuild_live.h: the live database's side of a background rebuild of some
 * of its projections (a replay, or a version change), from start to swap.
 *
 * rebuild_live_start() marks the projections 'rebuilding' in the live
 * database (their old view keeps serving readers) and starts a rebuild
 * thread into a shadow file (rebuild.h). rebuild_live_tend(), called by the
 * worker between two live batches, writes the progress into
 * projector_status and, once the shadow has caught up, swaps it in
 * (swap.h), removes the shadow file and says REBUILD_LIVE_SWAPPED: the
 * worker then folds those projections live again. It computes the figures
 * the worker reports (rate, ETA) and logs nothing.
 *
 * Memory: struct rebuild_live borrows the database and the projections; it
 * owns the rebuild. rebuild_live_finish() stops the rebuild, leaving an
 * unfinished shadow on disk to be resumed, and accepts NULL.
 */
#ifndef REBUILD_LIVE_H
#define REBUILD_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "rebuild.h"

enum rebuild_live_state {
	REBUILD_LIVE_RUNNING = 0,
	REBUILD_LIVE_SWAPPED,	/* the new view is live */
	REBUILD_LIVE_FAILED	/* error says why; the old view stays */
};

struct rebuild_live_report {
	uint64_t	done_seq;	/* the shadow's checkpoint */
	uint64_t	target_seq;	/* the stream's last seq at start */
	uint64_t	events;		/* folded so far by this run */
	double		rate;		/* events per second since start */
	double		eta_s;		/* seconds left at that rate */
	double		elapsed_s;
	char		error[512];	/* REBUILD_LIVE_FAILED, or a swap to retry */
	int		code;		/* REBUILD_LIVE_FAILED: sysexits code */
};

struct rebuild_live;

int	rebuild_live_start(struct db *live, const struct rebuild_params *p,
	    struct rebuild_live **out, char *err, size_t errlen);
enum rebuild_live_state rebuild_live_tend(struct rebuild_live *r,
	    struct rebuild_live_report *out);
void	rebuild_live_finish(struct rebuild_live *r);

#endif /* REBUILD_LIVE_H */
