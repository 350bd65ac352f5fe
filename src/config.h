/*
 * config.h: the YAML configuration file, read into plain structs.
 *
 * config_load() parses the file with libyaml and applies defaults;
 * config_validate() checks meaning (names, uniqueness, ranges, projections
 * that exist). Both report one error as "FILE:LINE:COLUMN: message" in the
 * caller's buffer and log nothing. No yaml_* type leaves config.c and
 * config_yaml.c (and config_int.h, which only those two include).
 *
 * Secrets are never in the file: the auth section names files, which are read
 * when connecting (see secret.h). Relative paths are resolved against the
 * configuration file's folder at load time, so every path in struct config is
 * usable as it is.
 *
 * Memory: struct config owns every string and array in it; config_free()
 * releases all of it. After config_load() returns, no libyaml memory is alive.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_SERVER		"nats://127.0.0.1:4222"
#define CONFIG_DEFAULT_SUBJECT		"v0.rust.servers.>"
#define CONFIG_DEFAULT_CONSUMER		"projector"
#define CONFIG_DEFAULT_MAX_EVENTS	5000
#define CONFIG_DEFAULT_MAX_WAIT_MS	50
#define CONFIG_MAX_EVENTS_LIMIT		100000
#define CONFIG_MAX_WAIT_MS_LIMIT	60000
/* http: the endpoint's readiness bounds (README, "HTTP endpoint"). */
#define CONFIG_DEFAULT_READY_MAX_LAG	100
#define CONFIG_DEFAULT_READY_GRACE_MS	30000
#define CONFIG_DEFAULT_READY_STALL_MS	60000
#define CONFIG_READY_MAX_LAG_LIMIT	1000000000
#define CONFIG_READY_MS_LIMIT		86400000	/* a day */
/* The default archive is the database's path and this. */
#define CONFIG_ARCHIVE_SUFFIX		"-archive"

enum config_auth {
	CONFIG_AUTH_NONE = 0,
	CONFIG_AUTH_PASSWORD,	/* user + password_file */
	CONFIG_AUTH_TOKEN,	/* token_file */
	CONFIG_AUTH_NKEY,	/* nkey (public key) + nkey_seed_file */
	CONFIG_AUTH_CREDS	/* creds_file (JWT + seed) */
};

struct config_account {
	char		 *name;		/* [A-Za-z0-9_-]+, unique */
	enum config_auth  auth;
	char		 *user;		/* CONFIG_AUTH_PASSWORD */
	char		 *nkey;		/* CONFIG_AUTH_NKEY: the user's public key */
	char		 *secret_file;	/* password, token, nkey seed or creds file */
	char		 *stream;
	/* Where the account's JetStream API is; both NULL: $JS.API. */
	char		 *js_domain;	/* requests go to $JS.<domain>.API */
	char		 *js_api_prefix; /* or to this prefix (an import) */
	char		**subjects;	/* consumer filters; at least one */
	size_t		  nsubjects;
	char		 *consumer;	/* durable name */
	char		 *database;	/* SQLite file, unique */
	char		 *archive;	/* its event archive, unique; NULL: none */
	int		  archive_off;	/* archive: false was said */
	char		**projections;	/* names; NULL and 0 = all built-in ones
					   (a plug-in runs where it is named) */
	size_t		  nprojections;
	int		  line;		/* where the entry starts, for later errors */
	int		  column;
};

/* plugins: one projection built as a shared object (docs: README). */
struct config_plugin {
	char		 *name;		/* the key: the projection's name */
	char		 *path;		/* resolved against the file's folder */
	int		  line;		/* of the key, for the loader's errors */
	int		  column;
};

/*
 * http: the metrics and health endpoint (http.h); off when listen is NULL
 * (the block is absent). host and port are listen taken apart at load:
 * host is a numeric IPv4 or IPv6 address, without the brackets.
 */
struct config_http {
	char		 *listen;	/* "HOST:PORT" or "[V6]:PORT", as written */
	char		 *host;
	int		  port;		/* 1..65535 */
	int		  ready_max_lag;	/* messages, 0..LIMIT */
	int		  ready_grace_ms;	/* a shorter disconnect is none */
	int		  ready_stall_ms;	/* with lag, progress within this */
};

struct config_marks;	/* private to config.c */

struct config {
	char		 *path;		/* the file it was loaded from */
	char		**servers;	/* NATS URLs; at least one */
	size_t		  nservers;
	char		 *tls_ca_file;	/* optional, each */
	char		 *tls_cert_file;
	char		 *tls_key_file;
	int		  max_events;	/* batch.max_events, 1..CONFIG_MAX_EVENTS_LIMIT */
	int		  max_wait_ms;	/* batch.max_wait_ms, 1..CONFIG_MAX_WAIT_MS_LIMIT */
	struct config_account *accounts;
	size_t		  naccounts;
	struct config_plugin *plugins;	/* in the file's order */
	size_t		  nplugins;
	struct config_http http;
	/* Where each value was, for config_validate()'s messages; NULL in a
	 * struct config built by hand, whose errors then have no position. */
	struct config_marks *marks;
};

/* Errors that main maps onto exit codes. */
enum config_error {
	CONFIG_OK = 0,
	CONFIG_ENOFILE,		/* the file cannot be opened: EX_NOINPUT */
	CONFIG_EINVALID		/* syntax, type, unknown key, meaning: EX_CONFIG */
};

enum config_error config_load(const char *path, struct config **out,
	    char *err, size_t errlen);
enum config_error config_load_string(const char *text, const char *name,
	    const char *basedir, struct config **out, char *err, size_t errlen);
int	config_validate(const struct config *cfg,
	    const char *const *known_projections, char *err, size_t errlen);
int	config_account_equal(const struct config *ca,
	    const struct config_account *a, const struct config *cb,
	    const struct config_account *b);
void	config_free(struct config *cfg);

#endif /* CONFIG_H */
