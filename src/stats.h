/*
 * stats.h: what a running account shows the outside (the HTTP endpoint,
 * http.h, and systemd through the supervisor): counters, gauges and
 * histograms of one account, written by its worker and read by any thread.
 *
 * Every field is written and read with the atomic helpers below (relaxed:
 * each value stands alone, and a scrape may see one batch's counters before
 * another's), so that a reader never holds up the fold: the worker takes no
 * lock to publish. Names and counts (name, stream, consumer, nprojs and
 * each projection's name) are set before the stats are put on a board and
 * never change after.
 *
 * A board lists the stats of the accounts that run. Its lock guards the
 * list only: the supervisor adds and removes accounts under it, and a
 * reader walks the list under it (stats_board_read()). The worker never
 * takes it.
 *
 * Memory: a board borrows each struct stats_account from
 * stats_board_add() to stats_board_remove(); the caller owns them.
 */
#ifndef STATS_H
#define STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "projection.h"
#include "registry.h"

/* Longer names are cut (registry.h checks names; this is for display). */
#define STATS_NAME_MAX		64

/* Upper bounds of the histograms' buckets, in seconds (+Inf follows). */
#define STATS_NBUCKETS		7
extern const double stats_bucket_le[STATS_NBUCKETS];

/* A projection's state, as projector_status says it (spec/read-model.md). */
enum stats_state {
	STATS_STOPPED = 0,	/* not started yet, or stopped */
	STATS_LIVE,
	STATS_REBUILDING,
	STATS_FAILED,
	STATS_NSTATES
};
extern const char *const stats_state_name[STATS_NSTATES];

/* Where an error happened, for projector_errors_total{stage}. */
enum stats_stage {
	STATS_STAGE_FETCH = 0,	/* NATS: connect, position, fetch */
	STATS_STAGE_APPLY,	/* a projection or the schema: the fold */
	STATS_STAGE_COMMIT,	/* SQLite: busy, full, I/O */
	STATS_STAGE_ACK,
	STATS_STAGE_ARCHIVE,
	STATS_NSTAGES
};
extern const char *const stats_stage_name[STATS_NSTAGES];

/* Durations: bucket[i] counts observations <= stats_bucket_le[i] that no
 * lower bucket counted (not cumulative: the renderer sums them). */
struct stats_hist {
	uint64_t	bucket[STATS_NBUCKETS + 1];	/* the last: +Inf */
	uint64_t	count;
	uint64_t	sum_us;
};

struct stats_projection {
	char		name[STATS_NAME_MAX + 1];
	int		state;		/* enum stats_state */
	int		version;	/* the program's */
	uint64_t	applied_seq;	/* its checkpoint */
	int64_t		last_event_ms;	/* stored time (Unix ms) of the last
					   event applied; 0: none yet */
	int64_t		checkpoint_ms;	/* wall time (Unix ms) of the commit
					   that last moved it; 0: none yet */
	uint64_t	replay_done;	/* rebuilding: events folded of */
	uint64_t	replay_total;	/* this many; 0 when not rebuilding */
};

struct stats_account {
	char		name[128];
	char		stream[256];
	char		consumer[256];
	size_t		nprojs;
	struct stats_projection projs[PROJECTION_MAX];

	/* The loop's beat: the supervisor's and /livez's evidence. */
	int64_t		turned_ms;	/* CLOCK_MONOTONIC ms of the last turn */
	int		started;	/* database open, NATS tried once */
	int		done;		/* the worker returned */

	uint64_t	last_seq;	/* the fold's lowest checkpoint */
	uint64_t	stream_last_seq;
	int64_t		stream_seen_ms;	/* CLOCK_MONOTONIC ms when NATS last
					   told stream_last_seq; 0: never */
	uint64_t	lag;		/* messages pending after last_seq */
	int64_t		progress_ms;	/* CLOCK_MONOTONIC ms when last_seq last
					   moved (or the worker started) */

	uint64_t	applied;	/* (event, projection) pairs */
	uint64_t	parked;
	uint64_t	batches;	/* committed */
	uint64_t	errors[STATS_NSTAGES];
	struct stats_hist batch_seconds;	/* fetch to commit */
	struct stats_hist commit_seconds;	/* COMMIT alone */

	uint64_t	db_bytes;
	uint64_t	wal_bytes;

	int		connected;	/* to NATS, now */
	int64_t		disconnected_ms; /* CLOCK_MONOTONIC ms since when not;
					   0 while connected */
	uint64_t	reconnects;

	int		has_archive;
	uint64_t	archive_bytes;
	uint64_t	archive_first_seq;
	uint64_t	archive_last_seq;	/* its mark */
};

/* The atomic accessors every reader and writer uses. */
#define STATS_SET(field, v)	__atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define STATS_GET(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)
#define STATS_ADD(field, v)	((void)__atomic_fetch_add(&(field), (v), \
				    __ATOMIC_RELAXED))

/*
 * Fills in the names of a that never change, and zeroes the rest; the
 * projections' states start STATS_STOPPED. Strings too long are cut.
 * Cannot fail.
 */
void	stats_account_init(struct stats_account *a, const char *name,
	    const char *stream, const char *consumer,
	    const struct projection *const *projs, size_t nprojs);
/* The index of a's projection called name, or -1. */
int	stats_projection_index(const struct stats_account *a,
	    const char *name);
/* Counts one duration, in microseconds. */
void	stats_observe(struct stats_hist *h, int64_t us);

struct stats_board {
	pthread_mutex_t		  mu;
	struct stats_account	**accts;
	size_t			  n;
	size_t			  cap;
};

typedef void	stats_read_fn(void *arg, struct stats_account *const *accts,
		    size_t n);

int	stats_board_init(struct stats_board *b);	/* 0 or -1 (memory) */
/* 0, or -1 when out of memory (the account is then not listed). */
int	stats_board_add(struct stats_board *b, struct stats_account *a);
void	stats_board_remove(struct stats_board *b, struct stats_account *a);
/* Calls fn with the accounts, in the order they were added, under the lock. */
void	stats_board_read(struct stats_board *b, stats_read_fn *fn, void *arg);
void	stats_board_fini(struct stats_board *b);

#endif /* STATS_H */
