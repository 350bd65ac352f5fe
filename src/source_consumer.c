/*
 * source_consumer.c: the stream and the consumers of the NATS boundary (see
 * source_int.h): stream and consumer state, positioning the durable
 * consumer at the database's checkpoint, the ephemeral consumer of a
 * replay, and the subscription that fetches from either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "source_int.h"
#include "xmalloc.h"

struct source_consumer {
	struct source_conn		*conn;		/* borrowed */
	const struct config_account	*acct;
	int				 max_events;
	natsSubscription		*sub;		/* NULL until positioned */
	natsSubscription		*retired;	/* unsubscribed, not yet
							   destroyed; see drop */
	uint64_t			 stream_msgs;	/* as last read */
	int				 ephemeral;	/* sub owns an ephemeral consumer */
};

/*
 * Returns a consumer handle for acct's stream on conn, which must outlive
 * it; nothing is asked of the server yet. Cannot fail.
 */
struct source_consumer *
source_consumer_new(struct source_conn *conn, const struct config_account *acct,
    int max_events)
{
	struct source_consumer *k = xcalloc(1, sizeof(*k));

	k->conn = conn;
	k->acct = acct;
	k->max_events = max_events;
	return k;
}

/* Reads the stream's first and last sequence. */
enum source_result
source_consumer_stream(struct source_consumer *k,
    struct source_stream_info *out, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = js_GetStreamInfo(&si, source_conn_js(k->conn), k->acct->stream,
	    NULL, &jerr);
	if (st != NATS_OK)
		return source_conn_fail(k->conn, st, jerr, "stream info", err,
		    errlen);
	out->first_seq = si->State.FirstSeq;
	out->last_seq = si->State.LastSeq;
	out->msgs = si->State.Msgs;
	k->stream_msgs = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	return SOURCE_OK;
}

/*
 * The options of a request that makes or deletes a consumer: the context's,
 * with a wait that grows with the stream (SOURCE_CREATE_WAIT_PER_MILLION_MS).
 */
static jsOptions *
create_opts(const struct source_consumer *k, jsOptions *o)
{
	uint64_t wait = SOURCE_API_WAIT_MS + k->stream_msgs / 1000000 *
	    SOURCE_CREATE_WAIT_PER_MILLION_MS;

	jsOptions_Init(o);
	o->Wait = (int64_t)(wait < SOURCE_CREATE_WAIT_MAX_MS ? wait :
	    SOURCE_CREATE_WAIT_MAX_MS);
	return o;
}

static void
info_of(const jsConsumerInfo *ci, struct source_consumer_info *out)
{
	out->delivered_seq = ci->Delivered.Stream;
	out->ack_floor_seq = ci->AckFloor.Stream;
	out->num_pending = ci->NumPending;
	out->num_ack_pending = (uint64_t)ci->NumAckPending;
}

