/*
 * worker_report.c: how a worker tells what happens to it (see worker.h):
 * log lines without repeats, the state in projector_status, progress
 * lines, connection events.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "worker_int.h"

/*
 * Logs a transient error, but the same text only once a minute: a server
 * that stays down must not fill the disk with identical lines.
 */
void
worker_transient(struct worker *w, const char *what, const char *err)
{
	int64_t t = clock_now_ms();

	if (strcmp(err, w->last_err) == 0 && t - w->last_err_ms < WORKER_REPEAT_MS)
		return;
	snprintf(w->last_err, sizeof(w->last_err), "%s", err);
	w->last_err_ms = t;
	log_warn(what, "account=%s error=%s retry_in_ms=%d", w->name, err,
	    w->reader != NULL ? reader_backoff_ms(w->reader) : 0);
}

/* Trouble is over: the next error is news again. */
void
worker_recovered(struct worker *w)
{
	w->last_err[0] = '\0';
}

void
worker_on_conn(void *arg, enum source_conn_event ev, const char *detail)
{
	struct worker *w = arg;

	worker_stats_conn(w, ev);
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

/*
 * Sets the state of the projections folded live. Those being rebuilt keep
 * theirs ('rebuilding'), which only the swap changes.
 */
void
worker_set_state(struct worker *w, const char *state, const char *error)
{
	static const struct {
		const char		*name;
		enum stats_state	 st;
	} states[] = {
		{ "live", STATS_LIVE }, { "failed", STATS_FAILED },
		{ "stopped", STATS_STOPPED }, { "rebuilding", STATS_REBUILDING }
	};
	char err[WORKER_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i].name, state) == 0)
			worker_stats_state(w, NULL, states[i].st);
	for (i = 0; w->db != NULL && i < w->nprojs; i++)
		if (!w->projs[i].rebuilding && db_set_state(w->db,
		    w->projs[i].p->name, state, error, err, sizeof(err)) == -1) {
			log_warn("cannot update projector_status", "account=%s"
			    " error=%s", w->name, err);
			return;
		}
}

void
worker_progress(struct worker *w, int force)
{
	const struct fold_stats *fs = fold_stats(w->fold);
	int64_t t = clock_now_ms();
	double secs;

	if (!force && t - w->progress_ms < WORKER_PROGRESS_MS)
		return;
	secs = (double)(t - w->progress_ms) / 1000.0;
	log_info(force ? "stopped" : "progress", "account=%s last_seq=%llu"
	    " stream_last_seq=%llu applied=%llu parked=%llu unknown=%llu"
	    " duplicates=%llu batches=%llu rate_per_s=%.0f", w->name,
	    (unsigned long long)fold_min_checkpoint(w->fold),
	    (unsigned long long)(w->reader != NULL ?
	    reader_stream_last(w->reader) : 0),
	    (unsigned long long)fs->applied, (unsigned long long)fs->parked,
	    (unsigned long long)fs->unknown, (unsigned long long)fs->duplicates,
	    (unsigned long long)fs->batches,
	    secs > 0 ? (double)(fs->applied - w->progress_applied) / secs : 0.0);
	w->progress_ms = t;
	w->progress_applied = fs->applied;
}
