/*
 * worker.c: one account's fold loop (see worker.h).
 */
#include <sysexits.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fold.h"
#include "log.h"
#include "replay.h"
#include "registry.h"
#include "secret.h"
#include "source.h"
#include "worker.h"

#define WORKER_IDLE_WAIT_MS	1000	/* fetch wait when the stream is quiet */
#define WORKER_REBUILD_WAIT_MS	100	/* the same while a rebuild runs */
#define WORKER_BACKOFF_MIN_MS	100
#define WORKER_BACKOFF_MAX_MS	30000
#define WORKER_ONCE_GIVE_UP_MS	30000	/* --once: how long to wait for NATS */
#define WORKER_PROGRESS_MS	10000	/* how often a busy worker reports */
#define WORKER_REPEAT_MS	60000	/* how often the same error is repeated */
#define WORKER_ERR_LEN		1024

struct worker {
	const struct worker_params	*p;
	const char			*name;	/* the account's */
	const struct projection		*projs[FOLD_MAX_PROJECTIONS];
	size_t				 nprojs;	/* the account's */
	const struct projection		*projs_live[FOLD_MAX_PROJECTIONS];
	struct db			*db;
	struct fold			*fold;		/* the live projections */
	size_t				 nlive;
	struct replay			*replay;	/* NULL when none runs */
	const struct projection		*rprojs[FOLD_MAX_PROJECTIONS];
	size_t				 nrprojs;	/* being rebuilt */
	int64_t				 rebuild_report_ms;
	int				 tty;		/* stderr is a terminal */
	struct source			*source;
	int				 positioned;
	int				 closing;	/* read by cnats threads */
	uint64_t			 target;	/* --once: stream last seq at start */
	int				 have_target;
	uint64_t			 stream_last;	/* as last seen */
	int				 backoff_ms;
	int64_t				 started_ms;
	int64_t				 progress_ms;	/* last progress line */
	uint64_t			 progress_applied;
	char				 last_err[WORKER_ERR_LEN];	/* last logged */
	int64_t				 last_err_ms;
#ifdef PROJECTOR_FAULTS
	char				 fault_point[64];
	long				 fault_at;	/* kill at this pass */
	long				 passes;
#endif
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms, in short steps so that a stop request is seen at once. */
static void
pause_ms(struct worker *w, int ms)
{
	struct timespec ts = { 0, 50 * 1000000 };
	int64_t until = now_ms() + ms;

	while (!*w->p->stop && now_ms() < until)
		nanosleep(&ts, NULL);
}

/* Waits the current backoff, then doubles it (with a cap). */
static void
backoff(struct worker *w)
{
	pause_ms(w, w->backoff_ms);
	w->backoff_ms *= 2;
	if (w->backoff_ms > WORKER_BACKOFF_MAX_MS)
		w->backoff_ms = WORKER_BACKOFF_MAX_MS;
}

/*
 * Logs a transient error, but the same text only once a minute: a server
 * that stays down must not fill the disk with identical lines.
 */
static void
transient(struct worker *w, const char *what, const char *err)
{
	int64_t t = now_ms();

	if (strcmp(err, w->last_err) == 0 && t - w->last_err_ms < WORKER_REPEAT_MS)
		return;
	snprintf(w->last_err, sizeof(w->last_err), "%s", err);
	w->last_err_ms = t;
	log_warn(what, "account=%s error=%s retry_in_ms=%d", w->name, err,
	    w->backoff_ms);
}

static void
recovered(struct worker *w)
{
	w->backoff_ms = WORKER_BACKOFF_MIN_MS;
	w->last_err[0] = '\0';
}

static void
on_conn(void *arg, enum source_conn_event ev, const char *detail)
{
	struct worker *w = arg;

	/* Closing our own connection is no news. */
	if (__atomic_load_n(&w->closing, __ATOMIC_ACQUIRE))
		return;
	switch (ev) {
	case SOURCE_CONNECTED:
		log_info("connected", "account=%s url=%s", w->name, detail);
		break;
	case SOURCE_DISCONNECTED:
		log_warn("disconnected", "account=%s error=%s", w->name, detail);
		break;
	case SOURCE_RECONNECTED:
		log_info("reconnected", "account=%s url=%s", w->name, detail);
		break;
	case SOURCE_CLOSED:
		log_debug("connection closed", "account=%s", w->name);
		break;
	case SOURCE_ASYNC_ERROR:
		log_error("nats error", "account=%s error=%s", w->name, detail);
		break;
	}
}

static void
on_park(void *arg, const char *projection, uint64_t seq, const char *subject,
    const char *reason)
{
	struct worker *w = arg;

	log_warn("event parked", "account=%s projection=%s seq=%llu subject=%s"
	    " reason=%s", w->name, projection, (unsigned long long)seq, subject,
	    reason);
}

#ifdef PROJECTOR_FAULTS
/*
 * Test builds only: PROJECTOR_FAULT=POINT:N kills the process with SIGKILL
 * the Nth time it passes POINT ("before_commit", "after_commit"), so that
 * the crash tests can stop it exactly between COMMIT and the ack.
 */
static void
fault_init(struct worker *w)
{
	const char *s = getenv("PROJECTOR_FAULT");
	const char *colon;

	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return;
	snprintf(w->fault_point, sizeof(w->fault_point), "%.*s",
	    (int)(colon - s), s);
	w->fault_at = strtol(colon + 1, NULL, 10);
}

static void
fault(struct worker *w, const char *point)
{
	if (strcmp(point, w->fault_point) != 0)
		return;
	if (++w->passes == w->fault_at) {
		log_warn("fault point reached, killing myself", "account=%s"
		    " point=%s n=%ld", w->name, point, w->fault_at);
		raise(SIGKILL);
	}
}
#define FAULT(w, point)	fault((w), (point))
#else
#define FAULT(w, point)	((void)0)
#endif

/* Picks the account's projections out of the built-in table. */
static int
select_projections(struct worker *w, char *err, size_t errlen)
{
	const struct config_account *a = w->p->acct;
	size_t i;

	if (a->nprojections == 0) {
		for (i = 0; w->p->builtin[i] != NULL; i++)
			w->projs[w->nprojs++] = w->p->builtin[i];
		return 0;
	}
	for (i = 0; i < a->nprojections; i++) {
		const struct projection *pr;

		pr = registry_find(w->p->builtin, a->projections[i]);
		if (pr == NULL) {
			snprintf(err, errlen, "unknown projection %s",
			    a->projections[i]);
			return -1;
		}
		w->projs[w->nprojs++] = pr;
	}
	return 0;
}

/*
 * Sorts the account's projections into those folded live and those to
 * rebuild: the ones a replay asks for, and the ones whose version in the
 * database is not the program's (their old view keeps serving until the
 * swap). Opens the live fold. Returns 0 or an exit code.
 */
static int
open_fold(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	size_t i;
	int recorded;

	w->nlive = w->nrprojs = 0;
	for (i = 0; i < w->nprojs; i++) {
		const struct projection *pr = w->projs[i];
		int again = w->p->replay && (w->p->replay_projection == NULL ||
		    strcmp(w->p->replay_projection, pr->name) == 0);

		if (db_get_version(w->db, pr->name, &recorded, err,
		    sizeof(err)) == -1) {
			log_error("cannot read projector_status", "account=%s"
			    " error=%s", w->name, err);
			return EX_IOERR;
		}
		if (!again && recorded != 0 && recorded != pr->version) {
			log_info("projection version changed, rebuilding",
			    "account=%s projection=%s from_version=%d to_version=%d",
			    w->name, pr->name, recorded, pr->version);
			again = 1;
		}
		if (again)
			w->rprojs[w->nrprojs++] = pr;
		else
			w->projs_live[w->nlive++] = pr;
	}
	if (w->p->replay && w->nrprojs == 0) {
		log_error("nothing to replay: the account does not run that"
		    " projection", "account=%s projection=%s", w->name,
		    w->p->replay_projection);
		return EX_USAGE;
	}
	if (fold_open(db_handle(w->db), w->projs_live, w->nlive, &w->fold, err,
	    sizeof(err)) != FOLD_OK) {
		log_error("cannot start projections", "account=%s error=%s",
		    w->name, err);
		return EX_SOFTWARE;
	}
	fold_on_park(w->fold, on_park, w);
	return 0;
}

/* Opens, migrates and checks the database; returns 0 or an exit code. */
static int
open_database(struct worker *w)
{
	const char *scopes[FOLD_MAX_PROJECTIONS];
	char err[WORKER_ERR_LEN];
	size_t i, n = 0;
	int applied;

	switch (db_open(w->p->acct->database, &w->db, err, sizeof(err))) {
	case DB_OK:
		break;
	case DB_ELOCKED:
		log_error("database locked", "account=%s error=%s", w->name, err);
		return EX_TEMPFAIL;
	case DB_ECREATE:
		log_error("cannot create database", "account=%s error=%s",
		    w->name, err);
		return EX_CANTCREAT;
	default:
		log_error("database error", "account=%s error=%s", w->name, err);
		return EX_IOERR;
	}
	/*
	 * Every built-in projection's tables exist in every file, enabled or
	 * not, so that the public views that join them always work.
	 */
	for (i = 0; w->p->builtin[i] != NULL && n < FOLD_MAX_PROJECTIONS; i++)
		scopes[n++] = w->p->builtin[i]->name;
	if (db_migrate(w->db, scopes, n, &applied, err, sizeof(err)) == -1) {
		log_error("migration failed", "account=%s error=%s", w->name, err);
		return EX_IOERR;
	}
	if (applied > 0)
		log_info("migrations applied", "account=%s count=%d", w->name,
		    applied);
	return open_fold(w);
}

static void
check_secret(struct worker *w)
{
	const struct config_account *a = w->p->acct;
	char warn[WORKER_ERR_LEN];

	if (a->secret_file == NULL)
		return;
	switch (secret_check_mode(a->secret_file, warn, sizeof(warn))) {
	case 1:
		log_warn("secret file readable by others", "account=%s warning=%s",
		    w->name, warn);
		break;
	case -1:
		log_error("secret file", "account=%s error=%s", w->name, warn);
		break;
	}
}

/*
 * Forgets the connection after cnats gave up on it (the server refused the
 * credentials, say); the loop opens a new one after a backoff.
 */
static void
drop_source(struct worker *w)
{
	__atomic_store_n(&w->closing, 1, __ATOMIC_RELEASE);
	source_close(w->source);
	__atomic_store_n(&w->closing, 0, __ATOMIC_RELEASE);
	w->source = NULL;
	w->positioned = 0;
}

/* Exit code for an error that retrying cannot mend, or 0 to retry. */
static int
fatal_code(enum source_result r)
{
	switch (r) {
	case SOURCE_EPERM:
		return EX_NOPERM;
	case SOURCE_ECONFIG:
		return EX_CONFIG;
	default:
		return 0;
	}
}

/*
 * Sets the state of the projections folded live. Those being rebuilt keep
 * theirs ('rebuilding'), which only the swap changes.
 */
static void
set_state(struct worker *w, const char *state, const char *error)
{
	char err[WORKER_ERR_LEN];
	size_t i;

	for (i = 0; w->db != NULL && i < w->nlive; i++)
		if (db_set_state(w->db, w->projs_live[i]->name, state, error, err,
		    sizeof(err)) == -1) {
			log_warn("cannot update projector_status", "account=%s"
			    " error=%s", w->name, err);
			return;
		}
}

/*
 * Compares the database's checkpoint with the stream, then makes the
 * consumer deliver from the checkpoint + 1. Returns 0 when positioned, -1 to
 * retry later, or an exit code.
 */
/*
 * The stream no longer holds events after the checkpoint (they expired or
 * were purged before they were applied): the read model can never equal a
 * replay of the whole history. Refused unless the owner said to go on
 * (--accept-gap); then counted in projector_meta. Returns 0 or EX_CONFIG.
 * With a subject filter, expired events of other subjects look the same:
 * the message says what to check.
 */
static int
accept_gap(struct worker *w, uint64_t cp, const struct source_stream *st)
{
	char err[WORKER_ERR_LEN];
	uint64_t lost = st->first_seq - cp - 1;

	if (!w->p->accept_gap) {
		snprintf(err, sizeof(err), "stream %s no longer holds seq %llu to"
		    " %llu: they expired or were purged before they were"
		    " applied (checkpoint %llu, stream first seq %llu). Run with"
		    " --accept-gap to go on without them, or replay to rebuild"
		    " from what the stream holds", w->p->acct->stream,
		    (unsigned long long)cp + 1,
		    (unsigned long long)st->first_seq - 1,
		    (unsigned long long)cp, (unsigned long long)st->first_seq);
		log_error("events expired before they were applied", "account=%s"
		    " checkpoint=%llu stream_first_seq=%llu error=%s", w->name,
		    (unsigned long long)cp, (unsigned long long)st->first_seq, err);
		set_state(w, "failed", err);
		return EX_CONFIG;
	}
	log_warn("events expired before they were applied; going on"
	    " (--accept-gap)", "account=%s checkpoint=%llu stream_first_seq=%llu"
	    " missing=%llu", w->name, (unsigned long long)cp,
	    (unsigned long long)st->first_seq, (unsigned long long)lost);
	if (db_add_meta(w->db, "gap_events", lost, err, sizeof(err)) == -1)
		log_warn("cannot record the gap", "account=%s error=%s", w->name,
		    err);
	return 0;
}

static int
position(struct worker *w)
{
	struct source_stream st;
	char err[WORKER_ERR_LEN];
	enum source_result r;
	uint64_t cp = fold_min_checkpoint(w->fold);
	int recreated, code;

	r = source_stream_info(w->source, &st, err, sizeof(err));
	if (r == SOURCE_ENOSTREAM) {
		transient(w, "stream not found", err);
		return -1;
	}
	if (r != SOURCE_OK) {
		if (fatal_code(r) != 0) {
			log_error("cannot read the stream", "account=%s error=%s",
			    w->name, err);
			return fatal_code(r);
		}
		transient(w, "cannot read the stream", err);
		if (r == SOURCE_ECLOSED)
			drop_source(w);
		return -1;
	}
	if (st.last_seq < cp) {
		/* Folding on would mix two histories in one view. */
		snprintf(err, sizeof(err), "stream %s went backwards: the"
		    " database has applied up to seq %llu but the stream's last"
		    " seq is %llu; it was deleted, purged or lost data. Rebuild"
		    " the database (projector replay) or restore the stream",
		    w->p->acct->stream, (unsigned long long)cp,
		    (unsigned long long)st.last_seq);
		log_error("stream went backwards", "account=%s checkpoint=%llu"
		    " stream_last_seq=%llu error=%s", w->name,
		    (unsigned long long)cp, (unsigned long long)st.last_seq, err);
		set_state(w, "failed", err);
		return EX_CONFIG;
	}
	if (st.first_seq > cp + 1 && (code = accept_gap(w, cp, &st)) != 0)
		return code;
	w->stream_last = st.last_seq;
	if (!w->have_target) {
		w->target = st.last_seq;
		w->have_target = 1;
	}
	r = source_position(w->source, cp + 1, &recreated, err, sizeof(err));
	if (r != SOURCE_OK) {
		if (fatal_code(r) != 0) {
			log_error("cannot set up the consumer", "account=%s error=%s",
			    w->name, err);
			return fatal_code(r);
		}
		transient(w, "cannot set up the consumer", err);
		if (r == SOURCE_ECLOSED)
			drop_source(w);
		return -1;
	}
	log_info("consumer positioned", "account=%s stream=%s consumer=%s"
	    " start_seq=%llu stream_last_seq=%llu recreated=%d", w->name,
	    w->p->acct->stream, w->p->acct->consumer,
	    (unsigned long long)(cp + 1), (unsigned long long)st.last_seq,
	    recreated);
	w->positioned = 1;
	recovered(w);
	set_state(w, "live", NULL);
	return 0;
}

/*
 * Folds the fetched batch of n messages in one transaction, retrying it (the
 * messages stay in hand, unacknowledged) while SQLite is busy or full.
 * Returns 0 when committed, -1 when stopped first, or an exit code.
 */
static int
fold_batch(struct worker *w, size_t n)
{
	struct source_msg m;
	char err[WORKER_ERR_LEN];
	enum fold_result r;
	size_t i;

	for (;;) {
		r = fold_begin(w->fold, err, sizeof(err));
		for (i = 0; i < n && r == FOLD_OK; i++) {
			if (source_msg(w->source, i, &m, err, sizeof(err)) != SOURCE_OK) {
				r = FOLD_ERROR;
				break;
			}
			r = fold_event(w->fold, m.seq, m.stored_ms, m.subject, m.data,
			    m.len, err, sizeof(err));
		}
		if (r == FOLD_OK) {
			FAULT(w, "before_commit");
			r = fold_commit(w->fold, w->stream_last, err, sizeof(err));
		}
		if (r == FOLD_OK)
			return 0;
		fold_rollback(w->fold);
		if (r == FOLD_ERROR) {
			log_error("fold failed", "account=%s error=%s", w->name, err);
			set_state(w, "failed", err);
			return EX_SOFTWARE;
		}
		transient(w, "batch rolled back, will retry", err);
		backoff(w);
		if (*w->p->stop)
			return -1;
	}
}

static void
progress(struct worker *w, int force)
{
	const struct fold_stats *fs = fold_stats(w->fold);
	int64_t t = now_ms();
	double secs;

	if (!force && t - w->progress_ms < WORKER_PROGRESS_MS)
		return;
	secs = (double)(t - w->progress_ms) / 1000.0;
	log_info(force ? "stopped" : "progress", "account=%s last_seq=%llu"
	    " stream_last_seq=%llu applied=%llu parked=%llu unknown=%llu"
	    " duplicates=%llu batches=%llu rate_per_s=%.0f", w->name,
	    (unsigned long long)fold_min_checkpoint(w->fold),
	    (unsigned long long)w->stream_last,
	    (unsigned long long)fs->applied, (unsigned long long)fs->parked,
	    (unsigned long long)fs->unknown, (unsigned long long)fs->duplicates,
	    (unsigned long long)fs->batches,
	    secs > 0 ? (double)(fs->applied - w->progress_applied) / secs : 0.0);
	w->progress_ms = t;
	w->progress_applied = fs->applied;
}

/*
 * Reports a rebuild's progress: a line rewritten in place on a terminal, a
 * log line every WORKER_PROGRESS_MS otherwise.
 */
static void
report_rebuild(struct worker *w, const struct replay_report *r, int final)
{
	int64_t t = now_ms();

	if (!final && t - w->rebuild_report_ms <
	    (w->tty ? 500 : WORKER_PROGRESS_MS))
		return;
	w->rebuild_report_ms = t;
	if (w->tty)
		fprintf(stderr, "\r%s: rebuilt %llu of %llu, %.0f events/s,"
		    " ETA %.0f s   %s", w->name, (unsigned long long)r->done_seq,
		    (unsigned long long)r->target_seq, r->rate, r->eta_s,
		    final ? "\n" : "");
	else
		log_info(final ? "rebuild caught up" : "rebuild progress",
		    "account=%s done_seq=%llu target_seq=%llu events=%llu"
		    " rate_per_s=%.0f eta_s=%.0f", w->name,
		    (unsigned long long)r->done_seq,
		    (unsigned long long)r->target_seq,
		    (unsigned long long)r->events, r->rate, r->eta_s);
}

/*
 * Starts rebuilding w->rprojs into DATABASE-rebuild, a shadow file, or,
 * when there is nothing to rebuild, removes a shadow an earlier run left.
 * Returns 0 or an exit code.
 */
static int
start_rebuild(struct worker *w)
{
	struct rebuild_params rp;
	char err[WORKER_ERR_LEN];
	size_t i;

	memset(&rp, 0, sizeof(rp));
	snprintf(rp.shadow_path, sizeof(rp.shadow_path), "%.4000s-rebuild",
	    w->p->acct->database);
	if (w->nrprojs == 0) {
		if (access(rp.shadow_path, F_OK) == 0 &&
		    db_unlink(rp.shadow_path, err, sizeof(err)) == -1)
			log_warn("cannot remove an old shadow", "account=%s"
			    " error=%s", w->name, err);
		return 0;
	}
	rp.cfg = w->p->cfg;
	rp.acct = w->p->acct;
	rp.builtin = w->p->builtin;
	for (i = 0; i < w->nrprojs; i++) {
		rp.projs[i] = w->rprojs[i];
		log_info("rebuild started", "account=%s projection=%s version=%d"
		    " shadow=%s", w->name, w->rprojs[i]->name,
		    w->rprojs[i]->version, rp.shadow_path);
	}
	rp.nprojs = w->nrprojs;
	/* An explicit replay starts from nothing; a version change resumes. */
	rp.fresh = w->p->replay;
	rp.stop = w->p->stop;
	w->rebuild_report_ms = now_ms();
	if (replay_start(w->db, &rp, &w->replay, err, sizeof(err)) == -1) {
		log_error("cannot start the rebuild", "account=%s error=%s",
		    w->name, err);
		return EX_SOFTWARE;
	}
	return 0;
}

/*
 * Looks after a running rebuild: reports progress and, once it is swapped
 * in, folds every projection live again. Returns 0 to go on, -1 when a
 * --once replay is complete, or an exit code.
 */
static int
tend_rebuild(struct worker *w)
{
	struct replay_report r;
	char err[WORKER_ERR_LEN];
	size_t i;

	switch (replay_tend(w->replay, &r)) {
	case REPLAY_RUNNING:
		if (r.error[0] != '\0')
			transient(w, "swap failed, will retry", r.error);
		report_rebuild(w, &r, 0);
		return 0;
	case REPLAY_FAILED:
		log_error("rebuild failed", "account=%s error=%s", w->name,
		    r.error);
		replay_finish(w->replay);
		w->replay = NULL;
		return w->p->replay ? EX_SOFTWARE : 0;
	case REPLAY_SWAPPED:
		break;
	}
	report_rebuild(w, &r, 1);
	replay_finish(w->replay);
	w->replay = NULL;
	log_info("rebuild swapped in", "account=%s projections=%zu"
	    " last_seq=%llu seconds=%.1f", w->name, w->nrprojs,
	    (unsigned long long)r.done_seq, r.elapsed_s);
	/* Every projection folds live from here, from its own checkpoint. */
	fold_close(w->fold);
	w->fold = NULL;
	w->nrprojs = 0;
	w->nlive = w->nprojs;
	for (i = 0; i < w->nprojs; i++)
		w->projs_live[i] = w->projs[i];
	if (fold_open(db_handle(w->db), w->projs_live, w->nlive, &w->fold, err,
	    sizeof(err)) != FOLD_OK) {
		log_error("cannot start projections", "account=%s error=%s",
		    w->name, err);
		return EX_SOFTWARE;
	}
	fold_on_park(w->fold, on_park, w);
	w->positioned = 0;
	return w->p->replay && w->p->once ? -1 : 0;
}

/* --once: has every event of the stream as of start been applied? */
static int
caught_up(struct worker *w, uint64_t pending)
{
	return w->replay == NULL && w->have_target &&
	    (fold_min_checkpoint(w->fold) >= w->target || pending == 0);
}

/*
 * Opens the connection. Returns 0, -1 to retry later (refused credentials
 * too: the owner may be fixing them on the server side), or an exit code.
 */
static int
open_source(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	enum source_result r;

	r = source_open(w->p->cfg, w->p->acct, on_conn, w, &w->source, err,
	    sizeof(err));
	if (r == SOURCE_OK)
		return 0;
	if (fatal_code(r) != 0) {
		log_error("cannot connect", "account=%s error=%s", w->name, err);
		set_state(w, "failed", err);
		return fatal_code(r);
	}
	transient(w, "cannot connect", err);
	return -1;
}

/* --once waits a bounded time for NATS; run waits for ever. */
static int
give_up(struct worker *w)
{
	if (!w->p->once || now_ms() - w->started_ms < WORKER_ONCE_GIVE_UP_MS)
		return 0;
	log_error("giving up: NATS or the stream stayed unavailable",
	    "account=%s error=%s", w->name, w->last_err);
	return 1;
}

/* The loop; returns the exit code. */
static int
loop(struct worker *w)
{
	struct source_msg last;
	char err[WORKER_ERR_LEN];
	enum source_result r;
	size_t n;
	int code, idle = 0;

	while (!*w->p->stop) {
		if (w->replay != NULL && (code = tend_rebuild(w)) != 0)
			return code == -1 ? 0 : code;
		if (w->nlive == 0) {
			/* Everything is being rebuilt: nothing to fold live yet. */
			pause_ms(w, 100);
			continue;
		}
		if (w->source == NULL) {
			if ((code = open_source(w)) > 0)
				return code;
			if (code == -1) {
				if (give_up(w))
					return EX_UNAVAILABLE;
				backoff(w);
				continue;
			}
		}
		if (!w->positioned) {
			if ((code = position(w)) > 0)
				return code;
			if (code == -1) {
				if (give_up(w))
					return EX_UNAVAILABLE;
				backoff(w);
				continue;
			}
			if (w->p->once && caught_up(w, UINT64_MAX))
				return 0;
		}
		/*
		 * A quiet stream is polled once a second; more often while a
		 * rebuild runs, whose swap waits for this fetch to return.
		 */
		r = source_fetch(w->source, w->p->cfg->max_events, !idle ?
		    w->p->cfg->max_wait_ms : w->replay != NULL ?
		    WORKER_REBUILD_WAIT_MS : WORKER_IDLE_WAIT_MS, &n, err,
		    sizeof(err));
		switch (r) {
		case SOURCE_OK:
			break;
		case SOURCE_EMPTY:
			idle = 1;
			if (w->p->once) {
				struct source_consumer c;

				if (source_consumer_info(w->source, &c, err,
				    sizeof(err)) == SOURCE_OK && c.num_pending == 0 &&
				    caught_up(w, 0))
					return 0;
			}
			progress(w, 0);
			continue;
		case SOURCE_REPOSITION:
			log_info("positioning the consumer again", "account=%s"
			    " reason=%s", w->name, err);
			w->positioned = 0;
			continue;
		default:
			if ((code = fatal_code(r)) != 0) {
				log_error("fetch failed", "account=%s error=%s", w->name,
				    err);
				set_state(w, "failed", err);
				return code;
			}
			transient(w, "fetch failed", err);
			if (r == SOURCE_ECLOSED)
				drop_source(w);
			backoff(w);
			continue;
		}
		idle = 0;
		recovered(w);
		source_msg(w->source, n - 1, &last, err, sizeof(err));
		if (last.seq + last.pending > w->stream_last)
			w->stream_last = last.seq + last.pending;
		if ((code = fold_batch(w, n)) != 0)
			return code > 0 ? code : 0;
		FAULT(w, "after_commit");
		/* Only now, after COMMIT, may the server forget the batch. */
		if (source_ack(w->source, n - 1, err, sizeof(err)) != SOURCE_OK)
			log_debug("ack failed; the redelivery will be skipped",
			    "account=%s error=%s", w->name, err);
		log_debug("batch committed", "account=%s events=%zu last_seq=%llu",
		    w->name, n, (unsigned long long)last.seq);
		progress(w, 0);
		if (w->p->once && caught_up(w, last.pending))
			return 0;
	}
	return 0;
}

/*
 * Runs one account until *p->stop is set (or, with p->once, until it has
 * applied its stream's last sequence as of start). Returns 0, or the
 * sysexits code of the error that stopped it, after logging it.
 */
int
worker_run(const struct worker_params *p)
{
	struct worker w;
	char err[WORKER_ERR_LEN];
	size_t i;
	int code;

	memset(&w, 0, sizeof(w));
	w.p = p;
	w.name = p->acct->name;
	w.backoff_ms = WORKER_BACKOFF_MIN_MS;
	w.started_ms = w.progress_ms = now_ms();
#ifdef PROJECTOR_FAULTS
	fault_init(&w);
#endif
	if (select_projections(&w, err, sizeof(err)) == -1) {
		log_error("bad configuration", "account=%s error=%s", w.name, err);
		return EX_CONFIG;
	}
	check_secret(&w);
	w.tty = isatty(STDERR_FILENO);
	if ((code = open_database(&w)) != 0 || (code = start_rebuild(&w)) != 0)
		goto done;
	log_info("starting", "account=%s database=%s stream=%s projections=%zu"
	    " checkpoint=%llu", w.name, p->acct->database, p->acct->stream,
	    w.nprojs, (unsigned long long)fold_min_checkpoint(w.fold));
	code = loop(&w);
done:
	/* An unfinished shadow stays on disk, to be resumed. */
	replay_finish(w.replay);
	if (w.fold != NULL)
		progress(&w, 1);
	/*
	 * Every projection: a rebuild that is not running is not rebuilding,
	 * and its progress figures go with it (a resumed one sets them again).
	 */
	if (code == 0 && w.db != NULL &&
	    db_set_state(w.db, NULL, "stopped", NULL, err, sizeof(err)) == -1)
		log_warn("cannot update projector_status", "account=%s error=%s",
		    w.name, err);
	for (i = 0; w.db != NULL && i < w.nrprojs; i++)
		db_set_rebuild(w.db, w.rprojs[i]->name, 0, 0, err, sizeof(err));
	/* Closing the connection first: no callback may run on a dead worker. */
	__atomic_store_n(&w.closing, 1, __ATOMIC_RELEASE);
	source_close(w.source);
	fold_close(w.fold);
	db_close(w.db);
	return code;
}
