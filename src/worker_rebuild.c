/*
 * worker_rebuild.c: a worker's background rebuild (see worker.h and
 * replay.h): start it for the projections to fold again, report its
 * progress, and after the swap fold every projection live.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "replay.h"
#include "worker_int.h"

/*
 * Reports a rebuild's progress: a line rewritten in place on a terminal, a
 * log line every WORKER_PROGRESS_MS otherwise.
 */
static void
report_rebuild(struct worker *w, const struct replay_report *r, int final)
{
	int64_t t = worker_now_ms();

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
int
worker_rebuild_start(struct worker *w)
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
	rp.give_up_ms = w->p->once ? WORKER_ONCE_GIVE_UP_MS : 0;
	rp.stop = w->p->stop;
	w->rebuild_report_ms = worker_now_ms();
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
int
worker_rebuild_tend(struct worker *w)
{
	struct replay_report r;
	size_t i;
	int code;

	switch (replay_tend(w->replay, &r)) {
	case REPLAY_RUNNING:
		if (r.error[0] != '\0')
			worker_transient(w, "swap failed, will retry", r.error);
		report_rebuild(w, &r, 0);
		return 0;
	case REPLAY_FAILED:
		log_error("rebuild failed", "account=%s error=%s", w->name,
		    r.error);
		replay_finish(w->replay);
		w->replay = NULL;
		return w->p->replay ? (r.code != 0 ? r.code : EX_SOFTWARE) : 0;
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
	if ((code = worker_fold_live(w)) != 0)
		return code;
	w->positioned = 0;
	return w->p->replay && w->p->once ? -1 : 0;
}
