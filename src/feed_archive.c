/*
 * feed_archive.c: a feed of an account's history, its archive first, then
 * the stream (see feed_archive.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "feed_archive.h"
#include "xmalloc.h"

/*
 * A batch from the archive ends at this many bytes of messages, whatever
 * its count, as one from the stream does (source_pull.c).
 */
#define FEED_ARCHIVE_BYTES	(8 * 1024 * 1024)

struct feed_archive {
	struct feed	 feed;		/* first: the feed's ops */
	char		*path;
	struct feed	*stream;
	struct archive	*a;		/* read-only; NULL while there is none */
	int		 in_stream;	/* the archive is read: the stream's turn */
	uint64_t	 after;		/* the last sequence handed over */
	uint64_t	 upto;		/* the archive's mark when positioned */
	uint64_t	 left;		/* archive messages not handed over yet */
	uint64_t	 beyond;	/* what the stream holds after upto */
	struct feed_msg	*views;		/* the batch in hand */
	size_t		 nviews;	/* capacity */
	size_t		 n;		/* messages in it */
	char		*arena;		/* their subjects and payloads */
	size_t		 arena_cap;
	size_t		 used;
};

static enum feed_result
result(enum archive_result r)
{
	switch (r) {
	case ARCHIVE_OK:
		return FEED_OK;
	case ARCHIVE_RETRY:
		return FEED_RETRY;
	default:
		/* Damaged or not an archive: retrying will not mend it. */
		return FEED_EDAMAGED;
	}
}

/* Opens the archive when it exists; a missing one reads as empty. */
static enum feed_result
open_archive(struct feed_archive *fa, char *err, size_t errlen)
{
	if (fa->a != NULL)
		return FEED_OK;
	if (access(fa->path, F_OK) == -1 && errno == ENOENT)
		return FEED_OK;
	return result(archive_open(fa->path, 1, NULL, &fa->a, err, errlen));
}

static enum feed_result
fa_connect(struct feed *f, char *err, size_t errlen)
{
	return feed_connect(((struct feed_archive *)f)->stream, err, errlen);
}

/*
 * Adds the archive's holes from start_seq to its mark to pos, leaving room
 * in its list for the hole the stream may have after the mark: the live
 * worker records that one in the archive.
 */
static enum feed_result
archive_holes_to(struct feed_archive *fa, uint64_t start_seq,
    struct feed_pos *pos, char *err, size_t errlen)
{
	struct archive_hole h[FEED_POS_HOLES - 1];
	uint64_t missing, listed = 0;
	size_t i, n;
	enum archive_result r;

	r = archive_holes(fa->a, start_seq, fa->upto, h, FEED_POS_HOLES - 1, &n,
	    &missing, err, errlen);
	if (r != ARCHIVE_OK)
		return result(r);
	for (i = 0; i < n; i++) {
		feed_pos_hole(pos, h[i].from_seq, h[i].to_seq);
		listed += h[i].to_seq - h[i].from_seq + 1;
	}
	pos->missing += missing - listed;
	return FEED_OK;
}

/* Adds the holes of spos (the stream's, after the archive) to pos. */
static void
stream_holes(struct feed_pos *pos, const struct feed_pos *spos)
{
	uint64_t listed = 0;
	size_t i;

	for (i = 0; i < spos->nholes; i++) {
		feed_pos_hole(pos, spos->holes[i].from_seq, spos->holes[i].to_seq);
		listed += spos->holes[i].to_seq - spos->holes[i].from_seq + 1;
	}
	pos->missing += spos->missing - listed;
}

/*
 * Positions the archive at start_seq when it speaks for it, and the stream
 * at the archive's mark + 1; else the stream at start_seq.
 */
static enum feed_result
fa_position(struct feed *f, uint64_t start_seq, struct feed_pos *pos,
    char *err, size_t errlen)
{
	struct feed_archive *fa = (struct feed_archive *)f;
	struct feed_pos spos;
	enum feed_result r;

	memset(pos, 0, sizeof(*pos));
	fa->in_stream = 1;
	fa->upto = 0;
	if ((r = open_archive(fa, err, errlen)) != FEED_OK)
		return r;
	if (fa->a != NULL &&
	    (r = result(archive_mark(fa->a, &fa->upto, err, errlen))) != FEED_OK)
		return r;
	if (start_seq > fa->upto)
		return feed_position(fa->stream, start_seq, pos, err, errlen);
	if ((r = archive_holes_to(fa, start_seq, pos, err, errlen)) != FEED_OK ||
	    (r = result(archive_count(fa->a, start_seq - 1, &fa->left, err,
	    errlen))) != FEED_OK ||
	    (r = feed_position(fa->stream, fa->upto + 1, &spos, err,
	    errlen)) != FEED_OK)
		return r;
	stream_holes(pos, &spos);
	/* A stream that ends before the archive was replaced or purged. */
	pos->last_seq = spos.last_seq;
	pos->backwards = spos.backwards || spos.last_seq < fa->upto;
	pos->pending = fa->left + spos.pending;
	pos->recreated = spos.recreated;
	fa->beyond = spos.pending;
	fa->after = start_seq - 1;
	fa->in_stream = 0;
	return FEED_OK;
}

/* Makes room for n views and bytes of their subjects and payloads. */
static void
reserve(struct feed_archive *fa, size_t n, size_t bytes)
{
	if (n > fa->nviews) {
		if (n < 2 * fa->nviews)
			n = 2 * fa->nviews;
		fa->views = xreallocarray(fa->views, n, sizeof(*fa->views));
		fa->nviews = n;
	}
	if (bytes > fa->arena_cap) {
		if (bytes < 2 * fa->arena_cap)
			bytes = 2 * fa->arena_cap;
		fa->arena = xreallocarray(fa->arena, bytes, 1);
		fa->arena_cap = bytes;
	}
}

