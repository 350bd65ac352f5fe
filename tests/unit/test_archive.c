/*
 * test_archive.c: the event archive (src/archive.c) on real SQLite files in
 * a temp dir: appending in a trickle and in batches, reading back in order
 * across blocks and the tail, redeliveries, holes, counts, figures, a
 * reader beside the writer, and a damaged block named and never read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "archive.h"
#include "db.h"
#include "tmp.h"

struct fx {
	char		 dir[256];
	char		 path[300];
	struct archive	*a;
	char		 subject[64];
	char		 payload[512];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	if (f == NULL || tmp_dir("test_archive", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/a.db-archive", f->dir);
	if (archive_open(f->path, 0, NULL, &f->a, err, sizeof(err)) !=
	    ARCHIVE_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	archive_close(f->a);
	if (getenv("KEEP") == NULL)
		tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/*
 * The message of sequence seq, the same every time it is asked for: a
 * subject and a JSON-ish payload whose size varies with seq.
 */
static struct archive_rec
msg(struct fx *f, uint64_t seq)
{
	struct archive_rec r;
	int n;

	snprintf(f->subject, sizeof(f->subject),
	    "v0.rust.servers.%llu.events.started", (unsigned long long)(seq % 7));
	n = snprintf(f->payload, sizeof(f->payload), "{\"seq\":%llu,\"pad\":\"",
	    (unsigned long long)seq);
	while (n < (int)(seq % 300) + 40)
		f->payload[n++] = (char)('a' + seq % 26);
	n += snprintf(f->payload + n, sizeof(f->payload) - (size_t)n, "\"}");
	r.seq = seq;
	r.stored_ms = 1700000000000 + (int64_t)seq * 10;
	r.subject = f->subject;
	r.subject_len = strlen(f->subject);
	r.payload = f->payload;
	r.payload_len = (size_t)n;
	return r;
}

/* Appends seq from to to (step apart) in batches of per messages. */
static void
append_range(struct fx *f, uint64_t from, uint64_t to, uint64_t step,
    size_t per)
{
	struct archive_rec *recs = calloc(per, sizeof(*recs));
	char (*subjects)[64] = calloc(per, 64);
	char (*payloads)[512] = calloc(per, 512);
	char err[512];
	uint64_t seq = from;
	size_t n;

	assert_non_null(recs);
	while (seq <= to) {
		for (n = 0; n < per && seq <= to; n++, seq += step) {
			recs[n] = msg(f, seq);
			memcpy(subjects[n], recs[n].subject, recs[n].subject_len);
			memcpy(payloads[n], recs[n].payload, recs[n].payload_len);
			recs[n].subject = subjects[n];
			recs[n].payload = payloads[n];
		}
		if (archive_append(f->a, recs, n, err, sizeof(err)) !=
		    ARCHIVE_OK)
			fail_msg("%s", err);
	}
	free(payloads);
	free(subjects);
	free(recs);
}

/*
 * Reads a from after after, batch at a time, and checks that the messages
 * that come are those of from to to (step apart), exactly, in order, each a
 * C string too, until to.
 */
static void
read_back(struct fx *f, struct archive *a, uint64_t after, uint64_t from,
    uint64_t to, uint64_t step, size_t batch)
{
	const struct archive_rec *recs;
	struct archive_rec want;
	uint64_t mark, seq = from;
	size_t i, n;
	char err[512];

	for (;;) {
		if (archive_read(a, after, batch, &recs, &n, &mark, err,
		    sizeof(err)) != ARCHIVE_OK)
			fail_msg("%s", err);
		if (n == 0)
			break;
		assert_true(n <= batch);
		for (i = 0; i < n && seq <= to; i++, seq += step) {
			want = msg(f, seq);
			assert_int_equal(recs[i].seq, seq);
			assert_int_equal(recs[i].stored_ms, want.stored_ms);
			assert_int_equal(recs[i].subject_len, want.subject_len);
			assert_memory_equal(recs[i].subject, want.subject,
			    want.subject_len);
			assert_int_equal(recs[i].subject[recs[i].subject_len], 0);
			assert_int_equal(recs[i].payload_len, want.payload_len);
			assert_memory_equal(recs[i].payload, want.payload,
			    want.payload_len);
		}
		if (seq > to)
			break;
		after = recs[n - 1].seq;
	}
	assert_true(seq > to && seq <= to + step);
}

