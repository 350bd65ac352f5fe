/*
 * test_tenants_permissions.c: a tenant's projector user may read its own
 * stream and nothing else (issue 4, scenario 8). On the tenants' server of
 * tests/support/tenants.h, the projector user of GA-1 must be refused
 * anything else; and pointed at GA-2's stream, `run` and `replay` must
 * stop with exit 77 and a line that names the denied subject and says what
 * to fix.
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches.
 */
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
#include "publish.h"
#include "tenants.h"
#include "tmp.h"

#define EX_NOPERM_	77	/* <sysexits.h> EX_NOPERM */

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

/* The number of consumers of GA-2's stream, asked as GA-2's publisher. */
static int64_t
ga2_consumers(struct tenants_fx *t)
{
	natsConnection *nc;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	int64_t n;

	nc = tenants_fx_connect(t, tenants_fx_nkey_options(&t->ga2_pub,
	    t->ga2_pub_seed));
	assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
	assert_int_equal(js_GetStreamInfo(&si, js, TENANTS_GA2_STREAM, NULL,
	    &jerr), NATS_OK);
	n = si->State.Consumers;
	assert_int_equal(si->State.Msgs, ITEST_NEVENTS);
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
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
		"$JS.API.STREAM.DELETE." TENANTS_GA1_STREAM,
		"$JS.API.STREAM.PURGE." TENANTS_GA1_STREAM,
		"$JS.API.STREAM.MSG.GET." TENANTS_GA1_STREAM,
		"$JS.API.CONSUMER.DURABLE.CREATE." TENANTS_GA1_STREAM ".other",
		"$JS.API.STREAM.INFO." TENANTS_GA2_STREAM,
		"$JS.API.STREAM.NAMES",
	};
	struct tenants_fx *t = *state;
	natsConnection *nc;
	natsSubscription *sub = NULL;
	uint64_t msgs = 0, last = 0;
	char err[1024];
	size_t i;

	tenants_fx_start_server(t);
	tenants_fx_feed(t);
	nc = tenants_fx_connect(t, tenants_fx_nkey_options(&t->ga1_proj,
	    t->ga1_proj_seed));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(natsConnection_PublishString(nc, refused[i],
		    "{}"), NATS_OK);
		assert_int_equal(natsConnection_Flush(nc), NATS_OK);
		tenants_fx_wait_violation(t, "Publish", refused[i]);
	}
	assert_int_equal(natsConnection_SubscribeSync(&sub, nc,
	    ITEST_SUBJECTS), NATS_OK);
	assert_int_equal(natsConnection_Flush(nc), NATS_OK);
	tenants_fx_wait_violation(t, "Subscription", ITEST_SUBJECTS);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);

	nc = tenants_fx_connect(t, tenants_fx_nkey_options(&t->ga1_pub,
	    t->ga1_pub_seed));
	if (publish_stream_info(nc, TENANTS_GA1_STREAM, &msgs, &last, err,
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
write_foreign_config(struct tenants_fx *t, char *db, size_t len)
{
	char auth[2 * ITEST_PATH_MAX];

	tenants_auth(&t->ga1_proj, t->ga1_proj_seed, auth, sizeof(auth));
	itest_fx_write_accounts(t->f, NULL, (const struct itest_account[]){
		{ "ga-1", auth, "foreign.db", TENANTS_GA2_STREAM, NULL, NULL } }, 1);
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
assert_denied(struct tenants_fx *t, int code, const char *db)
{
	static const char subject[] = "$JS.API.STREAM.INFO." TENANTS_GA2_STREAM;
	char line[4096];

	tenants_fx_wait_violation(t, "Publish", subject);
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

/*
 * Runs `projector CMD --once` as GA-1's projector user pointed at GA-2's
 * stream, on the tenants' server, and checks that it was denied
 * (assert_denied()).
 */
static void
foreign_stream(struct tenants_fx *t, const char *cmd)
{
	char db[ITEST_PATH_MAX];
	int code;

	tenants_fx_start_server(t);
	tenants_fx_feed(t);
	write_foreign_config(t, db, sizeof(db));
	code = tenants_fx_command(t, NULL, (const char *const[]){ cmd, "-c",
	    t->f->config, "--once", NULL });
	assert_denied(t, code, db);
}

/* GA-1's user pointed at GA-2's stream: run stops, 77, naming the subject. */
static void
test_tenants_foreign_stream_run(void **state)
{
	foreign_stream(*state, "run");
}

/* The same for replay, whose reader is a consumer of its own. */
static void
test_tenants_foreign_stream_replay(void **state)
{
	foreign_stream(*state, "replay");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, tenants_fx_setup, \
	    tenants_fx_teardown)
		T_(test_tenants_least_privilege),
		T_(test_tenants_foreign_stream_run),
		T_(test_tenants_foreign_stream_replay),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
