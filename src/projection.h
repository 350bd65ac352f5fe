/*
 * projection.h: the only contract between the engine (src/) and a projection
 * (projections/).
 *
 * A projection folds events into tables of one SQLite database. The engine
 * owns everything around the fold: the NATS consumer, the transaction, the
 * checkpoint, parking of poison events and the acknowledgement. A projection
 * owns its tables (created by the SQL files under migrations/<name>/), the
 * statements it prepares in init(), and the meaning of each event.
 *
 * Rules a projection follows:
 * - It never runs BEGIN, COMMIT or ROLLBACK: apply() runs inside the
 *   engine's batch transaction.
 * - It checks everything it reads of an event before its first write, so
 *   that refusing it (PROJ_POISON) leaves nothing to undo. One that wrote
 *   first still comes out right: the engine folds the batch again, with a
 *   savepoint around each apply() that undoes the refused event's writes;
 *   but that costs the whole batch twice.
 * - It is a pure function of the events, in stream order: it never reads the
 *   wall clock, random numbers or the environment, so that a replay from
 *   sequence 1 gives the same tables.
 * - It prepares its statements once, in init(), and never in apply().
 * - It includes nothing but this header, the standard library and what
 *   projections/ itself provides.
 *
 * Memory: struct event and everything it points to are borrowed for the
 * duration of one call; a projection copies what it keeps. The state that
 * init() returns belongs to the projection and is released by fini().
 *
 * Compatibility: struct projection starts with its ABI number and only ever
 * grows at the end, so that a projection built as a shared object against an
 * older header keeps loading (the sqlite3ext.h rule).
 */
#ifndef PROJECTION_H
#define PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#define PROJECTION_ABI	1

/*
 * One stream message, decoded once by the engine. The payload is parsed with
 * the limits of the read-model contract (UTF-8, no \u0000, at most 1 MiB, at
 * most 64 levels, numbers within a double, integers within 64 bits); when it
 * breaks one of them, json is NULL and json_error says why.
 */
struct event {
	uint64_t	 seq;		/* stream sequence, 1, 2, ... */
	int64_t		 stored_ms;	/* when the stream stored it, ms since the epoch */
	const char	*subject;	/* NUL-terminated, valid UTF-8 */
	const char	*payload;	/* the raw bytes, not NUL-terminated */
	size_t		 payload_len;
	const json_t	*json;		/* the parsed payload, or NULL */
	const char	*json_error;	/* why json is NULL; NULL when it is not */
};

enum proj_result {
	PROJ_OK = 0,	/* applied, or nothing to do */
	PROJ_POISON,	/* bad input: park it for this projection, go on */
	PROJ_FAIL	/* SQLite or internal failure: the batch is retried */
};

struct projection {
	int		  abi;		/* always PROJECTION_ABI */
	const char	 *name;		/* unique [a-z0-9_]+; also migrations/<name>/ */
	int		  version;	/* of the fold logic; recorded in the database */
	const char *const *subjects;	/* NULL-terminated NATS filters it wants */
	const char *const *tables;	/* NULL-terminated tables it owns and writes */

	/*
	 * Prepares the projection's statements on db, whose schema is already
	 * migrated, and returns its state through *state. Optional.
	 * Returns 0, or -1 with a reason in err.
	 */
	int		(*init)(sqlite3 *db, void **state, char *err, size_t errlen);

	/*
	 * Folds one event whose subject matches one of subjects. On PROJ_POISON
	 * and PROJ_FAIL, err holds the reason (for PROJ_POISON it is stored in
	 * projector_parked, so it names the field, never the payload).
	 */
	enum proj_result (*apply)(void *state, const struct event *ev,
			    char *err, size_t errlen);

	/*
	 * Called after apply() returned PROJ_POISON and its writes were rolled
	 * back, so that the projection can record what its tables keep of a
	 * parked event: facts from the subject alone, never from the payload.
	 * Optional. Returns PROJ_OK or PROJ_FAIL.
	 */
	enum proj_result (*parked)(void *state, const struct event *ev,
			    char *err, size_t errlen);

	/* Releases the state; accepts NULL. Optional. */
	void		(*fini)(void *state);
};

#endif /* PROJECTION_H */
