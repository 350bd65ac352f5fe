/*
 * test_config.c: config_load(), config_load_string() and config_validate().
 *
 * Most cases parse a string as "t.yaml" with basedir /etc/projector, and
 * compare the whole error line, position included: the position is the
 * contract that tells an operator where to look.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

#define ACCOUNT \
	"accounts:\n" \
	"  - name: ga-1\n" \
	"    stream: everything\n" \
	"    database: data/ga-1.db\n"

static const char *const known[] = {
	"session_history", "player_profiles", "leaderboard", NULL
};

static struct config *
load_ok(const char *text)
{
	struct config *cfg = NULL;
	char err[512] = "";
	enum config_error rc;

	rc = config_load_string(text, "t.yaml", "/etc/projector", &cfg, err,
	    sizeof(err));
	if (rc != CONFIG_OK)
		fail_msg("unexpected error: %s", err);
	assert_non_null(cfg);
	return cfg;
}

static void
load_fails(const char *text, const char *want)
{
	struct config *cfg = NULL;
	char err[512] = "";

	assert_int_equal(config_load_string(text, "t.yaml", "/etc/projector",
	    &cfg, err, sizeof(err)), CONFIG_EINVALID);
	assert_null(cfg);
	assert_string_equal(err, want);
}

static void
validate_ok(const char *text)
{
	struct config *cfg = load_ok(text);
	char err[512] = "";

	if (config_validate(cfg, known, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	config_free(cfg);
}

static void
validate_fails(const char *text, const char *want)
{
	struct config *cfg = load_ok(text);
	char err[512] = "";

	assert_int_equal(config_validate(cfg, known, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	config_free(cfg);
}

static void
test_full(void **state)
{
	struct config *cfg;
	struct config_account *a;

	(void)state;
	cfg = load_ok(
	    "nats:\n"
	    "  servers: [nats://n1:4222, nats://n2:4222]\n"
	    "  tls:\n"
	    "    ca_file: certs/ca.pem\n"
	    "    cert_file: certs/client.pem\n"
	    "    key_file: /abs/client-key.pem\n"
	    "batch:\n"
	    "  max_events: 500\n"
	    "  max_wait_ms: 20\n"
	    "accounts:\n"
	    "  - name: ga-1\n"
	    "    auth:\n"
	    "      user: projector\n"
	    "      password_file: secrets/ga-1.pass\n"
	    "    stream: everything\n"
	    "    subjects: [v0.rust.servers.>, v0.other.>]\n"
	    "    consumer: proj-1\n"
	    "    database: data/ga-1.db\n"
	    "    projections: [session_history, leaderboard]\n");
	assert_string_equal(cfg->path, "t.yaml");
	assert_int_equal(cfg->nservers, 2);
	assert_string_equal(cfg->servers[0], "nats://n1:4222");
	assert_string_equal(cfg->servers[1], "nats://n2:4222");
	assert_string_equal(cfg->tls_ca_file, "/etc/projector/certs/ca.pem");
	assert_string_equal(cfg->tls_cert_file,
	    "/etc/projector/certs/client.pem");
	assert_string_equal(cfg->tls_key_file, "/abs/client-key.pem");
	assert_int_equal(cfg->max_events, 500);
	assert_int_equal(cfg->max_wait_ms, 20);
	assert_int_equal(cfg->naccounts, 1);
	a = &cfg->accounts[0];
	assert_string_equal(a->name, "ga-1");
	assert_int_equal(a->auth, CONFIG_AUTH_PASSWORD);
	assert_string_equal(a->user, "projector");
	assert_null(a->nkey);
	assert_string_equal(a->secret_file, "/etc/projector/secrets/ga-1.pass");
	assert_string_equal(a->stream, "everything");
	assert_int_equal(a->nsubjects, 2);
	assert_string_equal(a->subjects[0], "v0.rust.servers.>");
	assert_string_equal(a->subjects[1], "v0.other.>");
	assert_string_equal(a->consumer, "proj-1");
	assert_string_equal(a->database, "/etc/projector/data/ga-1.db");
	assert_int_equal(a->nprojections, 2);
	assert_string_equal(a->projections[0], "session_history");
	assert_string_equal(a->projections[1], "leaderboard");
	assert_int_equal(a->line, 11);
	assert_int_equal(a->column, 5);
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct config *cfg;
	struct config_account *a;
	char err[512];

	(void)state;
	cfg = load_ok(ACCOUNT);
	assert_int_equal(cfg->nservers, 1);
	assert_string_equal(cfg->servers[0], CONFIG_DEFAULT_SERVER);
	assert_null(cfg->tls_ca_file);
	assert_null(cfg->tls_cert_file);
	assert_null(cfg->tls_key_file);
	assert_int_equal(cfg->max_events, CONFIG_DEFAULT_MAX_EVENTS);
	assert_int_equal(cfg->max_wait_ms, CONFIG_DEFAULT_MAX_WAIT_MS);
	a = &cfg->accounts[0];
	assert_int_equal(a->auth, CONFIG_AUTH_NONE);
	assert_null(a->user);
	assert_null(a->nkey);
	assert_null(a->secret_file);
	assert_int_equal(a->nsubjects, 1);
	assert_string_equal(a->subjects[0], CONFIG_DEFAULT_SUBJECT);
	assert_string_equal(a->consumer, CONFIG_DEFAULT_CONSUMER);
	assert_null(a->projections);
	assert_int_equal(a->nprojections, 0);
	assert_int_equal(config_validate(cfg, known, err, sizeof(err)), 0);
	config_free(cfg);

	/* Empty sections are the same as absent ones. */
	cfg = load_ok("nats:\nbatch: ~\n" ACCOUNT "    auth:\n");
	assert_string_equal(cfg->servers[0], CONFIG_DEFAULT_SERVER);
	assert_int_equal(cfg->max_events, CONFIG_DEFAULT_MAX_EVENTS);
	assert_int_equal(cfg->accounts[0].auth, CONFIG_AUTH_NONE);
	config_free(cfg);
}

