/*
 * decoder.h: decoding a batch's payloads in a thread of its own, a little
 * ahead of the fold that applies them, so that parsing JSON (four tenths of
 * the fold's work by callgrind) runs on another core.
 *
 * decoder_start() hands the decoder a batch of the feed. It decodes the
 * messages in order with event_decode() (the contract's limits), at most
 * DECODER_AHEAD past the one the caller asked for last, leaving out those
 * at or below skip_through (every projection has applied them). The caller
 * asks for each message's result in order with decoder_get(), which waits
 * if the decoder is not there yet; asking for message i releases every
 * result before it. decoder_stop() ends the batch: the decoder leaves it,
 * and its results are released. Call it before the feed fetches again (the
 * decoder reads the feed's messages) and before folding a batch again
 * (start it again then).
 *
 * Threads: one caller thread drives a decoder; the decoder's thread only
 * reads the feed's messages of the batch in hand.
 *
 * Memory: struct decoder owns its thread and the decoded payloads it holds
 * (at most DECODER_AHEAD + 1). A result lent by decoder_get() stays valid
 * until the next decoder_get(), decoder_stop() or decoder_free(). The feed
 * is borrowed from decoder_start() to decoder_stop(). decoder_free() stops
 * the batch in hand, ends the thread and accepts NULL.
 */
#ifndef DECODER_H
#define DECODER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "feed.h"

/* Results held at most: enough to keep ahead, a bound on memory. */
#define DECODER_AHEAD	256

/* What decoding one message gave. */
struct decoder_result {
	const json_t	*json;		/* the payload, or NULL */
	const char	*error;		/* why json is NULL */
	int		 decoded;	/* 0: left out (at or below skip) */
};

struct decoder;

int	decoder_new(struct decoder **out, char *err, size_t errlen);
void	decoder_start(struct decoder *d, struct feed *feed, size_t n,
	    uint64_t skip_through);
void	decoder_get(struct decoder *d, size_t i, struct decoder_result *out);
void	decoder_stop(struct decoder *d);
void	decoder_free(struct decoder *d);

#endif /* DECODER_H */
