/*
 * supervisor.h: the accounts of `run` and `replay`, one worker thread each
 * (worker.h), and everything that watches them from outside: systemd
 * (notify.h), the HTTP endpoint (http.h) and SIGHUP.
 *
 * supervisor_run() starts a worker per selected account, then looks at
 * them about once a second, or at once when one returns: READY=1 once every
 * account has started, STATUS= with how far they are, WATCHDOG=1 while
 * every loop still turns, STOPPING=1 when asked to stop. It returns when
 * every worker has returned.
 *
 * When *reload is set (SIGHUP), it loads the file again. A file that does
 * not load or validate is refused, with its FILE:LINE:COLUMN message in the
 * log, and the running configuration is kept. Otherwise, by account name:
 * accounts added start, accounts removed stop as on SIGTERM (the batch in
 * hand committed and acknowledged), changed ones (their entry, the
 * settings every worker uses, or the bytes of a plug-in they run) stop and
 * start again, and unchanged ones keep folding on their connection, with
 * the configuration they started with. The HTTP listener follows the same
 * rule. systemd hears RELOADING=1, then READY=1.
 *
 * Like main, the supervisor logs.
 *
 * Memory: cfg and cat are borrowed and must outlive supervisor_run(); the
 * configurations it loads on SIGHUP are its own, freed once no worker runs
 * on them.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <signal.h>

#include "catalog.h"
#include "config.h"

struct supervisor_params {
	const char		*path;		/* the file, for reloads */
	const struct projection *const *builtin; /* the program's */
	const struct config	*cfg;
	const struct catalog	*cat;
	const char		*version;
	int			 once;
	int			 replay;
	int			 accept_gap;
	const char		*account;	/* NULL: every account */
	const char		*projection;	/* replay: NULL: all */
	volatile sig_atomic_t	*stop;		/* SIGTERM, SIGINT */
	volatile sig_atomic_t	*reload;	/* SIGHUP; cleared when done */
};

/*
 * Loads path with its plug-ins and validates it, logging each plug-in
 * loaded. Returns 0, or EX_NOINPUT or EX_CONFIG with err.
 */
int	supervisor_load(const char *path,
	    const struct projection *const *builtin, struct config **cfg,
	    struct catalog **cat, char *err, size_t errlen);

/*
 * Runs the accounts until they have all returned. Returns the exit status
 * of the first account, in the order they were started, that stopped with
 * an error, else 0; EX_OSERR when a thread could not be started.
 */
int	supervisor_run(const struct supervisor_params *p);

#endif /* SUPERVISOR_H */
