/*
 * archive_read.c: the readers' side of an account's event archive (see
 * archive.h): the next records after a sequence, how many there are, its
 * holes, and its figures for status. Each read is one snapshot.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "archive.h"
#include "archive_int.h"

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
		return archive_failed(a, "reading its holes", err, errlen);
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
		return archive_failed(a, "reading a block", err, errlen);
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
		return archive_failed(a, "finding a block", err, errlen);
	st = a->st[ST_TAIL_NEXT];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if ((r = archive_load_rows(a, st, max, n, err, errlen)) != ARCHIVE_OK)
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
	if ((r = archive_run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = archive_read_state(a, &s, err, errlen)) != ARCHIVE_OK ||
	    (r = read_next(a, after, max, recs, n, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	*mark = s.mark;
	/* Only reads: the records stay valid after the end of the snapshot. */
	if ((r = archive_run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
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
	return rc == SQLITE_ROW ? ARCHIVE_OK : archive_failed(a, "counting", err, errlen);
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
	if ((r = archive_run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	rc = sqlite3_step(st);
	first = (uint64_t)sqlite3_column_int64(st, 0);
	last = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return archive_abandon(a, archive_failed(a, "finding a block", err, errlen));
	if (rc == SQLITE_ROW) {
		if ((r = unpack(a, first, last, err, errlen)) != ARCHIVE_OK)
			return archive_abandon(a, r);
		for (i = 0; i < a->ncached; i++)
			*n += a->cached[i].seq > after;
		after = last;
	}
	if ((r = add_count(a, ST_COUNT_AFTER, after, n, err, errlen)) !=
	    ARCHIVE_OK ||
	    (r = add_count(a, ST_TAIL_COUNT, after, n, err, errlen)) !=
	    ARCHIVE_OK ||
	    (r = archive_run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
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
	if ((r = archive_run(a, ST_BEGIN, err, errlen)) != ARCHIVE_OK)
		return r;
	if ((r = archive_read_state(a, &s, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
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
		return archive_abandon(a, archive_failed(a, "reading its figures", err, errlen));
	if ((r = archive_run(a, ST_COMMIT, err, errlen)) != ARCHIVE_OK)
		return archive_abandon(a, r);
	out->mark = s.mark;
	out->messages += s.tail_count;
	out->raw_bytes += s.tail_bytes;
	out->file_bytes = file_size(a->path, "");
	out->wal_bytes = file_size(a->path, "-wal");
	return ARCHIVE_OK;
}

