/*
 * worker_stats.c: what a worker publishes of itself (stats.h), for the
 * supervisor and the HTTP endpoint: the loop's beat, how far it has come,
 * what each batch cost, the connection, and its files' sizes. Only atomic
 * stores: publishing never waits for a reader.
 */
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "worker_int.h"

/* Files are looked at no more often than this. */
#define WORKER_STATS_FILES_MS	1000

/* Wall-clock time, Unix ms: what a website compares with its own clock. */
static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
file_bytes(const char *path, const char *suffix)
{
	char buf[4096 + 8];
	struct stat st;

	snprintf(buf, sizeof(buf), "%.4096s%s", path, suffix);
	return stat(buf, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The database's and the archive's sizes, once a second at most. */
static void
files(struct worker *w, struct stats_account *s)
{
	const struct config_account *a = w->p->acct;
	int64_t now = clock_now_ms();

	if (now - w->stats_files_ms < WORKER_STATS_FILES_MS)
		return;
	w->stats_files_ms = now;
	STATS_SET(s->db_bytes, file_bytes(a->database, ""));
	STATS_SET(s->wal_bytes, file_bytes(a->database, "-wal"));
	if (w->archive != NULL) {
		STATS_SET(s->archive_bytes, file_bytes(a->archive, "") +
		    file_bytes(a->archive, "-wal"));
		STATS_SET(s->archive_last_seq, w->archive_mark);
	}
}

void
worker_stats_beat(struct worker *w, int started)
{
	struct stats_account *s = w->p->stats;
	uint64_t cp, old;

	if (s == NULL)
		return;
	STATS_SET(s->turned_ms, clock_now_ms());
	if (w->fold != NULL) {
		cp = fold_min_checkpoint(w->fold);
		old = STATS_GET(s->last_seq);
		if (cp != old || STATS_GET(s->progress_ms) == 0)
			STATS_SET(s->progress_ms, clock_now_ms());
		STATS_SET(s->last_seq, cp);
		if (w->reader != NULL) {
			STATS_SET(s->lag, reader_pending(w->reader));
			STATS_SET(s->stream_last_seq,
			    reader_stream_last(w->reader));
		}
		files(w, s);
	}
	if (started && !STATS_GET(s->started))
		__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
}

/* NATS answered: what it says of the stream is fresh. */
void
worker_stats_heard(struct worker *w)
{
	if (w->p->stats != NULL)
		STATS_SET(w->p->stats->stream_seen_ms, clock_now_ms());
}

void
worker_stats_batch(struct worker *w, const struct reader_out *o)
{
	struct stats_account *s = w->p->stats;
	const struct fold_stats *fs = fold_stats(w->fold);
	int64_t now = wall_ms();
	uint64_t cp;
	size_t i;
	int k;

	if (s == NULL)
		return;
	/* A fold opened again (after a swap) counts from zero. */
	if (fs->applied < w->seen.applied || fs->batches < w->seen.batches)
		memset(&w->seen, 0, sizeof(w->seen));
	STATS_ADD(s->applied, fs->applied - w->seen.applied);
	STATS_ADD(s->parked, fs->parked - w->seen.parked);
	STATS_ADD(s->batches, fs->batches - w->seen.batches);
	w->seen = *fs;
	stats_observe(&s->batch_seconds, o->batch_us);
	stats_observe(&s->commit_seconds, o->commit_us);
	worker_stats_heard(w);
	for (i = 0; i < w->nprojs; i++) {
		if (w->projs[i].rebuilding ||
		    (k = stats_projection_index(s, w->projs[i].p->name)) < 0)
			continue;
		cp = fold_checkpoint(w->fold, w->projs[i].p->name);
		if (cp == STATS_GET(s->projs[k].applied_seq))
			continue;
		STATS_SET(s->projs[k].applied_seq, cp);
		STATS_SET(s->projs[k].checkpoint_ms, now);
		if (cp == o->last_seq)
			STATS_SET(s->projs[k].last_event_ms, o->last_stored_ms);
	}
}

void
worker_stats_error(struct worker *w, enum stats_stage stage)
{
	if (w->p->stats != NULL)
		STATS_ADD(w->p->stats->errors[stage], 1);
}

void
worker_stats_conn(struct worker *w, enum source_conn_event ev)
{
	struct stats_account *s = w->p->stats;

	if (s == NULL)
		return;
	switch (ev) {
	case SOURCE_RECONNECTED:
		STATS_ADD(s->reconnects, 1);
		/* FALLTHROUGH */
	case SOURCE_CONNECTED:
		STATS_SET(s->disconnected_ms, 0);
		STATS_SET(s->connected, 1);
		break;
	case SOURCE_DISCONNECTED:
	case SOURCE_CLOSED:
		if (STATS_GET(s->connected) || STATS_GET(s->disconnected_ms) == 0)
			STATS_SET(s->disconnected_ms, clock_now_ms());
		STATS_SET(s->connected, 0);
		break;
	case SOURCE_ASYNC_ERROR:
		break;
	}
}

/*
 * A projection's state, as projector_status has it: name NULL for every
 * projection folded live (rebuilding ones keep theirs).
 */
void
worker_stats_state(struct worker *w, const char *name, enum stats_state st)
{
	struct stats_account *s = w->p->stats;
	size_t i;
	int k;

	for (i = 0; s != NULL && i < w->nprojs; i++) {
		if (name == NULL ? w->projs[i].rebuilding :
		    strcmp(name, w->projs[i].p->name) != 0)
			continue;
		if ((k = stats_projection_index(s, w->projs[i].p->name)) >= 0)
			STATS_SET(s->projs[k].state, (int)st);
	}
}

/* The rebuild's progress, for the projections it rebuilds. */
void
worker_stats_replay(struct worker *w, uint64_t done, uint64_t total)
{
	struct stats_account *s = w->p->stats;
	size_t i;
	int k;

	for (i = 0; s != NULL && i < w->nprojs; i++) {
		if (!w->projs[i].rebuilding ||
		    (k = stats_projection_index(s, w->projs[i].p->name)) < 0)
			continue;
		STATS_SET(s->projs[k].replay_total, total);
		STATS_SET(s->projs[k].replay_done, done);
	}
}
