/*
 * db.c: the SQLite boundary (see db.h).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "migrate.h"
#include "xmalloc.h"

struct db {
	sqlite3	*conn;
	int	 lockfd;
};

static const char pragmas_sql[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"PRAGMA foreign_keys = OFF;"
	"PRAGMA trusted_schema = OFF;"
	/* Keep the -wal file from staying large after a checkpoint. */
	"PRAGMA journal_size_limit = 16777216;"
	"PRAGMA temp_store = MEMORY;";

/*
 * Takes the lock that makes this process the database's only writer. flock()
 * on a separate file, because a lock on the database file itself would be
 * dropped by SQLite's own close() calls (POSIX locks are per process).
 */
static enum db_error
lock(const char *path, int *fd, char *err, size_t errlen)
{
	char *lockpath;

	lockpath = xasprintf("%s.lock", path);
	*fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd == -1) {
		snprintf(err, errlen, "%s: cannot create: %s", lockpath,
		    strerror(errno));
		free(lockpath);
		return DB_ECREATE;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s is in use by another projector"
		    " (lock %s held); stop it first", path, lockpath);
		free(lockpath);
		close(*fd);
		*fd = -1;
		return DB_ELOCKED;
	}
	free(lockpath);
	return DB_OK;
}

/*
 * Opens (creating when missing) the database at path for writing, locked for
 * this process, with the worker's pragmas. Returns DB_OK and sets *out, or an
 * error with the reason in err.
 */
enum db_error
db_open(const char *path, struct db **out, char *err, size_t errlen)
{
	struct db *d;
	char *msg = NULL;
	enum db_error e;
	int rc;

	d = xcalloc(1, sizeof(*d));
	d->lockfd = -1;
	if ((e = lock(path, &d->lockfd, err, errlen)) != DB_OK)
		goto fail;
	rc = sqlite3_open_v2(path, &d->conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    d->conn != NULL ? sqlite3_errmsg(d->conn) : sqlite3_errstr(rc));
		e = DB_ECREATE;
		goto fail;
	}
	sqlite3_extended_result_codes(d->conn, 1);
	sqlite3_busy_timeout(d->conn, DB_BUSY_TIMEOUT_MS);
	sqlite3_db_config(d->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (sqlite3_exec(d->conn, pragmas_sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    msg != NULL ? msg : sqlite3_errmsg(d->conn));
		sqlite3_free(msg);
		/* The first write is where a bad file or directory shows. */
		e = DB_ECREATE;
		goto fail;
	}
	*out = d;
	return DB_OK;
fail:
	db_close(d);
	return e;
}

/* Lends the connection; it stays owned by d. Cannot fail. */
sqlite3 *
db_handle(struct db *d)
{
	return d->conn;
}

/*
 * Applies the built-in migrations of "core" and then of each scope, in the
 * order given. Sets *applied (may be NULL). Returns 0, or -1 with err.
 */
int
db_migrate(struct db *d, const char *const *scopes, size_t nscopes,
    int *applied, char *err, size_t errlen)
{
	const char *all[64];
	size_t i, n = 0;

	all[n++] = "core";
	for (i = 0; i < nscopes && n < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = scopes[i];
	return migrate_apply(d->conn, migrate_builtin, migrate_nbuiltin, all, n,
	    applied, err, errlen);
}

/*
 * Sets state and last_error (NULL clears it) of one projection's status row,
 * or of every row when projection is NULL, in its own transaction; the
 * caller is outside a batch. Returns 0, or -1 with err.
 */
int
db_set_state(struct db *d, const char *projection, const char *state,
    const char *last_error, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(d->conn, "UPDATE projector_status"
	    " SET state = ?1, last_error = ?2,"
	    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
	    " WHERE ?3 IS NULL OR projection = ?3", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, last_error, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, projection, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "updating projector_status: %s",
		    sqlite3_errmsg(d->conn));
		return -1;
	}
	return 0;
}

/* Closes the connection, then releases the lock. Accepts NULL. */
void
db_close(struct db *d)
{
	if (d == NULL)
		return;
	if (d->conn != NULL)
		sqlite3_close_v2(d->conn);
	if (d->lockfd != -1)
		close(d->lockfd);
	free(d);
}

/*
 * Opens path read-only, as a website would, for `status`: it takes no lock
 * and never blocks or disturbs the worker. Returns 0 and sets *out (close it
 * with sqlite3_close), or -1 with err.
 */
int
db_open_readonly(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *conn = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close(conn);
		return -1;
	}
	sqlite3_busy_timeout(conn, DB_BUSY_TIMEOUT_MS);
	*out = conn;
	return 0;
}
