/*
 * offline.h: the `fold` command: a JSON Lines file of messages folded into
 * a fresh database through an account's projections, without NATS, so that
 * a plug-in's author can try a projection against a sample stream in
 * seconds.
 *
 * The file is what `archive export` writes (export.h), one message a line:
 * "subject" and "payload" (strings; "encoding":"base64" or
 * "subject_encoding":"base64" when they were written so), and optionally
 * "seq" (increasing; when absent, the one before plus 1, from 1) and
 * "stored_ms"; other keys are ignored, so the fixture's own lines fold too.
 * It is read whole into memory: it is meant for samples.
 *
 * The account's database must be fresh: one whose projections have applied
 * events already (it follows a stream) is refused, so that a test never
 * mixes into a real view.
 *
 * Memory: nothing is kept; the caller owns stats.
 */
#ifndef OFFLINE_H
#define OFFLINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "projection.h"

struct offline_stats {
	uint64_t	events;		/* messages in the file */
	uint64_t	last_seq;	/* the last one's sequence */
	uint64_t	applied;	/* (event, projection) pairs applied */
	uint64_t	parked;		/* ... and parked */
};

int	offline_fold(const struct config_account *acct,
	    const struct projection *const *table, int batch,
	    const char *input, struct offline_stats *stats, char *err,
	    size_t errlen);

#endif /* OFFLINE_H */
