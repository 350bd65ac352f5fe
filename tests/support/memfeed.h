/*
 * memfeed.h: a feed (src/feed.h) over messages held in memory, for tests
 * and the benchmark's fold-only line: it connects at once, positions at the
 * first message at or above the start, fetches up to a batch of what
 * follows, and is drained once everything was handed over. Acks do nothing.
 *
 * Memory: memfeed_new() copies the array of messages (their subjects and
 * payloads stay borrowed and must outlive the feed); feed_close() frees it.
 */
#ifndef MEMFEED_H
#define MEMFEED_H

#include <stddef.h>

#include "feed.h"

struct feed	*memfeed_new(const struct feed_msg *msgs, size_t n);

#endif /* MEMFEED_H */
