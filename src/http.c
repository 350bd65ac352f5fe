/*
 * http.c: the metrics and health endpoint over libmicrohttpd (see http.h).
 *
 * The listening socket is made here, not by libmicrohttpd, so that a
 * failure to bind says which address and why (MHD_start_daemon() returns
 * NULL and no reason). One thread serves every connection with epoll: the
 * answers are computed in microseconds, and a slow or idle client only
 * holds a slot, of which there are HTTP_MAX_CONNECTIONS, until
 * HTTP_TIMEOUT_S passes.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "clock.h"
#include "http.h"
#include "metrics.h"
#include "procstat.h"
#include "ready.h"
#include "source.h"

/* Scrapers and probes are few; more waiting clients wait in the backlog. */
#define HTTP_MAX_CONNECTIONS	64
#define HTTP_BACKLOG		128
/* An idle or slow connection is dropped after this. */
#define HTTP_TIMEOUT_S		10
/* Per connection: the request's head and our headers fit well in this. */
#define HTTP_MEMORY_LIMIT	(16 * 1024)

#define HTTP_TEXT		"text/plain; charset=utf-8"
#define HTTP_METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct http {
	struct MHD_Daemon	*daemon;
	struct stats_board	*board;
	struct ready_bounds	 bounds;
	int64_t			 stall_ms;
	struct metrics_build	 build;
};

static const char index_page[] =
"<!DOCTYPE html>\n"
"<html><head><title>projector</title></head><body>\n"
"<h1>projector</h1>\n"
"<ul>\n"
"<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
"<li><a href=\"/livez\">/livez</a> (also /healthz): every loop turns</li>\n"
"<li><a href=\"/readyz\">/readyz</a>: every projection live and caught up"
" (?account=NAME&amp;projection=NAME select)</li>\n"
"</ul>\n"
"</body></html>\n";

/* libmicrohttpd's messages go nowhere: only main and the worker log. */
static void
http_discard(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

/*
 * Queues an answer of len bytes of body; with owned, body was malloc'd and
 * libmicrohttpd frees it (also when it cannot make the response).
 */
static enum MHD_Result
http_reply(struct MHD_Connection *c, unsigned int status, const char *type,
    char *body, size_t len, int owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, owned ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) ==
	    MHD_NO || MHD_add_response_header(r,
	    MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_NO ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
http_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	return http_reply(c, status, HTTP_TEXT, (char *)text, strlen(text), 0);
}

static enum MHD_Result
http_metrics(struct http *h, struct MHD_Connection *c)
{
	struct procstat ps;
	char err[256], *text;
	size_t len;

	/* A figure /proc does not give is left at 0; the rest still count. */
	(void)procstat_read(&ps, err, sizeof(err));
	if (metrics_render(h->board, &h->build, &ps, &text, &len) == -1)
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return http_reply(c, MHD_HTTP_OK, HTTP_METRICS_TYPE, text, len, 1);
}

struct http_live {
	struct http	*h;
	int		 live;
};

static void
http_live_read(void *arg, struct stats_account *const *accts, size_t n)
{
	struct http_live *l = arg;

	l->live = ready_live(accts, n, clock_now_ms(), l->h->stall_ms);
}

static enum MHD_Result
http_livez(struct http *h, struct MHD_Connection *c)
{
	struct http_live l = { h, 0 };

	stats_board_read(h->board, http_live_read, &l);
	return l.live ? http_text(c, MHD_HTTP_OK, "ok\n") :
	    http_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stalled\n");
}

struct http_ready {
	struct http		*h;
	const char		*account;
	const char		*projection;
	enum ready_result	 result;
	json_t			*body;
};

static void
http_ready_read(void *arg, struct stats_account *const *accts, size_t n)
{
	struct http_ready *r = arg;

	r->result = ready_check(accts, n, &r->h->bounds, clock_now_ms(),
	    r->account, r->projection, &r->body);
}

/* A query argument; an empty one is none. */
static const char *
http_arg(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static enum MHD_Result
http_readyz(struct http *h, struct MHD_Connection *c)
{
	static const unsigned int status[] = {
		[READY_OK] = MHD_HTTP_OK,
		[READY_UNAVAILABLE] = MHD_HTTP_SERVICE_UNAVAILABLE,
		[READY_UNKNOWN] = MHD_HTTP_NOT_FOUND,
	};
	struct http_ready r;
	char *text, *grown;
	size_t len;

	memset(&r, 0, sizeof(r));
	r.h = h;
	r.account = http_arg(c, "account");
	r.projection = http_arg(c, "projection");
	stats_board_read(h->board, http_ready_read, &r);
	text = r.body != NULL ? json_dumps(r.body, JSON_INDENT(2)) : NULL;
	json_decref(r.body);
	/* json_dumps() ends without a newline; a terminal wants one. */
	len = text != NULL ? strlen(text) : 0;
	if (text != NULL && (grown = realloc(text, len + 2)) != NULL) {
		text = grown;
		memcpy(text + len++, "\n", 2);
	}
	if (text == NULL)
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return http_reply(c, status[r.result], "application/json", text, len,
	    1);
}

/* libmicrohttpd's request handler: one call per request, no upload read. */
static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct http *h = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed: GET or HEAD\n");
	if (strcmp(url, "/metrics") == 0)
		return http_metrics(h, c);
	if (strcmp(url, "/livez") == 0 || strcmp(url, "/healthz") == 0)
		return http_livez(h, c);
	if (strcmp(url, "/readyz") == 0)
		return http_readyz(h, c);
	if (strcmp(url, "/") == 0)
		return http_reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		    (char *)index_page, sizeof(index_page) - 1, 0);
	return http_text(c, MHD_HTTP_NOT_FOUND,
	    "not found: try /metrics, /livez, /readyz\n");
}

