/*
 * foldonly.c: `make bench`'s fold-only line: the fold alone, without NATS
 * or the archive. The benchmark's generated stream (gen.h) is made in
 * memory first, then handed to the engine's reader (reader.h: the loop the
 * worker and the rebuild drive, decoding ahead included) through a feed in
 * memory (feed_memory.h), into a fresh SQLite file with the three built-in
 * projections, opened as the live worker opens its database (db_open(),
 * its pragmas) or, with -r, as a rebuild opens its shadow (db_set_bulk()).
 * Only the reader's loop is timed, not the making of the events.
 *
 *     foldonly -d DIR -n N [-b BATCH] [-s SEED] [-r] [-p PRAGMAS] [-P SO]
 *
 * (-p: SQL run on the connection after the usual pragmas, for trying
 * settings; -P: the leaderboard projection loaded from the plug-in SO
 * instead of the built-in, as plugin.c loads any plug-in) prints one line: "fold-only N events BATCH a batch SECONDS s
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
#include "feed_memory.h"
#include "plugin.h"
#include "projections.h"
#include "reader.h"
#include "xmalloc.h"

struct foldonly {
	struct feed_msg	*msgs;
	char		*arena;
	size_t		 n;
};

static double
foldonly_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first n events of seed's stream, in memory. */
static void
foldonly_make(struct foldonly *fo, uint64_t n, uint64_t seed)
{
	struct wire_event ev;
	struct gen *g = gen_new(seed, GEN_DEFAULT_SERVERS, GEN_DEFAULT_PLAYERS);
	size_t i, used = 0, cap = 1 << 20, sl;
	char *base;

	fo->msgs = xreallocarray(NULL, n, sizeof(*fo->msgs));
	fo->arena = xreallocarray(NULL, cap, 1);
	for (i = 0; i < n; i++) {
		gen_next(g, &ev);
		sl = strlen(ev.subject) + 1;
		while (used + sl + ev.len > cap)
			fo->arena = xreallocarray(fo->arena, cap *= 2, 1);
		memcpy(fo->arena + used, ev.subject, sl);
		memcpy(fo->arena + used + sl, ev.payload, ev.len);
		/* Offsets until the arena stops moving. */
		fo->msgs[i].subject = (const char *)(uintptr_t)used;
		fo->msgs[i].data = (const char *)(uintptr_t)(used + sl);
		fo->msgs[i].len = ev.len;
		fo->msgs[i].seq = i + 1;
		fo->msgs[i].stored_ms = 1700000000000 + (int64_t)i;
		used += sl + ev.len;
	}
	base = fo->arena;
	for (i = 0; i < n; i++) {
		fo->msgs[i].subject = base + (uintptr_t)fo->msgs[i].subject;
		fo->msgs[i].data = base + (uintptr_t)fo->msgs[i].data;
	}
	fo->n = n;
	gen_free(g);
}

static int
foldonly_stopping(void *arg)
{
	(void)arg;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *pragmas = NULL, *plugin_path = NULL;
	const struct projection *table[4];
	struct plugin *pl = NULL;
	struct foldonly fo;
	struct reader_params rp;
	struct reader *r = NULL;
	struct feed *feed = NULL;
	struct db *d = NULL;
	struct fold *f = NULL;
	char path[1024], err[1024];
	uint64_t n = 100000, seed = 1, folded = 0;
	double start, spent;
	int c, code, bulk = 0, batch = 1000;

	while ((c = getopt(argc, argv, "d:n:b:s:rp:P:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'b': batch = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'r': bulk = 1; break;
		case 'p': pragmas = optarg; break;
		case 'P': plugin_path = optarg; break;
		default:
			fprintf(stderr, "usage: foldonly -d DIR -n N [-b BATCH]"
			    " [-s SEED] [-r] [-p PRAGMAS] [-P SO]\n");
			return 64;
		}
	}
	if (dir == NULL || n == 0 || batch <= 0)
		return 64;
	db_init();	/* as main() does: SQLite without memory statistics */
	snprintf(path, sizeof(path), "%s/foldonly.db", dir);
	memset(&fo, 0, sizeof(fo));
	memcpy(table, projections_builtin, 3 * sizeof(table[0]));
	table[3] = NULL;
	if (plugin_path != NULL) {
		if (plugin_load("leaderboard", plugin_path, &pl, err,
		    sizeof(err)) != PLUGIN_OK)
			goto fail;
		table[2] = plugin_projection(pl);
	}
	foldonly_make(&fo, n, seed);
	if (db_unlink(path, err, sizeof(err)) == -1 ||
	    db_open(path, &d, err, sizeof(err)) != DB_OK ||
	    (bulk && db_set_bulk(d, err, sizeof(err)) == -1) ||
	    (pragmas != NULL && db_exec(db_handle(d), pragmas, NULL, err,
	    sizeof(err)) == -1) ||
	    db_migrate(d, table, NULL, err, sizeof(err)) == -1 ||
	    fold_open(db_handle(d), db_guard(d), table, 3, &f, err,
	    sizeof(err)) != FOLD_OK)
		goto fail;
	feed = feed_memory_new(fo.msgs, fo.n, NULL);
	memset(&rp, 0, sizeof(rp));
	rp.feed = feed;
	rp.fold = f;
	rp.batch = batch;
	rp.stopping = foldonly_stopping;
	r = reader_new(&rp);
	start = foldonly_now();
	if (reader_drain(r, n, &folded, &code, err, sizeof(err)) == -1)
		goto fail;
	spent = foldonly_now() - start;
	printf("fold-only %llu events %d a batch %.3f s %.0f ev/s\n",
	    (unsigned long long)n, batch, spent, (double)n / spent);
	reader_free(r);
	feed_close(feed);
	fold_close(f);
	db_close(d);
	plugin_free(pl);
	db_unlink(path, err, sizeof(err));
	free(fo.msgs);
	free(fo.arena);
	return 0;
fail:
	fprintf(stderr, "foldonly: %s\n", err);
	reader_free(r);
	feed_close(feed);
	fold_close(f);
	db_close(d);
	plugin_free(pl);
	free(fo.msgs);
	free(fo.arena);
	return 1;
}
