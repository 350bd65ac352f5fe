/*
 * guard.h: what a projection's code may do on the engine's connection.
 *
 * One SQLite authorizer per connection (sqlite3_set_authorizer()), switched
 * around each call into a projection:
 *
 * - GUARD_ENGINE, between calls: everything (the engine's own statements).
 * - GUARD_MIGRATION, while a projection's migrations run: create, alter and
 *   drop its declared tables (.tables) and their indexes and triggers;
 *   create and drop views; write its tables and the schema; read anything.
 * - GUARD_CALL, in init(), apply(), parked() and fini(): read, insert,
 *   update and delete rows of its declared tables in "main", and call
 *   functions but load_extension().
 *
 * Everything else is denied, notably BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
 * RELEASE, ATTACH, DETACH, PRAGMA and temporary objects: the engine owns
 * the transaction, the checkpoint and the connection. SQLite asks while it
 * prepares a statement (a statement prepared once in init() costs nothing
 * per event) and again when a schema change makes it prepare again; a
 * denied statement fails with "not authorized", and the guard keeps the
 * first denial in words ("INSERT into \"other\" ...") for the caller: a
 * denial is a bug of the projection, never poison.
 *
 * This catches mistakes, not malice: code in the process can remove the
 * authorizer or open a connection of its own.
 *
 * Memory: struct guard lives where the caller puts it (in struct db) and
 * must outlive the connection's use of it; the projection is borrowed
 * between guard_enter() and guard_leave(). Nothing is allocated.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stddef.h>

#include <sqlite3.h>

#include "projection.h"

enum guard_mode {
	GUARD_ENGINE = 0,
	GUARD_MIGRATION,
	GUARD_CALL
};

struct guard {
	enum guard_mode			 mode;
	const struct projection		*p;	/* NULL in GUARD_ENGINE */
	char				 denied[512];	/* the first, or "" */
};

void	guard_install(struct guard *g, sqlite3 *db);
void	guard_enter(struct guard *g, enum guard_mode mode,
	    const struct projection *p);
void	guard_leave(struct guard *g);
const char *guard_denied(const struct guard *g);
void	guard_forget(struct guard *g);

#endif /* GUARD_H */
