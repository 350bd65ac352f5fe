/*
 * test_auth.c: every way projector logs in to NATS, and TLS, against a real
 * nats-server.
 *
 * Each test writes a nats-server configuration that demands one method
 * (token, user and password, nkey, creds in operator mode, mutual TLS),
 * publishes the gamingapi-small fixture with credentials of the same kind,
 * and runs `projector run -c CFG --once`, which must exit 0 and leave a
 * database equal to expected.json. Refused credentials must be named in the
 * log ("cannot connect" with the server's reason) while `run` keeps retrying
 * until SIGTERM, and no secret may ever appear in the projector's output.
 *
 * Two tests need no nats-server but fakenats (tests/support/fakenats.h), a
 * server whose nonces they pick: libnats before 3.8.0 leaves out the
 * signature of 1 nonce in 256, and a login it did so for must get in at
 * the next try, the projector's (source_open()) and the tests' own
 * (publish_connect_opts()).
 *
 * Keys and certificates are made here, fresh for each test: nkeys and JWTs
 * with libcrypto (tests/support/nkey.h), certificates with the openssl
 * command. Run from the repository root, with
 * the program under test in $PROJECTOR_BIN_DIR (default build).
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

#include "config.h"
#include "fakenats.h"
#include "itest.h"
#include "natsd.h"
#include "nkey.h"
#include "proc.h"
#include "publish.h"
#include "source.h"
#include "tmp.h"

#define ACCOUNT		"ga-1"	/* its database is f->db */
#define OPENSSL_MS	30000	/* bound on one openssl command */
#define STOP_MS		10000	/* SIGTERM to exit; the README says ~1 s */
#define RETRIES_SEEN	3	/* refused logins that prove `run` retries */
#define NONCE_LEN	16	/* "nonce" and 10 digits, as long as the server's */
#define LIBNATS_SIGNS_ALL 0x030800	/* 3.8.0: no signature left out */
#define SIGNED_TRIES	3	/* source_conn.c's tries of a signed login */

static int
setup(void **state)
{
	return itest_fx_setup("test-auth-", 0, state);
}

static char *
read_file(const char *path)
{
	char *text;

	if (tmp_read_file(path, &text, NULL) == -1)
		fail_msg("%s: %s", path, strerror(errno));
	return text;
}

static natsOptions *
options_new(void)
{
	natsOptions *opts = NULL;

	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	return opts;
}

/*
 * Checks that the server at url refuses a client without credentials, so
 * that a projector that folds there must have logged in with its own.
 */
static void
check_refuses_anonymous(const char *url)
{
	natsConnection *nc = NULL;
	natsOptions *opts = options_new();
	natsStatus s;

	assert_int_equal(natsOptions_SetURL(opts, url), NATS_OK);
	assert_int_equal(natsOptions_SetTimeout(opts, 2000), NATS_OK);
	s = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	natsConnection_Destroy(nc);
	if (s != NATS_CONNECTION_AUTH_FAILED)
		fail_msg("%s: a client without credentials got \"%s\", not "
		    "refused", url, natsStatus_GetText(s));
}

/*
 * Writes the projector's configuration: one account on server url, with
 * auth and nats.tls given as YAML flow mappings (NULL: none).
 */
static void
write_config(struct itest_fx *f, const char *url, const char *tls,
    const char *auth)
{
	const struct itest_account acct = { ACCOUNT, auth, ACCOUNT ".db", NULL,
	    NULL, NULL };

	assert_int_equal(itest_write_config(f->config, url, tls, 100, 0, &acct,
	    1), 0);
}

/*
 * Runs `projector run -c CONFIG --once` to its end, stdout and stderr both
 * in f->log (so that the checks for secrets read all it said); returns its
 * exit code.
 */
static int
run_once(struct itest_fx *f)
{
	char *argv[] = { f->bin, "run", "-c", f->config, "--once", NULL };
	int code;

	if (proc_run(argv, ITEST_RUN_MS, &code, f->log, f->log) == -1)
		fail_msg("%s: %s", f->bin, strerror(errno));
	return code;
}

