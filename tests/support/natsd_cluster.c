/*
 * natsd_cluster.c: a JetStream cluster of real nats-servers for one test
 * (see natsd_cluster.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "natsd.h"
#include "natsd_cluster.h"
#include "ports.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

/* Wait of one API request while polling: short, the poll goes on. */
#define NATSD_CLUSTER_API_MS	1000
/* Tries of a start whose chosen ports someone took meanwhile. */
#define NATSD_CLUSTER_TRIES	4

/* A launch that failed because another socket holds one of its ports. */
#define NATSD_CLUSTER_PORT_TAKEN	NATSD_PORT_TAKEN

/*
 * Writes node i's configuration: its name, ports and store, and a route to
 * every node of its cluster (its own included, which nats-server
 * recognises and skips). In a supercluster, a gateway block too, naming
 * every cluster with the gateway URLs of all its nodes: a gateway to a
 * cluster whose node is down then goes through another of its nodes.
 * Returns 0, or -1 with err.
 */
static int
write_config(struct natsd_cluster *c, int i, char *err, size_t errlen)
{
	struct natsd_node *nd = &c->node[i];
	const char *other = NULL;
	FILE *fp;
	int k;

	if ((fp = fopen(nd->config, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", nd->config, strerror(errno));
		return -1;
	}
	fprintf(fp, "# written by natsd_cluster.c: node %d of %d, loopback"
	    " only\nserver_name: %s\nlisten: 127.0.0.1:%d\n"
	    "max_payload: 1048576\n"
	    "jetstream { store_dir: \"%s/store\" }\n"
	    "cluster {\n  name: %s\n  listen: 127.0.0.1:%d\n  routes: [\n",
	    i + 1, c->n, nd->name, nd->port, nd->dir, nd->cluster,
	    nd->cluster_port);
	for (k = 0; k < c->n; k++)
		if (strcmp(c->node[k].cluster, nd->cluster) == 0)
			fprintf(fp, "    nats-route://127.0.0.1:%d\n",
			    c->node[k].cluster_port);
	fprintf(fp, "  ]\n}\n");
	if (c->nclusters > 1) {
		fprintf(fp, "gateway {\n  name: %s\n  listen: 127.0.0.1:%d\n"
		    "  gateways: [", nd->cluster, nd->gateway_port);
		/* Nodes are grouped by cluster: a new name opens an entry. */
		for (k = 0; k < c->n; k++) {
			if (other == NULL ||
			    strcmp(other, c->node[k].cluster) != 0) {
				fprintf(fp, "%s\n    { name: %s, urls: [",
				    other != NULL ? " ] }" : "",
				    c->node[k].cluster);
				other = c->node[k].cluster;
			} else
				fputc(',', fp);
			fprintf(fp, " nats://127.0.0.1:%d",
			    c->node[k].gateway_port);
		}
		fprintf(fp, " ] }\n  ]\n}\n");
	}
	k = ferror(fp);
	if (fclose(fp) != 0 || k) {
		snprintf(err, errlen, "%s: write error", nd->config);
		return -1;
	}
	return 0;
}

/*
 * Runs node i and waits until it accepts TCP connections on its client
 * port. Returns 0; NATSD_CLUSTER_PORT_TAKEN when it exited because a port
 * of its is in use; or -1 with err. On failure it is not running.
 */
static int
launch(struct natsd_cluster *c, int i, char *err, size_t errlen)
{
	struct natsd_node *nd = &c->node[i];
	return natsd_launch(&nd->proc, nd->name, nd->config, nd->log,
	    nd->port, NATSD_CLUSTER_READY_MS, err, errlen);
}

/*
 * Connects to any node of cluster (NULL: of any cluster) that runs, with a
 * JetStream context. Returns 0 with *nc and *js (see disconnect()), or -1
 * with err.
 */
static int
connect_in(struct natsd_cluster *c, const char *cluster, natsConnection **nc,
    jsCtx **js, char *err, size_t errlen)
{
	natsOptions *opts = NULL;
	const char *urls[NATSD_CLUSTER_MAX];
	natsStatus s;
	int i, n = 0;

	*nc = NULL;
	*js = NULL;
	for (i = 0; i < c->n; i++)
		if (natsd_cluster_running(c, i) && (cluster == NULL ||
		    strcmp(c->node[i].cluster, cluster) == 0))
			urls[n++] = c->node[i].url;
	if (n == 0) {
		snprintf(err, errlen, "no node%s%s runs", cluster != NULL ?
		    " of cluster " : "", cluster != NULL ? cluster : "");
		return -1;
	}
	/* A probe: no reconnects, a short connect timeout. */
	if ((s = natsOptions_Create(&opts)) == NATS_OK)
		s = natsOptions_SetServers(opts, urls, n);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, NATSD_CLUSTER_API_MS);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(opts, false);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, opts);
	natsOptions_Destroy(opts);
	if (s != NATS_OK) {
		publish_errfmt(err, errlen, "connect to the cluster", s, 0);
		*nc = NULL;
		return -1;
	}
	if (publish_js(*nc, js, err, errlen) == -1) {
		natsConnection_Destroy(*nc);
		*nc = NULL;
		return -1;
	}
	return 0;
}