static uint64_t
count_rows(struct fx *f, const char *table)
{
	char sql[128], err[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t n = 0;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(db_open_readonly(f->path, &db, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Moves the -wal into the file and truncates it, as a last close does. */
static void
checkpoint(struct fx *f)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A trickle of one message a batch stays in the tail until it fills. */
static void
test_trickle(void **state)
{
	struct fx *f = *state;
	struct archive_stat st;
	char err[512];

	append_range(f, 1, 50, 1, 1);
	assert_int_equal(count_rows(f, "archive_blocks"), 0);
	assert_int_equal(count_rows(f, "archive_tail"), 50);
	read_back(f, f->a, 0, 1, 50, 1, 7);
	read_back(f, f->a, 20, 21, 50, 1, 100);
	assert_int_equal(archive_stat(f->a, &st, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(st.mark, 50);
	assert_int_equal(st.first_seq, 1);
	assert_int_equal(st.last_seq, 50);
	assert_int_equal(st.messages, 50);
	assert_int_equal(st.blocks, 0);
	/* Enough to fill blocks, still one at a time: packed as they come. */
	append_range(f, 51, 3000, 1, 1);
	assert_true(count_rows(f, "archive_blocks") >= 2);
	assert_true(count_rows(f, "archive_tail") < 1000);
	read_back(f, f->a, 0, 1, 3000, 1, 1000);
}

/*
 * Batches of every size, sequences with gaps (a subject filter): read back
 * from any point, counted exactly; the figures add up.
 */
static void
test_batches(void **state)
{
	struct fx *f = *state;
	struct archive_stat st;
	uint64_t n, after;
	char err[512];

	append_range(f, 1, 20000, 3, 1000);
	append_range(f, 20002, 30000, 3, 1);
	append_range(f, 30001, 40000, 1, 5000);
	read_back(f, f->a, 0, 1, 20000, 3, 5000);
	read_back(f, f->a, 30000, 30001, 40000, 1, 999);
	read_back(f, f->a, 1000, 1003, 20000, 3, 64);
	for (after = 0; after <= 40000; after += 4999) {
		uint64_t want = 0, s;

		for (s = 1; s <= 20000; s += 3)
			want += s > after;
		for (s = 20002; s <= 30000; s += 3)
			want += s > after;
		for (s = 30001; s <= 40000; s++)
			want += s > after;
		assert_int_equal(archive_count(f->a, after, &n, err,
		    sizeof(err)), ARCHIVE_OK);
		assert_int_equal(n, want);
	}
	checkpoint(f);
	assert_int_equal(archive_stat(f->a, &st, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(st.mark, 40000);
	assert_int_equal(st.first_seq, 1);
	assert_int_equal(st.last_seq, 40000);
	assert_int_equal(st.messages, 6667 + 3333 + 10000);
	assert_true(st.blocks > 10);
	/* The test's payloads are mostly one letter: they pack well. */
	assert_true(st.file_bytes > 0 && st.raw_bytes > 3 * st.file_bytes);
	assert_int_equal(st.wal_bytes, 0);
	assert_int_equal(st.holes, 0);
}

/* A redelivered batch adds nothing; a batch half old adds the rest. */
static void
test_redelivery(void **state)
{
	struct fx *f = *state;
	uint64_t mark;
	char err[512];

	append_range(f, 1, 3000, 1, 500);
	append_range(f, 1, 3000, 1, 250);
	append_range(f, 2900, 3500, 1, 400);
	assert_int_equal(archive_mark(f->a, &mark, err, sizeof(err)),
	    ARCHIVE_OK);
	assert_int_equal(mark, 3500);
	read_back(f, f->a, 0, 1, 3500, 1, 5000);
}

/* Lost sequences become a hole; the mark moves past it. */
static void
test_holes(void **state)
{
	struct fx *f = *state;
	struct archive_hole h[4];
	struct archive_stat st;
	uint64_t missing, mark;
	size_t n;
	char err[512];

	append_range(f, 1, 100, 1, 10);
	assert_int_equal(archive_lost(f->a, 250, err, sizeof(err)), ARCHIVE_OK);
	/* At or below the mark: nothing to record. */
	assert_int_equal(archive_lost(f->a, 200, err, sizeof(err)), ARCHIVE_OK);
	append_range(f, 251, 300, 1, 10);
	assert_int_equal(archive_lost(f->a, 400, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(archive_mark(f->a, &mark, err, sizeof(err)),
	    ARCHIVE_OK);
	assert_int_equal(mark, 400);
	assert_int_equal(archive_holes(f->a, 1, 400, h, 4, &n, &missing, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].from_seq, 101);
	assert_int_equal(h[0].to_seq, 250);
	assert_int_equal(h[1].from_seq, 301);
	assert_int_equal(h[1].to_seq, 400);
	assert_int_equal(missing, 150 + 100);
	/* Cut to the range asked for; counted even when not listed. */
	assert_int_equal(archive_holes(f->a, 200, 350, h, 1, &n, &missing, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].from_seq, 200);
	assert_int_equal(h[0].to_seq, 250);
	assert_int_equal(missing, 51 + 50);
	assert_int_equal(archive_holes(f->a, 251, 300, h, 4, &n, &missing, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(missing, 0);
	assert_int_equal(archive_stat(f->a, &st, err, sizeof(err)), ARCHIVE_OK);
	assert_int_equal(st.holes, 2);
	assert_int_equal(st.missing, 250);
	/* Reading skips the holes. */
	read_back(f, f->a, 0, 1, 100, 1, 1000);
	read_back(f, f->a, 100, 251, 300, 1, 1000);
}

/* A reader beside the writer sees each committed state. */
static void
test_reader(void **state)
{
	struct fx *f = *state;
	struct archive *r;
	uint64_t mark;
	const struct archive_rec *recs;
	size_t n;
	char err[512];

	assert_int_equal(archive_open(f->path, 1, NULL, &r, err, sizeof(err)),
	    ARCHIVE_OK);
	assert_int_equal(archive_read(r, 0, 10, &recs, &n, &mark, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(mark, 0);
	append_range(f, 1, 5000, 1, 700);
	read_back(f, r, 0, 1, 5000, 1, 333);
	append_range(f, 5001, 5100, 1, 1);
	read_back(f, r, 5000, 5001, 5100, 1, 10);
	/* A reader cannot write. */
	assert_int_not_equal(archive_lost(r, 9000, err, sizeof(err)),
	    ARCHIVE_OK);
	archive_close(r);
}

/* A flipped byte in a block: named by its range, never read. */
static void
test_damaged(void **state)
{
	struct fx *f = *state;
	const struct archive_rec *recs;
	struct archive *r;
	sqlite3 *db;
	uint64_t first = 0, last = 0, mark, n64;
	size_t n;
	char err[512], want[128];

	append_range(f, 1, 6000, 1, 1000);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE archive_blocks SET block ="
	    " substr(block, 1, 100) || x'5a' || substr(block, 102)"
	    " WHERE first_seq = (SELECT first_seq FROM archive_blocks"
	    " ORDER BY first_seq LIMIT 1 OFFSET 1)", NULL, NULL, NULL),
	    SQLITE_OK);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT first_seq,"
		    " last_seq FROM archive_blocks ORDER BY first_seq LIMIT 1"
		    " OFFSET 1", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		first = (uint64_t)sqlite3_column_int64(st, 0);
		last = (uint64_t)sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	assert_int_equal(archive_open(f->path, 1, NULL, &r, err, sizeof(err)),
	    ARCHIVE_OK);
	/* The first block reads; the second is refused, by name. */
	assert_int_equal(archive_read(r, 0, 100000, &recs, &n, &mark, err,
	    sizeof(err)), ARCHIVE_OK);
	assert_int_equal(recs[n - 1].seq, first - 1);
	assert_int_equal(archive_read(r, first - 1, 10, &recs, &n, &mark, err,
	    sizeof(err)), ARCHIVE_EDAMAGED);
	snprintf(want, sizeof(want), "the block of seq %llu to %llu is damaged",
	    (unsigned long long)first, (unsigned long long)last);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' does not say '%s'", err, want);
	assert_int_equal(archive_count(r, 0, &n64, err, sizeof(err)),
	    ARCHIVE_OK);
	assert_int_equal(archive_count(r, first + 1, &n64, err, sizeof(err)),
	    ARCHIVE_EDAMAGED);
	/* Past it, the rest still reads. */
	read_back(f, r, last, last + 1, 6000, 1, 1000);
	archive_close(r);
}

/* Not an archive: a database of another kind is refused, read-only. */
static void
test_not_an_archive(void **state)
{
	struct fx *f = *state;
	struct archive *r = NULL;
	char path[400], err[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(archive_open(path, 1, NULL, &r, err, sizeof(err)),
	    ARCHIVE_ERROR);
	assert_null(r);
	if (strstr(err, "is not an archive") == NULL)
		fail_msg("%s", err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trickle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redelivery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_archive, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
