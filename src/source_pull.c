/*
 * source_pull.c: pulling batches from one subscription and acknowledging
 * them, for the NATS boundary (see source_int.h).
 *
 * A fetcher thread keeps one pull request ahead of the caller: while the
 * worker folds and commits batch N, batch N+1 is already coming, so the
 * worker and nats-server work at the same time instead of in turns (the
 * durable consumer's MaxAckPending of two batches leaves room for exactly
 * that). The fetcher holds at most one finished batch and starts the next
 * request only once the caller has taken it; it also reads each message's
 * metadata, off the worker's thread. Each request uses the batch size and
 * wait of the caller's latest source_pull_next(). Order is kept: one
 * request at a time, taken in the order they finished.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "source_int.h"
#include "xmalloc.h"

/*
 * A batch ends at this many bytes of messages, whatever its count: memory
 * stays bounded when events are large (1,000 events of 1 MiB would be
 * 1 GiB). Raised to twice the server's max_payload when that is larger, so
 * that one message always fits (the server refuses a request smaller than
 * its next message, and the consumer would stall).
 */
#define SOURCE_BATCH_BYTES	(8 * 1024 * 1024)
/*
 * An ack waits at most this long for the server's confirmation: a lost ack
 * costs only a redelivery, which the checkpoint skips, and a stop must not
 * wait the API timeout on a dead server (cli.md: exit within 5 s).
 */
#define SOURCE_ACK_CONFIRM_MS	1000

/* A message as lent, and its consumer sequence for the order check. */
struct source_view {
	struct feed_msg	 m;
	uint64_t	 dseq;
};

/* One fetched batch, with the views of its messages. */
struct source_batch {
	natsMsgList		 list;
	struct source_view	*views;
	size_t			 nviews;	/* capacity of views */
	natsStatus		 st;
	int			 late;		/* late deliveries were queued */
	char			 text[256];	/* cnats's error text, if st */
};

struct source_pull {
	struct source_conn	*conn;		/* borrowed, as is */
	struct source_consumer	*cons;
	natsSubscription	*sub;		/* the consumer's */
	int64_t			 max_bytes;	/* of every request */
	struct source_batch	 hand;		/* the caller's batch */
	uint64_t		 expect_dseq;	/* next delivery, 0 = unknown */
	int			 gap;		/* a delivery was lost */
	int			 started;	/* the fetcher runs */
	pthread_t		 thread;
	pthread_mutex_t		 mu;		/* guards the fetcher's part */
	pthread_cond_t		 cv;
	int			 batch;		/* of the next request */
	int			 wait_ms;
	int			 quit;
	int			 ready;		/* done holds a result */
	struct source_batch	 done;
};

/*
 * Reads the metadata of every message of b into its views. On failure, the
 * batch is cut before the message that failed and b->st says why.
 */
static void
index_messages(struct source_batch *b)
{
	size_t i, n = (size_t)b->list.Count;

	if (n > b->nviews) {
		b->views = xreallocarray(b->views, n, sizeof(*b->views));
		b->nviews = n;
	}
	for (i = 0; i < n; i++) {
		natsMsg *m = b->list.Msgs[i];
		struct source_view *v = &b->views[i];
		jsMsgMetaData *meta = NULL;

		if ((b->st = natsMsg_GetMetaData(&meta, m)) != NATS_OK) {
			snprintf(b->text, sizeof(b->text), "message metadata: %s",
			    natsStatus_GetText(b->st));
			break;
		}
		v->m.seq = meta->Sequence.Stream;
		v->dseq = meta->Sequence.Consumer;
		v->m.pending = meta->NumPending;
		v->m.stored_ms = meta->Timestamp / 1000000;
		jsMsgMetaData_Destroy(meta);
		v->m.subject = natsMsg_GetSubject(m);
		v->m.data = natsMsg_GetData(m);
		v->m.len = (size_t)natsMsg_GetDataLength(m);
	}
	/* Cut the batch: the messages after a failure go now. */
	for (n = i; n < (size_t)b->list.Count; n++) {
		natsMsg_Destroy(b->list.Msgs[n]);
		b->list.Msgs[n] = NULL;
	}
	b->list.Count = (int)i;
}

/* One pull request, as the caller last asked for it, into b. */
static void
fetch_once(natsSubscription *sub, int batch, int wait_ms, int64_t max_bytes,
    struct source_batch *b)
{
	jsFetchRequest req;
	int queued = 0;

