/*
 * source.c: the NATS boundary (see source.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "secret.h"
#include "source.h"
#include "xmalloc.h"

/* Request timeout of the JetStream API (stream and consumer info, acks). */
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

struct source {
	const struct config_account *acct;
	int			 max_events;
	natsOptions		*opts;
	natsConnection		*nc;
	jsCtx			*js;
	natsSubscription	*sub;
	int			 ephemeral;	/* sub owns an ephemeral consumer */
	natsMsgList		 list;		/* the fetched batch */
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

/*
 * Drops the "(conn.c:1905): " that cnats puts before some texts: log lines
 * are for owners, not for cnats's developers.
 */
static const char *
plain(const char *text)
{
	const char *p;

	if (text == NULL)
		return "";
	while (*text == '(' && (p = strstr(text, "): ")) != NULL)
		text = p + 3;
	return text;
}

static void
notify(struct source *s, enum source_conn_event ev, const char *detail)
{
	if (s->event_fn != NULL)
		s->event_fn(s->event_arg, ev, detail);
}

static void
on_connected(natsConnection *nc, void *arg)
{
	char buf[256];

	if (natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)) != NATS_OK)
		buf[0] = '\0';
	notify(arg, SOURCE_CONNECTED, buf);
}

static void
on_disconnected(natsConnection *nc, void *arg)
{
	const char *last = NULL;

	natsConnection_GetLastError(nc, &last);
	notify(arg, SOURCE_DISCONNECTED, plain(last));
}

static void
on_reconnected(natsConnection *nc, void *arg)
{
	char buf[256];

	if (natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)) != NATS_OK)
		buf[0] = '\0';
	notify(arg, SOURCE_RECONNECTED, buf);
}

/*
 * cnats's last callback for a connection (it runs them in order, on its own
 * thread, after natsConnection_Close() returned): source_close() waits for
 * it before freeing s, which every callback uses.
 */
static void
on_closed(natsConnection *nc, void *arg)
{
	struct source *s = arg;

	(void)nc;
	notify(s, SOURCE_CLOSED, "");
	pthread_mutex_lock(&s->mu);
	s->closed = 1;
	pthread_cond_signal(&s->closed_cv);
	pthread_mutex_unlock(&s->mu);
}

/*
 * Asynchronous errors. A permission violation reaches the caller of the
 * denied request only as a timeout, so remember it here and let the next
 * failing call report it for what it is.
 */
static void
on_error(natsConnection *nc, natsSubscription *sub, natsStatus st, void *arg)
{
	struct source *s = arg;
	const char *last = NULL;
	char detail[512];

	(void)sub;
	natsConnection_GetLastError(nc, &last);
	snprintf(detail, sizeof(detail), "%s: %s", natsStatus_GetText(st),
	    plain(last));
	if (st == NATS_NOT_PERMITTED ||
	    (last != NULL && strstr(last, "Permissions Violation") != NULL)) {
		pthread_mutex_lock(&s->mu);
		snprintf(s->perm, sizeof(s->perm), "%s",
		    last != NULL ? plain(last) : natsStatus_GetText(st));
		pthread_mutex_unlock(&s->mu);
	}
	notify(s, SOURCE_ASYNC_ERROR, detail);
}

