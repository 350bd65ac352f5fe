/*
 * source_conn.c: the connection of the NATS boundary (see source_int.h):
 * options and credentials, connecting, the callbacks cnats calls from its
 * threads, and the permission violation it last reported.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "nkeys.h"
#include "secret.h"
#include "source_int.h"
#include "xmalloc.h"

/* How long a close waits for cnats's closed callback (see source_conn_close). */
#define SOURCE_CLOSE_WAIT_MS	1500
/*
 * Tries of a first connect that signs the server's nonce (nkey, creds),
 * with libnats before SOURCE_NATS_SIGNS_ALL: see connect_signed().
 */
#define SOURCE_SIGNED_TRIES	3
#define SOURCE_NATS_SIGNS_ALL	0x030800	/* libnats 3.8.0 */

struct source_conn {
	const struct config_account *acct;
	natsOptions		*opts;
	natsConnection		*nc;
	jsCtx			*js;
	source_event_fn		*event_fn;
	void			*event_arg;
	int			 closing;	/* atomic: we close it ourselves */
	pthread_mutex_t		 mu;		/* guards perm and closed */
	pthread_cond_t		 closed_cv;	/* signalled by on_closed */
	int			 closed;	/* the closed callback has run */
	char			 perm[512];	/* last permission violation */
};

/*
 * Passes a connection event on, unless we are closing the connection
 * ourselves: that is no news to the owner, who may be gone by the time
 * cnats's last callbacks run.
 */
static void
notify(struct source_conn *s, enum source_conn_event ev, const char *detail)
{
	if (s->event_fn != NULL &&
	    !__atomic_load_n(&s->closing, __ATOMIC_ACQUIRE))
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
	notify(arg, SOURCE_DISCONNECTED, source_error_plain(last));
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
	struct source_conn *s = arg;

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
	struct source_conn *s = arg;
	const char *last = NULL;
	char detail[512];

	(void)sub;
	natsConnection_GetLastError(nc, &last);
	snprintf(detail, sizeof(detail), "%s: %s", natsStatus_GetText(st),
	    source_error_plain(last));
	if (st == NATS_NOT_PERMITTED ||
	    (last != NULL && strstr(last, "Permissions Violation") != NULL)) {
		pthread_mutex_lock(&s->mu);
		snprintf(s->perm, sizeof(s->perm), "%s",
		    last != NULL ? source_error_plain(last) : natsStatus_GetText(st));
		pthread_mutex_unlock(&s->mu);
	}
	notify(s, SOURCE_ASYNC_ERROR, detail);
}

/*
 * Takes the permission violation last heard of, if any, into err with what
 * to do about it. Returns 1 when there was one, else 0. Cannot fail.
 */
