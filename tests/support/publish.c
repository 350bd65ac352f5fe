/*
 * publish.c: put events into JetStream the way a GamingAPI feed would (see
 * publish.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

#include "publish.h"

/*
 * Tries of a login with options, which may sign the server's nonce, with
 * libnats before 3.8.0 (PUBLISH_NATS_SIGNS_ALL): see publish_connect_opts().
 */
#define PUBLISH_SIGNED_TRIES	3
#define PUBLISH_NATS_SIGNS_ALL	0x030800

/*
 * Writes "what: reason" into err, with the JetStream error code when there is
 * one. The reason is cnats' per-thread error text, which carries the server's
 * own words ("stream name already in use with a different configuration"),
 * but only when its status is the one at hand: cnats does not clear the text
 * and not every failure sets it, so it may be left over from an earlier call.
 */
void
publish_errfmt(char *err, size_t errlen, const char *what, natsStatus s,
    jsErrCode jerr)
{
	natsStatus last_s = NATS_OK;
	const char *last = nats_GetLastError(&last_s);

	if (last == NULL || *last == '\0' || last_s != s)
		last = natsStatus_GetText(s);
	if (jerr != 0)
		snprintf(err, errlen, "%s: %s (JetStream error %d)", what, last,
		    (int)jerr);
	else
		snprintf(err, errlen, "%s: %s", what, last);
}

/*
 * Connects to url (one URL or a comma-separated list) with cnats' defaults,
 * reconnects included. Returns 0 with *nc set (destroy with
 * natsConnection_Destroy), or -1 with a reason in err.
 */
int
publish_connect(const char *url, natsConnection **nc, char *err,
    size_t errlen)
{
	return publish_connect_opts(url, NULL, nc, err, errlen);
}

/*
 * Connects to url as publish_connect() does, with opts (NULL: cnats'
 * defaults) carrying what the server asks for: credentials, TLS. opts stays
 * the caller's; its URL is set to url. Returns 0 with *nc set, or -1 with a
 * reason in err.
 *
 * libnats before 3.8.0 sends no signature for a nonce whose signature
 * starts with a zero byte (its base64 encoder stops at it: nats.c pull
 * request 705), and the server refuses that nkey or creds login: 1 in 256,
 * test_tenants_least_privilege's 4 failures in 300. A refused login with
 * options is tried again at once, with the new nonce of a new connection,
 * as the projector's own (src/source_conn.c) is.
 */
int
publish_connect_opts(const char *url, natsOptions *opts, natsConnection **nc,
    char *err, size_t errlen)
{
	natsConnection *c = NULL;
	natsStatus s;
	char what[512];
	int tries = PUBLISH_SIGNED_TRIES;

	if (nats_GetVersionNumber() >= PUBLISH_NATS_SIGNS_ALL)
		tries = 1;
	if (opts == NULL)
		s = natsConnection_ConnectTo(&c, url);
	else if ((s = natsOptions_SetURL(opts, url)) == NATS_OK) {
		do
			s = natsConnection_Connect(&c, opts);
		while (s == NATS_CONNECTION_AUTH_FAILED && --tries > 0);
	}
	if (s != NATS_OK) {
		snprintf(what, sizeof(what), "connect to %s", url);
		publish_errfmt(err, errlen, what, s, 0);
		return -1;
	}
	*nc = c;
	return 0;
}

/*
 * Makes a JetStream context on nc with default options. Returns 0 with *js
 * set (destroy with jsCtx_Destroy before nc), or -1 with a reason in err.
 */
int
publish_js(natsConnection *nc, jsCtx **js, char *err, size_t errlen)
{
	jsCtx *j = NULL;
	natsStatus s;

	if ((s = natsConnection_JetStream(&j, nc, NULL)) != NATS_OK) {
		publish_errfmt(err, errlen, "JetStream context", s, 0);
		return -1;
	}
	*js = j;
	return 0;
}

/*
 * Creates stream name over the nsubjects subjects (wildcards allowed), with
 * file storage and limits retention, as the GamingAPI feed's stream is. An
 * existing stream of the same name and configuration counts as created (the
 * server says so); one with another configuration is an error. Returns 0, or
 * -1 with a reason in err.
 */