static int
connect_any(struct natsd_cluster *c, natsConnection **nc, jsCtx **js,
    char *err, size_t errlen)
{
	return connect_in(c, NULL, nc, js, err, errlen);
}

static void
disconnect(natsConnection *nc, jsCtx *js)
{
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/*
 * Polls until every cluster answers JetStream account info through a node
 * of its own (only the meta leader answers it: a supercluster's meta group
 * spans every cluster, and the answer to one cluster crosses a gateway
 * unless the leader is there), within NATSD_CLUSTER_READY_MS. Returns 0,
 * or -1 with the last failure in err.
 */
static int
wait_meta(struct natsd_cluster *c, char *err, size_t errlen)
{
	long long deadline = natsd_now_ms() + NATSD_CLUSTER_READY_MS;
	const char *cluster;
	int g = 0;
	natsConnection *nc;
	jsAccountInfo *ai;
	jsCtx *js;
	jsOptions o;
	jsErrCode jerr;
	natsStatus s;
	char why[512] = "";

	jsOptions_Init(&o);
	o.Wait = NATSD_CLUSTER_API_MS;
	for (;;) {
		/* The nodes are grouped by cluster, c->n / c->nclusters each. */
		cluster = c->node[g * (c->n / c->nclusters)].cluster;
		if (connect_in(c, cluster, &nc, &js, why, sizeof(why)) == 0) {
			ai = NULL;
			jerr = 0;
			s = js_GetAccountInfo(&ai, js, &o, &jerr);
			jsAccountInfo_Destroy(ai);
			if (s != NATS_OK)
				publish_errfmt(why, sizeof(why), "account info",
				    s, jerr);
			disconnect(nc, js);
			if (s == NATS_OK && ++g == c->nclusters)
				return 0;
			if (s == NATS_OK)
				continue;
		}
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "no JetStream meta leader after %d"
			    " ms (cluster %s): %s", NATSD_CLUSTER_READY_MS,
			    cluster, why);
			return -1;
		}
		natsd_nap();
	}
}

/* Kills and reaps every node; the dir stays. */
static void
kill_all(struct natsd_cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		proc_release(&c->node[i].proc);
}

/*
 * One try of a start: ports, configurations, the nodes. Returns 0,
 * NATSD_CLUSTER_PORT_TAKEN or -1 with err; on failure nothing runs.
 */
