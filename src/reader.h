/*
 * reader.h: the one loop shape of everything that folds a feed: the
 * worker's live loop and the rebuild thread each turn a reader, one step at
 * a time, and decide only what the steps mean to them.
 *
 * reader_step() does the next thing that needs doing and says what it was:
 * - not positioned: connect the feed and position it at the fold's
 *   checkpoint + 1, or where start says (READER_POSITIONED, with what the
 *   feed holds; the caller judges a gap or a stream that went backwards);
 * - a batch in hand that did not commit (SQLite busy or full): fold it
 *   again;
 * - otherwise fetch the next batch and fold it in one transaction, the
 *   before_fold hook first and the before_commit hook last, then COMMIT
 *   (READER_FOLDED), or say that nothing came (READER_IDLE).
 * Trouble that may pass (NATS away, SQLite busy) is READER_RETRY, with what
 * failed and why, for the log: the caller pauses (reader_backoff()) and
 * steps again. Trouble that retrying cannot mend, or that lasted give_up_ms,
 * is READER_STOP with a sysexits code.
 *
 * The fetch-wait rule, the same for every reader: after an empty fetch the
 * feed is quiet, so ask for one message and wait idle_wait_ms (it is handed
 * over the moment it comes; a request for a full batch would hold it until
 * the wait ends). With two full batches or more pending, wait long enough
 * for a slow server (a large store on a loaded machine can take more than
 * partial_wait_ms, and an answer that comes after the wait must be thrown
 * away; see source_pull.c). Otherwise a partial batch waits
 * partial_wait_ms.
 *
 * Memory: the reader borrows its parameters (the caller may change idle_wait_ms
 * and fold between steps; after changing fold, reader_reposition()), the
 * feed and the fold, which must outlive it. reader_free() accepts NULL.
 */
#ifndef READER_H
#define READER_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "fold.h"

/* Waits of a catching-up fetch: full batches are pending. */
#define READER_CATCHUP_WAIT_MS	2000
#define READER_BACKOFF_MIN_MS	100
#define READER_BACKOFF_MAX_MS	30000

/*
 * Called after the batch's messages (0 to count - 1 of the feed's batch)
 * were folded and before COMMIT, inside the transaction. Returns FOLD_OK,
 * or FOLD_RETRY/FOLD_ERROR with err, which roll the batch back.
 */
typedef enum fold_result reader_commit_fn(void *arg, struct feed *feed,
		    size_t count, char *err, size_t errlen);
/*
 * Called with the batch (all count messages the feed holds) before it is
 * folded, and again before each time it is folded again: the live worker
 * starts archiving it, in a thread, while it folds.
 */
typedef void	reader_batch_fn(void *arg, struct feed *feed, size_t count);
/* Says whether the reader's owner wants it to stop (ends pauses). */
typedef int	reader_stop_fn(void *arg);
/*
 * Says where to position the feed, given the fold's checkpoint + 1 (the
 * default): the live worker starts lower while its archive lags behind the
 * checkpoint, so that what the archive lacks comes again (the fold skips
 * what it has).
 */
typedef uint64_t reader_start_fn(void *arg, uint64_t next_seq);

struct reader_params {
	struct feed		*feed;
	struct fold		*fold;
	int			 batch;		  /* messages per transaction */
	int			 partial_wait_ms; /* wait of a partial batch */
	int			 idle_wait_ms;	  /* wait of a quiet feed */
	int			 backoff_max_ms;
	uint64_t		 limit_seq;	  /* fold nothing past; 0: all */
	int			 give_up_ms;	  /* unavailable this long:
						     stop; 0: never */
	reader_batch_fn		*before_fold;	  /* optional */
	reader_commit_fn	*before_commit;	  /* optional */
	reader_start_fn		*start;		  /* optional */
	reader_stop_fn		*stopping;
	void			*arg;		  /* of the functions */
};

enum reader_next {
	READER_FOLDED,		/* a batch was committed: count, last_seq */
	READER_POSITIONED,	/* the feed was positioned: pos */
	READER_IDLE,		/* nothing came within the wait */
	READER_REPOSITION,	/* the feed asks to be positioned again: err */
	READER_RETRY,		/* passing trouble: what and err; pause */
	READER_STOP		/* retrying cannot mend it: what, err, code */
};

/* Where the trouble of READER_RETRY and READER_STOP came from. */
enum reader_stage {
	READER_STAGE_FEED = 0,	/* connecting, positioning, fetching */
	READER_STAGE_FOLD,	/* a projection or the schema */
	READER_STAGE_COMMIT	/* the transaction: SQLite, or a hook */
};

struct reader_out {
	const char	*what;		/* RETRY, STOP: what failed, for a log */
	enum reader_stage stage;	/* RETRY, STOP: where */
	int		 code;		/* STOP: the sysexits code */
	struct feed_pos	 pos;		/* POSITIONED */
	uint64_t	 start_seq;	/* POSITIONED: where it starts */
	size_t		 count;		/* FOLDED: messages of the batch */
	uint64_t	 last_seq;	/* FOLDED: the last one folded */
	int64_t		 last_stored_ms; /* FOLDED: when the stream stored it */
	int64_t		 batch_us;	/* FOLDED: the batch in hand to COMMIT
					   done, every attempt included */
	int64_t		 commit_us;	/* FOLDED: fold_commit() alone */
};

struct reader;

struct reader	*reader_new(const struct reader_params *p);
enum reader_next reader_step(struct reader *r, struct reader_out *out,
		    char *err, size_t errlen);
void		 reader_reposition(struct reader *r);
uint64_t	 reader_pending(const struct reader *r);
uint64_t	 reader_stream_last(const struct reader *r);
int		 reader_backoff_ms(const struct reader *r);
void		 reader_backoff(struct reader *r);
void		 reader_pause(struct reader *r, int ms);
int		 reader_drain(struct reader *r, uint64_t n, uint64_t *folded,
		    int *code, char *err, size_t errlen);
void		 reader_free(struct reader *r);

#endif /* READER_H */