int
publish_create_stream(natsConnection *nc, const char *name,
    const char *const subjects[], size_t nsubjects, char *err, size_t errlen)
{
	return publish_create_stream_max(nc, name, subjects, nsubjects, 0, err,
	    errlen);
}

/*
 * As publish_create_stream(), with a limit of max_msgs messages (0: none)
 * past which the stream discards its oldest, as an owner's JetStream limits
 * make it do. Returns 0, or -1 with a reason in err.
 */
int
publish_create_stream_max(natsConnection *nc, const char *name,
    const char *const subjects[], size_t nsubjects, int64_t max_msgs,
    char *err, size_t errlen)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	if (nsubjects > INT_MAX) {
		snprintf(err, errlen, "stream %s: too many subjects", name);
		return -1;
	}
	if (publish_js(nc, &js, err, errlen) == -1)
		return -1;
	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = (const char **)subjects;
	cfg.SubjectsLen = (int)nsubjects;
	cfg.Storage = js_FileStorage;
	cfg.Retention = js_LimitsPolicy;
	if (max_msgs > 0) {
		cfg.MaxMsgs = max_msgs;
		cfg.Discard = js_DiscardOld;
	}
	if ((s = js_AddStream(&si, js, &cfg, NULL, &jerr)) != NATS_OK) {
		snprintf(what, sizeof(what), "create stream %s", name);
		publish_errfmt(err, errlen, what, s, jerr);
		goto fail;
	}
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	return 0;

fail:
	jsCtx_Destroy(js);
	return -1;
}

/*
 * Creates stream name as publish_create_stream does unless a stream of that
 * name exists already, whatever its configuration. Returns 0, or -1 with a
 * reason in err.
 */
