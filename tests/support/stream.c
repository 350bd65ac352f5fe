/*
 * stream.c: large generated streams, and the oracle that judges a
 * projector's database after faults (see stream.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "probe.h"
#include "proc.h"
#include "publish.h"
#include "stream.h"

/* What the PubAck error handler, on a cnats thread, leaves for us. */
struct stream_acks {
	pthread_mutex_t	mu;
	unsigned long	errors;
	char		first[512];	/* the first error */
};

/*
 * Writes events lines of a realistic GamingAPI stream to path with the
 * independent generator (STREAM_GEN --no-huge: no payload needs a
 * max_payload above the default), a pure function of seed and events. Its
 * stderr goes to path.log. Returns 0, or -1 with err.
 */
int
stream_generate(const char *path, unsigned long long seed, int events,
    char *err, size_t errlen)
{
	char seedbuf[32], nbuf[32], log[PATH_MAX];
	char *argv[] = { "python3", STREAM_GEN, "--seed", seedbuf, "--events",
	    nbuf, "--no-huge", "-o", (char *)path, NULL };
	int code = -1;

	/* gen.py takes a Python int; keep it positive and readable. */
	snprintf(seedbuf, sizeof(seedbuf), "%llu", seed);
	snprintf(nbuf, sizeof(nbuf), "%d", events);
	snprintf(log, sizeof(log), "%s.log", path);
	if (proc_run(argv, STREAM_GEN_MS, &code, NULL, log) == -1) {
		snprintf(err, errlen, "%s: cannot run python3, or still running"
		    " after %d ms", STREAM_GEN, STREAM_GEN_MS);
		return -1;
	}
	if (code != 0) {
		snprintf(err, errlen, "%s --seed %s --events %s exited %d (see"
		    " %s)", STREAM_GEN, seedbuf, nbuf, code, log);
		return -1;
	}
	return 0;
}

/* cnats calls this, on its own thread, for each publish that failed. */
static void
stream_ack_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	struct stream_acks *acks = closure;

	(void)js;
	pthread_mutex_lock(&acks->mu);
	if (acks->errors++ == 0)
		snprintf(acks->first, sizeof(acks->first), "publish to %s: %s"
		    " (JetStream error %d)", pae->Msg != NULL ?
		    natsMsg_GetSubject(pae->Msg) : "?", pae->ErrText != NULL ?
		    pae->ErrText : natsStatus_GetText(pae->Err),
		    (int)pae->ErrCode);
	pthread_mutex_unlock(&acks->mu);
}

/* What stream_publish() carries from one event to the next. */
struct stream_run {
	jsCtx		*js;
	jsPubOptions	 po;
	uint64_t	 n;
};

/*
 * stream_publish()'s publish_event_fn: sends one message asynchronously
 * (its PubAck comes later, to stream_ack_error() if it fails).
 */
static int
stream_event(void *arg, const char *subject, const char *payload,
    size_t len, char *err, size_t errlen)
{
	struct stream_run *r = arg;
	natsStatus s;
	char what[512];

	if (len > INT_MAX) {
		snprintf(err, errlen, "a payload of %zu bytes", len);
		return -1;
	}
	if ((s = js_PublishAsync(r->js, subject, payload, (int)len,
	    &r->po)) != NATS_OK) {
		snprintf(what, sizeof(what), "publish to %s", subject);
		publish_errfmt(err, errlen, what, s, 0);
		return -1;
	}
	r->n++;
	return 0;
}

static int	publish_into(const char *url, const char *stream,
		    const char *const subjects[], size_t nsubjects,
		    int64_t max_msgs, const char *path, uint64_t *count,
		    char *err, size_t errlen);

/*
 * As stream_publish(), into a stream that exists already and is not
 * touched otherwise (one made elsewhere, such as an R3 stream of a
 * cluster: natsd_cluster_add_stream()). url may list several servers,
 * comma-separated; the connection takes any that is up.
 */
int
stream_append(const char *url, const char *stream, const char *path,
    uint64_t *count, char *err, size_t errlen)
{
	return publish_into(url, stream, NULL, 0, 0, path, count, err, errlen);
}

/*
 * Connects to url, creates stream over the nsubjects subjects
 * (publish_create_stream(): an identical one counts as created) and
 * publishes the events.jsonl file at path into it, in file order, through
 * one connection with many publishes in flight; then waits for every
 * PubAck (at most STREAM_PUBLISH_MS). The server stores one connection's
 * messages in the order sent, so line k gets the stream's last sequence
 * before the call plus k; the stream's counters are checked for that.
 * Returns 0 with the lines published in *count, or -1 with err.
 */
int
stream_publish(const char *url, const char *stream,
    const char *const subjects[], size_t nsubjects, const char *path,
    uint64_t *count, char *err, size_t errlen)
{
	return publish_into(url, stream, subjects, nsubjects, 0, path, count,
	    err, errlen);
}

/*
 * As stream_publish(), into a stream of at most max_msgs messages that
 * discards its oldest (created so when missing): its last sequence must
 * grow by the lines published, its count stay within max_msgs.
 */
int
stream_publish_max(const char *url, const char *stream,
    const char *const subjects[], size_t nsubjects, int64_t max_msgs,
    const char *path, uint64_t *count, char *err, size_t errlen)
{
	return publish_into(url, stream, subjects, nsubjects, max_msgs, path,
	    count, err, errlen);
}

