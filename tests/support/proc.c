/*
 * proc.c: run the program under test as a child process (see proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* How long proc_wait naps between two looks at the child. */
#define PROC_POLL_NS	(5 * 1000 * 1000)

extern char **environ;

/* Returns 1 when the environment entry "NAME=..." is named in extra. */
static int
env_overridden(const char *entry, const char *const *extra)
{
	size_t len = strcspn(entry, "="), i;

	for (i = 0; extra[i] != NULL; i++)
		if (strcspn(extra[i], "=") == len &&
		    strncmp(entry, extra[i], len) == 0)
			return 1;
	return 0;
}

/*
 * Builds the child's environment in the parent: the test process runs cnats
 * threads, and between fork and exec the child may only call
 * async-signal-safe functions, which rules out setenv(). Returns a malloc'd
 * array of pointers borrowed from environ and extra, or NULL when out of
 * memory.
 */
static char **
env_build(const char *const *extra)
{
	char **env;
	size_t n, m, i, k = 0;

	for (n = 0; environ[n] != NULL; n++)
		;
	for (m = 0; extra[m] != NULL; m++)
		;
	if ((env = calloc(n + m + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (!env_overridden(environ[i], extra))
			env[k++] = environ[i];
	for (i = 0; i < m; i++)
		if (strchr(extra[i], '=') != NULL)
			env[k++] = (char *)extra[i];
	env[k] = NULL;
	return env;
}

/* Opens an output file for a child; NULL means /dev/null. */
static int
output_open(const char *path, int truncate)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;

	if (path == NULL)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	flags |= truncate ? O_TRUNC : O_APPEND;
	return open(path, flags, 0644);
}

/* dup2 that also works when fd already is target (dup2 would keep CLOEXEC). */
static int
redirect(int fd, int target)
{
	if (fd != target)
		return dup2(fd, target) == -1 ? -1 : 0;
	return fcntl(fd, F_SETFD, 0);
}

/*
 * The child's side of spawn(): only async-signal-safe calls from here to
 * exec. On failure it sends errno through the close-on-exec pipe `report`, so
 * that the parent can say why, and exits 127 as a shell would.
 */
static void
child(char *const argv[], char **env, const int fds[3], int report,
    pid_t parent)
{
	static const int reset[] = { SIGPIPE, SIGINT, SIGQUIT, SIGHUP,
	    SIGTERM, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	sigset_t none;
	size_t i;
	int e;

	/* The parent may have died before prctl; then nobody would kill us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	for (i = 0; i < 3; i++)
		if (redirect(fds[i], (int)i) == -1)
			goto fail;
	/*
	 * Ignored signals stay ignored across exec and the mask is inherited;
	 * give the program what a shell would, so SIGTERM tests mean something.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * Sockets and files the test holds (a cnats connection, say) must not
	 * live on in the child, or closing them in the test would not close
	 * them. Best effort: older kernels lack CLOSE_RANGE_CLOEXEC.
	 */
	(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execvpe(argv[0], argv, env);
fail:
	e = errno;
	/* Should even this write fail, the parent sees status 127 later. */
	if (write(report, &e, sizeof(e)) != (ssize_t)sizeof(e))
		e = 0;
	_exit(127);
}

/*
 * Starts argv with stdin from /dev/null, stdout to out_path and stderr to
 * err_path (NULL: /dev/null; the same path twice: one shared file). Files are
 * truncated or appended to. Returns 0 with p describing the running child,
 * or -1 with a reason in err and errno set.
 */
static int
spawn(struct proc *p, char *const argv[], const char *const *env_extra,
    const char *out_path, const char *err_path, int truncate, char *err,
    size_t errlen)
{
	char **env = environ;
	int fds[3] = { -1, -1, -1 }, report[2] = { -1, -1 };
	int e, saved, i;
	pid_t parent = getpid(), pid;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (argv == NULL || argv[0] == NULL) {
		snprintf(err, errlen, "no program to run");
		errno = EINVAL;
		return -1;
	}
	if ((fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	if ((fds[1] = output_open(out_path, truncate)) == -1) {
		snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
		goto fail;
	}
	if (out_path != NULL && err_path != NULL &&
	    strcmp(out_path, err_path) == 0)
		fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
	else
		fds[2] = output_open(err_path, truncate);
	if (fds[2] == -1) {
		snprintf(err, errlen, "%s: %s", err_path, strerror(errno));
		goto fail;
	}
	if (env_extra != NULL && (env = env_build(env_extra)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pipe2(report, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(argv, env, fds, report[1], parent);

	/* exec closes the pipe: EOF means it worked, an int means it did not. */
	close(report[1]);
	report[1] = -1;
	do
		n = read(report[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(e));
		errno = e;
		goto fail;
	}
	p->pid = pid;
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(report[0]);
	if (env != environ)
		free(env);
	return 0;

fail:
	saved = errno;
	for (i = 0; i < 3; i++)
		if (fds[i] != -1)
			close(fds[i]);
	for (i = 0; i < 2; i++)
		if (report[i] != -1)
			close(report[i]);
	if (env != environ)
		free(env);
	errno = saved;
	return -1;
}

/*
 * Starts argv[0] (looked up in PATH when it has no '/') with arguments argv,
 * a NULL-terminated array, stdin from /dev/null and both stdout and stderr
 * appended to stderr_path (created if missing; NULL: /dev/null). Appending
 * keeps one log across restarts of the same program. Returns 0 once the
 * program has been exec'd, or -1 with a reason in err (an exec failure is
 * reported here, not as exit code 127) and p describing no child.
 */
int
proc_start(struct proc *p, char *const argv[], const char *stderr_path,
    char *err, size_t errlen)
{
	return spawn(p, argv, NULL, stderr_path, stderr_path, 0, err, errlen);
}

/*
 * Like proc_start, with env_extra applied to the child's environment (see
 * proc.h; NULL: none) and stdout appended to stdout_path, stderr to
 * stderr_path (either NULL: /dev/null; the same path twice: one file).
 */
int
proc_start_env(struct proc *p, char *const argv[],
    const char *const *env_extra, const char *stdout_path,
    const char *stderr_path, char *err, size_t errlen)
{
	return spawn(p, argv, env_extra, stdout_path, stderr_path, 0, err,
	    errlen);
}

/* Milliseconds from a to b, both CLOCK_MONOTONIC. */
static long long
elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

/*
 * Waits up to timeout_ms (negative: for ever) for the child to exit, looking
 * every few milliseconds, and reaps it. Returns 0 with its wait status in
 * *status (when status is not NULL; see proc_exit_code), also when it had
 * been reaped before; or -1 with errno ETIMEDOUT when it is still running,
 * ECHILD when p never started a child.
 */
int
proc_wait(struct proc *p, int timeout_ms, int *status)
{
	struct timespec start, now, nap = { 0, PROC_POLL_NS };
	pid_t r;
	int st;

	if (p->reaped)
		goto done;
	if (p->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = waitpid(p->pid, &st, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == p->pid)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (elapsed_ms(&start, &now) >= timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	p->pid = 0;
	p->status = st;
	p->reaped = 1;
done:
	if (status != NULL)
		*status = p->status;
	return 0;
}

/*
 * Sends sig to the child. Returns 0, or -1 with errno ESRCH when there is no
 * child left to signal (never started, or already reaped). A child that has
 * exited but is not reaped yet still takes the signal harmlessly.
 */
int
proc_signal(struct proc *p, int sig)
{
	if (p->pid <= 0 || p->reaped) {
		errno = ESRCH;
		return -1;
	}
	return kill(p->pid, sig);
}

/*
 * Stops the child the way an operator would: SIGTERM, then up to timeout_ms
 * for it to exit, then SIGKILL. Returns 0 with the wait status in *status
 * (when not NULL: a SIGKILL status tells that it had to be killed), or -1
 * with errno set when p has no child.
 */
int
proc_stop(struct proc *p, int timeout_ms, int *status)
{
	if (p->reaped)
		return proc_wait(p, 0, status);
	if (proc_signal(p, SIGTERM) == -1)
		return -1;
	if (proc_wait(p, timeout_ms, status) == 0)
		return 0;
	if (errno != ETIMEDOUT || proc_signal(p, SIGKILL) == -1)
		return -1;
	return proc_wait(p, -1, status);
}

/*
 * Kills the child with SIGKILL if it is still running and reaps it; for
 * teardowns. Accepts a zeroed struct proc and one already reaped. Cannot fail.
 */
void
proc_release(struct proc *p)
{
	if (p->pid <= 0 || p->reaped)
		return;
	proc_signal(p, SIGKILL);
	proc_wait(p, -1, NULL);
}

/*
 * Turns a wait status into the number a shell would show: the exit code, or
 * 128 + the signal number for a child killed by a signal. Cannot fail.
 */
int
proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * Runs argv to completion: stdout truncated into stdout_path, stderr into
 * stderr_path (either NULL: /dev/null), at most timeout_ms (negative: no
 * limit). Returns 0 with the exit code (see proc_exit_code) in *exit_code,
 * or -1 with errno set: ETIMEDOUT when the child had to be killed, the exec
 * error when it could not start. The reason goes to the test's stderr, since
 * the signature has no err buffer.
 */
int
proc_run(char *const argv[], int timeout_ms, int *exit_code,
    const char *stdout_path, const char *stderr_path)
{
	return proc_run_env(argv, NULL, timeout_ms, exit_code, stdout_path,
	    stderr_path);
}

/*
 * Like proc_run, with env_extra applied to the child's environment (see
 * proc.h; NULL: none).
 */
int
proc_run_env(char *const argv[], const char *const *env_extra,
    int timeout_ms, int *exit_code, const char *stdout_path,
    const char *stderr_path)
{
	struct proc p;
	char err[512];
	int status;

	if (spawn(&p, argv, env_extra, stdout_path, stderr_path, 1, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "proc_run: %s\n", err);
		return -1;
	}
	if (proc_wait(&p, timeout_ms, &status) == -1) {
		fprintf(stderr, "proc_run: %s still running after %d ms; "
		    "killed\n", argv[0], timeout_ms);
		proc_release(&p);
		errno = ETIMEDOUT;
		return -1;
	}
	*exit_code = proc_exit_code(status);
	return 0;
}
