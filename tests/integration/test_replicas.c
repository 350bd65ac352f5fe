/*
 * test_replicas.c: read replicas, one projector per web host (README,
 * "Deployment"). Two projector processes read one stream, each with its
 * own configuration, database and durable consumer name; they start at
 * different times, one is killed with SIGKILL while the other catches up
 * and is started again: both files end equal to the fixture's exact
 * answer, and neither ever waited for the other. Run from the repository
 * root; the binaries are in $PROJECTOR_BIN_DIR (default build).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "itest.h"
#include "natsd.h"
#include "probe.h"
#include "proc.h"

#define THIRD	(ITEST_NEVENTS / 3)

static int
setup(void **state)
{
	return itest_fx_setup("itest-replicas-", 1, state);
}

/* A web host's projector: its file name, consumer, configuration, log. */
struct replica {
	struct proc	p;
	char		config[ITEST_PATH_MAX];
	char		db[ITEST_PATH_MAX];
	char		log[ITEST_PATH_MAX];
};

static void
replica_init(struct itest_fx *f, struct replica *r, const char *host)
{
	char consumer[64], db[64], file[64];
	const struct itest_account acct = {
		"ga-1", NULL, db, NULL, consumer, NULL
	};

	memset(r, 0, sizeof(*r));
	snprintf(consumer, sizeof(consumer), "projector-%s", host);
	snprintf(db, sizeof(db), "%s.db", host);
	itest_fx_path(f, db, r->db, sizeof(r->db));
	snprintf(file, sizeof(file), "%s.yaml", host);
	itest_fx_path(f, file, r->config, sizeof(r->config));
	snprintf(file, sizeof(file), "%s.log", host);
	itest_fx_path(f, file, r->log, sizeof(r->log));
	itest_fx_write_accounts(f, r->config, &acct, 1);
}

static void
replica_start(struct itest_fx *f, struct replica *r)
{
	char *argv[] = { f->bin, "run", "-c", r->config, NULL };
	char err[512];

	if (proc_start(&r->p, argv, r->log, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Waits until r has applied want, failing with its log if it exited. */
static void
replica_wait(struct replica *r, long long want)
{
	char err[1024];

	if (itest_wait_last_seq(r->db, want, &r->p, ITEST_WAIT_MS, err,
	    sizeof(err)) == -1) {
		itest_show_log(r->log);
		fail_msg("%s: %s", r->db, err);
	}
}

static void
replica_stop(struct replica *r)
{
	int status;

	assert_int_equal(proc_signal(&r->p, SIGTERM), 0);
	assert_int_equal(proc_wait(&r->p, ITEST_STOP_MS, &status), 0);
	itest_fx_assert_no_sanitizer(r->log);
	assert_int_equal(proc_exit_code(status), 0);
	proc_release(&r->p);
}

static void
assert_exact(const struct replica *r)
{
	char err[1024];

	if (itest_contract(r->db, err, sizeof(err)) == -1)
		fail_msg("%s: %s", r->db, err);
}

static void
test_replicas_independent(void **state)
{
	struct itest_fx *f = *state;
	struct replica web1, web2;
	struct probe_consumer c;
	int status;

	itest_fx_start_natsd(f, NULL);
	replica_init(f, &web1, "web1");
	replica_init(f, &web2, "web2");
	itest_fx_publish_range(f, 0, THIRD);
	replica_start(f, &web1);
	replica_wait(&web1, THIRD);

	/* web2 comes later, from nothing; web1 is killed, web2 goes on alone. */
	itest_fx_publish_range(f, THIRD, 2 * THIRD);
	replica_start(f, &web2);
	replica_wait(&web1, 2 * THIRD);
	assert_int_equal(proc_signal(&web1.p, SIGKILL), 0);
	assert_int_equal(proc_wait(&web1.p, ITEST_STOP_MS, &status), 0);
	assert_int_equal(proc_exit_code(status), ITEST_EXIT_SIGKILL);
	proc_release(&web1.p);
	itest_fx_publish_range(f, 2 * THIRD, ITEST_NEVENTS);
	replica_wait(&web2, ITEST_NEVENTS);

	/* web1 again, from its own checkpoint. */
	replica_start(f, &web1);
	replica_wait(&web1, ITEST_NEVENTS);
	replica_stop(&web1);
	replica_stop(&web2);
	assert_exact(&web1);
	assert_exact(&web2);
	/* Each its own durable, each acknowledged to the end. */
	itest_fx_consumer(f, "projector-web1", &c);
	assert_int_equal(c.ack_floor_stream, ITEST_NEVENTS);
	itest_fx_consumer(f, "projector-web2", &c);
	assert_int_equal(c.ack_floor_stream, ITEST_NEVENTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replicas_independent, setup,
		    itest_fx_teardown),
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
