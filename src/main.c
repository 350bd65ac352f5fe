/*
 * main.c: the command line: argv, signals, start-up and shutdown order,
 * exit status. Commands and exit codes are those of the CLI contract
 * (README.md, "Command line"); exit codes follow <sysexits.h>.
 */
#include <sysexits.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "archive.h"
#include "catalog.h"
#include "config.h"
#include "db.h"
#include "export.h"
#include "clock.h"
#include "health.h"
#include "log.h"
#include "nkeys.h"
#include "notify.h"
#include "offline.h"
#include "projections.h"
#include "registry.h"
#include "secret.h"
#include "source.h"
#include "status.h"
#include "supervisor.h"
#include "verify.h"
#include "worker.h"

#define PROJECTOR_VERSION	"0.1.0"

/* The only global state but the log settings: set by signal handlers. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;	/* SIGHUP */

struct options {
	const char	*command;
	const char	*config;
	const char	*account;
	const char	*projection;
	int		 once;
	int		 accept_gap;
	int		 json;
	int		 ready;		/* health: /readyz, not /livez */
	uint64_t	 from_seq;	/* archive export: 0 = the first */
	uint64_t	 to_seq;	/* archive export: 0 = the mark */
	const char	*input;		/* fold: the JSON Lines file */
};

static const char usage_text[] =
"usage: projector COMMAND -c FILE [options]\n"
"\n"
"Folds NATS JetStream events of each configured account into its SQLite\n"
"read models.\n"
"\n"
"commands:\n"
"  run -c FILE [--once] [--accept-gap]\n"
"                              fold events until SIGTERM/SIGINT; --once: exit\n"
"                              when every account has applied its stream's\n"
"                              last sequence as of start\n"
"  status -c FILE [--json]     per account and projection: last_seq, stream\n"
"                              last seq, lag, state, parked count\n"
"  check-config -c FILE        parse and validate, no network\n"
"  migrate -c FILE             apply pending schema migrations and exit\n"
"  replay -c FILE [--account NAME] [--projection NAME] [--once]\n"
"         [--accept-gap]\n"
"                              rebuild from sequence 1 into a shadow while\n"
"                              readers keep the old view; swap when caught\n"
"                              up, then go on live (--once: exit after it)\n"
"  verify -c FILE [--account NAME] [--projection NAME]\n"
"                              rebuild into a scratch copy up to the live\n"
"                              checkpoint and compare: exit 0 equal, 1 not\n"
"  archive export -c FILE --account NAME [--from SEQ] [--to SEQ]\n"
"                              the account's archived history as JSON Lines\n"
"                              on stdout (seq, stored time, subject, payload)\n"
"  fold -c FILE --account NAME --input FILE.jsonl\n"
"                              fold a JSON Lines file of messages (what\n"
"                              archive export writes) into the account's\n"
"                              database, which must be fresh; no NATS\n"
"  health -c FILE [--ready] [--account NAME] [--projection NAME]\n"
"                              ask the running projector's HTTP endpoint\n"
"                              (http.listen) whether it is live, or with\n"
"                              --ready ready: exit 0 yes, 1 no or no answer\n"
"\n"
"options:\n"
"  -c, --config FILE           the YAML configuration\n"
"      --once                  with run: stop when caught up\n"
"      --accept-gap            with run: go on when events expired from the\n"
"                              stream before they were applied (else exit 78);\n"
"                              with replay: rebuild from what the archive and\n"
"                              the stream still hold (else exit 78)\n"
"      --json                  with status: JSON on stdout\n"
"      --ready                 with health: readiness, not liveness\n"
"      --account NAME          with replay/verify/health: only that account\n"
"      --from SEQ, --to SEQ    with archive export: the range (default all)\n"
"      --input FILE            with fold: the messages to fold\n"
"      --projection NAME       with replay/verify/health: only that\n"
"                              projection\n"
"      --log-format FORMAT     logfmt (default) or json, on stderr\n"
"      --log-level LEVEL       debug, info (default), warn or error\n"
"  -h, --help                  this text\n"
"  -V, --version               the version\n"
"\n"
"exit status: 0 ok, 64 usage, 65 damaged archive, 66 missing input file,\n"
"69 NATS or stream unavailable, 70 internal error, 73 cannot create the\n"
"database, 74 I/O error, 75 another instance holds the database, 77\n"
"permission denied, 78 invalid configuration or a history with a hole.\n";

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload_requested = 1;
		return;
	}
	/* A second Ctrl-C means now. */
	if (stop_requested && sig == SIGINT)
		_exit(130);
	stop_requested = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int
