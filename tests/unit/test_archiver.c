/*
 * test_archiver.c: the archive's thread (src/archiver.c) on a real archive
 * file: a batch handed over is appended by the time its result is
 * collected, batches follow one another in order, a failure comes back
 * with its reason, and freeing waits for a batch still out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archiver.h"
#include "tmp.h"

#define BATCH	500

struct fx {
	char			 dir[256];
	char			 path[300];
	struct archive		*a;
	struct archiver		*ar;
	struct archive_rec	 recs[2][BATCH];
	char			 payload[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	if (f == NULL || tmp_dir("test_archiver", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/a.db-archive", f->dir);
	if (archive_open(f->path, 0, NULL, &f->a, err, sizeof(err)) !=
	    ARCHIVE_OK || archiver_new(f->a, &f->ar, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(f->payload, sizeof(f->payload), "{\"kind\":\"started\"}");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	archiver_free(f->ar);
	archive_close(f->a);
	if (getenv("KEEP") == NULL)
		tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/* Fills slot k with the messages first to first + BATCH - 1. */
static struct archive_rec *
batch(struct fx *f, int k, uint64_t first)
{
	size_t i;

	for (i = 0; i < BATCH; i++) {
		struct archive_rec *r = &f->recs[k][i];

		r->seq = first + i;
		r->stored_ms = 1700000000000 + (int64_t)r->seq;
		r->subject = "v0.rust.servers.1.events.started";
		r->subject_len = strlen(r->subject);
		r->payload = f->payload;
		r->payload_len = strlen(f->payload);
	}
	return f->recs[k];
}

/* The archive's mark and message count, read as another reader would. */
static void
assert_archive(struct fx *f, uint64_t mark, uint64_t messages)
{
	struct archive *ro;
	struct archive_stat st;
	char err[512];

	assert_int_equal(archive_open(f->path, 1, NULL, &ro, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(archive_stat(ro, &st, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(st.mark, mark);
	assert_int_equal(st.messages, messages);
	archive_close(ro);
}

/* Collected with nothing out: OK, twice. */
static void
test_nothing_out(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_archive(f, 0, 0);
}

/* Appended by the time the result is collected; collected once. */
static void
test_batch(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	archiver_submit(f->ar, batch(f, 0, 1), BATCH);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_archive(f, BATCH, BATCH);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
}

/*
 * Batches small enough to be appended at once (a live trickle), between
 * large ones the thread appends: all of them, in order; a small one the
 * archive refuses comes back as an error too.
 */
static void
test_small(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	uint64_t seq;

	for (seq = 1; seq <= 100; seq++) {
		archiver_submit(f->ar, batch(f, 0, seq), 1);
		assert_int_equal(archiver_wait(f->ar, err, sizeof(err)),
		    ARCHIVE_OK);
	}
	archiver_submit(f->ar, batch(f, 1, 101), BATCH);
	archiver_submit(f->ar, batch(f, 0, 101 + BATCH), 3);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_archive(f, 103 + BATCH, 103 + BATCH);
	/* Already archived: handed over again, it is not added twice. */
	archiver_submit(f->ar, batch(f, 0, 1), 1);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_archive(f, 103 + BATCH, 103 + BATCH);
}

/*
 * A batch handed over while one is out waits for it: both are appended,
 * in order, and the result collected is the second's.
 */
static void
test_one_after_another(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	uint64_t first = 1;
	int k;

	for (k = 0; k < 40; k++, first += BATCH)
		archiver_submit(f->ar, batch(f, k % 2, first), BATCH);
	assert_int_equal(archiver_wait(f->ar, err, sizeof(err)), ARCHIVE_OK);
	assert_archive(f, 40 * BATCH, 40 * BATCH);
}

/*
 * A batch the archive refuses (a read-only archive) comes back as an
 * error with the archive's reason, large or small.
 */
static void
test_failure(void **state)
{
	struct fx *f = *state;
	struct archive *ro;
	struct archiver *ar;
	char err[512] = "";

	assert_int_equal(archive_open(f->path, 1, NULL, &ro, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(archiver_new(ro, &ar, err, sizeof(err)), 0);
	archiver_submit(ar, batch(f, 0, 1), BATCH);
	assert_int_equal(archiver_wait(ar, err, sizeof(err)), ARCHIVE_ERROR);
	assert_non_null(strstr(err, "read-only"));
	archiver_submit(ar, batch(f, 0, 1), 1);
	assert_int_equal(archiver_wait(ar, err, sizeof(err)), ARCHIVE_ERROR);
	assert_non_null(strstr(err, "read-only"));
	archiver_free(ar);
	archive_close(ro);
	assert_archive(f, 0, 0);
}

/* Freed with a batch out: it is appended first. */
static void
test_free_waits(void **state)
{
	struct fx *f = *state;

	archiver_submit(f->ar, batch(f, 0, 1), BATCH);
	archiver_free(f->ar);
	f->ar = NULL;
	assert_archive(f, BATCH, BATCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_out, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_after_another, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_waits, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