/* Runs --once and checks that it exits 0 with the database exact. */
static void
run_and_check(struct itest_fx *f)
{
	int code;

	if ((code = run_once(f)) != 0) {
		itest_show_log(f->log);
		fail_msg("projector run --once exited %d", code);
	}
	itest_fx_assert_contract(f);
}

/*
 * Waits until the projector, started in the background, logs a line with
 * msg="cannot connect", and copies the first such line into line.
 */
static void
wait_cannot_connect(struct itest_fx *f, char *line, size_t len)
{
	itest_fx_wait_log(f, f->log, 1, "msg=\"cannot connect\"", NULL);
	if (itest_log_line(line, len, f->log, "msg=\"cannot connect\"",
	    NULL) == -1)
		fail_msg("%s: no line with msg=\"cannot connect\"", f->log);
}

/*
 * Checks that the projector's log holds none of the NULL-terminated secrets;
 * names[i] says what secrets[i] is, since the message must not print it.
 */
static void
check_no_secrets(const struct itest_fx *f, const char *const secrets[],
    const char *const names[])
{
	char *text = read_file(f->log);
	size_t i;

	for (i = 0; secrets[i] != NULL; i++) {
		assert_true(strlen(secrets[i]) >= 8);
		if (strstr(text, secrets[i]) != NULL) {
			free(text);
			fail_msg("the projector's log shows the %s", names[i]);
		}
	}
	free(text);
}

/* Checks that a run warned about none of the secret files. */
static void
check_no_mode_warning(const struct itest_fx *f)
{
	char *text = read_file(f->log);
	int warned = strstr(text, "readable by others") != NULL;

	free(text);
	if (warned) {
		itest_show_log(f->log);
		fail_msg("a warning about a secret file whose mode is 0600");
	}
}

/* ---- tokens ---- */

/* Starts a server that wants token: `authorization { token }`. */
static void
start_token_server(struct itest_fx *f, const char *token)
{
	char conf[256];

	snprintf(conf, sizeof(conf), "authorization { token: \"%s\" }\n", token);
	itest_fx_start_natsd(f, conf);
}

/*
 * Checks that the server of f refuses a client without credentials, and
 * publishes the fixture to it with token.
 */
static void
feed_with_token(struct itest_fx *f, const char *token)
{
	natsOptions *opts;

	check_refuses_anonymous(f->d.url);
	opts = options_new();
	assert_int_equal(natsOptions_SetToken(opts, token), NATS_OK);
	itest_fx_publish_fixture(f, NULL, opts);
}

/*
 * Writes token to ga-1.token with mode (its path into file) and the
 * configuration that logs in with that token_file.
 */
static void
write_token_config(struct itest_fx *f, const char *token, mode_t mode,
    char *file, size_t len)
{
	char auth[ITEST_PATH_MAX + 32];

	itest_fx_write_secret(f, "ga-1.token", token, mode, file, len);
	snprintf(auth, sizeof(auth), "{ token_file: \"%s\" }", file);
	write_config(f, f->d.url, NULL, auth);
}

/* ---- the tests ---- */

/* Token: `authorization { token }`, the projector's token_file 0600. */
static void
test_token(void **state)
{
	struct itest_fx *f = *state;
	const char *token = "tok-6Yh2VqX9pLr3Zs0w";
	char file[ITEST_PATH_MAX];

	start_token_server(f, token);
	feed_with_token(f, token);
	write_token_config(f, token, 0600, file, sizeof(file));
	run_and_check(f);
	check_no_mode_warning(f);
	check_no_secrets(f, (const char *const[]){ token, NULL },
	    (const char *const[]){ "token", NULL });
}

/*
 * A token the server refuses: `run` says "cannot connect" with the
 * server's reason, keeps trying (the server sees the attempts), and still
 * stops cleanly on SIGTERM. Neither token shows in its log.
 */