int
publish_ensure_stream(natsConnection *nc, const char *name,
    const char *const subjects[], size_t nsubjects, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	if (publish_js(nc, &js, err, errlen) == -1)
		return -1;
	s = js_GetStreamInfo(&si, js, name, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	if (s == NATS_OK)
		return 0;
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
		return publish_create_stream(nc, name, subjects, nsubjects, err,
		    errlen);
	snprintf(what, sizeof(what), "stream %s", name);
	publish_errfmt(err, errlen, what, s, jerr);
	return -1;
}

/*
 * Reads stream name's message count into *msgs and last sequence into
 * *last_seq (either may be NULL). Returns 0, or -1 with a reason in err
 * (a missing stream included).
 */
int
publish_stream_info(natsConnection *nc, const char *name, uint64_t *msgs,
    uint64_t *last_seq, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	if (publish_js(nc, &js, err, errlen) == -1)
		return -1;
	if ((s = js_GetStreamInfo(&si, js, name, NULL, &jerr)) != NATS_OK) {
		snprintf(what, sizeof(what), "stream %s", name);
		publish_errfmt(err, errlen, what, s, jerr);
		jsCtx_Destroy(js);
		return -1;
	}
	if (msgs != NULL)
		*msgs = si->State.Msgs;
	if (last_seq != NULL)
		*last_seq = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	return 0;
}

/*
 * Publishes one message and waits for its PubAck. Returns 0 with the stream
 * sequence in *seq, or -1 with a reason in err.
 */
static int
publish_acked(jsCtx *js, const char *subject, const void *data, size_t len,
    jsPubOptions *po, uint64_t *seq, char *err, size_t errlen)
{
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[512];

	if (len > INT_MAX) {
		snprintf(err, errlen, "publish to %s: %zu bytes is too large",
		    subject, len);
		return -1;
	}
	s = js_Publish(&pa, js, subject, data, (int)len, po, &jerr);
	if (s == NATS_NO_RESPONDERS) {
		snprintf(err, errlen, "publish to %s: no stream captures this "
		    "subject", subject);
		return -1;
	}
	if (s != NATS_OK) {
		snprintf(what, sizeof(what), "publish to %s", subject);
		publish_errfmt(err, errlen, what, s, jerr);
		return -1;
	}
	/* Only a message id can make a duplicate; we never set one. */
	if (pa->Duplicate) {
		snprintf(err, errlen, "publish to %s: stored as a duplicate of "
		    "sequence %llu", subject, (unsigned long long)pa->Sequence);
		jsPubAck_Destroy(pa);
		return -1;
	}
	*seq = pa->Sequence;
	jsPubAck_Destroy(pa);
	return 0;
}

/* Returns 1 when line holds only white space (the file's last newline). */
static int
blank(const char *line)
{
	return line[strspn(line, " \t\r\n")] == '\0';
}

/*
 * Reads the events.jsonl file at path in file order, each line
 * {"subject":"…","payload":"…"} (blank lines skipped), and calls fn(arg,
 * subject, payload, len, …) for each: the subject a C string, the payload
 * string's bytes exactly (len of them, JSON or not; an escaped NUL
 * included). Stops at the first line that is no such event, or that fn
 * refuses (returning -1 with a reason). Returns 0, or -1 with
 * "path:line: reason" in err.
 *
 * The file must be UTF-8 JSON: a payload that is not valid UTF-8 cannot be
 * written as a JSON string, and jansson refuses \u escapes of lone
 * surrogates.
 */
int
publish_read_events(const char *path, publish_event_fn *fn, void *arg,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = NULL, *subject, *payload;
	FILE *f;
	char *line = NULL, why[1024];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (blank(line))
			continue;
		if ((j = json_loadb(line, (size_t)len, JSON_ALLOW_NUL,
		    &je)) == NULL) {
			snprintf(err, errlen, "%s:%lu:%d: %s", path, lineno,
			    je.column, je.text);
			goto fail;
		}
		subject = json_object_get(j, "subject");
		payload = json_object_get(j, "payload");
		if (!json_is_string(subject) || !json_is_string(payload)) {
			snprintf(err, errlen, "%s:%lu: needs a string \"subject\" "
			    "and a string \"payload\"", path, lineno);
			goto fail;
		}
		if (strlen(json_string_value(subject)) !=
		    json_string_length(subject)) {
			snprintf(err, errlen, "%s:%lu: subject holds a NUL", path,
			    lineno);
			goto fail;
		}
		/* json_string_length, not strlen: a payload may hold NULs. */
		if (fn(arg, json_string_value(subject),
		    json_string_value(payload), json_string_length(payload),
		    why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
			goto fail;
		}
		json_decref(j);
		j = NULL;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(line);
	fclose(f);
	return 0;

fail:
	json_decref(j);
	free(line);
	fclose(f);
	return -1;
}

/* What publish_file() carries from one event to the next. */
struct publish_run {
	jsCtx		*js;
	jsPubOptions	*po;		/* NULL: any stream */
	uint64_t	 n, prev;
};

/* publish_file()'s publish_event_fn: one message, acked, in sequence. */
static int
publish_event(void *arg, const char *subject, const char *payload,
    size_t len, char *err, size_t errlen)
{
	struct publish_run *r = arg;
	uint64_t seq = 0;

	if (publish_acked(r->js, subject, payload, len, r->po, &seq, err,
	    errlen) == -1)
		return -1;
	if (r->n > 0 && seq != r->prev + 1) {
		snprintf(err, errlen, "got stream sequence %llu after %llu:"
		    " someone else publishes to the stream",
		    (unsigned long long)seq, (unsigned long long)r->prev);
		return -1;
	}
	r->prev = seq;
	r->n++;
	return 0;
}

/*
 * Publishes every event of the events.jsonl file at path
 * (publish_read_events()), in file order: each becomes one message whose
 * data are the payload's bytes exactly. Waits for each PubAck and checks
 * that the stream sequences follow one another, so no message of someone
 * else landed in between. With stream not NULL the server refuses messages
 * that would land in another stream. Returns 0 with the number of messages
 * in *count, or -1 with "path:line: reason" in err; the messages before
 * the bad line stay published.
 */
int
publish_file(jsCtx *js, const char *stream, const char *path,
    uint64_t *count, char *err, size_t errlen)
{
	struct publish_run r = { js, NULL, 0, 0 };
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.ExpectStream = stream;
	if (stream != NULL)
		r.po = &po;
	if (publish_read_events(path, publish_event, &r, err, errlen) == -1)
		return -1;
	*count = r.n;
	return 0;
}

/*
 * Publishes len bytes of data (any bytes; len 0 is allowed) to subject and
 * waits for the PubAck. Returns 0, or -1 with a reason in err.
 */
int
publish_one(jsCtx *js, const char *subject, const void *data, size_t len,
    char *err, size_t errlen)
{
	uint64_t seq;

	return publish_acked(js, subject, data, len, NULL, &seq, err, errlen);
}
