/*
 * stmt.h: a projection's prepared statements, and running them. A
 * projection prepares its statements once, in init(), for its whole life
 * (projection.h), steps them in apply() with parameters bound to the
 * event's own bytes, and finalizes them in fini(). Nothing here knows the
 * Rust feed: these are the SQLite helpers any projection needs.
 *
 * Memory: the statements stmt_prepare() fills in are the caller's, released
 * with stmt_finalize(). Bindings are SQLITE_STATIC: what they point into
 * must outlive the step, and stmt_reset() clears them.
 */
#ifndef STMT_H
#define STMT_H

#include <stddef.h>

#include <sqlite3.h>

#include "span.h"

int	stmt_prepare(sqlite3 *db, const char *const *sql, size_t n,
	    sqlite3_stmt **st, char *err, size_t errlen);
void	stmt_finalize(sqlite3_stmt **st, size_t n);
int	stmt_step(sqlite3_stmt *st, char *err, size_t errlen);
void	stmt_reset(sqlite3_stmt *st);
int	stmt_done(sqlite3_stmt *st, char *err, size_t errlen);
void	stmt_bind_span(sqlite3_stmt *st, int i, struct span s);

#endif /* STMT_H */