static void
test_servers_scalar(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("nats:\n  servers: nats://one:4222\n" ACCOUNT);
	assert_int_equal(cfg->nservers, 1);
	assert_string_equal(cfg->servers[0], "nats://one:4222");
	config_free(cfg);
	load_fails("nats:\n  servers: [nats://u:pw@h:4222]\n" ACCOUNT,
	    "t.yaml:2:12: a server URL may not carry credentials; secrets are"
	    " read from files named in each account's auth");
	load_fails("nats:\n  servers: tok@h:4222\n" ACCOUNT,
	    "t.yaml:2:12: a server URL may not carry credentials; secrets are"
	    " read from files named in each account's auth");
	validate_fails("nats:\n  servers: []\n" ACCOUNT,
	    "t.yaml:2:12: 'servers' is empty; add at least one NATS URL");
}

static struct config_account *
auth_account(struct config **cfg, const char *auth)
{
	char text[1024];

	snprintf(text, sizeof(text), ACCOUNT "    auth:\n%s", auth);
	*cfg = load_ok(text);
	return &(*cfg)->accounts[0];
}

static void
test_auth_methods(void **state)
{
	struct config *cfg;
	struct config_account *a;

	(void)state;
	a = auth_account(&cfg, "      user: u\n      password_file: p\n");
	assert_int_equal(a->auth, CONFIG_AUTH_PASSWORD);
	assert_string_equal(a->user, "u");
	assert_string_equal(a->secret_file, "/etc/projector/p");
	config_free(cfg);

	a = auth_account(&cfg, "      token_file: secrets/t\n");
	assert_int_equal(a->auth, CONFIG_AUTH_TOKEN);
	assert_null(a->user);
	assert_string_equal(a->secret_file, "/etc/projector/secrets/t");
	config_free(cfg);

	a = auth_account(&cfg, "      nkey: UABC\n"
	    "      nkey_seed_file: s.nk\n");
	assert_int_equal(a->auth, CONFIG_AUTH_NKEY);
	assert_string_equal(a->nkey, "UABC");
	assert_string_equal(a->secret_file, "/etc/projector/s.nk");
	config_free(cfg);

	/* A seed file alone: the public key follows from the seed. */
	a = auth_account(&cfg, "      nkey_seed_file: s.nk\n");
	assert_int_equal(a->auth, CONFIG_AUTH_NKEY);
	assert_null(a->nkey);
	assert_string_equal(a->secret_file, "/etc/projector/s.nk");
	config_free(cfg);

	a = auth_account(&cfg, "      creds_file: /run/ga.creds\n");
	assert_int_equal(a->auth, CONFIG_AUTH_CREDS);
	assert_string_equal(a->secret_file, "/run/ga.creds");
	config_free(cfg);
}

static void
test_auth_inline_secrets(void **state)
{
	static const char *const cases[][2] = {
		{ "password", "password_file" }, { "token", "token_file" },
		{ "seed", "nkey_seed_file" }, { "nkey_seed", "nkey_seed_file" },
		{ "jwt", "creds_file" }, { "creds", "creds_file" }
	};
	char text[512], want[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), ACCOUNT "    auth:\n"
		    "      %s: hunter2\n", cases[i][0]);
		snprintf(want, sizeof(want), "t.yaml:6:7: inline secret '%s'"
		    " refused: secrets are read from files; use '%s'",
		    cases[i][0], cases[i][1]);
		load_fails(text, want);
	}
	/* Also outside auth, where someone might put it by mistake. */
	load_fails(ACCOUNT "    password: hunter2\n",
	    "t.yaml:5:5: inline secret 'password' refused: secrets are read"
	    " from files; use 'password_file'");
}

