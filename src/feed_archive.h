/*
 * feed_archive.h: a feed (feed.h) of an account's history: its archive
 * (archive.h) first, then, from the archive's mark on, the stream.
 *
 * Positioned at a sequence the archive speaks for, the feed reads the
 * archive up to its mark as of that moment (read-only, beside whoever
 * writes it), then hands over to the stream feed it was given, positioned
 * at the mark + 1 when the archive was. Positioned beyond the mark, it is
 * the stream feed. Its holes are the archive's (ranges that expired before
 * they were archived) and the stream's after the mark. A block that fails
 * its check stops the feed with FEED_EDAMAGED, naming the block. A missing
 * archive file reads as an empty archive.
 *
 * Memory: the feed owns the stream feed it is given (feed_close() closes
 * both) and copies path.
 */
#ifndef FEED_ARCHIVE_H
#define FEED_ARCHIVE_H

#include "feed.h"

struct feed	*feed_archive_new(const char *path, struct feed *stream);

#endif /* FEED_ARCHIVE_H */
