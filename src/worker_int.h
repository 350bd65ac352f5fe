/*
 * worker_int.h: what the files of the worker module share, and no other
 * module may use: worker.c (the loop: the feed and its reader, and what
 * each step means to a live account), worker_archive.c (keeping the
 * archive), worker_open.c (choosing the projections, opening the database,
 * its archive and the live fold), worker_rebuild.c (looking after a
 * background rebuild), worker_report.c (logging, states, progress) and
 * worker_stats.c (what it publishes for the supervisor and /metrics). The
 * public interface is worker.h.
 */
#ifndef WORKER_INT_H
#define WORKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "archiver.h"
#include "feed.h"
#include "fold.h"
#include "reader.h"
#include "registry.h"
#include "source.h"
#include "stats.h"
#include "worker.h"

#define WORKER_IDLE_WAIT_MS	1000	/* fetch wait when the stream is quiet */
#define WORKER_REBUILD_WAIT_MS	100	/* the same while a rebuild runs */
#define WORKER_ONCE_GIVE_UP_MS	30000	/* --once: how long to wait for NATS */
#define WORKER_PROGRESS_MS	10000	/* how often a busy worker reports */
#define WORKER_REPEAT_MS	60000	/* how often the same error is repeated */
#define WORKER_ERR_LEN		1024

/* What a worker function says the loop does next. */
enum worker_next {
	WORKER_GO = 0,		/* go on */
	WORKER_DONE,		/* the work asked for is complete: exit 0 */
	WORKER_STOP		/* stop with the exit code given */
};

/* One of the account's projections. */
struct worker_proj {
	const struct projection	*p;
	int			 rebuilding;	/* in a shadow, not folded live */
	int			 failed;	/* its rebuild failed: it says why */
};

struct worker {
	const struct worker_params	*p;
	const char			*name;	/* the account's */
	struct worker_proj		 projs[PROJECTION_MAX];
	size_t				 nprojs;
	struct db			*db;
	struct archive			*archive;	/* NULL: archive: false */
	struct archiver			*archiver;	/* its thread */
	uint64_t			 archive_mark;	/* as last written */
	uint64_t			 archive_out;	/* last seq out; 0: none */
	struct archive_rec		*arecs;		/* a batch, for the archive */
	size_t				 narecs;	/* capacity */
	struct fold			*fold;		/* the live projections */
	struct feed			*feed;
	struct reader			*reader;
	struct reader_params		 rp;
	struct rebuild_live		*rebuild;	/* NULL when none runs */
	int64_t				 rebuild_report_ms;
	int				 tty;		/* stderr is a terminal */
	uint64_t			 target;	/* --once: stream last seq at start */
	int				 have_target;
	int64_t				 progress_ms;	/* last progress line */
	uint64_t			 progress_applied;
	struct fold_stats		 seen;		/* as last published */
	int64_t				 stats_files_ms; /* sizes last looked at */
	char				 last_err[WORKER_ERR_LEN];	/* last logged */
	int64_t				 last_err_ms;
};

/* worker_report.c */
void	worker_transient(struct worker *w, const char *what, const char *err);
void	worker_recovered(struct worker *w);
void	worker_on_conn(void *arg, enum source_conn_event ev,
	    const char *detail);
void	worker_set_state(struct worker *w, const char *state,
	    const char *error);
void	worker_progress(struct worker *w, int force);

/* worker_stats.c */
void	worker_stats_beat(struct worker *w, int started);
void	worker_stats_heard(struct worker *w);
void	worker_stats_batch(struct worker *w, const struct reader_out *o);
void	worker_stats_error(struct worker *w, enum stats_stage stage);
void	worker_stats_conn(struct worker *w, enum source_conn_event ev);
void	worker_stats_state(struct worker *w, const char *name,
	    enum stats_state st);
void	worker_stats_replay(struct worker *w, uint64_t done, uint64_t total);

/* worker_open.c */
int	worker_select(struct worker *w, char *err, size_t errlen);
void	worker_check_secret(struct worker *w);
int	worker_open_db(struct worker *w);
int	worker_open_archive(struct worker *w);
int	worker_fold_live(struct worker *w);
size_t	worker_nlive(const struct worker *w);

/* worker_archive.c */
void	worker_archive_submit(struct worker *w, struct feed *feed,
	    size_t count);
enum fold_result worker_archive_settle(struct worker *w, char *err,
	    size_t errlen);
uint64_t worker_archive_start(struct worker *w, uint64_t next_seq);
int	worker_archive_lost(struct worker *w, const struct feed_pos *pos);

/* worker_rebuild.c */
int	worker_rebuild_start(struct worker *w);
enum worker_next worker_rebuild_tend(struct worker *w, int *code);

#endif /* WORKER_INT_H */