/*
 * Copies the n records at recs (each subject and payload with a NUL after
 * it) behind the fa->n already in the batch; the views point at offsets in
 * the arena until fill() makes them pointers.
 */
static void
copy(struct feed_archive *fa, const struct archive_rec *recs, size_t n)
{
	size_t i, need = 0;

	for (i = 0; i < n; i++)
		need += recs[i].subject_len + recs[i].payload_len + 2;
	reserve(fa, fa->n + n, fa->used + need);
	for (i = 0; i < n; i++) {
		struct feed_msg *m = &fa->views[fa->n + i];

		m->seq = recs[i].seq;
		m->stored_ms = recs[i].stored_ms;
		m->subject = (const char *)(uintptr_t)fa->used;
		memcpy(fa->arena + fa->used, recs[i].subject,
		    recs[i].subject_len);
		fa->arena[fa->used + recs[i].subject_len] = '\0';
		fa->used += recs[i].subject_len + 1;
		m->data = (const char *)(uintptr_t)fa->used;
		memcpy(fa->arena + fa->used, recs[i].payload,
		    recs[i].payload_len);
		fa->arena[fa->used + recs[i].payload_len] = '\0';
		fa->used += recs[i].payload_len + 1;
		m->len = recs[i].payload_len;
	}
	fa->n += n;
}

/* Turns the offsets of the batch into pointers, and counts what follows. */
static void
fill(struct feed_archive *fa)
{
	size_t i;

	for (i = 0; i < fa->n; i++) {
		struct feed_msg *m = &fa->views[i];

		m->subject = fa->arena + (uintptr_t)m->subject;
		m->data = fa->arena + (uintptr_t)m->data;
		/* Counted at position; the archive only grows after its mark. */
		m->pending = (fa->left > i + 1 ? fa->left - i - 1 : 0) +
		    fa->beyond;
	}
	fa->left = fa->left > fa->n ? fa->left - fa->n : 0;
}

/*
 * Hands over the archive's next messages up to its mark as positioned,
 * copied from as many blocks as it takes to fill a batch (of batch
 * messages, or FEED_ARCHIVE_BYTES of them: a transaction of the fold per
 * block would commit ten times as often), and then the stream's.
 */
static enum feed_result
fa_fetch(struct feed *f, int batch, int wait_ms, size_t *count, char *err,
    size_t errlen)
{
	struct feed_archive *fa = (struct feed_archive *)f;
	const struct archive_rec *recs;
	enum feed_result r = FEED_OK;
	uint64_t mark;
	size_t n;

	*count = 0;
	if (fa->in_stream)
		return feed_fetch(fa->stream, batch, wait_ms, count, err, errlen);
	fa->n = fa->used = 0;
	while (fa->n < (size_t)batch && fa->used < FEED_ARCHIVE_BYTES) {
		r = result(archive_read(fa->a, fa->after, (size_t)batch - fa->n,
		    &recs, &n, &mark, err, errlen));
		if (r != FEED_OK)
			break;
		while (n > 0 && recs[n - 1].seq > fa->upto)
			n--;
		if (n == 0)
			break;
		copy(fa, recs, n);
		fa->after = recs[n - 1].seq;
	}
	/* What came before a failure goes first; the failure comes again. */
	if (fa->n > 0) {
		fill(fa);
		*count = fa->n;
		return FEED_OK;
	}
	if (r != FEED_OK)
		return r;
	/* Read to the mark: the stream, positioned there, goes on. */
	fa->in_stream = 1;
	return feed_fetch(fa->stream, batch, wait_ms, count, err, errlen);
}

static const struct feed_msg *
fa_msg(struct feed *f, size_t i)
{
	struct feed_archive *fa = (struct feed_archive *)f;

	return fa->in_stream ? feed_msg(fa->stream, i) : &fa->views[i];
}

/* The archive's messages need no ack; the stream's do. */
static enum feed_result
fa_ack(struct feed *f, size_t i, char *err, size_t errlen)
{
	struct feed_archive *fa = (struct feed_archive *)f;

	return fa->in_stream ? feed_ack(fa->stream, i, err, errlen) : FEED_OK;
}

static enum feed_result
fa_drained(struct feed *f, uint64_t folded, int *drained, char *err,
    size_t errlen)
{
	struct feed_archive *fa = (struct feed_archive *)f;

	if (!fa->in_stream)
		return FEED_OK;		/* the archive is not read to its end */
	return feed_drained(fa->stream, folded, drained, err, errlen);
}

static void
fa_close(struct feed *f)
{
	struct feed_archive *fa = (struct feed_archive *)f;

	archive_close(fa->a);
	feed_close(fa->stream);
	free(fa->views);
	free(fa->arena);
	free(fa->path);
	free(fa);
}

static const struct feed_ops archive_ops = {
	.connect = fa_connect,
	.position = fa_position,
	.fetch = fa_fetch,
	.msg = fa_msg,
	.ack = fa_ack,
	.drained = fa_drained,
	.close = fa_close
};

/*
 * Returns a feed of the archive at path, then of stream (which it owns from
 * now on). Nothing is opened yet. Cannot fail.
 */
struct feed *
feed_archive_new(const char *path, struct feed *stream)
{
	struct feed_archive *fa = xcalloc(1, sizeof(*fa));

	fa->feed.ops = &archive_ops;
	fa->path = xstrdup(path);
	fa->stream = stream;
	fa->in_stream = 1;
	return &fa->feed;
}