int
source_conn_take_perm(struct source_conn *s, char *err, size_t errlen)
{
	int found;

	pthread_mutex_lock(&s->mu);
	found = (s->perm[0] != '\0');
	if (found) {
		snprintf(err, errlen, "%s (account %s): allow it to this"
		    " account's user on the server, or correct the account's"
		    " stream and consumer in the configuration", s->perm,
		    s->acct->name);
		s->perm[0] = '\0';
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/*
 * Translates a failed call on this connection into a result and a sentence
 * in err: a permission violation heard of meanwhile is the real reason (the
 * denied request itself only timed out), and so is a connection cnats gave
 * up on (the server refused the credentials); so is no JetStream answering
 * at all, which names the account's domain or prefix and what to check;
 * otherwise source_error_translate() says. Cannot fail.
 */
enum source_result
source_conn_fail(struct source_conn *s, natsStatus st, jsErrCode jerr,
    const char *what, char *err, size_t errlen)
{
	const char *last = NULL;

	if (source_conn_take_perm(s, err, errlen))
		return SOURCE_EPERM;
	if (s->nc != NULL &&
	    natsConnection_Status(s->nc) == NATS_CONN_STATUS_CLOSED) {
		natsConnection_GetLastError(s->nc, &last);
		snprintf(err, errlen, "%s: connection closed: %s", what,
		    last != NULL && *last != '\0' ? source_error_plain(last) :
		    natsStatus_GetText(st));
		return SOURCE_ECLOSED;
	}
	/* Transient too: a hub out of reach comes back. */
	if (source_error_no_jetstream(s->acct, st, jerr, what, err, errlen))
		return SOURCE_RETRY;
	return source_error_translate(st, jerr, what, err, errlen);
}

/* Sets the account's credentials on opts; secrets only pass through. */
static enum source_result
set_auth(struct source_conn *s, char *err, size_t errlen)
{
	char pub[NKEYS_PUBLIC_LEN + 1];
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
		/* The seed says whose it is; a configured nkey must agree. */
		if (nkeys_user_of(a->secret_file, a->nkey, pub, err,
		    errlen) == -1)
			return SOURCE_ECONFIG;
		st = natsOptions_SetNKeyFromSeed(s->opts, pub, a->secret_file);
		break;
	case CONFIG_AUTH_CREDS:
		st = natsOptions_SetUserCredentialsFromFiles(s->opts,
		    a->secret_file, NULL);
		break;
	}
	if (st != NATS_OK) {
		/* Never echo cnats's text here: it may quote the file. */
		snprintf(err, errlen,
		    "account %s: cannot use the credentials in %s",
		    a->name, a->secret_file);
		return SOURCE_ECONFIG;
	}
	return SOURCE_OK;
}

static enum source_result
set_options(struct source_conn *s, const struct config *cfg, char *err,
    size_t errlen)
{
	char name[128];
	natsStatus st;

	snprintf(name, sizeof(name), "projector %s", s->acct->name);
	st = natsOptions_Create(&s->opts);
	if (st == NATS_OK)
		st = natsOptions_SetServers(s->opts,
		    (const char **)cfg->servers,
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
		    s->acct->name, source_error_plain(nats_GetLastError(NULL)));
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
		snprintf(err, errlen, "connecting: %s", source_error_plain(last));
	else if (last != NULL && strcmp(source_error_plain(last), text) != 0)
		snprintf(err, errlen, "connecting: %s: %s%s", text,
		    source_error_plain(last),
		    hint);
	else
		snprintf(err, errlen, "connecting: %s%s", text, hint);
}

/*
 * Connects with s->opts. libnats before 3.8.0 base64-encodes the signature
 * of the server's nonce as if it were a C string, so that one whose first
 * byte is 0 goes as no "sig" at all and the server refuses the login
 * (nats.c pull request 705): 1 nkey or creds login in 256. A new connection
 * signs a new nonce, so such a login refused is tried again at once, up to
 * SOURCE_SIGNED_TRIES times (a miss left then: 1 in 16.7 million); a key
 * the server does not know is refused as many times.
 */
static natsStatus
connect_signed(struct source_conn *s)
{
	int tries = 1;
	natsStatus st;

	if ((s->acct->auth == CONFIG_AUTH_NKEY ||
	    s->acct->auth == CONFIG_AUTH_CREDS) &&
	    nats_GetVersionNumber() < SOURCE_NATS_SIGNS_ALL)
		tries = SOURCE_SIGNED_TRIES;
	do
		st = natsConnection_Connect(&s->nc, s->opts);
	while (st == NATS_CONNECTION_AUTH_FAILED && --tries > 0);
	return st;
}

/*
 * Connects for acct. When no server answers, or it refuses the credentials,
 * returns SOURCE_RETRY with the reason: the caller retries later. Once
 * connected, the connection reconnects by itself for ever. fn (may be NULL)
 * hears of connection events. Returns SOURCE_OK and sets *out, or an error
 * with err (and nothing to release).
 */
enum source_result
source_conn_open(const struct config *cfg, const struct config_account *acct,
    source_event_fn *fn, void *arg, struct source_conn **out, char *err,
    size_t errlen)
{
	struct source_conn *s;
	jsOptions jo;
	enum source_result r;
	natsStatus st;

	s = xcalloc(1, sizeof(*s));
	s->acct = acct;
	s->event_fn = fn;
	s->event_arg = arg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->closed_cv, NULL);
	if ((r = set_options(s, cfg, err, errlen)) != SOURCE_OK)
		goto fail;
	st = connect_signed(s);
	if (st != NATS_OK) {
		connect_error(cfg, st, err, errlen);
		r = source_conn_take_perm(s, err,
		    errlen) ? SOURCE_EPERM : SOURCE_RETRY;
		goto fail;
	}
	on_connected(s->nc, s);
	jsOptions_Init(&jo);
	jo.Wait = SOURCE_API_WAIT_MS;
	/*
	 * Every JetStream request of the account goes through this context
	 * (a call's own options leave the prefix to it): stream and consumer
	 * info, consumers, fetches, acks, and so status, verify and the
	 * archive's fills too.
	 */
	jo.Domain = acct->js_domain;
	jo.Prefix = acct->js_api_prefix;
	if ((st = natsConnection_JetStream(&s->js, s->nc, &jo)) != NATS_OK) {
		r = source_conn_fail(s, st, 0, "JetStream context", err, errlen);
		goto fail;
	}

	*out = s;
	return SOURCE_OK;
fail:
	source_conn_close(s);
	return r;
}

/* Lends the JetStream context. Cannot fail. */
jsCtx *
source_conn_js(struct source_conn *s)
{
	return s->js;
}

/* Returns the server's max_payload, in bytes. Cannot fail. */
int64_t
source_conn_max_payload(struct source_conn *s)
{
	return natsConnection_GetMaxPayload(s->nc);
}

/*
 * Closes the connection and waits (bounded) for cnats's last callback,
 * which uses s; from the start, callbacks no longer reach the owner.
 * Accepts NULL.
 */
void
source_conn_close(struct source_conn *s)
{
	struct timespec until;
	int closed = 1;

	if (s == NULL)
		return;
	__atomic_store_n(&s->closing, 1, __ATOMIC_RELEASE);
	jsCtx_Destroy(s->js);
	if (s->nc != NULL) {
		natsConnection_Close(s->nc);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)SOURCE_CLOSE_WAIT_MS * 1000000;
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_mutex_lock(&s->mu);
		while (!s->closed && pthread_cond_timedwait(&s->closed_cv,
		    &s->mu, &until) == 0)
			;
		closed = s->closed;
		pthread_mutex_unlock(&s->mu);
		natsConnection_Destroy(s->nc);
	}
	natsOptions_Destroy(s->opts);
	/*
	 * A callback that did not come within the wait may still come and
	 * touch s: leave s allocated (a small leak, once, at exit) rather
	 * than risk a use after free.
	 */
	if (!closed)
		return;
	pthread_cond_destroy(&s->closed_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
