/*
 * natsd_leaf.c: a JetStream hub and a leaf node of it, for one test (see
 * natsd_leaf.h).
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
#include "natsd_leaf.h"
#include "ports.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

/* Wait of one request while polling: short, the poll goes on. */
#define NATSD_LEAF_API_MS	1000
/* Tries of a start whose chosen ports someone took meanwhile. */
#define NATSD_LEAF_TRIES	4

/* A launch that failed because another socket holds one of its ports. */
#define NATSD_LEAF_PORT_TAKEN	NATSD_PORT_TAKEN

/*
 * Writes a server's configuration: the hub's with JetStream in t->domain
 * and the leaf node listener, the leaf's without JetStream and with the
 * hub's listener as its one remote. Returns 0, or -1 with err.
 */
static int
write_config(const struct natsd_leaf *t, const struct natsd_leaf_server *sv,
    char *err, size_t errlen)
{
	FILE *fp;
	int bad;

	if ((fp = fopen(sv->config, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", sv->config, strerror(errno));
		return -1;
	}
	fprintf(fp, "# written by natsd_leaf.c, loopback only\n"
	    "server_name: %s\nlisten: 127.0.0.1:%d\n", sv->name, sv->port);
	if (sv == &t->hub)
		fprintf(fp, "jetstream {\n  store_dir: \"%s/store\"\n"
		    "  domain: %s\n}\n"
		    "leafnodes {\n  listen: 127.0.0.1:%d\n}\n", sv->dir,
		    t->domain, t->leafnode_port);
	else
		fprintf(fp, "leafnodes {\n  remotes: [\n"
		    "    { url: \"nats-leaf://127.0.0.1:%d\" }\n  ]\n}\n",
		    t->leafnode_port);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		snprintf(err, errlen, "%s: write error", sv->config);
		return -1;
	}
	return 0;
}

/*
 * Runs a server and waits until it accepts TCP connections on its client
 * port. Returns 0; NATSD_LEAF_PORT_TAKEN when it exited because a port of
 * its is in use; or -1 with err. On failure it is not running.
 */
static int
launch(struct natsd_leaf_server *sv, char *err, size_t errlen)
{
	return natsd_launch(&sv->proc, sv->name, sv->config, sv->log,
	    sv->port, NATSD_LEAF_READY_MS, err, errlen);
}

/* Names a server and makes its folder in t->dir. Returns 0, or -1 with err. */
static int
server_init(struct natsd_leaf *t, struct natsd_leaf_server *sv,
    const char *name, char *err, size_t errlen)
{
	snprintf(sv->name, sizeof(sv->name), "%s", name);
	snprintf(sv->dir, sizeof(sv->dir), "%s/%s", t->dir, name);
	snprintf(sv->config, sizeof(sv->config), "%s/server.conf", sv->dir);
	snprintf(sv->log, sizeof(sv->log), "%s/server.log", sv->dir);
	if (mkdir(sv->dir, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", sv->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Chooses the ports, writes both configurations and runs the hub, then the
 * leaf. Returns 0, NATSD_LEAF_PORT_TAKEN (nothing left running), or -1
 * with err.
 */
static int
launch_both(struct natsd_leaf *t, char *err, size_t errlen)
{
	int ports[3], rc;

	if (ports_pick(ports, 3, err, errlen) == -1)
		return -1;
	t->hub.port = ports[0];
	t->leaf.port = ports[1];
	t->leafnode_port = ports[2];
	snprintf(t->hub.url, sizeof(t->hub.url), "nats://127.0.0.1:%d",
	    t->hub.port);
	snprintf(t->leaf.url, sizeof(t->leaf.url), "nats://127.0.0.1:%d",
	    t->leaf.port);
	if (write_config(t, &t->hub, err, errlen) == -1 ||
	    write_config(t, &t->leaf, err, errlen) == -1)
		return -1;
	if ((rc = launch(&t->hub, err, errlen)) != 0)
		return rc;
	if ((rc = launch(&t->leaf, err, errlen)) != 0)
		proc_release(&t->hub.proc);
	return rc;
}

/*
 * Starts the hub, JetStream in domain, and its leaf in a new temp dir, and
 * waits until the hub's JetStream answers through the leaf. t is
 * overwritten: it must not describe servers still running. Returns 0 with
 * every port and URL set, or -1 with err, nothing left running and nothing
 * left on disk.
 */
int
natsd_leaf_start(struct natsd_leaf *t, const char *domain, char *err,
    size_t errlen)
{
	int tries = 0, rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->domain, sizeof(t->domain), "%s", domain);
	if (tmp_dir("natsd-leaf-", t->dir, sizeof(t->dir)) == -1) {
		snprintf(err, errlen, "temp dir: %s", strerror(errno));
		return -1;
	}
	if (server_init(t, &t->hub, "hub", err, errlen) == -1 ||
	    server_init(t, &t->leaf, "leaf", err, errlen) == -1)
		goto fail;
	while ((rc = launch_both(t, err, errlen)) == NATSD_LEAF_PORT_TAKEN &&
	    ++tries < NATSD_LEAF_TRIES)
		;
	if (rc != 0)
		goto fail;
	if (natsd_leaf_wait_linked(t, NATSD_LEAF_READY_MS, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	natsd_leaf_release(t);
	return -1;
}

/*
 * Kills sv, the hub or the leaf, with SIGKILL (a crash) and reaps it; the
 * other server goes on. Returns 0, or -1 with err when sv was not running.
 */
int
natsd_leaf_kill(struct natsd_leaf_server *sv, char *err, size_t errlen)
{
	if (sv->proc.pid <= 0 || sv->proc.reaped) {
		snprintf(err, errlen, "the %s is not running", sv->name);
		return -1;
	}
	proc_release(&sv->proc);
	return 0;
}

/*
 * Starts sv, the hub or the leaf of t, again on the same ports,
 * configuration and store (killing it first if it still runs), and waits
 * until the hub's JetStream answers through the leaf. Returns 0, or -1
 * with err.
 */
int
natsd_leaf_restart(struct natsd_leaf *t, struct natsd_leaf_server *sv,
    char *err, size_t errlen)
{
	if (t->dir[0] == '\0') {
		snprintf(err, errlen, "the servers were never started");
		return -1;
	}
	proc_release(&sv->proc);
	if (launch(sv, err, errlen) != 0)
		return -1;
	return natsd_leaf_wait_linked(t, NATSD_LEAF_READY_MS, err, errlen);
}

/*
 * One look: a connection of its own to the leaf, and the account info of
 * the hub's JetStream asked in its domain. Returns 0 when it answers, or
 * -1 with err.
 */
static int
linked(const struct natsd_leaf *t, char *err, size_t errlen)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	jsAccountInfo *ai = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;
	int rc = -1;

	/* A probe: no reconnects, a short connect timeout. */
	if ((s = natsOptions_Create(&opts)) == NATS_OK)
		s = natsOptions_SetURL(opts, t->leaf.url);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, NATSD_LEAF_API_MS);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(opts, false);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, opts);
	if (s != NATS_OK) {
		publish_errfmt(err, errlen, "connect to the leaf", s, 0);
		goto done;
	}
	jsOptions_Init(&jo);
	jo.Domain = t->domain;
	jo.Wait = NATSD_LEAF_API_MS;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) == NATS_OK)
		s = js_GetAccountInfo(&ai, js, NULL, &jerr);
	if (s != NATS_OK) {
		publish_errfmt(err, errlen, "JetStream account info through the"
		    " leaf", s, jerr);
		goto done;
	}
	rc = 0;
done:
	jsAccountInfo_Destroy(ai);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	return rc;
}

/*
 * Polls until the hub's JetStream answers through the leaf in its domain
 * (the leaf node connection is up), within timeout_ms. Returns 0, or -1
 * with the last failure in err.
 */
int
natsd_leaf_wait_linked(struct natsd_leaf *t, int timeout_ms, char *err,
    size_t errlen)
{
	long long deadline = natsd_now_ms() + timeout_ms;
	char why[512] = "";

	for (;;) {
		if (linked(t, why, sizeof(why)) == 0)
			return 0;
		if (natsd_now_ms() >= deadline) {
			snprintf(err, errlen, "no JetStream in domain %s through"
			    " the leaf after %d ms: %s", t->domain, timeout_ms,
			    why);
			return -1;
		}
		natsd_nap();
	}
}

/*
 * Kills both servers if they run and removes the dir with the store, the
 * configurations and the logs. Accepts a zeroed struct and one released
 * before. Cannot fail; a dir that cannot be removed is left behind.
 */
void
natsd_leaf_release(struct natsd_leaf *t)
{
	proc_release(&t->leaf.proc);
	proc_release(&t->hub.proc);
	if (t->dir[0] != '\0')
		tmp_rm_rf(t->dir);
	t->dir[0] = '\0';
}
