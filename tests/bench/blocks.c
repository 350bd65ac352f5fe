/*
 * blocks.c: the archive's block codec (src/archive_block.h) on the
 * benchmark's event mix: compression ratio, packing and unpacking speed for
 * each zstd level and block size, the numbers behind ARCHIVE_BLOCK_LEVEL and
 * ARCHIVE_BLOCK_TARGET_RAW.
 *
 *	build/bench/blocks [-n EVENTS] [-s SEED] [-f]
 *
 * Events come from gen.c (the seed and sizes of `make bench`), numbered
 * 1, 2, ... (-f: with gaps of 0-2, as a consumer's subject filter leaves
 * them), each stored 0-19 ms after the one before. Blocks are cut the way
 * the archive cuts them: a record more while the content is below the
 * target. ratio = subject and payload bytes / block bytes (headers
 * included); pack MB/s counts subject and payload bytes; unpack counts
 * records, each touched once; workspace is what archive_block_footprint()
 * says after both. Times are the best of three passes, since the machine
 * is shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_block.h"
#include "gen.h"

#define BLOCKS_PASSES	3

static const int blocks_level[] = { 1, 3, 6, 9 };
static const size_t blocks_size[] = { 64 * 1024, 256 * 1024, 1024 * 1024 };

struct blocks_run {
	struct archive_rec	*recs;
	char			*arena;	/* their subjects and payloads */
	size_t			 n;
	size_t			 bytes;	/* subjects and payloads */
	unsigned char		*store;	/* the packed blocks, back to back */
	size_t			*end;	/* per block: its end in store */
	size_t			*first;	/* per block: its first record */
	size_t			 nblocks;
};

static double
blocks_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
blocks_die(const char *what, const char *err)
{
	fprintf(stderr, "blocks: %s: %s\n", what, err);
	exit(1);
}

/* Generates n events into run->recs, their bytes in one arena. */
static void
blocks_generate(struct blocks_run *run, size_t n, uint64_t seed, int gaps)
{
	struct wire_event ev;
	struct gen *g;
	char *p;
	uint64_t seq = 0, rng = seed;
	int64_t ms = 1793534400000LL;
	size_t i;

	if ((g = gen_new(seed, GEN_DEFAULT_SERVERS, GEN_DEFAULT_PLAYERS)) ==
	    NULL || (run->recs = calloc(n, sizeof(*run->recs))) == NULL ||
	    (p = run->arena = malloc(n * (WIRE_SUBJECT_MAX +
	    WIRE_PAYLOAD_MAX))) == NULL)
		blocks_die("generate", "out of memory");
	for (i = 0; i < n; i++) {
		gen_next(g, &ev);
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		ms += (int64_t)(rng >> 33) % 20;
		seq += gaps ? 1 + (rng >> 40) % 3 : 1;
		run->recs[i].seq = seq;
		run->recs[i].stored_ms = ms;
		run->recs[i].subject = p;
		run->recs[i].subject_len = strlen(ev.subject);
		memcpy(p, ev.subject, run->recs[i].subject_len);
		p += run->recs[i].subject_len;
		run->recs[i].payload = p;
		run->recs[i].payload_len = ev.len;
		memcpy(p, ev.payload, ev.len);
		p += ev.len;
		run->bytes += run->recs[i].subject_len + ev.len;
	}
	run->n = n;
	gen_free(g);
}

/* Packs every block at level; returns the best pass's seconds. */
static double
blocks_pack(struct blocks_run *run, struct archive_block *b, int level,
    size_t target)
{
	const void *out;
	size_t i, j, raw, outlen, at;
	double best = 0, t;
	char err[256];
	int pass;

	for (pass = 0; pass < BLOCKS_PASSES; pass++) {
		run->nblocks = at = 0;
		t = blocks_now();
		for (i = 0; i < run->n; i = j) {
			for (j = i, raw = 0; j < run->n && raw < target; j++)
				raw += run->recs[j].subject_len +
				    run->recs[j].payload_len +
				    ARCHIVE_BLOCK_REC_OVERHEAD;
			if (archive_block_pack(b, run->recs + i, j - i, level,
			    &out, &outlen, err, sizeof(err)) == -1)
				blocks_die("pack", err);
			memcpy(run->store + at, out, outlen);
			at += outlen;
			run->first[run->nblocks] = i;
			run->end[run->nblocks++] = at;
		}
		t = blocks_now() - t;
		if (pass == 0 || t < best)
			best = t;
	}
	return best;
}

