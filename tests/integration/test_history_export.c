/*
 * test_history_export.c: `projector archive export` gives back every
 * message the archive holds, byte for byte.
 *
 * The fixture, then messages a JSON reader would choke on (a payload that
 * is not UTF-8, one with NUL bytes, an empty one, one on a subject no
 * projection knows), are folded by `run --once`; the export of the whole
 * archive must then hold, line by line, exactly what the stream stores:
 * the same sequence, subject, payload bytes (base64-decoded by OpenSSL
 * where the export says so) and stored time (read with js_GetMsg). A
 * range (--from, --to) exports just that range; an account without an
 * archive is refused with 78.
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
#include <nats/nats.h>
#include <openssl/evp.h>

#include "itest.h"
#include "probe.h"
#include "publish.h"

#define EXIT_CONFIG	78

static const struct {
	const char	*subject;
	const char	*payload;
	size_t		 len;
} odd[] = {
	{ "v0.rust.servers.7.events.started", "{\"x\":\"\xff\xfe\"}", 10 },
	{ "v0.rust.servers.7.events.started", "{\"a\":1}\0\0tail", 13 },
	{ "v0.rust.servers.7.events.stopped", "", 0 },
	{ "v0.rust.servers.7.events.nobody.knows", "{\"n\":null}", 10 },
};
#define NODD	(sizeof(odd) / sizeof(odd[0]))

static int
setup(void **state)
{
	return itest_fx_setup("itest-export-", 0, state);
}

/* Decodes base64 text with OpenSSL; returns the bytes (free()) and *len. */
static unsigned char *
unbase64(const char *text, size_t *len)
{
	size_t n = strlen(text);
	unsigned char *out = malloc(n / 4 * 3 + 3);
	int got;

	assert_non_null(out);
	got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
	assert_true(got >= 0);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (n >= 1 && text[n - 1] == '=')
		got--;
	if (n >= 2 && text[n - 2] == '=')
		got--;
	*len = (size_t)got;
	return out;
}

/* The bytes of key in o, decoded when flag says base64. */
static unsigned char *
bytes_of(const json_t *o, const char *key, const char *flag, size_t *len)
{
	const json_t *v = json_object_get(o, key);
	const char *enc = json_string_value(json_object_get(o, flag));
	unsigned char *b;

	assert_true(json_is_string(v));
	if (enc != NULL) {
		assert_string_equal(enc, "base64");
		return unbase64(json_string_value(v), len);
	}
	*len = json_string_length(v);
	assert_non_null(b = malloc(*len + 1));
	memcpy(b, json_string_value(v), *len);
	return b;
}

/*
 * Checks each line of path against what the stream stores at its seq,
 * and that the lines are seqs from to to, in order. Returns how many.
 */
static long long
check_export(struct itest_fx *f, jsCtx *js, const char *path, long long from,
    long long to)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, len;
	long long seq = from;
	json_error_t je;
	unsigned char *b;
	natsMsg *m;
	json_t *o;

	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while (getline(&line, &cap, fp) != -1) {
		if ((o = json_loads(line, 0, &je)) == NULL)
			fail_msg("%s: %s: %s", path, je.text, line);
		assert_int_equal(json_integer_value(json_object_get(o, "seq")),
		    seq);
		m = NULL;
		if (js_GetMsg(&m, js, ITEST_STREAM, (uint64_t)seq, NULL,
		    NULL) != NATS_OK)
			fail_msg("js_GetMsg %lld", seq);
		b = bytes_of(o, "subject", "subject_encoding", &len);
		assert_int_equal(len, strlen(natsMsg_GetSubject(m)));
		assert_memory_equal(b, natsMsg_GetSubject(m), len);
		free(b);
		b = bytes_of(o, "payload", "encoding", &len);
		assert_int_equal(len, (size_t)natsMsg_GetDataLength(m));
		if (len > 0)
			assert_memory_equal(b, natsMsg_GetData(m), len);
		free(b);
		assert_int_equal(json_integer_value(json_object_get(o,
		    "stored_ms")), natsMsg_GetTime(m) / 1000000);
		assert_int_equal(strlen(json_string_value(json_object_get(o,
		    "stored"))), 24);
		natsMsg_Destroy(m);
		json_decref(o);
		seq++;
	}
	free(line);
	fclose(fp);
	(void)f;
	assert_int_equal(seq - 1, to);
	return seq - from;
}

static void
test_history_export(void **state)
{
	struct itest_fx *f = *state;
	struct probe_nats pn;
	long long total = ITEST_NEVENTS + NODD;
	char err[1024], nostore[ITEST_PATH_MAX];
	static const struct itest_account none = { "ga-1", NULL, "ga-1.db",
	    NULL, NULL, "false" };
	size_t i;

	itest_fx_start_with_fixture(f, 0);
	if (probe_nats_open(&pn, f->d.url, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	for (i = 0; i < NODD; i++)
		if (publish_one(pn.js, odd[i].subject, odd[i].payload,
		    odd[i].len, err, sizeof(err)) == -1)
			fail_msg("%s", err);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 0);
	assert_int_equal(itest_last_seq(f->db), total);

	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    "--account", "ga-1", NULL), 0);
	assert_int_equal(check_export(f, pn.js, f->out, 1, total), total);
	/* The odd ones were written in base64 where JSON cannot hold them. */
	assert_int_equal(itest_log_count(f->out, "\"encoding\":\"base64\"",
	    NULL), 2);

	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    "--account", "ga-1", "--from", "100", "--to", "110", NULL), 0);
	assert_int_equal(check_export(f, pn.js, f->out, 100, 110), 11);
	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    "--account", "ga-1", "--from", "600", NULL), 0);
	assert_int_equal(check_export(f, pn.js, f->out, 600, total),
	    total - 599);

	/* Usage and an account without an archive. */
	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    NULL), 64);
	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", f->config,
	    "--account", "ga-1", "--from", "0", NULL), 64);
	itest_fx_path(f, "none.yaml", nostore, sizeof(nostore));
	itest_fx_write_accounts(f, nostore, &none, 1);
	assert_int_equal(itest_fx_run(f, "archive", "export", "-c", nostore,
	    "--account", "ga-1", NULL), EXIT_CONFIG);
	assert_int_equal(itest_log_count(f->err, "keeps no archive", NULL), 1);
	probe_nats_close(&pn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_export, setup,
		    itest_fx_teardown),
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