	b->late = 0;
	b->text[0] = '\0';
	/*
	 * libnats 3.4.1 writes past the batch's array when more than half a
	 * batch is already queued on the subscription (late answers to a pull
	 * request that expired on our side, e.g. after the server stalled) and
	 * more keep coming. Such deliveries are leftovers anyway: a fresh
	 * subscription, positioned again from the checkpoint, drops them.
	 */
	if (natsSubscription_GetPending(sub, &queued, NULL) == NATS_OK &&
	    queued > 0 && 2 * queued > batch) {
		snprintf(b->text, sizeof(b->text), "%d late deliveries of an"
		    " expired pull request are queued", queued);
		b->late = 1;
		b->st = NATS_ILLEGAL_STATE;
		return;
	}
	jsFetchRequest_Init(&req);
	req.Batch = batch;
	req.MaxBytes = max_bytes;
	req.Expires = (int64_t)wait_ms * 1000000;
	/*
	 * No idle heartbeats (req.Heartbeat): in libnats 3.4.1 each fetch
	 * that asks for them takes a reference on the subscription, given
	 * back by the heartbeat timer's stop callback; when the timer fires
	 * (a heartbeat missed, or just late) as the fetch ends, that callback
	 * is deferred, and the next fetch's natsTimer_Reset() cancels it, so
	 * the subscription, its connection and its timers are never freed
	 * (js.c _fetch and _hbTimerFired, nats.c _timerThread; seen as a leak
	 * in 1 of 11 runs of test_faults_delete_consumer under ASan). A dead
	 * server shows at the end of the wait instead, at most a few seconds
	 * later, or sooner through the connection's own events.
	 */
	b->st = natsSubscription_FetchRequest(&b->list, sub, &req);
	if (b->st == NATS_OK)
		index_messages(b);
	else
		/* Thread-local in cnats: only this thread can read it. */
		snprintf(b->text, sizeof(b->text), "%s",
		    source_error_plain(nats_GetLastError(NULL)));
}

static void *
fetcher_main(void *arg)
{
	struct source_pull *p = arg;
	struct source_batch b;
	int batch, wait_ms;

	memset(&b, 0, sizeof(b));
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->ready && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		batch = p->batch;
		wait_ms = p->wait_ms;
		/* The views the caller gave back, to be filled again. */
		b.views = p->done.views;
		b.nviews = p->done.nviews;
		pthread_mutex_unlock(&p->mu);

		memset(&b.list, 0, sizeof(b.list));
		fetch_once(p->sub, batch, wait_ms, p->max_bytes, &b);

		pthread_mutex_lock(&p->mu);
		p->done = b;
		p->ready = 1;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	nats_ReleaseThreadMemory();
	return NULL;
}

/*
 * Makes a pull for the subscription of k (positioned; it must outlive the
 * pull) whose next delivery is consumer sequence next_dseq (0: unknown).
 * The fetcher starts with the first source_pull_next(). Returns 0 and sets
 * *out, or -1 with err.
 */
