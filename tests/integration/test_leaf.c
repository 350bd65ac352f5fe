/*
 * test_leaf.c: projector at the edge, on a leaf node without JetStream of
 * its own, folding a stream that lives in the hub's JetStream domain
 * (issue 13, point 2).
 *
 * natsd_leaf.h runs the two real nats-servers: the hub, JetStream in
 * domain "hub", and the leaf, whose one remote is the hub's leaf node
 * listener. The stream is made and filled through the hub. The projector
 * knows only the leaf's URL and `js_domain: hub`: every JetStream request
 * it makes goes to $JS.hub.API through the leaf. The leaf is killed (-9)
 * while the hub goes on storing events and comes back on the same port;
 * the projector carries on by itself to the exact answer. Without
 * js_domain, the leaf has nothing to answer JetStream requests with, and
 * the projector must say so, naming js_domain. The test learns what the
 * projector does only from its log, its outputs and its SQLite file, and
 * polls. Run from the repository root; the binaries are in
 * $PROJECTOR_BIN_DIR (default build).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "itest.h"
#include "natsd_leaf.h"
#include "probe.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

#define DOMAIN		"hub"
#define HALF		300	/* events in the stream before the crash */
#define DURING		450	/* ... once the leaf is down again */
#define EXIT_CONFIG	78

/* The fixture of a test here: the common one and the two servers. */
struct leaf_fx {
	struct itest_fx		*f;
	struct natsd_leaf	 t;
};

static int
setup(void **state)
{
	struct leaf_fx *lf;

	if ((lf = calloc(1, sizeof(*lf))) == NULL)
		return -1;
	if (itest_fx_setup("itest-leaf-", 1, (void **)&lf->f) == -1) {
		free(lf);
		return -1;
	}
	*state = lf;
	return 0;
}

static int
teardown(void **state)
{
	struct leaf_fx *lf = *state;

	/* The projector first: it must not outlive its servers long. */
	proc_release(&lf->f->p);
	natsd_leaf_release(&lf->t);
	itest_fx_teardown((void **)&lf->f);
	free(lf);
	return 0;
}

/*
 * Starts the hub and its leaf, with stream ITEST_STREAM made in the hub.
 * A machine without nats-server skips the test.
 */
static void
start_servers(struct leaf_fx *lf)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	natsConnection *nc = NULL;
	char err[1024];

	if (natsd_leaf_start(&lf->t, DOMAIN, err, sizeof(err)) == -1) {
		if (strstr(err, "cannot run") != NULL) {
			print_message("skipped: %s\n", err);
			skip();
		}
		fail_msg("natsd_leaf_start: %s", err);
	}
	if (publish_connect(lf->t.hub.url, &nc, err, sizeof(err)) == -1 ||
	    publish_create_stream(nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
}

/* ga-1's keys: its JetStream in the hub's domain. */
#define IN_HUB		"    js_domain: " DOMAIN "\n"

/*
 * Writes the configuration: account ga-1 on the leaf's URL, with the keys
 * in keys (YAML lines, NULL: none), and the accounts in more (YAML items,
 * NULL: none).
 */
static void
write_config(struct leaf_fx *lf, const char *keys, const char *more)
{
	char text[2048];

	snprintf(text, sizeof(text), "# written by test_leaf.c\n"
	    "nats:\n  servers: [%s]\nbatch:\n  max_events: 50\n"
	    "accounts:\n  - name: ga-1\n    stream: %s\n"
	    "    database: ga-1.db\n%s%s", lf->t.leaf.url, ITEST_STREAM,
	    keys != NULL ? keys : "", more != NULL ? more : "");
	itest_fx_write_file(lf->f->config, text, 0600);
}

/* Fails unless the file at path holds needle. */
static void
assert_file_has(const char *path, const char *needle)
{
	char *text;

	if (tmp_read_file(path, &text, NULL) == -1)
		fail_msg("%s: cannot read", path);
	if (strstr(text, needle) == NULL) {
		print_error("%s:\n%s\n", path, text);
		free(text);
		fail_msg("%s: no '%s'", path, needle);
	}
	free(text);
}

/*
 * Starts the hub and the leaf, publishes the first HALF events into the
 * hub and the projector on a configuration that looks in the hub's
 * domain, and waits until it has applied them.
 */
static void
start_in_hub_half(struct leaf_fx *lf)
{
	struct itest_fx *f = lf->f;

	start_servers(lf);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, 0, HALF);
	write_config(lf, IN_HUB, NULL);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, HALF);
}

