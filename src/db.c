/*
 * db.c: the SQLite boundary (see db.h).
 */
#include <sys/file.h>

#include <sysexits.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "guard.h"
#include "migrate.h"
#include "xmalloc.h"

struct db {
	sqlite3		*conn;
	int		 lockfd;
	struct guard	 guard;		/* the connection's authorizer */
};

static const char pragmas_sql[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"PRAGMA foreign_keys = OFF;"
	"PRAGMA trusted_schema = OFF;"
	/*
	 * wal_autocheckpoint stays at SQLite's 1,000 pages: 8,192 made
	 * catch-up 10% faster at 1M events, but each checkpoint, run inside
	 * the commit that crosses the threshold, then held a batch for 100 to
	 * 250 ms (p99 latency 162 ms at 5,000 events/s, make bench); a
	 * checkpoint thread with its own connection kept the -wal file from
	 * ever being cut back. Keep the -wal file from staying large after a
	 * checkpoint.
	 */
	"PRAGMA journal_size_limit = 16777216;"
	/*
	 * A page cache of 4 MiB (SQLite's default is 2): full at 100,000
	 * events already, so memory does not grow with the stream (make bench:
	 * 13.8 MiB at 100k, 14.5 at 1M; 8 MiB was no faster). Temporary
	 * b-trees (a swap's index builds) spill to files, not to memory that
	 * would grow with the tables.
	 */
	"PRAGMA cache_size = -4096;";

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
 * Returns the <sysexits.h> code for e, as the enum's comments say: 0 for
 * DB_OK, EX_TEMPFAIL (try again when the other process is gone), EX_CANTCREAT
 * or EX_IOERR. Cannot fail.
 */
int
db_sysexit(enum db_error e)
{
	switch (e) {
	case DB_OK:
		return 0;
	case DB_ELOCKED:
		return EX_TEMPFAIL;
	case DB_ECREATE:
		return EX_CANTCREAT;
	default:
		return EX_IOERR;
	}
}

/*
 * Process-wide SQLite settings, before any connection is opened: no memory
 * statistics, whose global mutex every allocation of every connection would
 * take (3% of a catch-up). Returns 0, or -1 when SQLite was already in use.
 */
int
db_init(void)
{
	return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK ? 0 : -1;
}

/* Opens path for writing, creating it, with the worker's pragmas. */
static enum db_error
open_conn(struct db *d, const char *path, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_open_v2(path, &d->conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    d->conn != NULL ? sqlite3_errmsg(d->conn) : sqlite3_errstr(rc));
		return DB_ECREATE;
	}
	sqlite3_extended_result_codes(d->conn, 1);
	sqlite3_busy_timeout(d->conn, DB_BUSY_TIMEOUT_MS);
	sqlite3_db_config(d->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* The first write is where a bad file or directory shows. */
	if (db_exec(d->conn, pragmas_sql, path, err, errlen) == -1)
		return DB_ECREATE;
	guard_install(&d->guard, d->conn);
	return DB_OK;
}

/* Opens path, under a lock of its own when locked. */
static enum db_error
open_db(const char *path, int locked, struct db **out, char *err,
    size_t errlen)
{
	struct db *d;
	enum db_error e;

	d = xcalloc(1, sizeof(*d));
	d->lockfd = -1;
	if ((locked && (e = lock(path, &d->lockfd, err, errlen)) != DB_OK) ||
	    (e = open_conn(d, path, err, errlen)) != DB_OK) {
		db_close(d);
		return e;
	}
	*out = d;
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
	return open_db(path, 1, out, err, errlen);
}

/*
 * Opens (creating when missing) a file that belongs to a database this
 * process has opened with db_open(), such as its archive: for writing, with
 * the same pragmas, under that database's lock rather than one of its own.
 * Returns DB_OK and sets *out, or an error with the reason in err.
 */
enum db_error
db_open_beside(const char *path, struct db **out, char *err, size_t errlen)
{
	return open_db(path, 0, out, err, errlen);
}

/*
 * Lends the guard of d's connection (guard.h), for the fold to switch
 * around each call into a projection. Cannot fail.
 */
struct guard *
db_guard(struct db *d)
{
	return &d->guard;
}

/* Lends the connection; it stays owned by d. Cannot fail. */
sqlite3 *
db_handle(struct db *d)
{
	return d->conn;
}

/*
 * Applies the migrations of "core", then those each projection of the
 * NULL-terminated table carries, in its order (a projection's scope is its
 * name; a NULL table: core only). Every projection of the table gets its
 * tables, whether an account runs it or not, so that views joining them
 * always work; each projection's own migrations may only create and change
 * its declared tables (guard.h): a denial says so in err, and
 * guard_denied(db_guard(d)) is then set. Sets *applied (may be NULL). Returns 0, or -1 with err.
 */
int
db_migrate(struct db *d, const struct projection *const *table,
    int *applied, char *err, size_t errlen)
{
	size_t i;
	int n, total;

	if (migrate_apply(d->conn, "core", migrations_core, &total, err,
	    errlen) == -1)
		return -1;
	for (i = 0; table != NULL && table[i] != NULL; i++) {
		if (migrate_projection(d->conn, &d->guard, table[i], &n, err,
		    errlen) == -1)
			return -1;
		total += n;
	}
	if (applied != NULL)
		*applied = total;
	return 0;
}

/*
 * Prepares one write on the engine's tables; NULL when SQLite refuses it
 * (the reason stays on conn).
 */
static sqlite3_stmt *
write_prepare(sqlite3 *conn, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/*
 * Runs a write that write_prepare() made and the caller bound (bound is 0
 * when a bind failed), in its own transaction, and finalizes it. Returns 0,
 * or -1 with "updating TABLE: reason" in err.
 */
static int
write_done(sqlite3 *conn, sqlite3_stmt *st, int bound, const char *table,
    char *err, size_t errlen)
{
	char what[64];
	int rc = -1;

	snprintf(what, sizeof(what), "updating %s", table);
	if (st != NULL && bound)
		rc = db_step_done(st, what, err, errlen);
	else
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(conn));
	sqlite3_finalize(st);
	return rc;
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
	sqlite3_stmt *st;

	st = write_prepare(d->conn, "UPDATE projector_status"
	    " SET state = :state, last_error = :last_error,"
	    " updated_at = " DB_NOW_SQL
	    " WHERE :projection IS NULL OR projection = :projection");
	return write_done(d->conn, st, st != NULL &&
	    db_bind_text(st, ":projection", projection) == 0 &&
	    db_bind_text(st, ":state", state) == 0 &&
	    db_bind_text(st, ":last_error", last_error) == 0,
	    "projector_status", err, errlen);
}

/*
 * Records how far the rebuild of projection has come (seq of target) in its
 * status row, in its own transaction; target 0 clears both. Returns 0, or
 * -1 with err.
 */
int
db_set_rebuild(struct db *d, const char *projection, uint64_t seq,
    uint64_t target, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = write_prepare(d->conn, "UPDATE projector_status"
	    " SET rebuild_seq = nullif(:seq, -1),"
	    " rebuild_target = nullif(:target, -1),"
	    " updated_at = " DB_NOW_SQL " WHERE projection = :projection");
	return write_done(d->conn, st, st != NULL &&
	    db_bind_text(st, ":projection", projection) == 0 &&
	    db_bind_int64(st, ":seq", target == 0 ? -1 : (int64_t)seq) == 0 &&
	    db_bind_int64(st, ":target", target == 0 ? -1 :
	    (int64_t)target) == 0,
	    "projector_status", err, errlen);
}

/*
 * Adds n to the counter key of projector_meta (created at n), in its own
 * transaction; the caller is outside a batch. Returns 0, or -1 with err.
 */
int
db_add_meta(struct db *d, const char *key, uint64_t n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	st = write_prepare(d->conn, "INSERT INTO projector_meta (key, value)"
	    " VALUES (:key, :n) ON CONFLICT DO UPDATE"
	    " SET value = value + excluded.value");
	return write_done(d->conn, st, st != NULL &&
	    db_bind_text(st, ":key", key) == 0 &&
	    db_bind_int64(st, ":n", (int64_t)n) == 0,
	    "projector_meta", err, errlen);
}

/*
 * Sets *version to the version of projection recorded in projector_status,
 * or 0 when it has no row yet. Returns 0, or -1 with err.
 */
int
db_get_version(struct db *d, const char *projection, int *version, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(d->conn, "SELECT version FROM projector_status"
	    " WHERE projection = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, projection, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading projector_status: %s",
		    sqlite3_errmsg(d->conn));
		return -1;
	}
	return 0;
}

