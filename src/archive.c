/*
 * archive.c: an account's event archive (see archive.h): opening it, and
 * the writer's side (append, lost); archive_read.c is the readers' side.
 *
 * Blocks and the tail are kept in sequence order by construction: the
 * writer only ever adds messages above the mark, packing the oldest of the
 * tail (with the new messages, when they fill a block) into blocks and
 * keeping the rest in the tail. So the next messages after any sequence are
 * in the first block that ends after it, or, when there is none, in the
 * tail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_int.h"
#include "db.h"
#include "migrate.h"
#include "xmalloc.h"

/* Statements a read-only archive cannot prepare are NULL there. */
static const struct {
	const char	*sql;
	int		 write;
} archive_sql[ST_NSTMT] = {
	[ST_BEGIN] = { "BEGIN", 0 },
	[ST_BEGIN_WRITE] = { "BEGIN IMMEDIATE", 1 },
	[ST_COMMIT] = { "COMMIT", 0 },
	[ST_ROLLBACK] = { "ROLLBACK", 0 },
	[ST_STATE] = { "SELECT to_seq, tail_bytes, tail_count"
	    " FROM archive_state WHERE id = 1", 0 },
	[ST_SET_STATE] = { "UPDATE archive_state SET to_seq = :to,"
	    " tail_bytes = :bytes, tail_count = :count WHERE id = 1", 1 },
	[ST_TAIL_ALL] = { "SELECT seq, stored_ms, subject, payload"
	    " FROM archive_tail ORDER BY seq", 0 },
	[ST_TAIL_NEXT] = { "SELECT seq, stored_ms, subject, payload"
	    " FROM archive_tail WHERE seq > :after ORDER BY seq LIMIT :max", 0 },
	[ST_TAIL_INSERT] = { "INSERT INTO archive_tail (seq, stored_ms,"
	    " subject, payload) VALUES (:seq, :ms, :subject, :payload)", 1 },
	[ST_TAIL_CLEAR] = { "DELETE FROM archive_tail", 1 },
	[ST_BLOCK_NEXT] = { "SELECT first_seq, last_seq FROM archive_blocks"
	    " WHERE last_seq > :after ORDER BY first_seq LIMIT 1", 0 },
	[ST_BLOCK_DATA] = { "SELECT block FROM archive_blocks"
	    " WHERE first_seq = :first", 0 },
	[ST_BLOCK_INSERT] = { "INSERT INTO archive_blocks (first_seq,"
	    " last_seq, count, raw_bytes, block) VALUES (:first, :last,"
	    " :count, :raw, :block)", 1 },
	[ST_HOLE_INSERT] = { "INSERT INTO archive_holes (from_seq, to_seq,"
	    " recorded_at) VALUES (:from, :to, " DB_NOW_SQL ")", 1 },
	[ST_HOLES] = { "SELECT max(from_seq, :from), min(to_seq, :to)"
	    " FROM archive_holes WHERE to_seq >= :from AND from_seq <= :to"
	    " ORDER BY from_seq", 0 },
	[ST_COUNT_AFTER] = { "SELECT coalesce(sum(count), 0)"
	    " FROM archive_blocks WHERE first_seq > :after", 0 },
	[ST_TAIL_COUNT] = { "SELECT count(*) FROM archive_tail"
	    " WHERE seq > :after", 0 },
	[ST_STAT] = { "SELECT (SELECT min(first_seq) FROM archive_blocks),"
	    " (SELECT max(last_seq) FROM archive_blocks),"
	    " (SELECT coalesce(sum(count), 0) FROM archive_blocks),"
	    " (SELECT count(*) FROM archive_blocks),"
	    " (SELECT coalesce(sum(raw_bytes), 0) FROM archive_blocks),"
	    " (SELECT min(seq) FROM archive_tail),"
	    " (SELECT max(seq) FROM archive_tail),"
	    " (SELECT count(*) FROM archive_holes),"
	    " (SELECT coalesce(sum(to_seq - from_seq + 1), 0)"
	    "  FROM archive_holes)", 0 }
};

enum archive_result
archive_failed(struct archive *a, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "archive %s: %s: %s", a->path, what,
	    sqlite3_errmsg(a->conn));
	return db_retryable(a->conn) ? ARCHIVE_RETRY : ARCHIVE_ERROR;
}