/*
 * The whole fixture through the leaf, with the leaf killed halfway and
 * events stored in the hub while it is down: no exit, the durable consumer
 * in the hub acknowledged to the end, status through the leaf, and the
 * contract's exact answer.
 */
static void
test_leaf_fold_across_leaf_crash(void **state)
{
	struct leaf_fx *lf = *state;
	struct itest_fx *f = lf->f;
	struct probe_nats pn;
	uint64_t floor = 0;
	char err[1024], want[64];
	int status;

	start_in_hub_half(lf);

	if (natsd_leaf_kill(&lf->t.leaf, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_wait_log(f, f->log, 1, "msg=disconnected", "account=ga-1",
	    NULL);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, HALF, DURING);
	if (natsd_leaf_restart(&lf->t, &lf->t.leaf, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_wait_reconnections(f, 1);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, DURING, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	/* Still there: a leaf that went away is no reason to exit. */
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);

	/* The acks went through the leaf to the consumer in the hub. */
	if (probe_nats_open(&pn, lf->t.hub.url, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (probe_ack_floor(&pn, ITEST_STREAM, "projector", &floor, err,
	    sizeof(err)) != 0) {
		probe_nats_close(&pn);
		fail_msg("ack floor in the hub: %s", err);
	}
	probe_nats_close(&pn);
	assert_int_equal(floor, ITEST_NEVENTS);

	/* status asks the hub's JetStream through the leaf too. */
	assert_int_equal(itest_fx_run(f, "status", "-c", f->config, NULL), 0);
	snprintf(want, sizeof(want), "(last seq %d)", ITEST_NEVENTS);
	assert_file_has(f->out, want);
	print_message("%d 'no JetStream answered' lines while the leaf came"
	    " back\n", itest_log_count(f->log, "no JetStream answered", NULL));

	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fx_assert_contract(f);
	/* verify rebuilds to the checkpoint, through the leaf if need be. */
	assert_int_equal(itest_fx_run(f, "verify", "-c", f->config, NULL), 0);
}

/*
 * The hub goes away (killed -9) under a projector connected to the leaf,
 * which stays: the link to the JetStream is cut. The projector must say
 * where it looked and what to check, keep trying without exiting, and go
 * on to the exact answer once the hub is back with its store.
 */
static void
test_leaf_hub_away(void **state)
{
	struct leaf_fx *lf = *state;
	struct itest_fx *f = lf->f;
	char err[1024];
	int status;

	start_in_hub_half(lf);

	if (natsd_leaf_kill(&lf->t.hub, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_wait_log(f, f->log, 1, "account=ga-1",
	    "no JetStream answered in domain 'hub'",
	    "the leaf node connection to it is up", NULL);
	/* Connected to the leaf all along: nothing to reconnect. */
	assert_int_equal(itest_log_count(f->log, "msg=disconnected", NULL), 0);
	if (natsd_leaf_restart(&lf->t, &lf->t.hub, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, HALF, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fx_assert_contract(f);
}

/*
 * Without an archive, everything a rebuild reads comes from the hub's
 * stream through the leaf: run --once, then replay --once and verify,
 * whose reader is an ephemeral consumer made in the hub's domain. Each
 * ends 0 with the contract's exact answer.
 */
static void
test_leaf_replay_from_stream(void **state)
{
	struct leaf_fx *lf = *state;
	struct itest_fx *f = lf->f;

	start_servers(lf);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, 0, ITEST_NEVENTS);
	write_config(lf, IN_HUB "    archive: false\n", NULL);
	assert_int_equal(itest_fx_run(f, "run", "--once", "-c", f->config,
	    NULL), 0);
	assert_int_equal(itest_last_seq(f->db), ITEST_NEVENTS);
	itest_fx_assert_contract(f);

	assert_int_equal(itest_fx_run(f, "replay", "--once", "-c", f->config,
	    NULL), 0);
	assert_file_has(f->err, "rebuild swapped in");
	itest_fx_assert_contract(f);
	assert_int_equal(itest_fx_run(f, "verify", "-c", f->config, NULL), 0);
	assert_int_equal(itest_log_count(f->out, "equal to a rebuild", NULL),
	    3);
}

/*
 * The leaf's URL without js_domain: the leaf has no JetStream and keeps
 * $JS.API to itself, so nothing answers. status (exit 0, the reason in its
 * output) and run (its log, while it keeps trying) must name js_domain; an
 * account in a domain nobody serves is named with its domain, one with an
 * API prefix nobody serves with its prefix. The hub's API prefix itself,
 * as js_api_prefix, reaches the stream as js_domain does.
 */
static void
test_leaf_without_domain(void **state)
{
	struct leaf_fx *lf = *state;
	struct itest_fx *f = lf->f;
	char want[128], db[ITEST_PATH_MAX];
	int status;

	start_servers(lf);
	itest_fx_publish_acked(lf->f, lf->t.hub.url, 0, HALF);
	write_config(lf, NULL, "  - name: elsewhere\n    stream: " ITEST_STREAM
	    "\n    database: elsewhere.db\n    js_domain: nowhere\n"
	    "  - name: imported\n    stream: " ITEST_STREAM "\n"
	    "    database: imported.db\n    js_api_prefix: JS.nowhere.API\n"
	    "  - name: prefixed\n    stream: " ITEST_STREAM "\n"
	    "    database: prefixed.db\n    js_api_prefix: $JS." DOMAIN
	    ".API\n");
	assert_int_equal(itest_fx_run(f, "check-config", "-c", f->config,
	    NULL), 0);

	assert_int_equal(itest_fx_run(f, "status", "-c", f->config, NULL), 0);
	assert_file_has(f->out, "stream info: no JetStream answered (account"
	    " ga-1)");
	assert_file_has(f->out, "set js_domain to the hub's JetStream domain");
	assert_file_has(f->out, "no JetStream answered in domain 'nowhere'"
	    " (account elsewhere): check js_domain");
	assert_file_has(f->out, "no JetStream answered at API prefix"
	    " 'JS.nowhere.API' (account imported): check js_api_prefix");
	/* Only account prefixed reaches the stream. */
	assert_file_has(f->out, "account prefixed  database");
	snprintf(want, sizeof(want), "stream %s (last seq %d)", ITEST_STREAM,
	    HALF);
	assert_file_has(f->out, want);

	itest_fx_start_projector(f);
	itest_fx_wait_log(f, f->log, 1, "account=ga-1",
	    "no JetStream answered", "js_domain", NULL);
	itest_fx_wait_log(f, f->log, 1, "account=elsewhere",
	    "no JetStream answered in domain 'nowhere'", NULL);
	itest_fx_wait_log(f, f->log, 1, "account=imported",
	    "no JetStream answered at API prefix 'JS.nowhere.API'", NULL);
	/* ... while the hub's prefix folds what the hub holds. */
	itest_fx_path(f, "prefixed.db", db, sizeof(db));
	itest_fx_wait_last_seq(f, db, HALF);
	/* Still trying: the hub may come within reach. */
	assert_int_equal(proc_wait(&f->p, 0, &status), -1);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	assert_true(itest_last_seq(f->db) <= 0);
}

/*
 * Both keys in one account: check-config refuses the file (78) with one
 * line naming the second key's place. No server needed.
 */
static void
test_leaf_both_keys_refused(void **state)
{
	struct leaf_fx *lf = *state;
	struct itest_fx *f = lf->f;
	char where[ITEST_PATH_MAX + 128];

	itest_fx_write_file(f->config, "nats:\n  servers: [nats://127.0.0.1:1]\n"
	    "accounts:\n  - name: ga-1\n    stream: everything\n"
	    "    database: ga-1.db\n    js_domain: hub\n"
	    "    js_api_prefix: $JS.hub.API\n", 0600);
	assert_int_equal(itest_fx_run(f, "check-config", "-c", f->config,
	    NULL), EXIT_CONFIG);
	snprintf(where, sizeof(where), "%s:8:20: 'js_domain' and"
	    " 'js_api_prefix' cannot both be set", f->config);
	assert_file_has(f->err, where);
	/* run refuses it as well, before any connection. */
	assert_int_equal(itest_fx_run(f, "run", "--once", "-c", f->config,
	    NULL), EXIT_CONFIG);
	assert_file_has(f->err, where);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T_(test_leaf_fold_across_leaf_crash),
		T_(test_leaf_hub_away),
		T_(test_leaf_replay_from_stream),
		T_(test_leaf_without_domain),
		T_(test_leaf_both_keys_refused),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