usage_error(const char *fmt, const char *arg)
{
	/* One line (cli.md): what is wrong, and where to look. */
	fprintf(stderr, "projector: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try 'projector --help')\n");
	return EX_USAGE;
}

/* Reads a stream sequence: a decimal number, 1 or more. */
static int
parse_seq(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return -1;
	*out = v;
	return 0;
}

/*
 * Parses argv into o: the command comes first (projector run -c FILE), the
 * options in any order after it; --help and --version also work alone.
 * Returns 0, -1 after printing help or the version, or EX_USAGE.
 */
static int
parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_ONCE = 256, OPT_JSON, OPT_ACCOUNT, OPT_PROJECTION,
	    OPT_LOG_FORMAT, OPT_LOG_LEVEL, OPT_ACCEPT_GAP, OPT_FROM, OPT_TO,
	    OPT_INPUT, OPT_READY };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "to", required_argument, NULL, OPT_TO },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "accept-gap", no_argument, NULL, OPT_ACCEPT_GAP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "ready", no_argument, NULL, OPT_READY },
		{ "account", required_argument, NULL, OPT_ACCOUNT },
		{ "projection", required_argument, NULL, OPT_PROJECTION },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum log_format format = LOG_LOGFMT;
	enum log_level level = LOG_INFO;
	int ch, first = 1;

	memset(o, 0, sizeof(*o));
	if (argc > 1 && argv[1][0] != '-') {
		o->command = argv[1];
		first = 2;
	}
	/* Two words: archive export. */
	if (o->command != NULL && strcmp(o->command, "archive") == 0) {
		if (argc < 3 || strcmp(argv[2], "export") != 0)
			return usage_error("%s", "archive: the command is"
			    " 'archive export'");
		o->command = "archive export";
		first = 3;
	}
	optind = first;
	opterr = 0;	/* usage_error() says it, on one line */
	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_ACCEPT_GAP:
			o->accept_gap = 1;
			break;
		case OPT_FROM:
		case OPT_TO:
			if (parse_seq(optarg, ch == OPT_FROM ? &o->from_seq :
			    &o->to_seq) == -1)
				return usage_error("'%s' is not a sequence number"
				    " (1 or more)", optarg);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_READY:
			o->ready = 1;
			break;
		case OPT_INPUT:
			o->input = optarg;
			break;
		case OPT_ACCOUNT:
			o->account = optarg;
			break;
		case OPT_PROJECTION:
			o->projection = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") == 0)
				format = LOG_JSON;
			else if (strcmp(optarg, "logfmt") != 0)
				return usage_error("unknown log format '%s'", optarg);
			break;
		case OPT_LOG_LEVEL:
			if (strcmp(optarg, "debug") == 0)
				level = LOG_DEBUG;
			else if (strcmp(optarg, "warn") == 0)
				level = LOG_WARN;
			else if (strcmp(optarg, "error") == 0)
				level = LOG_ERROR;
			else if (strcmp(optarg, "info") != 0)
				return usage_error("unknown log level '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("projector %s (cnats %s, SQLite %s, jansson %s)\n",
			    PROJECTOR_VERSION, source_version(), sqlite3_libversion(),
			    JANSSON_VERSION);
			return -1;
		default:
			return usage_error("bad option '%s' or its argument",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->command == NULL)
		return usage_error("%s", "missing command");
	if (o->config == NULL)
		return usage_error("%s: -c FILE is required", o->command);
	log_init(format, level);
	return 0;
}

/*
 * Loads the configuration and its plug-ins and validates it; prints the
 * one-line reason and returns its exit code on failure.
 */
static int
load_config(const char *path, struct config **out, struct catalog **cat)
{
	char err[1024];
	int code;

	if ((code = supervisor_load(path, projections_builtin, out, cat, err,
	    sizeof(err))) != 0)
		fprintf(stderr, "projector: %s\n", err);
	return code;
}

