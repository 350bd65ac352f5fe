/*
 * supervisor.c: the running accounts, and what watches them (see
 * supervisor.h): worker threads, systemd, and reloads on SIGHUP.
 */
#include <sysexits.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "registry.h"
#include "stats.h"
#include "supervisor.h"
#include "worker.h"

/*
 * A loop that has not turned for this long is stuck (and systemd's
 * watchdog is no longer fed): longer than the longest wait a turn may hold,
 * a consumer made on a very large stream (source_int.h).
 */
#define SUPERVISOR_STALL_MS	180000
/* How often the supervisor looks at the workers, at most. */
#define SUPERVISOR_TICK_MS	1000

/* A configuration some workers run on; the first is the caller's. */
struct generation {
	struct config		*cfg;
	struct catalog		*cat;
	int			 refs;		/* workers running on it */
	int			 owned;		/* loaded on a reload: ours */
};

struct supervisor;

struct account_thread {
	struct account_thread	*next;		/* in start order */
	pthread_t		 thread;
	struct worker_params	 params;
	struct stats_account	 stats;
	struct generation	*gen;
	struct supervisor	*sup;
	volatile sig_atomic_t	 leave;		/* this one alone: stop */
	int			 returned;	/* under sup->mu */
	int			 code;
};

struct supervisor {
	const struct supervisor_params *p;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* CLOCK_MONOTONIC */
	size_t			 returns;	/* workers that returned, ever */
	struct account_thread	*threads;
	struct generation	*current;
	struct stats_board	 board;
	struct http		*http;		/* NULL: none */
	struct http_params	 hp;
	struct generation	*http_gen;	/* whose http: block it serves */
	struct notify		 nt;
	int			 code;		/* of accounts already gone */
};

int
supervisor_load(const char *path, const struct projection *const *builtin,
    struct config **out, struct catalog **cat, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	struct catalog *c = NULL;
	enum config_error e;
	enum plugin_result r = PLUGIN_OK;
	size_t i;

	e = config_load(path, &cfg, err, errlen);
	if (e == CONFIG_OK)
		r = catalog_open(cfg, builtin, &c, err, errlen);
	if (e == CONFIG_OK && r == PLUGIN_OK && config_validate(cfg,
	    catalog_names(c), err, errlen) == -1)
		e = CONFIG_EINVALID;
	if (e != CONFIG_OK || r != PLUGIN_OK) {
		catalog_free(c);
		config_free(cfg);
		return e == CONFIG_ENOFILE || r == PLUGIN_ENOFILE ? EX_NOINPUT :
		    EX_CONFIG;
	}
	for (i = 0; i < catalog_nplugins(c); i++) {
		const struct plugin *pl = catalog_plugin(c, i);
		const struct projection *p = plugin_projection(pl);
		char abi[32];

		/* log.h: one conversion per key. */
		snprintf(abi, sizeof(abi), "%u.%u",
		    PROJECTION_ABI_MAJOR_OF(p->abi),
		    PROJECTION_ABI_MINOR_OF(p->abi));
		log_info("plug-in loaded", "name=%s version=%d abi=%s build=%s"
		    " path=%s sha256=%s", p->name, p->version, abi,
		    p->build != NULL ? p->build : "-", plugin_path(pl),
		    plugin_sha256(pl));
	}
	*out = cfg;
	*cat = c;
	return 0;
}

static void *
account_main(void *arg)
{
	struct account_thread *t = arg;

	t->code = worker_run(&t->params);
	pthread_mutex_lock(&t->sup->mu);
	t->returned = 1;
	t->sup->returns++;
	pthread_cond_signal(&t->sup->cv);
	pthread_mutex_unlock(&t->sup->mu);
	return NULL;
}

static int
selected(const struct supervisor *sup, const struct config_account *a)
{
	return sup->p->account == NULL || strcmp(sup->p->account, a->name) == 0;
}

/*
 * Starts account a of gen in a thread of its own, listed on the board.
 * Returns 0, or -1 when the thread cannot be made (logged).
 */
