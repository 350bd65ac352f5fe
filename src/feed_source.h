/*
 * feed_source.h: a feed (feed.h) that reads an account's stream from NATS
 * JetStream (source.h).
 *
 * FEED_SOURCE_DURABLE reads through the account's durable consumer and
 * acknowledges: the live worker's feed. FEED_SOURCE_EPHEMERAL reads through
 * a new ephemeral consumer without acks at each position, leaving the
 * durable consumer alone: a rebuild's feed. The connection is made by
 * feed_connect(); when cnats gives up on it (the server refused the
 * credentials, say), the feed drops it and asks to be positioned again, and
 * the next feed_connect() makes a new one. Connection events reach fn (may
 * be NULL) from cnats's threads.
 *
 * Memory: the feed borrows cfg and acct, which must outlive it, and owns
 * its source; feed_close() releases it.
 */
#ifndef FEED_SOURCE_H
#define FEED_SOURCE_H

#include "config.h"
#include "feed.h"
#include "source.h"

enum feed_source_mode {
	FEED_SOURCE_DURABLE,
	FEED_SOURCE_EPHEMERAL
};

struct feed	*feed_source_new(const struct config *cfg,
		    const struct config_account *acct, enum feed_source_mode mode,
		    source_event_fn *fn, void *arg);

#endif /* FEED_SOURCE_H */
