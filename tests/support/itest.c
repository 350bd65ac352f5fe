/*
 * itest.c: what several integration tests share (see itest.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "contract.h"
#include "db.h"
#include "itest.h"
#include "probe.h"
#include "publish.h"
#include "tmp.h"

/* What a sanitizer prints first when it reports something. */
static const char *const itest_sanitizer_marks[] = {
	"ERROR: AddressSanitizer",
	"ERROR: LeakSanitizer",
	"runtime error:",
	"SUMMARY: UndefinedBehaviorSanitizer",
	"WARNING: ThreadSanitizer",
	NULL
};

/* Milliseconds of CLOCK_MONOTONIC: for deadlines. */
long long
itest_now_ms(void)
{
	return natsd_now_ms();
}

/* The pause between two looks of a poll (ITEST_POLL_MS). */
void
itest_nap(void)
{
	struct timespec ts = { 0, ITEST_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Reads a positive number from the environment variable name (TEST_SEED,
 * TEST_EVENTS, ...), or returns dflt when it is unset, empty or not one.
 */
unsigned long long
itest_env_number(const char *name, unsigned long long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtoull(s, &end, 10);
	return *end == '\0' && v > 0 ? v : dflt;
}

/*
 * Returns 1 when p names a child that has exited (it is reaped then, its
 * status kept in p), 0 while it runs or when p is NULL.
 */
static int
exited(struct proc *p)
{
	if (p == NULL || (p->pid <= 0 && !p->reaped))
		return 0;
	return proc_wait(p, 0, NULL) == 0;
}

/*
 * Writes into buf the path of the binary name built for the tests:
 * $PROJECTOR_BIN_DIR/name, or build/name when the variable is unset or
 * empty (the Makefile's integration target sets it to its build dir).
 * Returns buf. Cannot fail; a name too long is cut.
 */
const char *
itest_bin(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("PROJECTOR_BIN_DIR");

	if (dir == NULL || *dir == '\0')
		dir = "build";
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/*
 * Writes a projector configuration to path: one NATS URL, nats.tls when tls
 * (a YAML flow mapping such as "{ ca_file: ca.pem }") is not NULL,
 * batch.max_events when max_events > 0 and batch.max_wait_ms when
 * max_wait_ms > 0 (else the defaults), and the naccts accounts, each with
 * the default subjects, its stream (ITEST_STREAM when NULL), its durable
 * consumer (the default when NULL) and its auth flow mapping when that is
 * not NULL. Two accounts with different consumers and databases fold one
 * stream side by side without touching each other. Relative paths are
 * relative to path's folder, as the projector reads them. Returns 0, or -1
 * with errno set.
 */
int
itest_write_config(const char *path, const char *url, const char *tls,
    int max_events, int max_wait_ms, const struct itest_account *accts,
    size_t naccts)
{
	FILE *fp;
	size_t i;
	int saved;

	if ((fp = fopen(path, "we")) == NULL)
		return -1;
	fprintf(fp, "# written by an integration test\n"
	    "nats:\n  servers: [%s]\n", url);
	if (tls != NULL)
		fprintf(fp, "  tls: %s\n", tls);
	if (max_events > 0 || max_wait_ms > 0)
		fprintf(fp, "batch:\n");
	if (max_events > 0)
		fprintf(fp, "  max_events: %d\n", max_events);
	if (max_wait_ms > 0)
		fprintf(fp, "  max_wait_ms: %d\n", max_wait_ms);
	fprintf(fp, "accounts:\n");
	for (i = 0; i < naccts; i++) {
		fprintf(fp, "  - name: %s\n", accts[i].name);
		if (accts[i].auth != NULL)
			fprintf(fp, "    auth: %s\n", accts[i].auth);
		fprintf(fp, "    stream: %s\n    database: %s\n",
		    accts[i].stream != NULL ? accts[i].stream : ITEST_STREAM,
		    accts[i].database);
		if (accts[i].consumer != NULL)
			fprintf(fp, "    consumer: %s\n", accts[i].consumer);
		if (accts[i].archive != NULL)
			fprintf(fp, "    archive: %s\n", accts[i].archive);
	}
	if (ferror(fp)) {
		saved = errno;
		fclose(fp);
		errno = saved;
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

/*
 * Connects to url with opts (NULL: cnats' defaults; see
 * publish_connect_opts()), creates stream ITEST_STREAM over ITEST_SUBJECTS
 * (an existing one of the same configuration counts as created) and
 * publishes the events.jsonl file at path into it in file order, each
 * message acknowledged by the server; sets *count. Returns 0, or -1 with
 * err.
 */
int
itest_publish_fixture(const char *url, natsOptions *opts, const char *path,
    uint64_t *count, char *err, size_t errlen)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	int rc = -1;

	if (publish_connect_opts(url, opts, &nc, err, errlen) == -1)
		return -1;
	if (publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    errlen) == -1 ||
	    publish_js(nc, &js, err, errlen) == -1)
		goto done;
	rc = publish_file(js, ITEST_STREAM, path, count, err, errlen);
done:
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return rc;
}

/* Copies n bytes of s into a new NUL-terminated string; NULL when OOM. */
static char *
copy(const char *s, size_t n)
{
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* What itest_fixture_load() fills, and how many events fit in it. */
struct fixture_load {
	struct itest_fixture	*fx;
	size_t			 alloc;
};

/* itest_fixture_load()'s publish_event_fn: appends a copy of the event. */
static int
fixture_add(void *arg, const char *subject, const char *payload,
    size_t len, char *err, size_t errlen)
{
	struct fixture_load *fl = arg;
	struct itest_fixture *fx = fl->fx;
	struct itest_event *ev;

	if (fx->n == fl->alloc) {
		fl->alloc = fl->alloc == 0 ? 1024 : fl->alloc * 2;
		if ((ev = realloc(fx->ev, fl->alloc * sizeof(*ev))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		fx->ev = ev;
	}
	ev = &fx->ev[fx->n];
	ev->len = len;
	ev->subject = copy(subject, strlen(subject));
	ev->payload = copy(payload, len);
	if (ev->subject == NULL || ev->payload == NULL) {
		free(ev->subject);
		free(ev->payload);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fx->n++;
	return 0;
}

/*
 * Reads the events.jsonl file at path (publish_read_events()) into fx, in
 * file order, so that a test can publish a part of it or look into the
 * payloads. Returns 0 with fx filled (release it with
 * itest_fixture_release()), or -1 with "path:line: reason" in err and fx
 * empty.
 */
int
itest_fixture_load(const char *path, struct itest_fixture *fx, char *err,
    size_t errlen)
{
	struct fixture_load fl = { fx, 0 };

	memset(fx, 0, sizeof(*fx));
	if (publish_read_events(path, fixture_add, &fl, err, errlen) == -1) {
		itest_fixture_release(fx);
		return -1;
	}
	return 0;
}

/*
 * Publishes the events from to to - 1 (from 0) of fx on js, in order, each
 * acknowledged by the server. Returns 0, or -1 with "line N: reason" (N,
 * the fixture's line, from 1) in err.
 */
int
itest_publish_events(jsCtx *js, const struct itest_fixture *fx, size_t from,
    size_t to, char *err, size_t errlen)
{
	char why[1024];
	size_t i;

	for (i = from; i < to; i++)
		if (publish_one(js, fx->ev[i].subject, fx->ev[i].payload,
		    fx->ev[i].len, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "line %zu: %s", i + 1, why);
			return -1;
		}
	return 0;
}

/* Frees what itest_fixture_load() read. Accepts an empty fx. */
void
itest_fixture_release(struct itest_fixture *fx)
{
	size_t i;

	for (i = 0; i < fx->n; i++) {
		free(fx->ev[i].subject);
		free(fx->ev[i].payload);
	}
	free(fx->ev);
	fx->ev = NULL;
	fx->n = 0;
}

/*
 * Returns the first column of the first row of sql on the database at db
 * (opened read-only for this one query), or -1 when there is no such value
 * yet: no file, no table, no row, or NULL.
 */
long long
itest_query_int(const char *db, const char *sql)
{
	sqlite3 *conn;
	sqlite3_stmt *st = NULL;
	char err[256];
	long long v = -1;

	if (db_open_readonly(db, &conn, err, sizeof(err)) == -1)
		return -1;
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return v;
}

/*
 * Renders the rows of sql on the database at db, opened read-only, into
 * buf (len bytes) in style (testdb_render()). Returns 0, or -1 with err
 * when the file cannot be opened, the query fails or its rows do not fit.
 */
int
itest_rows(const char *db, const char *sql, enum testdb_style style,
    char *buf, size_t len, char *err, size_t errlen)
{
	sqlite3 *conn;
	int rc;

	buf[0] = '\0';
	if (db_open_readonly(db, &conn, err, errlen) == -1)
		return -1;
	rc = testdb_render(conn, sql, style, buf, len, err, errlen);
	sqlite3_close(conn);
	return rc;
}

/*
 * Returns the smallest projector_status.last_seq of the database at db:
 * every projection has applied at least that far. -1 while the database or
 * its status rows do not exist yet.
 */
long long
itest_last_seq(const char *db)
{
	return itest_query_int(db,
	    "SELECT min(last_seq) FROM projector_status");
}

/*
 * Polls itest_last_seq(db) until it equals want. Returns 0 then; or -1 with
 * err when it goes past want, when timeout_ms pass, or when the process p
 * (may be NULL) exits first (it is reaped then; its status stays in p).
 */
int
itest_wait_last_seq(const char *db, long long want, struct proc *p,
    int timeout_ms, char *err, size_t errlen)
{
	long long deadline = itest_now_ms() + timeout_ms, v;

	for (;;) {
		if ((v = itest_last_seq(db)) == want)
			return 0;
		if (v > want) {
			snprintf(err, errlen, "%s: last_seq %lld went past"
			    " %lld", db, v, want);
			return -1;
		}
		if (exited(p)) {
			/* It may have committed just before it exited. */
			if ((v = itest_last_seq(db)) == want)
				return 0;
			snprintf(err, errlen, "%s: the projector exited (status"
			    " %d) at last_seq %lld, before %lld", db,
			    proc_exit_code(p->status), v, want);
			return -1;
		}
		if (itest_now_ms() >= deadline) {
			snprintf(err, errlen, "%s: last_seq %lld after %d ms,"
			    " want %lld", db, v, timeout_ms, want);
			return -1;
		}
		itest_nap();
	}
}

/*
 * Returns (to json_decref()) the six contract queries of the database at
 * db (contract_snapshot()), read in one read transaction, so that they see
 * one state of a file being written: on conn, or on a read-only connection
 * of its own when conn is NULL. Returns NULL with err when it cannot.
 */
json_t *
itest_snapshot(sqlite3 *conn, const char *db, char *err, size_t errlen)
{
	sqlite3 *own = NULL;
	json_t *snap = NULL;
	char why[768];

	if (conn == NULL) {
		if (db_open_readonly(db, &own, err, errlen) == -1)
			return NULL;
		conn = own;
	}
	if (sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		snprintf(err, errlen, "%s: BEGIN: %s", db,
		    sqlite3_errmsg(conn));
	else {
		if ((snap = contract_snapshot(conn, why, sizeof(why))) == NULL)
			snprintf(err, errlen, "%s: %s", db, why);
		sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_close(own);
	return snap;
}

/*
 * Compares the six contract queries of the database at db (itest_snapshot())
 * with want, by the rules of contract_diff(). Returns 0 when they are equal,
 * or -1 with the first difference, or why db cannot be read, in err.
 */
int
itest_diff(const char *db, const json_t *want, char *err, size_t errlen)
{
	json_t *got;
	int rc;

	if ((got = itest_snapshot(NULL, db, err, errlen)) == NULL)
		return -1;
	rc = contract_diff(want, got, err, errlen);
	json_decref(got);
	return rc;
}

/*
 * Compares the six contract queries of the database at db (read-only) with
 * the fixture's expected.json. Returns 0 when equal, or -1 with the first
 * difference in err.
 */
int
itest_contract(const char *db, char *err, size_t errlen)
{
	sqlite3 *conn;
	int rc;

	if (db_open_readonly(db, &conn, err, errlen) == -1)
		return -1;
	rc = contract_compare(conn, ITEST_EXPECTED, err, errlen);
	sqlite3_close(conn);
	return rc;
}

/*
 * Collects the NULL-terminated strings of ap into needles (at most
 * ITEST_NEEDLES; more are ignored) and, when what is not NULL, writes them
 * quoted into it for messages.
 */
static void
needles_collect(va_list ap, const char **needles, char *what, size_t len)
{
	const char *s;
	size_t n = 0, off = 0;

	if (what != NULL)
		what[0] = '\0';
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (n == ITEST_NEEDLES)
			continue;
		needles[n++] = s;
		if (what != NULL && off < len)
			off += (size_t)snprintf(what + off, len - off, "%s'%s'",
			    n > 1 ? " and " : "", s);
	}
	needles[n] = NULL;
}

/*
 * Counts the lines of text that contain every string of needles; copies
 * the first of them (without its newline) into line when line is not NULL.
 */
static int
scan(const char *text, const char *const *needles, char *line, size_t len)
{
	const char *p = text, *end;
	char *buf;
	size_t n, i;
	int count = 0;

	if (line != NULL && len > 0)
		line[0] = '\0';
	while (*p != '\0') {
		end = strchr(p, '\n');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if ((buf = copy(p, n)) == NULL)
			return count;
		for (i = 0; needles[i] != NULL; i++)
			if (strstr(buf, needles[i]) == NULL)
				break;
		if (needles[i] == NULL) {
			if (count == 0 && line != NULL)
				snprintf(line, len, "%s", buf);
			count++;
		}
		free(buf);
		p += n;
		if (*p == '\n')
			p++;
	}
	return count;
}

/* scan() over the file at path; a file that cannot be read has no line. */
static int
scan_file(const char *path, const char *const *needles, char *line,
    size_t len)
{
	char *text;
	int n;

	if (line != NULL && len > 0)
		line[0] = '\0';
	if (tmp_read_file(path, &text, NULL) == -1)
		return 0;
	n = scan(text, needles, line, len);
	free(text);
	return n;
}

/*
 * Returns how many lines of the file at path contain every one of the
 * strings that follow (NULL ends them). A file that cannot be read (not
 * written yet) has none.
 */
int
itest_log_count(const char *path, ...)
{
	const char *needles[ITEST_NEEDLES + 1];
	va_list ap;

	va_start(ap, path);
	needles_collect(ap, needles, NULL, 0);
	va_end(ap);
	return scan_file(path, needles, NULL, 0);
}

/*
 * Copies into line the first line of the file at path that contains every
 * one of the strings that follow (NULL ends them). Returns 0, or -1 when
 * there is none ("" in line).
 */
int
itest_log_line(char *line, size_t len, const char *path, ...)
{
	const char *needles[ITEST_NEEDLES + 1];
	va_list ap;

	va_start(ap, path);
	needles_collect(ap, needles, NULL, 0);
	va_end(ap);
	return scan_file(path, needles, line, len) > 0 ? 0 : -1;
}

/* itest_wait_log() with the strings in ap. */
static int
wait_log(struct proc *p, int timeout_ms, int min, char *err, size_t errlen,
    const char *path, va_list ap)
{
	const char *needles[ITEST_NEEDLES + 1];
	char what[512];
	long long deadline = itest_now_ms() + timeout_ms;
	int n;

	needles_collect(ap, needles, what, sizeof(what));
	for (;;) {
		if ((n = scan_file(path, needles, NULL, 0)) >= min)
			return 0;
		if (exited(p)) {
			if ((n = scan_file(path, needles, NULL, 0)) >= min)
				return 0;
			snprintf(err, errlen, "%s: the process exited (status"
			    " %d) with %d of %d lines with %s", path,
			    proc_exit_code(p->status), n, min, what);
			return -1;
		}
		if (itest_now_ms() >= deadline) {
			snprintf(err, errlen, "%s: %d of %d lines with %s after"
			    " %d ms", path, n, min, what, timeout_ms);
			return -1;
		}
		itest_nap();
	}
}

/*
 * Polls the file at path until at least min of its lines (min >= 1) contain
 * every one of the strings that follow (NULL ends them). Returns 0 then; or
 * -1 with err when timeout_ms pass, or when the process p (may be NULL)
 * exits first without having written them (p is reaped then; its status
 * stays in p).
 */
int
itest_wait_log(struct proc *p, int timeout_ms, int min, char *err,
    size_t errlen, const char *path, ...)
{
	va_list ap;
	int rc;

	va_start(ap, path);
	rc = wait_log(p, timeout_ms, min, err, errlen, path, ap);
	va_end(ap);
	return rc;
}

/*
 * Returns 1 when the log at path holds a report of AddressSanitizer,
 * LeakSanitizer, UndefinedBehaviorSanitizer or ThreadSanitizer (a projector
 * built with -fsanitize writes them to stderr), with the first such line in
 * line; 0 when it holds none or cannot be read.
 */
int
itest_sanitizer_report(const char *path, char *line, size_t len)
{
	const char *needles[2];
	char *text;
	size_t i;
	int found = 0;

	line[0] = '\0';
	if (tmp_read_file(path, &text, NULL) == -1)
		return 0;
	for (i = 0; itest_sanitizer_marks[i] != NULL && !found; i++) {
		needles[0] = itest_sanitizer_marks[i];
		needles[1] = NULL;
		found = scan(text, needles, line, len) > 0;
	}
	free(text);
	return found;
}

/*
 * Prints the file at path to stderr, framed, for a test about to fail: the
 * temp dir that holds it is gone after the teardown. Prints nothing when it
 * cannot be read.
 */
void
itest_show_log(const char *path)
{
	char *text;

	if (tmp_read_file(path, &text, NULL) == 0) {
		fprintf(stderr, "--- %s\n%s---\n", path, text);
		free(text);
	}
}

/* ---- The cmocka layer: these fail or skip the running test. ---- */

/*
 * Starts the server of a test (natsd_start()), reading config_file when it
 * is not NULL. A machine without nats-server skips the test rather than
 * failing it, so that `make check` still means something there.
 */
void
itest_start_natsd(struct natsd *d, const char *config_file)
{
	char err[1024];

	if (natsd_start(d, config_file, err, sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_start: %s", err);
	}
}

/*
 * The setup of an integration test: a new struct itest_fx in *state, with
 * a temp dir named after prefix, the paths in it, the projector under test
 * (itest_bin()) and, when load_events is set, the fixture's lines. Returns
 * 0, or -1 with nothing left behind. Free it with itest_fx_teardown().
 */
int
itest_fx_setup(const char *prefix, int load_events, void **state)
{
	struct itest_fx *f;
	char err[512];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (tmp_dir(prefix, f->dir, sizeof(f->dir)) == -1) {
		free(f);
		return -1;
	}
	if (load_events && itest_fixture_load(ITEST_EVENTS, &f->events, err,
	    sizeof(err)) == -1) {
		print_error("%s\n", err);
		tmp_rm_rf(f->dir);
		free(f);
		return -1;
	}
	snprintf(f->config, sizeof(f->config), "%s/projector.yaml", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/ga-1.db", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/projector.log", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/stdout", f->dir);
	snprintf(f->err, sizeof(f->err), "%s/stderr", f->dir);
	itest_bin("projector", f->bin, sizeof(f->bin));
	*state = f;
	return 0;
}

/*
 * The teardown that goes with itest_fx_setup(): kills the projector and the
 * server if they still run, and removes the temp dir. Returns 0.
 */
int
itest_fx_teardown(void **state)
{
	struct itest_fx *f = *state;

	proc_release(&f->p);
	natsd_release(&f->d);
	itest_fixture_release(&f->events);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/* Writes the path of the file name in f's dir into buf. */
void
itest_fx_path(const struct itest_fx *f, const char *name, char *buf,
    size_t len)
{
	if (snprintf(buf, len, "%s/%s", f->dir, name) >= (int)len)
		fail_msg("path too long: %s/%s", f->dir, name);
}

/*
 * Writes text to path with mode (tmp_write_file_mode()), failing the test
 * when it cannot.
 */
void
itest_fx_write_file(const char *path, const char *text, mode_t mode)
{
	if (tmp_write_file_mode(path, text, mode) == -1)
		fail_msg("%s: %s", path, strerror(errno));
}

/*
 * Copies the file built at built (relative to $PROJECTOR_BIN_DIR, as
 * itest_bin()) into f's dir as name, with mode, and its path into path
 * (len bytes): written beside and renamed over, as an installer does, so
 * that a file a process has loaded is never written into.
 */
void
itest_fx_install(struct itest_fx *f, const char *built, const char *name,
    mode_t mode, char *path, size_t len)
{
	char src[ITEST_PATH_MAX], tmp[ITEST_PATH_MAX + 8], *data;
	size_t n;
	FILE *out;

	itest_bin(built, src, sizeof(src));
	if (tmp_read_file(src, &data, &n) == -1)
		fail_msg("%s: cannot read (built by make?)", src);
	itest_fx_path(f, name, path, len);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((out = fopen(tmp, "w")) == NULL || fwrite(data, 1, n, out) != n ||
	    fclose(out) != 0 || chmod(tmp, mode) == -1 ||
	    rename(tmp, path) == -1)
		fail_msg("%s: cannot install: %s", path, strerror(errno));
	free(data);
}

/*
 * Writes the secret text and a newline, as an editor would, to the file
 * name in f's dir with mode, and its path into path (len bytes). Wipes its
 * own copy of the secret.
 */
void
itest_fx_write_secret(const struct itest_fx *f, const char *name,
    const char *text, mode_t mode, char *path, size_t len)
{
	char *line;

	itest_fx_path(f, name, path, len);
	assert_true(asprintf(&line, "%s\n", text) != -1);
	itest_fx_write_file(path, line, mode);
	explicit_bzero(line, strlen(line));
	free(line);
}

/*
 * Starts the server of f with the configuration text conf, written to
 * nats-server.conf in f's dir with mode 0600 (it may hold passwords), or
 * with natsd's default configuration when conf is NULL. A machine without
 * nats-server skips the test.
 */
void
itest_fx_start_natsd(struct itest_fx *f, const char *conf)
{
	char path[ITEST_PATH_MAX];

	if (conf == NULL) {
		itest_start_natsd(&f->d, NULL);
		return;
	}
	itest_fx_path(f, "nats-server.conf", path, sizeof(path));
	itest_fx_write_file(path, conf, 0600);
	itest_start_natsd(&f->d, path);
}

/*
 * Publishes the loaded fixture's lines from to to - 1 (f->events) into
 * stream ITEST_STREAM of the server of f, made if missing: a stream fed in
 * parts while a projector runs.
 */
void
itest_fx_publish_range(struct itest_fx *f, size_t from, size_t to)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	char err[1024];

	if (publish_connect(f->d.url, &nc, err, sizeof(err)) == -1 ||
	    publish_ensure_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1 ||
	    itest_publish_events(js, &f->events, from, to, err,
	    sizeof(err)) == -1)
		fail_msg("publish: %s", err);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/*
 * Publishes the loaded fixture's lines [from, to) (from 0) one by one into
 * stream ITEST_STREAM through url (NULL: f->d.url), over a connection of
 * its own, each acknowledged: they get stream sequences from + 1 to to,
 * which the stream's last sequence must then be (nothing else publishes).
 */
void
itest_fx_publish_acked(struct itest_fx *f, const char *url, size_t from,
    size_t to)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	uint64_t last = 0;
	char err[1024];

	assert_true(to <= f->events.n);
	if (publish_connect(url != NULL ? url : f->d.url, &nc, err,
	    sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1 ||
	    itest_publish_events(js, &f->events, from, to, err,
	    sizeof(err)) == -1 ||
	    publish_stream_info(nc, ITEST_STREAM, NULL, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(last, to);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/*
 * Publishes the whole fixture into stream ITEST_STREAM of the server of f,
 * connecting to url (one with credentials, or tls://) or, when url is NULL,
 * to f->d.url, with opts (NULL: cnats' defaults), which carry the
 * credentials or TLS settings the server wants and are destroyed here;
 * checks that all ITEST_NEVENTS events are stored.
 */
void
itest_fx_publish_fixture(struct itest_fx *f, const char *url,
    natsOptions *opts)
{
	uint64_t count = 0;
	char err[1024];
	int rc;

	rc = itest_publish_fixture(url != NULL ? url : f->d.url, opts,
	    ITEST_EVENTS, &count, err, sizeof(err));
	natsOptions_Destroy(opts);
	if (rc == -1)
		fail_msg("publisher: %s", err);
	assert_int_equal(count, ITEST_NEVENTS);
}

/*
 * Writes f->config: one account, ga-1, without auth, its database f->db,
 * batches of at most max_events (0: the default), on the server of f or,
 * with none started, on a port nothing listens on (for commands that must
 * not touch the network).
 */
void
itest_fx_write_config(struct itest_fx *f, int max_events)
{
	static const struct itest_account acct = { "ga-1", NULL, "ga-1.db",
	    NULL, NULL, NULL };

	assert_int_equal(itest_write_config(f->config, f->d.port != 0 ?
	    f->d.url : "nats://127.0.0.1:1", NULL, max_events, 0, &acct, 1), 0);
}

/*
 * Writes the configuration of the naccts accounts to path (NULL: f->config)
 * with the default batches, on the server of f or, with none started, on a
 * port nothing listens on, as itest_fx_write_config() does.
 */
void
itest_fx_write_accounts(struct itest_fx *f, const char *path,
    const struct itest_account *accts, size_t naccts)
{
	if (path == NULL)
		path = f->config;
	if (itest_write_config(path, f->d.port != 0 ? f->d.url :
	    "nats://127.0.0.1:1", NULL, 0, 0, accts, naccts) == -1)
		fail_msg("%s: %s", path, strerror(errno));
}

/*
 * Starts the server of f with the whole fixture in the stream (sequences 1
 * to ITEST_NEVENTS) and writes the configuration (itest_fx_write_config()).
 * A machine without nats-server skips the test.
 */
void
itest_fx_start_with_fixture(struct itest_fx *f, int max_events)
{
	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_fixture(f, NULL, NULL);
	itest_fx_write_config(f, max_events);
}

/*
 * Runs the projector f->bin with the arguments that follow (NULL ends them,
 * at most ITEST_ARGS) to its end, its stdout in f->out and its stderr in
 * f->err (both truncated first). Fails when it cannot run, when it still runs
 * after ITEST_RUN_MS, and when a sanitizer reported into f->err (which
 * would otherwise show only as an exit code). Returns its exit code.
 */
int
itest_fx_run(struct itest_fx *f, ...)
{
	char *argv[ITEST_ARGS + 2];
	va_list ap;
	int n = 0, code = -1;

	argv[n++] = f->bin;
	va_start(ap, f);
	while (n < ITEST_ARGS + 1 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (proc_run(argv, ITEST_RUN_MS, &code, f->out, f->err) == -1)
		fail_msg("%s %s: cannot run, or still running after %d ms",
		    f->bin, argv[1] != NULL ? argv[1] : "", ITEST_RUN_MS);
	itest_fx_assert_no_sanitizer(f->err);
	return code;
}

/* Starts `projector run -c f->config` in the background, stderr to f->log. */
void
itest_fx_start_projector(struct itest_fx *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, NULL };
	char err[512];

	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/*
 * Starts `projector run -c f->config --log-level debug` in the background,
 * its stderr in f->log: with debug lines (each batch committed, each
 * failed ack), a failed test's log shows what the worker did last.
 */
void
itest_fx_start_projector_debug(struct itest_fx *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, "--log-level",
	    "debug", NULL };
	char err[512];

	if (proc_start(&f->p, argv, f->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Fails, with the log shown, unless the projector f->p still runs. */
void
itest_fx_assert_alive(struct itest_fx *f, const char *when)
{
	int status;

	if (proc_wait(&f->p, 0, &status) == 0) {
		itest_show_log(f->log);
		fail_msg("the projector exited (status %d) %s",
		    proc_exit_code(status), when);
	}
}

/*
 * Polls the checkpoint of f->db (every projection's; -1 before the file
 * has one) every poll_ns nanoseconds (0: ITEST_POLL_MS) until it passes
 * past, and returns it. Fails, with the log shown, when the projector f->p
 * exits first (unless it committed past it just before) or ITEST_WAIT_MS
 * pass.
 */
long long
itest_fx_wait_past(struct itest_fx *f, long long past, long poll_ns)
{
	struct timespec ts = { 0, poll_ns > 0 ? poll_ns :
	    ITEST_POLL_MS * 1000000L };
	long long deadline = itest_now_ms() + ITEST_WAIT_MS, v;
	int status;

	for (;;) {
		if ((v = itest_last_seq(f->db)) > past)
			return v;
		if (proc_wait(&f->p, 0, &status) == 0) {
			/* It may have committed just before it exited. */
			if ((v = itest_last_seq(f->db)) > past)
				return v;
			itest_show_log(f->log);
			fail_msg("the projector exited (status %d) at last_seq"
			    " %lld, before passing %lld",
			    proc_exit_code(status), v, past);
		}
		if (itest_now_ms() >= deadline) {
			itest_show_log(f->log);
			fail_msg("last_seq %lld after %d ms, want past %lld", v,
			    ITEST_WAIT_MS, past);
		}
		nanosleep(&ts, NULL);
	}
}

/*
 * Counts the reconnections in the projector's log at path: cnats's own
 * reconnect logs msg=reconnected, a connection the worker opened anew logs
 * one more msg=connected (the first was the start's).
 */
int
itest_reconnections(const char *path)
{
	int again = itest_log_count(path, "msg=connected", NULL) - 1;

	return itest_log_count(path, "msg=reconnected", NULL) +
	    (again > 0 ? again : 0);
}

/*
 * Waits until f->log tells of at least n reconnections
 * (itest_reconnections()); fails, with the log shown, when the projector
 * f->p exits first or ITEST_WAIT_MS pass.
 */
void
itest_fx_wait_reconnections(struct itest_fx *f, int n)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;

	while (itest_reconnections(f->log) < n) {
		itest_fx_assert_alive(f, "while reconnecting");
		if (itest_now_ms() >= deadline) {
			itest_show_log(f->log);
			fail_msg("%s: %d of %d reconnections after %d ms",
			    f->log, itest_reconnections(f->log), n,
			    ITEST_WAIT_MS);
		}
		itest_nap();
	}
}

/*
 * Stops the projector of itest_fx_start_projector() with SIGTERM: it must
 * exit within timeout_ms, with status 0 and no sanitizer report in f->log.
 */
void
itest_fx_stop_projector(struct itest_fx *f, int timeout_ms)
{
	int status;

	assert_int_equal(proc_signal(&f->p, SIGTERM), 0);
	if (proc_wait(&f->p, timeout_ms, &status) == -1) {
		itest_show_log(f->log);
		fail_msg("the projector still runs %d ms after SIGTERM",
		    timeout_ms);
	}
	itest_fx_assert_no_sanitizer(f->log);
	if (proc_exit_code(status) != 0) {
		itest_show_log(f->log);
		fail_msg("the projector exited %d after SIGTERM",
		    proc_exit_code(status));
	}
}

/*
 * Reads the state of the durable consumer of stream ITEST_STREAM from the
 * server of f into out (probe_consumer()), failing the test when it cannot
 * or when there is no such consumer.
 */
void
itest_fx_consumer(struct itest_fx *f, const char *consumer,
    struct probe_consumer *out)
{
	struct probe_nats pn;
	char err[1024];
	int rc;

	if (probe_nats_open(&pn, f->d.url, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	rc = probe_consumer(&pn, ITEST_STREAM, consumer, out, err,
	    sizeof(err));
	probe_nats_close(&pn);
	if (rc == -1)
		fail_msg("%s", err);
	if (rc == 1)
		fail_msg("stream %s has no consumer %s", ITEST_STREAM, consumer);
}

/*
 * Waits until the database at db has applied exactly want
 * (itest_wait_last_seq()), failing when it goes past, when ITEST_WAIT_MS
 * pass, or when the projector of f exits first.
 */
void
itest_fx_wait_last_seq(struct itest_fx *f, const char *db, long long want)
{
	char err[1024];

	if (itest_wait_last_seq(db, want, &f->p, ITEST_WAIT_MS, err,
	    sizeof(err)) == -1) {
		/* Its last words (a sanitizer's report) go with the dir. */
		itest_show_log(f->log);
		fail_msg("%s (log %s)", err, f->log);
	}
}

/*
 * Waits until at least min lines of the file at path contain every one of
 * the strings that follow (itest_wait_log()), failing, with f->log shown,
 * when ITEST_WAIT_MS pass or when the projector of f exits first.
 */
void
itest_fx_wait_log(struct itest_fx *f, const char *path, int min, ...)
{
	va_list ap;
	char err[1024];
	int rc;

	va_start(ap, min);
	rc = wait_log(&f->p, ITEST_WAIT_MS, min, err, sizeof(err), path, ap);
	va_end(ap);
	if (rc == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * Renders the rows of sql on the database at db into buf as itest_rows()
 * does, failing the test when it cannot. Returns buf.
 */
const char *
itest_fx_rows(const char *db, const char *sql, enum testdb_style style,
    char *buf, size_t len)
{
	char err[1024];

	if (itest_rows(db, sql, style, buf, len, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return buf;
}

/* itest_snapshot() of db on a connection of its own, or the test fails. */
json_t *
itest_fx_snapshot(const char *db)
{
	json_t *snap;
	char err[1024];

	if ((snap = itest_snapshot(NULL, db, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return snap;
}

/* Fails unless the contract queries of f->db answer expected.json. */
void
itest_fx_assert_contract(struct itest_fx *f)
{
	char err[1024];

	if (itest_contract(f->db, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/*
 * Fails, with f->log shown, unless the database at db is sound: PRAGMA
 * integrity_check answers "ok" (probe_integrity()).
 */
void
itest_fx_assert_integrity(struct itest_fx *f, const char *db)
{
	char err[1024];

	if (probe_integrity(db, err, sizeof(err)) == -1) {
		itest_show_log(f->log);
		fail_msg("%s", err);
	}
}

/*
 * Fails, with the log shown, when a sanitizer wrote a report into the log
 * at path.
 */
void
itest_fx_assert_no_sanitizer(const char *path)
{
	char line[1024];

	if (itest_sanitizer_report(path, line, sizeof(line))) {
		itest_show_log(path);
		fail_msg("%s: %s", path, line);
	}
}

/*
 * The main() of an integration test: runs the n tests with the group's
 * setup and teardown (NULL: none), only those that TEST_FILTER matches
 * when it is set (a pattern with * and ?, such as test_faults_kill_*),
 * then frees cnats' threads and global state for leak checkers. Returns
 * what cmocka returns: the number of tests that failed.
 */
int
itest_main(const struct CMUnitTest *tests, size_t n,
    int (*setup)(void **), int (*teardown)(void **))
{
	const char *only = getenv("TEST_FILTER");
	int failed;

	if (only != NULL && *only != '\0')
		cmocka_set_test_filter(only);
	/* What cmocka_run_group_tests() expands to, for an array's size. */
	failed = _cmocka_run_group_tests("tests", tests, n, setup, teardown);
	nats_CloseAndWait(5000);
	return failed;
}
