/*
 * lat.h: end-to-end latency, from the publish of an event to the moment a
 * reader of the SQLite file can see it applied.
 *
 * lat_run() publishes events at a steady rate from one thread (pub.h: the
 * time each publish call returned) while another thread of the same process
 * polls the database about every millisecond, read-only as a website does
 * (SQLITE_OPEN_READONLY on the WAL file), for the checkpoint all
 * projections have reached: SELECT min(last_seq) FROM projector_status.
 * Each sequence's latency is the first poll that saw the checkpoint at or
 * beyond it minus its publish time; both clocks are CLOCK_MONOTONIC in one
 * process, so they agree. The poll interval bounds the error (about 1 ms).
 *
 * The i-th event published gets stream sequence first_seq + i: the stream
 * is the caller's alone, and the caller checks its count afterwards
 * (pub_wait_stream()).
 *
 * Memory: everything is borrowed; lat_run() frees what it allocates.
 */
#ifndef LAT_H
#define LAT_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "gen.h"

#define LAT_POLL_NS	(1000 * 1000)	/* the reader's nap between looks */
#define LAT_DRAIN_MS	30000		/* after the last publish, at most */

struct lat_result {
	uint64_t	events;		/* measured: every one published */
	double		p50_ms, p99_ms, max_ms;
};

int	lat_wait_seq(const char *db, uint64_t want, int timeout_ms, char *err,
	    size_t errlen);
int	lat_run(natsConnection *nc, struct gen *g, const char *db,
	    uint64_t first_seq, uint64_t n, double rate,
	    struct lat_result *out, char *err, size_t errlen);

#endif /* LAT_H */
