/*
 * ready.h: the health decisions of GET /livez and GET /readyz, from the
 * accounts a board lists (stats.h), so that they can be tested on figures
 * written by hand.
 *
 * Live: every account whose worker still runs has turned its loop within
 * the stall bound (start-up, NATS, lag and failed projections do not
 * matter: a restart mends none of them). An account whose loop has not
 * turned yet (turned_ms 0) counts as live: it is starting.
 *
 * Ready, for each selected projection: its account has started, it is
 * live (not rebuilding, stopped or failed), NATS is connected or was lost
 * less than the grace ago, the stream's last sequence was read from NATS
 * within the stall bound (a stale reference reads as no lag), the lag is
 * at most the bound and, with a lag, the checkpoint moved within the stall
 * bound. A projection's lag is its account's (the fold's: messages pending
 * after its lowest checkpoint, with the consumer's filter).
 *
 * Times are CLOCK_MONOTONIC milliseconds (clock.h), as stats.h keeps them.
 *
 * Memory: ready_check() returns a json_t the caller releases with
 * json_decref(); the accounts are borrowed and read with STATS_GET.
 */
#ifndef READY_H
#define READY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "stats.h"

struct ready_bounds {
	uint64_t	max_lag;	/* messages */
	int64_t		grace_ms;	/* a shorter disconnect is none */
	int64_t		stall_ms;	/* progress and the reference's age */
};

enum ready_result {
	READY_OK = 0,		/* 200 */
	READY_UNAVAILABLE,	/* 503 */
	READY_UNKNOWN		/* 404: no such account or projection */
};

int	ready_live(struct stats_account *const *accts, size_t n,
	    int64_t now_ms, int64_t stall_ms);
enum ready_result ready_check(struct stats_account *const *accts, size_t n,
	    const struct ready_bounds *rb, int64_t now_ms, const char *account,
	    const char *projection, json_t **body);

#endif /* READY_H */
