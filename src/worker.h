/*
 * worker.h: one account's fold loop: fetch a batch, fold it in one
 * transaction with the checkpoints, commit, then acknowledge.
 *
 * worker_run() owns everything of its account (database, fold, NATS
 * connection) from start to stop and logs what happens to it. Several
 * workers run side by side, one thread each, sharing nothing but the
 * read-only configuration and the stop flag; a failing account never stops
 * the others. Transient trouble (server down, stream missing, database
 * locked or full) is retried with backoff; only what a retry cannot mend
 * ends the worker, with the sysexits code that says what to fix.
 *
 * Rebuilds: a projection whose version in the database differs from the
 * program's, and with p->replay the projections asked for, are folded again
 * from sequence 1 into a shadow file by a rebuild thread (rebuild.h) while
 * the others keep folding live and the old view keeps serving readers; once
 * the shadow has caught up, it is swapped in (swap.h) in one transaction and
 * the projection goes on live. With p->once, a replay ends at the swap.
 *
 * It publishes its beat, progress and counters in p->stats (stats.h),
 * whose names the caller has filled in (stats_account_init() with the
 * projections the account runs) and which it reads with atomics.
 *
 * Memory: the worker borrows cfg, acct, the projection tables and stats for
 * its whole run and allocates nothing the caller must free.
 */
#ifndef WORKER_H
#define WORKER_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "projection.h"

struct catalog;
struct stats_account;

struct worker_params {
	const struct config		*cfg;
	const struct config_account	*acct;
	const struct projection *const	*builtin;  /* all, NULL-terminated */
	const struct catalog		*catalog;  /* their plug-ins' files */
	int				 once;	   /* stop when caught up */
	int				 replay;   /* rebuild from seq 1 first */
	int				 accept_gap; /* go on past expired events */
	const char			*replay_projection; /* NULL: all */
	volatile sig_atomic_t		*stop;	   /* set by a signal handler */
	volatile sig_atomic_t		*leave;	   /* this account alone: stop
						      (a reload); may be NULL */
	struct stats_account		*stats;	   /* what it publishes
						      (stats.h); may be NULL */
};

int	worker_run(const struct worker_params *p);

#endif /* WORKER_H */
