/*
 * stmt.c: a projection's prepared statements, and running them (see
 * stmt.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "stmt.h"

struct stmt_state {
	size_t		 n;
	sqlite3_stmt	*st[];		/* n of them */
};

/*
 * Prepares the n statements of sql into st, once and for the life of the
 * projection (SQLITE_PREPARE_PERSISTENT). Returns 0, or -1 with the failing
 * statement and SQLite's reason in err, every st[i] then being NULL.
 */
int
stmt_prepare(sqlite3 *db, const char *const *sql, size_t n, sqlite3_stmt **st,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		st[i] = NULL;
	for (i = 0; i < n; i++) {
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "preparing %s: %s", sql[i],
			    sqlite3_errmsg(db));
			stmt_finalize(st, n);
			return -1;
		}
	}
	return 0;
}

/* Finalizes the n statements of st and sets them to NULL. Cannot fail. */
void
stmt_finalize(sqlite3_stmt **st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

/*
 * Resets st and clears its bindings, which point into the event that is
 * about to go away (SQLITE_STATIC). Cannot fail.
 */
void
stmt_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Steps st. Returns 1 with a row to read, 0 when done (st still to reset),
 * or -1 with SQLite's reason in err, st reset.
 */
int
stmt_step(sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "%s: %s", sqlite3_sql(st),
	    sqlite3_errmsg(sqlite3_db_handle(st)));
	stmt_reset(st);
	return -1;
}

/* Runs st to completion and resets it. Returns 0, or -1 with err. */
int
stmt_done(sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc;

	while ((rc = stmt_step(st, err, errlen)) == 1)
		continue;
	if (rc == -1)
		return -1;
	stmt_reset(st);
	return 0;
}

/*
 * Binds s to parameter i without copying it (SQLITE_STATIC: s outlives the
 * step, and stmt_reset() clears it), or NULL when s is absent. Binding a
 * known parameter of a prepared statement cannot fail for a string under
 * the 1 MiB payload limit.
 */
void
stmt_bind_span(sqlite3_stmt *st, int i, struct span s)
{
	if (s.p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s.p, (int)s.len, SQLITE_STATIC);
}

/*
 * Allocates a state holding the n statements of sql, prepared as
 * stmt_prepare() does, and sets *state to it: the whole init() of a
 * projection whose state is only its statements. state is a void ** so
 * that init() hands its own over. Returns 0, or -1 with err and *state
 * unchanged.
 */
int
stmt_state_new(sqlite3 *db, const char *const *sql, size_t n, void **state,
    char *err, size_t errlen)
{
	struct stmt_state *s;

	if ((s = calloc(1, sizeof(*s) + n * sizeof(s->st[0]))) == NULL) {
		snprintf(err, errlen, "out of memory for %zu statements", n);
		return -1;
	}
	s->n = n;
	if (stmt_prepare(db, sql, n, s->st, err, errlen) == -1) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/*
 * Returns statement i of s, the i-th of the sql it was made from; i must be
 * below their number. Cannot fail.
 */
sqlite3_stmt *
stmt_state_at(const struct stmt_state *s, size_t i)
{
	assert(i < s->n);
	return s->st[i];
}

/*
 * Finalizes the statements of state, a struct stmt_state, and frees it; a
 * void * so that it serves as a projection's fini as it is. Accepts NULL.
 */
void
stmt_state_free(void *state)
{
	struct stmt_state *s = state;

	if (s == NULL)
		return;
	stmt_finalize(s->st, s->n);
	free(s);
}
