/*
 * fuzz_config.c: any bytes as the configuration file (see fuzz.h).
 *
 * What must hold for every input:
 * - config_load() never crashes, leaks or reads out of bounds, and returns
 *   CONFIG_OK or CONFIG_EINVALID (the file is there), with an error that
 *   starts with the file's name, as "FILE:LINE:COLUMN: message" does;
 * - config_load_string() on the same text agrees with it, error included
 *   (the same parser; only the way the bytes arrive differs);
 * - a configuration that loads has what config.h promises: required strings
 *   set and not empty, paths resolved against the file's folder, an auth
 *   method with its parts; config_validate() then returns 0 or -1 with an
 *   error naming the file.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

/* The file every input is written to, and its folder as config_load() sees. */
static char fuzz_config_dir[PATH_MAX];
static char fuzz_config_file[PATH_MAX + 32];
static char *fuzz_config_real;

/* config.c's limit on the file's size. */
#define FUZZ_CONFIG_MAX_FILE	(1024 * 1024)
/* One input in this many is loaded from the file too (see below). */
#define FUZZ_CONFIG_FILE_EVERY	8

static const char *const fuzz_config_known[] = {
	"session_history", "player_profiles", "leaderboard", NULL
};

/* Says which promise broke, and aborts: a crash for libFuzzer. */
static void __attribute__((noreturn))
fuzz_config_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s: %s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

static void
fuzz_config_cleanup(void)
{
	unlink(fuzz_config_file);
	rmdir(fuzz_config_dir);
	free(fuzz_config_real);
}

/* Makes the temp folder once per process: inputs come by the million. */
static void
fuzz_config_init(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_config_real != NULL)
		return;
	snprintf(fuzz_config_dir, sizeof(fuzz_config_dir),
	    "%s/fuzz-config.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(fuzz_config_dir) == NULL)
		fuzz_config_fail("mkdtemp", fuzz_config_dir);
	snprintf(fuzz_config_file, sizeof(fuzz_config_file),
	    "%s/projector.yaml", fuzz_config_dir);
	if ((fuzz_config_real = realpath(fuzz_config_dir, NULL)) == NULL)
		fuzz_config_fail("realpath", fuzz_config_dir);
	atexit(fuzz_config_cleanup);
}

