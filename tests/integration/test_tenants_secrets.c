/*
 * test_tenants_secrets.c: secrets kept out of everything projector prints
 * (issue 4, scenario 9). A secret file (token, password, nkey seed, creds)
 * that group or others can read draws a warning naming it; a secret
 * written into the configuration is refused without being repeated. And
 * with each way of logging in, at the debug level, in both log formats,
 * every command (check-config, run, replay, verify, status) succeeding and
 * failing (refused secret, permission violation, server down then up) must
 * keep every secret out of its stdout and stderr (the fixture is
 * tests/support/tenants.h's).
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build); TEST_FILTER=PATTERN runs only the tests it matches.
 */
#include <sys/stat.h>

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

#include "itest.h"
#include "natsd.h"
#include "nkey.h"
#include "tenants.h"

#define FORBIDDEN	"forbidden"	/* a stream no leg's user may read */
#define TN_MODE_TOKEN	"tok-Mode-5Tq8Lw2Zx4"
#define TN_MODE_PASSWORD "pw-Mode-3Kd7Vn9Rb1"
#define TN_INLINE_PASSWORD "pw-Inline-7Hq2Kd9Zs4"
#define TN_URL_PASSWORD	"pw-Url-3Wm8Tc5Nv1Qa"
#define TN_URL_TOKEN	"tok-Url-6Pb4Xe1Jr8Lm"

/*
 * The permissions of the legs' users: everything but stream FORBIDDEN, so
 * that a configuration naming it meets a permission violation.
 */
#define DENY_FORBIDDEN	"{ publish: { deny: [ \"$JS.API.STREAM.INFO." \
	FORBIDDEN "\" ] } }"

static const char *const formats[] = { "logfmt", "json" };
#define NFORMATS	(sizeof(formats) / sizeof(formats[0]))

/* Adds a secret the leg's output must never show. */
static void
leg_secret(struct tenants_leg *l, const char *name, const char *secret)
{
	assert_true(l->nsecrets < TENANTS_SECRETS);
	assert_true(strlen(secret) < TENANTS_SECRET_LEN);
	snprintf(l->secret[l->nsecrets], TENANTS_SECRET_LEN, "%s", secret);
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
	struct tenants_fx *t = *state;
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
		    TENANTS_GA1_STREAM, NULL, NULL };
	}
	explicit_bzero(creds, strlen(creds));
	free(creds);
	free(jwt);
	/* No server: check-config touches no network. */
	itest_fx_write_accounts(f, NULL, a, i);

	tenants_fx_expect(t, 0, NULL, (const char *const[]){ "check-config",
	    "-c", f->config, NULL });
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
	tenants_fx_assert_no_secret(t, &t->leg);
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
	struct tenants_fx *t = *state;
	size_t i, j, k;

	t->leg.method = "inline";
	leg_secret(&t->leg, "inline password", TN_INLINE_PASSWORD);
	leg_secret(&t->leg, "password in a URL", TN_URL_PASSWORD);
	leg_secret(&t->leg, "token in a URL", TN_URL_TOKEN);
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		itest_fx_write_file(t->f->config, configs[i], 0600);
		for (j = 0; j < sizeof(commands) / sizeof(commands[0]); j++)
			for (k = 0; k < NFORMATS; k++) {
				tenants_fx_expect(t, 78, formats[k],
				    (const char *const[]){ commands[j], "-c",
				    t->f->config, NULL });
				if (itest_log_count(t->err, "", NULL) != 1) {
					itest_show_log(t->err);
					fail_msg("%s: not one line",
					    commands[j]);
				}
			}
	}
	tenants_fx_assert_no_secret(t, &t->leg);
	assert_int_equal(access(t->f->db, F_OK), -1);
}

/*
 * Writes the configuration cfg-<tag>.yaml (its path into cfg): the leg's
 * account ga-1 with auth, its stream, database <tag>.db (its path into db
 * when db is not NULL) and a durable consumer <tag> of its own, so that
 * commands running at once never share one.
 */
