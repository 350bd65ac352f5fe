/*
 * rebuild_live.c: the live database's side of a background rebuild, from
 * start to swap (see rebuild_live.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rebuild_live.h"
#include "swap.h"
#include "xmalloc.h"

/* How often the status rows are brought up to date while rebuilding. */
#define REBUILD_LIVE_STATUS_MS	1000

struct rebuild_live {
	struct db		*live;
	struct rebuild_params	 p;
	struct rebuild		*rebuild;
	int64_t			 started_ms;
	int64_t			 status_ms;	/* last status row update */
};

/*
 * Marks p's projections 'rebuilding' in live and starts rebuilding them.
 * Returns 0 and sets *out, or -1 with err.
 */
int
rebuild_live_start(struct db *live, const struct rebuild_params *p,
    struct rebuild_live **out, char *err, size_t errlen)
{
	struct rebuild_live *r;
	size_t i;

	for (i = 0; i < p->nprojs; i++)
		if (db_ensure_status(db_handle(live), p->projs[i]->name,
		    p->projs[i]->version, err, errlen) == -1 ||
		    db_set_state(live, p->projs[i]->name, "rebuilding", NULL, err,
		    errlen) == -1)
			return -1;
	r = xcalloc(1, sizeof(*r));
	r->live = live;
	r->p = *p;
	r->started_ms = r->status_ms = clock_now_ms();
	if (rebuild_start(&r->p, &r->rebuild, err, errlen) == -1) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static void
fill_report(struct rebuild_live *r, const struct rebuild_progress *pr,
    struct rebuild_live_report *out)
{
	uint64_t left = pr->target_seq > pr->done_seq ?
	    pr->target_seq - pr->done_seq : 0;

	memset(out, 0, sizeof(*out));
	out->done_seq = pr->done_seq;
	out->target_seq = pr->target_seq;
	out->events = pr->events;
	out->elapsed_s = (double)(clock_now_ms() - r->started_ms) / 1000.0;
	out->rate = out->elapsed_s > 0 ? (double)pr->events / out->elapsed_s : 0;
	out->eta_s = out->rate > 0 ? (double)left / out->rate : 0;
	snprintf(out->error, sizeof(out->error), "%s", pr->error);
	out->code = pr->code;
}

/*
 * Checks on the rebuild and fills out. While it runs, keeps the status rows
 * current; once it has caught up, swaps the shadow in. A swap that fails
 * (the database busy, say) is retried at the next call: REBUILD_LIVE_RUNNING with
 * out->error set. REBUILD_LIVE_FAILED leaves the projections 'failed' with the
 * reason. Cannot fail otherwise.
 */
enum rebuild_live_state
rebuild_live_tend(struct rebuild_live *r, struct rebuild_live_report *out)
{
	struct rebuild_progress pr;
	char err[512];
	size_t i;

	rebuild_progress(r->rebuild, &pr);
	fill_report(r, &pr, out);
	if (pr.state == REBUILD_FAILED) {
		for (i = 0; i < r->p.nprojs; i++)
			db_set_state(r->live, r->p.projs[i]->name, "failed",
			    pr.error, err, sizeof(err));
		return REBUILD_LIVE_FAILED;
	}
	if (pr.state == REBUILD_RUNNING) {
		if (clock_now_ms() - r->status_ms >= REBUILD_LIVE_STATUS_MS) {
			r->status_ms = clock_now_ms();
			for (i = 0; i < r->p.nprojs; i++)
				db_set_rebuild(r->live, r->p.projs[i]->name,
				    pr.done_seq, pr.target_seq, err, sizeof(err));
		}
		return REBUILD_LIVE_RUNNING;
	}
	/* Ready: the rebuild thread is idle, the shadow complete to done_seq. */
	if (swap_in(db_handle(r->live), r->p.shadow_path, r->p.projs,
	    r->p.nprojs, out->error, sizeof(out->error)) == -1)
		return REBUILD_LIVE_RUNNING;
	rebuild_finish(r->rebuild);
	r->rebuild = NULL;
	if (db_unlink(r->p.shadow_path, err, sizeof(err)) == -1)
		snprintf(out->error, sizeof(out->error), "%s", err);
	return REBUILD_LIVE_SWAPPED;
}

/* Stops the rebuild (its shadow stays, to be resumed). Accepts NULL. */
void
rebuild_live_finish(struct rebuild_live *r)
{
	if (r == NULL)
		return;
	rebuild_finish(r->rebuild);
	free(r);
}
