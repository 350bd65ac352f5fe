/*
 * procstat.h: the figures Prometheus's client libraries export for every
 * process (process_start_time_seconds and the rest), read from /proc/self,
 * getrusage() and getrlimit() when asked; nothing is kept between reads.
 *
 * Memory: struct procstat is the caller's; nothing is allocated.
 */
#ifndef PROCSTAT_H
#define PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct procstat {
	double		start_time;	/* Unix seconds the process started */
	double		cpu_seconds;	/* user and system */
	uint64_t	rss_bytes;
	uint64_t	open_fds;
	uint64_t	max_fds;	/* the soft limit */
};

int	procstat_read(struct procstat *ps, char *err, size_t errlen);

#endif /* PROCSTAT_H */
