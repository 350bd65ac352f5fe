/*
 * offline.c: the `fold` command (see offline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "db.h"
#include "feed_memory.h"
#include "fold.h"
#include "guard.h"
#include "offline.h"
#include "reader.h"
#include "registry.h"
#include "xmalloc.h"

/* The messages of the file, their bytes in one arena. */
struct offline_msgs {
	struct feed_msg	*msgs;
	size_t		 n, cap;
	char		*arena;
	size_t		 used, size;
};

/* Appends len bytes to the arena; returns their offset. */
static size_t
keep(struct offline_msgs *m, const void *p, size_t len)
{
	size_t at = m->used;

	while (m->used + len + 1 > m->size)
		m->arena = xreallocarray(m->arena, m->size = m->size > 0 ?
		    2 * m->size : 65536, 1);
	memcpy(m->arena + at, p, len);
	m->arena[at + len] = '\0';
	m->used += len + 1;
	return at;
}

/*
 * The bytes of a string member, decoded from base64 when flag says so,
 * into the arena. Returns its offset, or (size_t)-1 with err.
 */
static size_t
member(struct offline_msgs *m, const json_t *line, const char *key,
    const char *flag, size_t *len, char *err, size_t errlen)
{
	const json_t *v = json_object_get(line, key);
	const json_t *enc = json_object_get(line, flag);
	const char *s;
	unsigned char *out;
	size_t n, at;
	int got;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" is missing or not a string", key);
		return (size_t)-1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (enc == NULL || json_is_null(enc)) {
		*len = n;
		return keep(m, s, n);
	}
	if (!json_is_string(enc) || strcmp(json_string_value(enc),
	    "base64") != 0 || n % 4 != 0) {
		snprintf(err, errlen, "\"%s\" is not base64 as \"%s\" says",
		    key, flag);
		return (size_t)-1;
	}
	out = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(out);
		snprintf(err, errlen, "\"%s\" is not valid base64", key);
		return (size_t)-1;
	}
	/* EVP_DecodeBlock() counts the padding's bytes too. */
	*len = (size_t)got - (n > 0 && s[n - 1] == '=') -
	    (n > 1 && s[n - 2] == '=');
	at = keep(m, out, *len);
	free(out);
	return at;
}

