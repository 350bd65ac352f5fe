/*
 * archive.h: an account's event archive: every message its consumer
 * delivered (sequence, stored time, subject and payload bytes), kept in a
 * SQLite file of its own beside the database, so that a rebuild from
 * sequence 1 survives the stream forgetting (JetStream limits discard the
 * oldest messages).
 *
 * The archive speaks for stream sequences 1 to its mark: each message the
 * consumer delivers with a sequence up to the mark is in it, except in the
 * holes it records (ranges that had expired from the stream before they
 * could be archived). Messages are packed into compressed, self-checking
 * blocks (archive_block.h) of about ARCHIVE_BLOCK_TARGET_RAW bytes; the
 * newest ones, too few to fill a block (a live trickle comes a message at a
 * time), wait uncompressed in a tail, which is packed into blocks as it
 * fills.
 *
 * One writer: the worker of the account, which opens its archive only once
 * it holds the database's lock (db.h), appends each batch before the
 * batch's read-model COMMIT (so the mark is never behind the database's
 * checkpoint), and records a hole where the stream no longer holds what it
 * lacks. Any number of readers, in this process or others (a rebuild
 * thread, `status`, `archive export`), open it read-only; each read sees
 * one committed state.
 *
 * Memory: struct archive owns its connection, its statements and a
 * workspace; archive_close() releases them and accepts NULL. The records
 * archive_read() lends, and the bytes they point to, stay valid until the
 * next call on the same archive.
 */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "archive_block.h"

enum archive_result {
	ARCHIVE_OK = 0,
	ARCHIVE_RETRY,		/* SQLite busy, full or failing: try again */
	ARCHIVE_EDAMAGED,	/* a block failed its check: err names it */
	ARCHIVE_ERROR		/* not an archive, cannot be opened, broken */
};

/* A range of sequences the archive lacks. */
struct archive_hole {
	uint64_t	from_seq;
	uint64_t	to_seq;
};

/* What status shows of an archive. */
struct archive_stat {
	uint64_t	mark;		/* it speaks for 1 to mark */
	uint64_t	first_seq;	/* its oldest message; 0: none */
	uint64_t	last_seq;	/* its newest message */
	uint64_t	messages;
	uint64_t	blocks;
	uint64_t	raw_bytes;	/* subjects and payloads, as received */
	uint64_t	file_bytes;	/* the file on disk */
	uint64_t	wal_bytes;	/* its -wal, until the next checkpoint */
	uint64_t	holes;		/* ranges it lacks */
	uint64_t	missing;	/* sequences in them */
};

struct archive;

enum archive_result archive_open(const char *path, int readonly,
	    int *migrated, struct archive **out, char *err, size_t errlen);
enum archive_result archive_mark(struct archive *a, uint64_t *mark,
	    char *err, size_t errlen);
enum archive_result archive_append(struct archive *a,
	    const struct archive_rec *recs, size_t n, char *err, size_t errlen);
enum archive_result archive_lost(struct archive *a, uint64_t to_seq,
	    char *err, size_t errlen);
enum archive_result archive_holes(struct archive *a, uint64_t from_seq,
	    uint64_t to_seq, struct archive_hole *holes, size_t max, size_t *n,
	    uint64_t *missing, char *err, size_t errlen);
enum archive_result archive_read(struct archive *a, uint64_t after,
	    size_t max, const struct archive_rec **recs, size_t *n,
	    uint64_t *mark, char *err, size_t errlen);
enum archive_result archive_count(struct archive *a, uint64_t after,
	    uint64_t *n, char *err, size_t errlen);
enum archive_result archive_stat(struct archive *a, struct archive_stat *out,
	    char *err, size_t errlen);
void	archive_close(struct archive *a);

#endif /* ARCHIVE_H */
