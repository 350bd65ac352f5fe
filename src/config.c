/*
 * config.c: the YAML configuration file (see config.h).
 *
 * The schema: which keys each mapping allows, their defaults, and the
 * checks that need the whole configuration. config_yaml.c reads the YAML
 * events; the functions below interpret them by recursive descent, each
 * starting at its node's first event and leaving the current event at the
 * node's last. The events are freed before config_load_string() returns;
 * strings are copied.
 *
 * config_validate() (config_validate.c) needs positions after the events
 * are gone: they are kept in struct config_marks (config_int.h). A struct
 * config built by hand has none, and its errors then carry no line and
 * column.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_int.h"
#include "xmalloc.h"

/* A file this large is not a configuration; refuse it before parsing. */
#define CONFIG_MAX_FILE		(1024 * 1024)

/* The keys allowed in each mapping; the enums index them. */
static const char *const root_keys[] = {
	"nats", "batch", "accounts", "plugins", "http", NULL
};
enum { ROOT_NATS, ROOT_BATCH, ROOT_ACCOUNTS, ROOT_PLUGINS, ROOT_HTTP };
static const char *const nats_keys[] = { "servers", "tls", NULL };
enum { NATS_SERVERS, NATS_TLS };
static const char *const tls_keys[] = {
	"ca_file", "cert_file", "key_file", NULL
};
static const char *const batch_keys[] = { "max_events", "max_wait_ms", NULL };
static const char *const http_keys[] = {
	"listen", "ready_max_lag", "ready_grace_ms", "ready_stall_ms", NULL
};
enum { HTTP_LISTEN, HTTP_READY_MAX_LAG, HTTP_READY_GRACE_MS,
	HTTP_READY_STALL_MS };
static const char *const account_keys[] = {
	"name", "auth", "stream", "subjects", "consumer", "database",
	"archive", "projections", "js_domain", "js_api_prefix", NULL
};
enum { ACC_NAME, ACC_AUTH, ACC_STREAM, ACC_SUBJECTS, ACC_CONSUMER,
	ACC_DATABASE, ACC_ARCHIVE, ACC_PROJECTIONS, ACC_JS_DOMAIN,
	ACC_JS_API_PREFIX };
static const char *const auth_keys[] = {
	"user", "password_file", "token_file", "nkey", "nkey_seed_file",
	"creds_file", NULL
};
enum { AUTH_USER, AUTH_PASSWORD_FILE, AUTH_TOKEN_FILE, AUTH_NKEY,
	AUTH_NKEY_SEED_FILE, AUTH_CREDS_FILE, AUTH_NKEYS };
static const enum config_auth auth_method[AUTH_NKEYS] = {
	CONFIG_AUTH_PASSWORD, CONFIG_AUTH_PASSWORD, CONFIG_AUTH_TOKEN,
	CONFIG_AUTH_NKEY, CONFIG_AUTH_NKEY, CONFIG_AUTH_CREDS
};
/*
 * The other half of a two-key method, or -1. A seed file alone is enough:
 * the public key follows from the seed (nkeys.h), as the NATS tools take it.
 */
static const int auth_pair[AUTH_NKEYS] = {
	AUTH_PASSWORD_FILE, AUTH_USER, -1, AUTH_NKEY_SEED_FILE, -1, -1
};

static int
config_tls_key(struct config_loader *ld, int k, void *arg)
{
	struct config *cfg = ld->cfg;
	char **dst[] = { &cfg->tls_ca_file, &cfg->tls_cert_file,
	    &cfg->tls_key_file };

	(void)arg;
	return config_yaml_path(ld, tls_keys[k], dst[k]);
}

static int
config_nats_key(struct config_loader *ld, int k, void *arg)
{
	struct config *cfg = ld->cfg;
	yaml_mark_t mark = ld->ev->start_mark;
	const char *host;
	unsigned seen;
	size_t i;

	(void)arg;
	if (k == NATS_TLS) {
		if (config_yaml_map(ld, "'tls'", "in nats.tls", tls_keys,
		    config_tls_key, NULL, &seen) == -1)
			return -1;
		/* A certificate is useless without its key, and a key alone. */
		if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
			return config_yaml_lerr(ld, mark, "'%s' needs '%s'",
			    tls_keys[cfg->tls_cert_file != NULL ? 1 : 2],
			    tls_keys[cfg->tls_cert_file != NULL ? 2 : 1]);
		return 0;
	}
	cfg->marks->servers = config_yaml_pos(mark);
	if (config_yaml_list(ld, "servers", 1, &cfg->servers, &cfg->nservers,
	    NULL) == -1)
		return -1;
	/* "user:password@" or "token@" in a URL is a secret in the file. */
	for (i = 0; i < cfg->nservers; i++) {
		host = strstr(cfg->servers[i], "://");
		host = host != NULL ? host + 3 : cfg->servers[i];
		if (memchr(host, '@', strcspn(host, "/")) != NULL)
			return config_yaml_lerr(ld, mark, "a server URL may not"
			    " carry credentials; secrets are read from files"
			    " named in each account's auth");
	}
	return 0;
}

