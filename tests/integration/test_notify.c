/*
 * test_notify.c: systemd's notify protocol (src/notify.h), heard on a
 * datagram socket of the test's own as systemd would: READY=1 with a
 * STATUS= once the account has started, WATCHDOG=1 at half of
 * WATCHDOG_USEC, STATUS= again while running, STOPPING=1 on SIGTERM; also
 * on an abstract socket ('@'). Against a real nats-server and the fixture.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build). A machine without nats-server skips the tests.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "proc.h"

static int
setup(void **state)
{
	return itest_fx_setup("itest-notify-", 1, state);
}

/* A datagram socket bound at path ('@': abstract). Returns its fd. */
static int
listen_at(const char *path)
{
	struct sockaddr_un a;
	size_t len = strlen(path);
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	assert_true(len < sizeof(a.sun_path));
	memcpy(a.sun_path, path, len);
	if (path[0] == '@')
		a.sun_path[0] = '\0';
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
	return fd;
}

/* The next message within ms into buf; 0, or -1 when none came. */
static int
next_msg(int fd, int ms, char *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	return 0;
}

/* Waits up to ms for a message that starts with prefix, into buf. */
static int
wait_for(int fd, int ms, const char *prefix, char *buf, size_t len)
{
	long long until = itest_now_ms() + ms;
	long long left;

	while ((left = until - itest_now_ms()) > 0)
		if (next_msg(fd, (int)left, buf, len) == 0 &&
		    strncmp(buf, prefix, strlen(prefix)) == 0)
			return 0;
	return -1;
}

/* Starts `projector run` with NOTIFY_SOCKET=sock and WATCHDOG_USEC=1 s. */
static void
start_run(struct itest_fx *f, const char *sock)
{
	char env1[ITEST_PATH_MAX + 32], err[512];
	const char *envp[] = { env1, "WATCHDOG_USEC=1000000", NULL };
	char *argv[] = { f->bin, "run", "-c", f->config, NULL };

	snprintf(env1, sizeof(env1), "NOTIFY_SOCKET=%s", sock);
	if (proc_start_env(&f->p, argv, envp, NULL, f->log, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

/*
 * READY=1 (with STATUS=) once started; WATCHDOG=1 about every 500 ms;
 * STATUS= again after 5 s; RELOADING=1 then READY=1 on SIGHUP; STOPPING=1
 * on SIGTERM, then exit 0.
 */
static void
test_notify_lifecycle(void **state)
{
	struct itest_fx *f = *state;
	char sock[ITEST_PATH_MAX], buf[512];
	long long start, end;
	int fd, pings = 0, status = 0, code;

	itest_fx_start_with_fixture(f, 0);
	itest_fx_path(f, "notify.sock", sock, sizeof(sock));
	fd = listen_at(sock);
	start_run(f, sock);
	if (wait_for(fd, 20000, "READY=1", buf, sizeof(buf)) == -1) {
		itest_show_log(f->log);
		fail_msg("no READY=1 within 20 s");
	}
	assert_non_null(strstr(buf, "\nSTATUS=running 1 of 1 accounts"));
	start = itest_now_ms();
	end = start + 6000;
	while (itest_now_ms() < end)
		if (next_msg(fd, (int)(end - itest_now_ms()), buf,
		    sizeof(buf)) == 0) {
			pings += strcmp(buf, "WATCHDOG=1") == 0;
			status += strncmp(buf, "STATUS=", 7) == 0;
		}
	/* Half a second apart: 12 in 6 s, give or take a slow machine. */
	if (pings < 8 || pings > 14)
		fail_msg("%d WATCHDOG=1 in 6 s, expected about 12", pings);
	assert_true(status >= 1);
	/* SIGHUP: RELOADING=1 (with the time systemd wants), then READY=1. */
	assert_int_equal(proc_signal(&f->p, SIGHUP), 0);
	if (wait_for(fd, 5000, "RELOADING=1", buf, sizeof(buf)) == -1)
		fail_msg("no RELOADING=1 within 5 s of SIGHUP");
	assert_non_null(strstr(buf, "\nMONOTONIC_USEC="));
	if (wait_for(fd, 5000, "READY=1", buf, sizeof(buf)) == -1)
		fail_msg("no READY=1 within 5 s of RELOADING=1");
	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (wait_for(fd, 5000, "STOPPING=1", buf, sizeof(buf)) == -1)
		fail_msg("no STOPPING=1 within 5 s of SIGTERM");
	assert_int_equal(proc_wait(&f->p, ITEST_STOP_MS, &code), 0);
	assert_int_equal(proc_exit_code(code), 0);
	close(fd);
}

/* An abstract socket, as systemd may pass one ('@' and a name). */
static void
test_notify_abstract(void **state)
{
	struct itest_fx *f = *state;
	char sock[64], buf[512];
	int fd, code;

	itest_fx_start_with_fixture(f, 0);
	snprintf(sock, sizeof(sock), "@projector-test-%ld", (long)getpid());
	fd = listen_at(sock);
	start_run(f, sock);
	if (wait_for(fd, 20000, "READY=1", buf, sizeof(buf)) == -1) {
		itest_show_log(f->log);
		fail_msg("no READY=1 on %s within 20 s", sock);
	}
	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	assert_int_equal(proc_wait(&f->p, ITEST_STOP_MS, &code), 0);
	assert_int_equal(proc_exit_code(code), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_notify_lifecycle),
		T_(test_notify_abstract),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