static void
leg_config(struct tenants_fx *t, const char *tag, const char *auth,
    const char *stream, char *cfg, char *db)
{
	char name[64], dbname[64];

	snprintf(name, sizeof(name), "cfg-%s.yaml", tag);
	snprintf(dbname, sizeof(dbname), "%s.db", tag);
	itest_fx_path(t->f, name, cfg, ITEST_PATH_MAX);
	itest_fx_write_accounts(t->f, cfg, (const struct itest_account[]){
		{ "ga-1", auth, dbname, stream, tag, NULL } }, 1);
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
sweep(struct tenants_fx *t, struct tenants_leg *l)
{
	struct itest_fx *f = t->f;
	struct tenants_bg *b[TENANTS_BG];
	char cfg[ITEST_PATH_MAX], db[ITEST_PATH_MAX], tag[64];
	char line[4096];
	size_t i, k, n;

	/* The right secret: every command succeeds. */
	for (i = 0; i < NFORMATS; i++) {
		const char *fm = formats[i];

		leg_config(t, fm, l->auth, TENANTS_GA1_STREAM, cfg, db);
		tenants_fx_expect(t, 0, fm, (const char *const[]){
		    "check-config", "-c", cfg, NULL });
		tenants_fx_expect(t, 0, fm, (const char *const[]){ "run", "-c",
		    cfg, "--once", NULL });
		tenants_fx_assert_ga1(t, db);
		assert_int_equal(itest_log_count(t->err, "readable by others",
		    NULL), 0);
		tenants_fx_expect(t, 0, fm, (const char *const[]){ "replay",
		    "-c", cfg, "--once", NULL });
		tenants_fx_assert_ga1(t, db);
		tenants_fx_expect(t, 0, fm, (const char *const[]){ "verify",
		    "-c", cfg, NULL });
		tenants_fx_expect(t, 0, fm, (const char *const[]){ "status",
		    "-c", cfg, NULL });
		tenants_fx_expect(t, 0, fm, (const char *const[]){ "status",
		    "-c", cfg, "--json", NULL });
	}

	/* The right secret in a file that group can read: used, and named. */
	leg_config(t, "open", l->open, TENANTS_GA1_STREAM, cfg, db);
	tenants_fx_expect(t, 0, formats[0], (const char *const[]){ "run", "-c",
	    cfg, "--once", NULL });
	tenants_fx_assert_ga1(t, db);
	if (itest_log_line(line, sizeof(line), t->err, "readable by others",
	    "level=warn", l->open_file, NULL) == -1) {
		itest_show_log(t->err);
		fail_msg("%s: no warning naming %s", l->method, l->open_file);
	}

	/* A secret the server refuses: said, retried until SIGTERM. */
	for (i = 0; i < NFORMATS; i++) {
		snprintf(tag, sizeof(tag), "wrong-%s", formats[i]);
		leg_config(t, tag, l->wrong, TENANTS_GA1_STREAM, cfg, NULL);
		tenants_fx_command(t, formats[i], (const char *const[]){
		    "status", "-c", cfg, NULL });
		b[i] = tenants_fx_start(t, formats[i], (const char *const[]){
		    "run", "-c", cfg, NULL });
	}
	for (i = 0; i < NFORMATS; i++) {
		tenants_fx_wait_log(b[i], "cannot connect",
		    "Authorization Violation");
		tenants_fx_stop(b[i]);
	}

	/* A permission violation: run, replay and status, all at once. */
	if (l->restricted) {
		n = 0;
		for (i = 0; i < NFORMATS; i++) {
			snprintf(tag, sizeof(tag), "deny-run-%s", formats[i]);
			leg_config(t, tag, l->auth, FORBIDDEN, cfg, NULL);
			b[n++] = tenants_fx_start(t, formats[i],
			    (const char *const[]){ "run", "-c", cfg,
			    "--once", NULL });
			b[n++] = tenants_fx_start(t, formats[i],
			    (const char *const[]){ "status", "-c", cfg,
			    NULL });
			snprintf(tag, sizeof(tag), "deny-replay-%s",
			    formats[i]);
			leg_config(t, tag, l->auth, FORBIDDEN, cfg, NULL);
			b[n++] = tenants_fx_start(t, formats[i],
			    (const char *const[]){ "replay", "-c", cfg,
			    "--once", NULL });
		}
		for (k = 0; k < n; k++)
			tenants_fx_finish(b[k]);
		tenants_fx_wait_violation(t, "Publish",
		    "$JS.API.STREAM.INFO." FORBIDDEN);
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
		leg_config(t, tag, l->auth, TENANTS_GA1_STREAM, cfg, NULL);
		tenants_fx_command(t, formats[i], (const char *const[]){
		    "status", "-c", cfg, NULL });
		b[n++] = tenants_fx_start(t, formats[i], (const char *const[]){
		    "run", "-c", cfg, NULL });
		leg_config(t, formats[i], l->auth, TENANTS_GA1_STREAM, cfg,
		    NULL);
		b[n++] = tenants_fx_start(t, formats[i], (const char *const[]){
		    "replay", "-c", cfg, "--once", NULL });
	}
	for (k = 0; k < n; k += 2)
		tenants_fx_wait_log(b[k], "cannot connect",
		    "No server available");
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
		if (tenants_fx_finish(b[k + 1]) != 0) {
			itest_show_log(b[k + 1]->err);
			fail_msg("%s: replay across the outage failed",
			    l->method);
		}
		tenants_fx_stop(b[k]);
		tenants_fx_assert_ga1(t, db);
	}

	tenants_fx_assert_no_secret(t, l);
}