static int
start_once(struct natsd_cluster *c, char *err, size_t errlen)
{
	int ports[3 * NATSD_CLUSTER_MAX], i, rc;
	int per = c->nclusters > 1 ? 3 : 2;	/* a gateway port, or none */
	size_t off = 0;

	if (ports_pick(ports, per * c->n, err, errlen) == -1)
		return -1;
	for (i = 0; i < c->n; i++) {
		c->node[i].port = ports[per * i];
		c->node[i].cluster_port = ports[per * i + 1];
		c->node[i].gateway_port = per > 2 ? ports[per * i + 2] : 0;
		snprintf(c->node[i].url, sizeof(c->node[i].url),
		    "nats://127.0.0.1:%d", c->node[i].port);
		off += (size_t)snprintf(c->urls + off, sizeof(c->urls) - off,
		    "%s%s", i > 0 ? "," : "", c->node[i].url);
	}
	for (i = 0; i < c->n; i++)
		if (write_config(c, i, err, errlen) == -1)
			return -1;
	for (i = 0; i < c->n; i++)
		if ((rc = launch(c, i, err, errlen)) != 0) {
			kill_all(c);
			return rc;
		}
	return 0;
}

/*
 * Starts nclusters clusters of n nodes each in a new temp dir: one cluster
 * named NATSD_CLUSTER_NAME with nodes "n1", ... (nclusters 1), or a
 * supercluster of clusters "A", "B", ... with nodes "A1", ..., "B1", ...
 * c is overwritten: it must not describe servers still running. Returns 0
 * once every node accepts TCP connections and every cluster answers
 * JetStream requests; or -1 with a reason in err (a node's last log line
 * when it refused to start), nothing left running and nothing left on
 * disk.
 */
static int
start(struct natsd_cluster *c, int nclusters, int n, char *err,
    size_t errlen)
{
	struct natsd_node *nd;
	char dir[sizeof(c->node[0].dir)], name[sizeof(c->node[0].name)];
	int i, tries, rc = -1;

	memset(c, 0, sizeof(*c));
	if (n < 1 || nclusters < 1 || nclusters > 26 ||
	    n * nclusters > NATSD_CLUSTER_MAX) {
		snprintf(err, errlen, "%d cluster(s) of %d nodes", nclusters, n);
		return -1;
	}
	c->n = n * nclusters;
	c->nclusters = nclusters;
	if (tmp_dir("natsd-cluster-", c->dir, sizeof(c->dir)) == -1) {
		snprintf(err, errlen, "temp dir: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < c->n; i++) {
		nd = &c->node[i];
		if (nclusters == 1) {
			snprintf(nd->cluster, sizeof(nd->cluster), "%s",
			    NATSD_CLUSTER_NAME);
			snprintf(name, sizeof(name), "n%d", i + 1);
		} else {
			snprintf(nd->cluster, sizeof(nd->cluster), "%c",
			    'A' + i / n);
			snprintf(name, sizeof(name), "%c%d", 'A' + i / n,
			    i % n + 1);
		}
		/*
		 * Formatted into a local buffer first: GCC's -Wrestrict (-O1,
		 * ASan) takes two members of one struct for overlapping ones.
		 */
		if (snprintf(dir, sizeof(dir), "%s/%s", c->dir, name) >=
		    (int)sizeof(dir) || mkdir(dir, 0700) == -1) {
			snprintf(err, errlen, "%s/%s: %s", c->dir, name,
			    strerror(errno));
			goto fail;
		}
		memcpy(nd->name, name, sizeof(name));
		memcpy(nd->dir, dir, sizeof(dir));
		if (snprintf(nd->config, sizeof(nd->config), "%s/server.conf",
		    dir) >= (int)sizeof(nd->config) ||
		    snprintf(nd->log, sizeof(nd->log), "%s/server.log", dir) >=
		    (int)sizeof(nd->log)) {
			snprintf(err, errlen, "%s: path too long", dir);
			goto fail;
		}
	}
	for (tries = 0; tries < NATSD_CLUSTER_TRIES; tries++)
		if ((rc = start_once(c, err, errlen)) !=
		    NATSD_CLUSTER_PORT_TAKEN)
			break;
	if (rc != 0)
		goto fail;
	if (wait_meta(c, err, errlen) == -1) {
		kill_all(c);
		goto fail;
	}
	return 0;

fail:
	tmp_rm_rf(c->dir);
	c->dir[0] = '\0';
	return -1;
}

/*
 * Starts n (1 to NATSD_CLUSTER_MAX) nats-servers as one JetStream cluster
 * (see start()).
 */
int
natsd_cluster_start(struct natsd_cluster *c, int n, char *err, size_t errlen)
{
	return start(c, 1, n, err, errlen);
}

/*
 * Starts a supercluster: nclusters (2 or more) clusters "A", "B", ... of n
 * nodes each, nclusters * n at most NATSD_CLUSTER_MAX, joined by gateways
 * (see start()).
 */
int
natsd_cluster_start_super(struct natsd_cluster *c, int nclusters, int n,
    char *err, size_t errlen)
{
	if (nclusters < 2) {
		snprintf(err, errlen, "a supercluster of %d cluster(s)",
		    nclusters);
		return -1;
	}
	return start(c, nclusters, n, err, errlen);
}

/*
 * Writes into buf the client URLs of cluster's nodes (NULL: of every
 * node), separated by sep (", " for YAML, "," for cnats), whether they
 * run or not. Returns how many, or -1 when buf is too short.
 */
int
natsd_cluster_urls(const struct natsd_cluster *c, const char *cluster,
    const char *sep, char *buf, size_t len)
{
	size_t off = 0;
	int i, n = 0, w;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < c->n; i++) {
		if (cluster != NULL && strcmp(c->node[i].cluster, cluster) != 0)
			continue;
		w = snprintf(buf + off, len - off, "%s%s", n > 0 ? sep : "",
		    c->node[i].url);
		if (w < 0 || (size_t)w >= len - off)
			return -1;
		off += (size_t)w;
		n++;
	}
	return n;
}

