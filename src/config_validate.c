/*
 * config_validate.c: the checks of a configuration that need all of it
 * (see config.h): something to do, unique names, databases and archives,
 * values in range, known projections, one JetStream API per account. Each
 * refusal is "FILE:LINE:COLUMN: message" at the value it is about, from
 * the positions config.c kept (struct config_marks).
 */
#include <string.h>

#include "config_int.h"

/* What an account name may hold: it ends up in logs, metrics and status. */
static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

/*
 * Returns the line of the account whose database or archive, among the
 * accounts before i and account i's own database, is path; 0 when none is
 * (or path is NULL).
 */
static int
config_taken(const struct config *cfg, size_t i, const char *path)
{
	size_t j;

	if (path == NULL)
		return 0;
	for (j = 0; j <= i; j++)
		if (strcmp(path, cfg->accounts[j].database) == 0 ||
		    (j < i && cfg->accounts[j].archive != NULL &&
		    strcmp(path, cfg->accounts[j].archive) == 0))
			return cfg->accounts[j].line > 0 ?
			    cfg->accounts[j].line : 1;
	return 0;
}

/* The position further down the file: the second of two keys. */
static struct config_pos
later(struct config_pos a, struct config_pos b)
{
	return b.line > a.line || (b.line == a.line && b.column > a.column) ?
	    b : a;
}

/*
 * Checks the account's JetStream API keys: at most one of them, and each a
 * literal NATS subject (a domain a single token of it), since cnats puts
 * them into the subject of every request as they are and a bad one would
 * only show as requests that nobody answers. Returns 0, or -1 with err.
 */
static int
config_js_api(const struct config *cfg, const struct config_account *a,
    const struct config_account_marks *m, char *err, size_t errlen)
{
	const char *p, *tok;

	if (a->js_domain != NULL && a->js_api_prefix != NULL)
		return config_yaml_ferr(err, errlen, cfg->path,
		    later(m->js_domain, m->js_api_prefix),
		    "'js_domain' and 'js_api_prefix' cannot both be set: a"
		    " domain is the API prefix $JS.<domain>.API; keep"
		    " js_domain for a JetStream domain (a hub behind a leaf"
		    " node), js_api_prefix for an imported JetStream API");
	if (a->js_domain != NULL &&
	    a->js_domain[strcspn(a->js_domain, ".*> \t\r\n")] != '\0')
		return config_yaml_ferr(err, errlen, cfg->path, m->js_domain,
		    "js_domain '%s' must be one subject token, without '.',"
		    " '*', '>' or white space (requests go to"
		    " $JS.<domain>.API)", a->js_domain);
	if (a->js_api_prefix == NULL)
		return 0;
	for (p = tok = a->js_api_prefix;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == tok)
				return config_yaml_ferr(err, errlen, cfg->path,
				    m->js_api_prefix, "js_api_prefix '%s' has"
				    " an empty token (a '.' at its start or end,"
				    " or '..')", a->js_api_prefix);
			if (*p == '\0')
				return 0;
			tok = p + 1;
		} else if (strchr("*> \t\r\n", *p) != NULL)
			return config_yaml_ferr(err, errlen, cfg->path,
			    m->js_api_prefix, "js_api_prefix '%s' must be a"
			    " literal subject, without '*', '>' or white"
			    " space", a->js_api_prefix);
	}
}

/*
 * Checks what config_load() cannot see key by key: that there is something
 * to do, that names and databases are unique, that values are in range and
 * that projections exist. known_projections is a NULL-terminated list of
 * the names of the built-ins and of the plug-ins loaded (NULL skips that
 * check). Returns 0, or -1 with the first
 * problem in err as "FILE:LINE:COLUMN: message". cfg comes from config_load()
 * or is built alike (every string set); nothing is changed.
 */
