/*
 * source_int.h: what the three files of the source module share, and no
 * other module may use: source.c (the connection, its callbacks, errors),
 * source_consumer.c (the stream, the durable and ephemeral consumers, the
 * subscription) and source_fetch.c (the prefetching fetcher, the batch,
 * acks). The public interface is source.h.
 */
#ifndef SOURCE_INT_H
#define SOURCE_INT_H

#include <pthread.h>

#include <nats/nats.h>

#include "source.h"

/* Request timeout of the JetStream API (stream and consumer info). */
#define SOURCE_API_WAIT_MS	5000
/* How long an unacknowledged delivery waits before the server resends it. */
#define SOURCE_ACK_WAIT_MS	30000
/* Fetches at least this long ask the server for heartbeats. */
#define SOURCE_HEARTBEAT_MIN_MS	1000
/*
 * An ack waits at most this long for the server's confirmation: a lost ack
 * costs only a redelivery, which the checkpoint skips, and a stop must not
 * wait the API timeout on a dead server (cli.md: exit within 5 s).
 */
#define SOURCE_ACK_CONFIRM_MS	1000
/* How long a close waits for cnats's closed callback (see source_close). */
#define SOURCE_CLOSE_WAIT_MS	1500

struct source_fetcher;

struct source {
	const struct config_account *acct;
	int			 max_events;
	natsOptions		*opts;
	natsConnection		*nc;
	jsCtx			*js;
	natsSubscription	*sub;
	int			 ephemeral;	/* sub owns an ephemeral consumer */
	struct source_fetcher	*fetcher;	/* NULL until the first fetch */
	natsMsgList		 list;		/* the batch in the caller's hands */
	struct source_msg	*views;		/* one per message of list */
	size_t			 nviews;	/* capacity of views */
	uint64_t		 expect_dseq;	/* next delivery, 0 = unknown */
	int			 gap;		/* a delivery was lost: reposition */
	source_event_fn		*event_fn;
	void			*event_arg;
	pthread_mutex_t		 mu;		/* guards perm and closed */
	pthread_cond_t		 closed_cv;	/* signalled by on_closed */
	int			 closed;	/* the closed callback has run */
	char			 perm[512];	/* last permission violation */
};

const char	*source_plain(const char *text);
int	source_take_perm(struct source *s, char *err, size_t errlen);
enum source_result source_translate(struct source *s, natsStatus st,
	    jsErrCode jerr, const char *what, char *err, size_t errlen);
void	source_drop_subscription(struct source *s);
void	source_fetch_stop(struct source *s);

#endif /* SOURCE_INT_H */
