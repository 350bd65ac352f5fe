/*
 * worker_int.h: what the files of the worker module share, and no other
 * module may use: worker.c (the loop: position, fetch, fold, commit, ack),
 * worker_open.c (choosing the projections, opening the database and the
 * fold), worker_rebuild.c (looking after a background rebuild) and
 * worker_report.c (logging, backoff, states, progress). The public
 * interface is worker.h.
 */
#ifndef WORKER_INT_H
#define WORKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fold.h"
#include "registry.h"
#include "source.h"
#include "worker.h"

#define WORKER_IDLE_WAIT_MS	1000	/* fetch wait when the stream is quiet */
#define WORKER_CATCHUP_WAIT_MS	2000	/* and when a full batch is waiting */
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
	const struct projection		*projs[PROJECTION_MAX];
	size_t				 nprojs;	/* the account's */
	const struct projection		*projs_live[PROJECTION_MAX];
	struct db			*db;
	struct fold			*fold;		/* the live projections */
	size_t				 nlive;
	struct replay			*replay;	/* NULL when none runs */
	const struct projection		*rprojs[PROJECTION_MAX];
	size_t				 nrprojs;	/* being rebuilt */
	int64_t				 rebuild_report_ms;
	int				 tty;		/* stderr is a terminal */
	struct source			*source;
	int				 positioned;
	int				 closing;	/* read by cnats threads */
	uint64_t			 target;	/* --once: stream last seq at start */
	int				 have_target;
	uint64_t			 stream_last;	/* as last seen */
	uint64_t			 behind;	/* pending after the last batch */
	int				 backoff_ms;
	int64_t				 started_ms;
	int64_t				 progress_ms;	/* last progress line */
	uint64_t			 progress_applied;
	char				 last_err[WORKER_ERR_LEN];	/* last logged */
	int64_t				 last_err_ms;
	/*
	 * Fault points (build/projector-faults only; see worker.c). Always
	 * here: the other worker files are compiled without PROJECTOR_FAULTS
	 * and must agree on the layout.
	 */
	char				 fault_point[64];
	long				 fault_at;	/* kill at this pass */
	long				 passes;
};

/* worker_report.c */
int64_t	worker_now_ms(void);
void	worker_pause(struct worker *w, int ms);
void	worker_backoff(struct worker *w);
void	worker_transient(struct worker *w, const char *what, const char *err);
void	worker_recovered(struct worker *w);
void	worker_on_conn(void *arg, enum source_conn_event ev,
	    const char *detail);
int	worker_fatal_code(enum source_result r);
void	worker_set_state(struct worker *w, const char *state,
	    const char *error);
void	worker_progress(struct worker *w, int force);

/* worker_open.c */
int	worker_select(struct worker *w, char *err, size_t errlen);
void	worker_check_secret(struct worker *w);
int	worker_open_db(struct worker *w);
int	worker_fold_live(struct worker *w);

/* worker_rebuild.c */
int	worker_rebuild_start(struct worker *w);
int	worker_rebuild_tend(struct worker *w);

#endif /* WORKER_INT_H */