static int
config_batch_key(struct config_loader *ld, int k, void *arg)
{
	struct config_marks *m = ld->cfg->marks;

	(void)arg;
	if (k == 0)
		m->max_events = config_yaml_pos(ld->ev->start_mark);
	else
		m->max_wait_ms = config_yaml_pos(ld->ev->start_mark);
	return config_yaml_int(ld, batch_keys[k],
	    k == 0 ? &ld->cfg->max_events :
	    &ld->cfg->max_wait_ms);
}

/*
 * Takes "HOST:PORT" apart: HOST a numeric IPv4 address or an IPv6 one in
 * brackets (names would need a resolver at start, and a name that resolves
 * to several addresses is not one place to listen), PORT 1..65535. Sets
 * *host (owned by the caller) and *port, or returns -1.
 */
static int
config_listen_split(const char *s, char **host, int *port)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *colon, *p;
	char *h;
	long n;

	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			return -1;
		h = xasprintf("%.*s", (int)(p - s - 1), s + 1);
		colon = p + 1;
		if (inet_pton(AF_INET6, h, &a6) != 1)
			goto fail;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		h = xasprintf("%.*s", (int)(colon - s), s);
		if (inet_pton(AF_INET, h, &a4) != 1)
			goto fail;
	}
	p = colon + 1;
	if (p[0] < '0' || p[0] > '9' || strlen(p) > 5 ||
	    p[strspn(p, "0123456789")] != '\0')
		goto fail;
	n = strtol(p, NULL, 10);
	if (n < 1 || n > 65535)
		goto fail;
	*host = h;
	*port = (int)n;
	return 0;
fail:
	free(h);
	return -1;
}

static int
config_http_key(struct config_loader *ld, int k, void *arg)
{
	struct config_http *h = &ld->cfg->http;
	struct config_marks *m = ld->cfg->marks;
	struct config_pos pos = config_yaml_pos(ld->ev->start_mark);

	(void)arg;
	switch (k) {
	case HTTP_LISTEN:
		if (config_yaml_string(ld, http_keys[k], 0, &h->listen) == -1)
			return -1;
		if (config_listen_split(h->listen, &h->host, &h->port) == -1)
			return config_yaml_lerr(ld, ld->ev->start_mark,
			    "'listen' must be IPV4:PORT or [IPV6]:PORT, numeric,"
			    " with a port from 1 to 65535, not '%s'", h->listen);
		return 0;
	case HTTP_READY_MAX_LAG:
		m->ready_max_lag = pos;
		return config_yaml_int(ld, http_keys[k], &h->ready_max_lag);
	case HTTP_READY_GRACE_MS:
		m->ready_grace_ms = pos;
		return config_yaml_int(ld, http_keys[k], &h->ready_grace_ms);
	}
	m->ready_stall_ms = pos;
	return config_yaml_int(ld, http_keys[k], &h->ready_stall_ms);
}

/*
 * http: the endpoint is off unless the block is there, and then it says
 * where to listen: opening a port is never a default.
 */
static int
config_http(struct config_loader *ld)
{
	yaml_mark_t start = ld->ev->start_mark;
	unsigned seen;

	if (config_yaml_map(ld, "'http'", "in http", http_keys,
	    config_http_key, NULL, &seen) == -1)
		return -1;
	if (seen != 0 && !(seen & (1u << HTTP_LISTEN)))
		return config_yaml_lerr(ld, start, "'http' is missing required"
		    " key 'listen'");
	return 0;
}

/* Auth keys seen so far, for the errors about mixed or half methods. */
struct config_auth_state {
	struct config_account	*a;
	int			 first;		/* the first key */
	yaml_mark_t		 mark[AUTH_NKEYS];	/* of each */
};

