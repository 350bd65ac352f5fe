/*
 * test_history_damage.c: what happens to the archive (history.h).
 *
 * - A flipped byte in a block: `replay`, `verify` and `archive export`
 *   name the block (its sequence range) and exit 65; the live view stays
 *   as it was; nothing of the damaged block is folded.
 * - The archive file deleted under a live database whose stream still
 *   holds everything: the next `run` fills it in again from the stream,
 *   every event once, without folding anything twice.
 * - The same on a stream that has forgotten its beginning: the next `run`
 *   records what the stream no longer holds as a hole and says so; the
 *   archive's figures show it; `replay` then refuses (78).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "history.h"
#include "itest.h"
#include "views.h"

#define DAMAGE_EVENTS	6000
#define DAMAGE_SEED	21
#define DAMAGE_MAX	2000	/* the forgetful stream's limit */

#define EXIT_DATAERR	65
#define EXIT_CONFIG	78

/* Both accounts fold every event (no limit: max 0), then stop. */
static json_t *
folded(struct history_fx *h, int64_t max_msgs)
{
	history_fx_start(h, DAMAGE_EVENTS, DAMAGE_SEED, max_msgs, 0);
	itest_fx_start_projector(h->f);
	history_fx_publish(h, 1, DAMAGE_EVENTS);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
	return itest_fx_snapshot(h->db_archive);
}

static long long
query(const char *db, const char *sql)
{
	long long v = itest_query_int(db, sql);

	if (v < 0)
		fail_msg("%s: %s: no answer", db, sql);
	return v;
}

/* One flipped byte in the third block: named, never folded. */
static void
test_history_damaged_block(void **state)
{
	struct history_fx *h = *state;
	char want[128], err[1024];
	long long first, last;
	json_t *ref;

	ref = folded(h, 0);
	first = query(h->archive, "SELECT first_seq FROM archive_blocks"
	    " ORDER BY first_seq LIMIT 1 OFFSET 2");
	last = query(h->archive, "SELECT last_seq FROM archive_blocks"
	    " ORDER BY first_seq LIMIT 1 OFFSET 2");
	views_fx_plant(h->archive, "UPDATE archive_blocks SET block ="
	    " substr(block, 1, 1000) || x'a5' || substr(block, 1002)"
	    " WHERE first_seq = (SELECT first_seq FROM archive_blocks"
	    " ORDER BY first_seq LIMIT 1 OFFSET 2)");
	snprintf(want, sizeof(want), "the block of seq %lld to %lld is"
	    " damaged", first, last);

	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL), EXIT_DATAERR);
	history_fx_assert_said(h, "rebuild failed", want);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("the live view changed: %s", err);
	assert_int_equal(itest_fx_run(h->f, "verify", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL),
	    EXIT_DATAERR);
	history_fx_assert_said(h, "verify " HISTORY_ARCHIVE, want);
	/* Export writes what comes before the block, then stops there. */
	assert_int_equal(itest_fx_run(h->f, "archive", "export", "-c",
	    h->f->config, "--account", HISTORY_ARCHIVE, NULL), EXIT_DATAERR);
	history_fx_assert_said(h, "archive export", want);
	assert_int_equal(itest_log_count(h->f->out, "\"seq\":", NULL),
	    first - 1);
	/* The live worker reads no block: it goes on from its checkpoint. */
	assert_int_equal(itest_fx_run(h->f, "run", "--once", "-c",
	    h->f->config, NULL), 0);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("the live view changed: %s", err);
	json_decref(ref);
}

/* Removes the archive of ga-1, with its -wal and -shm. */
static void
remove_archive(struct history_fx *h)
{
	char err[512];

	if (db_unlink(h->archive, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(access(h->archive, F_OK), -1);
}

/*
 * The archive deleted, the stream whole: filled in again, every event
 * once; the view is not folded twice.
 */
static void
test_history_archive_refilled(void **state)
{
	struct history_fx *h = *state;
	char err[1024];
	json_t *ref;

	ref = folded(h, 0);
	remove_archive(h);
	assert_int_equal(itest_fx_run(h->f, "run", "--once", "-c",
	    h->f->config, NULL), 0);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(history_mark(h->archive), DAMAGE_EVENTS);
	assert_int_equal(query(h->archive, "SELECT count(*) FROM"
	    " archive_holes"), 0);
	history_fx_assert_archive(h->f, h->f->config, HISTORY_ARCHIVE,
	    DAMAGE_EVENTS);
	/* And it serves: a replay from it is the same view. */
	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL), 0);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	json_decref(ref);
}

/*
 * The archive deleted, the stream limited: what it no longer holds is a
 * hole, said once, counted in status; a replay refuses the hole.
 */
static void
test_history_archive_hole(void **state)
{
	struct history_fx *h = *state;
	char range[128], err[1024];
	json_t *ref, *ar;
	int lost = DAMAGE_EVENTS - DAMAGE_MAX;

	ref = folded(h, DAMAGE_MAX);
	remove_archive(h);
	assert_int_equal(itest_fx_run(h->f, "run", "--once", "-c",
	    h->f->config, NULL), 0);
	snprintf(range, sizeof(range), "missing_to=%d", lost);
	assert_int_equal(itest_log_count(h->f->err, "the archive lacks events",
	    "missing_from=1", range, NULL), 1);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(history_mark(h->archive), DAMAGE_EVENTS);

	ar = history_fx_archive_status(h, HISTORY_ARCHIVE);
	assert_int_equal(json_integer_value(json_object_get(ar, "holes")), 1);
	assert_int_equal(json_integer_value(json_object_get(ar, "missing")),
	    lost);
	assert_int_equal(json_integer_value(json_object_get(ar, "first_seq")),
	    lost + 1);
	assert_int_equal(json_integer_value(json_object_get(ar, "messages")),
	    DAMAGE_MAX);
	json_decref(ar);

	snprintf(range, sizeof(range), "seq 1 to %d", lost);
	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL), EXIT_CONFIG);
	history_fx_assert_said(h, "rebuild failed", range);
	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	json_decref(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_damaged_block,
		    history_fx_setup, history_fx_teardown),
		cmocka_unit_test_setup_teardown(test_history_archive_refilled,
		    history_fx_setup, history_fx_teardown),
		cmocka_unit_test_setup_teardown(test_history_archive_hole,
		    history_fx_setup, history_fx_teardown),
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
