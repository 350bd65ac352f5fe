/*
 * source_int.h: what the files of the source module share, and no other
 * module may use. They form a chain, each owning its state and calling only
 * the files below it:
 *
 *   source.c           the public interface (source.h): composes the rest
 *   source_pull.c      struct source_pull: the fetcher thread of one
 *                      subscription, the batch in hand, delivery order, acks
 *   source_consumer.c  struct source_consumer: the stream, the durable and
 *                      ephemeral consumers, the subscription
 *   source_conn.c      struct source_conn: the connection, its callbacks,
 *                      the permission violation it last heard of
 *   source_error.c     cnats statuses into enum source_result and a sentence
 *
 * Memory: each struct is owned by the file above it in the chain, which
 * frees it with its _free() or _close() (each accepts NULL); a lower object
 * must outlive the ones that borrow it (a pull borrows its consumer's
 * subscription, a consumer its connection).
 */
#ifndef SOURCE_INT_H
#define SOURCE_INT_H

#include <nats/nats.h>

#include "source.h"

/* Request timeout of the JetStream API (stream and consumer info). */
#define SOURCE_API_WAIT_MS	5000
/*
 * ... of making or deleting a consumer, this much more per million messages
 * in the stream, up to SOURCE_CREATE_WAIT_MAX_MS: nats-server 2.9 counts
 * the messages a new consumer's filter matches before it answers, which
 * took longer than 5 s on a stream of 10 million (make bench N=10000000:
 * the replay's consumer, asked for again and again, never came). A small
 * stream keeps the short wait, and with it a quick stop when the server
 * stops answering.
 */
#define SOURCE_CREATE_WAIT_PER_MILLION_MS	5000
#define SOURCE_CREATE_WAIT_MAX_MS		120000
/* How long an unacknowledged delivery waits before the server resends it. */
#define SOURCE_ACK_WAIT_MS	30000

/* source_error.c */
const char	*source_error_plain(const char *text);
enum source_result source_error_translate(natsStatus st, jsErrCode jerr,
	    const char *what, char *err, size_t errlen);
int	 source_error_no_jetstream(const struct config_account *acct,
	    natsStatus st, jsErrCode jerr, const char *what, char *err,
	    size_t errlen);

/* source_conn.c */
struct source_conn;

enum source_result source_conn_open(const struct config *cfg,
	    const struct config_account *acct, source_event_fn *fn, void *arg,
	    struct source_conn **out, char *err, size_t errlen);
jsCtx	*source_conn_js(struct source_conn *c);
int64_t	 source_conn_max_payload(struct source_conn *c);
int	 source_conn_take_perm(struct source_conn *c, char *err, size_t errlen);
enum source_result source_conn_fail(struct source_conn *c, natsStatus st,
	    jsErrCode jerr, const char *what, char *err, size_t errlen);
void	 source_conn_close(struct source_conn *c);

/* source_consumer.c */
struct source_consumer;

struct source_consumer *source_consumer_new(struct source_conn *c,
	    const struct config_account *acct, int max_events);
enum source_result source_consumer_stream(struct source_consumer *k,
	    struct source_stream_info *out, char *err, size_t errlen);
enum source_result source_consumer_durable(struct source_consumer *k,
	    struct source_consumer_info *out, char *err, size_t errlen);
enum source_result source_consumer_position(struct source_consumer *k,
	    uint64_t start_seq, int *recreated, uint64_t *next_dseq, char *err,
	    size_t errlen);
enum source_result source_consumer_position_ephemeral(
	    struct source_consumer *k, uint64_t start_seq, char *err,
	    size_t errlen);
natsSubscription *source_consumer_sub(struct source_consumer *k);
enum source_result source_consumer_sub_info(struct source_consumer *k,
	    struct source_consumer_info *out, char *err, size_t errlen);
int	 source_consumer_gone(struct source_consumer *k, char *err,
	    size_t errlen);
void	 source_consumer_drop(struct source_consumer *k);
void	 source_consumer_free(struct source_consumer *k);

/* source_pull.c */
struct source_pull;

int	 source_pull_new(struct source_consumer *k, struct source_conn *c,
	    uint64_t next_dseq, struct source_pull **out, char *err,
	    size_t errlen);
enum source_result source_pull_next(struct source_pull *p, int batch,
	    int wait_ms, size_t *count, char *err, size_t errlen);
const struct feed_msg *source_pull_msg(struct source_pull *p, size_t i);
enum source_result source_pull_ack(struct source_pull *p, size_t i,
	    char *err, size_t errlen);
void	 source_pull_free(struct source_pull *p);

#endif /* SOURCE_INT_H */