/* check-config: the file, then each account's secret file, no network. */
static int
cmd_check_config(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	char warn[1024], pub[NKEYS_PUBLIC_LEN + 1];
	size_t i;
	int code = 0;

	(void)o;
	for (i = 0; i < cfg->naccounts; i++) {
		const struct config_account *a = &cfg->accounts[i];

		if (a->secret_file == NULL)
			continue;
		/* A seed says whose it is, without the network. */
		if (a->auth == CONFIG_AUTH_NKEY && nkeys_user_of(a->secret_file,
		    a->nkey, pub, warn, sizeof(warn)) == -1) {
			fprintf(stderr, "projector: account %s: %s\n", a->name,
			    warn);
			code = EX_CONFIG;
			continue;
		}
		switch (secret_check_mode(a->secret_file, warn, sizeof(warn))) {
		case -1:
			fprintf(stderr, "projector: account %s: %s\n", a->name, warn);
			code = EX_CONFIG;
			break;
		case 1:
			log_warn("secret file readable by others",
			    "account=%s warning=%s", a->name, warn);
			break;
		}
	}
	/* The plug-ins were loaded and checked with the configuration. */
	if (code == 0 && catalog_nplugins(cat) == 0)
		printf("%s: valid, %zu account%s\n", cfg->path, cfg->naccounts,
		    cfg->naccounts == 1 ? "" : "s");
	else if (code == 0)
		printf("%s: valid, %zu account%s, %zu plug-in%s\n", cfg->path,
		    cfg->naccounts, cfg->naccounts == 1 ? "" : "s",
		    catalog_nplugins(cat), catalog_nplugins(cat) == 1 ? "" : "s");
	return code;
}

/* migrate: each account's database, locked like a worker would. */
static int
cmd_migrate(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	char err[1024];
	struct archive *ar = NULL;
	struct db *d;
	enum db_error e;
	size_t i;
	int applied, more = 0;

	(void)o;
	for (i = 0; i < cfg->naccounts; i++) {
		const struct config_account *a = &cfg->accounts[i];

		if ((e = db_open(a->database, &d, err, sizeof(err))) != DB_OK) {
			fprintf(stderr, "projector: %s\n", err);
			return db_sysexit(e);
		}
		if (db_migrate(d, catalog_table(cat, a), &applied, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "projector: account %s: %s\n", a->name, err);
			db_close(d);
			return EX_IOERR;
		}
		/* The archive, under the database's lock. */
		if (a->archive != NULL && archive_open(a->archive, 0, &more, &ar,
		    err, sizeof(err)) != ARCHIVE_OK) {
			fprintf(stderr, "projector: account %s: %s\n", a->name, err);
			db_close(d);
			return EX_IOERR;
		}
		applied += a->archive != NULL ? more : 0;
		printf("%s: %d migration%s applied to %s%s%s\n", a->name, applied,
		    applied == 1 ? "" : "s", a->database,
		    a->archive != NULL ? " and " : "",
		    a->archive != NULL ? a->archive : "");
		archive_close(ar);
		ar = NULL;
		db_close(d);
	}
	return 0;
}

/* status: what each database and NATS say, as a table or JSON. */
static int
cmd_status(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	(void)cat;
	return status_print(cfg, o->json, stdout);
}

/* --account and --projection must name what the configuration has. */
static int
check_selection(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	size_t i, found = 0;

	for (i = 0; i < cfg->naccounts; i++)
		if (o->account == NULL ||
		    strcmp(o->account, cfg->accounts[i].name) == 0)
			found++;
	if (found == 0) {
		fprintf(stderr, "projector: no account '%s' in %s\n", o->account,
		    cfg->path);
		return EX_USAGE;
	}
	if (o->projection != NULL &&
	    catalog_find(cat, o->projection) == NULL) {
		fprintf(stderr, "projector: no projection '%s' (see README.md)\n",
		    o->projection);
		return EX_USAGE;
	}
	return 0;
}

/* verify: each account asked for; exit 0 when all are equal, 1 if not. */
static int
cmd_verify(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	char err[1024];
	enum verify_result vr;
	size_t i;
	int code = 0, failed;

	for (i = 0; i < cfg->naccounts; i++) {
		const struct config_account *a = &cfg->accounts[i];

		if (o->account != NULL && strcmp(o->account, a->name) != 0)
			continue;
		vr = verify_account(cfg, a, catalog_table(cat, a), o->projection,
		    &stop_requested, stdout, &failed, err, sizeof(err));
		fflush(stdout);
		if (vr == VERIFY_ERROR) {
			fprintf(stderr, "projector: verify %s: %s\n", a->name, err);
			return failed;
		}
		if (vr == VERIFY_DIFFERENT)
			code = 1;
	}
	return code;
}

/* run and replay: the supervisor runs the accounts (supervisor.h). */
static int
run_accounts(const struct config *cfg, const struct catalog *cat,
    const struct options *o, int replay)
{
	struct supervisor_params sp;

	memset(&sp, 0, sizeof(sp));
	sp.path = o->config;
	sp.builtin = projections_builtin;
	sp.cfg = cfg;
	sp.cat = cat;
	sp.version = PROJECTOR_VERSION;
	sp.once = o->once;
	sp.replay = replay;
	sp.accept_gap = o->accept_gap;
	sp.account = o->account;
	sp.projection = o->projection;
	sp.stop = &stop_requested;
	sp.reload = &reload_requested;
	return supervisor_run(&sp);
}

