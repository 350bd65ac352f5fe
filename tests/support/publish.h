/*
 * publish.h: put events into JetStream the way a GamingAPI feed would.
 *
 * Thin, checked wrappers over cnats for tests and the demo: connect, create
 * a stream, read a fixture file (events.jsonl: one {"subject":...,
 * "payload":...} a line, payload being the exact bytes to publish) and
 * publish it, or one message, read a stream's counters. Every publish waits for the PubAck, so
 * when a call returns 0 the messages are stored.
 *
 * Ownership: publish_connect() and publish_js() hand out a cnats object that
 * the caller destroys (natsConnection_Destroy, jsCtx_Destroy); everything
 * else borrows what it is given. A test process calls nats_Close() once at
 * the end so that leak checkers see cnats' global state freed.
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

/*
 * What publish_read_events() calls for each event of a file: its subject
 * and its payload (len bytes, NULs allowed), both borrowed for the call.
 * Returns 0 to go on, or -1 with a reason in err to stop.
 */
typedef int	publish_event_fn(void *arg, const char *subject,
	    const char *payload, size_t len, char *err, size_t errlen);

void	publish_errfmt(char *err, size_t errlen, const char *what,
	    natsStatus s, jsErrCode jerr);
int	publish_connect(const char *url, natsConnection **nc, char *err,
	    size_t errlen);
int	publish_connect_opts(const char *url, natsOptions *opts,
	    natsConnection **nc, char *err, size_t errlen);
int	publish_js(natsConnection *nc, jsCtx **js, char *err, size_t errlen);
int	publish_create_stream(natsConnection *nc, const char *name,
	    const char *const subjects[], size_t nsubjects, char *err,
	    size_t errlen);
int	publish_create_stream_max(natsConnection *nc, const char *name,
	    const char *const subjects[], size_t nsubjects, int64_t max_msgs,
	    char *err, size_t errlen);
int	publish_ensure_stream(natsConnection *nc, const char *name,
	    const char *const subjects[], size_t nsubjects, char *err,
	    size_t errlen);
int	publish_stream_info(natsConnection *nc, const char *name,
	    uint64_t *msgs, uint64_t *last_seq, char *err, size_t errlen);
int	publish_read_events(const char *path, publish_event_fn *fn,
	    void *arg, char *err, size_t errlen);
int	publish_file(jsCtx *js, const char *stream, const char *path,
	    uint64_t *count, char *err, size_t errlen);
int	publish_one(jsCtx *js, const char *subject, const void *data,
	    size_t len, char *err, size_t errlen);

#endif /* PUBLISH_H */
