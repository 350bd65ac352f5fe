/*
 * source.c: the NATS boundary's interface (see source.h), composed of the
 * connection, the consumer and the pull of the current subscription.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

#include "source_int.h"
#include "xmalloc.h"

struct source {
	struct source_conn	*conn;
	struct source_consumer	*cons;
	struct source_pull	*pull;	/* NULL until positioned */
};

/*
 * Connects for acct (see source_conn_open()). Returns SOURCE_OK and sets
 * *out, or an error with err: SOURCE_RETRY when no server answers or it
 * refuses the credentials.
 */
enum source_result
source_open(const struct config *cfg, const struct config_account *acct,
    source_event_fn *fn, void *arg, struct source **out, char *err,
    size_t errlen)
{
	struct source *s;
	enum source_result r;

	s = xcalloc(1, sizeof(*s));
	if ((r = source_conn_open(cfg, acct, fn, arg, &s->conn, err,
	    errlen)) != SOURCE_OK) {
		free(s);
		return r;
	}
	s->cons = source_consumer_new(s->conn, acct, cfg->max_events);
	*out = s;
	return SOURCE_OK;
}

/* Reads the stream's state. */
enum source_result
source_stream_info(struct source *s, struct source_stream_info *out,
    char *err, size_t errlen)
{
	return source_consumer_stream(s->cons, out, err, errlen);
}

/* Reads the durable consumer's state; SOURCE_REPOSITION when it is missing. */
enum source_result
source_consumer_info(struct source *s, struct source_consumer_info *out,
    char *err, size_t errlen)
{
	return source_consumer_durable(s->cons, out, err, errlen);
}

/*
 * Reads the state of the consumer behind the current subscription, durable
 * or ephemeral.
 */
enum source_result
source_sub_info(struct source *s, struct source_consumer_info *out,
    char *err, size_t errlen)
{
	return source_consumer_sub_info(s->cons, out, err, errlen);
}

/* Ends the current subscription and the batches pulled from it. */
static void
drop(struct source *s)
{
	source_pull_free(s->pull);
	s->pull = NULL;
	source_consumer_drop(s->cons);
}

/* Starts pulling from a new subscription. */
static enum source_result
start_pull(struct source *s, uint64_t next_dseq, char *err, size_t errlen)
{
	if (source_pull_new(s->cons, s->conn, next_dseq, &s->pull, err,
	    errlen) == -1) {
		drop(s);
		return SOURCE_RETRY;
	}
	return SOURCE_OK;
}

/*
 * Makes the durable consumer deliver from start_seq on (1 = the whole
 * stream), reusing it when its state allows and recreating it otherwise
 * (*recreated says which). Returns SOURCE_OK or an error with err.
 */
enum source_result
source_position(struct source *s, uint64_t start_seq, int *recreated,
    char *err, size_t errlen)
{
	enum source_result r;
	uint64_t next_dseq;

	drop(s);
	r = source_consumer_position(s->cons, start_seq, recreated, &next_dseq,
	    err, errlen);
	if (r != SOURCE_OK)
		return r;
	return start_pull(s, next_dseq, err, errlen);
}

/*
 * Reads from start_seq on through a new ephemeral consumer without acks,
 * leaving the durable consumer alone. Returns SOURCE_OK or an error with
 * err.
 */
enum source_result
source_position_ephemeral(struct source *s, uint64_t start_seq, char *err,
    size_t errlen)
{
	enum source_result r;

	drop(s);
	r = source_consumer_position_ephemeral(s->cons, start_seq, err, errlen);
	if (r != SOURCE_OK)
		return r;
	return start_pull(s, 1, err, errlen);
}

/*
 * Hands over the next batch of up to batch messages, fetched with a wait of
 * at most wait_ms; sets *count. Returns SOURCE_OK, SOURCE_EMPTY when none
 * came, SOURCE_REPOSITION when the consumer must be positioned again, or an
 * error with err.
 */
enum source_result
source_fetch(struct source *s, int batch, int wait_ms, size_t *count,
    char *err, size_t errlen)
{
	*count = 0;
	if (s->pull == NULL) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	return source_pull_next(s->pull, batch, wait_ms, count, err, errlen);
}

/* Lends message i of the batch in hand; i must be below its count. */
const struct feed_msg *
source_msg(struct source *s, size_t i)
{
	return source_pull_msg(s->pull, i);
}

/*
 * Acknowledges message i of the batch in hand and every message before it,
 * and waits for the server to confirm.
 */
enum source_result
source_ack(struct source *s, size_t i, char *err, size_t errlen)
{
	return source_pull_ack(s->pull, i, err, errlen);
}

/*
 * Releases the batch, the subscription (a durable consumer stays on the
 * server) and the connection. Accepts NULL.
 */
void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	drop(s);
	/* The connection first: see source_consumer_drop(). */
	source_conn_close(s->conn);
	source_consumer_free(s->cons);
	free(s);
}

/* Returns the version of the NATS client library. Cannot fail. */
const char *
source_version(void)
{
	return nats_GetVersion();
}

/*
 * Waits (bounded) for the NATS library's own threads to finish, once every
 * source is closed: a fetch timer can still hold a subscription, and with
 * it a connection, until its thread has run. Call once, at exit.
 */
void
source_shutdown(void)
{
	nats_CloseAndWait(1000);
}
