/*
 * test_tenants.c: owners kept apart by NATS, and secrets kept out of
 * everything projector prints (issue 4, scenarios 8 and 9).
 *
 * Tenants. nats-server runs the recommended setup for GamingAPI owners,
 * tests/fixtures/nats/tenants.conf, with nkeys made here: accounts GA-1 and
 * GA-2, each with JetStream limits, a publisher user (the game servers) and
 * a projector user that may only read its own stream (`everything` in GA-1,
 * `events` in GA-2) through its consumers. GA-1 gets the gamingapi-small
 * fixture, GA-2 the same events from servers 201-203 instead of 101-103.
 * One projector with both accounts must fold each stream into its own file
 * exactly (run, replay, verify, status, a recreated consumer) without being
 * refused anything; the projector user must be refused anything else; and
 * GA-1's user pointed at GA-2's stream must stop with exit 77 and a line
 * that names the denied subject and says what to fix.
 *
 * Secrets. A secret file (token, password, nkey seed, creds) that group or
 * others can read draws a warning naming it. And with each way of logging
 * in, at the debug level, in both log formats, every command (check-config,
 * run, replay, verify, status) succeeding and failing (refused secret,
 * permission violation, server down then up) must keep every secret out of
 * its stdout and stderr.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <nats/nats.h>

#include "contract.h"
#include "itest.h"
#include "natsd.h"
#include "nkey.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

#define TENANTS_CONF	"tests/fixtures/nats/tenants.conf"
#define GA1_STREAM	ITEST_STREAM		/* "everything" */
#define GA2_STREAM	"events"
#define GA2_SERVER	'2'	/* GA-2's servers: 201-203, not 101-103 */
#define FORBIDDEN	"forbidden"	/* a stream no leg's user may read */
#define EX_NOPERM_	77	/* <sysexits.h> EX_NOPERM */
#define TN_BG		8	/* commands running at once in the background */
#define TN_ARGS		16
#define LEG_SECRETS	6
#define LEG_SECRET_LEN	2048	/* a JWT is about 600 characters */
#define TN_MODE_TOKEN	"tok-Mode-5Tq8Lw2Zx4"
#define TN_MODE_PASSWORD "pw-Mode-3Kd7Vn9Rb1"
#define TN_INLINE_PASSWORD "pw-Inline-7Hq2Kd9Zs4"
#define TN_URL_PASSWORD	"pw-Url-3Wm8Tc5Nv1Qa"
#define TN_URL_TOKEN	"tok-Url-6Pb4Xe1Jr8Lm"
#define SLICE_LEN	16	/* a piece of a secret that must not show */

/* A command started in the background, and where its output goes. */
struct bg {
	struct proc	p;
	char		out[ITEST_PATH_MAX];
	char		err[ITEST_PATH_MAX];
};

/*
 * One way of logging in, for the secrets sweep: the auth mappings of the
 * projector's configuration with the right secret, one the server refuses,
 * and the right one in a file that group can read; and the secrets (with
 * what each is, for messages that must not print them).
 */
struct leg {
	const char	*method;
	char		 auth[2 * ITEST_PATH_MAX];
	char		 wrong[2 * ITEST_PATH_MAX];
	char		 open[2 * ITEST_PATH_MAX];
	char		 open_file[ITEST_PATH_MAX];
	int		 restricted;	/* the user may not see FORBIDDEN */
	char		 secret[LEG_SECRETS][LEG_SECRET_LEN];
	const char	*name[LEG_SECRETS];
	size_t		 nsecrets;
};

/*
 * A test's state: the common fixture, the commands in the background, the
 * output files of every command so far (NN.out and NN.err in the temp dir),
 * the tenants' keys and seed files, and a leg of the secrets sweep.
 */
struct tenants {
	struct itest_fx	*f;
	struct bg	 bg[TN_BG];
	int		 nout;
	char		 out[ITEST_PATH_MAX];	/* of the last command */
	char		 err[ITEST_PATH_MAX];
	struct nkey	 ga1_pub, ga1_proj, ga2_pub, ga2_proj;
	char		 ga1_pub_seed[ITEST_PATH_MAX];	/* their seed files */
	char		 ga1_proj_seed[ITEST_PATH_MAX];
	char		 ga2_pub_seed[ITEST_PATH_MAX];
	char		 ga2_proj_seed[ITEST_PATH_MAX];
	struct leg	 leg;
};

static const char *const subjects[] = { ITEST_SUBJECTS };
static const char *const formats[] = { "logfmt", "json" };
#define NFORMATS	(sizeof(formats) / sizeof(formats[0]))

static int
setup(void **state)
{
	struct tenants *t;
	void *f;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if (itest_fx_setup("itest-tenants-", 1, &f) == -1) {
		free(t);
		return -1;
	}
	t->f = f;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tenants *t = *state;
	void *f = t->f;
	size_t i;

	for (i = 0; i < TN_BG; i++)
		proc_release(&t->bg[i].p);
	explicit_bzero(t, sizeof(*t));
	free(t);
	return itest_fx_teardown(&f);
}

/* ---- running the projector ---- */

/*
 * Fills argv with the projector, args (NULL-terminated) and, when format
 * is not NULL, the options for that log format at the debug level.
 */
static void
build_argv(struct tenants *t, const char *format, const char *const args[],
    char *argv[TN_ARGS])
{
	size_t n = 0, i;

	argv[n++] = t->f->bin;
	for (i = 0; args[i] != NULL; i++) {
		assert_true(n < TN_ARGS - 6);
		argv[n++] = (char *)args[i];
	}
	if (format != NULL) {
		argv[n++] = "--log-format";
		argv[n++] = (char *)format;
		argv[n++] = "--log-level";
		argv[n++] = "debug";
	}
	argv[n] = NULL;
}

/* Names the next pair of output files, NN.out and NN.err, in the temp dir. */
static void
next_output(struct tenants *t, char *out, char *err)
{
	char name[32];

	snprintf(name, sizeof(name), "%02d.out", t->nout);
	itest_fx_path(t->f, name, out, ITEST_PATH_MAX);
	snprintf(name, sizeof(name), "%02d.err", t->nout);
	itest_fx_path(t->f, name, err, ITEST_PATH_MAX);
	t->nout++;
}

/*
 * Runs the projector with args (and the log options of format, see
 * build_argv()) to its end, its output in the next pair of files (t->out
 * and t->err then). Fails when it cannot run, still runs after
 * ITEST_RUN_MS, or a sanitizer reported. Returns its exit code.
 */
