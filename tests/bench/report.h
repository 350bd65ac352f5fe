/*
 * report.h: the benchmark's one table, with the targets of issues 5 and 9
 * (the archive) and a PASS or MISS on each line that has one.
 *
 * A MISS is a finding, not a failure: the benchmark prints it and still
 * exits 0. Only something broken (a program failing, a database that does
 * not add up) makes it fail.
 *
 * Memory: struct report is the caller's, filled field by field as the
 * phases run; report_print() only reads it.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "lat.h"

#define REPORT_RATIO_MIN	0.60	/* catch-up (and replay) / ceiling */
#define REPORT_RSS_MAX_MIB	64.0
#define REPORT_FLAT_MAX		1.25	/* RSS at N over RSS at the probe */
#define REPORT_P99_MAX_MS	100.0
#define REPORT_ARCHIVE_RATIO	5.0	/* subjects and payloads / disk */
#define REPORT_ARCHIVE_COST	0.15	/* of catch-up's rate, at most */
#define REPORT_ARCHIVE_REPLAY	1.00	/* replay from it / ceiling */
#define REPORT_FOLDONLY_MIN	150000	/* ev/s, the worker's settings */
#define REPORT_PLUGIN_MIN	0.90	/* plug-in / built-in: within the noise */

struct report {
	uint64_t	n;		/* events in the stream */
	uint64_t	probe;		/* events of the RSS probe; 0: none */
	int		servers, players;
	uint64_t	seed;
	int		batch, wait_ms;	/* the projector's defaults */
	double		publish_eps;	/* preparing the stream, for the record */
	double		ceiling_eps, catchup_eps, replay_eps, probe_eps;
	double		catchup_noarch_eps, replay_stream_eps, trickle_eps;
	double		foldonly_eps, foldonly_bulk_eps; /* no NATS */
	uint64_t	plugin_n;	/* events of the plug-in comparison */
	double		plugin_builtin_eps, plugin_eps;	/* its best runs */
	long		probe_rss_kib, catchup_rss_kib, replay_rss_kib;
	long		replay_stream_rss_kib;
	struct check_archive archive;	/* after the catch-up of n */
	uint64_t	trickle_n;
	struct check_archive trickle;	/* after trickle_n one a batch */
	double		lat_rate;
	int		lat_seconds;
	struct lat_result lat;
};

void	report_print(const struct report *r, FILE *fp);

#endif /* REPORT_H */
