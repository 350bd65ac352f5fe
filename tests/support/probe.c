/*
 * probe.c: looking at a running projector from outside (see probe.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "probe.h"
#include "publish.h"

/*
 * Connects to url and makes a JetStream context, for probes that look many
 * times in a row without a new connection each time. Returns 0 with pn
 * filled (probe_nats_close() it), or -1 with err and pn zeroed.
 */
int
probe_nats_open(struct probe_nats *pn, const char *url, char *err,
    size_t errlen)
{
	memset(pn, 0, sizeof(*pn));
	if (publish_connect(url, &pn->nc, err, errlen) == -1)
		return -1;
	if (publish_js(pn->nc, &pn->js, err, errlen) == -1) {
		natsConnection_Destroy(pn->nc);
		pn->nc = NULL;
		return -1;
	}
	return 0;
}

/* Closes what probe_nats_open() opened. Accepts a zeroed pn. */
void
probe_nats_close(struct probe_nats *pn)
{
	jsCtx_Destroy(pn->js);
	natsConnection_Destroy(pn->nc);
	pn->js = NULL;
	pn->nc = NULL;
}

/*
 * Reads the state of the durable consumer of stream from the server into
 * out, as `nats consumer info` shows it. Returns 0; 1 when the server has
 * no such consumer (out zeroed); or -1 with err.
 */
int
probe_consumer(struct probe_nats *pn, const char *stream,
    const char *consumer, struct probe_consumer *out, char *err,
    size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	memset(out, 0, sizeof(*out));
	s = js_GetConsumerInfo(&ci, pn->js, stream, consumer, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr)
		return 1;
	if (s != NATS_OK) {
		snprintf(what, sizeof(what), "consumer info %s/%s", stream,
		    consumer);
		publish_errfmt(err, errlen, what, s, jerr);
		return -1;
	}
	out->created = ci->Created;
	out->delivered_stream = ci->Delivered.Stream;
	out->delivered_consumer = ci->Delivered.Consumer;
	out->ack_floor_stream = ci->AckFloor.Stream;
	out->ack_floor_consumer = ci->AckFloor.Consumer;
	out->num_pending = ci->NumPending;
	out->num_ack_pending = ci->NumAckPending;
	out->deliver_policy = (int)ci->Config->DeliverPolicy;
	out->ack_policy = (int)ci->Config->AckPolicy;
	out->opt_start_seq = ci->Config->OptStartSeq;
	out->max_ack_pending = ci->Config->MaxAckPending;
	snprintf(out->filter, sizeof(out->filter), "%s",
	    ci->Config->FilterSubject != NULL ? ci->Config->FilterSubject : "");
	jsConsumerInfo_Destroy(ci);
	return 0;
}

/*
 * Reads the ack floor (the stream sequence up to which the server counts
 * every message as acknowledged) of the durable consumer of stream into
 * *floor. A consumer that does not exist (the projector deletes and
 * creates it while it positions) has acknowledged nothing: 0. Returns 0,
 * or -1 with err.
 */
int
probe_ack_floor(struct probe_nats *pn, const char *stream,
    const char *consumer, uint64_t *floor, char *err, size_t errlen)
{
	struct probe_consumer c;

	if (probe_consumer(pn, stream, consumer, &c, err, errlen) == -1)
		return -1;
	*floor = c.ack_floor_stream;
	return 0;
}

/*
 * Reads one memory figure of process pid from /proc/PID/status, field
 * being its name without the colon ("VmHWM": the peak resident set;
 * "VmRSS": the current one), in KiB, into *kib. Returns 0, or -1 with err
 * (no such process, no such field).
 */
int
probe_proc_kib(pid_t pid, const char *field, long *kib, char *err,
    size_t errlen)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	FILE *fp;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':' &&
		    sscanf(line + flen + 1, "%ld", kib) == 1)
			found = 1;
	fclose(fp);
	if (!found) {
		snprintf(err, errlen, "%s: no %s line", path, field);
		return -1;
	}
	return 0;
}

/*
 * Runs PRAGMA integrity_check on the database at db, opened read-only (a
 * running worker is not disturbed). Returns 0 when it answers "ok", or -1
 * with its first complaint, or why it could not run, in err.
 */
int
probe_integrity(const char *db, char *err, size_t errlen)
{
	sqlite3 *conn;
	sqlite3_stmt *st = NULL;
	const char *text;
	int rc = -1;

	if (db_open_readonly(db, &conn, err, errlen) == -1)
		return -1;
	if (sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: integrity_check: %s", db,
		    sqlite3_errmsg(conn));
		goto done;
	}
	text = (const char *)sqlite3_column_text(st, 0);
	if (text != NULL && strcmp(text, "ok") == 0)
		rc = 0;
	else
		snprintf(err, errlen, "%s: integrity_check: %s", db,
		    text != NULL ? text : "(null)");
done:
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return rc;
}

/*
 * Returns the size in bytes of the file at path, or -1 when it does not
 * exist (SQLite removes -wal when the last connection closes).
 */
long long
probe_file_size(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		return -1;
	return (long long)sb.st_size;
}
