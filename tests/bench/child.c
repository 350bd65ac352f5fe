/*
 * child.c: running one program of the benchmark to its end (see child.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "proc.h"
#include "pub.h"

/* A nap between two looks: small next to any run worth timing. */
#define CHILD_POLL_NS	(2 * 1000 * 1000)

/*
 * Runs argv to its end with stdout and stderr appended to log_path, for at
 * most timeout_s seconds (then it is killed and that is an error). Returns
 * 0 with out filled, whatever the exit code (the caller judges it), or -1
 * with a reason in err.
 */
int
child_run(char *const argv[], const char *log_path, int timeout_s,
    struct child_result *out, char *err, size_t errlen)
{
	struct timespec nap = { 0, CHILD_POLL_NS };
	struct rusage ru;
	struct proc p;
	int64_t start = pub_now_ns(), end;
	pid_t r;
	int status;

	if (proc_start(&p, argv, log_path, err, errlen) == -1)
		return -1;
	for (;;) {
		memset(&ru, 0, sizeof(ru));
		r = wait4(p.pid, &status, WNOHANG, &ru);
		end = pub_now_ns();
		if (r == p.pid)
			break;
		if (r == -1 && errno != EINTR) {
			snprintf(err, errlen, "wait for %s: %s", argv[0],
			    strerror(errno));
			proc_release(&p);
			return -1;
		}
		if (end - start > (int64_t)timeout_s * 1000000000) {
			snprintf(err, errlen, "%s still running after %d s; "
			    "killed (log: %s)", argv[0], timeout_s, log_path);
			proc_release(&p);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	/* Reaped here, so proc.h must not wait for it again. */
	p.pid = 0;
	p.status = status;
	p.reaped = 1;
	out->exit_code = proc_exit_code(status);
	out->seconds = (double)(end - start) / 1e9;
	out->maxrss_kib = ru.ru_maxrss;
	return 0;
}