static void
test_token_refused(void **state)
{
	struct itest_fx *f = *state;
	const char *token = "tok-Right-4hN8qK2mW7", *wrong = "tok-Wrong-9fB3xJ5tE1";
	char file[ITEST_PATH_MAX], line[4096];

	start_token_server(f, token);
	write_token_config(f, wrong, 0600, file, sizeof(file));
	itest_fx_start_projector(f);

	wait_cannot_connect(f, line, sizeof(line));
	if (strstr(line, "Authorization Violation") == NULL ||
	    strstr(line, "account=" ACCOUNT) == NULL) {
		itest_show_log(f->log);
		fail_msg("the reason or the account is missing: %s", line);
	}
	/* The server logs each refused attempt: the projector kept trying. */
	itest_fx_wait_log(f, f->d.log, RETRIES_SEEN, "authentication error",
	    NULL);
	assert_int_equal(proc_wait(&f->p, 0, NULL), -1);
	itest_fx_stop_projector(f, STOP_MS);
	check_no_secrets(f, (const char *const[]){ token, wrong, NULL },
	    (const char *const[]){ "server's token", "wrong token", NULL });
}

/* User and password: `authorization { users }`, password_file 0600. */
static void
test_password(void **state)
{
	struct itest_fx *f = *state;
	const char *password = "pw-Qm4Tz8Lc1Vb6Xn";
	char conf[256], file[ITEST_PATH_MAX], auth[ITEST_PATH_MAX + 64];
	natsOptions *opts;

	snprintf(conf, sizeof(conf), "authorization { users: [ "
	    "{ user: projector, password: \"%s\" } ] }\n", password);
	itest_fx_start_natsd(f, conf);
	check_refuses_anonymous(f->d.url);
	opts = options_new();
	assert_int_equal(natsOptions_SetUserInfo(opts, "projector", password),
	    NATS_OK);
	itest_fx_publish_fixture(f, NULL, opts);

	itest_fx_write_secret(f, "ga-1.pass", password, 0600, file,
	    sizeof(file));
	snprintf(auth, sizeof(auth), "{ user: projector, password_file: \"%s\" }",
	    file);
	write_config(f, f->d.url, NULL, auth);
	run_and_check(f);
	check_no_mode_warning(f);
	check_no_secrets(f, (const char *const[]){ password, NULL },
	    (const char *const[]){ "password", NULL });
}

/*
 * A secret file that group and others can read draws a warning that names
 * the file, and is used all the same.
 */
static void
test_secret_mode_warning(void **state)
{
	struct itest_fx *f = *state;
	const char *token = "tok-Open-7Rk2Wd5Hs9";
	char file[ITEST_PATH_MAX], line[4096];

	start_token_server(f, token);
	feed_with_token(f, token);
	write_token_config(f, token, 0644, file, sizeof(file));
	run_and_check(f);
	if (itest_log_line(line, sizeof(line), f->log, "readable by others",
	    NULL) == -1) {
		itest_show_log(f->log);
		fail_msg("no line with readable by others");
	}
	if (strstr(line, "level=warn") == NULL || strstr(line, file) == NULL) {
		itest_show_log(f->log);
		fail_msg("the warning is not a warn line naming %s: %s", file,
		    line);
	}
	check_no_secrets(f, (const char *const[]){ token, NULL },
	    (const char *const[]){ "token", NULL });
}

/*
 * Nkey: the server knows the user's public key, the projector signs the
 * server's nonce with the seed in nkey_seed_file.
 */
static void
test_nkey(void **state)
{
	struct itest_fx *f = *state;
	struct nkey user;
	char conf[256], file[ITEST_PATH_MAX], auth[ITEST_PATH_MAX + 128];
	natsOptions *opts;

	/* The check value of CRC-16/XMODEM, then the letters nkeys promise. */
	assert_int_equal(nkey_crc16((const unsigned char *)"123456789", 9), 0x31c3);
	nkey_new(NKEY_PREFIX_USER, &user);
	assert_int_equal(user.seed[0], 'S');
	assert_int_equal(user.seed[1], 'U');
	assert_int_equal(user.pub[0], 'U');
	snprintf(conf, sizeof(conf), "authorization { users: [ "
	    "{ nkey: %s } ] }\n", user.pub);
	itest_fx_start_natsd(f, conf);
	check_refuses_anonymous(f->d.url);
	itest_fx_write_secret(f, "ga-1.nk", user.seed, 0600, file,
	    sizeof(file));
	opts = options_new();
	assert_int_equal(natsOptions_SetNKeyFromSeed(opts, user.pub, file),
	    NATS_OK);
	itest_fx_publish_fixture(f, NULL, opts);

	snprintf(auth, sizeof(auth), "{ nkey: %s, nkey_seed_file: \"%s\" }",
	    user.pub, file);
	write_config(f, f->d.url, NULL, auth);
	run_and_check(f);
	check_no_mode_warning(f);
	check_no_secrets(f, (const char *const[]){ user.seed, NULL },
	    (const char *const[]){ "nkey seed", NULL });
}

