/*
 * natsd_cluster.h: a JetStream cluster of real nats-servers for one test.
 *
 * natsd_cluster_start() makes a temp dir and runs n nats-servers in it as
 * one JetStream cluster, all on 127.0.0.1 only: node i ("n1", "n2", ...)
 * has its own client port, cluster port, store (<dir>/nI/store),
 * configuration file (<dir>/nI/server.conf, generated) and log
 * (<dir>/nI/server.log); every node routes to every other. It returns once
 * each node accepts TCP connections and the cluster answers JetStream API
 * requests (it has a meta leader). A node can be killed (SIGKILL, a crash)
 * and restarted on the same ports with the same store, so that clients and
 * replicated streams can be tested across the loss of a server.
 *
 * The ports are chosen before the servers start, because JetStream
 * clustering wants every route in the configuration: free ones (a bind
 * succeeds), at random, below the kernel's ephemeral range, so that no
 * outgoing connection of anyone takes the port of a node that is down
 * between its kill and its restart. A port taken between the choice and
 * the start makes the start try again with other ports.
 *
 * The stream functions look at the cluster through a connection of their
 * own to any node that is up: where a stream's or consumer's leader is
 * (as its info's cluster section says), whether its replicas are current,
 * and they move a leader with the JetStream API's step-down request.
 * Every wait polls with a deadline.
 *
 * natsd_cluster_start_super() runs a supercluster instead: k clusters
 * ("A", "B", ...) of n nodes each ("A1", "A2", ..., "B1", ...), each with
 * its own cluster block and routes to its own nodes only, joined by
 * gateways (every node's gateway block lists every cluster with the
 * gateway URLs of all its nodes, as an operator would write it). The
 * JetStream meta group spans every node of every cluster; the start
 * returns once JetStream answers through a node of each cluster. The nodes
 * are still c->node[0 .. k * n), cluster by cluster, so that every other
 * function takes them as it takes a cluster's; node[i].cluster says where
 * one is, and natsd_cluster_urls() lists one cluster's URLs.
 * natsd_cluster_add_stream_in() places a stream in one cluster.
 *
 * Nothing here uses cmocka: each function returns 0 (or a value) or -1
 * with a reason in err. struct natsd_cluster is allocated by the caller
 * and filled by natsd_cluster_start(); its strings are buffers inside it,
 * valid until natsd_cluster_release(). The servers are children of the
 * test process (see proc.h: they die with the test).
 */
#ifndef NATSD_CLUSTER_H
#define NATSD_CLUSTER_H

#include <stddef.h>

#include "natsd.h"
#include "proc.h"

#define NATSD_CLUSTER_MAX	6	/* most nodes, every cluster's together */
#define NATSD_CLUSTER_NAME	"projector-test"	/* cluster.name */
#define NATSD_CLUSTER_READY_MS	20000	/* bound on a start or a wait */

struct natsd_node {
	struct proc	proc;			/* the server process */
	int		port;			/* client port, kept by restarts */
	int		cluster_port;		/* route port, kept too */
	int		gateway_port;		/* supercluster only, kept too */
	char		name[16];		/* server_name: "n1", "A1", ... */
	char		cluster[16];		/* cluster.name: its cluster's */
	char		url[64];		/* "nats://127.0.0.1:<port>" */
	char		dir[NATSD_PATH_MAX];	/* <cluster dir>/nI */
	char		config[NATSD_PATH_MAX + 16];	/* <dir>/server.conf */
	char		log[NATSD_PATH_MAX + 16];	/* <dir>/server.log */
};

struct natsd_cluster {
	struct natsd_node node[NATSD_CLUSTER_MAX];
	int		n;			/* nodes, every cluster's */
	int		nclusters;		/* 1, or a supercluster's */
	/* Every node's URL, comma-separated, as cnats takes a server list. */
	char		urls[NATSD_CLUSTER_MAX * 64];
	char		dir[NATSD_PATH_MAX];	/* temp dir, "" once released */
};

int	natsd_cluster_start(struct natsd_cluster *c, int n, char *err,
	    size_t errlen);
int	natsd_cluster_start_super(struct natsd_cluster *c, int nclusters,
	    int n, char *err, size_t errlen);
int	natsd_cluster_urls(const struct natsd_cluster *c, const char *cluster,
	    const char *sep, char *buf, size_t len);
int	natsd_cluster_kill(struct natsd_cluster *c, int i, char *err,
	    size_t errlen);
int	natsd_cluster_restart(struct natsd_cluster *c, int i, char *err,
	    size_t errlen);
int	natsd_cluster_running(const struct natsd_cluster *c, int i);
int	natsd_cluster_node_of_url(const struct natsd_cluster *c,
	    const char *url);
int	natsd_cluster_add_stream(struct natsd_cluster *c, const char *name,
	    const char *const subjects[], size_t nsubjects, int replicas,
	    char *err, size_t errlen);
int	natsd_cluster_add_stream_in(struct natsd_cluster *c, const char *name,
	    const char *const subjects[], size_t nsubjects, int replicas,
	    const char *cluster, char *err, size_t errlen);
int	natsd_cluster_leader(struct natsd_cluster *c, const char *stream,
	    const char *consumer, int *leader, char *err, size_t errlen);
int	natsd_cluster_wait_leader(struct natsd_cluster *c, const char *stream,
	    const char *consumer, int not, int timeout_ms, int *leader,
	    char *err, size_t errlen);
int	natsd_cluster_wait_current(struct natsd_cluster *c, const char *stream,
	    const char *consumer, int replicas, int timeout_ms, int *leader,
	    char *err, size_t errlen);
int	natsd_cluster_move_leader(struct natsd_cluster *c, const char *stream,
	    const char *consumer, int target, int timeout_ms, char *err,
	    size_t errlen);
void	natsd_cluster_release(struct natsd_cluster *c);

#endif /* NATSD_CLUSTER_H */