static int
config_auth_key(struct config_loader *ld, int k, void *arg)
{
	struct config_auth_state *st = arg;
	struct config_account *a = st->a;

	if (a->auth != CONFIG_AUTH_NONE && a->auth != auth_method[k])
		return config_yaml_lerr(ld, ld->key,
		    "'%s' cannot be combined with"
		    " '%s': auth takes at most one method", auth_keys[k],
		    auth_keys[st->first]);
	if (a->auth == CONFIG_AUTH_NONE)
		st->first = k;
	a->auth = auth_method[k];
	st->mark[k] = ld->key;
	if (k == AUTH_USER)
		return config_yaml_string(ld, auth_keys[k], 0, &a->user);
	if (k != AUTH_NKEY)
		return config_yaml_path(ld, auth_keys[k], &a->secret_file);
	if (config_yaml_string(ld, auth_keys[k], 0, &a->nkey) == -1)
		return -1;
	/* A seed pasted here is a secret: say so without echoing it. */
	if (a->nkey[0] != 'U')
		return config_yaml_lerr(ld, ld->ev->start_mark,
		    "'nkey' must be the"
		    " user's public nkey, which starts with 'U'; the seed goes"
		    " in the file named by 'nkey_seed_file'");
	return 0;
}

static int
config_auth(struct config_loader *ld, struct config_account *a)
{
	struct config_auth_state st;
	unsigned seen;
	int k, pair;

	memset(&st, 0, sizeof(st));
	st.a = a;
	if (config_yaml_map(ld, "'auth'", "in auth", auth_keys, config_auth_key,
	    &st, &seen) == -1)
		return -1;
	for (k = 0; k < AUTH_NKEYS; k++) {
		pair = auth_pair[k];
		if ((seen & (1u << k)) && pair != -1 && !(seen & (1u << pair)))
			return config_yaml_lerr(ld, st.mark[k],
			    "'%s' needs '%s'",
			    auth_keys[k], auth_keys[pair]);
	}
	return 0;
}

/*
 * archive: a path, or a plain false (no archive); a plain true, or no key,
 * is the default file beside the database (set once the account is read).
 */
static int
config_archive(struct config_loader *ld, struct config_account *a)
{
	const yaml_event_t *ev = ld->ev;
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->type == YAML_SCALAR_EVENT &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(v, "false") == 0 || strcmp(v, "true") == 0)) {
		a->archive_off = strcmp(v, "false") == 0;
		return 0;
	}
	return config_yaml_path(ld, "archive", &a->archive);
}

static int
config_account_key(struct config_loader *ld, int k, void *arg)
{
	struct config_account *a = arg;
	struct config_account_marks *m;
	struct config_pos pos = config_yaml_pos(ld->ev->start_mark);
	const char *key = account_keys[k];

	m = &ld->cfg->marks->account[ld->cfg->naccounts - 1];
	switch (k) {
	case ACC_NAME:
		m->name = pos;
		return config_yaml_string(ld, key, 0, &a->name);
	case ACC_AUTH:
		return config_auth(ld, a);
	case ACC_STREAM:
		return config_yaml_string(ld, key, 0, &a->stream);
	case ACC_SUBJECTS:
		m->subjects = pos;
		return config_yaml_list(ld, key, 0, &a->subjects, &a->nsubjects,
		    NULL);
	case ACC_CONSUMER:
		return config_yaml_string(ld, key, 0, &a->consumer);
	case ACC_DATABASE:
		m->database = pos;
		return config_yaml_path(ld, key, &a->database);
	case ACC_ARCHIVE:
		m->archive = pos;
		return config_archive(ld, a);
	case ACC_JS_DOMAIN:
		m->js_domain = pos;
		return config_yaml_string(ld, key, 0, &a->js_domain);
	case ACC_JS_API_PREFIX:
		m->js_api_prefix = pos;
		return config_yaml_string(ld, key, 0, &a->js_api_prefix);
	}
	if (config_yaml_list(ld, key, 0, &a->projections, &a->nprojections,
	    &m->projections) == -1)
		return -1;
	/* NULL and 0 mean "all built-in ones": an empty list must not. */
	if (a->nprojections == 0)
		return config_yaml_ferr(ld->err, ld->errlen, ld->name, pos,
		    "'projections' is empty; leave it out to run every built-in"
		    " projection");
	return 0;
}