static void
test_auth_errors(void **state)
{
	(void)state;
	load_fails(ACCOUNT "    auth:\n      user: u\n      password_file: p\n"
	    "      token_file: t\n",
	    "t.yaml:8:7: 'token_file' cannot be combined with 'user': auth"
	    " takes at most one method");
	load_fails(ACCOUNT "    auth:\n      creds_file: c\n      nkey: UX\n",
	    "t.yaml:7:7: 'nkey' cannot be combined with 'creds_file': auth"
	    " takes at most one method");
	load_fails(ACCOUNT "    auth:\n      user: u\n",
	    "t.yaml:6:7: 'user' needs 'password_file'");
	load_fails(ACCOUNT "    auth:\n      password_file: p\n",
	    "t.yaml:6:7: 'password_file' needs 'user'");
	load_fails(ACCOUNT "    auth:\n      nkey: UX\n",
	    "t.yaml:6:7: 'nkey' needs 'nkey_seed_file'");
	/* A seed pasted as nkey is refused without echoing it. */
	load_fails(ACCOUNT "    auth:\n      nkey: SUAXYZ\n"
	    "      nkey_seed_file: s\n",
	    "t.yaml:6:13: 'nkey' must be the user's public nkey, which starts"
	    " with 'U'; the seed goes in the file named by 'nkey_seed_file'");
	load_fails(ACCOUNT "    auth: token\n",
	    "t.yaml:5:11: 'auth' must be a mapping, not a string");
}

static void
test_tls(void **state)
{
	(void)state;
	load_fails("nats:\n  tls:\n    cert_file: c.pem\n" ACCOUNT,
	    "t.yaml:3:5: 'cert_file' needs 'key_file'");
	load_fails("nats:\n  tls: {key_file: k.pem}\n" ACCOUNT,
	    "t.yaml:2:8: 'key_file' needs 'cert_file'");
	load_fails("nats:\n  tls: [a]\n" ACCOUNT,
	    "t.yaml:2:8: 'tls' must be a mapping, not a list");
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	load_fails("natz: {}\n" ACCOUNT,
	    "t.yaml:1:1: unknown key 'natz' at the top level (allowed: nats,"
	    " batch, accounts, plugins, http)");
	load_fails("nats:\n  server: [x]\n" ACCOUNT,
	    "t.yaml:2:3: unknown key 'server' in nats (allowed: servers, tls)");
	load_fails("nats:\n  tls:\n    ca: x\n" ACCOUNT,
	    "t.yaml:3:5: unknown key 'ca' in nats.tls (allowed: ca_file,"
	    " cert_file, key_file)");
	load_fails("batch:\n  size: 10\n" ACCOUNT,
	    "t.yaml:2:3: unknown key 'size' in batch (allowed: max_events,"
	    " max_wait_ms)");
	load_fails(ACCOUNT "    durable: x\n",
	    "t.yaml:5:5: unknown key 'durable' in an account (allowed: name,"
	    " auth, stream, subjects, consumer, database, archive,"
	    " projections, js_domain, js_api_prefix)");
	load_fails(ACCOUNT "    auth:\n      username: u\n",
	    "t.yaml:6:7: unknown key 'username' in auth (allowed: user,"
	    " password_file, token_file, nkey, nkey_seed_file, creds_file)");
	load_fails(ACCOUNT "    stream: again\n",
	    "t.yaml:5:5: duplicate key 'stream' in an account");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	load_fails("- a\n- b\n",
	    "t.yaml:1:1: the top level must be a mapping, not a list");
	load_fails("nats: [a]\n" ACCOUNT,
	    "t.yaml:1:7: 'nats' must be a mapping, not a list");
	load_fails("nats:\n  servers: {a: b}\n" ACCOUNT,
	    "t.yaml:2:12: 'servers' must be a list or a string, not a mapping");
	load_fails("nats:\n  servers: [[a]]\n" ACCOUNT,
	    "t.yaml:2:13: 'servers' item must be a string, not a list");
	load_fails("batch:\n  max_events: lots\n" ACCOUNT,
	    "t.yaml:2:15: 'max_events' must be an integer, not 'lots'");
	load_fails("batch:\n  max_events: \"100\"\n" ACCOUNT,
	    "t.yaml:2:15: 'max_events' must be an integer, not a quoted"
	    " string");
	load_fails("batch:\n  max_wait_ms: [1]\n" ACCOUNT,
	    "t.yaml:2:16: 'max_wait_ms' must be an integer, not a list");
	load_fails("batch:\n  max_wait_ms:\n" ACCOUNT,
	    "t.yaml:2:3: 'max_wait_ms' must be an integer, not an empty"
	    " value");
	load_fails("accounts: {name: x}\n",
	    "t.yaml:1:11: 'accounts' must be a list, not a mapping");
	load_fails("accounts:\n  - ga-1\n",
	    "t.yaml:2:5: 'accounts' item must be a mapping, not a string");
	load_fails("accounts:\n  - name: [ga-1]\n",
	    "t.yaml:2:11: 'name' must be a string, not a list");
	load_fails("accounts:\n  - name: ''\n",
	    "t.yaml:2:11: 'name' must not be empty");
	load_fails(ACCOUNT "    subjects: v0.>\n",
	    "t.yaml:5:15: 'subjects' must be a list, not a string");
	load_fails(ACCOUNT "    subjects: ['']\n",
	    "t.yaml:5:16: 'subjects' item must not be empty");
	load_fails(ACCOUNT "    consumer:\n",
	    "t.yaml:5:5: 'consumer' must be a string, not an empty value");
	load_fails("? [a]\n: b\n" ACCOUNT,
	    "t.yaml:1:3: a key must be a string, not a list");
}

