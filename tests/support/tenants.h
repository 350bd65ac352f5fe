/*
 * tenants.h: owners kept apart by NATS, for the tests of tenant isolation,
 * permissions and secrets (tests/integration/test_tenants_*.c; issue 4,
 * scenarios 8 and 9).
 *
 * nats-server runs the recommended setup for GamingAPI owners,
 * TENANTS_CONF, with nkeys made by the test: accounts GA-1 and GA-2, each
 * with JetStream limits, a publisher user (the game servers) and a
 * projector user that may only read its own stream (TENANTS_GA1_STREAM in
 * GA-1, TENANTS_GA2_STREAM in GA-2) through its consumers. GA-1 gets the
 * gamingapi-small fixture, GA-2 the same events from servers 201-203
 * instead of 101-103.
 *
 * A test runs the projector as a process, to its end or in the
 * background, each time with its stdout and stderr in a new pair of files
 * NN.out and NN.err of the temp dir, so that at the end no output of any
 * command may show a secret (a leg of the secrets sweep: struct
 * tenants_leg).
 *
 * Every tenants_fx_* function is of the cmocka layer: it fails the running
 * test itself. tenants_auth() cannot fail.
 *
 * Memory: tenants_fx_setup() allocates a struct tenants_fx and
 * tenants_fx_teardown() frees it, with the common fixture (struct
 * itest_fx), after killing the commands still in the background and
 * wiping the keys it held. tenants_fx_connect() hands out a connection the
 * caller destroys; tenants_fx_nkey_options() options that
 * tenants_fx_connect() or itest_fx_publish_fixture() consume.
 */
#ifndef TENANTS_H
#define TENANTS_H

#include <stddef.h>

#include <nats/nats.h>

#include "itest.h"
#include "nkey.h"
#include "proc.h"

#define TENANTS_CONF		"tests/fixtures/nats/tenants.conf"
#define TENANTS_GA1_STREAM	ITEST_STREAM		/* "everything" */
#define TENANTS_GA2_STREAM	"events"
#define TENANTS_GA2_SERVER	'2'	/* GA-2's servers: 2xx, not 1xx */
#define TENANTS_BG		8	/* commands at once in the background */
#define TENANTS_ARGS		16
#define TENANTS_SECRETS		6	/* of one leg */
#define TENANTS_SECRET_LEN	2048	/* a JWT is about 600 characters */

/* A command started in the background, and where its output goes. */
struct tenants_bg {
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
struct tenants_leg {
	const char	*method;
	char		 auth[2 * ITEST_PATH_MAX];
	char		 wrong[2 * ITEST_PATH_MAX];
	char		 open[2 * ITEST_PATH_MAX];
	char		 open_file[ITEST_PATH_MAX];
	int		 restricted;	/* the user may not see every stream */
	char		 secret[TENANTS_SECRETS][TENANTS_SECRET_LEN];
	const char	*name[TENANTS_SECRETS];
	size_t		 nsecrets;
};

/*
 * A test's state: the common fixture (with the fixture's lines loaded),
 * the commands in the background, the output files of every command so
 * far, the tenants' keys and seed files, and a leg of the secrets sweep.
 */
struct tenants_fx {
	struct itest_fx		*f;
	struct tenants_bg	 bg[TENANTS_BG];
	int			 nout;
	char			 out[ITEST_PATH_MAX];	/* the last command's */
	char			 err[ITEST_PATH_MAX];
	struct nkey		 ga1_pub, ga1_proj, ga2_pub, ga2_proj;
	char			 ga1_pub_seed[ITEST_PATH_MAX];	/* seed files */
	char			 ga1_proj_seed[ITEST_PATH_MAX];
	char			 ga2_pub_seed[ITEST_PATH_MAX];
	char			 ga2_proj_seed[ITEST_PATH_MAX];
	struct tenants_leg	 leg;
};

void	tenants_auth(const struct nkey *k, const char *seed, char *buf,
	    size_t len);

int	tenants_fx_setup(void **state);
int	tenants_fx_teardown(void **state);
int	tenants_fx_command(struct tenants_fx *t, const char *format,
	    const char *const args[]);
void	tenants_fx_expect(struct tenants_fx *t, int code, const char *format,
	    const char *const args[]);
struct tenants_bg *tenants_fx_start(struct tenants_fx *t, const char *format,
	    const char *const args[]);
int	tenants_fx_finish(struct tenants_bg *b);
void	tenants_fx_stop(struct tenants_bg *b);
void	tenants_fx_wait_log(struct tenants_bg *b, const char *s1,
	    const char *s2);
void	tenants_fx_assert_no_secret(struct tenants_fx *t,
	    const struct tenants_leg *l);
void	tenants_fx_wait_violation(struct tenants_fx *t, const char *kind,
	    const char *subject);
natsConnection *tenants_fx_connect(struct tenants_fx *t, natsOptions *opts);
natsOptions *tenants_fx_nkey_options(const struct nkey *k, const char *seed);
void	tenants_fx_start_server(struct tenants_fx *t);
void	tenants_fx_feed(struct tenants_fx *t);
void	tenants_fx_assert_ga1(struct tenants_fx *t, const char *db);

#endif /* TENANTS_H */