/*
 * A seed file alone, as the NATS tools take it: the public key follows
 * from the seed. An nkey that is not the seed's is refused (78) with both
 * keys named and the seed never quoted.
 */
static void
test_nkey_seed_only(void **state)
{
	struct itest_fx *f = *state;
	struct nkey user, other;
	char conf[256], file[ITEST_PATH_MAX], auth[ITEST_PATH_MAX + 128];
	char *text;
	natsOptions *opts;

	nkey_new(NKEY_PREFIX_USER, &user);
	nkey_new(NKEY_PREFIX_USER, &other);
	snprintf(conf, sizeof(conf), "authorization { users: [ "
	    "{ nkey: %s } ] }\n", user.pub);
	itest_fx_start_natsd(f, conf);
	itest_fx_write_secret(f, "ga-1.nk", user.seed, 0600, file,
	    sizeof(file));
	opts = options_new();
	assert_int_equal(natsOptions_SetNKeyFromSeed(opts, user.pub, file),
	    NATS_OK);
	itest_fx_publish_fixture(f, NULL, opts);

	snprintf(auth, sizeof(auth), "{ nkey_seed_file: \"%s\" }", file);
	write_config(f, f->d.url, NULL, auth);
	run_and_check(f);
	check_no_secrets(f, (const char *const[]){ user.seed, NULL },
	    (const char *const[]){ "nkey seed", NULL });

	snprintf(auth, sizeof(auth), "{ nkey: %s, nkey_seed_file: \"%s\" }",
	    other.pub, file);
	write_config(f, f->d.url, NULL, auth);
	assert_int_equal(itest_fx_run(f, "run", "-c", f->config, "--once",
	    NULL), 78);
	text = read_file(f->err);
	assert_non_null(strstr(text, other.pub));
	assert_non_null(strstr(text, user.pub));
	assert_non_null(strstr(text, "is not the public key of the seed"));
	assert_null(strstr(text, user.seed));
	free(text);
	/* check-config says so too, without the network. */
	assert_int_equal(itest_fx_run(f, "check-config", "-c", f->config,
	    NULL), 78);
	text = read_file(f->err);
	assert_non_null(strstr(text, "is not the public key of the seed"));
	free(text);
}

/*
 * Creds: operator mode (nkey_operator_conf()). An operator signs the JWTs
 * of the account (with JetStream) and of the system account the server
 * needs for JetStream; the account signs the user's. The server trusts the
 * operator and has both accounts preloaded (resolver MEMORY). The
 * projector gets the user's JWT and seed in one .creds file.
 */
static void
test_creds(void **state)
{
	struct itest_fx *f = *state;
	struct nkey acct, user;
	char opfile[ITEST_PATH_MAX], file[ITEST_PATH_MAX];
	char auth[ITEST_PATH_MAX + 32];
	char *userjwt, *conf, *creds;
	natsOptions *opts;

	itest_fx_path(f, "operator.jwt", opfile, sizeof(opfile));
	conf = nkey_operator_conf(opfile, ACCOUNT, &acct);
	nkey_new(NKEY_PREFIX_USER, &user);
	userjwt = nkey_user_jwt(&acct, &user, "projector", NULL, NULL);
	itest_fx_start_natsd(f, conf);
	check_refuses_anonymous(f->d.url);
	free(conf);

	creds = nkey_creds(userjwt, user.seed);
	itest_fx_path(f, "ga-1.creds", file, sizeof(file));
	itest_fx_write_file(file, creds, 0600);
	explicit_bzero(creds, strlen(creds));
	free(creds);
	opts = options_new();
	assert_int_equal(natsOptions_SetUserCredentialsFromFiles(opts, file,
	    NULL), NATS_OK);
	itest_fx_publish_fixture(f, NULL, opts);

	snprintf(auth, sizeof(auth), "{ creds_file: \"%s\" }", file);
	write_config(f, f->d.url, NULL, auth);
	run_and_check(f);
	check_no_mode_warning(f);
	check_no_secrets(f, (const char *const[]){ user.seed, acct.seed,
	    userjwt, NULL }, (const char *const[]){ "user's nkey seed",
	    "account's nkey seed", "user's JWT", NULL });
	free(userjwt);
}