static void
test_missing_keys(void **state)
{
	(void)state;
	load_fails("nats: {}\n",
	    "t.yaml:1:1: missing required key 'accounts'");
	load_fails("accounts:\n  - stream: s\n    database: d\n",
	    "t.yaml:2:5: account is missing required key 'name'");
	load_fails("accounts:\n  - name: ga-1\n    database: d\n",
	    "t.yaml:2:5: account is missing required key 'stream'");
	load_fails("accounts:\n  - name: ga-1\n    stream: s\n",
	    "t.yaml:2:5: account is missing required key 'database'");
	load_fails("", "t.yaml:1:1: the file is empty; expected a mapping with"
	    " 'accounts'");
	load_fails("# nothing\n", "t.yaml:2:1: the file is empty; expected a"
	    " mapping with 'accounts'");
}

static void
test_duplicates(void **state)
{
	(void)state;
	validate_fails(ACCOUNT
	    "  - name: ga-1\n"
	    "    stream: s\n"
	    "    database: data/other.db\n",
	    "t.yaml:5:11: account name 'ga-1' is used twice (first at line 2)");
	/* The same file, written three ways, once resolved. */
	validate_fails(ACCOUNT
	    "  - name: ga-2\n"
	    "    stream: s\n"
	    "    database: ./data//ga-1.db\n",
	    "t.yaml:7:15: database '/etc/projector/data/ga-1.db' is already"
	    " used by account 'ga-1'");
	validate_fails(ACCOUNT
	    "  - name: ga-2\n"
	    "    stream: s\n"
	    "    database: /etc/projector/data/ga-1.db\n",
	    "t.yaml:7:15: database '/etc/projector/data/ga-1.db' is already"
	    " used by account 'ga-1'");
	validate_ok(ACCOUNT
	    "  - name: ga-2\n"
	    "    stream: everything\n"
	    "    database: data/ga-2.db\n");
	/* cnats 3.4 and nats-server 2.9 give a consumer one filter. */
	validate_fails("accounts:\n"
	    "  - name: ga-1\n"
	    "    stream: everything\n"
	    "    subjects: [v0.rust.servers.>, v0.other.>]\n"
	    "    database: data/ga-1.db\n",
	    "t.yaml:4:15: 'subjects' holds 2 filters; this version takes one"
	    " (nats-server 2.9 consumers have one filter subject)");
}

static void
test_names(void **state)
{
	(void)state;
	validate_fails("accounts:\n  - name: ga 1\n    stream: s\n"
	    "    database: d\n",
	    "t.yaml:2:11: account name 'ga 1' may only hold letters, digits,"
	    " '_' and '-'");
	validate_fails("accounts:\n  - name: ga.1\n    stream: s\n"
	    "    database: d\n",
	    "t.yaml:2:11: account name 'ga.1' may only hold letters, digits,"
	    " '_' and '-'");
	validate_ok("accounts:\n  - name: Ga_1-x\n    stream: s\n"
	    "    database: d\n");
}

static void
test_batch_ranges(void **state)
{
	(void)state;
	validate_ok("batch: {max_events: 1, max_wait_ms: 1}\n" ACCOUNT);
	validate_ok("batch: {max_events: 100000, max_wait_ms: 60000}\n"
	    ACCOUNT);
	validate_fails("batch:\n  max_events: 0\n" ACCOUNT,
	    "t.yaml:2:15: 'max_events' must be between 1 and 100000");
	validate_fails("batch:\n  max_events: 100001\n" ACCOUNT,
	    "t.yaml:2:15: 'max_events' must be between 1 and 100000");
	validate_fails("batch:\n  max_events: 99999999999999999999\n" ACCOUNT,
	    "t.yaml:2:15: 'max_events' must be between 1 and 100000");
	validate_fails("batch:\n  max_wait_ms: -5\n" ACCOUNT,
	    "t.yaml:2:16: 'max_wait_ms' must be between 1 and 60000");
	validate_fails("batch:\n  max_wait_ms: 60001\n" ACCOUNT,
	    "t.yaml:2:16: 'max_wait_ms' must be between 1 and 60000");
}

