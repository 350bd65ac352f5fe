/*
 * rebuild.h: folding projections again from stream sequence 1 into a shadow
 * database, in a thread of its own, while the live database keeps serving
 * readers the old view.
 *
 * rebuild_start() opens (or, with fresh, recreates) the shadow file, reads
 * the account's history (its archive when it keeps one, then the stream
 * through an ephemeral consumer of its own; the durable consumer is left
 * alone) and folds it with bulk settings: large transactions and no fsync.
 * A shadow left by an interrupted rebuild of the same projections and
 * versions is resumed from its checkpoint; any other is discarded. When the
 * shadow has caught up with the stream, or reached limit_seq, the thread
 * stops folding and reports REBUILD_READY: the caller then swaps the shadow
 * in (swap.h) or compares it (verify.h), and calls rebuild_finish().
 *
 * A history with holes (events neither the archive nor the stream holds
 * any more) fails the rebuild with EX_CONFIG and the missing range, unless
 * accept_gap: then the shadow's projector_meta counts them (gap_events),
 * and a swap carries that count over.
 *
 * The thread logs nothing: rebuild_progress() tells its owner, which logs.
 *
 * Memory: struct rebuild copies the parameters (the pointers in them are
 * borrowed and must outlive it) and owns the thread, the shadow connection
 * and its NATS connection; rebuild_finish() stops and releases all of them,
 * leaving the shadow file on disk, and accepts NULL.
 */
#ifndef REBUILD_H
#define REBUILD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fold.h"
#include "projection.h"
#include "registry.h"

#define REBUILD_PATH_MAX	4096

struct rebuild_params {
	const struct config		*cfg;
	const struct config_account	*acct;
	const struct projection *const	*builtin;	/* for the schema */
	const struct projection		*projs[PROJECTION_MAX];
	size_t				 nprojs;	/* those to rebuild */
	char				 shadow_path[REBUILD_PATH_MAX];
	int				 fresh;		/* never resume */
	int				 accept_gap;	/* fold on past holes */
	uint64_t			 limit_seq;	/* 0 = until caught up */
	int				 give_up_ms;	/* NATS away this long:
							   fail; 0 = wait */
	volatile sig_atomic_t		*stop;
};

enum rebuild_state {
	REBUILD_RUNNING = 0,
	REBUILD_READY,		/* caught up, or at limit_seq: waiting */
	REBUILD_FAILED		/* see error; retrying would not help */
};

struct rebuild_progress {
	enum rebuild_state	state;
	uint64_t		done_seq;	/* the shadow's checkpoint */
	uint64_t		target_seq;	/* the stream's last seq at start */
	uint64_t		events;		/* messages folded by this run */
	uint64_t		gap_events;	/* sequences skipped in holes */
	char			error[512];	/* last error, "" when none */
	int			code;		/* REBUILD_FAILED: a sysexits
						   code that says what to fix */
};

struct rebuild;

int	rebuild_start(const struct rebuild_params *p, struct rebuild **out,
	    char *err, size_t errlen);
void	rebuild_progress(struct rebuild *r, struct rebuild_progress *out);
void	rebuild_finish(struct rebuild *r);

#endif /* REBUILD_H */
