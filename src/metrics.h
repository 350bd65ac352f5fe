/*
 * metrics.h: the Prometheus text exposition (format 0.0.4) of a board's
 * accounts (stats.h) and of the process (procstat.h), for GET /metrics.
 *
 * Every family is written once, with its HELP and TYPE first and its
 * samples together; every series is there from start-up (0 until the
 * worker says otherwise); label values are escaped. Series carry the labels
 * account and, where the figure is a projection's, projection. The archive
 * families appear only when an account keeps an archive.
 *
 * The board is read under its lock (stats_board_read()), which the workers
 * never take: rendering never holds up a fold.
 *
 * Memory: metrics_render() returns a buffer the caller frees with free().
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "procstat.h"
#include "stats.h"

/* projector_build_info's labels; borrowed. */
struct metrics_build {
	const char	*version;
	const char	*sqlite_version;
	const char	*nats_version;
};

int	metrics_render(struct stats_board *b, const struct metrics_build *build,
	    const struct procstat *ps, char **out, size_t *len);

#endif /* METRICS_H */