static void
test_http(void **state)
{
	struct config *cfg;

	(void)state;
	/* Absent (or empty): off, with the defaults ready for a later block. */
	cfg = load_ok(ACCOUNT);
	assert_null(cfg->http.listen);
	assert_int_equal(cfg->http.ready_max_lag, 100);
	assert_int_equal(cfg->http.ready_grace_ms, 30000);
	assert_int_equal(cfg->http.ready_stall_ms, 60000);
	config_free(cfg);
	cfg = load_ok("http:\n" ACCOUNT);
	assert_null(cfg->http.listen);
	config_free(cfg);
	cfg = load_ok("http:\n  listen: \"127.0.0.1:9464\"\n" ACCOUNT);
	assert_string_equal(cfg->http.listen, "127.0.0.1:9464");
	assert_string_equal(cfg->http.host, "127.0.0.1");
	assert_int_equal(cfg->http.port, 9464);
	assert_int_equal(cfg->http.ready_max_lag, 100);
	config_free(cfg);
	cfg = load_ok("http: {listen: '[::1]:80', ready_max_lag: 0,"
	    " ready_grace_ms: 500, ready_stall_ms: 1}\n" ACCOUNT);
	assert_string_equal(cfg->http.host, "::1");
	assert_int_equal(cfg->http.port, 80);
	assert_int_equal(cfg->http.ready_max_lag, 0);
	assert_int_equal(cfg->http.ready_grace_ms, 500);
	assert_int_equal(cfg->http.ready_stall_ms, 1);
	config_free(cfg);
	validate_ok("http: {listen: '0.0.0.0:65535', ready_max_lag: 1000000000,"
	    " ready_grace_ms: 86400000, ready_stall_ms: 86400000}\n" ACCOUNT);

	load_fails("http:\n  ready_max_lag: 5\n" ACCOUNT,
	    "t.yaml:2:3: 'http' is missing required key 'listen'");
	load_fails("http:\n  listen: 127.0.0.1:9464\n  port: 1\n" ACCOUNT,
	    "t.yaml:3:3: unknown key 'port' in http (allowed: listen,"
	    " ready_max_lag, ready_grace_ms, ready_stall_ms)");
	load_fails("http: 9464\n" ACCOUNT,
	    "t.yaml:1:7: 'http' must be a mapping, not a string");
	load_fails("http:\n  listen: localhost:9464\n" ACCOUNT,
	    "t.yaml:2:11: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not 'localhost:9464'");
	load_fails("http: {listen: '::1:9464'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '::1:9464'");
	load_fails("http: {listen: '[::1]9464'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '[::1]9464'");
	load_fails("http: {listen: '127.0.0.1:0'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '127.0.0.1:0'");
	load_fails("http: {listen: '127.0.0.1:65536'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '127.0.0.1:65536'");
	load_fails("http: {listen: '127.0.0.1:'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '127.0.0.1:'");
	load_fails("http: {listen: '127.0.0.1'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '127.0.0.1'");
	load_fails("http: {listen: '1.2.3.4:+80'}\n" ACCOUNT,
	    "t.yaml:1:16: 'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
	    " with a port from 1 to 65535, not '1.2.3.4:+80'");
	load_fails("http:\n  listen: 127.0.0.1:1\n  ready_max_lag: '5'\n"
	    ACCOUNT, "t.yaml:3:18: 'ready_max_lag' must be an integer, not a"
	    " quoted string");
	validate_fails("http:\n  listen: 127.0.0.1:1\n  ready_max_lag: -1\n"
	    ACCOUNT, "t.yaml:3:18: 'ready_max_lag' must be between 0 and"
	    " 1000000000");
	validate_fails("http:\n  listen: 127.0.0.1:1\n"
	    "  ready_grace_ms: 86400001\n" ACCOUNT,
	    "t.yaml:3:19: 'ready_grace_ms' must be between 0 and 86400000");
	validate_fails("http:\n  listen: 127.0.0.1:1\n  ready_stall_ms: 0\n"
	    ACCOUNT, "t.yaml:3:19: 'ready_stall_ms' must be between 1 and"
	    " 86400000");
}

static void
test_projections(void **state)
{
	(void)state;
	validate_ok(ACCOUNT
	    "    projections: [leaderboard, player_profiles]\n");
	validate_fails(ACCOUNT "    projections:\n      - leaderboard\n"
	    "      - leaderbord\n",
	    "t.yaml:7:9: unknown projection 'leaderbord' (known:"
	    " session_history, player_profiles, leaderboard)");
	validate_fails(ACCOUNT "    projections: [leaderboard, leaderboard]\n",
	    "t.yaml:5:32: projection 'leaderboard' is listed twice");
	load_fails(ACCOUNT "    projections: []\n",
	    "t.yaml:5:18: 'projections' is empty; leave it out to run every"
	    " built-in projection");
}

static void
test_subjects_empty(void **state)
{
	(void)state;
	validate_fails(ACCOUNT "    subjects: []\n",
	    "t.yaml:5:15: 'subjects' is empty; add at least one subject"
	    " filter");
}

static void
test_paths(void **state)
{
	struct config *cfg;
	char err[512];

	(void)state;
	cfg = load_ok("accounts:\n"
	    "  - {name: a, stream: s, database: ../var/a.db}\n"
	    "  - {name: b, stream: s, database: ./b.db}\n"
	    "  - {name: c, stream: s, database: /var/lib/c.db}\n");
	assert_string_equal(cfg->accounts[0].database,
	    "/etc/projector/../var/a.db");
	assert_string_equal(cfg->accounts[1].database, "/etc/projector/b.db");
	assert_string_equal(cfg->accounts[2].database, "/var/lib/c.db");
	config_free(cfg);

	/* Without a basedir, relative paths stay relative to the cwd. */
	assert_int_equal(config_load_string(ACCOUNT "    auth:\n"
	    "      token_file: secrets/t\n", "t.yaml", NULL, &cfg, err,
	    sizeof(err)), CONFIG_OK);
	assert_string_equal(cfg->accounts[0].database, "data/ga-1.db");
	assert_string_equal(cfg->accounts[0].secret_file, "secrets/t");
	config_free(cfg);
}

/*
 * archive: a file beside the database by default, a path relative to the
 * configuration's folder, or false; each account's own.
 */