static int
publish_into(const char *url, const char *stream,
    const char *const subjects[], size_t nsubjects, int64_t max_msgs,
    const char *path, uint64_t *count, char *err, size_t errlen)
{
	struct stream_acks acks;
	struct stream_run run = { NULL, { 0 }, 0 };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsPubOptions wait;
	natsStatus s;
	uint64_t n = 0, msgs0 = 0, last0 = 0, msgs = 0, last = 0;
	int rc = -1;

	memset(&acks, 0, sizeof(acks));
	pthread_mutex_init(&acks.mu, NULL);
	if (publish_connect(url, &nc, err, errlen) == -1)
		goto done;
	/* No subjects: stream_append(), into the stream as it is. */
	if ((subjects != NULL && publish_create_stream_max(nc, stream,
	    subjects, nsubjects, max_msgs, err, errlen) == -1) ||
	    publish_stream_info(nc, stream, &msgs0, &last0, err, errlen) == -1)
		goto done;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = STREAM_MAX_PENDING;
	/*
	 * With that many in flight, a publish waits for room rather than
	 * fail: a loaded machine (two suites at once, ASan) acks slowly.
	 */
	jo.PublishAsync.StallWait = STREAM_PUBLISH_MS;
	jo.PublishAsync.ErrHandler = stream_ack_error;
	jo.PublishAsync.ErrHandlerClosure = &acks;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
		publish_errfmt(err, errlen, "JetStream context", s, 0);
		goto done;
	}
	run.js = js;
	jsPubOptions_Init(&run.po);
	run.po.ExpectStream = stream;
	/* In file order, up to STREAM_MAX_PENDING in flight. */
	if (publish_read_events(path, stream_event, &run, err, errlen) == -1)
		goto done;
	n = run.n;
	jsPubOptions_Init(&wait);
	wait.MaxWait = STREAM_PUBLISH_MS;
	if ((s = js_PublishAsyncComplete(js, &wait)) != NATS_OK) {
		publish_errfmt(err, errlen, "waiting for the PubAcks", s, 0);
		goto done;
	}
	pthread_mutex_lock(&acks.mu);
	if (acks.errors > 0)
		snprintf(err, errlen, "%s: %lu publishes failed, the first: %s",
		    path, acks.errors, acks.first);
	pthread_mutex_unlock(&acks.mu);
	if (acks.errors > 0)
		goto done;
	if (publish_stream_info(nc, stream, &msgs, &last, err, errlen) == -1)
		goto done;
	if ((max_msgs == 0 ? msgs != msgs0 + n : msgs > (uint64_t)max_msgs) ||
	    last != last0 + n) {
		snprintf(err, errlen, "%s: published %llu, but stream %s went"
		    " from %llu to %llu messages, last seq %llu to %llu: someone"
		    " else publishes to it", path, (unsigned long long)n, stream,
		    (unsigned long long)msgs0, (unsigned long long)msgs,
		    (unsigned long long)last0, (unsigned long long)last);
		goto done;
	}
	*count = n;
	rc = 0;
done:
	/* Destroying the context while acks are in flight is allowed. */
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	pthread_mutex_destroy(&acks.mu);
	return rc;
}

/*
 * Compares the six contract queries of the database at db with those of
 * the one at expected_db (the oracle: a clean run over the same stream),
 * both opened read-only, by the rules of contract_diff(). Returns 0 when
 * they are equal, or -1 with the first difference (or the reason they
 * cannot be read) in err.
 */
int
stream_diff(const char *expected_db, const char *db, char *err,
    size_t errlen)
{
	json_t *expected, *actual = NULL;
	char why[768];
	int rc = -1;

	if ((expected = itest_snapshot(NULL, expected_db, err,
	    errlen)) == NULL ||
	    (actual = itest_snapshot(NULL, db, err, errlen)) == NULL)
		goto done;
	if (contract_diff(expected, actual, why, sizeof(why)) == -1)
		snprintf(err, errlen, "%s differs from %s: %s", db, expected_db,
		    why);
	else
		rc = 0;
done:
	json_decref(expected);
	json_decref(actual);
	return rc;
}

/*
 * Copies the database at from over the one at to (created when missing)
 * with SQLite's online backup API: a consistent copy whatever the WAL
 * holds, and a restore that goes through to's own journal, so that no
 * stale -wal of to's can outlive it. Nobody may write either file
 * meanwhile. Returns 0, or -1 with err.
 */
int
stream_copy_db(const char *from, const char *to, char *err, size_t errlen)
{
	sqlite3 *src, *dst = NULL;
	sqlite3_backup *b;
	int rc = -1;

	if (db_open_readonly(from, &src, err, errlen) == -1)
		return -1;
	if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", to, dst != NULL ?
		    sqlite3_errmsg(dst) : "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(dst, 2000);
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(err, errlen, "backup %s to %s: %s", from, to,
		    sqlite3_errmsg(dst));
		goto done;
	}
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		snprintf(err, errlen, "backup %s to %s: %s", from, to,
		    sqlite3_errmsg(dst));
		goto done;
	}
	rc = 0;
done:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

/*
 * Deletes the durable consumer from the server, under whoever is pulling
 * from it. Returns 0, or -1 with err (a missing consumer included).
 */
int
stream_delete_consumer(const char *url, const char *stream,
    const char *consumer, char *err, size_t errlen)
{
	struct probe_nats pn;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	if (probe_nats_open(&pn, url, err, errlen) == -1)
		return -1;
	if ((s = js_DeleteConsumer(pn.js, stream, consumer, NULL, &jerr)) !=
	    NATS_OK) {
		snprintf(what, sizeof(what), "delete consumer %s of %s",
		    consumer, stream);
		publish_errfmt(err, errlen, what, s, jerr);
	}
	probe_nats_close(&pn);
	return s == NATS_OK ? 0 : -1;
}