static int
config_account(struct config_loader *ld)
{
	static const int required[] = { ACC_NAME, ACC_STREAM, ACC_DATABASE };
	struct config *cfg = ld->cfg;
	struct config_account *a;
	yaml_mark_t start = ld->ev->start_mark;
	unsigned seen;
	size_t i;

	/* Grown before parsing, so that config_free() sees a half-read one. */
	cfg->accounts = xreallocarray(cfg->accounts, cfg->naccounts + 1,
	    sizeof(*cfg->accounts));
	cfg->marks->account = xreallocarray(cfg->marks->account,
	    cfg->naccounts + 1, sizeof(*cfg->marks->account));
	memset(&cfg->marks->account[cfg->naccounts], 0,
	    sizeof(*cfg->marks->account));
	a = &cfg->accounts[cfg->naccounts++];
	memset(a, 0, sizeof(*a));
	a->line = (int)start.line + 1;
	a->column = (int)start.column + 1;
	if (ld->ev->type != YAML_MAPPING_START_EVENT)
		return config_yaml_lerr(ld, start, "'accounts' item must be a"
		    " mapping, not %s", config_yaml_kind(ld->ev));
	if (config_yaml_map(ld, "'accounts' item", "in an account",
	    account_keys,
	    config_account_key, a, &seen) == -1)
		return -1;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & (1u << required[i])))
			return config_yaml_lerr(ld, start, "account is missing"
			    " required key '%s'", account_keys[required[i]]);
	if (a->archive == NULL && !a->archive_off)
		a->archive = xasprintf("%s%s", a->database,
		    CONFIG_ARCHIVE_SUFFIX);
	if (!(seen & (1u << ACC_SUBJECTS))) {
		a->subjects = xcalloc(1, sizeof(*a->subjects));
		a->subjects[a->nsubjects++] = xstrdup(CONFIG_DEFAULT_SUBJECT);
	}
	if (a->consumer == NULL)
		a->consumer = xstrdup(CONFIG_DEFAULT_CONSUMER);
	return 0;
}

/* What a projection's name may hold (projection.h): [a-z0-9_]+. */
static const char projection_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "0123456789_";

/*
 * plugins: a mapping from projection name to the path of its shared object;
 * its keys are names, not a schema, so config_yaml_map() does not fit.
 */
static int
config_plugins(struct config_loader *ld)
{
	struct config *cfg = ld->cfg;
	struct config_plugin *pl;
	const char *name;
	size_t i;

	if (config_yaml_is_null(ld->ev))
		return 0;
	if (ld->ev->type != YAML_MAPPING_START_EVENT)
		return config_yaml_lerr(ld, ld->ev->start_mark, "'plugins' must"
		    " be a mapping from projection name to shared object, not"
		    " %s", config_yaml_kind(ld->ev));
	for (config_yaml_next(ld); ld->ev->type != YAML_MAPPING_END_EVENT;
	    config_yaml_next(ld)) {
		if (ld->ev->type != YAML_SCALAR_EVENT)
			return config_yaml_lerr(ld, ld->ev->start_mark, "a"
			    " plug-in's name must be a string, not %s",
			    config_yaml_kind(ld->ev));
		name = (const char *)ld->ev->data.scalar.value;
		if (name[0] == '\0' ||
		    name[strspn(name, projection_chars)] != '\0')
			return config_yaml_lerr(ld, ld->ev->start_mark,
			    "plug-in name '%s' may only hold a-z, 0-9 and '_'"
			    " (it is the projection's name)", name);
		for (i = 0; i < cfg->nplugins; i++)
			if (strcmp(cfg->plugins[i].name, name) == 0)
				return config_yaml_lerr(ld, ld->ev->start_mark,
				    "plug-in '%s' is named twice (first at line"
				    " %d)", name, cfg->plugins[i].line);
		cfg->plugins = xreallocarray(cfg->plugins, cfg->nplugins + 1,
		    sizeof(*cfg->plugins));
		pl = &cfg->plugins[cfg->nplugins++];
		memset(pl, 0, sizeof(*pl));
		pl->name = xstrdup(name);
		pl->line = (int)ld->ev->start_mark.line + 1;
		pl->column = (int)ld->ev->start_mark.column + 1;
		ld->key = ld->ev->start_mark;
		config_yaml_next(ld);
		if (config_yaml_is_null(ld->ev))
			ld->ev->start_mark = ld->key;
		if (config_yaml_path(ld, name, &pl->path) == -1)
			return -1;
	}
	return 0;
}

