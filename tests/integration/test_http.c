/*
 * test_http.c: the metrics and health endpoint (src/http.h) and `projector
 * health`, through the real program against a real nats-server with the
 * fixture, on loopback: the exposition's families and series while it
 * runs; 404, 405, HEAD and requests that are not HTTP; 1,000 connections
 * at once, half of them holding half a request, while the fold goes on;
 * `projector health` for liveness, for readiness across a NATS outage
 * longer than ready_grace_ms, and without an http: block (78).
 * The figures are those the worker publishes (stats.h): once the database
 * has folded the fixture, the stream's last sequence must say so too
 * (caught_up()).
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build). A machine without nats-server skips the tests.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "itest.h"
#include "natsd.h"
#include "proc.h"
#include "scrape.h"

#define FLOOD_CONNECTIONS	1000
/* What 1,000 connections may add to the projector's RSS, at most. */
#define FLOOD_RSS_BOUND		(64LL * 1024 * 1024)
#define LEADERBOARD		"{account=\"ga-1\",projection=\"leaderboard\"}"

struct http_fx {
	struct itest_fx	*f;
	int		 port;
	char		 base[64];	/* http://127.0.0.1:PORT */
};

static int
setup(void **state)
{
	struct http_fx *h = calloc(1, sizeof(*h));

	if (h == NULL || itest_fx_setup("itest-http-", 0, (void **)&h->f) ==
	    -1) {
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct http_fx *h = *state;

	itest_fx_teardown((void **)&h->f);
	free(h);
	return 0;
}

/* Appends the http: block (on a free port) to the configuration. */
static void
add_http(struct http_fx *h, const char *extra)
{
	FILE *fp;

	assert_true((h->port = scrape_free_port()) > 0);
	snprintf(h->base, sizeof(h->base), "http://127.0.0.1:%d", h->port);
	assert_non_null(fp = fopen(h->f->config, "a"));
	fprintf(fp, "http:\n  listen: 127.0.0.1:%d\n%s", h->port,
	    extra != NULL ? extra : "");
	assert_int_equal(fclose(fp), 0);
}

/* GET (or method) base+path; fails the test when no answer comes. */
static void
get(struct http_fx *h, const char *method, const char *path,
    struct scrape_reply *r)
{
	char url[256], err[512];

	snprintf(url, sizeof(url), "%s%s", h->base, path);
	if (scrape_get(url, method, 10000, r, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Polls base+path until it answers want, within ITEST_WAIT_MS. */
static void
wait_status(struct http_fx *h, const char *path, long want)
{
	struct scrape_reply r;
	char url[256], err[512] = "";
	long long until = itest_now_ms() + ITEST_WAIT_MS;
	long last = 0;

	snprintf(url, sizeof(url), "%s%s", h->base, path);
	while (itest_now_ms() < until) {
		if (scrape_get(url, NULL, 2000, &r, err, sizeof(err)) == 0) {
			last = r.status;
			scrape_reply_release(&r);
			if (last == want)
				return;
		}
		itest_nap();
	}
	itest_show_log(h->f->log);
	fail_msg("%s: no %ld within %d ms (last %ld; %s)", url, want,
	    ITEST_WAIT_MS, last, err);
}

/* The fixture in the stream, the projector running, /livez answering. */
static void
start(struct http_fx *h, const char *extra)
{
	itest_fx_start_with_fixture(h->f, 0);
	add_http(h, extra);
	itest_fx_start_projector(h->f);
	wait_status(h, "/livez", 200);
}

/* One sample's value; fails when the series is not there. */
static double
sample(const struct scrape_reply *r, const char *series)
{
	double v;

	if (scrape_value(r->body, series, &v) == -1)
		fail_msg("no series %s in the scrape", series);
	return v;
}

/*
 * Waits until the database has folded the fixture and the worker has
 * published the stream's last sequence (right after its commit).
 */
static void
caught_up(struct http_fx *h)
{
	struct scrape_reply r;
	long long until = itest_now_ms() + ITEST_WAIT_MS;
	double v = 0;

	itest_fx_wait_last_seq(h->f, h->f->db, ITEST_NEVENTS);
	while (v != ITEST_NEVENTS && itest_now_ms() < until) {
		get(h, NULL, "/metrics", &r);
		v = sample(&r, "projector_stream_last_sequence" LEADERBOARD);
		scrape_reply_release(&r);
		if (v != ITEST_NEVENTS)
			itest_nap();
	}
	if (v != ITEST_NEVENTS)
		fail_msg("projector_stream_last_sequence is %.0f, not %d",
		    v, ITEST_NEVENTS);
}

/*
 * The text checks promtool does not make: each family one HELP then one
 * TYPE, its samples right after and together, each series once.
 */
static void
check_exposition(const char *text)
{
	char *copy = strdup(text), *line, *save = NULL, *sp;
	char fam[128] = "", name[128];
	char **seen = NULL, **series = NULL;
	size_t nseen = 0, nseries = 0, i, n;
	int typed = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			for (i = 0; i < nseen; i++)
				if (strcmp(seen[i], fam) == 0)
					fail_msg("family %s twice", fam);
			seen = realloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = strdup(fam);
			typed = 0;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			assert_string_equal(name, fam);
			assert_false(typed);
			typed = 1;
			continue;
		}
		assert_true(typed);
		n = strcspn(line, "{ ");
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		/* The family's own name, or a histogram's series of it. */
		if (strcmp(name, fam) != 0 && (strncmp(name, fam,
		    strlen(fam)) != 0 || (strcmp(name + strlen(fam), "_bucket")
		    != 0 && strcmp(name + strlen(fam), "_sum") != 0 &&
		    strcmp(name + strlen(fam), "_count") != 0)))
			fail_msg("sample %s outside its family (in %s)", line,
			    fam);
		assert_non_null(sp = strrchr(line, ' '));
		*sp = '\0';
		for (i = 0; i < nseries; i++)
			if (strcmp(series[i], line) == 0)
				fail_msg("series %s twice", line);
		series = realloc(series, (nseries + 1) * sizeof(*series));
		series[nseries++] = strdup(line);
	}
	assert_true(nseen >= 25);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	for (i = 0; i < nseries; i++)
		free(series[i]);
	free(seen);
	free(series);
	free(copy);
}

/* Raw bytes to the endpoint; what came back before it closed, or 3 s. */
static size_t
raw(struct http_fx *h, const void *req, size_t len, char *reply,
    size_t cap)
{
	struct sockaddr_in sa;
	struct pollfd p;
	long long until = itest_now_ms() + 3000;
	size_t got = 0;
	ssize_t n;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)h->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* The server may close before reading it all: that is an answer. */
	(void)send(fd, req, len, MSG_NOSIGNAL);
	while (got + 1 < cap && itest_now_ms() < until) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(until - itest_now_ms())) != 1)
			break;
		if ((n = recv(fd, reply + got, cap - got - 1, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	reply[got] = '\0';
	close(fd);
	return got;
}

/* The endpoints while the fold runs: codes, types, the exposition. */
static void
test_http_endpoints(void **state)
{
	struct http_fx *h = *state;
	struct scrape_reply r;
	char reply[8192];

	start(h, NULL);
	get(h, NULL, "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type,
	    "text/plain; version=0.0.4; charset=utf-8");
	check_exposition(r.body);
	assert_true(sample(&r, "projector_projection_info{account=\"ga-1\","
	    "projection=\"leaderboard\",stream=\"everything\",consumer="
	    "\"projector\"}") == 1);
	assert_true(sample(&r, "projector_errors_total{account=\"ga-1\","
	    "stage=\"fetch\"}") >= 0);
	assert_true(sample(&r, "process_resident_memory_bytes") > 0);
	assert_true(sample(&r, "process_open_fds") > 0);
	scrape_reply_release(&r);

	get(h, NULL, "/livez", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	scrape_reply_release(&r);
	get(h, NULL, "/healthz", &r);
	assert_int_equal(r.status, 200);
	scrape_reply_release(&r);
	get(h, NULL, "/", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "href=\"/metrics\""));
	scrape_reply_release(&r);
	get(h, NULL, "/readyz", &r);
	assert_true(r.status == 200 || r.status == 503);
	assert_string_equal(r.content_type, "application/json");
	assert_non_null(strstr(r.body, "\"projection\": \"leaderboard\""));
	scrape_reply_release(&r);
	get(h, NULL, "/readyz?account=nope", &r);
	assert_int_equal(r.status, 404);
	scrape_reply_release(&r);
	get(h, NULL, "/readyz?account=ga-1&projection=nope", &r);
	assert_int_equal(r.status, 404);
	scrape_reply_release(&r);
	get(h, NULL, "/nope", &r);
	assert_int_equal(r.status, 404);
	scrape_reply_release(&r);
	get(h, NULL, "/metrics/", &r);
	assert_int_equal(r.status, 404);
	scrape_reply_release(&r);
	get(h, "POST", "/metrics", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	scrape_reply_release(&r);
	get(h, "DELETE", "/livez", &r);
	assert_int_equal(r.status, 405);
	scrape_reply_release(&r);
	get(h, "HEAD", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	scrape_reply_release(&r);

	raw(h, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n", 32, reply,
	    sizeof(reply));
	assert_non_null(strstr(reply, "HTTP/1.1 200"));
	assert_non_null(strstr(reply, "Cache-Control: no-store\r\n"));
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/* Requests that are not HTTP get 400 or a closed connection; it goes on. */
static void
test_http_malformed(void **state)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /livez HTTP/9.9\r\n\r\n",
		"GET /livez HTTP/1.1\r\nHost x\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",	/* TLS */
		"GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	};
	struct http_fx *h = *state;
	char reply[8192], *big;
	size_t i, len = 64 * 1024;

	start(h, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw(h, bad[i], strlen(bad[i]), reply, sizeof(reply));
		if (reply[0] != '\0' && strncmp(reply, "HTTP/1.1 4", 10) != 0 &&
		    strncmp(reply, "HTTP/1.0 4", 10) != 0 &&
		    strncmp(reply, "HTTP/1.1 505", 12) != 0)
			fail_msg("request %zu answered: %.80s", i, reply);
		wait_status(h, "/livez", 200);
	}
	/* A head larger than a connection's memory. */
	assert_non_null(big = malloc(len));
	memset(big, 'a', len);
	memcpy(big, "GET /livez?", 11);
	memcpy(big + len - 4, "\r\n\r\n", 4);
	raw(h, big, len, reply, sizeof(reply));
	assert_true(reply[0] == '\0' || strncmp(reply, "HTTP/1.1 4", 10) == 0);
	free(big);
	/* NUL bytes in the request line. */
	raw(h, "GET /li\0vez HTTP/1.1\r\n\r\n", 24, reply, sizeof(reply));
	assert_true(reply[0] == '\0' || strncmp(reply, "HTTP/1.1 4", 10) == 0);
	wait_status(h, "/livez", 200);
	assert_int_equal(proc_signal(&h->f->p, 0), 0);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/* The projector's resident memory, from /proc/PID/status. */
static long long
rss_bytes(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(fp);
	assert_true(kb > 0);
	return kb * 1024;
}

/*
 * 1,000 connections at once, every other one sending half a request and
 * holding it, while the projector folds the fixture: the fold finishes,
 * the RSS grows by less than FLOOD_RSS_BOUND, and once they are gone
 * /livez answers again.
 */
static void
test_http_flood(void **state)
{
	static const char half[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	struct http_fx *h = *state;
	struct sockaddr_in sa;
	struct pollfd *p;
	struct rlimit rl;
	long long before, after, until;
	char msg[1024];
	int *fds, err;
	socklen_t elen;
	size_t i, open = 0, held = 0, pending;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FLOOD_CONNECTIONS +
	    64) {
		print_message("skipped: RLIMIT_NOFILE's hard limit is %llu\n",
		    (unsigned long long)rl.rlim_max);
		skip();
	}
	if (rl.rlim_cur < FLOOD_CONNECTIONS + 64) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	/* NATS down while the connections are made, up while they hold:
	 * the whole fold happens under them. */
	itest_fx_start_with_fixture(h->f, 0);
	add_http(h, NULL);
	if (natsd_stop(&h->f->d, msg, sizeof(msg)) == -1)
		fail_msg("%s", msg);
	itest_fx_start_projector(h->f);
	wait_status(h, "/livez", 200);
	before = rss_bytes(h->f->p.pid);

	fds = calloc(FLOOD_CONNECTIONS, sizeof(*fds));
	p = calloc(FLOOD_CONNECTIONS, sizeof(*p));
	assert_non_null(fds);
	assert_non_null(p);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)h->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < FLOOD_CONNECTIONS; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		assert_true(fds[i] >= 0);
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) == -1)
			assert_int_equal(errno, EINPROGRESS);
	}
	/* The kernel completes what its backlog holds; the rest wait. */
	until = itest_now_ms() + 3000;
	do {
		for (i = pending = 0; i < FLOOD_CONNECTIONS; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLOUT;
			p[i].revents = 0;
		}
		(void)poll(p, FLOOD_CONNECTIONS, 200);
		for (i = 0; i < FLOOD_CONNECTIONS; i++)
			pending += !(p[i].revents & (POLLOUT | POLLERR |
			    POLLHUP));
	} while (pending > 0 && itest_now_ms() < until);
	for (i = 0; i < FLOOD_CONNECTIONS; i++) {
		elen = sizeof(err);
		if (!(p[i].revents & POLLOUT) || getsockopt(fds[i], SOL_SOCKET,
		    SO_ERROR, &err, &elen) == -1 || err != 0)
			continue;
		open++;
		if (i % 2 == 1 && send(fds[i], half, sizeof(half) - 1,
		    MSG_NOSIGNAL) == (ssize_t)(sizeof(half) - 1))
			held++;
	}
	print_message("flood: %zu of %d connected, %zu holding half a"
	    " request\n", open, FLOOD_CONNECTIONS, held);
	assert_true(open >= 64);
	assert_int_equal(itest_last_seq(h->f->db), 0);
	if (natsd_restart(&h->f->d, msg, sizeof(msg)) == -1)
		fail_msg("%s", msg);
	until = itest_now_ms();
	itest_fx_wait_last_seq(h->f, h->f->db, ITEST_NEVENTS);
	print_message("flood: folded %lld ms after the connections\n",
	    itest_now_ms() - until);
	after = rss_bytes(h->f->p.pid);
	print_message("flood: RSS %lld KiB before, %lld KiB during\n",
	    before / 1024, after / 1024);
	assert_true(after - before < FLOOD_RSS_BOUND);
	for (i = 0; i < FLOOD_CONNECTIONS; i++)
		close(fds[i]);
	free(fds);
	free(p);
	until = itest_now_ms();
	wait_status(h, "/livez", 200);
	print_message("flood: /livez 200 %lld ms after the close\n",
	    itest_now_ms() - until);
	after = rss_bytes(h->f->p.pid);
	assert_true(after - before < FLOOD_RSS_BOUND);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/* projector health: live 0; nothing listening 1; no http: block 78. */
static void
test_http_health_live(void **state)
{
	struct http_fx *h = *state;
	char line[1024], noblock[ITEST_PATH_MAX];
	FILE *fp;

	start(h, NULL);
	assert_int_equal(itest_fx_run(h->f, "health", "-c", h->f->config,
	    NULL), 0);
	assert_non_null(fp = fopen(h->f->out, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, "ok\n");
	assert_int_equal(itest_fx_run(h->f, "health", "-c", h->f->config,
	    "--ready", "--account", "ga-1", "--projection", "leaderboard",
	    NULL) <= 1, 1);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);

	/* Stopped: nothing answers, exit 1 and one line on stderr. */
	assert_int_equal(itest_fx_run(h->f, "health", "-c", h->f->config,
	    NULL), 1);
	assert_non_null(fp = fopen(h->f->err, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_null(fgets(line + 512, 512, fp));
	fclose(fp);
	assert_non_null(strstr(line, "projector: health: cannot reach"));

	/* No http: block. */
	itest_fx_path(h->f, "nohttp.yaml", noblock, sizeof(noblock));
	assert_int_equal(itest_write_config(noblock, "nats://127.0.0.1:1",
	    NULL, 0, 0, &(struct itest_account){ "ga-1", NULL, "ga-1.db",
	    NULL, NULL, NULL }, 1), 0);
	assert_int_equal(itest_fx_run(h->f, "health", "-c", noblock, NULL), 78);
	assert_int_equal(itest_fx_run(h->f, "health", "-c", noblock,
	    "--ready", NULL), 78);
	assert_non_null(fp = fopen(h->f->err, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_non_null(strstr(line, "has no http: block"));
}

/* Polls `projector health --ready` until it exits want. */
static void
wait_health_ready(struct http_fx *h, int want)
{
	long long until = itest_now_ms() + ITEST_WAIT_MS;
	int code = -1;

	while (itest_now_ms() < until) {
		code = itest_fx_run(h->f, "health", "-c", h->f->config,
		    "--ready", NULL);
		if (code == want)
			return;
		itest_nap();
	}
	itest_show_log(h->f->log);
	fail_msg("health --ready: exit %d, not %d, within %d ms", code, want,
	    ITEST_WAIT_MS);
}

/*
 * health --ready: 0 once caught up; NATS stopped for
 * longer than ready_grace_ms (500): 1; NATS back: 0 again.
 */
static void
test_http_health_ready(void **state)
{
	struct http_fx *h = *state;
	char err[1024];
	long long stopped;

	start(h, "  ready_grace_ms: 500\n");
	caught_up(h);
	wait_health_ready(h, 0);
	if (natsd_stop(&h->f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	stopped = itest_now_ms();
	wait_health_ready(h, 1);
	/* Not before the grace has passed. */
	assert_true(itest_now_ms() - stopped >= 500);
	assert_int_equal(itest_fx_run(h->f, "health", "-c", h->f->config,
	    NULL), 0);
	if (natsd_restart(&h->f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	wait_health_ready(h, 0);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/*
 * Caught up: each projection's applied sequence is the
 * stream's last, the lag 0, live, and /readyz 200 with reason null.
 */
static void
test_http_caught_up(void **state)
{
	static const char *const projs[] = {
		"session_history", "player_profiles", "leaderboard"
	};
	struct http_fx *h = *state;
	struct scrape_reply r;
	char series[256];
	size_t i;

	start(h, NULL);
	caught_up(h);
	wait_status(h, "/readyz", 200);
	get(h, NULL, "/metrics", &r);
	for (i = 0; i < 3; i++) {
		snprintf(series, sizeof(series), "projector_applied_sequence"
		    "{account=\"ga-1\",projection=\"%s\"}", projs[i]);
		assert_true(sample(&r, series) == ITEST_NEVENTS);
		snprintf(series, sizeof(series), "projector_stream_last_sequence"
		    "{account=\"ga-1\",projection=\"%s\"}", projs[i]);
		assert_true(sample(&r, series) == ITEST_NEVENTS);
		snprintf(series, sizeof(series), "projector_lag_messages"
		    "{account=\"ga-1\",projection=\"%s\"}", projs[i]);
		assert_true(sample(&r, series) == 0);
		snprintf(series, sizeof(series), "projector_projection_state"
		    "{account=\"ga-1\",projection=\"%s\",state=\"live\"}",
		    projs[i]);
		assert_true(sample(&r, series) == 1);
	}
	assert_true(sample(&r, "projector_nats_connected{account=\"ga-1\"}")
	    == 1);
	assert_true(sample(&r, "projector_batches_total{account=\"ga-1\"}")
	    > 0);
	/* What the file parked, the counter counted: one run, no retries. */
	assert_true(sample(&r, "projector_events_parked_total"
	    "{account=\"ga-1\"}") == (double)itest_query_int(h->f->db,
	    "SELECT count(*) FROM projector_parked"));
	assert_true(sample(&r, "projector_events_applied_total"
	    "{account=\"ga-1\"}") > 0);
	scrape_reply_release(&r);
	get(h, NULL, "/readyz?account=ga-1&projection=leaderboard", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"status\": \"ok\""));
	assert_non_null(strstr(r.body, "\"reason\": null"));
	scrape_reply_release(&r);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/*
 * Far behind (ready_max_lag 0, one event a batch):
 * /readyz says 503 with the lag as the reason before it says 200.
 */
static void
test_http_far_behind(void **state)
{
	struct http_fx *h = *state;
	struct scrape_reply r;
	long long until;
	int behind = 0;

	itest_fx_start_natsd(h->f, NULL);
	itest_fx_publish_fixture(h->f, NULL, NULL);
	itest_fx_write_config(h->f, 1);
	add_http(h, "  ready_max_lag: 0\n");
	itest_fx_start_projector(h->f);
	wait_status(h, "/livez", 200);
	until = itest_now_ms() + ITEST_WAIT_MS;
	while (itest_now_ms() < until) {
		get(h, NULL, "/readyz", &r);
		if (r.status == 503 && strstr(r.body, "is over 0") != NULL)
			behind = 1;
		scrape_reply_release(&r);
		/* Done folding ends the watch, whatever it said. */
		if (r.status == 200 ||
		    itest_last_seq(h->f->db) == ITEST_NEVENTS)
			break;
		itest_nap();
	}
	caught_up(h);
	if (!behind)
		fail_msg("no 503 for the lag before the fold caught up");
	wait_status(h, "/readyz", 200);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/*
 * SIGHUP: the same http: block keeps its listener; another port moves it
 * (the old port no longer answers), and the figures go on.
 */
static void
test_http_reload(void **state)
{
	struct http_fx *h = *state;
	struct scrape_reply r;
	char old[64], url[128], err[512];

	start(h, NULL);
	caught_up(h);
	assert_int_equal(proc_signal(&h->f->p, SIGHUP), 0);
	itest_fx_wait_log(h->f, h->f->log, 1, "configuration reloaded",
	    "unchanged=1", NULL);
	assert_int_equal(itest_log_count(h->f->log, "serving HTTP", NULL), 1);

	snprintf(old, sizeof(old), "%s", h->base);
	itest_fx_write_config(h->f, 0);
	add_http(h, NULL);
	assert_int_equal(proc_signal(&h->f->p, SIGHUP), 0);
	wait_status(h, "/livez", 200);
	itest_fx_wait_log(h->f, h->f->log, 2, "configuration reloaded",
	    "unchanged=1", NULL);
	snprintf(url, sizeof(url), "%s/livez", old);
	assert_int_equal(scrape_get(url, NULL, 2000, &r, err, sizeof(err)),
	    -1);
	get(h, NULL, "/metrics", &r);
	assert_true(sample(&r, "projector_applied_sequence" LEADERBOARD) ==
	    ITEST_NEVENTS);
	scrape_reply_release(&r);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
}

/*
 * An address that cannot be had at start: run exits 69 at once, naming
 * it, and folds nothing (the owner frees the port or changes listen).
 */
static void
test_http_address_taken(void **state)
{
	struct http_fx *h = *state;
	struct sockaddr_in sa;
	char want[64];
	int fd, one = 1;

	itest_fx_start_with_fixture(h->f, 0);
	add_http(h, NULL);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)h->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(itest_fx_run(h->f, "run", "-c", h->f->config,
	    "--once", NULL), 69);
	snprintf(want, sizeof(want), "listen=127.0.0.1:%d", h->port);
	assert_int_equal(itest_log_count(h->f->err, "cannot serve HTTP", want,
	    NULL), 1);
	assert_true(itest_last_seq(h->f->db) <= 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T_(test_http_endpoints),
		T_(test_http_malformed),
		T_(test_http_flood),
		T_(test_http_health_live),
		T_(test_http_health_ready),
		T_(test_http_caught_up),
		T_(test_http_far_behind),
		T_(test_http_reload),
		T_(test_http_address_taken),
#undef T_
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
	curl_global_cleanup();
	return rc;
}
