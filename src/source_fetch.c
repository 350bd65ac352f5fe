/*
 * source_fetch.c: fetching and acknowledging, for the NATS boundary (see
 * source.h).
 *
 * A fetcher thread per subscription keeps one pull request ahead of the
 * caller: while the worker folds and commits batch N, batch N+1 is already
 * coming, so the worker and nats-server work at the same time instead of in
 * turns (the durable consumer's MaxAckPending of two batches leaves room for
 * exactly that). The fetcher holds at most one finished batch and starts the
 * next request only once the caller has taken it; it also reads each
 * message's metadata, off the worker's thread. Each request uses the batch
 * size and wait of the caller's latest source_fetch(). Order is kept: one
 * request at a time, taken in the order they finished.
 */
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

/* One fetched batch, with the views of its messages. */
struct source_batch {
	natsMsgList		 list;
	struct source_msg	*views;
	size_t			 nviews;	/* capacity of views */
	natsStatus		 st;
	int			 late;		/* late deliveries were queued */
	char			 text[256];	/* cnats's error text, if st */
};

struct source_fetcher {
	pthread_t		 thread;
	pthread_mutex_t		 mu;		/* guards all below */
	pthread_cond_t		 cv;
	natsSubscription	*sub;		/* borrowed from the source */
	int			 batch;		/* of the next request */
	int			 wait_ms;
	int64_t			 max_bytes;	/* of every request */
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
		struct source_msg *v = &b->views[i];
		jsMsgMetaData *meta = NULL;

		if ((b->st = natsMsg_GetMetaData(&meta, m)) != NATS_OK) {
			snprintf(b->text, sizeof(b->text), "message metadata: %s",
			    natsStatus_GetText(b->st));
			break;
		}
		v->seq = meta->Sequence.Stream;
		v->dseq = meta->Sequence.Consumer;
		v->pending = meta->NumPending;
		v->delivered = meta->NumDelivered;
		v->stored_ms = meta->Timestamp / 1000000;
		jsMsgMetaData_Destroy(meta);
		v->subject = natsMsg_GetSubject(m);
		v->data = natsMsg_GetData(m);
		v->len = (size_t)natsMsg_GetDataLength(m);
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
	/* Long waits ask for heartbeats, so a dead server shows before expiry. */
	if (wait_ms >= SOURCE_HEARTBEAT_MIN_MS)
		req.Heartbeat = (int64_t)(wait_ms / 4) * 1000000;
	b->st = natsSubscription_FetchRequest(&b->list, sub, &req);
	if (b->st == NATS_OK)
		index_messages(b);
	else
		/* Thread-local in cnats: only this thread can read it. */
		snprintf(b->text, sizeof(b->text), "%s",
		    source_plain(nats_GetLastError(NULL)));
}

static void *
fetcher_main(void *arg)
{
	struct source_fetcher *f = arg;
	struct source_batch b;
	int batch, wait_ms;

	memset(&b, 0, sizeof(b));
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->ready && !f->quit)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->quit)
			break;
		batch = f->batch;
		wait_ms = f->wait_ms;
		/* The views the caller gave back, to be filled again. */
		b.views = f->done.views;
		b.nviews = f->done.nviews;
		pthread_mutex_unlock(&f->mu);

		memset(&b.list, 0, sizeof(b.list));
		fetch_once(f->sub, batch, wait_ms, f->max_bytes, &b);

		pthread_mutex_lock(&f->mu);
		f->done = b;
		f->ready = 1;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	nats_ReleaseThreadMemory();
	return NULL;
}

static int
fetcher_start(struct source *s, int batch, int wait_ms, char *err,
    size_t errlen)
{
	struct source_fetcher *f = xcalloc(1, sizeof(*f));

	f->sub = s->sub;
	f->batch = batch;
	f->wait_ms = wait_ms;
	f->max_bytes = 2 * natsConnection_GetMaxPayload(s->nc);
	if (f->max_bytes < SOURCE_BATCH_BYTES)
		f->max_bytes = SOURCE_BATCH_BYTES;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	/* The views of the first batch; the caller's come back after. */
	f->done.views = s->views;
	f->done.nviews = s->nviews;
	s->views = NULL;
	s->nviews = 0;
	if (pthread_create(&f->thread, NULL, fetcher_main, f) != 0) {
		snprintf(err, errlen, "cannot start the fetcher thread");
		s->views = f->done.views;
		s->nviews = f->done.nviews;
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return -1;
	}
	s->fetcher = f;
	return 0;
}

/*
 * Stops the fetcher and drops the batch it may hold (never acknowledged, so
 * the server delivers it again). Waits for the request in flight, which ends
 * within its wait. Accepts a source without fetcher.
 */
void
source_fetch_stop(struct source *s)
{
	struct source_fetcher *f = s->fetcher;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->quit = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	if (f->ready)
		natsMsgList_Destroy(&f->done.list);
	/* Keep one views array, the larger, for the next subscription. */
	if (f->done.nviews > s->nviews) {
		free(s->views);
		s->views = f->done.views;
		s->nviews = f->done.nviews;
	} else
		free(f->done.views);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
	s->fetcher = NULL;
}

/*
 * Checks the deliveries of the batch in hand against the consumer sequence
 * and cuts it before a lost one: a delivery we never saw (lost with a
 * connection) comes again only after the ack wait, after later messages,
 * and folding those first would break stream order. The caller positions
 * the consumer again.
 */