static int
config_root_key(struct config_loader *ld, int k, void *arg)
{
	unsigned seen;

	(void)arg;
	if (k == ROOT_PLUGINS)
		return config_plugins(ld);
	if (k == ROOT_HTTP)
		return config_http(ld);
	if (k == ROOT_NATS)
		return config_yaml_map(ld, "'nats'", "in nats", nats_keys,
		    config_nats_key, NULL, &seen);
	if (k == ROOT_BATCH)
		return config_yaml_map(ld, "'batch'", "in batch", batch_keys,
		    config_batch_key, NULL, &seen);
	ld->cfg->marks->accounts = config_yaml_pos(ld->ev->start_mark);
	if (ld->ev->type != YAML_SEQUENCE_START_EVENT)
		return config_yaml_lerr(ld, ld->ev->start_mark,
		    "'accounts' must"
		    " be a list, not %s", config_yaml_kind(ld->ev));
	for (config_yaml_next(ld); ld->ev->type != YAML_SEQUENCE_END_EVENT;
	    config_yaml_next(ld))
		if (config_account(ld) == -1)
			return -1;
	return 0;
}

/* Interprets the stream's one document into ld->cfg. */
static int
config_document(struct config_loader *ld)
{
	struct config *cfg = ld->cfg;
	yaml_mark_t start;
	unsigned seen;

	config_yaml_next(ld);
	if (ld->ev->type == YAML_STREAM_END_EVENT)
		return config_yaml_lerr(ld, ld->ev->start_mark,
		    "the file is empty;"
		    " expected a mapping with 'accounts'");
	config_yaml_next(ld);
	start = ld->ev->start_mark;
	if (ld->ev->type != YAML_MAPPING_START_EVENT)
		return config_yaml_lerr(ld, start,
		    "the top level must be a mapping,"
		    " not %s", config_yaml_kind(ld->ev));
	if (config_yaml_map(ld, "the top level", "at the top level", root_keys,
	    config_root_key, NULL, &seen) == -1)
		return -1;
	if (!(seen & (1u << ROOT_ACCOUNTS)))
		return config_yaml_lerr(ld, start, "missing required key"
		    " 'accounts'");
	/* Only when absent: an explicit [] is for config_validate(). */
	if (cfg->marks->servers.line == 0) {
		cfg->servers = xcalloc(1, sizeof(*cfg->servers));
		cfg->servers[cfg->nservers++] = xstrdup(CONFIG_DEFAULT_SERVER);
	}
	return 0;
}

static enum config_error
config_parse(const char *text, size_t len, const char *name,
    const char *basedir, struct config **out, char *err, size_t errlen)
{
	struct config_loader ld;
	struct config *cfg;
	size_t i;
	int rc = -1;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->marks = xcalloc(1, sizeof(*cfg->marks));
	cfg->path = xstrdup(name);
	cfg->max_events = CONFIG_DEFAULT_MAX_EVENTS;
	cfg->max_wait_ms = CONFIG_DEFAULT_MAX_WAIT_MS;
	cfg->http.ready_max_lag = CONFIG_DEFAULT_READY_MAX_LAG;
	cfg->http.ready_grace_ms = CONFIG_DEFAULT_READY_GRACE_MS;
	cfg->http.ready_stall_ms = CONFIG_DEFAULT_READY_STALL_MS;
	memset(&ld, 0, sizeof(ld));
	ld.text = text;
	ld.len = len;
	ld.name = name;
	ld.basedir = basedir;
	ld.cfg = cfg;
	ld.err = err;
	ld.errlen = errlen;
	if (!yaml_parser_initialize(&ld.parser))
		snprintf(err, errlen, "%s: out of memory in libyaml", name);
	else {
		yaml_parser_set_input_string(&ld.parser,
		    (const unsigned char *)text, len);
		if ((rc = config_yaml_read(&ld)) == 0)
			rc = config_document(&ld);
		for (i = 0; i < ld.nevs; i++)
			yaml_event_delete(&ld.evs[i]);
		free(ld.evs);
		yaml_parser_delete(&ld.parser);
	}
	if (rc == -1)
		goto fail;
	*out = cfg;
	return CONFIG_OK;
fail:
	config_free(cfg);
	return CONFIG_EINVALID;
}

/*
 * Parses text, a YAML document, into a new struct config with defaults
 * applied. name is used in error messages and kept as cfg->path; relative
 * paths are joined to basedir (when NULL they stay relative to the working
 * directory). On success sets *out, to be released with config_free(), and
 * returns CONFIG_OK. Otherwise returns CONFIG_EINVALID with one line
 * "NAME:LINE:COLUMN: message" in err, and *out is untouched. Meaning is not
 * checked here: call config_validate() next.
 */