/* A socket listening on host:port, numeric; -1 with the reason in err. */
static int
http_listen(const struct config_http *cfg, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char port[16];
	int fd = -1, one = 1, rc, saved;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", cfg->port);
	if ((rc = getaddrinfo(cfg->host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "http: cannot listen on %s: %s",
		    cfg->listen, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		goto fail;
	/* A restart must not wait for the last run's TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/* "[::]" means IPv6 only: 0.0.0.0 is a second address to say. */
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, HTTP_BACKLOG) == -1)
		goto fail;
	freeaddrinfo(ai);
	return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "http: cannot listen on %s: %s", cfg->listen,
	    strerror(saved));
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/*
 * Starts serving on p->cfg->listen. Returns 0 with *out set (release with
 * http_stop()), or -1 with "http: cannot listen on ADDRESS: reason" (or why
 * the server would not start) in err. p->cfg->listen must not be NULL.
 */
int
http_start(const struct http_params *p, struct http **out, char *err,
    size_t errlen)
{
	struct http *h;
	int fd;

	if ((fd = http_listen(p->cfg, err, errlen)) == -1)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		close(fd);
		return -1;
	}
	h->board = p->board;
	h->stall_ms = p->stall_ms;
	h->bounds.max_lag = (uint64_t)p->cfg->ready_max_lag;
	h->bounds.grace_ms = p->cfg->ready_grace_ms;
	h->bounds.stall_ms = p->cfg->ready_stall_ms;
	h->build.version = p->version;
	h->build.sqlite_version = sqlite3_libversion();
	h->build.nats_version = source_version();
	/* No MHD_USE_ERROR_LOG: its messages would go to stderr unasked. */
	errno = 0;
	h->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL,
	    NULL, http_answer, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
	    MHD_OPTION_EXTERNAL_LOGGER, http_discard, NULL,
	    MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "http: cannot start the server on %s%s%s",
		    p->cfg->listen, errno != 0 ? ": " : "",
		    errno != 0 ? strerror(errno) : "");
		close(fd);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

/*
 * Stops serving: requests in hand are answered first, then the socket is
 * closed. h may be NULL. Cannot fail.
 */
void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