/*
 * Kills node i with SIGKILL (a crash: no flush, no goodbye to clients or
 * peers) and reaps it. Returns 0, or -1 with err when it was not running.
 * Its store stays for natsd_cluster_restart().
 */
int
natsd_cluster_kill(struct natsd_cluster *c, int i, char *err, size_t errlen)
{
	if (i < 0 || i >= c->n || !natsd_cluster_running(c, i)) {
		snprintf(err, errlen, "node %d is not running", i + 1);
		return -1;
	}
	proc_release(&c->node[i].proc);
	return 0;
}

/*
 * Starts node i again, on the same ports with the same store and
 * configuration; it must not be running. Returns 0 once it accepts TCP
 * connections (it may still be catching up with its peers: see
 * natsd_cluster_wait_current()), or -1 with err and the node not running.
 */
int
natsd_cluster_restart(struct natsd_cluster *c, int i, char *err,
    size_t errlen)
{
	if (i < 0 || i >= c->n || c->dir[0] == '\0') {
		snprintf(err, errlen, "node %d was never started", i + 1);
		return -1;
	}
	if (natsd_cluster_running(c, i)) {
		snprintf(err, errlen, "node %d is running", i + 1);
		return -1;
	}
	return launch(c, i, err, errlen) == 0 ? 0 : -1;
}

/* Returns 1 while node i's process has not been reaped, else 0. */
int
natsd_cluster_running(const struct natsd_cluster *c, int i)
{
	return i >= 0 && i < c->n && c->node[i].proc.pid > 0 &&
	    !c->node[i].proc.reaped;
}

/*
 * Returns the index of the node whose client URL is url (compared by port:
 * "nats://127.0.0.1:P" and "127.0.0.1:P" are the same node), or -1.
 */