static int
start_account(struct supervisor *sup, struct generation *gen,
    const struct config_account *a)
{
	const struct projection *sel[PROJECTION_MAX];
	const struct projection *const *table = catalog_table(gen->cat, a);
	struct account_thread *t, **tail;
	char err[1024];
	size_t n = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_error("cannot start an account: out of memory", "account=%s",
		    a->name);
		return -1;
	}
	/* What the worker will select; it says why if this fails. */
	if (registry_select(table, a->projections, a->nprojections, sel, &n,
	    err, sizeof(err)) == -1)
		n = 0;
	stats_account_init(&t->stats, a->name, a->stream, a->consumer, sel, n);
	t->params.cfg = gen->cfg;
	t->params.acct = a;
	t->params.builtin = table;
	t->params.catalog = gen->cat;
	t->params.once = sup->p->once;
	t->params.accept_gap = sup->p->accept_gap;
	t->params.replay = sup->p->replay;
	t->params.replay_projection = sup->p->projection;
	t->params.stop = sup->p->stop;
	t->params.leave = &t->leave;
	t->params.stats = &t->stats;
	t->gen = gen;
	t->sup = sup;
	if (stats_board_add(&sup->board, &t->stats) == -1 ||
	    pthread_create(&t->thread, NULL, account_main, t) != 0) {
		log_error("cannot start a thread", "account=%s", a->name);
		stats_board_remove(&sup->board, &t->stats);
		free(t);
		return -1;
	}
	gen->refs++;
	for (tail = &sup->threads; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = t;
	return 0;
}

static void
release(struct supervisor *sup, struct generation *gen)
{
	if (gen->owned && gen->refs == 0 && gen != sup->current) {
		catalog_free(gen->cat);
		config_free(gen->cfg);
		free(gen);
	}
}

/*
 * Waits for the account's worker to return, unlists and frees it, keeping
 * its exit status when it is the first error.
 */
