/*
 * http.h: the metrics and health endpoint (README, "HTTP endpoint"), off
 * unless the configuration has an http: block. libmicrohttpd serves it
 * from a thread of its own; no MHD type leaves http.c.
 *
 *   GET /metrics   Prometheus text format 0.0.4 (metrics.h)
 *   GET /livez     200 "ok" while every running loop turns, else 503
 *       /healthz   the same
 *   GET /readyz    200 or 503 with JSON (ready.h); ?account=&projection=
 *                  select, 404 when they name nothing
 *   GET /          a page linking the others
 *
 * GET and HEAD only (else 405 with Allow); anything else is 404; every
 * answer says Cache-Control: no-store. The endpoint reads the accounts
 * only through stats_board_read(), whose lock the workers never take, so a
 * scrape never holds up a fold. It logs nothing: a request that fails is
 * the client's to see.
 *
 * Memory: struct http_params and what it points to are borrowed and must
 * outlive the endpoint, up to http_stop(); http_start() allocates the
 * struct http that http_stop() frees.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "stats.h"

struct http;

struct http_params {
	const struct config_http	*cfg;
	struct stats_board		*board;
	const char			*version;	/* projector's */
	int64_t				 stall_ms;	/* /livez's bound */
};

int	http_start(const struct http_params *p, struct http **out, char *err,
	    size_t errlen);
void	http_stop(struct http *h);

#endif /* HTTP_H */