int
config_validate(const struct config *cfg,
    const char *const *known_projections, char *err, size_t errlen)
{
	static const struct config_marks nomarks;
	static const struct config_account_marks noaccount;
	const struct config_marks *mk = cfg->marks != NULL ? cfg->marks :
	    &nomarks;
	const struct config_account_marks *m;
	const struct config_account *a;
	struct config_pos p;
	char known[256];
	size_t i, j, k;

	if (cfg->nservers == 0)
		return config_yaml_ferr(err, errlen, cfg->path, mk->servers,
		    "'servers' is empty; add at least one NATS URL");
	if (cfg->max_events < 1 || cfg->max_events > CONFIG_MAX_EVENTS_LIMIT)
		return config_yaml_ferr(err, errlen, cfg->path, mk->max_events,
		    "'max_events' must be between 1 and %d",
		    CONFIG_MAX_EVENTS_LIMIT);
	if (cfg->max_wait_ms < 1 || cfg->max_wait_ms > CONFIG_MAX_WAIT_MS_LIMIT)
		return config_yaml_ferr(err, errlen, cfg->path, mk->max_wait_ms,
		    "'max_wait_ms' must be between 1 and %d",
		    CONFIG_MAX_WAIT_MS_LIMIT);
	/* Bounds of an endpoint that is on (a config built by hand has 0s). */
	if (cfg->http.listen != NULL && (cfg->http.ready_max_lag < 0 ||
	    cfg->http.ready_max_lag > CONFIG_READY_MAX_LAG_LIMIT))
		return config_yaml_ferr(err, errlen, cfg->path,
		    mk->ready_max_lag, "'ready_max_lag' must be between 0 and"
		    " %d", CONFIG_READY_MAX_LAG_LIMIT);
	if (cfg->http.listen != NULL && (cfg->http.ready_grace_ms < 0 ||
	    cfg->http.ready_grace_ms > CONFIG_READY_MS_LIMIT))
		return config_yaml_ferr(err, errlen, cfg->path,
		    mk->ready_grace_ms, "'ready_grace_ms' must be between 0"
		    " and %d", CONFIG_READY_MS_LIMIT);
	/* 0 would make any lag at all a stall. */
	if (cfg->http.listen != NULL && (cfg->http.ready_stall_ms < 1 ||
	    cfg->http.ready_stall_ms > CONFIG_READY_MS_LIMIT))
		return config_yaml_ferr(err, errlen, cfg->path,
		    mk->ready_stall_ms, "'ready_stall_ms' must be between 1"
		    " and %d", CONFIG_READY_MS_LIMIT);
	if (cfg->naccounts == 0)
		return config_yaml_ferr(err, errlen, cfg->path, mk->accounts,
		    "'accounts' is empty; add at least one account");
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		m = mk->account != NULL ? &mk->account[i] : &noaccount;
		if (a->name[0] == '\0' ||
		    a->name[strspn(a->name, name_chars)] != '\0')
			return config_yaml_ferr(err, errlen, cfg->path, m->name,
			    "account name '%s' may only hold letters, digits,"
			    " '_' and '-'", a->name);
		for (j = 0; j < i; j++)
			if (strcmp(a->name, cfg->accounts[j].name) == 0)
				return config_yaml_ferr(err, errlen, cfg->path,
				    m->name, "account name '%s' is used twice"
				    " (first at line %d)", a->name,
				    cfg->accounts[j].line);
		/* Paths were resolved and cleaned at load: equal text does. */
		for (j = 0; j < i; j++)
			if (strcmp(a->database, cfg->accounts[j].database) == 0)
				return config_yaml_ferr(err, errlen, cfg->path,
				    m->database, "database '%s' is already used"
				    " by account '%s'", a->database,
				    cfg->accounts[j].name);
		if ((p.line = config_taken(cfg, i, a->archive)) != 0)
			return config_yaml_ferr(err, errlen, cfg->path,
			    m->archive.line != 0 ? m->archive : m->database,
			    "archive '%s' is already used (line %d); give each"
			    " account an archive of its own", a->archive, p.line);
		if (a->nsubjects == 0)
			return config_yaml_ferr(err, errlen, cfg->path,
			    m->subjects,
			    "'subjects' is empty; add at least one subject"
			    " filter");
		/* nats-server 2.9 and cnats 3.4 know one FilterSubject only. */
		if (a->nsubjects > 1)
			return config_yaml_ferr(err, errlen, cfg->path,
			    m->subjects,
			    "'subjects' holds %zu filters; this version takes"
			    " one (nats-server 2.9 consumers have one filter"
			    " subject)", a->nsubjects);
		if (config_js_api(cfg, a, m, err, errlen) == -1)
			return -1;
		for (j = 0; j < a->nprojections; j++) {
			p = m->projections != NULL ? m->projections[j] :
			    m->name;
			if (known_projections != NULL && config_yaml_in(
			    a->projections[j], known_projections) == -1)
				return config_yaml_ferr(err, errlen,
				    cfg->path, p,
				    "unknown projection '%s' (known: %s)",
				    a->projections[j], config_yaml_join(known,
				    sizeof(known), known_projections));
			for (k = 0; k < j; k++)
				if (strcmp(a->projections[k],
				    a->projections[j]) == 0)
					return config_yaml_ferr(err, errlen,
					    cfg->path, p, "projection '%s' is"
					    " listed twice", a->projections[j]);
		}
	}
	return 0;
}

