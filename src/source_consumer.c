/*
 * source_consumer.c: the stream and the consumers of the NATS boundary (see
 * source.h): stream and consumer state, positioning the durable consumer at
 * the database's checkpoint, the ephemeral consumer of a replay, and the
 * subscription that fetches from either.
 */
#include <stdio.h>
#include <string.h>

#include <nats/nats.h>

#include "source_int.h"

/* Reads the stream's first and last sequence. */
enum source_result
source_stream_info(struct source *s, struct source_stream *out, char *err,
    size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = js_GetStreamInfo(&si, s->js, s->acct->stream, NULL, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "stream info", err, errlen);
	out->first_seq = si->State.FirstSeq;
	out->last_seq = si->State.LastSeq;
	out->msgs = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	return SOURCE_OK;
}

/* Reads the durable consumer's state; SOURCE_REPOSITION when it is missing. */
enum source_result
source_consumer_info(struct source *s, struct source_consumer *out,
    char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	st = js_GetConsumerInfo(&ci, s->js, s->acct->stream, s->acct->consumer,
	    NULL, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "consumer info", err, errlen);
	out->delivered_seq = ci->Delivered.Stream;
	out->ack_floor_seq = ci->AckFloor.Stream;
	out->num_pending = ci->NumPending;
	out->num_ack_pending = (uint64_t)ci->NumAckPending;
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/*
 * Ends the subscription. A durable consumer stays on the server (Destroy
 * only); an ephemeral one is deleted at once (Unsubscribe), rather than when
 * its inactivity threshold runs out.
 */
void
source_drop_subscription(struct source *s)
{
	source_fetch_stop(s);
	natsMsgList_Destroy(&s->list);
	memset(&s->list, 0, sizeof(s->list));
	if (s->sub != NULL && s->ephemeral)
		natsSubscription_Unsubscribe(s->sub);
	natsSubscription_Destroy(s->sub);
	s->sub = NULL;
	s->ephemeral = 0;
	s->gap = 0;
}

/*
 * Reads the state of the consumer behind the current subscription (the
 * ephemeral one of a replay, say): how many messages it has not delivered
 * yet, and the stream sequence it delivered last.
 */
enum source_result
source_sub_state(struct source *s, uint64_t *num_pending,
    uint64_t *delivered_seq, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	if (s->sub == NULL) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	st = natsSubscription_GetConsumerInfo(&ci, s->sub, NULL, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "consumer info", err, errlen);
	*num_pending = ci->NumPending;
	*delivered_seq = ci->Delivered.Stream;
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/*
 * Says whether an existing consumer would deliver exactly the messages after
 * start_seq - 1, in order, with our settings: nothing delivered beyond it,
 * nothing waiting for an ack (it would be resent out of order after the ack
 * wait), and the same filter and ack policy.
 */
static int
usable(const struct source *s, const jsConsumerInfo *ci, uint64_t start_seq)
{
	const jsConsumerConfig *c = ci->Config;

	return ci->Delivered.Stream == start_seq - 1 &&
	    ci->AckFloor.Stream == start_seq - 1 &&
	    ci->NumAckPending == 0 &&
	    c->AckPolicy == js_AckAll &&
	    c->MaxAckPending >= s->max_events &&
	    c->FilterSubject != NULL &&
	    strcmp(c->FilterSubject, s->acct->subjects[0]) == 0;
}

static enum source_result
create(struct source *s, uint64_t start_seq, uint64_t *next_dseq, char *err,
    size_t errlen)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus st;

	jsConsumerConfig_Init(&cc);
	cc.Durable = s->acct->consumer;
	cc.Description = "projector: the database's checkpoint says where to start";
	cc.AckPolicy = js_AckAll;
	cc.AckWait = (int64_t)SOURCE_ACK_WAIT_MS * 1000000;
	/* Room for one batch being committed while the next is fetched. */
	cc.MaxAckPending = 2 * (int64_t)s->max_events;
	cc.FilterSubject = s->acct->subjects[0];
	if (start_seq <= 1)
		cc.DeliverPolicy = js_DeliverAll;
	else {
		cc.DeliverPolicy = js_DeliverByStartSequence;
		cc.OptStartSeq = start_seq;
	}
	st = js_AddConsumer(&ci, s->js, s->acct->stream, &cc, NULL, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "creating the consumer", err, errlen);
	*next_dseq = ci->Delivered.Consumer + 1;
	jsConsumerInfo_Destroy(ci);
	return SOURCE_OK;
}

/*
 * Makes the durable consumer deliver from start_seq on (1 = the whole
 * stream), reusing it when its state allows and recreating it otherwise
 * (*recreated says which), and subscribes to it. Returns SOURCE_OK or an
 * error with err.
 */
enum source_result
source_position(struct source *s, uint64_t start_seq, int *recreated,
    char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	enum source_result r;
	uint64_t next_dseq = 0;
	natsStatus st;

	*recreated = 0;
	source_drop_subscription(s);

	st = js_GetConsumerInfo(&ci, s->js, s->acct->stream, s->acct->consumer,
	    NULL, &jerr);
	if (st == NATS_OK && usable(s, ci, start_seq))
		next_dseq = ci->Delivered.Consumer + 1;
	else if (st == NATS_OK || jerr == JSConsumerNotFoundErr) {
		if (st == NATS_OK) {
			st = js_DeleteConsumer(s->js, s->acct->stream,
			    s->acct->consumer, NULL, &jerr);
			if (st != NATS_OK && jerr != JSConsumerNotFoundErr) {
				r = source_translate(s, st, jerr, "deleting the consumer",
				    err, errlen);
				goto fail;
			}
		}
		if ((r = create(s, start_seq, &next_dseq, err, errlen)) != SOURCE_OK)
			goto fail;
		*recreated = 1;
	} else {
		r = source_translate(s, st, jerr, "consumer info", err, errlen);
		goto fail;
	}
	jsConsumerInfo_Destroy(ci);
	ci = NULL;

	jsSubOptions_Init(&so);
	so.Stream = s->acct->stream;
	so.Consumer = s->acct->consumer;
	st = js_PullSubscribe(&s->sub, s->js, s->acct->subjects[0],
	    s->acct->consumer, NULL, &so, &jerr);
	if (st != NATS_OK) {
		r = source_translate(s, st, jerr, "subscribing", err, errlen);
		goto fail;
	}
	s->expect_dseq = next_dseq;
	return SOURCE_OK;
fail:
	jsConsumerInfo_Destroy(ci);
	return r;
}

/*
 * Subscribes to a new ephemeral consumer that delivers from start_seq on,
 * without acknowledgements: the reader of a replay, which must not touch the
 * durable consumer. The server deletes it by itself should we vanish.
 */
enum source_result
source_position_ephemeral(struct source *s, uint64_t start_seq, char *err,
    size_t errlen)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus st;

	source_drop_subscription(s);
	jsSubOptions_Init(&so);
	so.Stream = s->acct->stream;
	so.Config.AckPolicy = js_AckNone;
	so.Config.InactiveThreshold = (int64_t)SOURCE_ACK_WAIT_MS * 1000000;
	so.Config.Description = "projector replay";
	if (start_seq <= 1)
		so.Config.DeliverPolicy = js_DeliverAll;
	else {
		so.Config.DeliverPolicy = js_DeliverByStartSequence;
		so.Config.OptStartSeq = start_seq;
	}
	st = js_PullSubscribe(&s->sub, s->js, s->acct->subjects[0], NULL, NULL,
	    &so, &jerr);
	if (st != NATS_OK)
		return source_translate(s, st, jerr, "creating the replay consumer", err,
		    errlen);
	s->ephemeral = 1;
	s->expect_dseq = 1;
	return SOURCE_OK;
}