static int
cmd_run(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	return run_accounts(cfg, cat, o, 0);
}

static int
cmd_replay(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	return run_accounts(cfg, cat, o, 1);
}

/*
 * The commands (tmux's cmd_table). Every one needs the same start: a valid
 * configuration and a checked --account/--projection.
 */
/* archive export: one account's history, as JSON Lines on stdout. */
static int
cmd_archive_export(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	char err[1024];
	size_t i;
	int code;

	(void)cat;
	if (o->account == NULL) {
		fprintf(stderr, "projector: archive export: --account NAME is"
		    " required\n");
		return EX_USAGE;
	}
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(o->account, cfg->accounts[i].name) == 0)
			break;
	code = export_archive(&cfg->accounts[i], o->from_seq, o->to_seq,
	    stdout, err, sizeof(err));
	if (code != 0)
		fprintf(stderr, "projector: archive export %s: %s\n", o->account,
		    err);
	return code;
}

/* fold: a sample stream through one account's projections, offline. */
static int
cmd_fold(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	struct offline_stats st;
	char err[1024];
	size_t i;
	int code;

	if (o->account == NULL || o->input == NULL) {
		fprintf(stderr, "projector: fold: --account NAME and --input"
		    " FILE are required\n");
		return EX_USAGE;
	}
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(o->account, cfg->accounts[i].name) == 0)
			break;
	code = offline_fold(&cfg->accounts[i], catalog_table(cat,
	    &cfg->accounts[i]), cfg->max_events, o->input, &st, err,
	    sizeof(err));
	if (code != 0) {
		fprintf(stderr, "projector: fold %s: %s\n", o->account, err);
		return code;
	}
	printf("%s: folded %llu messages (to seq %llu) into %s: %llu applied,"
	    " %llu parked\n", o->account, (unsigned long long)st.events,
	    (unsigned long long)st.last_seq, cfg->accounts[i].database,
	    (unsigned long long)st.applied, (unsigned long long)st.parked);
	return 0;
}

/*
 * health: the running projector's /livez (or /readyz) through its HTTP
 * endpoint. Exit 0 on 200, 1 on any other answer or none; never 2, which
 * Docker's HEALTHCHECK reserves.
 */
static int
cmd_health(const struct config *cfg, const struct catalog *cat,
    const struct options *o)
{
	char err[1024];
	long status = 0;

	(void)cat;
	if (cfg->http.listen == NULL) {
		fprintf(stderr, "projector: health: %s has no http: block, so"
		    " there is no endpoint to ask (add http: listen:"
		    " 127.0.0.1:9464)\n", cfg->path);
		return EX_CONFIG;
	}
	if (health_probe(&cfg->http, o->ready, o->account, o->projection,
	    stdout, &status, err, sizeof(err)) == -1) {
		fprintf(stderr, "projector: health: %s\n", err);
		return 1;
	}
	fflush(stdout);
	return status == 200 ? 0 : 1;
}

static const struct command {
	const char	*name;
	int		(*run)(const struct config *, const struct catalog *,
			    const struct options *);
} commands[] = {
	{ "run", cmd_run },
	{ "status", cmd_status },
	{ "check-config", cmd_check_config },
	{ "migrate", cmd_migrate },
	{ "replay", cmd_replay },
	{ "verify", cmd_verify },
	{ "archive export", cmd_archive_export },
	{ "fold", cmd_fold },
	{ "health", cmd_health },
};

/* Returns the command called name, or NULL. Cannot fail. */
static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct options o;
	struct config *cfg = NULL;
	struct catalog *cat = NULL;
	char err[1024];
	int code;

	install_signals();
	db_init();	/* tuning only: a failure changes no behaviour */
	if ((code = parse_args(argc, argv, &o)) != 0)
		return code == -1 ? 0 : code;
	if (registry_check(projections_builtin, err, sizeof(err)) == -1) {
		fprintf(stderr, "projector: %s\n", err);
		return EX_SOFTWARE;
	}
	if ((cmd = find_command(o.command)) == NULL)
		return usage_error("unknown command '%s'", o.command);
	if ((code = load_config(o.config, &cfg, &cat)) != 0)
		return code;
	if ((code = check_selection(cfg, cat, &o)) == 0)
		code = cmd->run(cfg, cat, &o);
	catalog_free(cat);
	config_free(cfg);
	/* Leaving before NATS's own threads end shows as leaks under ASan. */
	source_shutdown();
	return code;
}