/* Unpacks every block once: the records must come back as they were. */
static void
blocks_check(struct blocks_run *run, struct archive_block *b)
{
	const struct archive_rec *recs, *want;
	size_t i, k, n, start;
	char err[256];

	for (i = 0, start = 0; i < run->nblocks; start = run->end[i++]) {
		if (archive_block_unpack(b, run->store + start,
		    run->end[i] - start, &recs, &n, err, sizeof(err)) == -1)
			blocks_die("unpack", err);
		for (k = 0; k < n; k++) {
			want = &run->recs[run->first[i] + k];
			if (recs[k].seq != want->seq ||
			    recs[k].stored_ms != want->stored_ms ||
			    recs[k].payload_len != want->payload_len ||
			    memcmp(recs[k].payload, want->payload,
			    want->payload_len) != 0)
				blocks_die("unpack", "records differ");
		}
	}
}

/* Unpacks every block, touching each record; returns the best seconds. */
static double
blocks_unpack(struct blocks_run *run, struct archive_block *b)
{
	const struct archive_rec *recs;
	size_t i, k, n, start;
	double best = 0, t;
	char err[256];
	int pass;

	blocks_check(run, b);
	for (pass = 0; pass < BLOCKS_PASSES; pass++) {
		uint64_t sum = 0;

		t = blocks_now();
		for (i = 0, start = 0; i < run->nblocks;
		    start = run->end[i++]) {
			if (archive_block_unpack(b, run->store + start,
			    run->end[i] - start, &recs, &n, err,
			    sizeof(err)) == -1)
				blocks_die("unpack", err);
			for (k = 0; k < n; k++)
				sum += recs[k].seq + recs[k].payload_len +
				    (unsigned char)recs[k].subject[0];
		}
		t = blocks_now() - t;
		if (pass == 0 || t < best)
			best = t;
		if (sum == 0)
			blocks_die("unpack", "no records");
	}
	return best;
}

int
main(int argc, char **argv)
{
	struct blocks_run run;
	struct archive_block *b;
	size_t n = 300000, l, s;
	uint64_t seed = 1;
	double tp, tu;
	char err[256];
	int c, gaps = 0;

	while ((c = getopt(argc, argv, "n:s:f")) != -1)
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'f': gaps = 1; break;
		default:
			fprintf(stderr, "usage: blocks [-n EVENTS] [-s SEED] "
			    "[-f]\n");
			return 64;
		}
	if (n == 0)
		blocks_die("-n", "at least one event");
	memset(&run, 0, sizeof(run));
	blocks_generate(&run, n, seed, gaps);
	/* Room for every block even if nothing compressed. */
	if ((run.store = malloc(run.bytes + n * ARCHIVE_BLOCK_REC_OVERHEAD +
	    n * 64 + 1024 * 1024)) == NULL ||
	    (run.end = calloc(n, sizeof(*run.end))) == NULL ||
	    (run.first = calloc(n, sizeof(*run.first))) == NULL)
		blocks_die("store", "out of memory");
	printf("%zu events%s, %.1f MB of subjects and payloads, %.1f bytes "
	    "an event\n", n, gaps ? " (gaps)" : "", (double)run.bytes / 1e6,
	    (double)run.bytes / (double)n);
	printf("%-8s %5s %7s %7s %10s %14s %10s\n", "block", "level", "blocks",
	    "ratio", "pack MB/s", "unpack rec/s", "workspace");
	for (s = 0; s < sizeof(blocks_size) / sizeof(blocks_size[0]); s++)
		for (l = 0; l < sizeof(blocks_level) / sizeof(blocks_level[0]);
		    l++) {
			/* A fresh one each time, to show what each needs. */
			if (archive_block_new(&b, err, sizeof(err)) == -1)
				blocks_die("archive_block_new", err);
			tp = blocks_pack(&run, b, blocks_level[l],
			    blocks_size[s]);
			tu = blocks_unpack(&run, b);
			printf("%4zu KiB %5d %7zu %6.2fx %10.0f %14.0f %6zu KiB"
			    "\n", blocks_size[s] / 1024, blocks_level[l],
			    run.nblocks, (double)run.bytes /
			    (double)run.end[run.nblocks - 1],
			    (double)run.bytes / 1e6 / tp, (double)n / tu,
			    archive_block_footprint(b) / 1024);
			fflush(stdout);
			archive_block_free(b);
		}
	free(run.store);
	free(run.end);
	free(run.first);
	free(run.recs);
	free(run.arena);
	return 0;
}