/* ---- TLS ---- */

/* Runs the openssl command argv; fails the test unless it exits 0. */
static void
openssl_run(struct itest_fx *f, char *const argv[])
{
	char log[ITEST_PATH_MAX], *text;
	int code;

	itest_fx_path(f, "openssl.log", log, sizeof(log));
	if (proc_run(argv, OPENSSL_MS, &code, log, log) == -1)
		fail_msg("openssl: %s", strerror(errno));
	if (code != 0) {
		text = read_file(log);
		fprintf(stderr, "%s", text);
		free(text);
		fail_msg("openssl %s exited %d", argv[1], code);
	}
}

/*
 * Makes, in f->dir, a CA (ca.pem), a server certificate for IP 127.0.0.1
 * (server.pem, server-key.pem) and a client certificate (client.pem,
 * client-key.pem), both signed by the CA, with P-256 keys. An own openssl
 * configuration keeps the extensions independent of the system's.
 */
static void
make_certs(struct itest_fx *f)
{
	static const char cnf[] =
	    "[req]\n"
	    "distinguished_name = dn\n"
	    "prompt = no\n"
	    "[dn]\n"
	    "CN = projector test\n"
	    "[ca]\n"
	    "basicConstraints = critical,CA:TRUE\n"
	    "keyUsage = critical,keyCertSign,cRLSign\n"
	    "subjectKeyIdentifier = hash\n"
	    "[server]\n"
	    "basicConstraints = CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = IP:127.0.0.1\n"
	    "[client]\n"
	    "basicConstraints = CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = clientAuth\n";
	static const char *const leaves[][3] = {
		{ "server", "/CN=127.0.0.1", "2" },
		{ "client", "/CN=projector", "3" },
	};
	char c[ITEST_PATH_MAX], ca[ITEST_PATH_MAX], cakey[ITEST_PATH_MAX];
	char csr[ITEST_PATH_MAX], cert[ITEST_PATH_MAX], key[ITEST_PATH_MAX];
	char name[64];
	size_t i;

	itest_fx_path(f, "openssl.cnf", c, sizeof(c));
	itest_fx_write_file(c, cnf, 0600);
	itest_fx_path(f, "ca.pem", ca, sizeof(ca));
	itest_fx_path(f, "ca-key.pem", cakey, sizeof(cakey));
	openssl_run(f, (char *const[]){ "openssl", "req", "-x509", "-config", c,
	    "-extensions", "ca", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", cakey, "-out", ca,
	    "-days", "2", "-subj", "/CN=projector test CA", NULL });
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		snprintf(name, sizeof(name), "%s.csr", leaves[i][0]);
		itest_fx_path(f, name, csr, sizeof(csr));
		snprintf(name, sizeof(name), "%s.pem", leaves[i][0]);
		itest_fx_path(f, name, cert, sizeof(cert));
		snprintf(name, sizeof(name), "%s-key.pem", leaves[i][0]);
		itest_fx_path(f, name, key, sizeof(key));
		openssl_run(f, (char *const[]){ "openssl", "req", "-new",
		    "-config", c, "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
		    "-out", csr, "-subj", (char *)leaves[i][1], NULL });
		openssl_run(f, (char *const[]){ "openssl", "x509", "-req",
		    "-in", csr, "-CA", ca, "-CAkey", cakey, "-set_serial",
		    (char *)leaves[i][2], "-days", "2", "-extfile", c,
		    "-extensions", (char *)leaves[i][0], "-out", cert, NULL });
	}
}

/*
 * Starts a server that requires TLS and a client certificate signed by the
 * test's CA, and publishes the fixture over mutual TLS.
 */