/*
 * Records sha256 as the fingerprint of projection's shared object, and
 * copies the one recorded before into was ("" when none, or no row yet).
 * Returns 0, or -1 with err.
 */
int
db_swap_sha256(struct db *d, const char *projection, const char *sha256,
    char *was, size_t waslen, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *old;
	int rc;

	was[0] = '\0';
	rc = sqlite3_prepare_v2(d->conn, "SELECT sha256 FROM projector_status"
	    " WHERE projection = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, projection, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW && (old = sqlite3_column_text(st, 0)) != NULL)
		snprintf(was, waslen, "%s", (const char *)old);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = sqlite3_prepare_v2(d->conn, "UPDATE projector_status SET"
		    " sha256 = ?2 WHERE projection = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, projection, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a plug-in's sha256: %s",
		    sqlite3_errmsg(d->conn));
		return -1;
	}
	return 0;
}

/*
 * Creates projection's status row (at version, checkpoint 0) when it has
 * none, on conn: the connection of a struct db (db_handle()) or a fold's.
 * Returns 0, or -1 with err.
 */
int
db_ensure_status(sqlite3 *conn, const char *projection, int version,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = write_prepare(conn, "INSERT INTO projector_status"
	    " (projection, version, updated_at)"
	    " VALUES (:projection, :version, " DB_NOW_SQL ")"
	    " ON CONFLICT DO NOTHING");
	return write_done(conn, st, st != NULL &&
	    db_bind_text(st, ":projection", projection) == 0 &&
	    db_bind_int64(st, ":version", version) == 0,
	    "projector_status", err, errlen);
}

/*
 * Bulk settings for a shadow database: no fsync (WAL keeps it consistent
 * through a crash of the process; an OS crash only costs a rebuild) and a
 * 16 MiB page cache. Returns 0, or -1 with err.
 */
int
db_set_bulk(struct db *d, char *err, size_t errlen)
{
	return db_exec(d->conn, "PRAGMA synchronous = OFF;"
	    "PRAGMA cache_size = -16384;", "bulk settings", err, errlen);
}

/*
 * Removes the database file path and its -wal, -shm and .lock files; a
 * missing file is fine. Only for files no connection has open. Returns 0,
 * or -1 with err.
 */
int
db_unlink(const char *path, char *err, size_t errlen)
{
	static const char *const suffix[] = { "-wal", "-shm", ".lock", "" };
	char name[4096];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
		if (unlink(name) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot remove: %s", name,
			    strerror(errno));
			return -1;
		}
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