static enum archive_result
readonly(struct archive *a, char *err, size_t errlen)
{
	snprintf(err, errlen, "archive %s is open read-only", a->path);
	return ARCHIVE_ERROR;
}

/* Steps a statement that returns no row, then resets it. */
enum archive_result
archive_run(struct archive *a, enum archive_stmt i, char *err, size_t errlen)
{
	if (db_step_done(a->st[i], NULL, err, errlen) == 0)
		return ARCHIVE_OK;
	return archive_failed(a, archive_sql[i].sql, err, errlen);
}

/* Ends a transaction that failed (err is set already). */
enum archive_result
archive_abandon(struct archive *a, enum archive_result r)
{
	if (!sqlite3_get_autocommit(a->conn)) {
		sqlite3_step(a->st[ST_ROLLBACK]);
		sqlite3_reset(a->st[ST_ROLLBACK]);
	}
	return r;
}

enum archive_result
archive_read_state(struct archive *a, struct archive_state *s, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_STATE];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		s->mark = (uint64_t)sqlite3_column_int64(st, 0);
		s->tail_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		s->tail_count = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ARCHIVE_OK;
	if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "archive %s: no state row", a->path);
		return ARCHIVE_ERROR;
	}
	return archive_failed(a, "reading its state", err, errlen);
}

static enum archive_result
prepare(struct archive *a, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < ST_NSTMT; i++) {
		if (a->readonly && archive_sql[i].write)
			continue;
		if (sqlite3_prepare_v3(a->conn, archive_sql[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &a->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "archive %s is not an archive of"
			    " this version: %s", a->path,
			    sqlite3_errmsg(a->conn));
			return ARCHIVE_ERROR;
		}
	}
	return ARCHIVE_OK;
}

/*
 * Opens the archive at path: for writing (creating it when missing, the
 * caller holding the lock of its database, and applying its migrations:
 * *migrated says how many, and may be NULL), or read-only (it must exist).
 * Returns ARCHIVE_OK and sets *out, or an error with err.
 */
enum archive_result
archive_open(const char *path, int readonly, int *migrated,
    struct archive **out, char *err, size_t errlen)
{
	struct archive *a;
	enum archive_result r = ARCHIVE_ERROR;

	a = xcalloc(1, sizeof(*a));
	a->path = xstrdup(path);
	a->readonly = readonly;
	if (readonly) {
		if (db_open_readonly(path, &a->conn, err, errlen) == -1)
			goto fail;
	} else {
		if (db_open_beside(path, &a->db, err, errlen) != DB_OK)
			goto fail;
		a->conn = db_handle(a->db);
		if (migrate_apply(a->conn, "archive", migrations_archive,
		    migrated, err, errlen) == -1) {
			r = db_retryable(a->conn) ? ARCHIVE_RETRY : ARCHIVE_ERROR;
			goto fail;
		}
	}
	if ((r = prepare(a, err, errlen)) != ARCHIVE_OK)
		goto fail;
	if (archive_block_new(&a->blk, err, errlen) == -1) {
		r = ARCHIVE_ERROR;
		goto fail;
	}
	*out = a;
	return ARCHIVE_OK;
fail:
	archive_close(a);
	return r;
}

/* Sets *mark: the archive speaks for sequences 1 to it. */
enum archive_result
archive_mark(struct archive *a, uint64_t *mark, char *err, size_t errlen)
{
	struct archive_state s;
	enum archive_result r;

	if ((r = archive_read_state(a, &s, err, errlen)) == ARCHIVE_OK)
		*mark = s.mark;
	return r;
}

static size_t
rec_bytes(const struct archive_rec *r)
{
	return r->subject_len + r->payload_len;
}

/*
 * Makes room for n records and bytes of tail rows, growing by half again at
 * least: the tail is read row by row, and the workspace reaches the size of
 * a block's worth of messages once, then stays.
 */
