/*
 * stmt.h: a projection's prepared statements, and running them. A
 * projection prepares its statements once, in init(), for its whole life
 * (projection.h), steps them in apply() with parameters bound to the
 * event's own bytes, and finalizes them in fini(). A projection whose state
 * is only its statements keeps them in a struct stmt_state: its init()
 * returns stmt_state_new(), its fini is stmt_state_free, and apply() takes
 * each statement with stmt_state_at(). Nothing here knows the Rust feed:
 * these are the SQLite helpers any projection needs.
 *
 * Memory: stmt_state_new() allocates the state and its statements;
 * stmt_state_free() finalizes and frees them, and accepts NULL. The
 * statements stmt_prepare() fills in are the caller's, released with
 * stmt_finalize(). Bindings are SQLITE_STATIC: what they point into must
 * outlive the step, and stmt_reset() clears them.
 */
#ifndef STMT_H
#define STMT_H

#include <stddef.h>

#include <sqlite3.h>

#include "span.h"

/* A projection's state that is only its statements; opaque. */
struct stmt_state;

int	stmt_prepare(sqlite3 *db, const char *const *sql, size_t n,
	    sqlite3_stmt **st, char *err, size_t errlen);
void	stmt_finalize(sqlite3_stmt **st, size_t n);
int	stmt_step(sqlite3_stmt *st, char *err, size_t errlen);
void	stmt_reset(sqlite3_stmt *st);
int	stmt_done(sqlite3_stmt *st, char *err, size_t errlen);
void	stmt_bind_span(sqlite3_stmt *st, int i, struct span s);

int	stmt_state_new(sqlite3 *db, const char *const *sql, size_t n,
	    void **state, char *err, size_t errlen);
sqlite3_stmt *stmt_state_at(const struct stmt_state *s, size_t i);
void	stmt_state_free(void *state);

#endif /* STMT_H */
