/*
 * decoder.c: a batch's payloads decoded a little ahead of the fold, in a
 * thread of its own (see decoder.h).
 *
 * A ring of DECODER_AHEAD + 1 slots: the thread decodes message j into slot
 * j % DECODER_RING once the caller has asked for message j - DECODER_AHEAD
 * or later, so the slot's last result (message j - DECODER_RING) is no
 * longer lent. One mutex guards the indexes; each side signals the other
 * only when it sleeps, so a batch the decoder keeps ahead of costs two
 * uncontended locks a message.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "event.h"
#include "xmalloc.h"

#define DECODER_RING	(DECODER_AHEAD + 1)
/*
 * Each side wakes the other only for a run of messages, not for each: the
 * thread when a quarter of the ring is free again, the caller when a
 * quarter of the ring past the message it waits for is decoded (or the
 * batch's end). Waking per message would make every message a pair of
 * context switches once one side is faster than the other.
 */
#define DECODER_RUN	(DECODER_RING / 4)

struct decoder_slot {
	json_t	*json;
	char	 error[256];
	int	 decoded;
};

struct decoder {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* the thread waits on it */
	pthread_cond_t		 ready;		/* the caller waits on it */
	struct feed		*feed;		/* the batch in hand */
	size_t			 n;
	uint64_t		 skip;
	size_t			 next;		/* decoded: 0 to next - 1 */
	size_t			 asked;		/* lent: asked; before: free */
	int			 active;	/* a batch is in hand */
	int			 busy;		/* decoding outside the lock */
	int			 quit;
	int			 thread_sleeps, caller_sleeps;
	size_t			 want;		/* wake the caller at next */
	struct decoder_slot	 slots[DECODER_RING];
};

/* May the thread decode the next message? Under d->mu. */
static int
room(const struct decoder *d)
{
	return d->active && d->next < d->n &&
	    d->next < d->asked + DECODER_RING;
}

static void
decode(struct decoder *d, struct decoder_slot *s, size_t j)
{
	const struct feed_msg *m = feed_msg(d->feed, j);

	json_decref(s->json);
	s->json = NULL;
	s->error[0] = '\0';
	s->decoded = m->seq > d->skip;
	if (s->decoded)
		(void)event_decode(m->data, m->len, &s->json, s->error,
		    sizeof(s->error));
}

static void *
decoder_main(void *arg)
{
	struct decoder *d = arg;
	size_t j;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->quit && !room(d)) {
			d->thread_sleeps = 1;
			pthread_cond_wait(&d->work, &d->mu);
			d->thread_sleeps = 0;
		}
		if (d->quit)
			break;
		/* Released unasked for (the caller skipped them): not needed. */
		if (d->next < d->asked)
			d->next = d->asked;
		j = d->next;
		d->busy = 1;
		pthread_mutex_unlock(&d->mu);
		decode(d, &d->slots[j % DECODER_RING], j);
		pthread_mutex_lock(&d->mu);
		d->busy = 0;
		d->next = j + 1;
		if (d->caller_sleeps && (d->next >= d->want || !d->active))
			pthread_cond_signal(&d->ready);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Starts a decoder's thread. Returns 0 and sets *out, or -1 with err. */
int
decoder_new(struct decoder **out, char *err, size_t errlen)
{
	struct decoder *d = xcalloc(1, sizeof(*d));
	int rc;

	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->ready, NULL);
	if ((rc = pthread_create(&d->thread, NULL, decoder_main, d)) != 0) {
		snprintf(err, errlen, "cannot start the decoder's thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&d->ready);
		pthread_cond_destroy(&d->work);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/*
 * Hands over the n messages of feed's batch; those at or below
 * skip_through are left out. The batch before must have been stopped.
 */
void
decoder_start(struct decoder *d, struct feed *feed, size_t n,
    uint64_t skip_through)
{
	pthread_mutex_lock(&d->mu);
	d->feed = feed;
	d->n = n;
	d->skip = skip_through;
	d->next = d->asked = 0;
	d->active = 1;
	if (d->thread_sleeps)
		pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
}

/*
 * Lends message i's result (i below the batch's n, and not below the last
 * asked for), waiting until it is decoded; releases those before it.
 */
void
decoder_get(struct decoder *d, size_t i, struct decoder_result *out)
{
	const struct decoder_slot *s = &d->slots[i % DECODER_RING];

	pthread_mutex_lock(&d->mu);
	d->asked = i;
	if (d->thread_sleeps && (d->next + DECODER_RUN <= i + DECODER_RING ||
	    d->next <= i))
		pthread_cond_signal(&d->work);
	if (d->next <= i) {
		d->want = i + DECODER_RUN < d->n ? i + DECODER_RUN : d->n;
		do {
			d->caller_sleeps = 1;
			pthread_cond_wait(&d->ready, &d->mu);
			d->caller_sleeps = 0;
		} while (d->next <= i);
	}
	pthread_mutex_unlock(&d->mu);
	out->decoded = s->decoded;
	out->json = s->json;
	out->error = s->json == NULL && s->decoded ? s->error : NULL;
}

/* Ends the batch in hand, if any, and releases its results. */
void
decoder_stop(struct decoder *d)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	d->active = 0;
	while (d->busy) {
		d->caller_sleeps = 1;
		pthread_cond_wait(&d->ready, &d->mu);
		d->caller_sleeps = 0;
	}
	d->feed = NULL;
	pthread_mutex_unlock(&d->mu);
	for (i = 0; i < DECODER_RING; i++) {
		json_decref(d->slots[i].json);
		d->slots[i].json = NULL;
		d->slots[i].decoded = 0;
	}
}

/* Stops the batch in hand, ends the thread, frees. Accepts NULL. */
void
decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	decoder_stop(d);
	pthread_mutex_lock(&d->mu);
	d->quit = 1;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->ready);
	pthread_cond_destroy(&d->work);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