static void
reserve(struct archive *a, size_t n, size_t bytes)
{
	if (n > a->nrecs) {
		if (n < a->nrecs + a->nrecs / 2)
			n = a->nrecs + a->nrecs / 2;
		a->recs = xreallocarray(a->recs, n, sizeof(*a->recs));
		a->nrecs = n;
	}
	if (bytes > a->arena_cap) {
		if (bytes < a->arena_cap + a->arena_cap / 2)
			bytes = a->arena_cap + a->arena_cap / 2;
		a->arena = xreallocarray(a->arena, bytes, 1);
		a->arena_cap = bytes;
	}
}

/*
 * Copies the rows st returns (seq, stored_ms, subject, payload), at most
 * max, into a->recs and their bytes into the arena; sets *n to how many.
 */
enum archive_result
archive_load_rows(struct archive *a, sqlite3_stmt *st, size_t max, size_t *n,
    char *err, size_t errlen)
{
	size_t used = 0;
	int rc = SQLITE_DONE;

	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct archive_rec *r;
		size_t sl = (size_t)sqlite3_column_bytes(st, 2);
		size_t pl = (size_t)sqlite3_column_bytes(st, 3);

		/* Each with a NUL after it: feeds hand out C strings. */
		reserve(a, *n + 1, used + sl + pl + 2);
		r = &a->recs[*n];
		r->seq = (uint64_t)sqlite3_column_int64(st, 0);
		r->stored_ms = sqlite3_column_int64(st, 1);
		r->subject_len = sl;
		r->payload_len = pl;
		if (sl > 0)
			memcpy(a->arena + used, sqlite3_column_blob(st, 2), sl);
		a->arena[used + sl] = '\0';
		used += sl + 1;
		if (pl > 0)
			memcpy(a->arena + used, sqlite3_column_blob(st, 3), pl);
		a->arena[used + pl] = '\0';
		used += pl + 1;
		(*n)++;
	}
	sqlite3_reset(st);
	if (*n < max && rc != SQLITE_DONE)
		return archive_failed(a, "reading the tail", err, errlen);
	/* The arena may have moved while growing: point the records now. */
	for (used = 0, max = 0; max < *n; max++) {
		struct archive_rec *r = &a->recs[max];

		r->subject = a->arena + used;
		used += r->subject_len + 1;
		r->payload = a->arena + used;
		used += r->payload_len + 1;
	}
	return ARCHIVE_OK;
}

static enum archive_result
insert_tail(struct archive *a, const struct archive_rec *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_TAIL_INSERT];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
	sqlite3_bind_int64(st, 2, r->stored_ms);
	sqlite3_bind_blob(st, 3, r->subject_len > 0 ? r->subject : "",
	    (int)r->subject_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, r->payload_len > 0 ? r->payload : "",
	    (int)r->payload_len, SQLITE_STATIC);
	return archive_run(a, ST_TAIL_INSERT, err, errlen);
}

/* Packs the n records at recs (raw bytes of them) into one block. */
static enum archive_result
insert_block(struct archive *a, const struct archive_rec *recs, size_t n,
    size_t raw, char *err, size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_BLOCK_INSERT];
	const void *block;
	size_t len;

	if (archive_block_pack(a->blk, recs, n, ARCHIVE_BLOCK_LEVEL, &block,
	    &len, err, errlen) == -1)
		return ARCHIVE_ERROR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)recs[0].seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)recs[n - 1].seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)raw);
	sqlite3_bind_blob(st, 5, block, (int)len, SQLITE_STATIC);
	return archive_run(a, ST_BLOCK_INSERT, err, errlen);
}

/*
 * The tail and the n new records at recs fill at least one block: packs
 * them, oldest first, into blocks of ARCHIVE_BLOCK_TARGET_RAW bytes, and
 * leaves what does not fill a block in the tail. Updates s.
 */
static enum archive_result
compact(struct archive *a, const struct archive_rec *recs, size_t n,
    struct archive_state *s, char *err, size_t errlen)
{
	enum archive_result r;
	size_t i, j, all = 0, left = 0, raw;

