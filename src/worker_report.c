/*
 * worker_report.c: how a worker tells what happens to it (see worker.h):
 * log lines without repeats, backoff between retries, the state in
 * projector_status, progress lines, connection events.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sysexits.h>

#include "db.h"
#include "log.h"
#include "worker_int.h"

int64_t
worker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms, in short steps so that a stop request is seen at once. */
void
worker_pause(struct worker *w, int ms)
{
	struct timespec ts = { 0, 50 * 1000000 };
	int64_t until = worker_now_ms() + ms;

	while (!*w->p->stop && worker_now_ms() < until)
		nanosleep(&ts, NULL);
}

/* Waits the current backoff, then doubles it (with a cap). */
void
worker_backoff(struct worker *w)
{
	int ms = w->backoff_ms;
	int64_t left;

	/* --once gives up on time (30 s), not a backoff later. */
	if (w->p->once) {
		left = w->started_ms + WORKER_ONCE_GIVE_UP_MS - worker_now_ms();
		if (left < ms)
			ms = left > 0 ? (int)left : 0;
	}
	worker_pause(w, ms);
	w->backoff_ms *= 2;
	if (w->backoff_ms > WORKER_BACKOFF_MAX_MS)
		w->backoff_ms = WORKER_BACKOFF_MAX_MS;
}

/*
 * Logs a transient error, but the same text only once a minute: a server
 * that stays down must not fill the disk with identical lines.
 */
void
worker_transient(struct worker *w, const char *what, const char *err)
{
	int64_t t = worker_now_ms();

	if (strcmp(err, w->last_err) == 0 && t - w->last_err_ms < WORKER_REPEAT_MS)
		return;
	snprintf(w->last_err, sizeof(w->last_err), "%s", err);
	w->last_err_ms = t;
	log_warn(what, "account=%s error=%s retry_in_ms=%d", w->name, err,
	    w->backoff_ms);
}

void
worker_recovered(struct worker *w)
{
	w->backoff_ms = WORKER_BACKOFF_MIN_MS;
	w->last_err[0] = '\0';
}

void
worker_on_conn(void *arg, enum source_conn_event ev, const char *detail)
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

/* Exit code for an error that retrying cannot mend, or 0 to retry. */
int
worker_fatal_code(enum source_result r)
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
void
worker_set_state(struct worker *w, const char *state, const char *error)
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

void
worker_progress(struct worker *w, int force)
{
	const struct fold_stats *fs = fold_stats(w->fold);
	int64_t t = worker_now_ms();
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
