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
 * init() returns belongs to the projection and is released by fini(). The
 * descriptor and every string and array it points to are static: the engine
 * borrows them for as long as it runs (a plug-in is never unloaded).
 *
 * Compatibility (ABI 2): struct projection starts with a version block that
 * PROJECTION_HEADER fills, the ABI's major and minor and the struct's size as
 * the projection was compiled, so that the engine checks them before it
 * reads any other field. A field is only ever added at the end, with the
 * minor raised; removing or changing one raises the major. The engine loads
 * a projection of its own major and of a minor no newer than its own, and
 * reads a field only when the projection's minor and size say it is there
 * (the rule of Varnish's VMODs and sudo's plug-ins).
 *
 * The payload reaches a projection parsed by jansson (json_t): a projection
 * built as a plug-in must link the engine's own jansson and SQLite (-ljansson
 * -lsqlite3, never a private copy: two copies of SQLite in one process
 * corrupt databases), which PROJECTION_HEADER's probes let the engine check.
 */
#ifndef PROJECTION_H
#define PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#define PROJECTION_ABI_MAJOR	2
#define PROJECTION_ABI_MINOR	0
#define PROJECTION_ABI	((uint32_t)PROJECTION_ABI_MAJOR << 16 | PROJECTION_ABI_MINOR)
#define PROJECTION_ABI_MAJOR_OF(abi)	((abi) >> 16)
#define PROJECTION_ABI_MINOR_OF(abi)	((abi) & 0xffff)

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

/*
 * One schema migration, a file migrations/<name>/NNNN_<what>.sql of the
 * projection (projector-embed-migrations turns a folder of them into an
 * array). The engine applies each once, in array order, in a transaction of
 * its own, and records it with its checksum: a migration may never change
 * once shipped (one that did is refused; add the next NNNN instead).
 */
struct projection_migration {
	const char	*name;		/* "0001_init.sql": unique, sorted */
	const char	*sql;		/* one or more statements */
};

struct projection {
	/*
	 * The version block: first, filled by PROJECTION_HEADER, read by the
	 * engine before anything else (it protects the rest).
	 */
	uint32_t	  abi;		/* PROJECTION_ABI as compiled */
	uint32_t	  size;		/* sizeof(struct projection) as compiled */
	int		  sqlite_version;	/* SQLITE_VERSION_NUMBER as compiled */
	const char	*(*sqlite_probe)(void);	/* sqlite3_libversion as linked */
	int		  jansson_version;	/* JANSSON_VERSION_HEX as compiled */
	json_t		*(*jansson_probe)(void);	/* json_object as linked */

	const char	 *name;		/* unique [a-z0-9_]+; its tables' scope */
	int		  version;	/* of the fold logic; recorded in the database */
	const char	 *build;	/* free text for the logs ("1.4.2"), or NULL */
	const char *const *subjects;	/* NULL-terminated NATS filters it wants */
	const char *const *tables;	/* NULL-terminated tables it owns and writes */
	/* Its schema, { NULL, NULL }-terminated; NULL: none. */
	const struct projection_migration *migrations;

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

/*
 * The version block, first in every descriptor, built-ins included:
 *
 *	static const struct projection kills = {
 *		PROJECTION_HEADER,
 *		.name = "kills",
 *		...
 *	};
 */
#define PROJECTION_HEADER \
	.abi = PROJECTION_ABI, \
	.size = sizeof(struct projection), \
	.sqlite_version = SQLITE_VERSION_NUMBER, \
	.sqlite_probe = sqlite3_libversion, \
	.jansson_version = JANSSON_VERSION_HEX, \
	.jansson_probe = json_object

/*
 * A plug-in's one exported symbol: projector calls
 * projector_projection() and reads the descriptor it returns (a function,
 * not the data itself: dlsym is only sure to work on functions). One
 * projection per shared object.
 */
#define PROJECTION_ENTRY	"projector_projection"
#define PROJECTION_EXPORT(descriptor) \
	__attribute__((visibility("default"))) \
	const struct projection *projector_projection(void); \
	const struct projection *projector_projection(void) \
	{ \
		return &(descriptor); \
	}

#endif /* PROJECTION_H */
