/*
 * archive.c: an account's event archive (see archive.h).
 *
 * Blocks and the tail are kept in sequence order by construction: the
 * writer only ever adds messages above the mark, packing the oldest of the
 * tail (with the new messages, when they fill a block) into blocks and
 * keeping the rest in the tail. So the next messages after any sequence are
 * in the first block that ends after it, or, when there is none, in the
 * tail.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "db.h"
#include "migrate.h"
#include "xmalloc.h"

enum archive_stmt {
	ST_BEGIN,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_STATE,
	ST_SET_STATE,
	ST_TAIL_ALL,
	ST_TAIL_NEXT,
	ST_TAIL_INSERT,
	ST_TAIL_CLEAR,
	ST_BLOCK_NEXT,
	ST_BLOCK_DATA,
	ST_BLOCK_INSERT,
	ST_HOLE_INSERT,
	ST_HOLES,
	ST_COUNT_AFTER,
	ST_TAIL_COUNT,
	ST_STAT,
	ST_NSTMT
};

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

/* What archive_state holds. */
struct archive_state {
	uint64_t	mark;
	uint64_t	tail_bytes;
	uint64_t	tail_count;
};

struct archive {
	char			*path;
	struct db		*db;		/* the writer's */
	sqlite3			*conn;		/* db's, or a reader's own */
	int			 readonly;
	sqlite3_stmt		*st[ST_NSTMT];
	struct archive_block	*blk;		/* pack and unpack workspace */
	uint64_t		 cached_first;	/* the block unpacked last; 0 */
	const struct archive_rec *cached;
	size_t			 ncached;
	struct archive_rec	*recs;		/* tail rows, or a batch to pack */
	size_t			 nrecs;		/* capacity */
	char			*arena;		/* the tail rows' bytes */
	size_t			 arena_cap;
};

static enum archive_result
failed(struct archive *a, const char *what, char *err, size_t errlen)
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
static enum archive_result
run(struct archive *a, enum archive_stmt i, char *err, size_t errlen)
{
	if (db_step_done(a->st[i], NULL, err, errlen) == 0)
		return ARCHIVE_OK;
	return failed(a, archive_sql[i].sql, err, errlen);
}

/* Ends a transaction that failed (err is set already). */
static enum archive_result
abandon(struct archive *a, enum archive_result r)
{
	if (!sqlite3_get_autocommit(a->conn)) {
		sqlite3_step(a->st[ST_ROLLBACK]);
		sqlite3_reset(a->st[ST_ROLLBACK]);
	}
	return r;
}

