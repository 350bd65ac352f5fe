/*
 * test_reload.c: SIGHUP reloads the configuration of a running projector
 * (README, "Reloading"): an account added starts, a file that does not
 * load is refused and the running configuration kept, an account changed
 * restarts, an account removed stops as on SIGTERM, and an account that did
 * not change keeps folding on its one connection the whole time.
 *
 * Two accounts of the configuration read the same stream with their own
 * durable consumers and files (as two web hosts would): ga-1 from the
 * start, ga-2 added, changed and removed by reloads. Both files must end
 * equal to the fixture's exact answer. Run from the repository root; the
 * binaries are in $PROJECTOR_BIN_DIR (default build).
 */
#include <signal.h>
#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "natsd.h"
#include "proc.h"

#define HALF	(ITEST_NEVENTS / 2)

static int
setup(void **state)
{
	return itest_fx_setup("itest-reload-", 1, state);
}

/* ga-1 alone, or with ga-2 reading through consumer (NULL: none). */
static void
write_config(struct itest_fx *f, const char *consumer)
{
	const struct itest_account accts[] = {
		{ "ga-1", NULL, "ga-1.db", NULL, NULL, NULL },
		{ "ga-2", NULL, "b.db", NULL, consumer, NULL },
	};

	itest_fx_write_accounts(f, NULL, accts, consumer != NULL ? 2 : 1);
}

/* Sends SIGHUP and waits for the n-th line that holds s1 and s2. */
static void
reload(struct itest_fx *f, int n, const char *s1, const char *s2)
{
	assert_int_equal(kill(f->p.pid, SIGHUP), 0);
	itest_fx_wait_log(f, f->log, n, s1, s2, NULL);
}

/* ga-1 started once and connected once: no reload touched it. */
static void
assert_ga1_untouched(struct itest_fx *f)
{
	assert_int_equal(itest_log_count(f->log, "msg=starting",
	    "account=ga-1", NULL), 1);
	assert_int_equal(itest_log_count(f->log, "msg=connected",
	    "account=ga-1", NULL), 1);
}

static void
test_reload_accounts(void **state)
{
	struct itest_fx *f = *state;
	char b_db[ITEST_PATH_MAX], err[1024];

	itest_fx_path(f, "b.db", b_db, sizeof(b_db));
	itest_fx_start_natsd(f, NULL);
	itest_fx_publish_range(f, 0, HALF);
	write_config(f, NULL);
	itest_fx_start_projector(f);
	itest_fx_wait_last_seq(f, f->db, HALF);

	/* Added: ga-2 starts and catches up; ga-1 goes on. */
	write_config(f, "projector-b");
	reload(f, 1, "configuration reloaded", "added=1 removed=0 changed=0"
	    " unchanged=1");
	itest_fx_wait_last_seq(f, b_db, HALF);

	/* Broken: refused with the place, both keep folding what comes. */
	itest_fx_write_file(f->config, "servers: [\"nats://127.0.0.1:1\"\n"
	    "accounts: {\n", 0644);
	reload(f, 1, "reload refused", "projector.yaml:");
	itest_fx_publish_range(f, HALF, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, f->db, ITEST_NEVENTS);
	itest_fx_wait_last_seq(f, b_db, ITEST_NEVENTS);

	/* Changed: ga-2 restarts on its new consumer, from its checkpoint. */
	write_config(f, "projector-c");
	reload(f, 1, "account changed, restarting", "account=ga-2");
	itest_fx_wait_log(f, f->log, 2, "msg=starting", "account=ga-2", NULL);
	itest_fx_wait_log(f, f->log, 1, "consumer=projector-c",
	    "start_seq=601", NULL);

	/* Removed: ga-2 stops as on SIGTERM; its file says so. */
	write_config(f, NULL);
	reload(f, 1, "account removed, stopping", "account=ga-2");
	itest_fx_wait_log(f, f->log, 2, "msg=stopped", "account=ga-2", NULL);
	assert_int_equal(itest_query_int(b_db, "SELECT count(*) FROM"
	    " projector_status WHERE state <> 'stopped'"), 0);
	itest_fx_wait_log(f, f->log, 3, "configuration reloaded", NULL);

	assert_ga1_untouched(f);
	/* Exit 0, and no sanitizer report. */
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fx_assert_contract(f);
	if (itest_contract(b_db, err, sizeof(err)) == -1)
		fail_msg("b.db: %s", err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_accounts, setup,
		    itest_fx_teardown),
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
