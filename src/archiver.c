/*
 * archiver.c: archive_append() in a thread of its own (see archiver.h).
 *
 * One mutex and one condition variable guard a single slot: the caller
 * fills it and signals; the thread appends, sets the result and signals
 * back. A batch is out from submit until wait collects its result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archiver.h"
#include "xmalloc.h"

#define ARCHIVER_ERR_LEN	512
/*
 * Smaller batches are appended by the caller: a live trickle comes a
 * message a batch, and waking the thread for it costs more than the
 * append (the benchmark's trickle: 33 s for 100,000 one-message batches
 * appended at once, 45 s through the thread).
 */
#define ARCHIVER_INLINE_MAX	64

enum archiver_slot {
	SLOT_EMPTY,		/* nothing out */
	SLOT_SUBMITTED,		/* out, the thread has it or will */
	SLOT_DONE,		/* appended or failed: result, err */
	SLOT_QUIT		/* the thread is to end */
};

struct archiver {
	struct archive		*a;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	enum archiver_slot	 slot;
	const struct archive_rec *recs;
	size_t			 n;
	enum archive_result	 result;
	char			 err[ARCHIVER_ERR_LEN];
};

static void *
archiver_main(void *arg)
{
	struct archiver *ar = arg;
	enum archive_result r;

	pthread_mutex_lock(&ar->mu);
	for (;;) {
		while (ar->slot != SLOT_SUBMITTED && ar->slot != SLOT_QUIT)
			pthread_cond_wait(&ar->cv, &ar->mu);
		if (ar->slot == SLOT_QUIT)
			break;
		/* The slot is ours until DONE: append unlocked. */
		pthread_mutex_unlock(&ar->mu);
		ar->err[0] = '\0';
		r = archive_append(ar->a, ar->recs, ar->n, ar->err,
		    sizeof(ar->err));
		pthread_mutex_lock(&ar->mu);
		ar->result = r;
		ar->slot = SLOT_DONE;
		pthread_cond_broadcast(&ar->cv);
	}
	pthread_mutex_unlock(&ar->mu);
	return NULL;
}

/*
 * Starts the thread of an archiver for a. Returns 0 and sets *out, or -1
 * with err.
 */
int
archiver_new(struct archive *a, struct archiver **out, char *err,
    size_t errlen)
{
	struct archiver *ar = xcalloc(1, sizeof(*ar));
	int rc;

	ar->a = a;
	ar->slot = SLOT_EMPTY;
	pthread_mutex_init(&ar->mu, NULL);
	pthread_cond_init(&ar->cv, NULL);
	if ((rc = pthread_create(&ar->thread, NULL, archiver_main, ar)) != 0) {
		snprintf(err, errlen, "cannot start the archive's thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&ar->cv);
		pthread_mutex_destroy(&ar->mu);
		free(ar);
		return -1;
	}
	*out = ar;
	return 0;
}

/* Waits until no batch is being appended; the caller holds ar->mu. */
static void
settle(struct archiver *ar)
{
	while (ar->slot == SLOT_SUBMITTED)
		pthread_cond_wait(&ar->cv, &ar->mu);
}

/*
 * Hands the n records at recs (n > 0, in stream order) to the thread to
 * append; fewer than ARCHIVER_INLINE_MAX are appended at once, here. A
 * batch still out is waited for first, and its result dropped.
 */
void
archiver_submit(struct archiver *ar, const struct archive_rec *recs,
    size_t n)
{
	pthread_mutex_lock(&ar->mu);
	settle(ar);
	ar->recs = recs;
	ar->n = n;
	if (n < ARCHIVER_INLINE_MAX) {
		ar->err[0] = '\0';
		ar->result = archive_append(ar->a, recs, n, ar->err,
		    sizeof(ar->err));
		ar->slot = SLOT_DONE;
	} else {
		ar->slot = SLOT_SUBMITTED;
		pthread_cond_broadcast(&ar->cv);
	}
	pthread_mutex_unlock(&ar->mu);
}

/*
 * Waits for the batch out and returns what archive_append() said of it,
 * with its err; ARCHIVE_OK when none is out. The batch is collected: a
 * second call returns ARCHIVE_OK.
 */
enum archive_result
archiver_wait(struct archiver *ar, char *err, size_t errlen)
{
	enum archive_result r = ARCHIVE_OK;

	pthread_mutex_lock(&ar->mu);
	settle(ar);
	if (ar->slot == SLOT_DONE) {
		r = ar->result;
		if (r != ARCHIVE_OK)
			snprintf(err, errlen, "%s", ar->err);
		ar->slot = SLOT_EMPTY;
		ar->recs = NULL;
	}
	pthread_mutex_unlock(&ar->mu);
	return r;
}

/* Waits for a batch still out, ends the thread, frees. Accepts NULL. */
void
archiver_free(struct archiver *ar)
{
	if (ar == NULL)
		return;
	pthread_mutex_lock(&ar->mu);
	settle(ar);
	ar->slot = SLOT_QUIT;
	pthread_cond_broadcast(&ar->cv);
	pthread_mutex_unlock(&ar->mu);
	pthread_join(ar->thread, NULL);
	pthread_cond_destroy(&ar->cv);
	pthread_mutex_destroy(&ar->mu);
	free(ar);
}