static void
start_tls_server(struct itest_fx *f, char *url, size_t urllen)
{
	char conf[4 * ITEST_PATH_MAX], ca[ITEST_PATH_MAX];
	char cert[ITEST_PATH_MAX], key[ITEST_PATH_MAX];
	natsOptions *opts;

	make_certs(f);
	itest_fx_path(f, "ca.pem", ca, sizeof(ca));
	itest_fx_path(f, "server.pem", cert, sizeof(cert));
	itest_fx_path(f, "server-key.pem", key, sizeof(key));
	snprintf(conf, sizeof(conf), "tls {\n"
	    "  cert_file: \"%s\"\n"
	    "  key_file: \"%s\"\n"
	    "  ca_file: \"%s\"\n"
	    "  verify: true\n"
	    "}\n", cert, key, ca);
	itest_fx_start_natsd(f, conf);
	snprintf(url, urllen, "tls://127.0.0.1:%d", f->d.port);

	itest_fx_path(f, "client.pem", cert, sizeof(cert));
	itest_fx_path(f, "client-key.pem", key, sizeof(key));
	opts = options_new();
	assert_int_equal(natsOptions_SetSecure(opts, true), NATS_OK);
	assert_int_equal(natsOptions_LoadCATrustedCertificates(opts, ca),
	    NATS_OK);
	assert_int_equal(natsOptions_LoadCertificatesChain(opts, cert, key),
	    NATS_OK);
	itest_fx_publish_fixture(f, url, opts);
}

/* The base64 of a PEM key file's first line of key material. */
static void
pem_body(const char *path, char *out, size_t outlen)
{
	char *text = read_file(path), *p, *end;

	if ((p = strchr(text, '\n')) == NULL || (end = strchr(p + 1, '\n')) == NULL)
		fail_msg("%s: not PEM", path);
	snprintf(out, outlen, "%.*s", (int)(end - p - 1), p + 1);
	free(text);
}

/* Mutual TLS: tls:// URL, ca_file, cert_file and key_file. */
static void
test_tls(void **state)
{
	struct itest_fx *f = *state;
	char url[64], ca[ITEST_PATH_MAX], cert[ITEST_PATH_MAX];
	char key[ITEST_PATH_MAX], tls[4 * ITEST_PATH_MAX], body[128];

	start_tls_server(f, url, sizeof(url));
	itest_fx_path(f, "ca.pem", ca, sizeof(ca));
	itest_fx_path(f, "client.pem", cert, sizeof(cert));
	itest_fx_path(f, "client-key.pem", key, sizeof(key));
	snprintf(tls, sizeof(tls), "{ ca_file: \"%s\", cert_file: \"%s\", "
	    "key_file: \"%s\" }", ca, cert, key);
	write_config(f, url, tls, NULL);
	run_and_check(f);
	pem_body(key, body, sizeof(body));
	check_no_secrets(f, (const char *const[]){ body, NULL },
	    (const char *const[]){ "client's private key", NULL });
}

/*
 * The server wants a client certificate and the projector has none (a
 * nats:// URL, made secure by ca_file): `run` cannot connect, says so with
 * a reason, and keeps trying until SIGTERM. Under TLS 1.3 the server's
 * refusal comes after the handshake, and cnats 3.4 reports it only as the
 * connection closing ("Protocol Error", last error "Expected 'PONG', got
 * ''"), so the reason is checked to be there, not to name the certificate.
 */
static void
test_tls_no_client_cert(void **state)
{
	struct itest_fx *f = *state;
	char url[64], ca[ITEST_PATH_MAX], tls[2 * ITEST_PATH_MAX], line[4096];

	start_tls_server(f, url, sizeof(url));
	itest_fx_path(f, "ca.pem", ca, sizeof(ca));
	snprintf(tls, sizeof(tls), "{ ca_file: \"%s\" }", ca);
	write_config(f, f->d.url, tls, NULL);
	itest_fx_start_projector(f);

	wait_cannot_connect(f, line, sizeof(line));
	if (strstr(line, "account=" ACCOUNT) == NULL ||
	    strstr(line, "error=\"connecting: ") == NULL ||
	    strstr(line, "client certificate") == NULL) {
		itest_show_log(f->log);
		fail_msg("the account or the reason is missing: %s", line);
	}
	/* The server logs each refused attempt: the projector kept trying. */
	itest_fx_wait_log(f, f->d.log, RETRIES_SEEN,
	    "client didn't provide a certificate", NULL);
	assert_int_equal(proc_wait(&f->p, 0, NULL), -1);
	itest_fx_stop_projector(f, STOP_MS);
}