static int
command(struct tenants *t, const char *format, const char *const args[])
{
	char *argv[TN_ARGS];
	int code = -1;

	build_argv(t, format, args, argv);
	next_output(t, t->out, t->err);
	if (proc_run(argv, ITEST_RUN_MS, &code, t->out, t->err) == -1)
		fail_msg("%s %s: cannot run, or still running after %d ms",
		    argv[0], args[0], ITEST_RUN_MS);
	itest_fx_assert_no_sanitizer(t->err);
	return code;
}

/* command() that must exit with code; shows its stderr when it does not. */
static void
expect(struct tenants *t, int code, const char *format,
    const char *const args[])
{
	int got = command(t, format, args);

	if (got != code) {
		itest_show_log(t->err);
		fail_msg("projector %s exited %d, not %d", args[0], got, code);
	}
}

/* Starts the projector as command() does, in the background; returns it. */
static struct bg *
start(struct tenants *t, const char *format, const char *const args[])
{
	char *argv[TN_ARGS], err[512];
	struct bg *b;
	size_t i;

	for (i = 0; i < TN_BG; i++)
		if (t->bg[i].p.pid <= 0 || t->bg[i].p.reaped)
			break;
	assert_true(i < TN_BG);
	b = &t->bg[i];
	memset(&b->p, 0, sizeof(b->p));
	build_argv(t, format, args, argv);
	next_output(t, b->out, b->err);
	if (proc_start_env(&b->p, argv, NULL, b->out, b->err, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return b;
}

/* Waits for b to exit by itself; returns its exit code. */
static int
finish(struct bg *b)
{
	int status;

	if (proc_wait(&b->p, ITEST_RUN_MS, &status) == -1) {
		itest_show_log(b->err);
		fail_msg("the projector still runs after %d ms", ITEST_RUN_MS);
	}
	itest_fx_assert_no_sanitizer(b->err);
	return proc_exit_code(status);
}

/* Stops b with SIGTERM: it must exit 0 within ITEST_STOP_MS. */
static void
stop(struct bg *b)
{
	int status;

	if (proc_stop(&b->p, ITEST_STOP_MS, &status) == -1)
		fail_msg("cannot stop the projector: %s", strerror(errno));
	itest_fx_assert_no_sanitizer(b->err);
	if (proc_exit_code(status) != 0) {
		itest_show_log(b->err);
		fail_msg("the projector exited %d after SIGTERM",
		    proc_exit_code(status));
	}
}

/* Waits until b's stderr has a line holding every one of the strings. */
static void
wait_log(struct bg *b, const char *s1, const char *s2)
{
	char err[1024];

	if (itest_wait_log(&b->p, ITEST_WAIT_MS, 1, err, sizeof(err), b->err,
	    s1, s2, NULL) == -1) {
		itest_show_log(b->err);
		fail_msg("%s", err);
	}
}

/* ---- checking the output ---- */

/*
 * Fails when an output file of any command so far shows one of the leg's
 * secrets, whole or a piece of SLICE_LEN characters from its middle (a
 * line cut short, say). The message names the secret, never prints it.
 */
static void
assert_no_secret(struct tenants *t, const struct leg *l)
{
	char path[ITEST_PATH_MAX], name[32], slice[SLICE_LEN + 1], *text;
	const char *s;
	size_t i, k, len;
	int n;

	for (n = 0; n < t->nout; n++)
		for (k = 0; k < 2; k++) {
			snprintf(name, sizeof(name), "%02d.%s", n,
			    k == 0 ? "out" : "err");
			itest_fx_path(t->f, name, path, sizeof(path));
			if (tmp_read_file(path, &text, NULL) == -1)
				continue;	/* never written */
			for (i = 0; i < l->nsecrets; i++) {
				s = l->secret[i];
				len = strlen(s);
				assert_true(len >= SLICE_LEN);
				snprintf(slice, sizeof(slice), "%.*s",
				    SLICE_LEN, s + (len - SLICE_LEN) / 2);
				if (strstr(text, s) != NULL ||
				    strstr(text, slice) != NULL) {
					free(text);
					fail_msg("%s shows the %s (%s)", path,
					    l->name[i], l->method);
				}
			}
			free(text);
		}
}

/*
 * Copies into line the last line of the file at path that holds both s1
 * and s2: the one a process stopped with. Returns 0, or -1 when none does.
 */
static int
last_line(const char *path, const char *s1, const char *s2, char *line,
    size_t len)
{
	char *text, cur[4096];
	const char *p, *end;
	int found = -1;

	if (tmp_read_file(path, &text, NULL) == -1)
		return -1;
	for (p = text; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, "\n");
		snprintf(cur, sizeof(cur), "%.*s", (int)(end - p), p);
		if (strstr(cur, s1) != NULL && strstr(cur, s2) != NULL) {
			snprintf(line, len, "%s", cur);
			found = 0;
		}
	}
	free(text);
	return found;
}

/* Fails when the server refused the projector anything. */
static void
assert_no_violation(struct tenants *t)
{
	char line[2048];

	if (itest_log_line(line, sizeof(line), t->f->d.log, "Violation",
	    NULL) == 0)
		fail_msg("nats-server refused something: %s", line);
}

/*
 * Waits until the server's log shows that it refused subject to a client
 * (kind: "Publish" or "Subscription").
 */
static void
wait_violation(struct tenants *t, const char *kind, const char *subject)
{
	char what[256], v[64], err[1024];

	snprintf(v, sizeof(v), "%s Violation", kind);
	snprintf(what, sizeof(what), "Subject \"%s\"", subject);
	if (itest_wait_log(NULL, ITEST_WAIT_MS, 1, err, sizeof(err),
	    t->f->d.log, v, what, NULL) == -1)
		fail_msg("the projector's user was not refused %s: %s",
		    subject, err);
}

/* ---- the tenants: GA-1 and GA-2 ---- */

/*
 * Returns text (to free()) with every "@NAME@" of the NULL-terminated
 * pairs { "@NAME@", value } replaced by its value.
 */
static char *
fill(const char *text, const char *const pairs[][2])
{
	char *out, *p;
	const char *at;
	size_t i, len = strlen(text) + 1;

	for (i = 0; pairs[i][0] != NULL; i++)
		len += strlen(pairs[i][1]) * 4;	/* each used at most 4 times */
	assert_non_null(out = malloc(len));
	p = out;
	while (*text != '\0') {
		for (i = 0; pairs[i][0] != NULL; i++)
			if (strncmp(text, pairs[i][0],
			    strlen(pairs[i][0])) == 0)
				break;
		if (pairs[i][0] == NULL) {
			*p++ = *text++;
			continue;
		}
		at = pairs[i][1];
		assert_true((size_t)(p - out) + strlen(at) < len);
		p = stpcpy(p, at);
		text += strlen(pairs[i][0]);
	}
	*p = '\0';
	return out;
}

/* Connects to url with opts (consumed); fails the test when it cannot. */
static natsConnection *
connect_with(const char *url, natsOptions *opts)
{
	natsConnection *nc = NULL;
	char err[1024];
	int rc;

	rc = publish_connect_opts(url, opts, &nc, err, sizeof(err));
	natsOptions_Destroy(opts);
	if (rc == -1)
		fail_msg("%s", err);
	return nc;
}

/* Options that log in as the nkey k, whose seed is in the file seed. */
static natsOptions *
nkey_options(const struct nkey *k, const char *seed)
{
	natsOptions *opts = NULL;

	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	assert_int_equal(natsOptions_SetNKeyFromSeed(opts, k->pub, seed),
	    NATS_OK);
	return opts;
}

/*
 * Makes the tenants' four users and their seed files, and starts
 * nats-server with tenants.conf filled in with their public keys. A
 * machine without nats-server skips the test.
 */
static void
start_tenants(struct tenants *t)
{
	char *tmpl, *conf;

	nkey_new(NKEY_PREFIX_USER, &t->ga1_pub);
	nkey_new(NKEY_PREFIX_USER, &t->ga1_proj);
	nkey_new(NKEY_PREFIX_USER, &t->ga2_pub);
	nkey_new(NKEY_PREFIX_USER, &t->ga2_proj);
	itest_fx_write_secret(t->f, "ga1-publisher.nk", t->ga1_pub.seed,
	    0600, t->ga1_pub_seed, sizeof(t->ga1_pub_seed));
	itest_fx_write_secret(t->f, "ga1-projector.nk", t->ga1_proj.seed,
	    0600, t->ga1_proj_seed, sizeof(t->ga1_proj_seed));
	itest_fx_write_secret(t->f, "ga2-publisher.nk", t->ga2_pub.seed,
	    0600, t->ga2_pub_seed, sizeof(t->ga2_pub_seed));
	itest_fx_write_secret(t->f, "ga2-projector.nk", t->ga2_proj.seed,
	    0600, t->ga2_proj_seed, sizeof(t->ga2_proj_seed));

	if (tmp_read_file(TENANTS_CONF, &tmpl, NULL) == -1)
		fail_msg("%s: %s", TENANTS_CONF, strerror(errno));
	conf = fill(tmpl, (const char *const[][2]){
		{ "@GA1_PUBLISHER@", t->ga1_pub.pub },
		{ "@GA1_PROJECTOR@", t->ga1_proj.pub },
		{ "@GA2_PUBLISHER@", t->ga2_pub.pub },
		{ "@GA2_PROJECTOR@", t->ga2_proj.pub },
		{ NULL, NULL } });
	free(tmpl);
	assert_null(strstr(conf, "@GA"));	/* no placeholder left */
	itest_fx_start_natsd(t->f, conf);
	free(conf);
}

/* GA-2's subject for a fixture subject: server 1xx becomes 2xx. */
static void
ga2_subject(const char *subject, char *buf, size_t len)
{
	static const char prefix[] = "v0.rust.servers.1";
	const size_t n = sizeof(prefix) - 1;

	if (strncmp(subject, prefix, n) != 0)
		fail_msg("a fixture subject of another form: %s", subject);
	snprintf(buf, len, "%s", subject);
	buf[n - 1] = GA2_SERVER;
}

/*
 * Publishes, as the accounts' publishers, the fixture into GA-1's stream
 * and the same events of servers 2xx into GA-2's.
 */
static void
feed_tenants(struct tenants *t)
{
	struct itest_fixture *fx = &t->f->events;
	natsConnection *nc;
	jsCtx *js = NULL;
	char err[1024], subject[512];
	size_t i;

	itest_fx_publish_fixture(t->f, NULL, nkey_options(&t->ga1_pub,
	    t->ga1_pub_seed));
	nc = connect_with(t->f->d.url, nkey_options(&t->ga2_pub,
	    t->ga2_pub_seed));
	if (publish_create_stream(nc, GA2_STREAM, subjects, 1, err,
	    sizeof(err)) == -1 || publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("GA-2's publisher: %s", err);
	assert_int_equal(fx->n, ITEST_NEVENTS);
	for (i = 0; i < fx->n; i++) {
		ga2_subject(fx->ev[i].subject, subject, sizeof(subject));
		if (publish_one(js, subject, fx->ev[i].payload, fx->ev[i].len,
		    err, sizeof(err)) == -1)
			fail_msg("GA-2's publisher: %s", err);
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/* The auth mapping of a tenant's projector user (key k, seed file seed). */
static void
tenant_auth(const struct nkey *k, const char *seed, char *buf, size_t len)
{
	snprintf(buf, len, "{ nkey: %s, nkey_seed_file: \"%s\" }", k->pub,
	    seed);
}

/*
 * The fixture's expected answer as GA-2's database must give it: the same,
 * with servers 2xx for 1xx. Returns it, to json_decref().
 */
static json_t *
ga2_expected(void)
{
	const struct contract_query *q;
	json_error_t je;
	json_t *expected, *rows, *row, *v;
	char id[64];
	size_t i, j, c;

	if ((expected = json_load_file(ITEST_EXPECTED, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", ITEST_EXPECTED, je.line, je.text);
	for (i = 0; i < contract_nqueries; i++) {
		q = &contract_queries[i];
		for (c = 0; q->columns[c] != NULL; c++)
			if (strcmp(q->columns[c], "server_id") == 0)
				break;
		if (q->columns[c] == NULL)
			continue;
		rows = json_object_get(expected, q->name);
		json_array_foreach(rows, j, row) {
			v = json_array_get(row, c);
			assert_true(json_is_string(v));
			snprintf(id, sizeof(id), "%s", json_string_value(v));
			assert_int_equal(id[0], '1');
			id[0] = GA2_SERVER;
			json_array_set_new(row, c, json_string(id));
		}
	}
	return expected;
}

/*
 * Fails unless the contract queries of GA-2's database at db give
 * ga2_expected(), showing the stderr of the last command when they do not.
 */
static void
assert_ga2(struct tenants *t, const char *db)
{
	json_t *expected = ga2_expected();
	char err[1024];
	int rc;

	rc = itest_diff(db, expected, err, sizeof(err));
	json_decref(expected);
	if (rc == -1) {
		itest_show_log(t->err);
		fail_msg("%s: %s", db, err);
	}
}

/*
 * Fails unless the contract queries of GA-1's database at db give
 * expected.json, showing the stderr of the last command when they do not.
 */
static void
assert_ga1(struct tenants *t, const char *db)
{
	char err[1024];

	if (itest_contract(db, err, sizeof(err)) == -1) {
		itest_show_log(t->err);
		fail_msg("%s", err);
	}
}

/* Removes a database and its -wal and -shm files. */
static void
remove_db(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[ITEST_PATH_MAX + 8];
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			fail_msg("%s: %s", path, strerror(errno));
	}
}

/* The number of consumers of GA-2's stream, asked as GA-2's publisher. */
static int64_t
ga2_consumers(struct tenants *t)
{
	natsConnection *nc;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	int64_t n;

	nc = connect_with(t->f->d.url, nkey_options(&t->ga2_pub,
	    t->ga2_pub_seed));
	assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
	assert_int_equal(js_GetStreamInfo(&si, js, GA2_STREAM, NULL, &jerr),
	    NATS_OK);
	n = si->State.Consumers;
	assert_int_equal(si->State.Msgs, ITEST_NEVENTS);
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
}

/* ---- scenario 8: tenants ---- */

/*
 * One projector, both accounts, each with its least-privilege user and its
 * own file: each file holds its own owner's events exactly, through run,
 * replay, verify, status, and run again with a consumer that must be
 * deleted and created again; and the server never refused a thing.
 */
static void
test_tenants_isolated(void **state)
{
	struct tenants *t = *state;
	struct itest_fx *f = t->f;
	char auth1[2 * ITEST_PATH_MAX], auth2[2 * ITEST_PATH_MAX];
	char db2[ITEST_PATH_MAX];
	const char *cfg = f->config;

	start_tenants(t);
	feed_tenants(t);
	tenant_auth(&t->ga1_proj, t->ga1_proj_seed, auth1, sizeof(auth1));
	tenant_auth(&t->ga2_proj, t->ga2_proj_seed, auth2, sizeof(auth2));
	itest_fx_write_accounts(f, cfg, (const struct itest_account[]){
		{ "ga-1", auth1, "ga-1.db", GA1_STREAM, NULL },
		{ "ga-2", auth2, "ga-2.db", GA2_STREAM, NULL } }, 2);
	itest_fx_path(f, "ga-2.db", db2, sizeof(db2));

	expect(t, 0, NULL, (const char *const[]){ "run", "-c", cfg, "--once",
	    NULL });
	assert_no_violation(t);
	assert_ga1(t, f->db);
	assert_ga2(t, db2);

	/* The replay's own consumers, and the views swapped in. */
	expect(t, 0, NULL, (const char *const[]){ "replay", "-c", cfg,
	    "--once", NULL });
	assert_no_violation(t);
	assert_ga1(t, f->db);
	assert_ga2(t, db2);
	expect(t, 0, NULL, (const char *const[]){ "verify", "-c", cfg, NULL });

	expect(t, 0, NULL, (const char *const[]){ "status", "-c", cfg, NULL });
	assert_int_equal(itest_log_count(t->out, "account ga-1",
	    "stream " GA1_STREAM " (last seq 600)", "(pending 0)", NULL), 1);
	assert_int_equal(itest_log_count(t->out, "account ga-2",
	    "stream " GA2_STREAM " (last seq 600)", "(pending 0)", NULL), 1);
	assert_int_equal(itest_log_count(t->out, "nats:", NULL), 0);

	/*
	 * GA-1's file lost: its durable consumer, acknowledged to 600, must
	 * be deleted and created again at 1.
	 */
	remove_db(f->db);
	expect(t, 0, NULL, (const char *const[]){ "run", "-c", cfg, "--once",
	    NULL });
	assert_int_equal(itest_log_count(t->err, "consumer positioned",
	    "account=ga-1", "recreated=1", NULL), 1);
	assert_ga1(t, f->db);
	assert_ga2(t, db2);
	assert_no_violation(t);

	/* The seeds are 0600 and never shown. */
	assert_int_equal(itest_log_count(t->err, "readable by others", NULL),
	    0);
	snprintf(t->leg.secret[0], LEG_SECRET_LEN, "%s", t->ga1_proj.seed);
	snprintf(t->leg.secret[1], LEG_SECRET_LEN, "%s", t->ga2_proj.seed);
	t->leg.name[0] = "GA-1 projector's seed";
	t->leg.name[1] = "GA-2 projector's seed";
	t->leg.nsecrets = 2;
	t->leg.method = "nkey";
	assert_no_secret(t, &t->leg);
}

/*
 * The projector user of GA-1 may do nothing but read its stream: the
 * server refuses it publishing events, deleting or purging the stream,
 * reading messages directly, making another durable consumer, asking for
 * GA-2's stream, and listening to the events. The stream is intact after.
 */
static void
test_tenants_least_privilege(void **state)
{
	static const char *const refused[] = {
		"v0.rust.servers.101.events.started",
		"$JS.API.STREAM.DELETE." GA1_STREAM,
		"$JS.API.STREAM.PURGE." GA1_STREAM,
		"$JS.API.STREAM.MSG.GET." GA1_STREAM,
		"$JS.API.CONSUMER.DURABLE.CREATE." GA1_STREAM ".other",
		"$JS.API.STREAM.INFO." GA2_STREAM,
		"$JS.API.STREAM.NAMES",
	};
	struct tenants *t = *state;
	natsConnection *nc;
	natsSubscription *sub = NULL;
	uint64_t msgs = 0, last = 0;
	char err[1024];
	size_t i;

	start_tenants(t);
	feed_tenants(t);
	nc = connect_with(t->f->d.url, nkey_options(&t->ga1_proj,
	    t->ga1_proj_seed));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(natsConnection_PublishString(nc, refused[i],
		    "{}"), NATS_OK);
		assert_int_equal(natsConnection_Flush(nc), NATS_OK);
		wait_violation(t, "Publish", refused[i]);
	}
	assert_int_equal(natsConnection_SubscribeSync(&sub, nc,
	    ITEST_SUBJECTS), NATS_OK);
	assert_int_equal(natsConnection_Flush(nc), NATS_OK);
	wait_violation(t, "Subscription", ITEST_SUBJECTS);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);

	nc = connect_with(t->f->d.url, nkey_options(&t->ga1_pub,
	    t->ga1_pub_seed));
	if (publish_stream_info(nc, GA1_STREAM, &msgs, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	assert_int_equal(msgs, ITEST_NEVENTS);
	assert_int_equal(last, ITEST_NEVENTS);
}

/*
 * Writes a configuration for GA-1's projector user pointed at GA-2's
 * stream, which only GA-2 has, with database foreign.db (its path in db).
 */
static void
write_foreign_config(struct tenants *t, char *db, size_t len)
{
	char auth[2 * ITEST_PATH_MAX];

	tenant_auth(&t->ga1_proj, t->ga1_proj_seed, auth, sizeof(auth));
	itest_fx_write_accounts(t->f, NULL, (const struct itest_account[]){
		{ "ga-1", auth, "foreign.db", GA2_STREAM, NULL } }, 1);
	itest_fx_path(t->f, "foreign.db", db, len);
}

/*
 * Checks what a command that ran into the denied subject said and did:
 * a line at level error names the subject and the account and says what
 * to fix (allow it to the user on the server, or correct the stream in
 * the configuration); nothing was folded; GA-2's stream did not get a
 * consumer; and the exit code is 77 (EX_NOPERM).
 */
static void
assert_denied(struct tenants *t, int code, const char *db)
{
	static const char subject[] = "$JS.API.STREAM.INFO." GA2_STREAM;
	char line[4096];

	wait_violation(t, "Publish", subject);
	if (itest_log_count(t->err, "level=error", subject, "account=ga-1",
	    NULL) == 0 || last_line(t->err, "level=error", subject, line,
	    sizeof(line)) == -1) {
		itest_show_log(t->err);
		fail_msg("no error line names the denied subject %s and the"
		    " account", subject);
	}
	assert_true(itest_query_int(db, "SELECT count(*) FROM servers") <= 0);
	assert_int_equal(ga2_consumers(t), 0);
	if (code != EX_NOPERM_) {
		itest_show_log(t->err);
		fail_msg("exit code %d, not %d (EX_NOPERM)", code, EX_NOPERM_);
	}
	if (itest_log_count(t->err, "level=error", subject, "allow", NULL) +
	    itest_log_count(t->err, "level=error", subject, "grant", NULL) +
	    itest_log_count(t->err, "level=error", subject, t->f->config,
	    NULL) == 0) {
		itest_show_log(t->err);
		fail_msg("the error names the subject but not what to fix"
		    " (allow it to the user on the server, or the stream in"
		    " %s): %s", t->f->config, line);
	}
}

/* GA-1's user pointed at GA-2's stream: run stops, 77, naming the subject. */
static void
test_tenants_foreign_stream_run(void **state)
{
	struct tenants *t = *state;
	char db[ITEST_PATH_MAX];
	int code;

	start_tenants(t);
	feed_tenants(t);
	write_foreign_config(t, db, sizeof(db));
	code = command(t, NULL, (const char *const[]){ "run", "-c",
	    t->f->config, "--once", NULL });
	assert_denied(t, code, db);
}

/* The same for replay, whose reader is a consumer of its own. */
static void
test_tenants_foreign_stream_replay(void **state)
{
	struct tenants *t = *state;
	char db[ITEST_PATH_MAX];
	int code;

	start_tenants(t);
	feed_tenants(t);
	write_foreign_config(t, db, sizeof(db));
	code = command(t, NULL, (const char *const[]){ "replay", "-c",
	    t->f->config, "--once", NULL });
	assert_denied(t, code, db);
}

/* ---- scenario 9: secrets ---- */

/* Adds a secret the leg's output must never show. */
static void
leg_secret(struct leg *l, const char *name, const char *secret)
{
	assert_true(l->nsecrets < LEG_SECRETS);
	assert_true(strlen(secret) < LEG_SECRET_LEN);
	snprintf(l->secret[l->nsecrets], LEG_SECRET_LEN, "%s", secret);
	l->name[l->nsecrets++] = name;
}

/*
 * Every kind of secret file, readable by group or by others in any way,
 * draws from check-config one warning that names the account and the
 * file; one that only its owner can read draws none.
 */
static void
test_tenants_secret_modes(void **state)
{
	static const struct {
		const char	*account;
		const char	*file;
		mode_t		 mode;
		int		 warned;
	} files[] = {
		{ "tok", "a.token", 0640, 1 },
		{ "pass", "a.pass", 0604, 1 },
		{ "seed", "a.nk", 0644, 1 },
		{ "creds", "a.creds", 0660, 1 },
		{ "pass-ok", "b.pass", 0600, 0 },
		{ "seed-ok", "b.nk", 0400, 0 },
		{ "creds-ok", "b.creds", 0600, 0 },
	};
	struct tenants *t = *state;
	struct itest_fx *f = t->f;
	struct itest_account a[sizeof(files) / sizeof(files[0])];
	char auth[sizeof(files) / sizeof(files[0])][2 * ITEST_PATH_MAX];
	char path[ITEST_PATH_MAX], db[sizeof(files) / sizeof(files[0])][32];
	char line[4096], *jwt, *creds;
	struct nkey acct, user;
	size_t i;

	nkey_new(NKEY_PREFIX_ACCOUNT, &acct);
	nkey_new(NKEY_PREFIX_USER, &user);
	jwt = nkey_user_jwt(&acct, &user, "projector", NULL, NULL);
	creds = nkey_creds(jwt, user.seed);
	leg_secret(&t->leg, "token", TN_MODE_TOKEN);
	leg_secret(&t->leg, "password", TN_MODE_PASSWORD);
	leg_secret(&t->leg, "nkey seed", user.seed);
	leg_secret(&t->leg, "JWT", jwt);
	t->leg.method = "check-config";
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *ext = strrchr(files[i].file, '.') + 1;

		itest_fx_path(f, files[i].file, path, sizeof(path));
		if (strcmp(ext, "token") == 0) {
			itest_fx_write_file(path, TN_MODE_TOKEN "\n",
			    files[i].mode);
			snprintf(auth[i], sizeof(auth[i]), "{ token_file: %s }",
			    files[i].file);
		} else if (strcmp(ext, "pass") == 0) {
			itest_fx_write_file(path, TN_MODE_PASSWORD "\n",
			    files[i].mode);
			snprintf(auth[i], sizeof(auth[i]), "{ user: projector,"
			    " password_file: %s }", files[i].file);
		} else if (strcmp(ext, "nk") == 0) {
			itest_fx_write_file(path, user.seed, files[i].mode);
			snprintf(auth[i], sizeof(auth[i]), "{ nkey: %s,"
			    " nkey_seed_file: %s }", user.pub, files[i].file);
		} else {
			itest_fx_write_file(path, creds, files[i].mode);
			snprintf(auth[i], sizeof(auth[i]), "{ creds_file: %s }",
			    files[i].file);
		}
		snprintf(db[i], sizeof(db[i]), "%s.db", files[i].account);
		a[i] = (struct itest_account){ files[i].account, auth[i], db[i],
		    GA1_STREAM, NULL };
	}
	explicit_bzero(creds, strlen(creds));
	free(creds);
	free(jwt);
	/* No server: check-config touches no network. */
	itest_fx_write_accounts(f, NULL, a, i);

	expect(t, 0, NULL, (const char *const[]){ "check-config", "-c",
	    f->config, NULL });
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char acct_kv[64];

		itest_fx_path(f, files[i].file, path, sizeof(path));
		snprintf(acct_kv, sizeof(acct_kv), "account=%s ",
		    files[i].account);
		if (itest_log_count(t->err, "readable by others", acct_kv,
		    NULL) != files[i].warned) {
			itest_show_log(t->err);
			fail_msg("%s (mode %04o): %d warnings, want %d", path,
			    (unsigned)files[i].mode, itest_log_count(t->err,
			    "readable by others", acct_kv, NULL),
			    files[i].warned);
		}
		if (files[i].warned && (itest_log_line(line, sizeof(line),
		    t->err, "readable by others", acct_kv, NULL) == -1 ||
		    strstr(line, "level=warn") == NULL ||
		    strstr(line, path) == NULL))
			fail_msg("not a warn line naming %s: %s", path, line);
	}
	assert_no_secret(t, &t->leg);
	explicit_bzero(&user, sizeof(user));
}

/*
 * A secret written into the configuration itself, inline or in a server
 * URL, is refused (78) by check-config and run with one line that does
 * not repeat it.
 */
static void
test_tenants_secrets_inline(void **state)
{
	static const char *const configs[] = {
		"nats:\n  servers: [nats://127.0.0.1:1]\naccounts:\n"
		"  - name: ga-1\n"
		"    auth: { user: projector, password: " TN_INLINE_PASSWORD " }\n"
		"    stream: everything\n    database: ga-1.db\n",
		"nats:\n  servers: [nats://projector:" TN_URL_PASSWORD
		"@127.0.0.1:1]\naccounts:\n"
		"  - name: ga-1\n    stream: everything\n    database: ga-1.db\n",
		"nats:\n  servers: [nats://" TN_URL_TOKEN "@127.0.0.1:1]\n"
		"accounts:\n"
		"  - name: ga-1\n    stream: everything\n    database: ga-1.db\n",
	};
	static const char *const commands[] = { "check-config", "run" };
	struct tenants *t = *state;
	size_t i, j, k;

	t->leg.method = "inline";
	leg_secret(&t->leg, "inline password", TN_INLINE_PASSWORD);
	leg_secret(&t->leg, "password in a URL", TN_URL_PASSWORD);
	leg_secret(&t->leg, "token in a URL", TN_URL_TOKEN);
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		itest_fx_write_file(t->f->config, configs[i], 0600);
		for (j = 0; j < sizeof(commands) / sizeof(commands[0]); j++)
			for (k = 0; k < NFORMATS; k++) {
				expect(t, 78, formats[k], (const char *const[]){
				    commands[j], "-c", t->f->config, NULL });
				if (itest_log_count(t->err, "", NULL) != 1) {
					itest_show_log(t->err);
					fail_msg("%s: not one line", commands[j]);
				}
			}
	}
	assert_no_secret(t, &t->leg);
	assert_int_equal(access(t->f->db, F_OK), -1);
}

/*
 * Writes the configuration cfg-<tag>.yaml (its path into cfg): the leg's
 * account ga-1 with auth, its stream, database <tag>.db (its path into db
 * when db is not NULL) and a durable consumer <tag> of its own, so that
 * commands running at once never share one.
 */
static void
leg_config(struct tenants *t, const char *tag, const char *auth,
    const char *stream, char *cfg, char *db)
{
	char name[64], dbname[64];

	snprintf(name, sizeof(name), "cfg-%s.yaml", tag);
	snprintf(dbname, sizeof(dbname), "%s.db", tag);
	itest_fx_path(t->f, name, cfg, ITEST_PATH_MAX);
	itest_fx_write_accounts(t->f, cfg, (const struct itest_account[]){
		{ "ga-1", auth, dbname, stream, tag } }, 1);
	if (db != NULL)
		itest_fx_path(t->f, dbname, db, ITEST_PATH_MAX);
}

/*
 * The secrets sweep, on a server that knows the leg's user and holds the
 * fixture in stream `everything`: in both log formats at the debug level,
 * check-config, run, replay, verify and status with the right secret; run
 * with the secret in a file group can read (a warning naming it); status
 * and run with a secret the server refuses; run, replay and status into a
 * permission violation (when the leg's user has permissions); status,
 * run and replay while the server is down, until it is back. Then no
 * output of any of them may show a secret.
 */
static void
sweep(struct tenants *t, struct leg *l)
{
	struct itest_fx *f = t->f;
	struct bg *b[TN_BG];
	char cfg[ITEST_PATH_MAX], db[ITEST_PATH_MAX], tag[64];
	char line[4096];
	size_t i, k, n;

	/* The right secret: every command succeeds. */
	for (i = 0; i < NFORMATS; i++) {
		const char *fm = formats[i];

		leg_config(t, fm, l->auth, GA1_STREAM, cfg, db);
		expect(t, 0, fm, (const char *const[]){ "check-config", "-c",
		    cfg, NULL });
		expect(t, 0, fm, (const char *const[]){ "run", "-c", cfg,
		    "--once", NULL });
		assert_ga1(t, db);
		assert_int_equal(itest_log_count(t->err, "readable by others",
		    NULL), 0);
		expect(t, 0, fm, (const char *const[]){ "replay", "-c", cfg,
		    "--once", NULL });
		assert_ga1(t, db);
		expect(t, 0, fm, (const char *const[]){ "verify", "-c", cfg,
		    NULL });
		expect(t, 0, fm, (const char *const[]){ "status", "-c", cfg,
		    NULL });
		expect(t, 0, fm, (const char *const[]){ "status", "-c", cfg,
		    "--json", NULL });
	}

	/* The right secret in a file that group can read: used, and named. */
	leg_config(t, "open", l->open, GA1_STREAM, cfg, db);
	expect(t, 0, formats[0], (const char *const[]){ "run", "-c", cfg,
	    "--once", NULL });
	assert_ga1(t, db);
	if (itest_log_line(line, sizeof(line), t->err, "readable by others",
	    "level=warn", l->open_file, NULL) == -1) {
		itest_show_log(t->err);
		fail_msg("%s: no warning naming %s", l->method, l->open_file);
	}

	/* A secret the server refuses: said, retried until SIGTERM. */
	for (i = 0; i < NFORMATS; i++) {
		snprintf(tag, sizeof(tag), "wrong-%s", formats[i]);
		leg_config(t, tag, l->wrong, GA1_STREAM, cfg, NULL);
		command(t, formats[i], (const char *const[]){ "status", "-c",
		    cfg, NULL });
		b[i] = start(t, formats[i], (const char *const[]){ "run", "-c",
		    cfg, NULL });
	}
	for (i = 0; i < NFORMATS; i++) {
		wait_log(b[i], "cannot connect", "Authorization Violation");
		stop(b[i]);
	}

	/* A permission violation: run, replay and status, all at once. */
	if (l->restricted) {
		n = 0;
		for (i = 0; i < NFORMATS; i++) {
			snprintf(tag, sizeof(tag), "deny-run-%s", formats[i]);
			leg_config(t, tag, l->auth, FORBIDDEN, cfg, NULL);
			b[n++] = start(t, formats[i], (const char *const[]){
			    "run", "-c", cfg, "--once", NULL });
			b[n++] = start(t, formats[i], (const char *const[]){
			    "status", "-c", cfg, NULL });
			snprintf(tag, sizeof(tag), "deny-replay-%s",
			    formats[i]);
			leg_config(t, tag, l->auth, FORBIDDEN, cfg, NULL);
			b[n++] = start(t, formats[i], (const char *const[]){
			    "replay", "-c", cfg, "--once", NULL });
		}
		for (k = 0; k < n; k++)
			finish(b[k]);
		wait_violation(t, "Publish", "$JS.API.STREAM.INFO." FORBIDDEN);
		for (k = 0; k < n; k += 3)
			if (itest_log_count(b[k]->err,
			    "$JS.API.STREAM.INFO." FORBIDDEN, NULL) == 0) {
				itest_show_log(b[k]->err);
				fail_msg("%s: run did not meet the violation",
				    l->method);
			}
	}

	/* The server down, then up again: run and replay carry on. */
	if (natsd_stop(&f->d, line, sizeof(line)) == -1)
		fail_msg("natsd_stop: %s", line);
	n = 0;
	for (i = 0; i < NFORMATS; i++) {
		snprintf(tag, sizeof(tag), "down-%s", formats[i]);
		leg_config(t, tag, l->auth, GA1_STREAM, cfg, NULL);
		command(t, formats[i], (const char *const[]){ "status", "-c",
		    cfg, NULL });
		b[n++] = start(t, formats[i], (const char *const[]){ "run",
		    "-c", cfg, NULL });
		leg_config(t, formats[i], l->auth, GA1_STREAM, cfg, NULL);
		b[n++] = start(t, formats[i], (const char *const[]){ "replay",
		    "-c", cfg, "--once", NULL });
	}
	for (k = 0; k < n; k += 2)
		wait_log(b[k], "cannot connect", "No server available");
	if (natsd_restart(&f->d, line, sizeof(line)) == -1)
		fail_msg("natsd_restart: %s", line);
	for (i = 0, k = 0; i < NFORMATS; i++, k += 2) {
		snprintf(tag, sizeof(tag), "down-%s.db", formats[i]);
		itest_fx_path(f, tag, db, sizeof(db));
		if (itest_wait_last_seq(db, ITEST_NEVENTS, &b[k]->p,
		    ITEST_WAIT_MS, line, sizeof(line)) == -1) {
			itest_show_log(b[k]->err);
			fail_msg("%s", line);
		}
		if (finish(b[k + 1]) != 0) {
			itest_show_log(b[k + 1]->err);
			fail_msg("%s: replay across the outage failed",
			    l->method);
		}
		stop(b[k]);
		assert_ga1(t, db);
	}

	assert_no_secret(t, l);
}

/* `authorization { token }`: nats-server 2.9 has no permissions for it. */
static void
test_tenants_secrets_token(void **state)
{
	static const char token[] = "tok-Leak-8Hv3Qz6Wm1Px";
	static const char wrong[] = "tok-Nope-2Gc7Rt4Yk9Sd";
	struct tenants *t = *state;
	struct leg *l = &t->leg;
	natsOptions *opts = NULL;
	char conf[256], file[ITEST_PATH_MAX], nats[ITEST_PATH_MAX];

	l->method = "token";
	snprintf(conf, sizeof(conf), "authorization { token: \"%s\" }\n",
	    token);
	itest_fx_start_natsd(t->f, conf);
	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	assert_int_equal(natsOptions_SetToken(opts, token), NATS_OK);
	itest_fx_publish_fixture(t->f, NULL, opts);

	itest_fx_write_secret(t->f, "ga-1.token", token, 0600, file,
	    sizeof(file));
	snprintf(l->auth, sizeof(l->auth), "{ token_file: \"%s\" }", file);
	itest_fx_write_secret(t->f, "wrong.token", wrong, 0600, nats,
	    sizeof(nats));
	snprintf(l->wrong, sizeof(l->wrong), "{ token_file: \"%s\" }", nats);
	itest_fx_write_secret(t->f, "open.token", token, 0640, l->open_file,
	    sizeof(l->open_file));
	snprintf(l->open, sizeof(l->open), "{ token_file: \"%s\" }",
	    l->open_file);
	leg_secret(l, "token", token);
	leg_secret(l, "refused token", wrong);
	sweep(t, l);
}

/*
 * The permissions of the legs' users: everything but stream FORBIDDEN, so
 * that a configuration naming it meets a permission violation.
 */
#define DENY_FORBIDDEN	"{ publish: { deny: [ \"$JS.API.STREAM.INFO." \
	FORBIDDEN "\" ] } }"

/* `authorization { users }` with a user and password. */
static void
test_tenants_secrets_password(void **state)
{
	static const char password[] = "pw-Leak-4Nd9Xs2Vb7Qe";
	static const char wrong[] = "pw-Nope-6Jm1Cw8Ht3Ra";
	struct tenants *t = *state;
	struct leg *l = &t->leg;
	natsOptions *opts = NULL;
	char conf[512], file[ITEST_PATH_MAX], nope[ITEST_PATH_MAX];

	l->method = "password";
	l->restricted = 1;
	snprintf(conf, sizeof(conf), "authorization { users: [ { user: "
	    "projector, password: \"%s\", permissions: " DENY_FORBIDDEN
	    " } ] }\n", password);
	itest_fx_start_natsd(t->f, conf);
	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	assert_int_equal(natsOptions_SetUserInfo(opts, "projector", password),
	    NATS_OK);
	itest_fx_publish_fixture(t->f, NULL, opts);

	itest_fx_write_secret(t->f, "ga-1.pass", password, 0600, file,
	    sizeof(file));
	snprintf(l->auth, sizeof(l->auth), "{ user: projector, password_file:"
	    " \"%s\" }", file);
	itest_fx_write_secret(t->f, "wrong.pass", wrong, 0600, nope,
	    sizeof(nope));
	snprintf(l->wrong, sizeof(l->wrong), "{ user: projector,"
	    " password_file: \"%s\" }", nope);
	itest_fx_write_secret(t->f, "open.pass", password, 0604, l->open_file,
	    sizeof(l->open_file));
	snprintf(l->open, sizeof(l->open), "{ user: projector, password_file:"
	    " \"%s\" }", l->open_file);
	leg_secret(l, "password", password);
	leg_secret(l, "refused password", wrong);
	sweep(t, l);
}

/*
 * An nkey user; the refused one is a key pair the server does not know,
 * whose seed must not show either.
 */
static void
test_tenants_secrets_nkey(void **state)
{
	struct tenants *t = *state;
	struct leg *l = &t->leg;
	struct nkey user, stranger;
	char conf[512], file[ITEST_PATH_MAX], nope[ITEST_PATH_MAX];

	l->method = "nkey";
	l->restricted = 1;
	nkey_new(NKEY_PREFIX_USER, &user);
	nkey_new(NKEY_PREFIX_USER, &stranger);
	snprintf(conf, sizeof(conf), "authorization { users: [ { nkey: %s,"
	    " permissions: " DENY_FORBIDDEN " } ] }\n", user.pub);
	itest_fx_start_natsd(t->f, conf);
	itest_fx_write_secret(t->f, "ga-1.nk", user.seed, 0600, file,
	    sizeof(file));
	itest_fx_publish_fixture(t->f, NULL, nkey_options(&user, file));

	snprintf(l->auth, sizeof(l->auth), "{ nkey: %s, nkey_seed_file:"
	    " \"%s\" }", user.pub, file);
	itest_fx_write_secret(t->f, "stranger.nk", stranger.seed, 0600, nope,
	    sizeof(nope));
	snprintf(l->wrong, sizeof(l->wrong), "{ nkey: %s, nkey_seed_file:"
	    " \"%s\" }", stranger.pub, nope);
	itest_fx_write_secret(t->f, "open.nk", user.seed, 0644, l->open_file,
	    sizeof(l->open_file));
	snprintf(l->open, sizeof(l->open), "{ nkey: %s, nkey_seed_file:"
	    " \"%s\" }", user.pub, l->open_file);
	leg_secret(l, "nkey seed", user.seed);
	leg_secret(l, "refused nkey seed", stranger.seed);
	explicit_bzero(&user, sizeof(user));
	explicit_bzero(&stranger, sizeof(stranger));
	sweep(t, l);
}

/*
 * Writes the .creds file name (mode) for user, whose JWT acct signs with
 * the permissions of the legs' users; returns the JWT (to free()), and the
 * file's path in path.
 */
static char *
write_creds(struct tenants *t, const struct nkey *acct,
    const struct nkey *user, const char *name, mode_t mode, char *path,
    size_t len)
{
	char *jwt, *creds;

	jwt = nkey_user_jwt(acct, user, "projector", json_pack("{s:[s]}",
	    "deny", "$JS.API.STREAM.INFO." FORBIDDEN), NULL);
	creds = nkey_creds(jwt, user->seed);
	itest_fx_path(t->f, name, path, len);
	itest_fx_write_file(path, creds, mode);
	explicit_bzero(creds, strlen(creds));
	free(creds);
	return jwt;
}

/*
 * Creds in operator mode (see test_auth.c): the operator signs the system
 * account and account GA-1, preloaded in the server; GA-1 signs the user.
 * The refused creds are of a user of an account the server does not know.
 */
static void
test_tenants_secrets_creds(void **state)
{
	struct tenants *t = *state;
	struct leg *l = &t->leg;
	struct nkey op, sys, acct, user, other, stranger;
	char opfile[ITEST_PATH_MAX], file[ITEST_PATH_MAX], nope[ITEST_PATH_MAX];
	char *opjwt, *sysjwt, *acctjwt, *userjwt, *strangerjwt, *openjwt, *conf;
	natsOptions *opts = NULL;

	l->method = "creds";
	l->restricted = 1;
	nkey_new(NKEY_PREFIX_OPERATOR, &op);
	nkey_new(NKEY_PREFIX_ACCOUNT, &sys);
	nkey_new(NKEY_PREFIX_ACCOUNT, &acct);
	nkey_new(NKEY_PREFIX_ACCOUNT, &other);
	nkey_new(NKEY_PREFIX_USER, &user);
	nkey_new(NKEY_PREFIX_USER, &stranger);
	opjwt = nkey_jwt(&op, json_pack("{s:s, s:s, s:{s:s, s:s, s:i}}",
	    "sub", op.pub, "name", "projector-test", "nats",
	    "system_account", sys.pub, "type", "operator", "version", 2));
	sysjwt = nkey_account_jwt(&op, &sys, "SYS", 0);
	acctjwt = nkey_account_jwt(&op, &acct, "GA-1", 1);
	itest_fx_path(t->f, "operator.jwt", opfile, sizeof(opfile));
	itest_fx_write_file(opfile, opjwt, 0600);
	assert_true(asprintf(&conf, "operator: \"%s\"\n"
	    "system_account: %s\n"
	    "resolver: MEMORY\n"
	    "resolver_preload: {\n"
	    "  %s: \"%s\"\n"
	    "  %s: \"%s\"\n"
	    "}\n", opfile, sys.pub, sys.pub, sysjwt, acct.pub, acctjwt) != -1);
	itest_fx_start_natsd(t->f, conf);
	free(conf);
	free(opjwt);
	free(sysjwt);
	free(acctjwt);

	userjwt = write_creds(t, &acct, &user, "ga-1.creds", 0600, file,
	    sizeof(file));
	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	assert_int_equal(natsOptions_SetUserCredentialsFromFiles(opts, file,
	    NULL), NATS_OK);
	itest_fx_publish_fixture(t->f, NULL, opts);
	strangerjwt = write_creds(t, &other, &stranger, "stranger.creds", 0600,
	    nope, sizeof(nope));
	openjwt = write_creds(t, &acct, &user, "open.creds", 0660,
	    l->open_file, sizeof(l->open_file));
	snprintf(l->auth, sizeof(l->auth), "{ creds_file: \"%s\" }", file);
	snprintf(l->wrong, sizeof(l->wrong), "{ creds_file: \"%s\" }", nope);
	snprintf(l->open, sizeof(l->open), "{ creds_file: \"%s\" }",
	    l->open_file);
	leg_secret(l, "user's JWT", userjwt);
	leg_secret(l, "user's nkey seed", user.seed);
	leg_secret(l, "account's nkey seed", acct.seed);
	leg_secret(l, "JWT of the open creds", openjwt);
	leg_secret(l, "refused JWT", strangerjwt);
	leg_secret(l, "refused nkey seed", stranger.seed);
	free(userjwt);
	free(strangerjwt);
	free(openjwt);
	sweep(t, l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T_(test_tenants_isolated),
		T_(test_tenants_least_privilege),
		T_(test_tenants_foreign_stream_run),
		T_(test_tenants_foreign_stream_replay),
		T_(test_tenants_secret_modes),
		T_(test_tenants_secrets_inline),
		T_(test_tenants_secrets_token),
		T_(test_tenants_secrets_password),
		T_(test_tenants_secrets_nkey),
		T_(test_tenants_secrets_creds),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
