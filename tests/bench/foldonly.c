/*
 * foldonly.c: `make bench`'s fold-only line: the fold alone, without NATS
 * or the archive. The benchmark's generated stream (gen.h), made in memory
 * a batch at a time, goes through fold_begin(), fold_event() and
 * fold_commit() into a fresh SQLite file with the three built-in
 * projections, opened as the live worker opens its database (db_open(),
 * its pragmas) or, with -r, as a rebuild opens its shadow (db_set_bulk()).
 * Only the fold is timed, not the making of the events.
 *
 *     foldonly -d DIR -n N [-b BATCH] [-s SEED] [-r] [-p PRAGMAS]
 *
 * (-p: SQL run on the connection after the usual pragmas, for trying
 * settings) prints one line: "fold-only N events BATCH a batch SECONDS s
 * RATE ev/s", and exits 0, or 1 with a reason on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fold.h"
#include "gen.h"
#include "projections.h"

static double
foldonly_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t n = 100000, seed = 1, seq = 0;
	struct wire_event *evs;
	struct gen *g;
	struct db *d = NULL;
	struct fold *f = NULL;
	char path[1024], err[1024];
	size_t i, batch = 1000, got;
	const char *pragmas = NULL;
	double start, spent = 0;
	int c, bulk = 0;

	while ((c = getopt(argc, argv, "d:n:b:s:rp:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'r': bulk = 1; break;
		case 'p': pragmas = optarg; break;
		default:
			fprintf(stderr, "usage: foldonly -d DIR -n N [-b BATCH]"
			    " [-s SEED] [-r] [-p PRAGMAS]\n");
			return 64;
		}
	}
	if (dir == NULL || n == 0 || batch == 0)
		return 64;
	db_init();	/* as main() does: SQLite without memory statistics */
	snprintf(path, sizeof(path), "%s/foldonly.db", dir);
	if ((evs = calloc(batch, sizeof(*evs))) == NULL ||
	    (g = gen_new(seed, GEN_DEFAULT_SERVERS, GEN_DEFAULT_PLAYERS)) == NULL)
		return 1;
	if (db_unlink(path, err, sizeof(err)) == -1 ||
	    db_open(path, &d, err, sizeof(err)) != DB_OK ||
	    (bulk && db_set_bulk(d, err, sizeof(err)) == -1) ||
	    (pragmas != NULL && db_exec(db_handle(d), pragmas, NULL, err,
	    sizeof(err)) == -1) ||
	    db_migrate(d, projections_builtin, NULL, err, sizeof(err)) == -1 ||
	    fold_open(db_handle(d), projections_builtin, 3, &f, err,
	    sizeof(err)) != FOLD_OK)
		goto fail;
	while (seq < n) {
		got = n - seq < batch ? (size_t)(n - seq) : batch;
		for (i = 0; i < got; i++)
			gen_next(g, &evs[i]);
		start = foldonly_now();
		if (fold_begin(f, err, sizeof(err)) != FOLD_OK)
			goto fail;
		for (i = 0; i < got; i++) {
			seq++;
			if (fold_event(f, seq, 1700000000000 + (int64_t)seq,
			    evs[i].subject, evs[i].payload, evs[i].len, err,
			    sizeof(err)) != FOLD_OK)
				goto fail;
		}
		if (fold_commit(f, seq, err, sizeof(err)) != FOLD_OK)
			goto fail;
		spent += foldonly_now() - start;
	}
	printf("fold-only %llu events %zu a batch %.3f s %.0f ev/s\n",
	    (unsigned long long)n, batch, spent, (double)n / spent);
	fold_close(f);
	db_close(d);
	db_unlink(path, err, sizeof(err));
	gen_free(g);
	free(evs);
	return 0;
fail:
	fprintf(stderr, "foldonly: %s\n", err);
	fold_close(f);
	db_close(d);
	gen_free(g);
	free(evs);
	return 1;
}