static enum archive_result
read_state(struct archive *a, struct archive_state *s, char *err,
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
	return failed(a, "reading its state", err, errlen);
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

	if ((r = read_state(a, &s, err, errlen)) == ARCHIVE_OK)
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
static enum archive_result
load_rows(struct archive *a, sqlite3_stmt *st, size_t max, size_t *n,
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
		return failed(a, "reading the tail", err, errlen);
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
	return run(a, ST_TAIL_INSERT, err, errlen);
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
	return run(a, ST_BLOCK_INSERT, err, errlen);
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
	if ((r = load_rows(a, a->st[ST_TAIL_ALL], (size_t)s->tail_count, &all,
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
	if ((r = run(a, ST_TAIL_CLEAR, err, errlen)) != ARCHIVE_OK)
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
	return run(a, ST_SET_STATE, err, errlen);
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
	if ((r = run(a, ST_BEGIN_WRITE, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	for (k = 0; k < n && recs[k].seq <= s.mark; k++)
		;
	if (k == n)
		return abandon(a, ARCHIVE_OK);
	for (i = k; i < n; i++)
		bytes += rec_bytes(&recs[i]);
	if (s.tail_bytes + bytes < ARCHIVE_BLOCK_TARGET_RAW) {
		for (i = k; i < n; i++)
			if ((r = insert_tail(a, &recs[i], err, errlen)) !=
			    ARCHIVE_OK)
				return abandon(a, r);
		s.tail_bytes += bytes;
		s.tail_count += n - k;
	} else if ((r = compact(a, recs + k, n - k, &s, err, errlen)) !=
	    ARCHIVE_OK)
		return abandon(a, r);
	s.mark = recs[n - 1].seq;
	if ((r = write_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
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
	if ((r = run(a, ST_BEGIN_WRITE, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	if (to_seq <= s.mark)
		return abandon(a, ARCHIVE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s.mark + 1);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to_seq);
	s.mark = to_seq;
	if ((r = run(a, ST_HOLE_INSERT, err, errlen)) != ARCHIVE_OK ||
	    (r = write_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	return ARCHIVE_OK;
}

/*
 * Finds the holes that overlap from_seq to to_seq: lists the first max of
 * them in holes (cut to that range; *n says how many) and sets *missing to
 * how many sequences of the range all of them hold. Returns ARCHIVE_OK or
 * an error with err.
 */
enum archive_result
archive_holes(struct archive *a, uint64_t from_seq, uint64_t to_seq,
    struct archive_hole *holes, size_t max, size_t *n, uint64_t *missing,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_HOLES];
	int rc;

	*n = 0;
	*missing = 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from_seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t f = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t t = (uint64_t)sqlite3_column_int64(st, 1);

		if (*n < max) {
			holes[*n].from_seq = f;
			holes[*n].to_seq = t;
			(*n)++;
		}
		*missing += t - f + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return failed(a, "reading its holes", err, errlen);
	return ARCHIVE_OK;
}

/*
 * Makes the block starting at first_seq the unpacked one, unless it is
 * already. A block that fails its check is damaged: never folded, named.
 */
static enum archive_result
unpack(struct archive *a, uint64_t first_seq, uint64_t last_seq, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_BLOCK_DATA];
	char why[256];
	int rc, ok;

	if (a->cached_first == first_seq && a->ncached > 0)
		return ARCHIVE_OK;
	a->cached_first = 0;
	a->ncached = 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)first_seq);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return failed(a, "reading a block", err, errlen);
	}
	ok = archive_block_unpack(a->blk, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), &a->cached, &a->ncached, why,
	    sizeof(why)) == 0;
	sqlite3_reset(st);
	if (ok && a->ncached > 0 && a->cached[0].seq == first_seq &&
	    a->cached[a->ncached - 1].seq == last_seq) {
		a->cached_first = first_seq;
		return ARCHIVE_OK;
	}
	if (ok)
		snprintf(why, sizeof(why), "its records do not match its row");
	a->ncached = 0;
	snprintf(err, errlen, "archive %s: the block of seq %llu to %llu is"
	    " damaged (%s)", a->path, (unsigned long long)first_seq,
	    (unsigned long long)last_seq, why);
	return ARCHIVE_EDAMAGED;
}

/* Reads the next at most max records after after; see archive_read(). */
static enum archive_result
read_next(struct archive *a, uint64_t after, size_t max,
    const struct archive_rec **recs, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_BLOCK_NEXT];
	enum archive_result r;
	uint64_t first, last;
	size_t lo, hi, mid;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	rc = sqlite3_step(st);
	first = (uint64_t)sqlite3_column_int64(st, 0);
	last = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		if ((r = unpack(a, first, last, err, errlen)) != ARCHIVE_OK)
			return r;
		/* The first record after after: the block is sorted. */
		for (lo = 0, hi = a->ncached; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if (a->cached[mid].seq <= after)
				lo = mid + 1;
			else
				hi = mid;
		}
		*recs = a->cached + lo;
		*n = a->ncached - lo < max ? a->ncached - lo : max;
		return ARCHIVE_OK;
	}
	if (rc != SQLITE_DONE)
		return failed(a, "finding a block", err, errlen);
	st = a->st[ST_TAIL_NEXT];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if ((r = load_rows(a, st, max, n, err, errlen)) != ARCHIVE_OK)
		return r;
	*recs = a->recs;
	return ARCHIVE_OK;
}

/*
 * Lends the next records after sequence after (at most max, at least one
 * unless the archive holds none after it) through *recs and *n, and the
 * mark, both as of one committed state: when *n is 0, every message the
 * archive has up to *mark was read. Returns ARCHIVE_OK, ARCHIVE_EDAMAGED
 * for a block that fails its check (err names its range), or another error.
 */
enum archive_result
archive_read(struct archive *a, uint64_t after, size_t max,
    const struct archive_rec **recs, size_t *n, uint64_t *mark, char *err,
    size_t errlen)
{
	struct archive_state s;
	enum archive_result r;

	*recs = NULL;
	*n = 0;
	if (max == 0)
		max = 1;
	if ((r = run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = read_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = read_next(a, after, max, recs, n, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	*mark = s.mark;
	/* Only reads: the records stay valid after the end of the snapshot. */
	if ((r = run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	return ARCHIVE_OK;
}

/* Adds to *n what st (one integer, bound to after) says. */
static enum archive_result
add_count(struct archive *a, enum archive_stmt i, uint64_t after, uint64_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = a->st[i];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n += (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ARCHIVE_OK : failed(a, "counting", err, errlen);
}

/*
 * Sets *n to how many messages the archive holds after sequence after:
 * those of the block that holds it, if any, counted in it, then every
 * block and tail row after that block.
 */
enum archive_result
archive_count(struct archive *a, uint64_t after, uint64_t *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = a->st[ST_BLOCK_NEXT];
	enum archive_result r;
	uint64_t first, last;
	size_t i;
	int rc;

	*n = 0;
	if ((r = run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	rc = sqlite3_step(st);
	first = (uint64_t)sqlite3_column_int64(st, 0);
	last = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return abandon(a, failed(a, "finding a block", err, errlen));
	if (rc == SQLITE_ROW) {
		if ((r = unpack(a, first, last, err, errlen)) != ARCHIVE_OK)
			return abandon(a, r);
		for (i = 0; i < a->ncached; i++)
			*n += a->cached[i].seq > after;
		after = last;
	}
	if ((r = add_count(a, ST_COUNT_AFTER, after, n, err, errlen)) !=
	    ARCHIVE_OK ||
	    (r = add_count(a, ST_TAIL_COUNT, after, n, err, errlen)) !=
	    ARCHIVE_OK ||
	    (r = run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	return ARCHIVE_OK;
}

static uint64_t
file_size(const char *path, const char *suffix)
{
	char name[4096];
	struct stat sb;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	return stat(name, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Fills out with what status shows of the archive. */
enum archive_result
archive_stat(struct archive *a, struct archive_stat *out, char *err,
    size_t errlen)
{
	struct archive_state s;
	sqlite3_stmt *st = a->st[ST_STAT];
	enum archive_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((r = run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->first_seq = (uint64_t)sqlite3_column_int64(st, 0);
		out->last_seq = (uint64_t)sqlite3_column_int64(st, 1);
		out->messages = (uint64_t)sqlite3_column_int64(st, 2);
		out->blocks = (uint64_t)sqlite3_column_int64(st, 3);
		out->raw_bytes = (uint64_t)sqlite3_column_int64(st, 4);
		if (out->first_seq == 0)
			out->first_seq = (uint64_t)sqlite3_column_int64(st, 5);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			out->last_seq = (uint64_t)sqlite3_column_int64(st, 6);
		out->holes = (uint64_t)sqlite3_column_int64(st, 7);
		out->missing = (uint64_t)sqlite3_column_int64(st, 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return abandon(a, failed(a, "reading its figures", err, errlen));
	if ((r = run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return abandon(a, r);
	out->mark = s.mark;
	out->messages += s.tail_count;
	out->raw_bytes += s.tail_bytes;
	out->file_bytes = file_size(a->path, "");
	out->wal_bytes = file_size(a->path, "-wal");
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
