/*
 * natsd_leaf.h: a JetStream hub and a leaf node of it, two real
 * nats-servers for one test.
 *
 * natsd_leaf_start() makes a temp dir and runs, on 127.0.0.1 only, a hub
 * (JetStream in the given domain, its store in <dir>/hub/store, a leaf
 * node listener) and a leaf (no JetStream of its own) whose one remote is
 * that listener, each with a generated configuration (<dir>/NAME/server.conf)
 * and its log (<dir>/NAME/server.log), both in the default account. It
 * returns once both accept TCP connections and the hub's JetStream answers
 * through the leaf, in its domain ($JS.<domain>.API). Either can be killed
 * (SIGKILL, a crash) and restarted on the same ports (the hub with its
 * store): the leaf as an edge site's server that goes away while the hub
 * goes on storing events, the hub as the link from the edge cut while the
 * leaf stays.
 *
 * The ports are chosen before the servers start, since the leaf's
 * configuration names the hub's leaf node port: free ones (a bind
 * succeeds), at random, below the kernel's ephemeral range, so that no
 * outgoing connection (a client trying the dead leaf again, say) takes the
 * leaf's port before its restart. A port taken between the choice and the
 * start makes the start try again with other ports.
 *
 * Nothing here uses cmocka: each function returns 0 or -1 with a reason in
 * err ("cannot run" in it when there is no nats-server to run). struct
 * natsd_leaf is allocated by the caller and filled by natsd_leaf_start();
 * its strings are buffers inside it, valid until natsd_leaf_release(). The
 * servers are children of the test process (see proc.h: they die with the
 * test).
 */
#ifndef NATSD_LEAF_H
#define NATSD_LEAF_H

#include <stddef.h>

#include "natsd.h"
#include "proc.h"

#define NATSD_LEAF_READY_MS	20000	/* bound on a start or a wait */

/* One of the two servers. */
struct natsd_leaf_server {
	struct proc	proc;			/* the server process */
	int		port;			/* client port, kept by restarts */
	char		name[8];		/* server_name: "hub", "leaf" */
	char		url[64];		/* "nats://127.0.0.1:<port>" */
	char		dir[NATSD_PATH_MAX + 8];	/* <topology dir>/NAME */
	char		config[NATSD_PATH_MAX + 24];	/* <dir>/server.conf */
	char		log[NATSD_PATH_MAX + 24];	/* <dir>/server.log */
};

struct natsd_leaf {
	struct natsd_leaf_server hub;
	struct natsd_leaf_server leaf;
	int		leafnode_port;		/* the hub's leaf node listener */
	char		domain[64];		/* the hub's JetStream domain */
	char		dir[NATSD_PATH_MAX];	/* temp dir, "" once released */
};

int	natsd_leaf_start(struct natsd_leaf *t, const char *domain, char *err,
	    size_t errlen);
int	natsd_leaf_kill(struct natsd_leaf_server *sv, char *err,
	    size_t errlen);
int	natsd_leaf_restart(struct natsd_leaf *t, struct natsd_leaf_server *sv,
	    char *err, size_t errlen);
int	natsd_leaf_wait_linked(struct natsd_leaf *t, int timeout_ms,
	    char *err, size_t errlen);
void	natsd_leaf_release(struct natsd_leaf *t);

#endif /* NATSD_LEAF_H */