static void
test_archive(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(ACCOUNT);
	assert_string_equal(cfg->accounts[0].archive,
	    "/etc/projector/data/ga-1.db-archive");
	config_free(cfg);
	cfg = load_ok(ACCOUNT "    archive: history/ga-1.archive\n");
	assert_string_equal(cfg->accounts[0].archive,
	    "/etc/projector/history/ga-1.archive");
	config_free(cfg);
	cfg = load_ok(ACCOUNT "    archive: true\n");
	assert_string_equal(cfg->accounts[0].archive,
	    "/etc/projector/data/ga-1.db-archive");
	config_free(cfg);
	cfg = load_ok(ACCOUNT "    archive: false\n");
	assert_null(cfg->accounts[0].archive);
	config_free(cfg);
	/* Quoted, "false" is a file called false. */
	cfg = load_ok(ACCOUNT "    archive: \"false\"\n");
	assert_string_equal(cfg->accounts[0].archive, "/etc/projector/false");
	config_free(cfg);
	load_fails(ACCOUNT "    archive: [a]\n",
	    "t.yaml:5:14: 'archive' must be a string, not a list");
	validate_fails(ACCOUNT "    archive: data/ga-1.db\n",
	    "t.yaml:5:14: archive '/etc/projector/data/ga-1.db' is already"
	    " used (line 2); give each account an archive of its own");
	validate_fails(ACCOUNT "    archive: h.db\n"
	    "  - name: ga-2\n"
	    "    stream: everything\n"
	    "    database: data/ga-2.db\n"
	    "    archive: h.db\n",
	    "t.yaml:9:14: archive '/etc/projector/h.db' is already used"
	    " (line 2); give each account an archive of its own");
	validate_fails(ACCOUNT
	    "  - name: ga-2\n"
	    "    stream: everything\n"
	    "    database: data/ga-2.db\n"
	    "    archive: data/ga-1.db\n",
	    "t.yaml:8:14: archive '/etc/projector/data/ga-1.db' is already used"
	    " (line 2); give each account an archive of its own");
	validate_ok(ACCOUNT "    archive: false\n"
	    "  - name: ga-2\n"
	    "    stream: everything\n"
	    "    database: data/ga-2.db\n"
	    "    archive: false\n");
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	load_fails("nats:\n  servers: [a\nbatch: {}\n",
	    "t.yaml:3:6: invalid YAML: did not find expected ',' or ']' (while"
	    " parsing a flow sequence that starts at 2:12)");
	/* The syntax error wins over the missing 'stream' it causes, and
	 * over an unknown key before it. */
	load_fails("accounts:\n  - name: a\n   stream: b\n",
	    "t.yaml:3:4: invalid YAML: did not find expected '-' indicator"
	    " (while parsing a block collection that starts at 2:3)");
	load_fails("natz: 1\na: b: c\n", "t.yaml:2:5: invalid YAML: mapping"
	    " values are not allowed in this context");
	load_fails("accounts:\n  - name: \xff\n",
	    "t.yaml:2:11: invalid YAML: invalid leading UTF-8 octet");
}

/* A "\0" escape would cut a key or value short: refused where it stands. */
static void
test_nul_escape(void **state)
{
	(void)state;
	load_fails("accounts:\n"
	    "  - name: ga-1\n"
	    "    stream: \"\\0\"\n"
	    "    database: a.db\n",
	    "t.yaml:3:13: a NUL character is not allowed in a key or value");
	load_fails("\"accounts\\x00x\": []\n",
	    "t.yaml:1:1: a NUL character is not allowed in a key or value");
}

static void
test_aliases(void **state)
{
	(void)state;
	load_fails("accounts:\n"
	    "  - name: ga-1\n"
	    "    stream: &s everything\n"
	    "    database: a.db\n",
	    "t.yaml:3:13: YAML anchors and aliases are not supported; write"
	    " the value out");
	load_fails("x: &a 1\n", "t.yaml:1:4: YAML anchors and aliases are not"
	    " supported; write the value out");
	load_fails("accounts:\n  - *acct\n", "t.yaml:2:5: YAML anchors and"
	    " aliases are not supported; write the value out");
}

static void
test_documents(void **state)
{
	(void)state;
	load_fails(ACCOUNT "---\n" ACCOUNT, "t.yaml:5:1: more than one YAML"
	    " document; the file must hold exactly one");
	/* An explicit start and end of one document is fine. */
	config_free(load_ok("---\n" ACCOUNT "...\n"));
}

static void
test_accounts_empty(void **state)
{
	(void)state;
	validate_fails("nats: {}\naccounts: []\n",
	    "t.yaml:2:11: 'accounts' is empty; add at least one account");
}

