/*
 * pub.h: publishing generated events into the benchmark's stream, fast or
 * at a steady rate.
 *
 * tests/support/publish.h waits for a PubAck after every message (about
 * 17 s per 100,000 events), which would make preparing a million events
 * the longest part of the benchmark. Here events go out as core NATS
 * publishes to the stream's subjects, with a flush (a PING/PONG round trip)
 * every PUB_FLUSH_EVERY events so that the client never runs far ahead of
 * the server; the stream stores them in the order this one connection sent
 * them. Nothing confirms each message, so pub_wait_stream() then polls the
 * stream until it holds the expected count: the only proof that none was
 * lost, and what lets a caller map the i-th event published to stream
 * sequence first + i.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (pub_now_ns()), comparable between
 * threads of one process.
 *
 * Memory: nothing here allocates what outlives a call; the connection and
 * the generator are borrowed.
 */
#ifndef PUB_H
#define PUB_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "gen.h"

#define PUB_FLUSH_EVERY		10000
#define PUB_STALL_MS		60000	/* a stream that stops growing */

int64_t	pub_now_ns(void);
int	pub_bulk(natsConnection *nc, struct gen *g, uint64_t n, char *err,
	    size_t errlen);
int	pub_paced(natsConnection *nc, struct gen *g, uint64_t n, double rate,
	    int64_t *sent_ns, char *err, size_t errlen);
int	pub_wait_stream(natsConnection *nc, const char *stream, uint64_t want,
	    char *err, size_t errlen);

#endif /* PUB_H */
