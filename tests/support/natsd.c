/*
 * natsd.c: a real nats-server with JetStream for one test (see natsd.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "natsd.h"
#include "proc.h"
#include "tmp.h"

/* How long natsd waits between two looks at a starting server. */
#define NATSD_POLL_NS	(10 * 1000 * 1000)
/* natsd_nap(): between two looks of the other servers' polls. */
#define NATSD_NAP_NS	(20 * 1000 * 1000)

/* Milliseconds of CLOCK_MONOTONIC: the deadlines of the servers' polls. */
long long
natsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The pause between two looks of a poll of natsd_launch(), natsd_cluster.c
 * and natsd_leaf.c (20 ms).
 */
void
natsd_nap(void)
{
	struct timespec ts = { 0, NATSD_NAP_NS };

	nanosleep(&ts, NULL);
}

/* The server binary: $NATS_SERVER when set and not empty. */
const char *
natsd_server_path(void)
{
	const char *s = getenv("NATS_SERVER");

	return s != NULL && *s != '\0' ? s : "nats-server";
}

/*
 * Copies the last non-empty line of the server log at path into buf, or ""
 * when there is none: a server that refuses to start says why there
 * ([FTL]).
 */
void
natsd_log_tail(const char *path, char *buf, size_t len)
{
	char *text, *end, *start;

	buf[0] = '\0';
	if (tmp_read_file(path, &text, NULL) == -1)
		return;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	start = strrchr(text, '\n');
	snprintf(buf, len, "%s", start != NULL ? start + 1 : text);
	free(text);
}

/*
 * Runs the server binary with -c config as p, its output in log, and waits
 * up to ready_ms until it accepts TCP connections on port; name says which
 * server in err. Returns 0; NATSD_PORT_TAKEN when it exited because a
 * port of its is in use (the caller chose the ports and may pick again);
 * or -1 with err. On failure it is not running.
 */
int
natsd_launch(struct proc *p, const char *name, const char *config,
    const char *log, int port, int ready_ms, char *err, size_t errlen)
{
	char *argv[] = { (char *)natsd_server_path(), "-c", (char *)config,
	    NULL };
	char tail[512];
	long long deadline;
	int status;

	if (proc_start(p, argv, log, err, errlen) == -1)
		return -1;
	deadline = natsd_now_ms() + ready_ms;
	while (natsd_probe_port(port) == -1) {
		if (proc_wait(p, 0, &status) == 0) {
			natsd_log_tail(log, tail, sizeof(tail));
			snprintf(err, errlen, "%s (%s) exited with status %d"
			    " before it was ready: %s", name, argv[0],
			    proc_exit_code(status), tail);
			return strstr(tail, "address already in use") != NULL ?
			    NATSD_PORT_TAKEN : -1;
		}
		if (natsd_now_ms() >= deadline) {
			natsd_log_tail(log, tail, sizeof(tail));
			snprintf(err, errlen, "%s not ready on port %d after %d"
			    " ms: %s", name, port, ready_ms, tail);
			proc_release(p);
			return -1;
		}
		natsd_nap();
	}
	return 0;
}

/*
 * Reads the client port from the ports file, {"nats":["nats://HOST:PORT"],
 * ...}. Returns 0 with *port set, or -1 when the file is missing, not yet
 * complete (the server writes it while we poll) or not what we expect.
 */
static int
ports_read(const char *path, int *port)
{
	json_t *root, *url;
	const char *s, *colon;
	char *end;
	long n;
	int rc = -1;

	if ((root = json_load_file(path, 0, NULL)) == NULL)
		return -1;
	url = json_array_get(json_object_get(root, "nats"), 0);
	if ((s = json_string_value(url)) != NULL &&
	    (colon = strrchr(s, ':')) != NULL) {
		errno = 0;
		n = strtol(colon + 1, &end, 10);
		if (errno == 0 && *end == '\0' && n > 0 && n < 65536) {
			*port = (int)n;
			rc = 0;
		}
	}
	json_decref(root);
	return rc;
}

