/*
 * stats.c: an account's published figures and the board that lists them
 * (stats.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Prometheus's advice for latencies: from a millisecond to ten seconds. */
const double stats_bucket_le[STATS_NBUCKETS] = {
	0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0
};

const char *const stats_state_name[STATS_NSTATES] = {
	"stopped", "live", "rebuilding", "failed"
};

const char *const stats_stage_name[STATS_NSTAGES] = {
	"fetch", "apply", "commit", "ack", "archive"
};

void
stats_account_init(struct stats_account *a, const char *name,
    const char *stream, const char *consumer,
    const struct projection *const *projs, size_t nprojs)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->stream, sizeof(a->stream), "%s", stream);
	snprintf(a->consumer, sizeof(a->consumer), "%s", consumer);
	if (nprojs > PROJECTION_MAX)
		nprojs = PROJECTION_MAX;
	for (i = 0; i < nprojs; i++) {
		snprintf(a->projs[i].name, sizeof(a->projs[i].name), "%s",
		    projs[i]->name);
		a->projs[i].version = projs[i]->version;
	}
	a->nprojs = nprojs;
}

int
stats_projection_index(const struct stats_account *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nprojs; i++)
		if (strcmp(a->projs[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
stats_observe(struct stats_hist *h, int64_t us)
{
	double s = (double)us / 1e6;
	size_t i;

	for (i = 0; i < STATS_NBUCKETS && s > stats_bucket_le[i]; i++)
		;
	STATS_ADD(h->bucket[i], 1);
	STATS_ADD(h->sum_us, (uint64_t)(us > 0 ? us : 0));
	STATS_ADD(h->count, 1);
}

int
stats_board_init(struct stats_board *b)
{
	memset(b, 0, sizeof(*b));
	return pthread_mutex_init(&b->mu, NULL) == 0 ? 0 : -1;
}

int
stats_board_add(struct stats_board *b, struct stats_account *a)
{
	struct stats_account **grown;
	size_t cap;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	if (b->n == b->cap) {
		cap = b->cap == 0 ? 8 : b->cap * 2;
		grown = realloc(b->accts, cap * sizeof(*grown));
		if (grown == NULL) {
			rc = -1;
			goto done;
		}
		b->accts = grown;
		b->cap = cap;
	}
	b->accts[b->n++] = a;
done:
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void
stats_board_remove(struct stats_board *b, struct stats_account *a)
{
	size_t i;

	pthread_mutex_lock(&b->mu);
	for (i = 0; i < b->n; i++)
		if (b->accts[i] == a) {
			memmove(&b->accts[i], &b->accts[i + 1],
			    (b->n - i - 1) * sizeof(*b->accts));
			b->n--;
			break;
		}
	pthread_mutex_unlock(&b->mu);
}

void
stats_board_read(struct stats_board *b, stats_read_fn *fn, void *arg)
{
	pthread_mutex_lock(&b->mu);
	fn(arg, b->accts, b->n);
	pthread_mutex_unlock(&b->mu);
}

void
stats_board_fini(struct stats_board *b)
{
	free(b->accts);
	pthread_mutex_destroy(&b->mu);
	memset(b, 0, sizeof(*b));
}
