/*
 * proc.h: run the program under test as a child process.
 *
 * A struct proc is allocated by the caller (zeroed or not: proc_start fills
 * it) and names one child. The child's stdin is /dev/null and its output goes
 * to files, so that a test can read the logs afterwards and a full pipe can
 * never block the child. Each child gets SIGKILL if the test process dies
 * (PR_SET_PDEATHSIG), so a crashed test leaves no projector or nats-server
 * behind; the signal follows the thread that started the child, so start
 * children from the test's main thread.
 *
 * A child must be reaped: by proc_wait() returning 0, by proc_stop(), or by
 * proc_release() in the test's teardown, which kills whatever is still
 * running. Until then its pid cannot be reused, so proc_signal() never hits a
 * stranger.
 *
 * env_extra, where taken, is a NULL-terminated list of "NAME=VALUE" entries
 * added to (or replacing in) the child's copy of the environment; an entry
 * "NAME" without '=' removes NAME from it. The test's own environment is not
 * changed.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc {
	pid_t	pid;		/* the child while not yet reaped, else 0 */
	int	status;		/* its wait status once reaped */
	int	reaped;		/* 1 once status is valid */
};

int	proc_start(struct proc *p, char *const argv[], const char *stderr_path,
	    char *err, size_t errlen);
int	proc_start_env(struct proc *p, char *const argv[],
	    const char *const *env_extra, const char *stdout_path,
	    const char *stderr_path, char *err, size_t errlen);
int	proc_wait(struct proc *p, int timeout_ms, int *status);
int	proc_signal(struct proc *p, int sig);
int	proc_stop(struct proc *p, int timeout_ms, int *status);
void	proc_release(struct proc *p);
int	proc_exit_code(int status);
int	proc_run(char *const argv[], int timeout_ms, int *exit_code,
	    const char *stdout_path, const char *stderr_path);
int	proc_run_env(char *const argv[], const char *const *env_extra,
	    int timeout_ms, int *exit_code, const char *stdout_path,
	    const char *stderr_path);

#endif /* PROC_H */