static void
join_account(struct supervisor *sup, struct account_thread *t)
{
	struct account_thread **pp;
	struct generation *gen = t->gen;

	pthread_join(t->thread, NULL);
	stats_board_remove(&sup->board, &t->stats);
	for (pp = &sup->threads; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	if (sup->code == 0)
		sup->code = t->code;
	free(t);
	gen->refs--;
	release(sup, gen);
}

static struct account_thread *
find_thread(struct supervisor *sup, const char *name)
{
	struct account_thread *t;

	for (t = sup->threads; t != NULL; t = t->next)
		if (strcmp(t->params.acct->name, name) == 0)
			return t;
	return NULL;
}

static const struct config_account *
find_account(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

/* The same projections, and each plug-in the same bytes? */
static int
same_table(const struct catalog *ca, const struct config_account *a,
    const struct catalog *cb, const struct config_account *b)
{
	const struct projection *const *x = catalog_table(ca, a);
	const struct projection *const *y = catalog_table(cb, b);
	const char *hx, *hy;

	for (; *x != NULL && *y != NULL; x++, y++) {
		if (strcmp((*x)->name, (*y)->name) != 0)
			return 0;
		hx = catalog_sha256(ca, *x);
		hy = catalog_sha256(cb, *y);
		if ((hx == NULL) != (hy == NULL) ||
		    (hx != NULL && strcmp(hx, hy) != 0))
			return 0;
	}
	return *x == NULL && *y == NULL;
}

/*
 * Serves gen's http: block, if it has one. Returns 0, or -1 when the
 * address cannot be had (logged).
 */
static int
http_up(struct supervisor *sup, struct generation *gen)
{
	char err[1024];

	if (gen->cfg->http.listen == NULL)
		return 0;
	sup->hp.cfg = &gen->cfg->http;
	sup->hp.board = &sup->board;
	sup->hp.version = sup->p->version;
	sup->hp.stall_ms = SUPERVISOR_STALL_MS;
	if (http_start(&sup->hp, &sup->http, err, sizeof(err)) == -1) {
		log_error("cannot serve HTTP", "listen=%s error=%s",
		    gen->cfg->http.listen, err);
		return -1;
	}
	sup->http_gen = gen;
	gen->refs++;
	log_info("serving HTTP", "listen=%s", gen->cfg->http.listen);
	return 0;
}

static void
http_down(struct supervisor *sup)
{
	struct generation *gen = sup->http_gen;

	if (sup->http == NULL)
		return;
	http_stop(sup->http);
	sup->http = NULL;
	sup->http_gen = NULL;
	gen->refs--;
	release(sup, gen);
}

static int
same_http(const struct config_http *a, const struct config_http *b)
{
	return ((a->listen == NULL && b->listen == NULL) ||
	    (a->listen != NULL && b->listen != NULL &&
	    strcmp(a->listen, b->listen) == 0)) &&
	    a->ready_max_lag == b->ready_max_lag &&
	    a->ready_grace_ms == b->ready_grace_ms &&
	    a->ready_stall_ms == b->ready_stall_ms;
}

/*
 * A reload's listener: kept when its block did not change, else moved to
 * the new one; when the new address cannot be had, the old one serves on.
 */
static void
http_reload(struct supervisor *sup, struct generation *old,
    struct generation *gen)
{
	struct generation *was = sup->http_gen != NULL ? sup->http_gen : old;

	if (same_http(&was->cfg->http, &gen->cfg->http))
		return;
	/* Held while the listener moves: the old one may be needed again. */
	was->refs++;
	http_down(sup);
	if (http_up(sup, gen) == -1 && was->cfg->http.listen != NULL) {
		log_warn("the old HTTP listener serves on", "listen=%s",
		    was->cfg->http.listen);
		(void)http_up(sup, was);
	}
	was->refs--;
	release(sup, was);
}

/*
 * SIGHUP: the file again, and the accounts brought in line with it (see
 * supervisor.h). A file that does not load keeps everything as it is.
 */
static void
reload(struct supervisor *sup)
{
	struct generation *gen, *old = sup->current;
	struct account_thread *t, *next;
	const struct config_account *a;
	struct config *cfg;
	struct catalog *cat;
	char err[1024];
	size_t i, started = 0, removed = 0, changed = 0, kept = 0;

	/* systemd (notify-reload) wants the time the reload began. */
	snprintf(err, sizeof(err), "RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)clock_now_us());
	notify_send(&sup->nt, err);
	log_info("reloading the configuration", "path=%s", sup->p->path);
	if (supervisor_load(sup->p->path, sup->p->builtin, &cfg, &cat, err,
	    sizeof(err)) != 0) {
		log_error("reload refused; the running configuration is kept",
		    "path=%s error=%s", sup->p->path, err);
		notify_send(&sup->nt, "READY=1\nSTATUS=reload refused: the"
		    " running configuration is kept");
		return;
	}
	if ((gen = calloc(1, sizeof(*gen))) == NULL) {
		log_error("reload refused: out of memory", "path=%s",
		    sup->p->path);
		catalog_free(cat);
		config_free(cfg);
		notify_send(&sup->nt, "READY=1");
		return;
	}
	gen->cfg = cfg;
	gen->cat = cat;
	gen->owned = 1;
	/* Those going away or changed: all asked at once, then joined. */
	for (t = sup->threads; t != NULL; t = t->next) {
		a = find_account(cfg, t->params.acct->name);
		if (a != NULL && selected(sup, a) &&
		    config_account_equal(t->gen->cfg, t->params.acct, cfg, a) &&
		    same_table(t->gen->cat, t->params.acct, cat, a))
			continue;
		t->leave = 1;
	}
	for (t = sup->threads; t != NULL; t = next) {
		next = t->next;
		if (!t->leave)
			continue;
		a = find_account(cfg, t->params.acct->name);
		if (a != NULL && selected(sup, a))
			changed++;
		else
			removed++;
		log_info(a != NULL && selected(sup, a) ? "account changed,"
		    " restarting" : "account removed, stopping", "account=%s",
		    t->params.acct->name);
		join_account(sup, t);
	}
	sup->current = gen;
	http_reload(sup, old, gen);
	release(sup, old);
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (!selected(sup, a))
			continue;
		if (find_thread(sup, a->name) != NULL)
			kept++;
		else if (start_account(sup, gen, a) == 0)
			started++;
	}
	log_info("configuration reloaded", "path=%s added=%zu removed=%zu"
	    " changed=%zu unchanged=%zu", sup->p->path,
	    started > changed ? started - changed : 0, removed, changed, kept);
	notify_send(&sup->nt, "READY=1\nSTATUS=configuration reloaded");
}

/* Waits ms, or less when a worker returns. */
static void
nap_ms(struct supervisor *sup, size_t returns, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&sup->mu);
	while (sup->returns == returns &&
	    pthread_cond_timedwait(&sup->cv, &sup->mu, &until) == 0)
		;
	pthread_mutex_unlock(&sup->mu);
}

/* How the running workers are doing. */
struct census {
	size_t		accounts;
	size_t		running;
	size_t		started;
	size_t		stuck;
	uint64_t	max_lag;
	size_t		rebuilding;	/* projections */
	uint64_t	replay_done;	/* of them all */
	uint64_t	replay_total;
};

/* Looks at every worker; returns how many have not returned. */
static size_t
count(struct supervisor *sup, struct census *c)
{
	struct account_thread *t;
	int64_t now = clock_now_ms();
	uint64_t lag;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (t = sup->threads; t != NULL; t = t->next) {
		c->accounts++;
		for (i = 0; i < t->stats.nprojs; i++)
			if (STATS_GET(t->stats.projs[i].state) ==
			    STATS_REBUILDING) {
				c->rebuilding++;
				c->replay_done +=
				    STATS_GET(t->stats.projs[i].replay_done);
				c->replay_total +=
				    STATS_GET(t->stats.projs[i].replay_total);
			}
		if (__atomic_load_n(&t->stats.done, __ATOMIC_ACQUIRE))
			continue;
		c->running++;
		c->started += __atomic_load_n(&t->stats.started,
		    __ATOMIC_ACQUIRE) != 0;
		if (now - STATS_GET(t->stats.turned_ms) > SUPERVISOR_STALL_MS)
			c->stuck++;
		lag = STATS_GET(t->stats.lag);
		c->max_lag = lag > c->max_lag ? lag : c->max_lag;
	}
	return c->running;
}

/* STATUS=: how many run, the largest lag, and the rebuilds' progress. */
static void
status_line(const struct census *c, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "STATUS=running %zu of %zu accounts, max lag"
	    " %llu", c->running, c->accounts, (unsigned long long)c->max_lag);
	if (c->rebuilding > 0 && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", rebuilding %zu"
		    " projection%s (%.0f%%)", c->rebuilding,
		    c->rebuilding == 1 ? "" : "s", c->replay_total > 0 ?
		    100.0 * (double)c->replay_done / (double)c->replay_total :
		    0.0);
	if (c->stuck > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", a loop is stuck");
}

