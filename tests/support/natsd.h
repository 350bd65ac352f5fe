/*
 * natsd.h: a real nats-server with JetStream for one test.
 *
 * natsd_start() makes a temp dir, runs ${NATS_SERVER:-nats-server} on a port
 * the kernel picks, bound to 127.0.0.1 only, with its JetStream store in
 * <dir>/store and its output in <dir>/server.log, and returns once a TCP
 * connect to it succeeds. natsd_restart() brings it back on the same port
 * with the same store, so clients and stored streams can be tested across a
 * crash (natsd_kill) or a clean stop (natsd_stop). natsd_release(), for the
 * teardown, kills it if needed and removes the dir. natsd_probe_port() is
 * its readiness check, natsd_server_path() the binary it runs and
 * natsd_log_tail() the last line of a server's log (why it did not start),
 * for other servers a test starts too (natsd_cluster.h, natsd_leaf.h);
 * natsd_launch() starts one of those on a configuration and ports chosen
 * ahead (ports.h) and waits until it is ready.
 *
 * struct natsd is allocated by the caller and filled by natsd_start(); its
 * strings are buffers inside it, valid until natsd_release(). The server is a
 * child of the test process (see proc.h: it dies with the test).
 */
#ifndef NATSD_H
#define NATSD_H

#include <stddef.h>

#include "proc.h"

#define NATSD_PATH_MAX		4096
#define NATSD_READY_MS		10000	/* bound on every start and restart */
/* Used when natsd_start() is given no config (tests run from the repo root). */
#define NATSD_DEFAULT_CONFIG	"configs/nats-server.conf"
/* natsd_launch(): the server exited because another holds a port of its. */
#define NATSD_PORT_TAKEN	(-2)

struct natsd {
	struct proc	proc;			/* the server process */
	int		port;			/* client port, kept by restarts */
	char		url[64];		/* "nats://127.0.0.1:<port>" */
	char		dir[NATSD_PATH_MAX];	/* temp dir, "" once released */
	char		log[NATSD_PATH_MAX + 16]; /* <dir>/server.log */
	char		config[NATSD_PATH_MAX];	/* -c file, "" for none */
};

int	natsd_start(struct natsd *d, const char *config_file, char *err,
	    size_t errlen);
int	natsd_stop(struct natsd *d, char *err, size_t errlen);
int	natsd_kill(struct natsd *d, char *err, size_t errlen);
int	natsd_restart(struct natsd *d, char *err, size_t errlen);
int	natsd_running(const struct natsd *d);
int	natsd_probe_port(int port);
const char *natsd_server_path(void);
long long natsd_now_ms(void);
void	natsd_nap(void);
int	natsd_launch(struct proc *p, const char *name, const char *config,
	    const char *log, int port, int ready_ms, char *err, size_t errlen);
void	natsd_log_tail(const char *path, char *buf, size_t len);
void	natsd_release(struct natsd *d);

#endif /* NATSD_H */