int
natsd_cluster_node_of_url(const struct natsd_cluster *c, const char *url)
{
	const char *colon = strrchr(url, ':');
	char *end;
	long port;
	int i;

	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1)
		return -1;
	for (i = 0; i < c->n; i++)
		if (c->node[i].port == port)
			return i;
	return -1;
}

/* The index of the node named name, or -1. */
static int
node_of_name(const struct natsd_cluster *c, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < c->n; i++)
		if (strcmp(c->node[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Reads the cluster section of a stream's info (consumer NULL) or of a
 * consumer's: the leader's index into *leader (-1: none right now) and, in
 * *current, whether replicas - 1 replicas are known and every one is
 * current and online. Returns 0, or -1 with err.
 */
static int
read_cluster(struct natsd_cluster *c, jsCtx *js, const char *stream,
    const char *consumer, int replicas, int *leader, int *current,
    char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsClusterInfo *cl;
	jsOptions o;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];
	int k, ok;

	jsOptions_Init(&o);
	o.Wait = NATSD_CLUSTER_API_MS;
	if (consumer == NULL)
		s = js_GetStreamInfo(&si, js, stream, &o, &jerr);
	else
		s = js_GetConsumerInfo(&ci, js, stream, consumer, &o, &jerr);
	if (s != NATS_OK) {
		snprintf(what, sizeof(what), "%s %s%s%s", consumer == NULL ?
		    "stream" : "consumer", stream, consumer == NULL ? "" : "/",
		    consumer == NULL ? "" : consumer);
		publish_errfmt(err, errlen, what, s, jerr);
		return -1;
	}
	cl = si != NULL ? si->Cluster : ci->Cluster;
	*leader = cl != NULL ? node_of_name(c, cl->Leader) : -1;
	ok = cl != NULL && *leader >= 0 && cl->ReplicasLen == replicas - 1;
	for (k = 0; ok && k < cl->ReplicasLen; k++)
		ok = cl->Replicas[k]->Current && !cl->Replicas[k]->Offline;
	*current = ok;
	jsStreamInfo_Destroy(si);
	jsConsumerInfo_Destroy(ci);
	return 0;
}

/*
 * Creates stream name over the nsubjects subjects with replicas replicas,
 * file storage and limits retention (as publish_create_stream() does on a
 * single server), trying again until the cluster can place it (a young
 * cluster's meta leader may not know every peer yet), then waits until it
 * has a leader and every replica is current. An existing stream of the
 * same configuration counts as created. Returns 0, or -1 with err after
 * NATSD_CLUSTER_READY_MS.
 */
int
natsd_cluster_add_stream(struct natsd_cluster *c, const char *name,
    const char *const subjects[], size_t nsubjects, int replicas, char *err,
    size_t errlen)
{
	return natsd_cluster_add_stream_in(c, name, subjects, nsubjects,
	    replicas, NULL, err, errlen);
}

/*
 * natsd_cluster_add_stream(), the stream placed in cluster (its
 * configuration's placement; NULL: wherever the meta leader puts it).
 */
int
natsd_cluster_add_stream_in(struct natsd_cluster *c, const char *name,
    const char *const subjects[], size_t nsubjects, int replicas,
    const char *cluster, char *err, size_t errlen)
{
	jsPlacement placement;
	long long deadline = natsd_now_ms() + NATSD_CLUSTER_READY_MS;
	natsConnection *nc;
	jsStreamConfig cfg;
	jsStreamInfo *si;
	jsCtx *js;
	jsOptions o;
	jsErrCode jerr;
	natsStatus s = NATS_ERR;
	char why[512] = "", what[256];

	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = (const char **)subjects;
	cfg.SubjectsLen = (int)nsubjects;
	cfg.Storage = js_FileStorage;
	cfg.Retention = js_LimitsPolicy;
	cfg.Replicas = replicas;
	if (cluster != NULL) {
		jsPlacement_Init(&placement);
		placement.Cluster = cluster;
		cfg.Placement = &placement;
	}
	jsOptions_Init(&o);
	o.Wait = NATSD_CLUSTER_API_MS;
	snprintf(what, sizeof(what), "create stream %s (R%d%s%s)", name,
	    replicas, cluster != NULL ? " in " : "",
	    cluster != NULL ? cluster : "");
	for (;;) {
		if (connect_any(c, &nc, &js, why, sizeof(why)) == 0) {
			si = NULL;
			jerr = 0;
			s = js_AddStream(&si, js, &cfg, &o, &jerr);
			jsStreamInfo_Destroy(si);
			if (s != NATS_OK)
				publish_errfmt(why, sizeof(why), what, s, jerr);
			disconnect(nc, js);
			if (s == NATS_OK)
				break;
		}
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "%s after %d ms", why,
			    NATSD_CLUSTER_READY_MS);
			return -1;
		}
		natsd_nap();
	}
	return natsd_cluster_wait_current(c, name, NULL, replicas,
	    (int)(deadline - natsd_now_ms() > 0 ? deadline - natsd_now_ms() : 1), NULL,
	    err, errlen);
}