/* Tells systemd (notify.h) how things are, until every worker returned. */
static void
watch(struct supervisor *sup)
{
	struct census c;
	char msg[256];
	int64_t now, wd, last_wd = 0, last_status = 0;
	size_t returns;
	int ready = 0, stopping = 0;

	wd = notify_watchdog_ms(&sup->nt);
	for (;;) {
		pthread_mutex_lock(&sup->mu);
		returns = sup->returns;
		pthread_mutex_unlock(&sup->mu);
		if (ready && *sup->p->reload && !*sup->p->stop) {
			*sup->p->reload = 0;
			reload(sup);
		}
		if (count(sup, &c) == 0)
			break;
		now = clock_now_ms();
		if (!ready && c.started == c.running) {
			memcpy(msg, "READY=1\n", 8);
			status_line(&c, msg + 8, sizeof(msg) - 8);
			notify_send(&sup->nt, msg);
			ready = 1;
			last_status = now;
		} else if (ready && now - last_status >= SUPERVISOR_TICK_MS * 5) {
			status_line(&c, msg, sizeof(msg));
			notify_send(&sup->nt, msg);
			last_status = now;
		}
		/* A stuck loop stops the pings: systemd restarts us. */
		if (ready && wd > 0 && c.stuck == 0 && now - last_wd >= wd) {
			notify_send(&sup->nt, "WATCHDOG=1");
			last_wd = now;
		}
		if (*sup->p->stop && !stopping) {
			notify_send(&sup->nt, "STOPPING=1");
			stopping = 1;
		}
		/* Stopping: the workers end within a second; look often. */
		nap_ms(sup, returns, *sup->p->stop || *sup->p->reload ? 50 :
		    wd > 0 && wd < SUPERVISOR_TICK_MS ? wd : SUPERVISOR_TICK_MS);
	}
	if (!stopping)
		notify_send(&sup->nt, "STOPPING=1");
}

int
supervisor_run(const struct supervisor_params *p)
{
	struct supervisor sup;
	struct generation *first;
	pthread_condattr_t ca;
	size_t i;
	int code = 0;

	memset(&sup, 0, sizeof(sup));
	if ((first = calloc(1, sizeof(*first))) == NULL ||
	    stats_board_init(&sup.board) == -1) {
		free(first);
		log_error("cannot start: out of memory", "accounts=%zu",
		    p->cfg->naccounts);
		return EX_OSERR;
	}
	/* The caller's: never freed here. */
	first->cfg = (struct config *)p->cfg;
	first->cat = (struct catalog *)p->cat;
	sup.p = p;
	sup.current = first;
	pthread_mutex_init(&sup.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sup.cv, &ca);
	pthread_condattr_destroy(&ca);
	notify_open(&sup.nt);
	log_info("projector starting", "version=%s accounts=%zu once=%d"
	    " replay=%d", p->version, p->cfg->naccounts, p->once, p->replay);
	/* Before the accounts: an address taken is the owner's to mend. */
	if (http_up(&sup, first) == -1) {
		code = EX_UNAVAILABLE;
		*p->stop = 1;
	}
	for (i = 0; code == 0 && i < p->cfg->naccounts; i++) {
		if (!selected(&sup, &p->cfg->accounts[i]))
			continue;
		if (start_account(&sup, first, &p->cfg->accounts[i]) == -1) {
			code = EX_OSERR;
			*p->stop = 1;
			break;
		}
	}
	watch(&sup);
	while (sup.threads != NULL)
		join_account(&sup, sup.threads);
	http_down(&sup);
	if (code == 0)
		code = sup.code;
	notify_close(&sup.nt);
	/* The last file loaded, if any; the caller's is the caller's. */
	if (sup.current != first) {
		struct generation *last = sup.current;

		sup.current = NULL;
		release(&sup, last);
	}
	free(first);
	stats_board_fini(&sup.board);
	pthread_cond_destroy(&sup.cv);
	pthread_mutex_destroy(&sup.mu);
	log_info("projector stopped", "exit_code=%d", code);
	return code;
}
