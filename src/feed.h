/*
 * feed.h: a sequence-ordered source of stream messages, as a fold reads
 * them. The worker's live loop and the rebuild thread each read one feed
 * (through reader.h) without knowing what is behind it.
 *
 * A feed is connected (feed_connect(), a no-op for a backend without a
 * connection), positioned at a stream sequence (feed_position(), which also
 * says what the feed still holds from there), then fetched from in batches,
 * in stream order. The messages of a batch are lent until the next fetch.
 * feed_ack() tells the backend that every message up to one of the batch is
 * safely folded (the live feed then lets the server forget them; a replay
 * feed ignores it). feed_drained() asks the backend whether it has nothing
 * left to deliver beyond a sequence: an empty fetch alone proves nothing on
 * a loaded machine.
 *
 * Backends: feed_source.c reads NATS JetStream (a durable consumer with
 * acks, or an ephemeral one without). A backend embeds struct feed as its
 * first member and fills its ops; the functions here dispatch to them.
 *
 * Memory: a feed owns its backend's resources; feed_close() releases them
 * and accepts NULL. The struct feed_msg that feed_msg() lends, and the
 * bytes it points to, stay valid until the next feed_fetch(),
 * feed_position() or feed_close().
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>
#include <stdint.h>

/* One message, lent by the feed. */
struct feed_msg {
	uint64_t	 seq;		/* stream sequence */
	int64_t		 stored_ms;	/* when the stream stored it */
	uint64_t	 pending;	/* messages the feed holds after it */
	const char	*subject;	/* NUL-terminated */
	const char	*data;		/* the payload; not NUL-terminated */
	size_t		 len;
};

/* A range of sequences a feed no longer holds. */
struct feed_hole {
	uint64_t	from_seq;
	uint64_t	to_seq;
};

#define FEED_POS_HOLES	8

/*
 * What positioning found: what the feed holds from start_seq on. A hole is
 * a range of sequences the feed no longer holds (expired from the stream
 * before they were read, say): the feed skips it, and folding on without
 * it gives a view that a replay of the whole history would not.
 */
struct feed_pos {
	uint64_t	 last_seq;	/* the newest message it holds */
	int		 backwards;	/* its source now ends before what it
					   held or delivered: it was deleted,
					   purged or replaced */
	uint64_t	 pending;	/* messages it holds from start_seq on */
	struct feed_hole holes[FEED_POS_HOLES];	/* the first holes, in order */
	size_t		 nholes;
	uint64_t	 missing;	/* sequences in all its holes */
	int		 recreated;	/* the backend's cursor was made anew (a
					   durable consumer that disagreed) */
};

enum feed_result {
	FEED_OK = 0,
	FEED_EMPTY,		/* nothing came within the wait */
	FEED_RETRY,		/* transient: disconnected, stream missing,
				   server busy; try again after a pause */
	FEED_REPOSITION,	/* deliveries lost, consumer or connection
				   gone: position again */
	FEED_EPERM,		/* refused by the server: EX_NOPERM */
	FEED_ECONFIG,		/* unusable configuration or secret: EX_CONFIG */
	FEED_EDAMAGED		/* stored history failed its check: EX_DATAERR */
};

struct feed;

struct feed_ops {
	enum feed_result (*connect)(struct feed *f, char *err, size_t errlen);
	enum feed_result (*position)(struct feed *f, uint64_t start_seq,
			    struct feed_pos *pos, char *err, size_t errlen);
	enum feed_result (*fetch)(struct feed *f, int batch, int wait_ms,
			    size_t *count, char *err, size_t errlen);
	const struct feed_msg *(*msg)(struct feed *f, size_t i);
	enum feed_result (*ack)(struct feed *f, size_t i, char *err,
			    size_t errlen);
	enum feed_result (*drained)(struct feed *f, uint64_t folded,
			    int *drained, char *err, size_t errlen);
	void		 (*close)(struct feed *f);
};

/* The head of every backend's struct. */
struct feed {
	const struct feed_ops	*ops;
};

int	feed_sysexit(enum feed_result r);
enum feed_result feed_connect(struct feed *f, char *err, size_t errlen);
enum feed_result feed_position(struct feed *f, uint64_t start_seq,
	    struct feed_pos *pos, char *err, size_t errlen);
enum feed_result feed_fetch(struct feed *f, int batch, int wait_ms,
	    size_t *count, char *err, size_t errlen);
const struct feed_msg *feed_msg(struct feed *f, size_t i);
enum feed_result feed_ack(struct feed *f, size_t i, char *err, size_t errlen);
enum feed_result feed_drained(struct feed *f, uint64_t folded, int *drained,
	    char *err, size_t errlen);
void	feed_close(struct feed *f);
void	feed_pos_hole(struct feed_pos *pos, uint64_t from_seq, uint64_t to_seq);
uint64_t feed_pos_missing(const struct feed_pos *pos, uint64_t from_seq,
	    uint64_t to_seq, struct feed_hole *first);

#endif /* FEED_H */