/* Takes the remembered permission violation, if any, into err. */
static int
take_perm(struct source *s, char *err, size_t errlen)
{
	int found;

	pthread_mutex_lock(&s->mu);
	found = (s->perm[0] != '\0');
	if (found) {
		snprintf(err, errlen, "%s (account %s)", s->perm, s->acct->name);
		s->perm[0] = '\0';
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/*
 * Translates a failed call into a result and a sentence in err. The
 * sentence is short and stable (no cnats error stack), so that the worker
 * can tell a repeated error from a new one.
 */
static enum source_result
translate(struct source *s, natsStatus st, jsErrCode jerr, const char *what,
    char *err, size_t errlen)
{
	const char *last = NULL;

	if (take_perm(s, err, errlen))
		return SOURCE_EPERM;
	if (s->nc != NULL &&
	    natsConnection_Status(s->nc) == NATS_CONN_STATUS_CLOSED) {
		/* cnats gives up on a connection the server refused. */
		natsConnection_GetLastError(s->nc, &last);
		snprintf(err, errlen, "%s: connection closed: %s", what,
		    last != NULL && *last != '\0' ? plain(last) :
		    natsStatus_GetText(st));
		return SOURCE_ECLOSED;
	}
	if (jerr != 0)
		snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
		    natsStatus_GetText(st), (int)jerr);
	else
		snprintf(err, errlen, "%s: %s", what, natsStatus_GetText(st));
	if (jerr == JSStreamNotFoundErr)
		return SOURCE_ENOSTREAM;
	if (jerr == JSConsumerNotFoundErr)
		return SOURCE_REPOSITION;
	switch (st) {
	case NATS_NOT_PERMITTED:
		return SOURCE_EPERM;
	case NATS_CONNECTION_AUTH_FAILED:
		return SOURCE_ECLOSED;
	default:
		return SOURCE_RETRY;
	}
}

/* Sets the account's credentials on opts; secrets only pass through. */
static enum source_result
set_auth(struct source *s, char *err, size_t errlen)
{
	const struct config_account *a = s->acct;
	char *secret = NULL;
	natsStatus st = NATS_OK;

	switch (a->auth) {
	case CONFIG_AUTH_NONE:
		return SOURCE_OK;
	case CONFIG_AUTH_PASSWORD:
	case CONFIG_AUTH_TOKEN:
		if (secret_read(a->secret_file, &secret, err, errlen) == -1)
			return SOURCE_ECONFIG;
		if (a->auth == CONFIG_AUTH_PASSWORD)
			st = natsOptions_SetUserInfo(s->opts, a->user, secret);
		else
			st = natsOptions_SetToken(s->opts, secret);
		secret_free(secret);
		break;
	case CONFIG_AUTH_NKEY:
		st = natsOptions_SetNKeyFromSeed(s->opts, a->nkey, a->secret_file);
		break;
	case CONFIG_AUTH_CREDS:
		st = natsOptions_SetUserCredentialsFromFiles(s->opts,
		    a->secret_file, NULL);
		break;
	}
	if (st != NATS_OK) {
		/* Never echo cnats's text here: it may quote the file. */
		snprintf(err, errlen, "account %s: cannot use the credentials in %s",
		    a->name, a->secret_file);
		return SOURCE_ECONFIG;
	}
	return SOURCE_OK;
}

static enum source_result
set_options(struct source *s, const struct config *cfg, char *err,
    size_t errlen)
{
	char name[128];
	natsStatus st;

	snprintf(name, sizeof(name), "projector %s", s->acct->name);
	st = natsOptions_Create(&s->opts);
	if (st == NATS_OK)
		st = natsOptions_SetServers(s->opts, (const char **)cfg->servers,
		    (int)cfg->nservers);
	if (st == NATS_OK)
		st = natsOptions_SetName(s->opts, name);
	/*
	 * Once connected, reconnect forever. The first connect is not retried
	 * here (no RetryOnFailedConnect): cnats 3.4 then reports a refused
	 * login only as "No server available", so the worker retries
	 * source_open() itself and can say "Authorization Violation".
	 */
	if (st == NATS_OK)
		st = natsOptions_SetMaxReconnect(s->opts, -1);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectWait(s->opts, 1000);
	if (st == NATS_OK)
		st = natsOptions_SetTimeout(s->opts, 2000);
	if (st == NATS_OK)
		st = natsOptions_SetDisconnectedCB(s->opts, on_disconnected, s);
	if (st == NATS_OK)
		st = natsOptions_SetReconnectedCB(s->opts, on_reconnected, s);
	if (st == NATS_OK)
		st = natsOptions_SetClosedCB(s->opts, on_closed, s);
	if (st == NATS_OK)
		st = natsOptions_SetErrorHandler(s->opts, on_error, s);
	if (st == NATS_OK && cfg->tls_ca_file != NULL) {
		st = natsOptions_SetSecure(s->opts, true);
		if (st == NATS_OK)
			st = natsOptions_LoadCATrustedCertificates(s->opts,
			    cfg->tls_ca_file);
	}
	if (st == NATS_OK && cfg->tls_cert_file != NULL)
		st = natsOptions_LoadCertificatesChain(s->opts,
		    cfg->tls_cert_file, cfg->tls_key_file);
	if (st != NATS_OK) {
		snprintf(err, errlen, "account %s: NATS options: %s",
		    s->acct->name, plain(nats_GetLastError(NULL)));
		return SOURCE_ECONFIG;
	}
	return set_auth(s, err, errlen);
}

/*
 * Says why the first connect failed. cnats's status alone is vague ("Protocol
 * Error"); its last error text adds what it saw ("Expected 'PONG', got ''")
 * and, for a refused login, is the server's reason. A server that wants a
 * client certificate closes a TLS 1.3 connection just after the handshake
 * without a word that cnats 3.4 passes on, so name what to check.
 */
static void
connect_error(const struct config *cfg, natsStatus st, char *err,
    size_t errlen)
{
	natsStatus last_st = NATS_OK;
	const char *last = nats_GetLastError(&last_st);
	const char *text = natsStatus_GetText(st), *hint = "";
	size_t i;
	int tls = cfg->tls_ca_file != NULL || cfg->tls_cert_file != NULL;

	for (i = 0; i < cfg->nservers; i++)
		if (strncmp(cfg->servers[i], "tls://", 6) == 0)
			tls = 1;
	if (tls && cfg->tls_cert_file == NULL &&
	    (st == NATS_PROTOCOL_ERROR || st == NATS_CONNECTION_CLOSED))
		hint = " (the server closed the TLS connection: if it requires"
		    " a client certificate, set nats.tls.cert_file and key_file)";
	if (last != NULL && (*last == '\0' || last_st != st))
		last = NULL;
	if (st == NATS_CONNECTION_AUTH_FAILED && last != NULL)
		snprintf(err, errlen, "connecting: %s", plain(last));
	else if (last != NULL && strcmp(plain(last), text) != 0)
		snprintf(err, errlen, "connecting: %s: %s%s", text, plain(last),
		    hint);
	else
		snprintf(err, errlen, "connecting: %s%s", text, hint);
}

/*
 * Connects for acct. When no server answers, or it refuses the credentials,
 * returns SOURCE_RETRY with the reason: the caller retries later. Once
 * connected, the connection reconnects by itself for ever. fn (may be NULL)
 * hears of connection events. Returns SOURCE_OK and sets *out, or an error
 * with err (and nothing to release).
 */
enum source_result
source_open(const struct config *cfg, const struct config_account *acct,
    source_event_fn *fn, void *arg, struct source **out, char *err,
    size_t errlen)
{
	struct source *s;
	jsOptions jo;
	enum source_result r;
	natsStatus st;

	s = xcalloc(1, sizeof(*s));
	s->acct = acct;
	s->max_events = cfg->max_events;
	s->event_fn = fn;
	s->event_arg = arg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->closed_cv, NULL);
	if ((r = set_options(s, cfg, err, errlen)) != SOURCE_OK)
		goto fail;
	st = natsConnection_Connect(&s->nc, s->opts);
	if (st != NATS_OK) {
		connect_error(cfg, st, err, errlen);
		r = take_perm(s, err, errlen) ? SOURCE_EPERM : SOURCE_RETRY;
		goto fail;
	}
	on_connected(s->nc, s);
	jsOptions_Init(&jo);
	jo.Wait = SOURCE_API_WAIT_MS;
	if ((st = natsConnection_JetStream(&s->js, s->nc, &jo)) != NATS_OK) {
		r = translate(s, st, 0, "JetStream context", err, errlen);
		goto fail;
	}
	*out = s;
	return SOURCE_OK;
fail:
	source_close(s);
	return r;
}

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
		return translate(s, st, jerr, "stream info", err, errlen);
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
		return translate(s, st, jerr, "consumer info", err, errlen);
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
static void
drop_subscription(struct source *s)
{
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
		return translate(s, st, jerr, "consumer info", err, errlen);
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
		return translate(s, st, jerr, "creating the consumer", err, errlen);
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
	drop_subscription(s);

	st = js_GetConsumerInfo(&ci, s->js, s->acct->stream, s->acct->consumer,
	    NULL, &jerr);
	if (st == NATS_OK && usable(s, ci, start_seq))
		next_dseq = ci->Delivered.Consumer + 1;
	else if (st == NATS_OK || jerr == JSConsumerNotFoundErr) {
		if (st == NATS_OK) {
			st = js_DeleteConsumer(s->js, s->acct->stream,
			    s->acct->consumer, NULL, &jerr);
			if (st != NATS_OK && jerr != JSConsumerNotFoundErr) {
				r = translate(s, st, jerr, "deleting the consumer",
				    err, errlen);
				goto fail;
			}
		}
		if ((r = create(s, start_seq, &next_dseq, err, errlen)) != SOURCE_OK)
			goto fail;
		*recreated = 1;
	} else {
		r = translate(s, st, jerr, "consumer info", err, errlen);
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
		r = translate(s, st, jerr, "subscribing", err, errlen);
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

	drop_subscription(s);
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
		return translate(s, st, jerr, "creating the replay consumer", err,
		    errlen);
	s->ephemeral = 1;
	s->expect_dseq = 1;
	return SOURCE_OK;
}

/* Reads the metadata of every fetched message, and stops at a lost delivery. */
static enum source_result
index_batch(struct source *s, size_t *count, char *err, size_t errlen)
{
	size_t i, n = (size_t)s->list.Count;

	if (n > s->nviews) {
		s->views = xreallocarray(s->views, n, sizeof(*s->views));
		s->nviews = n;
	}
	for (i = 0; i < n; i++) {
		natsMsg *m = s->list.Msgs[i];
		struct source_msg *v = &s->views[i];
		jsMsgMetaData *meta = NULL;
		natsStatus st;

		if ((st = natsMsg_GetMetaData(&meta, m)) != NATS_OK)
			return translate(s, st, 0, "message metadata", err, errlen);
		v->seq = meta->Sequence.Stream;
		v->dseq = meta->Sequence.Consumer;
		v->pending = meta->NumPending;
		v->delivered = meta->NumDelivered;
		v->stored_ms = meta->Timestamp / 1000000;
		jsMsgMetaData_Destroy(meta);
		v->subject = natsMsg_GetSubject(m);
		v->data = natsMsg_GetData(m);
		v->len = (size_t)natsMsg_GetDataLength(m);
		/*
		 * A delivery we never saw (lost with a connection) will come
		 * again only after the ack wait, after later messages: folding
		 * those first would break stream order. Keep what comes before
		 * the gap and position the consumer again.
		 */
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
 * Fetches up to batch messages, waiting at most wait_ms for the batch to
 * fill. Sets *count; views of the messages come from source_msg(). Returns
 * SOURCE_OK, SOURCE_EMPTY when none came, SOURCE_REPOSITION when the
 * consumer must be positioned again (deliveries lost, consumer deleted), or
 * an error with err.
 */
enum source_result
source_fetch(struct source *s, int batch, int wait_ms, size_t *count,
    char *err, size_t errlen)
{
	jsFetchRequest req;
	natsStatus st;
	int queued = 0;

	*count = 0;
	natsMsgList_Destroy(&s->list);
	memset(&s->list, 0, sizeof(s->list));
	if (s->sub == NULL || s->gap) {
		snprintf(err, errlen, "consumer not positioned");
		return SOURCE_REPOSITION;
	}
	/*
	 * libnats 3.4.1 writes past the batch's array when more than half a
	 * batch is already queued on the subscription (late answers to a pull
	 * request that expired on our side, e.g. after the server stalled) and
	 * more keep coming. Such deliveries are unordered leftovers anyway: a
	 * fresh subscription, positioned again from the checkpoint, drops them.
	 */
	if (natsSubscription_GetPending(s->sub, &queued, NULL) == NATS_OK &&
	    queued > 0 && 2 * queued > batch) {
		snprintf(err, errlen, "%d late deliveries of an expired pull"
		    " request are queued", queued);
		s->gap = 1;
		return SOURCE_REPOSITION;
	}
	jsFetchRequest_Init(&req);
	req.Batch = batch;
	req.Expires = (int64_t)wait_ms * 1000000;
	/* Long waits ask for heartbeats, so a dead server shows before expiry. */
	if (wait_ms >= SOURCE_HEARTBEAT_MIN_MS)
		req.Heartbeat = (int64_t)(wait_ms / 4) * 1000000;
	st = natsSubscription_FetchRequest(&s->list, s->sub, &req);
	if (st == NATS_OK)
		return index_batch(s, count, err, errlen);
	if (take_perm(s, err, errlen))
		return SOURCE_EPERM;
	if (st == NATS_TIMEOUT || st == NATS_NOT_FOUND)
		return SOURCE_EMPTY;
	if (st == NATS_ERR) {
		/* A status from the server, e.g. 409 Consumer Deleted. */
		snprintf(err, errlen, "fetch: %s", plain(nats_GetLastError(NULL)));
		return SOURCE_REPOSITION;
	}
	return translate(s, st, 0, "fetch", err, errlen);
}

/* Fills out with a view of message i of the last fetch. */
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
 * Acknowledges message i of the last fetch and, the ack policy being AckAll,
 * every message before it, and waits for the server to confirm. A lost ack
 * only means a redelivery, which the checkpoint skips.
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
		return translate(s, st, jerr, "ack", err, errlen);
	return SOURCE_OK;
}

/* Returns 1 while the connection is up. Cannot fail. */
int
source_connected(struct source *s)
{
	return natsConnection_Status(s->nc) == NATS_CONN_STATUS_CONNECTED;
}

/*
 * Releases the batch, the subscription (the durable consumer stays on the
 * server) and the connection. Accepts NULL.
 */
void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	drop_subscription(s);
	jsCtx_Destroy(s->js);
	if (s->nc != NULL) {
		struct timespec until;

		int closed;

		natsConnection_Close(s->nc);
		/* Bounded: a callback thread that never comes must not hang us. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)SOURCE_CLOSE_WAIT_MS * 1000000;
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_mutex_lock(&s->mu);
		while (!s->closed && pthread_cond_timedwait(&s->closed_cv, &s->mu,
		    &until) == 0)
			;
		closed = s->closed;
		pthread_mutex_unlock(&s->mu);
		natsConnection_Destroy(s->nc);
		/*
		 * The callback may still come and touch s: leave s allocated
		 * (a small leak, once, at exit) rather than risk a use after
		 * free.
		 */
		if (!closed) {
			natsOptions_Destroy(s->opts);
			free(s->views);
			return;
		}
	}
	natsOptions_Destroy(s->opts);
	free(s->views);
	pthread_cond_destroy(&s->closed_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