/*
 * Writes into *leader the index of the node that leads stream (consumer
 * NULL) or its consumer. Returns 0; or -1 with err when there is no leader
 * right now or the cluster does not answer.
 */
int
natsd_cluster_leader(struct natsd_cluster *c, const char *stream,
    const char *consumer, int *leader, char *err, size_t errlen)
{
	natsConnection *nc;
	jsCtx *js;
	int l = -1, current, rc;

	if (connect_any(c, &nc, &js, err, errlen) == -1)
		return -1;
	rc = read_cluster(c, js, stream, consumer, 0, &l, &current, err,
	    errlen);
	disconnect(nc, js);
	if (rc == 0 && l < 0) {
		snprintf(err, errlen, "%s has no leader", stream);
		rc = -1;
	}
	if (rc == 0)
		*leader = l;
	return rc;
}

/*
 * Polls until stream (consumer NULL) or its consumer has a leader other
 * than node not (-1: any node), as after the old leader was killed and the
 * others elected one of them, and sets *leader (may be NULL) to its index.
 * Returns 0, or -1 with the last failure in err after timeout_ms.
 */
int
natsd_cluster_wait_leader(struct natsd_cluster *c, const char *stream,
    const char *consumer, int not, int timeout_ms, int *leader, char *err,
    size_t errlen)
{
	long long deadline = natsd_now_ms() + timeout_ms;
	char why[512] = "";
	int l = -1;

	for (;;) {
		if (natsd_cluster_leader(c, stream, consumer, &l, why,
		    sizeof(why)) == 0) {
			if (l != not)
				break;
			snprintf(why, sizeof(why), "%s still leads",
			    c->node[l].name);
		}
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "%s%s%s: no new leader after %d ms:"
			    " %s", stream, consumer != NULL ? "/" : "",
			    consumer != NULL ? consumer : "", timeout_ms, why);
			return -1;
		}
		natsd_nap();
	}
	if (leader != NULL)
		*leader = l;
	return 0;
}

/*
 * Polls until stream (consumer NULL) or its consumer has a leader and
 * replicas - 1 replicas that are current and online: every node holds what
 * the leader holds (after a restart, the node has caught up). Sets *leader
 * (may be NULL) to the leader's index. Returns 0, or -1 with the last
 * state seen in err after timeout_ms.
 */
