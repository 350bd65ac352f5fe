/*
 * feed_memory.h: a feed (feed.h) over messages held in memory, for the
 * offline fold (offline.h), the tests and the benchmark's fold-only line:
 * it connects at once, positions at the first message at or above the
 * start, fetches up to a batch of what follows, and is drained once
 * everything was handed over. Acks do nothing.
 *
 * Memory: feed_memory_new() copies the array of messages; their subjects
 * and payloads stay borrowed and must outlive the feed, unless they are in
 * owned, which the feed then frees with itself (NULL: nothing to free).
 * feed_close() frees the copy.
 */
#ifndef FEED_MEMORY_H
#define FEED_MEMORY_H

#include <stddef.h>

#include "feed.h"

struct feed	*feed_memory_new(const struct feed_msg *msgs, size_t n,
		    void *owned);

#endif /* FEED_MEMORY_H */
