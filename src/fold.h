/*
 * fold.h: folding events into one SQLite database, exactly once.
 *
 * A fold holds one instance of each projection an account runs, on one
 * database connection, with each projection's checkpoint (the last stream
 * sequence it applied). It knows nothing of NATS: the worker feeds it live
 * messages, and a replay feeds it a stream read from sequence 1.
 *
 * One batch is fold_begin(), fold_event() for each message in stream order,
 * then fold_commit() (or fold_rollback()). Inside a batch:
 * - an event at or below a projection's checkpoint is skipped for it, so a
 *   redelivery changes nothing;
 * - the payload is decoded once, and only when some projection needs it,
 *   or ahead of the fold by the caller (decoder.h, fold_event_decoded());
 * - a poison event is parked in projector_parked with its reason, for the
 *   projection that refused it, and the batch goes on. A projection checks
 *   what it reads before its first write (projection.h), so a refusal has
 *   nothing to undo and costs no savepoint; one that wrote before it
 *   refused (sqlite3_total_changes() moved) makes fold_event() say
 *   FOLD_AGAIN: the caller rolls back and folds the batch again, and that
 *   batch runs each apply() in a savepoint, which undoes what the refused
 *   event wrote;
 * - fold_commit() writes every checkpoint in the same transaction as the
 *   writes it covers, then commits. Only after it returns 0 may the caller
 *   acknowledge the messages.
 *
 * Each call into a projection runs under the rules of the connection's
 * guard (guard.h; fold_open() with NULL: none): one that does what they
 * deny stops the fold (FOLD_DENIED from fold_open(), FOLD_ERROR from a
 * batch, whatever the projection returned), and so does one that ends the
 * batch's transaction.
 *
 * Memory: the fold borrows db, the guard and the projections, which must
 * outlive it; fold_close() releases the instances and statements, never
 * db.
 */
#ifndef FOLD_H
#define FOLD_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "projection.h"

struct guard;

/* Counts since fold_open(); for logs and status. */
struct fold_stats {
	uint64_t	applied;	/* (event, projection) pairs applied */
	uint64_t	parked;		/* (event, projection) pairs parked */
	uint64_t	duplicates;	/* events every projection had already */
	uint64_t	unknown;	/* events no projection wants */
	uint64_t	batches;	/* committed batches */
};

enum fold_result {
	FOLD_OK = 0,
	FOLD_RETRY,	/* SQLite is busy, full or failing: roll back, retry later */
	FOLD_ERROR,	/* a projection or the schema is broken: stop */
	FOLD_AGAIN,	/* a projection wrote before it refused an event: roll
			   back and fold the batch again at once (the next
			   batch runs each apply() in a savepoint) */
	FOLD_DENIED	/* fold_open() only: a projection's init() did what
			   its guard denies (guard.h): a bug, stop */
};

/* What event_decode() gave for a payload decoded ahead (decoder.h). */
struct fold_decoded {
	const json_t	*json;		/* the payload, or NULL */
	const char	*error;		/* why json is NULL */
};

struct fold;

/*
 * Called for each event a projection parks, inside the batch (which may
 * still roll back: the same event is then parked again when retried).
 * Everything passed is borrowed for the duration of the call.
 */
typedef void	fold_park_fn(void *arg, const char *projection, uint64_t seq,
		    const char *subject, const char *reason);

enum fold_result fold_open(sqlite3 *db, struct guard *g,
	    const struct projection *const *projs, size_t nprojs,
	    struct fold **out, char *err, size_t errlen);
void	fold_on_park(struct fold *f, fold_park_fn *fn, void *arg);
enum fold_result fold_begin(struct fold *f, char *err, size_t errlen);
enum fold_result fold_event(struct fold *f, uint64_t seq, int64_t stored_ms,
	    const char *subject, const char *payload, size_t len,
	    char *err, size_t errlen);
enum fold_result fold_event_decoded(struct fold *f, uint64_t seq,
	    int64_t stored_ms, const char *subject, const char *payload,
	    size_t len, const struct fold_decoded *dec, char *err,
	    size_t errlen);
enum fold_result fold_commit(struct fold *f, uint64_t stream_last_seq,
	    char *err, size_t errlen);
void	fold_rollback(struct fold *f);
uint64_t fold_min_checkpoint(const struct fold *f);
uint64_t fold_checkpoint(const struct fold *f, const char *projection);
const struct fold_stats *fold_stats(const struct fold *f);
void	fold_close(struct fold *f);

#endif /* FOLD_H */
