/*
 * history.c: a stream that forgets, for the tests of the event archive
 * (see history.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "history.h"
#include "natsd.h"
#include "probe.h"
#include "publish.h"
#include "stream.h"

int
history_fx_setup(void **state)
{
	struct history_fx *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	if (itest_fx_setup("itest-history-", 0, (void **)&h->f) == -1) {
		free(h);
		return -1;
	}
	itest_fx_path(h->f, "events.jsonl", h->events, sizeof(h->events));
	itest_fx_path(h->f, "ga-1.db", h->db_archive, sizeof(h->db_archive));
	itest_fx_path(h->f, "ga-2.db", h->db_noarchive,
	    sizeof(h->db_noarchive));
	snprintf(h->archive, sizeof(h->archive), "%s-archive", h->db_archive);
	*state = h;
	return 0;
}

int
history_fx_teardown(void **state)
{
	struct history_fx *h = *state;

	itest_fx_teardown((void **)&h->f);
	free(h);
	return 0;
}

/*
 * Generates events events (seed), starts the server, creates the stream
 * with max_msgs (0: no limit) and writes the configuration of the two
 * accounts, batches of batch events (0: the default).
 */
void
history_fx_start(struct history_fx *h, int events, unsigned long long seed,
    int64_t max_msgs, int batch)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	static const struct itest_account accts[] = {
		{ HISTORY_ARCHIVE, NULL, "ga-1.db", NULL, "p-ga-1", NULL },
		{ HISTORY_NOARCHIVE, NULL, "ga-2.db", NULL, "p-ga-2", "false" }
	};
	struct probe_nats pn;
	char err[1024];

	if (stream_generate(h->events, seed, events, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_start_natsd(h->f, NULL);
	if (probe_nats_open(&pn, h->f->d.url, err, sizeof(err)) == -1 ||
	    publish_create_stream_max(pn.nc, ITEST_STREAM, subjects, 1, max_msgs,
	    err, sizeof(err)) == -1) {
		probe_nats_close(&pn);
		fail_msg("%s", err);
	}
	probe_nats_close(&pn);
	h->max_msgs = max_msgs;
	assert_int_equal(itest_write_config(h->f->config, h->f->d.url, NULL,
	    batch, 0, accts, 2), 0);
}

/* Writes lines from..to (from 1) of the generated stream to path. */
static void
cut(const char *from_path, int from, int to, const char *path)
{
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if ((in = fopen(from_path, "re")) == NULL ||
	    (out = fopen(path, "we")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while (getline(&line, &cap, in) != -1 && ++n <= to)
		if (n >= from && fputs(line, out) == EOF)
			fail_msg("%s: %s", path, strerror(errno));
	free(line);
	fclose(in);
	if (fclose(out) != 0 || n < to)
		fail_msg("%s: %d lines, not %d", from_path, n, to);
}

/*
 * Publishes lines from..to of the generated stream in bursts; while the
 * projector runs, waits after each until both databases applied it.
 */
void
history_fx_publish(struct history_fx *h, int from, int to)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	char burst[ITEST_PATH_MAX], err[1024];
	uint64_t n;
	int first, last;

	itest_fx_path(h->f, "burst.jsonl", burst, sizeof(burst));
	for (first = from; first <= to; first = last + 1) {
		last = first + HISTORY_BURST - 1 < to ? first + HISTORY_BURST - 1 :
		    to;
		cut(h->events, first, last, burst);
		if (stream_publish_max(h->f->d.url, ITEST_STREAM, subjects, 1,
		    h->max_msgs, burst, &n, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		h->published += n;
		if (h->f->p.pid == 0 || proc_wait(&h->f->p, 0, NULL) == 0)
			continue;
		itest_fx_wait_last_seq(h->f, h->db_archive,
		    (long long)h->published);
		itest_fx_wait_last_seq(h->f, h->db_noarchive,
		    (long long)h->published);
	}
}

/* Reads the stream's first and last sequence (each may be NULL). */
void
history_fx_stream(struct history_fx *h, uint64_t *first, uint64_t *last)
{
	struct probe_nats pn;
	jsStreamInfo *si = NULL;
	char err[1024];

	if (probe_nats_open(&pn, h->f->d.url, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (js_GetStreamInfo(&si, pn.js, ITEST_STREAM, NULL, NULL) != NATS_OK) {
		probe_nats_close(&pn);
		fail_msg("stream info of %s", ITEST_STREAM);
	}
	if (first != NULL)
		*first = si->State.FirstSeq;
	if (last != NULL)
		*last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	probe_nats_close(&pn);
}

/* Returns archive's mark (the sequence it speaks up to), or -1. */
long long
history_mark(const char *archive)
{
	return itest_query_int(archive, "SELECT to_seq FROM archive_state");
}

/*
 * Fails unless `projector archive export` of account (in config) writes
 * the sequences 1 to n, each once, in order, each line a JSON object with
 * a subject and a payload.
 */
void
history_fx_assert_archive(struct itest_fx *f, const char *config,
    const char *account, long long n)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	json_error_t je;
	json_t *o;
	long long want = 1;

	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", config,
	    "--account", account, NULL), 0);
	if ((fp = fopen(f->out, "re")) == NULL)
		fail_msg("%s: %s", f->out, strerror(errno));
	while (getline(&line, &cap, fp) != -1) {
		if ((o = json_loads(line, 0, &je)) == NULL)
			fail_msg("%s:%lld: %s", f->out, want, je.text);
		if (json_integer_value(json_object_get(o, "seq")) != want ||
		    !json_is_string(json_object_get(o, "subject")) ||
		    !json_is_string(json_object_get(o, "payload")))
			fail_msg("%s: line %lld is not seq %lld: %s", f->out,
			    want, want, line);
		json_decref(o);
		want++;
	}
	free(line);
	fclose(fp);
	if (want - 1 != n)
		fail_msg("archive of %s: %lld messages, not %lld", account,
		    want - 1, n);
}

/* Fails, the stderr shown, unless a line of it holds both a and b. */
void
history_fx_assert_said(struct history_fx *h, const char *a, const char *b)
{
	char line[2048];

	if (itest_log_line(line, sizeof(line), h->f->err, a, b, NULL) == -1) {
		itest_show_log(h->f->err);
		fail_msg("%s: no line with '%s' and '%s'", h->f->err, a, b);
	}
}

/*
 * Returns what `projector status --json` says of account's archive (a new
 * reference: json_decref() it; JSON null for an account without one).
 */
json_t *
history_fx_archive_status(struct history_fx *h, const char *account)
{
	json_t *root, *a, *ar = NULL;
	json_error_t je;
	size_t i;

	assert_int_equal(itest_fx_run(h->f, "status", "-c", h->f->config,
	    "--json", NULL), 0);
	if ((root = json_load_file(h->f->out, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", h->f->out, je.line, je.text);
	json_array_foreach(json_object_get(root, "accounts"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "name")),
		    account) == 0)
			ar = json_incref(json_object_get(a, "archive"));
	json_decref(root);
	if (ar == NULL)
		fail_msg("status --json says nothing of account %s", account);
	return ar;
}
