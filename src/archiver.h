/*
 * archiver.h: a thread that appends a batch to an archive while the worker
 * folds the same batch, so that archiving costs the fold next to nothing.
 *
 * The worker hands a batch over before it folds it (archiver_submit()) and
 * collects the result before its COMMIT (archiver_wait()): the archive is
 * still written, in a transaction of its own, before the read model's, and
 * the batch is rolled back when it failed. One batch at a time: a submit
 * waits for the one before. A small batch (a live trickle) is appended at
 * once by the caller, where waking the thread would cost more than it
 * saves.
 *
 * Threads: while a batch is out, the archive belongs to the thread; the
 * caller touches it again only after archiver_wait(). Nothing else of the
 * archiver is shared.
 *
 * Memory: archiver_new() borrows the archive, which must outlive the
 * archiver. The records given to archiver_submit(), and the bytes they
 * point to, are borrowed until archiver_wait() returns. archiver_free()
 * waits for a batch still out, ends the thread and accepts NULL.
 */
#ifndef ARCHIVER_H
#define ARCHIVER_H

#include <stddef.h>

#include "archive.h"

struct archiver;

int		 archiver_new(struct archive *a, struct archiver **out,
		    char *err, size_t errlen);
void		 archiver_submit(struct archiver *ar,
		    const struct archive_rec *recs, size_t n);
enum archive_result archiver_wait(struct archiver *ar, char *err,
		    size_t errlen);
void		 archiver_free(struct archiver *ar);

#endif /* ARCHIVER_H */