static void
fuzz_config_write(const uint8_t *data, size_t size)
{
	FILE *f;

	if ((f = fopen(fuzz_config_file, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		fuzz_config_fail("cannot write", fuzz_config_file);
}

/* An error of config.c names the file first: "FILE:..." or "FILE: ...". */
static void
fuzz_config_check_error(const char *what, const char *err)
{
	size_t n = strlen(fuzz_config_file);

	if (strncmp(err, fuzz_config_file, n) != 0 || err[n] != ':')
		fuzz_config_fail(what, err);
}

/*
 * A string of a loaded configuration is never empty: config_string()
 * refuses an empty scalar. But config.c copies a scalar with xstrdup(), so
 * one that holds a NUL (YAML's "\0" or "\x00" escapes) is cut there, and
 * `stream: "\0"` loads as "" (tests/fuzz/regress/config/nul-in-scalar.yaml,
 * reported; config.c should refuse such a scalar). Until it does, that one
 * way to an empty string is let through here, or the fuzzer would find
 * nothing else.
 */
#define FUZZ_CONFIG_NUL_CUTS	0

static void
fuzz_config_check_string(const char *what, const char *s)
{
	if (s == NULL || (*s == '\0' && !FUZZ_CONFIG_NUL_CUTS))
		fuzz_config_fail("empty string in a loaded configuration", what);
}

/*
 * A path of a loaded configuration: absolute (relative ones are joined to
 * the file's folder, which is absolute) and clean, so that two spellings of
 * one file compare equal in config_validate().
 */
static void
fuzz_config_check_path(const char *what, const char *p)
{
	size_t n;

	if (p == NULL)
		return;
	n = strlen(p);
	if (p[0] != '/' || strstr(p, "//") != NULL || strstr(p, "/./") != NULL ||
	    (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
	    (n > 1 && p[n - 1] == '/'))
		fuzz_config_fail(what, p);
}

static void
fuzz_config_check_account(const struct config_account *a)
{
	size_t i;

	fuzz_config_check_string("name", a->name);
	fuzz_config_check_string("stream", a->stream);
	fuzz_config_check_string("consumer", a->consumer);
	fuzz_config_check_string("database", a->database);
	fuzz_config_check_path("database", a->database);
	fuzz_config_check_path("secret_file", a->secret_file);
	/* Optional, each; when there, a string like any other. */
	if (a->js_domain != NULL)
		fuzz_config_check_string("js_domain", a->js_domain);
	if (a->js_api_prefix != NULL)
		fuzz_config_check_string("js_api_prefix", a->js_api_prefix);
	/* An empty list loads; config_validate() refuses it. */
	for (i = 0; i < a->nsubjects; i++)
		fuzz_config_check_string("subjects item", a->subjects[i]);
	if ((a->projections == NULL) != (a->nprojections == 0))
		fuzz_config_fail("projections and nprojections disagree",
		    a->name);
	for (i = 0; i < a->nprojections; i++)
		fuzz_config_check_string("projections item", a->projections[i]);
	switch (a->auth) {
	case CONFIG_AUTH_NONE:
		if (a->user != NULL || a->nkey != NULL || a->secret_file != NULL)
			fuzz_config_fail("auth none with credentials", a->name);
		break;
	case CONFIG_AUTH_PASSWORD:
		if (a->user == NULL || a->secret_file == NULL || a->nkey != NULL)
			fuzz_config_fail("half a password method", a->name);
		break;
	case CONFIG_AUTH_NKEY:
		/* The seed file alone is enough; an nkey, if any, is public. */
		if ((a->nkey != NULL && a->nkey[0] != 'U') ||
		    a->secret_file == NULL || a->user != NULL)
			fuzz_config_fail("half an nkey method", a->name);
		break;
	case CONFIG_AUTH_TOKEN:
	case CONFIG_AUTH_CREDS:
		if (a->secret_file == NULL || a->user != NULL || a->nkey != NULL)
			fuzz_config_fail("half a token or creds method", a->name);
		break;
	default:
		fuzz_config_fail("unknown auth method", a->name);
	}
}

static void
fuzz_config_check(const struct config *cfg)
{
	char err[1024];
	size_t i;

	if (cfg->path == NULL || strcmp(cfg->path, fuzz_config_file) != 0)
		fuzz_config_fail("path is not the file's", cfg->path);
	for (i = 0; i < cfg->nservers; i++)
		fuzz_config_check_string("servers item", cfg->servers[i]);
	if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
		fuzz_config_fail("a certificate without its key or the reverse",
		    cfg->tls_cert_file);
	fuzz_config_check_path("ca_file", cfg->tls_ca_file);
	fuzz_config_check_path("cert_file", cfg->tls_cert_file);
	fuzz_config_check_path("key_file", cfg->tls_key_file);
	for (i = 0; i < cfg->naccounts; i++)
		fuzz_config_check_account(&cfg->accounts[i]);

	err[0] = '\0';
	if (config_validate(cfg, fuzz_config_known, err, sizeof(err)) == -1)
		fuzz_config_check_error("config_validate", err);
	err[0] = '\0';
	if (config_validate(cfg, NULL, err, sizeof(err)) == -1)
		fuzz_config_check_error("config_validate without names", err);
}

/* Loads data from the file; the result must be well formed. */
static enum config_error
fuzz_config_load_file(const uint8_t *data, size_t size, struct config **cfg,
    char *err, size_t errlen)
{
	enum config_error rc;

	fuzz_config_write(data, size);
	err[0] = '\0';
	rc = config_load(fuzz_config_file, cfg, err, errlen);
	if (rc != CONFIG_OK && rc != CONFIG_EINVALID)
		fuzz_config_fail("config_load returned neither OK nor EINVALID",
		    err);
	if ((rc == CONFIG_OK) != (*cfg != NULL))
		fuzz_config_fail("config_load's result and *out disagree", err);
	if (rc != CONFIG_OK)
		fuzz_config_check_error("config_load", err);
	return rc;
}

/* Loads data from memory, as the file's text; the same must hold. */
static enum config_error
fuzz_config_load_string(const uint8_t *data, size_t size, struct config **cfg,
    char *err, size_t errlen)
{
	enum config_error rc;
	char *text;

	if ((text = malloc(size + 1)) == NULL)
		fuzz_config_fail("malloc", "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = config_load_string(text, fuzz_config_file, fuzz_config_real,
	    cfg, err, errlen);
	free(text);
	if (rc != CONFIG_OK && rc != CONFIG_EINVALID)
		fuzz_config_fail("config_load_string returned neither OK nor"
		    " EINVALID", err);
	if ((rc == CONFIG_OK) != (*cfg != NULL))
		fuzz_config_fail("config_load_string's result and *out"
		    " disagree", err);
	if (rc != CONFIG_OK)
		fuzz_config_check_error("config_load_string", err);
	return rc;
}

/*
 * Loads data as the configuration file, from memory and, for one input in
 * FUZZ_CONFIG_FILE_EVERY and for every input with a NUL byte (which the
 * string API cannot take), from a file too; checks what must hold (the
 * header comment) and frees everything. Aborts when something does not
 * hold. The file is the slow way (config_load() reads into a 1 MiB buffer,
 * which ASan maps and unmaps each time), hence not every input.
 */
void
fuzz_config_one(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	struct config *cfg_file = NULL, *cfg_string = NULL;
	enum config_error rc_file = CONFIG_OK, rc_string = CONFIG_OK;
	char err_file[1024], err_string[1024];
	int file, string;

	fuzz_config_init();
	/* The string API stops at a NUL; the file API refuses over 1 MiB. */
	string = memchr(data, '\0', size) == NULL;
	file = !string || runs++ % FUZZ_CONFIG_FILE_EVERY == 0;
	if (size > FUZZ_CONFIG_MAX_FILE)
		file = 0;
	if (file)
		rc_file = fuzz_config_load_file(data, size, &cfg_file, err_file,
		    sizeof(err_file));
	if (string)
		rc_string = fuzz_config_load_string(data, size, &cfg_string,
		    err_string, sizeof(err_string));
	if (file && string && (rc_file != rc_string ||
	    (rc_file != CONFIG_OK && strcmp(err_file, err_string) != 0))) {
		fprintf(stderr, "config_load: %d %s\n", rc_file, err_file);
		fuzz_config_fail("config_load_string disagrees", err_string);
	}
	if (cfg_file != NULL)
		fuzz_config_check(cfg_file);
	if (cfg_string != NULL)
		fuzz_config_check(cfg_string);
	config_free(cfg_file);
	config_free(cfg_string);
}
