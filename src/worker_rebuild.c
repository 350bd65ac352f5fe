/*
 * worker_rebuild.c: a worker's background rebuild (see worker.h and
 * rebuild_live.h): start it for the projections to fold again, report its
 * progress, and after the swap fold every projection live.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "rebuild_live.h"
#include "worker_int.h"

/*
 * Reports a rebuild's progress: a line rewritten in place on a terminal, a
 * log line every WORKER_PROGRESS_MS otherwise.
 */
static void
report_rebuild(struct worker *w, const struct rebuild_live_report *r, int final)
{
	int64_t t = clock_now_ms();

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
 * Starts rebuilding the projections marked rebuilding into DATABASE-rebuild,
 * a shadow file, or, when there is nothing to rebuild, removes a shadow an
 * earlier run left. Returns 0 or an exit code.
 */
int
worker_rebuild_start(struct worker *w)
{
	struct rebuild_params rp;
	char err[WORKER_ERR_LEN];
	size_t i;

	memset(&rp, 0, sizeof(rp));
	snprintf(rp.shadow_path, sizeof(rp.shadow_path), "%.4000s-rebuild",
	    w->p->acct->database);
	for (i = 0; i < w->nprojs; i++)
		if (w->projs[i].rebuilding)
			rp.projs[rp.nprojs++] = w->projs[i].p;
	if (rp.nprojs == 0) {
		if (access(rp.shadow_path, F_OK) == 0 &&
		    db_unlink(rp.shadow_path, err, sizeof(err)) == -1)
			log_warn("cannot remove an old shadow", "account=%s"
			    " error=%s", w->name, err);
		return 0;
	}
	rp.cfg = w->p->cfg;
	rp.acct = w->p->acct;
	rp.builtin = w->p->builtin;
	for (i = 0; i < rp.nprojs; i++)
		log_info("rebuild started", "account=%s projection=%s version=%d"
		    " shadow=%s", w->name, rp.projs[i]->name, rp.projs[i]->version,
		    rp.shadow_path);
	/* An explicit replay starts from nothing; a version change resumes. */
	rp.fresh = w->p->replay;
	/* Only replay --accept-gap: a version rebuild waits for the owner. */
	rp.accept_gap = w->p->replay && w->p->accept_gap;
	rp.give_up_ms = w->p->once ? WORKER_ONCE_GIVE_UP_MS : 0;
	rp.stop = w->p->stop;
	w->rebuild_report_ms = clock_now_ms();
	if (rebuild_live_start(w->db, &rp, &w->rebuild, err, sizeof(err)) ==
	    -1) {
		log_error("cannot start the rebuild", "account=%s error=%s",
		    w->name, err);
		return EX_SOFTWARE;
	}
	return 0;
}

/*
 * Looks after a running rebuild: reports progress and, once it is swapped
 * in, folds every projection live again. Returns WORKER_GO, WORKER_DONE when
 * a --once replay is complete, or WORKER_STOP with *code.
 */
enum worker_next
worker_rebuild_tend(struct worker *w, int *code)
{
	struct rebuild_live_report r;
	size_t i, n = 0;

	*code = 0;
	switch (rebuild_live_tend(w->rebuild, &r)) {
	case REBUILD_LIVE_RUNNING:
		worker_stats_replay(w, r.done_seq, r.target_seq);
		if (r.error[0] != '\0')
			worker_transient(w, "swap failed, will retry", r.error);
		report_rebuild(w, &r, 0);
		return WORKER_GO;
	case REBUILD_LIVE_FAILED:
		log_error("rebuild failed", "account=%s error=%s", w->name,
		    r.error);
		rebuild_live_finish(w->rebuild);
		w->rebuild = NULL;
		/* Their old views keep serving, 'failed' with the reason. */
		for (i = 0; i < w->nprojs; i++) {
			w->projs[i].failed = w->projs[i].rebuilding;
			if (w->projs[i].failed)
				worker_stats_state(w, w->projs[i].p->name,
				    STATS_FAILED);
		}
		if (!w->p->replay)
			return WORKER_GO;
		*code = r.code != 0 ? r.code : EX_SOFTWARE;
		return WORKER_STOP;
	case REBUILD_LIVE_SWAPPED:
		break;
	}
	report_rebuild(w, &r, 1);
	rebuild_live_finish(w->rebuild);
	w->rebuild = NULL;
	worker_stats_replay(w, 0, 0);
	for (i = 0; i < w->nprojs; i++) {
		n += w->projs[i].rebuilding;
		w->projs[i].rebuilding = 0;
	}
	log_info("rebuild swapped in", "account=%s projections=%zu"
	    " last_seq=%llu seconds=%.1f", w->name, n,
	    (unsigned long long)r.done_seq, r.elapsed_s);
	/* Every projection folds live from here, from its own checkpoint. */
	if ((*code = worker_fold_live(w)) != 0)
		return WORKER_STOP;
	reader_reposition(w->reader);
	return w->p->replay && w->p->once ? WORKER_DONE : WORKER_GO;
}