static enum source_result
check_order(struct source *s, size_t *count, char *err, size_t errlen)
{
	size_t i, n = (size_t)s->list.Count;

	for (i = 0; i < n; i++) {
		const struct source_msg *v = &s->views[i];

		if (s->expect_dseq != 0 && v->dseq != s->expect_dseq) {
			snprintf(err, errlen, "delivery %llu expected, %llu"
			    " received (stream seq %llu)",
			    (unsigned long long)s->expect_dseq,
			    (unsigned long long)v->dseq,
			    (unsigned long long)v->seq);
			s->gap = 1;
			break;
		}
		s->expect_dseq = v->dseq + 1;
	}
	*count = i;
	return i == 0 && s->gap ? SOURCE_REPOSITION : SOURCE_OK;
}

/*
 * Says whether the consumer behind the subscription is gone (deleted by an
 * operator, say). A pull request to a missing consumer gets no answer at
 * all, so a fetch that brought nothing cannot tell a quiet stream from a
 * deleted consumer; the server can. Costs one request per empty fetch, at
 * most a few a second on a quiet stream.
 */
static int
consumer_gone(struct source *s, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	/* By name for the durable: cnats may have closed the subscription. */
	if (s->ephemeral)
		st = natsSubscription_GetConsumerInfo(&ci, s->sub, NULL, &jerr);
	else
		st = js_GetConsumerInfo(&ci, s->js, s->acct->stream,
		    s->acct->consumer, NULL, &jerr);
	jsConsumerInfo_Destroy(ci);
	if (st != NATS_NOT_FOUND && st != NATS_INVALID_SUBSCRIPTION &&
	    jerr != JSConsumerNotFoundErr)
		return 0;
	snprintf(err, errlen, "the consumer was deleted");
	s->gap = 1;
	return 1;
}

/*
 * Hands over the next batch of up to batch messages, fetched with a wait of
 * at most wait_ms. Sets *count; views of the messages come from
 * source_msg(). Returns SOURCE_OK, SOURCE_EMPTY when none came,
 * SOURCE_REPOSITION when the consumer must be positioned again (deliveries
 * lost, consumer deleted), or an error with err.
 */
enum source_result
source_fetch(struct source *s, int batch, int wait_ms, size_t *count,
    char *err, size_t errlen)
{
	struct source_fetcher *f;
	struct source_msg *views;
	size_t nviews;
	natsStatus st;
	int late;

	*count = 0;
	natsMsgList_Destroy(&s->list);
	memset(&s->list, 0, sizeof(s->list));
	if (s->sub == NULL || s->gap) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	if (s->fetcher == NULL &&
	    fetcher_start(s, batch, wait_ms, err, errlen) == -1)
		return SOURCE_RETRY;
	f = s->fetcher;

	pthread_mutex_lock(&f->mu);
	f->batch = batch;
	f->wait_ms = wait_ms;
	/* Bounded: each request ends within its wait. */
	while (!f->ready)
		pthread_cond_wait(&f->cv, &f->mu);
	/* Take the batch; give the fetcher the views of the one before. */
	views = f->done.views;
	nviews = f->done.nviews;
	f->done.views = s->views;
	f->done.nviews = s->nviews;
	s->views = views;
	s->nviews = nviews;
	s->list = f->done.list;
	memset(&f->done.list, 0, sizeof(f->done.list));
	st = f->done.st;
	late = f->done.late;
	snprintf(err, errlen, "%s", f->done.text);
	f->ready = 0;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);

	if (late) {
		s->gap = 1;
		return SOURCE_REPOSITION;
	}
	if (s->list.Count > 0)
		/* A metadata failure after good messages: those first. */
		return check_order(s, count, err, errlen);
	if (source_take_perm(s, err, errlen))
		return SOURCE_EPERM;
	if ((st == NATS_OK || st == NATS_TIMEOUT || st == NATS_NOT_FOUND ||
	    st == NATS_MISSED_HEARTBEAT) && consumer_gone(s, err, errlen))
		return SOURCE_REPOSITION;
	if (st == NATS_OK || st == NATS_TIMEOUT || st == NATS_NOT_FOUND)
		return SOURCE_EMPTY;
	if (st == NATS_ERR) {
		/* A status from the server, e.g. 409 Consumer Deleted. */
		char text[256];

		snprintf(text, sizeof(text), "%s", err);
		snprintf(err, errlen, "fetch: %s", text);
		return SOURCE_REPOSITION;
	}
	return source_translate(s, st, 0, "fetch", err, errlen);
}

/* Fills out with a view of message i of the batch in hand. */
enum source_result
source_msg(struct source *s, size_t i, struct source_msg *out, char *err,
    size_t errlen)
{
	if (i >= (size_t)s->list.Count) {
		snprintf(err, errlen, "no message %zu in the batch", i);
		return SOURCE_ECONFIG;
	}
	*out = s->views[i];
	return SOURCE_OK;
}

/*
 * Acknowledges message i of the batch in hand and, the ack policy being
 * AckAll, every message before it, and waits for the server to confirm. A
 * lost ack only means a redelivery, which the checkpoint skips.
 */
enum source_result
source_ack(struct source *s, size_t i, char *err, size_t errlen)
{
	jsOptions o;
	jsErrCode jerr = 0;
	natsStatus st;

	if (i >= (size_t)s->list.Count) {
		snprintf(err, errlen, "no message %zu in the batch", i);
		return SOURCE_ECONFIG;
	}
	jsOptions_Init(&o);
	o.Wait = SOURCE_ACK_CONFIRM_MS;
	st = natsMsg_AckSync(s->list.Msgs[i], &o, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "ack", err, errlen);
	return SOURCE_OK;
}