/* ---- signatures that libnats 3.4 leaves out ---- */

/*
 * Puts into nonce the first of "nonce0000000000", "nonce0000000001"... from
 * *next on whose Ed25519 signature by k starts with a zero byte (zero set)
 * or with another byte (zero 0), as nats-server's nonces are signed; moves
 * *next past it. One nonce in 256 signs to a zero byte.
 */
static void
find_nonce(const struct nkey *k, int zero, unsigned *next,
    char nonce[NONCE_LEN])
{
	unsigned char sig[NKEY_SIG_LEN];
	unsigned limit = *next + 65536;

	for (; *next < limit; (*next)++) {
		snprintf(nonce, NONCE_LEN, "nonce%010u", *next);
		nkey_sign(k, nonce, sig);
		if ((sig[0] == 0) == (zero != 0)) {
			(*next)++;
			return;
		}
	}
	fail_msg("no nonce in 65536 signs to a%s zero byte",
	    zero ? "" : " non-");
}

/*
 * Checks the CONNECT lines that fs got for a login that got in (ok) or
 * was refused after tries connections: each carries who (the nkey or the
 * JWT); the last one a signature when ok; and with libnats before 3.8.0
 * (LIBNATS_SIGNS_ALL), which left out the first nonce's signature, the
 * first none.
 */
static void
check_connects(struct fakenats *fs, const char *who, int ok, size_t tries)
{
	char line[FAKENATS_LINE_MAX];
	size_t i, n = fakenats_count(fs);

	if (n != tries)
		fail_msg("%zu logins, not %zu", n, tries);
	for (i = 0; i < n; i++) {
		assert_int_equal(fakenats_connect_line(fs, i, line,
		    sizeof(line)), 0);
		if (strstr(line, who) == NULL)
			fail_msg("login %zu is not %s's: %s", i, who, line);
		if (i == 0 && nats_GetVersionNumber() < LIBNATS_SIGNS_ALL &&
		    strstr(line, "\"sig\":") != NULL)
			fail_msg("libnats %s signed a nonce whose signature"
			    " starts with 0: %s", nats_GetVersion(), line);
		if (i == n - 1 && ok && strstr(line, "\"sig\":\"") == NULL)
			fail_msg("the login that got in has no signature: %s",
			    line);
	}
}

/*
 * libnats before 3.8.0 base64-encodes the signature of the server's nonce
 * as if it were a C string, so that one whose first byte is 0 is sent as
 * no "sig" at all, which the server refuses (nats.c pull request 705): an
 * nkey or creds login failed once in 256 (4 runs of
 * test_tenants_least_privilege in 300). Against fakenats, whose first
 * nonce signs to a zero byte, source_open() (how run, replay, verify and
 * status connect) must get in at the next nonce, with an nkey and with
 * creds; and a login refused at every nonce must be tried SIGNED_TRIES
 * times, no more, and say why.
 */