/*
 * Returns 0 when a TCP connect to 127.0.0.1:port succeeds, else -1. A
 * connection whose local port is the port itself is the kernel's TCP
 * self-connect (possible when nothing listens on a port of the ephemeral
 * range), not the server.
 */
int
natsd_probe_port(int port)
{
	struct sockaddr_in sa, local;
	socklen_t len = sizeof(local);
	int fd, rc = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
	    local.sin_port != sa.sin_port)
		rc = 0;
	close(fd);
	return rc;
}

/* Milliseconds elapsed since start (CLOCK_MONOTONIC). */
static long long
since_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * Polls until the server just started has written its ports file and
 * accepts TCP connections, or until NATSD_READY_MS pass, or until it exits.
 * The ports file is named after the basename of argv[0] and the pid, as
 * nats-server does. With want > 0 the port must be that one (a restart).
 * Returns 0 with d->port and d->url set, or -1 with a reason in err.
 */
static int
wait_ready(struct natsd *d, const char *server, int want, char *err,
    size_t errlen)
{
	struct timespec start, nap = { 0, NATSD_POLL_NS };
	const char *base;
	char ports[NATSD_PATH_MAX + 64], tail[256];
	int port = 0, status;

	if ((base = strrchr(server, '/')) != NULL)
		base++;
	else
		base = server;
	snprintf(ports, sizeof(ports), "%s/%s_%d.ports", d->dir, base,
	    (int)d->proc.pid);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (proc_wait(&d->proc, 0, &status) == 0) {
			natsd_log_tail(d->log, tail, sizeof(tail));
			snprintf(err, errlen, "%s exited with status %d before "
			    "it was ready: %s", server, proc_exit_code(status),
			    tail);
			return -1;
		}
		if (port == 0 && ports_read(ports, &port) == 0 && want > 0 &&
		    port != want) {
			snprintf(err, errlen, "%s listens on port %d, not %d",
			    server, port, want);
			return -1;
		}
		if (port != 0 && natsd_probe_port(port) == 0)
			break;
		if (since_ms(&start) >= NATSD_READY_MS) {
			natsd_log_tail(d->log, tail, sizeof(tail));
			snprintf(err, errlen, "%s not ready after %d ms (%s): %s",
			    server, NATSD_READY_MS, port == 0 ? "no ports file" :
			    "no TCP connect", tail);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	d->port = port;
	snprintf(d->url, sizeof(d->url), "nats://127.0.0.1:%d", port);
	return 0;
}

/*
 * Runs the server on port (-1: any) and waits until it is ready. On failure
 * the process is gone again and err says why.
 */
static int
launch(struct natsd *d, int port, char *err, size_t errlen)
{
	const char *server = natsd_server_path();
	char portarg[16], store[NATSD_PATH_MAX + 8];
	char *argv[16];
	int n = 0;

	snprintf(portarg, sizeof(portarg), "%d", port);
	snprintf(store, sizeof(store), "%s/store", d->dir);
	/* Only loopback: a test server must never be reachable from outside. */
	argv[n++] = (char *)server;
	argv[n++] = "-a";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = portarg;
	argv[n++] = "-js";
	argv[n++] = "-sd";
	argv[n++] = store;
	argv[n++] = "--ports_file_dir";
	argv[n++] = d->dir;
	if (d->config[0] != '\0') {
		argv[n++] = "-c";
		argv[n++] = d->config;
	}
	argv[n] = NULL;
	if (proc_start(&d->proc, argv, d->log, err, errlen) == -1)
		return -1;
	if (wait_ready(d, server, port, err, errlen) == -1) {
		proc_release(&d->proc);
		return -1;
	}
	return 0;
}

/*
 * Starts a nats-server with JetStream in a new temp dir, on 127.0.0.1 and a
 * port the kernel picks, reading config_file too when it is not NULL (it may
 * define accounts, users, limits; the command line wins over it for address,
 * port and store). d is overwritten: it must not describe a server still
 * running. Returns 0 once a TCP connect to the server succeeds, with
 * d->port and d->url set; or -1 with a reason in err (the server's last log
 * line when it refused to start), nothing left running and nothing left on
 * disk.
 */
int
natsd_start(struct natsd *d, const char *config_file, char *err,
    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	/* Without a config of its own, a test gets the one make demo uses. */
	if (config_file == NULL && access(NATSD_DEFAULT_CONFIG, R_OK) == 0)
		config_file = NATSD_DEFAULT_CONFIG;
	if (config_file != NULL && snprintf(d->config, sizeof(d->config), "%s",
	    config_file) >= (int)sizeof(d->config)) {
		snprintf(err, errlen, "config path too long");
		return -1;
	}
	if (tmp_dir("natsd-", d->dir, sizeof(d->dir)) == -1) {
		snprintf(err, errlen, "temp dir: %s", strerror(errno));
		return -1;
	}
	snprintf(d->log, sizeof(d->log), "%s/server.log", d->dir);
	if (launch(d, -1, err, errlen) == -1)
		goto fail;
	return 0;

fail:
	tmp_rm_rf(d->dir);
	d->dir[0] = '\0';
	return -1;
}

/*
 * Stops the server with SIGTERM, as an operator would, and reaps it; a
 * server still running NATSD_READY_MS later is killed and that is an error.
 * Returns 0, or -1 with a reason in err (also when it was not running).
 * The dir and store stay for natsd_restart().
 */
int
natsd_stop(struct natsd *d, char *err, size_t errlen)
{
	int status;

	if (!natsd_running(d)) {
		snprintf(err, errlen, "nats-server is not running");
		return -1;
	}
	if (proc_stop(&d->proc, NATSD_READY_MS, &status) == -1) {
		snprintf(err, errlen, "stop nats-server: %s", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		snprintf(err, errlen, "nats-server ignored SIGTERM for %d ms; "
		    "killed", NATSD_READY_MS);
		return -1;
	}
	return 0;
}

/*
 * Kills the server with SIGKILL (a crash: no flush, no goodbye to clients)
 * and reaps it. Returns 0, or -1 with a reason in err when it was not
 * running. The dir and store stay for natsd_restart().
 */
int
natsd_kill(struct natsd *d, char *err, size_t errlen)
{
	if (!natsd_running(d)) {
		snprintf(err, errlen, "nats-server is not running");
		return -1;
	}
	proc_release(&d->proc);
	return 0;
}

/*
 * Starts the server again on the same port, with the same store and config,
 * stopping it first (SIGTERM) if it is still running. Returns 0 once it
 * accepts TCP connections, or -1 with a reason in err and no server running
 * (the dir stays; natsd_release() removes it).
 */
int
natsd_restart(struct natsd *d, char *err, size_t errlen)
{
	if (d->dir[0] == '\0' || d->port == 0) {
		snprintf(err, errlen, "nats-server was never started");
		return -1;
	}
	if (natsd_running(d) && natsd_stop(d, err, errlen) == -1)
		return -1;
	return launch(d, d->port, err, errlen);
}

/*
 * Returns 1 while the server process has not been reaped (it may have exited
 * on its own a moment ago), else 0. Cannot fail.
 */
int
natsd_running(const struct natsd *d)
{
	return d->proc.pid > 0 && !d->proc.reaped;
}

/*
 * Kills the server if it runs and removes the dir with its store and log.
 * Accepts a zeroed struct and one released before. Cannot fail; a dir that
 * cannot be removed is left behind.
 */
void
natsd_release(struct natsd *d)
{
	proc_release(&d->proc);
	if (d->dir[0] != '\0')
		tmp_rm_rf(d->dir);
	d->dir[0] = '\0';
}
