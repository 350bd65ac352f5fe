/*
 * source.h: the NATS boundary: one account's connection, its stream and its
 * durable pull consumer.
 *
 * source_open() connects with the account's credentials; the connection
 * reconnects by itself for ever once it was up. source_position() makes the
 * durable consumer deliver from a given stream sequence: the database, not
 * the consumer's ack floor, says where to resume, so the consumer is reused
 * only when its state says exactly that, and deleted and created again at
 * that sequence otherwise (cnats 3.4 has no consumer reset).
 * source_position_ephemeral() reads instead through a new ephemeral consumer
 * without acks, as a replay does, leaving the durable consumer alone.
 * source_fetch() hands over one batch, which a fetcher thread pulled ahead
 * while the caller folded the one before; source_msg() lends a view of one
 * of its messages; source_ack() acknowledges every message up to one (the
 * consumer's ack policy is AckAll) and waits for the server's answer.
 *
 * The module is a chain of files, each owning its state and calling only
 * down: source.c (this interface) -> source_pull.c (the fetcher, the batch,
 * delivery order, acks) -> source_consumer.c (stream, consumers,
 * subscription) -> source_conn.c (the connection and its callbacks) ->
 * source_error.c (cnats statuses into enum source_result plus a sentence in
 * err). No nats type leaves these files (source_int.h is their private
 * header). Connection events (disconnects, reconnects, asynchronous errors
 * such as permission violations) reach the callback given to source_open(),
 * from cnats's threads, except while the source closes itself; nothing here
 * logs.
 *
 * Memory: struct source owns the connection, the subscription and the
 * fetched batch; the views source_msg() lends stay valid until the next
 * source_fetch(), source_position*() or source_close(). source_close()
 * accepts NULL.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "feed.h"

enum source_result {
	SOURCE_OK = 0,
	SOURCE_EMPTY,		/* the fetch expired with no message */
	SOURCE_RETRY,		/* disconnected, timed out, server busy: try again */
	SOURCE_REPOSITION,	/* consumer gone or deliveries lost: position again */
	SOURCE_ENOSTREAM,	/* the stream does not exist: try again later */
	SOURCE_EPERM,		/* a permission violation */
	SOURCE_ECLOSED,		/* the connection gave up (e.g. credentials refused):
				   close the source and open it again later */
	SOURCE_ECONFIG		/* unusable configuration or secret file */
};

/* Stream state as the server reports it. */
struct source_stream_info {
	uint64_t	first_seq;
	uint64_t	last_seq;
	uint64_t	msgs;
};

/* Consumer state as the server reports it. */
struct source_consumer_info {
	uint64_t	delivered_seq;	/* stream sequence last delivered */
	uint64_t	ack_floor_seq;	/* stream sequence acknowledged */
	uint64_t	num_pending;	/* not delivered yet */
	uint64_t	num_ack_pending;	/* delivered, not acknowledged */
};

enum source_conn_event {
	SOURCE_CONNECTED,
	SOURCE_DISCONNECTED,
	SOURCE_RECONNECTED,
	SOURCE_CLOSED,
	SOURCE_ASYNC_ERROR	/* detail says what, e.g. a permission violation */
};

/* Called from cnats's threads; detail is borrowed for the call. */
typedef void	source_event_fn(void *arg, enum source_conn_event ev,
		    const char *detail);

struct source;

enum source_result source_open(const struct config *cfg,
	    const struct config_account *acct, source_event_fn *fn, void *arg,
	    struct source **out, char *err, size_t errlen);
enum source_result source_stream_info(struct source *s,
	    struct source_stream_info *out, char *err, size_t errlen);
enum source_result source_consumer_info(struct source *s,
	    struct source_consumer_info *out, char *err, size_t errlen);
enum source_result source_position(struct source *s, uint64_t start_seq,
	    int *recreated, char *err, size_t errlen);
enum source_result source_position_ephemeral(struct source *s,
	    uint64_t start_seq, char *err, size_t errlen);
enum source_result source_sub_info(struct source *s,
	    struct source_consumer_info *out, char *err, size_t errlen);
enum source_result source_fetch(struct source *s, int batch, int wait_ms,
	    size_t *count, char *err, size_t errlen);
const struct feed_msg *source_msg(struct source *s, size_t i);
enum source_result source_ack(struct source *s, size_t i, char *err,
	    size_t errlen);
void	source_close(struct source *s);
const char *source_version(void);
void	source_shutdown(void);

#endif /* SOURCE_H */