static void
test_signature_zero_byte(void **state)
{
	struct itest_fx *f = *state;
	struct nkey acct, user;
	struct fakenats *fs = NULL;
	struct source *src = NULL;
	struct config cfg;
	struct config_account a;
	char *servers[1], *jwt, *creds, err[1024], seed[ITEST_PATH_MAX];
	char credsfile[ITEST_PATH_MAX], nonce[5][NONCE_LEN];
	const char *who;
	const int old = nats_GetVersionNumber() < LIBNATS_SIGNS_ALL;
	enum source_result r;
	unsigned next = 0;
	int method, i;

	nkey_new(NKEY_PREFIX_ACCOUNT, &acct);
	nkey_new(NKEY_PREFIX_USER, &user);
	itest_fx_write_secret(f, "ga-1.nk", user.seed, 0600, seed,
	    sizeof(seed));
	jwt = nkey_user_jwt(&acct, &user, "projector", NULL, NULL);
	creds = nkey_creds(jwt, user.seed);
	itest_fx_path(f, "ga-1.creds", credsfile, sizeof(credsfile));
	itest_fx_write_file(credsfile, creds, 0600);
	explicit_bzero(creds, strlen(creds));
	free(creds);
	find_nonce(&user, 1, &next, nonce[0]);
	find_nonce(&user, 0, &next, nonce[1]);
	for (i = 2; i < 5; i++)
		find_nonce(&user, 1, &next, nonce[i]);

	for (method = 0; method < 2; method++) {
		memset(&a, 0, sizeof(a));
		a.name = ACCOUNT;
		a.auth = method == 0 ? CONFIG_AUTH_NKEY : CONFIG_AUTH_CREDS;
		a.nkey = method == 0 ? user.pub : NULL;
		a.secret_file = method == 0 ? seed : credsfile;
		who = method == 0 ? user.pub : jwt;
		memset(&cfg, 0, sizeof(cfg));
		cfg.servers = servers;
		cfg.nservers = 1;
		cfg.max_events = 100;

		/* The first nonce's signature is dropped, the next one's not. */
		if (fakenats_start((const char *const[]){ nonce[0], nonce[1] },
		    2, &fs, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		servers[0] = (char *)fakenats_url(fs);
		if ((r = source_open(&cfg, &a, NULL, NULL, &src, err,
		    sizeof(err))) != SOURCE_OK)
			fail_msg("%s: source_open: %d: %s", method == 0 ?
			    "nkey" : "creds", (int)r, err);
		source_close(src);
		check_connects(fs, who, 1, old ? 2 : 1);
		fakenats_stop(fs);

		/* Dropped at every nonce: refused, at the last try. */
		if (fakenats_start((const char *const[]){ nonce[2], nonce[3],
		    nonce[4] }, 3, &fs, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		servers[0] = (char *)fakenats_url(fs);
		r = source_open(&cfg, &a, NULL, NULL, &src, err, sizeof(err));
		if (old) {
			assert_int_equal(r, SOURCE_RETRY);
			assert_non_null(strstr(err, "Authorization Violation"));
		} else {
			assert_int_equal(r, SOURCE_OK);
			source_close(src);
		}
		check_connects(fs, who, !old, old ? SIGNED_TRIES : 1);
		fakenats_stop(fs);
	}
	free(jwt);
	explicit_bzero(&user, sizeof(user));
	explicit_bzero(&acct, sizeof(acct));
}

/*
 * The same for the tests' own clients: publish_connect_opts(), which
 * tenants_fx_connect() and itest_fx_publish_fixture() log in with, gets
 * in past a signature that libnats left out.
 */
static void
test_signature_zero_byte_tests(void **state)
{
	struct itest_fx *f = *state;
	struct nkey user;
	struct fakenats *fs = NULL;
	natsConnection *nc = NULL;
	natsOptions *opts;
	char err[1024], seed[ITEST_PATH_MAX], nonce[2][NONCE_LEN];
	unsigned next = 0;

	nkey_new(NKEY_PREFIX_USER, &user);
	itest_fx_write_secret(f, "ga-1.nk", user.seed, 0600, seed,
	    sizeof(seed));
	find_nonce(&user, 1, &next, nonce[0]);
	find_nonce(&user, 0, &next, nonce[1]);
	if (fakenats_start((const char *const[]){ nonce[0], nonce[1] }, 2,
	    &fs, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	opts = options_new();
	assert_int_equal(natsOptions_SetNKeyFromSeed(opts, user.pub, seed),
	    NATS_OK);
	if (publish_connect_opts(fakenats_url(fs), opts, &nc, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	natsOptions_Destroy(opts);
	natsConnection_Destroy(nc);
	check_connects(fs, user.pub, 1,
	    nats_GetVersionNumber() < LIBNATS_SIGNS_ALL ? 2 : 1);
	fakenats_stop(fs);
	explicit_bzero(&user, sizeof(user));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, itest_fx_teardown)
		T_(test_token),
		T_(test_token_refused),
		T_(test_password),
		T_(test_secret_mode_warning),
		T_(test_nkey),
		T_(test_nkey_seed_only),
		T_(test_creds),
		T_(test_tls),
		T_(test_tls_no_client_cert),
		T_(test_signature_zero_byte),
		T_(test_signature_zero_byte_tests),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
