/*
 * archive_int.h: what the two files of the archive module share, and no
 * other module may use: archive.c (opening, the statements, the writer's
 * side) and archive_read.c (the readers' side: read, count, holes, stat).
 * The public interface is archive.h.
 */
#ifndef ARCHIVE_INT_H
#define ARCHIVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "archive.h"
#include "archive_block.h"

struct db;

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

enum archive_result archive_failed(struct archive *a, const char *what,
	    char *err, size_t errlen);
enum archive_result archive_run(struct archive *a, enum archive_stmt i,
	    char *err, size_t errlen);
enum archive_result archive_abandon(struct archive *a, enum archive_result r);
enum archive_result archive_read_state(struct archive *a,
	    struct archive_state *s, char *err, size_t errlen);
enum archive_result archive_load_rows(struct archive *a, sqlite3_stmt *st,
	    size_t max, size_t *n, char *err, size_t errlen);

#endif /* ARCHIVE_INT_H */