/* Reads the durable consumer's state; SOURCE_REPOSITION when it is missing. */
enum source_result
source_consumer_durable(struct source_consumer *k,
    struct source_consumer_info *out, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = js_GetConsumerInfo(&ci, source_conn_js(k->conn), k->acct->stream,
	    k->acct->consumer, NULL, &jerr);
	if (st != NATS_OK)
		return source_conn_fail(k->conn, st, jerr, "consumer info", err,
		    errlen);
	info_of(ci, out);
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/*
 * Reads the state of the consumer behind the current subscription (the
 * ephemeral one of a replay, say).
 */
enum source_result
source_consumer_sub_info(struct source_consumer *k,
    struct source_consumer_info *out, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	if (k->sub == NULL) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	st = natsSubscription_GetConsumerInfo(&ci, k->sub, NULL, &jerr);
	if (st != NATS_OK)
		return source_conn_fail(k->conn, st, jerr, "consumer info", err,
		    errlen);
	info_of(ci, out);
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/* Lends the subscription, NULL when not positioned. Cannot fail. */
natsSubscription *
source_consumer_sub(struct source_consumer *k)
{
	return k->sub;
}

/*
 * Says whether the consumer behind the subscription is gone (deleted by an
 * operator, say): 1 with a sentence in err, else 0. A pull request to a
 * missing consumer gets no answer at all, so a fetch that brought nothing
 * cannot tell a quiet stream from a deleted consumer; the server can.
 */
int
source_consumer_gone(struct source_consumer *k, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	/* By name for the durable: cnats may have closed the subscription. */
	if (k->ephemeral)
		st = natsSubscription_GetConsumerInfo(&ci, k->sub, NULL, &jerr);
	else
		st = js_GetConsumerInfo(&ci, source_conn_js(k->conn),
		    k->acct->stream, k->acct->consumer, NULL, &jerr);
	jsConsumerInfo_Destroy(ci);
	if (st != NATS_NOT_FOUND && st != NATS_INVALID_SUBSCRIPTION &&
	    jerr != JSConsumerNotFoundErr)
		return 0;
	snprintf(err, errlen, "the consumer was deleted");
	return 1;
}

/*
 * Ends the subscription, if any: Unsubscribe removes the interest at once
 * (a durable consumer, which the subscription only bound to, stays on the
 * server; an ephemeral one, which it made, is deleted rather than left to
 * its inactivity threshold). The pull that borrowed the subscription must
 * be gone. Cannot fail.
 *
 * The memory is freed one drop later, or when the consumer is freed after
 * its connection closed: cnats 3.4.1's reader thread can still be between
 * finding the subscription of a message (a late delivery of an expired
 * pull) and locking it when another thread destroys it, and then locks
 * freed memory (nats.c issue #637, fixed in 3.6.0). Once unsubscribed, no
 * new message finds it; the one in flight then finds it alive.
 */
void
source_consumer_drop(struct source_consumer *k)
{
	if (k->sub == NULL)
		return;
	natsSubscription_Unsubscribe(k->sub);
	natsSubscription_Destroy(k->retired);
	k->retired = k->sub;
	k->sub = NULL;
	k->ephemeral = 0;
}

/*
 * Says whether an existing consumer would deliver exactly the messages after
 * start_seq - 1, in order, with our settings: nothing delivered beyond it,
 * nothing waiting for an ack (it would be resent out of order after the ack
 * wait), and the same filter and ack policy.
 */
static int
usable(const struct source_consumer *k, const jsConsumerInfo *ci,
    uint64_t start_seq)
{
	const jsConsumerConfig *c = ci->Config;

	return ci->Delivered.Stream == start_seq - 1 &&
	    ci->AckFloor.Stream == start_seq - 1 &&
	    ci->NumAckPending == 0 &&
	    c->AckPolicy == js_AckAll &&
	    c->MaxAckPending >= k->max_events &&
	    c->FilterSubject != NULL &&
	    strcmp(c->FilterSubject, k->acct->subjects[0]) == 0;
}

static enum source_result
create(struct source_consumer *k, uint64_t start_seq, uint64_t *next_dseq,
    char *err, size_t errlen)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus st;

	jsConsumerConfig_Init(&cc);
	cc.Durable = k->acct->consumer;
	cc.Description = "projector: the database's checkpoint says where to start";
	cc.AckPolicy = js_AckAll;
	cc.AckWait = (int64_t)SOURCE_ACK_WAIT_MS * 1000000;
	/* Room for one batch being committed while the next is fetched. */
	cc.MaxAckPending = 2 * (int64_t)k->max_events;
	cc.FilterSubject = k->acct->subjects[0];
	if (start_seq <= 1)
		cc.DeliverPolicy = js_DeliverAll;
	else {
		cc.DeliverPolicy = js_DeliverByStartSequence;
		cc.OptStartSeq = start_seq;
	}
	st = js_AddConsumer(&ci, source_conn_js(k->conn), k->acct->stream, &cc,
	    create_opts(k, &jo), &jerr);
	if (st != NATS_OK)
		return source_conn_fail(k->conn, st, jerr,
		    "creating the consumer", err, errlen);
	*next_dseq = ci->Delivered.Consumer + 1;
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/*
 * Makes the durable consumer deliver from start_seq on (1 = the whole
 * stream), reusing it when its state allows and recreating it otherwise
 * (*recreated says which), and subscribes to it; *next_dseq is the consumer
 * sequence of its next delivery. The subscription must have been dropped.
 * Returns SOURCE_OK or an error with err.
 */
enum source_result
source_consumer_position(struct source_consumer *k, uint64_t start_seq,
    int *recreated, uint64_t *next_dseq, char *err, size_t errlen)
{
	jsCtx *js = source_conn_js(k->conn);
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsOptions jo;
	jsErrCode jerr = 0;
	enum source_result r;
	natsStatus st;

	*recreated = 0;
	*next_dseq = 0;
	st = js_GetConsumerInfo(&ci, js, k->acct->stream, k->acct->consumer,
	    NULL, &jerr);
	if (st == NATS_OK && usable(k, ci, start_seq))
		*next_dseq = ci->Delivered.Consumer + 1;
	else if (st == NATS_OK || jerr == JSConsumerNotFoundErr) {
		if (st == NATS_OK) {
			st = js_DeleteConsumer(js, k->acct->stream,
			    k->acct->consumer, create_opts(k, &jo), &jerr);
			if (st != NATS_OK && jerr != JSConsumerNotFoundErr) {
				r = source_conn_fail(k->conn, st, jerr,
				    "deleting the consumer", err, errlen);
				goto fail;
			}
		}
		if ((r = create(k, start_seq, next_dseq, err, errlen)) !=
		    SOURCE_OK)
			goto fail;
		*recreated = 1;
	} else {
		r = source_conn_fail(k->conn, st, jerr, "consumer info", err,
		    errlen);
		goto fail;
	}
	jsConsumerInfo_Destroy(ci);
	ci = NULL;

	jsSubOptions_Init(&so);
	so.Stream = k->acct->stream;
	so.Consumer = k->acct->consumer;
	st = js_PullSubscribe(&k->sub, js, k->acct->subjects[0],
	    k->acct->consumer, NULL, &so, &jerr);
	if (st != NATS_OK) {
		r = source_conn_fail(k->conn, st, jerr, "subscribing", err,
		    errlen);
		goto fail;
	}
	return SOURCE_OK;
fail:
	jsConsumerInfo_Destroy(ci);
	return r;
}

/*
 * Subscribes to a new ephemeral consumer that delivers from start_seq on,
 * without acknowledgements: the reader of a replay, which must not touch the
 * durable consumer. The server deletes it by itself should we vanish. Its
 * first delivery is consumer sequence 1. The subscription must have been
 * dropped. Returns SOURCE_OK or an error with err.
 */
enum source_result
source_consumer_position_ephemeral(struct source_consumer *k,
    uint64_t start_seq, char *err, size_t errlen)
{
	jsSubOptions so;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus st;

	jsSubOptions_Init(&so);
	so.Stream = k->acct->stream;
	so.Config.AckPolicy = js_AckNone;
	so.Config.InactiveThreshold = (int64_t)SOURCE_ACK_WAIT_MS * 1000000;
	so.Config.Description = "projector replay";
	if (start_seq <= 1)
		so.Config.DeliverPolicy = js_DeliverAll;
	else {
		so.Config.DeliverPolicy = js_DeliverByStartSequence;
		so.Config.OptStartSeq = start_seq;
	}
	st = js_PullSubscribe(&k->sub, source_conn_js(k->conn),
	    k->acct->subjects[0], NULL, create_opts(k, &jo), &so, &jerr);
	if (st != NATS_OK)
		return source_conn_fail(k->conn, st, jerr,
		    "creating the replay consumer", err, errlen);
	k->ephemeral = 1;
	return SOURCE_OK;
}

/*
 * Frees k and its subscriptions, which source_consumer_drop() must have
 * ended, after the connection was closed (see there). Accepts NULL.
 */
void
source_consumer_free(struct source_consumer *k)
{
	if (k == NULL)
		return;
	source_consumer_drop(k);
	natsSubscription_Destroy(k->retired);
	free(k);
}