static void
test_load_errors(void **state)
{
	struct config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(config_load("configs/no-such.yaml", &cfg, err,
	    sizeof(err)), CONFIG_ENOFILE);
	assert_null(cfg);
	assert_string_equal(err, "configs/no-such.yaml: cannot open: No such"
	    " file or directory");
	assert_int_equal(config_load("configs", &cfg, err, sizeof(err)),
	    CONFIG_ENOFILE);
	assert_null(cfg);
	assert_string_equal(err, "configs: cannot open: Is a directory");
	assert_int_equal(config_load("/dev/null", &cfg, err, sizeof(err)),
	    CONFIG_EINVALID);
	assert_string_equal(err, "/dev/null:1:1: the file is empty; expected"
	    " a mapping with 'accounts'");
	/* An endless file is refused after 1 MiB, not read to the end. */
	assert_int_equal(config_load("/dev/zero", &cfg, err, sizeof(err)),
	    CONFIG_EINVALID);
	assert_string_equal(err, "/dev/zero: larger than 1048576 bytes; not a"
	    " configuration file");
	assert_null(cfg);
	config_free(NULL);
}

/*
 * Every prefix of a full configuration, loaded and validated: most are
 * errors half-way through a list, an account or auth, which is where a leak
 * or a double free would hide (run under valgrind and ASan).
 */
static void
test_prefixes(void **state)
{
	static const char full[] =
	    "nats:\n"
	    "  servers: [nats://n1:4222, nats://n2:4222]\n"
	    "  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}\n"
	    "batch: {max_events: 10, max_wait_ms: 5}\n"
	    "accounts:\n"
	    "  - name: ga-1\n"
	    "    auth: {user: u, password_file: p}\n"
	    "    stream: s\n"
	    "    subjects: [a.>]\n"
	    "    consumer: c\n"
	    "    database: a.db\n"
	    "    projections: [leaderboard, session_history]\n"
	    "  - name: ga-2\n"
	    "    auth: {nkey: UX, nkey_seed_file: s.nk}\n"
	    "    stream: s\n"
	    "    database: b.db\n";
	struct config *cfg;
	char text[sizeof(full)], err[512];
	size_t i, ok = 0;

	(void)state;
	for (i = 0; i < sizeof(full); i++) {
		memcpy(text, full, i);
		text[i] = '\0';
		cfg = NULL;
		err[0] = '\0';
		if (config_load_string(text, "t.yaml", "/b", &cfg, err,
		    sizeof(err)) == CONFIG_OK) {
			if (config_validate(cfg, known, err, sizeof(err)) == 0)
				ok++;
			config_free(cfg);
		} else
			assert_null(cfg);
		/* Every failure says where. */
		assert_true(err[0] == '\0' || strncmp(err, "t.yaml:", 7) == 0);
	}
	assert_true(ok > 0);
}

static void
test_small_buffer(void **state)
{
	struct config *cfg = NULL;
	char err[16];

	(void)state;
	assert_int_equal(config_load_string("x: 1\n", "t.yaml", NULL, &cfg, err,
	    sizeof(err)), CONFIG_EINVALID);
	assert_string_equal(err, "t.yaml:1:1: unk");
}

/*
 * js_domain and js_api_prefix: read as they are, at most one of them, each
 * a subject cnats can put requests on; a change of either is a change of
 * the account (a reload restarts it on the new API).
 */