/* Adds one line's message. Returns 0, or -1 with err. */
static int
add_line(struct offline_msgs *m, const char *text, size_t len, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *line;
	const json_t *seq, *stored;
	struct feed_msg msg;
	size_t subject, payload, slen;
	uint64_t prev = m->n > 0 ? m->msgs[m->n - 1].seq : 0;
	int rc = -1;

	memset(&msg, 0, sizeof(msg));
	if ((line = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(err, errlen, "not JSON: %s", je.text);
		return -1;
	}
	if (!json_is_object(line)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	seq = json_object_get(line, "seq");
	stored = json_object_get(line, "stored_ms");
	if (seq != NULL && (!json_is_integer(seq) ||
	    json_integer_value(seq) <= (json_int_t)prev)) {
		snprintf(err, errlen, "\"seq\" must be an integer above the"
		    " line before's %llu", (unsigned long long)prev);
		goto done;
	}
	if (stored != NULL && !json_is_integer(stored)) {
		snprintf(err, errlen, "\"stored_ms\" must be an integer");
		goto done;
	}
	if ((subject = member(m, line, "subject", "subject_encoding", &slen,
	    err, errlen)) == (size_t)-1 ||
	    (payload = member(m, line, "payload", "encoding", &msg.len, err,
	    errlen)) == (size_t)-1)
		goto done;
	if (strlen(m->arena + subject) != slen || slen == 0) {
		snprintf(err, errlen, "\"subject\" is empty or holds a NUL"
		    " byte");
		goto done;
	}
	msg.seq = seq != NULL ? (uint64_t)json_integer_value(seq) : prev + 1;
	msg.stored_ms = stored != NULL ? json_integer_value(stored) : 0;
	/* Offsets until the arena stops moving. */
	msg.subject = (const char *)(uintptr_t)subject;
	msg.data = (const char *)(uintptr_t)payload;
	if (m->n == m->cap)
		m->msgs = xreallocarray(m->msgs, m->cap = m->cap > 0 ?
		    2 * m->cap : 1024, sizeof(*m->msgs));
	m->msgs[m->n++] = msg;
	rc = 0;
done:
	json_decref(line);
	return rc;
}

/* Reads path into m. Returns 0, or a sysexits code with err. */
static int
load(const char *path, struct offline_msgs *m, char *err, size_t errlen)
{
	char why[512], *text = NULL;
	size_t cap = 0, i, lineno = 0;
	ssize_t len;
	FILE *f;
	int code = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return EX_NOINPUT;
	}
	while ((len = getline(&text, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (text[len - 1] == '\n' ||
		    text[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if (add_line(m, text, (size_t)len, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			code = EX_DATAERR;
			break;
		}
	}
	if (code == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		code = EX_IOERR;
	}
	free(text);
	fclose(f);
	for (i = 0; code == 0 && i < m->n; i++) {
		m->msgs[i].subject = m->arena + (uintptr_t)m->msgs[i].subject;
		m->msgs[i].data = m->arena + (uintptr_t)m->msgs[i].data;
	}
	return code;
}

/*
 * Refuses a database whose projections have applied events already.
 * Returns 0, or EX_CANTCREAT with err.
 */
static int
fresh(const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *conn;
	char why[512];
	int applied = 1;

	if (access(path, F_OK) == -1)
		return 0;
	if (db_open_readonly(path, &conn, why, sizeof(why)) == 0) {
		if (sqlite3_prepare_v2(conn, "SELECT count(*) FROM"
		    " projector_status WHERE last_seq > 0", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			applied = sqlite3_column_int(st, 0) > 0;
		/* No projector_status: an empty file, or not ours. */
		else
			applied = sqlite3_prepare_v2(conn, "SELECT 1 FROM"
			    " sqlite_schema", -1, &st, NULL) != SQLITE_OK ||
			    sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		sqlite3_close(conn);
	}
	if (!applied)
		return 0;
	snprintf(err, errlen, "%s is not a fresh database: its projections"
	    " follow a stream already (or it is not projector's). fold writes"
	    " a fresh one: remove it, or give the account another database",
	    path);
	return EX_CANTCREAT;
}

static int
never_stop(void *arg)
{
	(void)arg;
	return 0;
}

/*
 * Folds the messages of input into acct's database through the projections
 * of table (offline.h), batch messages a transaction. Returns 0 with stats
 * filled in, or a sysexits code with err.
 */
int
offline_fold(const struct config_account *acct,
    const struct projection *const *table, int batch, const char *input,
    struct offline_stats *stats, char *err, size_t errlen)
{
	const struct projection *sel[PROJECTION_MAX];
	struct offline_msgs m;
	struct reader_params rp;
	struct reader *r = NULL;
	struct feed *feed = NULL;
	struct fold *f = NULL;
	struct db *d = NULL;
	enum db_error de;
	uint64_t folded = 0;
	size_t nsel;
	int code;

	memset(&m, 0, sizeof(m));
	memset(stats, 0, sizeof(*stats));
	err[0] = '\0';
	if ((code = load(input, &m, err, errlen)) != 0 ||
	    (code = fresh(acct->database, err, errlen)) != 0)
		goto done;
	code = EX_CONFIG;
	if (registry_select(table, acct->projections, acct->nprojections, sel,
	    &nsel, err, errlen) == -1)
		goto done;
	if ((de = db_open(acct->database, &d, err, errlen)) != DB_OK) {
		code = db_sysexit(de);
		goto done;
	}
	if (db_migrate(d, table, NULL, err, errlen) == -1) {
		code = guard_denied(db_guard(d)) != NULL ? EX_CONFIG :
		    EX_IOERR;
		goto done;
	}
	switch (fold_open(db_handle(d), db_guard(d), sel, nsel, &f, err,
	    errlen)) {
	case FOLD_OK:
		break;
	case FOLD_DENIED:
		code = EX_CONFIG;
		goto done;
	default:
		code = EX_SOFTWARE;
		goto done;
	}
	feed = feed_memory_new(m.msgs, m.n, m.arena);
	m.arena = NULL;
	memset(&rp, 0, sizeof(rp));
	rp.feed = feed;
	rp.fold = f;
	rp.batch = batch;
	rp.stopping = never_stop;
	r = reader_new(&rp);
	if (reader_drain(r, m.n, &folded, &code, err, errlen) == -1)
		goto done;
	stats->events = m.n;
	stats->last_seq = m.n > 0 ? m.msgs[m.n - 1].seq : 0;
	stats->applied = fold_stats(f)->applied;
	stats->parked = fold_stats(f)->parked;
	code = 0;
done:
	reader_free(r);
	fold_close(f);
	feed_close(feed);
	db_close(d);
	free(m.msgs);
	free(m.arena);
	return code;
}
