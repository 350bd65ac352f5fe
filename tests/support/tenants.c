/*
 * tenants.c: owners kept apart by NATS, for the tests of tenant isolation,
 * permissions and secrets (see tenants.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "itest.h"
#include "nkey.h"
#include "proc.h"
#include "publish.h"
#include "tenants.h"
#include "tmp.h"

#define TENANTS_SLICE_LEN	16	/* a piece of a secret: none may show */

static const char *const tenants_subjects[] = { ITEST_SUBJECTS };

/*
 * The setup of a test of the group: a new struct tenants_fx in *state, on
 * the common fixture with the fixture's lines loaded (itest_fx_setup()).
 * Returns 0, or -1 with nothing left behind.
 */
int
tenants_fx_setup(void **state)
{
	struct tenants_fx *t;
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

/*
 * The teardown that goes with tenants_fx_setup(): kills the commands still
 * in the background, wipes the keys, and tears the common fixture down.
 * Returns 0.
 */
int
tenants_fx_teardown(void **state)
{
	struct tenants_fx *t = *state;
	void *f = t->f;
	size_t i;

	for (i = 0; i < TENANTS_BG; i++)
		proc_release(&t->bg[i].p);
	explicit_bzero(t, sizeof(*t));
	free(t);
	return itest_fx_teardown(&f);
}

/*
 * Fills argv with the projector, args (NULL-terminated) and, when format
 * is not NULL, the options for that log format at the debug level.
 */
static void
tenants_argv(struct tenants_fx *t, const char *format,
    const char *const args[], char *argv[TENANTS_ARGS])
{
	size_t n = 0, i;

	argv[n++] = t->f->bin;
	for (i = 0; args[i] != NULL; i++) {
		assert_true(n < TENANTS_ARGS - 6);
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

/* Names the next pair of output files, NN.out and NN.err, in the dir. */
static void
tenants_next_output(struct tenants_fx *t, char *out, char *err)
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
 * tenants_argv()) to its end, its output in the next pair of files (t->out
 * and t->err then). Fails when it cannot run, still runs after
 * ITEST_RUN_MS, or a sanitizer reported. Returns its exit code.
 */
int
tenants_fx_command(struct tenants_fx *t, const char *format,
    const char *const args[])
{
	char *argv[TENANTS_ARGS];
	int code = -1;

	tenants_argv(t, format, args, argv);
	tenants_next_output(t, t->out, t->err);
	if (proc_run(argv, ITEST_RUN_MS, &code, t->out, t->err) == -1)
		fail_msg("%s %s: cannot run, or still running after %d ms",
		    argv[0], args[0], ITEST_RUN_MS);
	itest_fx_assert_no_sanitizer(t->err);
	return code;
}

/*
 * tenants_fx_command() that must exit with code; shows its stderr when it
 * does not.
 */
void
tenants_fx_expect(struct tenants_fx *t, int code, const char *format,
    const char *const args[])
{
	int got = tenants_fx_command(t, format, args);

	if (got != code) {
		itest_show_log(t->err);
		fail_msg("projector %s exited %d, not %d", args[0], got, code);
	}
}

/*
 * Starts the projector as tenants_fx_command() does, in the background;
 * returns it.
 */
struct tenants_bg *
tenants_fx_start(struct tenants_fx *t, const char *format,
    const char *const args[])
{
	char *argv[TENANTS_ARGS], err[512];
	struct tenants_bg *b;
	size_t i;

	for (i = 0; i < TENANTS_BG; i++)
		if (t->bg[i].p.pid <= 0 || t->bg[i].p.reaped)
			break;
	assert_true(i < TENANTS_BG);
	b = &t->bg[i];
	memset(&b->p, 0, sizeof(b->p));
	tenants_argv(t, format, args, argv);
	tenants_next_output(t, b->out, b->err);
	if (proc_start_env(&b->p, argv, NULL, b->out, b->err, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return b;
}

/* Waits for b to exit by itself; returns its exit code. */
int
tenants_fx_finish(struct tenants_bg *b)
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
void
tenants_fx_stop(struct tenants_bg *b)
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
void
tenants_fx_wait_log(struct tenants_bg *b, const char *s1, const char *s2)
{
	char err[1024];

	if (itest_wait_log(&b->p, ITEST_WAIT_MS, 1, err, sizeof(err), b->err,
	    s1, s2, NULL) == -1) {
		itest_show_log(b->err);
		fail_msg("%s", err);
	}
}

/*
 * Fails when an output file of any command so far shows one of the leg's
 * secrets, whole or a piece of TENANTS_SLICE_LEN characters from its middle (a
 * line cut short, say). The message names the secret, never prints it.
 */
void
tenants_fx_assert_no_secret(struct tenants_fx *t, const struct tenants_leg *l)
{
	char path[ITEST_PATH_MAX], name[32], slice[TENANTS_SLICE_LEN + 1];
	char *text;
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
				assert_true(len >= TENANTS_SLICE_LEN);
				snprintf(slice, sizeof(slice), "%.*s",
				    TENANTS_SLICE_LEN,
				    s + (len - TENANTS_SLICE_LEN) / 2);
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
 * Waits until the server's log shows that it refused subject to a client
 * (kind: "Publish" or "Subscription").
 */
void
tenants_fx_wait_violation(struct tenants_fx *t, const char *kind,
    const char *subject)
{
	char what[256], v[64], err[1024];

	snprintf(v, sizeof(v), "%s Violation", kind);
	snprintf(what, sizeof(what), "Subject \"%s\"", subject);
	if (itest_wait_log(NULL, ITEST_WAIT_MS, 1, err, sizeof(err),
	    t->f->d.log, v, what, NULL) == -1)
		fail_msg("the projector's user was not refused %s: %s",
		    subject, err);
}

/*
 * Returns text (to free()) with every "@NAME@" of the NULL-terminated
 * pairs { "@NAME@", value } replaced by its value.
 */
static char *
tenants_fill(const char *text, const char *const pairs[][2])
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

/*
 * Connects to the server of t with opts (consumed: destroyed here); fails
 * the test when it cannot. Returns the connection, to
 * natsConnection_Destroy().
 */
natsConnection *
tenants_fx_connect(struct tenants_fx *t, natsOptions *opts)
{
	natsConnection *nc = NULL;
	char err[1024];
	int rc;

	rc = publish_connect_opts(t->f->d.url, opts, &nc, err, sizeof(err));
	natsOptions_Destroy(opts);
	if (rc == -1)
		fail_msg("%s", err);
	return nc;
}

/* Options that log in as the nkey k, whose seed is in the file seed. */
natsOptions *
tenants_fx_nkey_options(const struct nkey *k, const char *seed)
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
void
tenants_fx_start_server(struct tenants_fx *t)
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
	conf = tenants_fill(tmpl, (const char *const[][2]){
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
tenants_ga2_subject(const char *subject, char *buf, size_t len)
{
	static const char prefix[] = "v0.rust.servers.1";
	const size_t n = sizeof(prefix) - 1;

	if (strncmp(subject, prefix, n) != 0)
		fail_msg("a fixture subject of another form: %s", subject);
	snprintf(buf, len, "%s", subject);
	buf[n - 1] = TENANTS_GA2_SERVER;
}

/*
 * Publishes, as the accounts' publishers, the fixture into GA-1's stream
 * and the same events of servers 2xx into GA-2's.
 */
void
tenants_fx_feed(struct tenants_fx *t)
{
	struct itest_fixture *fx = &t->f->events;
	natsConnection *nc;
	jsCtx *js = NULL;
	char err[1024], subject[512];
	size_t i;

	itest_fx_publish_fixture(t->f, NULL,
	    tenants_fx_nkey_options(&t->ga1_pub, t->ga1_pub_seed));
	nc = tenants_fx_connect(t, tenants_fx_nkey_options(&t->ga2_pub,
	    t->ga2_pub_seed));
	if (publish_create_stream(nc, TENANTS_GA2_STREAM, tenants_subjects, 1,
	    err, sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		fail_msg("GA-2's publisher: %s", err);
	assert_int_equal(fx->n, ITEST_NEVENTS);
	for (i = 0; i < fx->n; i++) {
		tenants_ga2_subject(fx->ev[i].subject, subject,
		    sizeof(subject));
		if (publish_one(js, subject, fx->ev[i].payload, fx->ev[i].len,
		    err, sizeof(err)) == -1)
			fail_msg("GA-2's publisher: %s", err);
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/* The auth mapping of a tenant's projector user (key k, seed file seed). */
void
tenants_auth(const struct nkey *k, const char *seed, char *buf, size_t len)
{
	snprintf(buf, len, "{ nkey: %s, nkey_seed_file: \"%s\" }", k->pub,
	    seed);
}

/*
 * Fails unless the contract queries of GA-1's database at db give
 * expected.json, showing the stderr of the last command when they do not.
 */
void
tenants_fx_assert_ga1(struct tenants_fx *t, const char *db)
{
	char err[1024];

	if (itest_contract(db, err, sizeof(err)) == -1) {
		itest_show_log(t->err);
		fail_msg("%s", err);
	}
}