enum config_error
config_load_string(const char *text, const char *name, const char *basedir,
    struct config **out, char *err, size_t errlen)
{
	return config_parse(text, strlen(text), name, basedir, out, err,
	    errlen);
}

/*
 * Reads the file at path and parses it as config_load_string() does, with the
 * file's folder as basedir, made absolute so that paths survive a chdir.
 * Returns CONFIG_ENOFILE with "PATH: cannot open: reason" in err when the
 * file cannot be opened or read, CONFIG_EINVALID for anything wrong inside
 * it, or CONFIG_OK with *out set. Secret files are not read here.
 */
enum config_error
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	enum config_error rc;
	FILE *f;
	char *text, *dir, *abs, *slash;
	size_t len;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return CONFIG_ENOFILE;
	}
	/* fread() comes back short only at the end or on an error. */
	text = xmalloc(CONFIG_MAX_FILE + 1);
	len = fread(text, 1, CONFIG_MAX_FILE + 1, f);
	rc = ferror(f) ? CONFIG_ENOFILE : len > CONFIG_MAX_FILE ?
	    CONFIG_EINVALID : CONFIG_OK;
	if (rc == CONFIG_ENOFILE)
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
	else if (rc == CONFIG_EINVALID)
		snprintf(err, errlen, "%s: larger than %d bytes; not a"
		    " configuration file", path, CONFIG_MAX_FILE);
	fclose(f);
	if (rc != CONFIG_OK) {
		free(text);
		return rc;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';	/* "/a.yaml" is in "/" */
	abs = realpath(dir, NULL);
	rc = config_parse(text, len, path, abs != NULL ? abs : dir, out, err,
	    errlen);
	free(abs);
	free(dir);
	free(text);
	return rc;
}

static void
config_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return 0;
	return 1;
}

/*
 * Says whether account a of ca would run exactly as account b of cb: the
 * same entry, and the same settings of the file that every worker uses
 * (servers, TLS, batch). Positions in the file do not count. Cannot fail.
 */
int
config_account_equal(const struct config *ca, const struct config_account *a,
    const struct config *cb, const struct config_account *b)
{
	return same_list(ca->servers, ca->nservers, cb->servers, cb->nservers) &&
	    same_str(ca->tls_ca_file, cb->tls_ca_file) &&
	    same_str(ca->tls_cert_file, cb->tls_cert_file) &&
	    same_str(ca->tls_key_file, cb->tls_key_file) &&
	    ca->max_events == cb->max_events &&
	    ca->max_wait_ms == cb->max_wait_ms &&
	    same_str(a->name, b->name) && a->auth == b->auth &&
	    same_str(a->user, b->user) && same_str(a->nkey, b->nkey) &&
	    same_str(a->secret_file, b->secret_file) &&
	    same_str(a->stream, b->stream) &&
	    same_str(a->js_domain, b->js_domain) &&
	    same_str(a->js_api_prefix, b->js_api_prefix) &&
	    same_list(a->subjects, a->nsubjects, b->subjects, b->nsubjects) &&
	    same_str(a->consumer, b->consumer) &&
	    same_str(a->database, b->database) &&
	    same_str(a->archive, b->archive) &&
	    a->archive_off == b->archive_off &&
	    same_list(a->projections, a->nprojections, b->projections,
	    b->nprojections);
}

/* Releases cfg and everything it owns. cfg may be NULL. Cannot fail. */
void
config_free(struct config *cfg)
{
	struct config_account *a;
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		free(a->name);
		free(a->user);
		free(a->nkey);
		free(a->secret_file);
		free(a->stream);
		free(a->js_domain);
		free(a->js_api_prefix);
		config_strv_free(a->subjects, a->nsubjects);
		free(a->consumer);
		free(a->database);
		free(a->archive);
		config_strv_free(a->projections, a->nprojections);
		if (cfg->marks != NULL)
			free(cfg->marks->account[i].projections);
	}
	free(cfg->accounts);
	for (i = 0; i < cfg->nplugins; i++) {
		free(cfg->plugins[i].name);
		free(cfg->plugins[i].path);
	}
	free(cfg->plugins);
	if (cfg->marks != NULL)
		free(cfg->marks->account);
	free(cfg->marks);
	config_strv_free(cfg->servers, cfg->nservers);
	free(cfg->tls_ca_file);
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg->http.listen);
	free(cfg->http.host);
	free(cfg->path);
	free(cfg);
}
