/*
 * db.h: the SQLite boundary: one account's database file, opened for the
 * one process that may write it.
 *
 * db_open() takes an exclusive lock on FILE.lock beside the database (a
 * second worker gets DB_ELOCKED instead of interleaving its batches), creates
 * the file when missing, and sets the pragmas the worker relies on: WAL, so
 * that readers in other processes never block the worker and never see half
 * a batch; synchronous=NORMAL, which is safe here because the checkpoint that
 * survives a crash, not the consumer's ack floor, says where to resume; a
 * busy timeout; defensive settings for a file others can open.
 *
 * db_open_beside() opens a file that belongs to a database already opened
 * (the archive beside it) the same way, under the database's lock.
 *
 * db_set_bulk() relaxes durability for a shadow copy being rebuilt, which
 * can always be built again: no fsync, a larger cache. db_unlink() removes a
 * database file with its -wal, -shm and .lock companions.
 *
 * The engine's SQL helpers, for any connection (db_sql.c): db_exec() runs
 * SQL text, db_step_done() runs a prepared statement once and makes it ready
 * for the next run, db_bind_text() and db_bind_int64() bind a parameter by
 * its name, db_retryable() tells a failure that may go away by itself from a
 * broken schema, and DB_NOW_SQL is the one way the engine writes a time.
 * Each of them that can fail returns 0, or -1 with SQLite's reason.
 *
 * Memory: struct db owns the connection and the lock; db_close() releases
 * both and accepts NULL. db_handle() lends the connection, db_guard() its
 * authorizer (guard.h), installed at open. A text bound with
 * db_bind_text() is borrowed until the statement's next db_step_done().
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "projection.h"

struct guard;

#define DB_BUSY_TIMEOUT_MS	5000

/* Now, as the engine writes it in every updated_at: ISO 8601 UTC, in ms. */
#define DB_NOW_SQL	"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

enum db_error {
	DB_OK = 0,
	DB_ELOCKED,	/* another process holds the database: EX_TEMPFAIL */
	DB_ECREATE,	/* cannot create or open the file: EX_CANTCREAT */
	DB_EIO		/* SQLite failed on it: EX_IOERR */
};

int	db_sysexit(enum db_error e);

struct db;

int	db_init(void);
enum db_error db_open(const char *path, struct db **out, char *err,
	    size_t errlen);
enum db_error db_open_beside(const char *path, struct db **out, char *err,
	    size_t errlen);
sqlite3	*db_handle(struct db *d);
struct guard *db_guard(struct db *d);
int	db_migrate(struct db *d, const struct projection *const *table,
	    int *applied, char *err, size_t errlen);
int	db_set_state(struct db *d, const char *projection, const char *state,
	    const char *last_error, char *err, size_t errlen);
int	db_set_rebuild(struct db *d, const char *projection, uint64_t seq,
	    uint64_t target, char *err, size_t errlen);
int	db_add_meta(struct db *d, const char *key, uint64_t n, char *err,
	    size_t errlen);
int	db_swap_sha256(struct db *d, const char *projection,
	    const char *sha256, char *was, size_t waslen, char *err,
	    size_t errlen);
int	db_get_version(struct db *d, const char *projection, int *version,
	    char *err, size_t errlen);
int	db_ensure_status(sqlite3 *conn, const char *projection, int version,
	    char *err, size_t errlen);
int	db_set_bulk(struct db *d, char *err, size_t errlen);
int	db_unlink(const char *path, char *err, size_t errlen);
void	db_close(struct db *d);
int	db_open_readonly(const char *path, sqlite3 **out, char *err,
	    size_t errlen);

/* db_sql.c */
int	db_exec(sqlite3 *conn, const char *sql, const char *what, char *err,
	    size_t errlen);
int	db_step_done(sqlite3_stmt *st, const char *what, char *err,
	    size_t errlen);
int	db_bind_text(sqlite3_stmt *st, const char *name, const char *s);
int	db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v);
int	db_retryable(sqlite3 *conn);

#endif /* DB_H */