/* `authorization { token }`: nats-server 2.9 has no permissions for it. */
static void
test_tenants_secrets_token(void **state)
{
	static const char token[] = "tok-Leak-8Hv3Qz6Wm1Px";
	static const char wrong[] = "tok-Nope-2Gc7Rt4Yk9Sd";
	struct tenants_fx *t = *state;
	struct tenants_leg *l = &t->leg;
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

/* `authorization { users }` with a user and password. */
static void
test_tenants_secrets_password(void **state)
{
	static const char password[] = "pw-Leak-4Nd9Xs2Vb7Qe";
	static const char wrong[] = "pw-Nope-6Jm1Cw8Ht3Ra";
	struct tenants_fx *t = *state;
	struct tenants_leg *l = &t->leg;
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
	struct tenants_fx *t = *state;
	struct tenants_leg *l = &t->leg;
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
	itest_fx_publish_fixture(t->f, NULL,
	    tenants_fx_nkey_options(&user, file));

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
write_creds(struct tenants_fx *t, const struct nkey *acct,
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
 * Creds in operator mode (nkey_operator_conf()): the operator signs the
 * system account and account GA-1, preloaded in the server; GA-1 signs the
 * user.
 * The refused creds are of a user of an account the server does not know.
 */
static void
test_tenants_secrets_creds(void **state)
{
	struct tenants_fx *t = *state;
	struct tenants_leg *l = &t->leg;
	struct nkey acct, user, other, stranger;
	char opfile[ITEST_PATH_MAX], file[ITEST_PATH_MAX], nope[ITEST_PATH_MAX];
	char *userjwt, *strangerjwt, *openjwt, *conf;
	natsOptions *opts = NULL;

	l->method = "creds";
	l->restricted = 1;
	itest_fx_path(t->f, "operator.jwt", opfile, sizeof(opfile));
	conf = nkey_operator_conf(opfile, "GA-1", &acct);
	nkey_new(NKEY_PREFIX_ACCOUNT, &other);
	nkey_new(NKEY_PREFIX_USER, &user);
	nkey_new(NKEY_PREFIX_USER, &stranger);
	itest_fx_start_natsd(t->f, conf);
	free(conf);

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
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, tenants_fx_setup, \
	    tenants_fx_teardown)
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