int
natsd_cluster_wait_current(struct natsd_cluster *c, const char *stream,
    const char *consumer, int replicas, int timeout_ms, int *leader,
    char *err, size_t errlen)
{
	long long deadline = natsd_now_ms() + timeout_ms;
	natsConnection *nc;
	jsCtx *js;
	char why[512] = "";
	int l = -1, current = 0, rc;

	for (;;) {
		if (connect_any(c, &nc, &js, why, sizeof(why)) == 0) {
			rc = read_cluster(c, js, stream, consumer, replicas, &l,
			    &current, why, sizeof(why));
			disconnect(nc, js);
			if (rc == 0 && current)
				break;
			if (rc == 0)
				snprintf(why, sizeof(why), "leader %s, replicas"
				    " not all current", l >= 0 ?
				    c->node[l].name : "none");
		}
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "%s%s%s after %d ms: %s", stream,
			    consumer != NULL ? "/" : "", consumer != NULL ?
			    consumer : "", timeout_ms, why);
			return -1;
		}
		natsd_nap();
	}
	if (leader != NULL)
		*leader = l;
	return 0;
}

/*
 * Asks the leader of stream (consumer NULL) or of its consumer to step
 * down. The answer says whether it did. Returns 0, or -1 with err.
 */
static int
step_down(struct natsd_cluster *c, const char *stream, const char *consumer,
    char *err, size_t errlen)
{
	natsConnection *nc;
	natsMsg *reply = NULL;
	jsCtx *js;
	natsStatus s;
	char subj[512];
	int rc = -1;

	if (consumer == NULL)
		snprintf(subj, sizeof(subj), "$JS.API.STREAM.LEADER.STEPDOWN.%s",
		    stream);
	else
		snprintf(subj, sizeof(subj),
		    "$JS.API.CONSUMER.LEADER.STEPDOWN.%s.%s", stream, consumer);
	if (connect_any(c, &nc, &js, err, errlen) == -1)
		return -1;
	s = natsConnection_RequestString(&reply, nc, subj, "",
	    NATSD_CLUSTER_API_MS);
	if (s != NATS_OK)
		publish_errfmt(err, errlen, subj, s, 0);
	else if (strstr(natsMsg_GetData(reply), "\"success\":true") == NULL)
		snprintf(err, errlen, "%.200s: %.200s", subj,
		    natsMsg_GetData(reply));
	else
		rc = 0;
	natsMsg_Destroy(reply);
	disconnect(nc, js);
	return rc;
}

/*
 * Makes node target the leader of stream (consumer NULL) or of its
 * consumer: while another node leads, asks it to step down (the group then
 * elects one of the others, at random) and waits for the next leader.
 * Returns 0 once target leads, or -1 with err after timeout_ms.
 */
int
natsd_cluster_move_leader(struct natsd_cluster *c, const char *stream,
    const char *consumer, int target, int timeout_ms, char *err,
    size_t errlen)
{
	long long deadline = natsd_now_ms() + timeout_ms;
	char why[512] = "";
	int l = -1, before, steps = 0;

	for (;;) {
		if (natsd_cluster_leader(c, stream, consumer, &l, why,
		    sizeof(why)) == 0) {
			if (l == target)
				return 0;
			before = l;
			if (step_down(c, stream, consumer, why,
			    sizeof(why)) == 0) {
				steps++;
				/* Until another one leads. */
				while ((natsd_cluster_leader(c, stream,
				    consumer, &l, why, sizeof(why)) == -1 ||
				    l == before) && natsd_now_ms() < deadline)
					natsd_nap();
				if (l == target)
					return 0;
				if (natsd_now_ms() < deadline)
					continue;
			}
		}
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "%s%s%s: leader %s, not %s, after"
			    " %d step-downs in %d ms: %s", stream, consumer !=
			    NULL ? "/" : "", consumer != NULL ? consumer : "",
			    l >= 0 ? c->node[l].name : "none",
			    c->node[target].name, steps, timeout_ms, why);
			return -1;
		}
		natsd_nap();
	}
}

/*
 * Kills every node that runs and removes the dir with the stores, configs
 * and logs. Accepts a zeroed struct and one released before. Cannot fail.
 */
void
natsd_cluster_release(struct natsd_cluster *c)
{
	kill_all(c);
	if (c->dir[0] != '\0')
		tmp_rm_rf(c->dir);
	c->dir[0] = '\0';
}