int
source_pull_new(struct source_consumer *k, struct source_conn *c,
    uint64_t next_dseq, struct source_pull **out, char *err, size_t errlen)
{
	struct source_pull *p;

	if (source_consumer_sub(k) == NULL) {
		snprintf(err, errlen, "consumer not positioned");
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	p->conn = c;
	p->cons = k;
	p->sub = source_consumer_sub(k);
	p->expect_dseq = next_dseq;
	p->max_bytes = 2 * source_conn_max_payload(c);
	if (p->max_bytes < SOURCE_BATCH_BYTES)
		p->max_bytes = SOURCE_BATCH_BYTES;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	*out = p;
	return 0;
}

/*
 * Checks the deliveries of the batch in hand against the consumer sequence
 * and cuts it before a lost one: a delivery we never saw (lost with a
 * connection) comes again only after the ack wait, after later messages,
 * and folding those first would break stream order. The caller positions
 * the consumer again.
 */
static enum source_result
check_order(struct source_pull *p, size_t *count, char *err, size_t errlen)
{
	size_t i, n = (size_t)p->hand.list.Count;

	for (i = 0; i < n; i++) {
		const struct source_view *v = &p->hand.views[i];

		if (p->expect_dseq != 0 && v->dseq != p->expect_dseq) {
			snprintf(err, errlen, "delivery %llu expected, %llu"
			    " received (stream seq %llu)",
			    (unsigned long long)p->expect_dseq,
			    (unsigned long long)v->dseq,
			    (unsigned long long)v->m.seq);
			p->gap = 1;
			break;
		}
		p->expect_dseq = v->dseq + 1;
	}
	*count = i;
	return i == 0 && p->gap ? SOURCE_REPOSITION : SOURCE_OK;
}

/*
 * Hands over the next batch of up to batch messages, fetched with a wait of
 * at most wait_ms, dropping the one in hand. Sets *count; source_pull_msg()
 * lends the messages. Returns SOURCE_OK, SOURCE_EMPTY when none came,
 * SOURCE_REPOSITION when the consumer must be positioned again (deliveries
 * lost, consumer deleted), or an error with err.
 */
enum source_result
source_pull_next(struct source_pull *p, int batch, int wait_ms,
    size_t *count, char *err, size_t errlen)
{
	struct source_view *views;
	size_t nviews;
	natsStatus st;
	int late;

	*count = 0;
	natsMsgList_Destroy(&p->hand.list);
	memset(&p->hand.list, 0, sizeof(p->hand.list));
	if (p->gap) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	pthread_mutex_lock(&p->mu);
	p->batch = batch;
	p->wait_ms = wait_ms;
	if (!p->started) {
		if (pthread_create(&p->thread, NULL, fetcher_main, p) != 0) {
			pthread_mutex_unlock(&p->mu);
			snprintf(err, errlen, "cannot start the fetcher thread");
			return SOURCE_RETRY;
		}
		p->started = 1;
	}
	/* Bounded: each request ends within its wait. */
	while (!p->ready)
		pthread_cond_wait(&p->cv, &p->mu);
	/* Take the batch; give the fetcher the views of the one before. */
	views = p->done.views;
	nviews = p->done.nviews;
	p->done.views = p->hand.views;
	p->done.nviews = p->hand.nviews;
	p->hand.views = views;
	p->hand.nviews = nviews;
	p->hand.list = p->done.list;
	memset(&p->done.list, 0, sizeof(p->done.list));
	st = p->done.st;
	late = p->done.late;
	snprintf(err, errlen, "%s", p->done.text);
	p->ready = 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);

	if (late) {
		p->gap = 1;
		return SOURCE_REPOSITION;
	}
	if (p->hand.list.Count > 0)
		/* A metadata failure after good messages: those first. */
		return check_order(p, count, err, errlen);
	if (source_conn_take_perm(p->conn, err, errlen))
		return SOURCE_EPERM;
	if ((st == NATS_OK || st == NATS_TIMEOUT || st == NATS_NOT_FOUND) &&
	    source_consumer_gone(p->cons, err, errlen)) {
		p->gap = 1;
		return SOURCE_REPOSITION;
	}
	if (st == NATS_OK || st == NATS_TIMEOUT || st == NATS_NOT_FOUND)
		return SOURCE_EMPTY;
	if (st == NATS_ERR) {
		/* A status from the server, e.g. 409 Consumer Deleted. */
		char text[256];

		snprintf(text, sizeof(text), "%s", err);
		snprintf(err, errlen, "fetch: %s", text);
		return SOURCE_REPOSITION;
	}
	return source_conn_fail(p->conn, st, 0, "fetch", err, errlen);
}

/* Lends message i of the batch in hand; i must be below its count. */
const struct feed_msg *
source_pull_msg(struct source_pull *p, size_t i)
{
	assert(i < (size_t)p->hand.list.Count);
	return &p->hand.views[i].m;
}

/*
 * Acknowledges message i of the batch in hand and, the ack policy being
 * AckAll, every message before it, and waits for the server to confirm. A
 * lost ack only means a redelivery, which the checkpoint skips.
 */
enum source_result
source_pull_ack(struct source_pull *p, size_t i, char *err, size_t errlen)
{
	jsOptions o;
	jsErrCode jerr = 0;
	natsStatus st;

	assert(i < (size_t)p->hand.list.Count);
	jsOptions_Init(&o);
	o.Wait = SOURCE_ACK_CONFIRM_MS;
	st = natsMsg_AckSync(p->hand.list.Msgs[i], &o, &jerr);
	if (st != NATS_OK)
		return source_conn_fail(p->conn, st, jerr, "ack", err, errlen);
	return SOURCE_OK;
}

/*
 * Stops the fetcher, waiting for the request in flight (it ends within its
 * wait), and drops both batches (never acknowledged: the server delivers
 * them again). Accepts NULL.
 */
void
source_pull_free(struct source_pull *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	natsMsgList_Destroy(&p->done.list);
	natsMsgList_Destroy(&p->hand.list);
	free(p->done.views);
	free(p->hand.views);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
