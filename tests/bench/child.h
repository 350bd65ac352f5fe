/*
 * child.h: running one program of the benchmark to its end, timed, with
 * its peak memory.
 *
 * child_run() starts argv through proc.h (stdin /dev/null, output to a log
 * file, SIGKILL should the benchmark die) and reaps it with wait4(), whose
 * struct rusage gives the child's own peak resident set (ru_maxrss), not
 * that of every child the benchmark ever had, as getrusage(RUSAGE_CHILDREN)
 * would. The wall time runs from just before fork to the reap, so it holds
 * the program's start-up and shut-down as an operator would see them.
 *
 * Memory: everything is the caller's; nothing is allocated.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>

struct child_result {
	int	exit_code;		/* as a shell shows it (128 + signal) */
	double	seconds;		/* wall time */
	long	maxrss_kib;		/* peak resident set, KiB */
};

int	child_run(char *const argv[], const char *log_path, int timeout_s,
	    struct child_result *out, char *err, size_t errlen);

#endif /* CHILD_H */
