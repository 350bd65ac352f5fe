/*
 * db_sql.c: the engine's SQL helpers, for any connection (see db.h).
 *
 * They need nothing but SQLite, and no struct db: migrate.c, which db.c
 * calls, uses them too, and calls stay one-way (db.c -> migrate.c ->
 * db_sql.c).
 */
#include <stdio.h>

#include "db.h"

/*
 * Runs sql (one or more statements, no parameters) on conn. Returns 0, or
 * -1 with "WHAT: reason" in err, where WHAT is what, or sql itself when what
 * is NULL.
 */
int
db_exec(sqlite3 *conn, const char *sql, const char *what, char *err,
    size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(conn, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s", what != NULL ? what : sql,
	    msg != NULL ? msg : sqlite3_errmsg(conn));
	sqlite3_free(msg);
	return -1;
}

/*
 * Runs the bound statement st once, for its effect (a row it returns is
 * ignored), then resets it and clears its bindings, ready for the next run.
 * Returns 0, or -1 with "WHAT: reason" in err (WHAT: what, or the statement's
 * SQL when what is NULL); the connection keeps the error code for
 * db_retryable().
 */
int
db_step_done(sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		snprintf(err, errlen, "%s: %s", what != NULL ? what :
		    sqlite3_sql(st), sqlite3_errmsg(sqlite3_db_handle(st)));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Binds s (NULL: SQL NULL) to st's parameter called name (":name"). s is
 * borrowed until the statement next runs. Returns 0, or -1 when st has no
 * such parameter or SQLite refuses the value; the reason is then the
 * connection's error (sqlite3_errmsg()).
 */
int
db_bind_text(sqlite3_stmt *st, const char *name, const char *s)
{
	/* Index 0, no such name, is refused as SQLITE_RANGE. */
	return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), s,
	    -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

/* As db_bind_text(), for an integer. */
int
db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	return sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name),
	    (sqlite3_int64)v) == SQLITE_OK ? 0 : -1;
}

/*
 * Returns 1 when the last failure on conn can go away by itself (a lock, a
 * full disk, an I/O error, memory), so that the work is worth retrying, or 0
 * for a broken schema or statement that a retry would only repeat. Cannot
 * fail.
 */
int
db_retryable(sqlite3 *conn)
{
	switch (sqlite3_errcode(conn) & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}