static void
test_js_api(void **state)
{
	struct config *cfg, *other;

	(void)state;
	cfg = load_ok(ACCOUNT);
	assert_null(cfg->accounts[0].js_domain);
	assert_null(cfg->accounts[0].js_api_prefix);
	config_free(cfg);
	cfg = load_ok(ACCOUNT "    js_domain: hub\n");
	assert_string_equal(cfg->accounts[0].js_domain, "hub");
	assert_null(cfg->accounts[0].js_api_prefix);
	other = load_ok(ACCOUNT "    js_domain: edge\n");
	assert_false(config_account_equal(cfg, &cfg->accounts[0], other,
	    &other->accounts[0]));
	config_free(other);
	other = load_ok(ACCOUNT "    js_domain: hub\n");
	assert_true(config_account_equal(cfg, &cfg->accounts[0], other,
	    &other->accounts[0]));
	config_free(other);
	other = load_ok(ACCOUNT "    js_api_prefix: hub\n");
	assert_false(config_account_equal(cfg, &cfg->accounts[0], other,
	    &other->accounts[0]));
	config_free(other);
	config_free(cfg);
	cfg = load_ok(ACCOUNT "    js_api_prefix: JS.acc@hub.API\n");
	assert_string_equal(cfg->accounts[0].js_api_prefix, "JS.acc@hub.API");
	assert_null(cfg->accounts[0].js_domain);
	config_free(cfg);
	validate_ok(ACCOUNT "    js_domain: hub\n");
	validate_ok(ACCOUNT "    js_api_prefix: $JS.hub.API\n");
	/* Each account has its own: one through the hub, one local. */
	validate_ok(ACCOUNT "    js_domain: hub\n"
	    "  - name: ga-2\n"
	    "    stream: everything\n"
	    "    database: data/ga-2.db\n");

	/* The second key is the one named, wherever the first is. */
	validate_fails(ACCOUNT "    js_domain: hub\n"
	    "    js_api_prefix: $JS.hub.API\n",
	    "t.yaml:6:20: 'js_domain' and 'js_api_prefix' cannot both be set:"
	    " a domain is the API prefix $JS.<domain>.API; keep js_domain for"
	    " a JetStream domain (a hub behind a leaf node), js_api_prefix for"
	    " an imported JetStream API");
	validate_fails("accounts:\n"
	    "  - name: ga-1\n"
	    "    js_api_prefix: JS.x.API\n"
	    "    stream: everything\n"
	    "    js_domain: hub\n"
	    "    database: data/ga-1.db\n",
	    "t.yaml:5:16: 'js_domain' and 'js_api_prefix' cannot both be set:"
	    " a domain is the API prefix $JS.<domain>.API; keep js_domain for"
	    " a JetStream domain (a hub behind a leaf node), js_api_prefix for"
	    " an imported JetStream API");
	validate_fails(ACCOUNT "    js_domain: hub.eu\n",
	    "t.yaml:5:16: js_domain 'hub.eu' must be one subject token, without"
	    " '.', '*', '>' or white space (requests go to $JS.<domain>.API)");
	validate_fails(ACCOUNT "    js_domain: \"hub \"\n",
	    "t.yaml:5:16: js_domain 'hub ' must be one subject token, without"
	    " '.', '*', '>' or white space (requests go to $JS.<domain>.API)");
	validate_fails(ACCOUNT "    js_domain: \"*\"\n",
	    "t.yaml:5:16: js_domain '*' must be one subject token, without"
	    " '.', '*', '>' or white space (requests go to $JS.<domain>.API)");
	validate_fails(ACCOUNT "    js_api_prefix: JS.*.API\n",
	    "t.yaml:5:20: js_api_prefix 'JS.*.API' must be a literal subject,"
	    " without '*', '>' or white space");
	validate_fails(ACCOUNT "    js_api_prefix: \"JS.API >\"\n",
	    "t.yaml:5:20: js_api_prefix 'JS.API >' must be a literal subject,"
	    " without '*', '>' or white space");
	validate_fails(ACCOUNT "    js_api_prefix: JS.hub.API.\n",
	    "t.yaml:5:20: js_api_prefix 'JS.hub.API.' has an empty token (a '.'"
	    " at its start or end, or '..')");
	validate_fails(ACCOUNT "    js_api_prefix: .JS\n",
	    "t.yaml:5:20: js_api_prefix '.JS' has an empty token (a '.' at its"
	    " start or end, or '..')");
	validate_fails(ACCOUNT "    js_api_prefix: JS..API\n",
	    "t.yaml:5:20: js_api_prefix 'JS..API' has an empty token (a '.' at"
	    " its start or end, or '..')");
	load_fails(ACCOUNT "    js_domain: \"\"\n",
	    "t.yaml:5:16: 'js_domain' must not be empty");
	load_fails(ACCOUNT "    js_domain: [hub]\n",
	    "t.yaml:5:16: 'js_domain' must be a string, not a list");
	load_fails(ACCOUNT "    js_api_prefix: ~\n",
	    "t.yaml:5:5: 'js_api_prefix' must be a string, not an empty"
	    " value");
}

static void
test_validate_by_hand(void **state)
{
	struct config_account a;
	struct config cfg;
	char *subjects[] = { "s" };
	char *projections[] = { "nope" };
	char err[512];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.name = "x";
	a.stream = "s";
	a.consumer = "c";
	a.database = "d";
	a.subjects = subjects;
	a.nsubjects = 1;
	a.projections = projections;
	a.nprojections = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.servers = subjects;
	cfg.nservers = 1;
	cfg.max_events = 1;
	cfg.max_wait_ms = 1;
	cfg.accounts = &a;
	cfg.naccounts = 1;
	assert_int_equal(config_validate(&cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(config_validate(&cfg, known, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown projection 'nope' (known:"
	    " session_history, player_profiles, leaderboard)");
	a.js_domain = "hub";
	a.js_api_prefix = "JS.hub.API";
	assert_int_equal(config_validate(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'js_domain' and 'js_api_prefix' cannot"
	    " both be set"));
}

static void
test_example(void **state)
{
	struct config *cfg = NULL;
	char err[512] = "";
	size_t i;

	(void)state;
	if (config_load("configs/example.yaml", &cfg, err, sizeof(err)) !=
	    CONFIG_OK)
		fail_msg("%s", err);
	if (config_validate(cfg, known, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg->naccounts, 2);
	assert_string_equal(cfg->accounts[0].name, "ga-1");
	assert_string_equal(cfg->accounts[1].name, "ga-2");
	assert_int_not_equal(cfg->accounts[0].auth, cfg->accounts[1].auth);
	assert_string_equal(cfg->http.listen, "127.0.0.1:9464");
	for (i = 0; i < cfg->naccounts; i++) {
		/* Resolved against the file's folder, made absolute. */
		assert_int_equal(cfg->accounts[i].database[0], '/');
		assert_non_null(strstr(cfg->accounts[i].database, "/configs/"));
		assert_non_null(strstr(cfg->accounts[i].secret_file,
		    "/configs/secrets/"));
	}
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_servers_scalar),
		cmocka_unit_test(test_auth_methods),
		cmocka_unit_test(test_auth_inline_secrets),
		cmocka_unit_test(test_auth_errors),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_batch_ranges),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_projections),
		cmocka_unit_test(test_archive),
		cmocka_unit_test(test_js_api),
		cmocka_unit_test(test_subjects_empty),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_nul_escape),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_accounts_empty),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_validate_by_hand),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