	reserve(a, (size_t)s->tail_count + n,
	    (size_t)(s->tail_bytes + 2 * s->tail_count));
	if ((r = archive_load_rows(a, a->st[ST_TAIL_ALL], (size_t)s->tail_count, &all,
	    err, errlen)) != ARCHIVE_OK)
		return r;
	reserve(a, all + n, 0);
	memcpy(a->recs + all, recs, n * sizeof(*recs));
	all += n;
	for (i = 0; i < all; i++)
		left += rec_bytes(&a->recs[i]);
	for (i = 0; i < all && left >= ARCHIVE_BLOCK_TARGET_RAW; i = j) {
		for (j = i, raw = 0; j < all && raw < ARCHIVE_BLOCK_TARGET_RAW &&
		    j - i < ARCHIVE_BLOCK_MAX_RECORDS; j++)
			raw += rec_bytes(&a->recs[j]);
		if ((r = insert_block(a, a->recs + i, j - i, raw, err,
		    errlen)) != ARCHIVE_OK)
			return r;
		left -= raw;
	}
	if ((r = archive_run(a, ST_TAIL_CLEAR, err, errlen)) != ARCHIVE_OK)
		return r;
	s->tail_bytes = left;
	s->tail_count = all - i;
	for (; i < all; i++)
		if ((r = insert_tail(a, &a->recs[i], err, errlen)) != ARCHIVE_OK)
			return r;
	return ARCHIVE_OK;
}

static enum archive_result
write_state(struct archive *a, const struct archive_state *s, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_SET_STATE];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->mark);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->tail_bytes);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->tail_count);
	return archive_run(a, ST_SET_STATE, err, errlen);
}

/*
 * Adds the n records at recs (in stream order) that lie above the mark,
 * and moves the mark to the last of them, in one transaction: a message
 * delivered again is not added twice. Returns ARCHIVE_OK, or an error with
 * err and nothing changed (ARCHIVE_RETRY: the disk is full, say).
 */
enum archive_result
archive_append(struct archive *a, const struct archive_rec *recs, size_t n,
    char *err, size_t errlen)
{
	struct archive_state s;
	enum archive_result r;
	size_t i, k, bytes = 0;

	if (a->readonly)
		return readonly(a, err, errlen);
	if ((r = archive_run(a, ST_BEGIN_WRITE, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = archive_read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	for (k = 0; k < n && recs[k].seq <= s.mark; k++)
		;
	if (k == n)
		return archive_abandon(a, ARCHIVE_OK);
	for (i = k; i < n; i++)
		bytes += rec_bytes(&recs[i]);
	if (s.tail_bytes + bytes < ARCHIVE_BLOCK_TARGET_RAW) {
		for (i = k; i < n; i++)
			if ((r = insert_tail(a, &recs[i], err, errlen)) !=
			    ARCHIVE_OK)
				return archive_abandon(a, r);
		s.tail_bytes += bytes;
		s.tail_count += n - k;
	} else if ((r = compact(a, recs + k, n - k, &s, err, errlen)) !=
	    ARCHIVE_OK)
		return archive_abandon(a, r);
	s.mark = recs[n - 1].seq;
	if ((r = write_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = archive_run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	return ARCHIVE_OK;
}

/*
 * Records that the archive will never have the sequences from its mark + 1
 * to to_seq (the stream no longer holds them), and moves the mark to
 * to_seq. Nothing happens when the mark is already there. Returns
 * ARCHIVE_OK, or an error with err.
 */
enum archive_result
archive_lost(struct archive *a, uint64_t to_seq, char *err, size_t errlen)
{
	struct archive_state s;
	sqlite3_stmt *st = a->st[ST_HOLE_INSERT];
	enum archive_result r;

	if (a->readonly)
		return readonly(a, err, errlen);
	if ((r = archive_run(a, ST_BEGIN_WRITE, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = archive_read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	if (to_seq <= s.mark)
		return archive_abandon(a, ARCHIVE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s.mark + 1);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to_seq);
	s.mark = to_seq;
	if ((r = archive_run(a, ST_HOLE_INSERT, err, errlen)) != ARCHIVE_OK ||
	    (r = write_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = archive_run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	return ARCHIVE_OK;
}

/* Closes the archive. Accepts NULL. */
void
archive_close(struct archive *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < ST_NSTMT; i++)
		sqlite3_finalize(a->st[i]);
	if (a->db != NULL)
		db_close(a->db);
	else
		sqlite3_close(a->conn);
	archive_block_free(a->blk);
	free(a->recs);
	free(a->arena);
	free(a->path);
	free(a);
}
