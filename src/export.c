/*
 * export.c: the `archive export` command (see export.h).
 */
#include <sysexits.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "archive.h"
#include "export.h"
#include "xmalloc.h"

/* Messages read from the archive at a time. */
#define EXPORT_BATCH	4096

/* Writes len bytes of s in base64 (RFC 4648, padded) into a new string. */
static char *
base64(const char *s, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = abc[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = abc[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = abc[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = abc[(p[i + 1] & 15) << 2];
		} else {
			*o++ = abc[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * Sets key to the bytes as a JSON string when they are UTF-8 without NUL,
 * else to their base64 and flag to "base64".
 */
static void
set_bytes(json_t *o, const char *key, const char *flag, const char *s,
    size_t len)
{
	json_t *v = memchr(s, '\0', len) == NULL ? json_stringn(s, len) : NULL;
	char *b;

	if (v != NULL) {
		json_object_set_new(o, key, v);
		return;
	}
	b = base64(s, len);
	json_object_set_new(o, key, json_string(b));
	json_object_set_new(o, flag, json_string("base64"));
	free(b);
}

/* The stored time as ISO 8601 UTC, in milliseconds. */
static void
iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf + strlen(buf), len - strlen(buf), ".%03dZ",
		    (int)(ms - (int64_t)t * 1000));
}

static int
write_line(const struct archive_rec *r, FILE *out, char *err, size_t errlen)
{
	json_t *o = json_object();
	char when[64];
	int rc;

	iso_time(r->stored_ms, when, sizeof(when));
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "stored", json_string(when));
	json_object_set_new(o, "stored_ms", json_integer(r->stored_ms));
	set_bytes(o, "subject", "subject_encoding", r->subject, r->subject_len);
	set_bytes(o, "payload", "encoding", r->payload, r->payload_len);
	rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc == -1 || fputc('\n', out) == EOF) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Writes the messages of acct's archive from from_seq to to_seq (0: its
 * mark as the export begins) to out as JSON Lines. Returns 0, or a sysexits
 * code with err: EX_CONFIG when the account keeps no archive, EX_NOINPUT
 * when there is none yet, EX_DATAERR at a damaged block (what came before
 * it is written), EX_IOERR when it cannot be read or the output written.
 */
int
export_archive(const struct config_account *acct, uint64_t from_seq,
    uint64_t to_seq, FILE *out, char *err, size_t errlen)
{
	const struct archive_rec *recs;
	struct archive *a = NULL;
	enum archive_result r;
	uint64_t mark, after;
	size_t i, n;
	int code = EX_IOERR;

	if (acct->archive == NULL) {
		snprintf(err, errlen, "account %s keeps no archive (archive:"
		    " false)", acct->name);
		return EX_CONFIG;
	}
	if (access(acct->archive, F_OK) == -1) {
		snprintf(err, errlen, "%s: no archive yet (the worker has not"
		    " run with it)", acct->archive);
		return EX_NOINPUT;
	}
	if (archive_open(acct->archive, 1, NULL, &a, err, errlen) != ARCHIVE_OK ||
	    archive_mark(a, &mark, err, errlen) != ARCHIVE_OK)
		goto done;
	if (to_seq == 0 || to_seq > mark)
		to_seq = mark;
	after = from_seq > 0 ? from_seq - 1 : 0;
	while (after < to_seq) {
		r = archive_read(a, after, EXPORT_BATCH, &recs, &n, &mark, err,
		    errlen);
		if (r != ARCHIVE_OK) {
			code = r == ARCHIVE_EDAMAGED ? EX_DATAERR : EX_IOERR;
			goto done;
		}
		if (n == 0)
			break;
		for (i = 0; i < n && recs[i].seq <= to_seq; i++)
			if (write_line(&recs[i], out, err, errlen) == -1)
				goto done;
		after = recs[n - 1].seq;
	}
	if (fflush(out) == EOF) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		goto done;
	}
	code = 0;
done:
	archive_close(a);
	return code;
}
