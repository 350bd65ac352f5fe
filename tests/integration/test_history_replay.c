/*
 * test_history_replay.c: history outlives the stream (the event archive).
 *
 * A stream limited to its last HISTORY_MAX messages, HISTORY_EVENTS
 * generated events published in bursts while `run` keeps up (history.h),
 * two accounts folding it: ga-1 with its archive, ga-2 without. Once the
 * stream has discarded most of them:
 * - `replay` of ga-1 rebuilds exactly the view the live run made over
 *   every event, from the archive; `verify` says equal; so does a version
 *   rebuild; status shows the archive;
 * - ga-2 (archive: false) refuses: `replay` and `verify` exit 78 naming
 *   the missing range and change nothing; a version rebuild keeps the old
 *   view, marks the projection failed with the reason, the others live;
 *   `replay --accept-gap` rebuilds from what the stream holds and counts
 *   the rest in gap_events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "history.h"
#include "itest.h"
#include "projections.h"
#include "views.h"

#define HISTORY_EVENTS	15000
#define HISTORY_MAX	4000
#define HISTORY_SEED	9

#define EXIT_DATAERR	65
#define EXIT_CONFIG	78

/* The views of both accounts equal ref. */
static void
assert_views(struct history_fx *h, const json_t *ref)
{
	char err[1024];

	if (itest_diff(h->db_archive, ref, err, sizeof(err)) == -1)
		fail_msg("ga-1: %s", err);
	if (itest_diff(h->db_noarchive, ref, err, sizeof(err)) == -1)
		fail_msg("ga-2: %s", err);
}

/* Both accounts folded every event live; the stream then forgot most. */
static json_t *
forgetful_stream(struct history_fx *h)
{
	uint64_t first, last;
	json_t *ref;

	history_fx_start(h, HISTORY_EVENTS, HISTORY_SEED, HISTORY_MAX, 0);
	itest_fx_start_projector(h->f);
	history_fx_publish(h, 1, HISTORY_EVENTS);
	itest_fx_stop_projector(h->f, ITEST_STOP_MS);
	history_fx_stream(h, &first, &last);
	assert_int_equal(last, HISTORY_EVENTS);
	assert_int_equal(first, HISTORY_EVENTS - HISTORY_MAX + 1);
	ref = itest_fx_snapshot(h->db_archive);
	assert_views(h, ref);
	return ref;
}

/* status shows ga-1's archive holding every event, and no ga-2's. */
static void
assert_archive_status(struct history_fx *h)
{
	json_t *ar;

	ar = history_fx_archive_status(h, HISTORY_NOARCHIVE);
	assert_true(json_is_null(ar));
	json_decref(ar);
	ar = history_fx_archive_status(h, HISTORY_ARCHIVE);
	assert_int_equal(json_integer_value(json_object_get(ar, "first_seq")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(ar, "last_seq")),
	    HISTORY_EVENTS);
	assert_int_equal(json_integer_value(json_object_get(ar, "messages")),
	    HISTORY_EVENTS);
	assert_int_equal(json_integer_value(json_object_get(ar, "holes")), 0);
	assert_true(json_real_value(json_object_get(ar, "ratio")) > 1.0);
	print_message("archive: %lld messages, %lld bytes of events in %lld"
	    " bytes, ratio %.2f\n",
	    (long long)json_integer_value(json_object_get(ar, "messages")),
	    (long long)json_integer_value(json_object_get(ar, "raw_bytes")),
	    (long long)json_integer_value(json_object_get(ar, "file_bytes")),
	    json_real_value(json_object_get(ar, "ratio")));
	json_decref(ar);
}

/*
 * replay and verify of ga-1 from its archive: exactly the live view; of
 * ga-2 without one: refused with the range, nothing changed; on purpose
 * with --accept-gap, what the stream holds, counted.
 */
static void
test_history_replay(void **state)
{
	struct history_fx *h = *state;
	char range[128];
	json_t *ref;

	ref = forgetful_stream(h);
	assert_archive_status(h);
	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL), 0);
	history_fx_assert_said(h, "rebuild swapped in",
	    "account=" HISTORY_ARCHIVE);
	assert_views(h, ref);
	assert_int_equal(itest_fx_run(h->f, "verify", "--account",
	    HISTORY_ARCHIVE, "-c", h->f->config, NULL), 0);
	assert_int_equal(itest_log_count(h->f->out, "equal to a rebuild", NULL),
	    3);

	/* No archive: the stream alone no longer holds seq 1 on. */
	snprintf(range, sizeof(range), "seq 1 to %d",
	    HISTORY_EVENTS - HISTORY_MAX);
	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--account",
	    HISTORY_NOARCHIVE, "-c", h->f->config, NULL), EXIT_CONFIG);
	history_fx_assert_said(h, "rebuild failed", range);
	history_fx_assert_said(h, "rebuild failed", "--accept-gap");
	assert_views(h, ref);
	assert_int_equal(itest_query_int(h->db_noarchive, "SELECT count(*)"
	    " FROM projector_status WHERE last_seq = " "15000"), 3);
	assert_int_equal(itest_fx_run(h->f, "verify", "--account",
	    HISTORY_NOARCHIVE, "-c", h->f->config, NULL),
	    EXIT_CONFIG);
	history_fx_assert_said(h, "verify " HISTORY_NOARCHIVE, range);
	assert_views(h, ref);

	/* On purpose: what the stream still holds,
	    and the count of the rest. */
	assert_int_equal(itest_fx_run(h->f, "replay", "--once", "--accept-gap",
	    "--account",
	    HISTORY_NOARCHIVE, "-c", h->f->config, NULL), 0);
	assert_int_equal(itest_query_int(h->db_noarchive, "SELECT value FROM"
	    " projector_meta WHERE key = 'gap_events'"),
	    HISTORY_EVENTS - HISTORY_MAX);
	assert_int_equal(itest_last_seq(h->db_noarchive), HISTORY_EVENTS);
	if (itest_diff(h->db_noarchive, ref, range, sizeof(range)) == 0)
		fail_msg("a view of the last %d events equals the whole one",
		    HISTORY_MAX);
	/* ga-1 was never touched by any of it. */
	if (itest_diff(h->db_archive, ref, range, sizeof(range)) == -1)
		fail_msg("ga-1: %s", range);
	json_decref(ref);
}

/*
 * A version change rebuilds in the background from the archive (ga-1),
 * exactly; without one (ga-2) it cannot: the old view keeps serving, the
 * projection is failed with the reason, the others fold on.
 */
static void
test_history_version_rebuild(void **state)
{
	struct history_fx *h = *state;
	char sql[512], range[128];
	json_t *ref;

	ref = forgetful_stream(h);
	snprintf(sql, sizeof(sql), "UPDATE projector_status SET version = %d"
	    " WHERE projection = 'leaderboard'", proj_leaderboard.version + 1);
	views_fx_plant(h->db_archive, sql);
	views_fx_plant(h->db_noarchive, sql);
	assert_int_equal(itest_fx_run(h->f, "run", "--once", "-c",
	    h->f->config, NULL), 0);
	history_fx_assert_said(h, "rebuild swapped in",
	    "account=" HISTORY_ARCHIVE);
	snprintf(range, sizeof(range), "seq 1 to %d",
	    HISTORY_EVENTS - HISTORY_MAX);
	history_fx_assert_said(h, "rebuild failed", range);
	assert_int_equal(itest_log_count(h->f->err, "rebuild failed", NULL), 1);
	assert_views(h, ref);
	/* run --once has stopped: the rebuilt one at the program's version. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE projection = 'leaderboard' AND version = %d"
	    " AND state = 'stopped' AND last_error IS NULL",
	    proj_leaderboard.version);
	assert_int_equal(itest_query_int(h->db_archive, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM projector_status"
	    " WHERE projection = 'leaderboard' AND version = %d"
	    " AND state = 'failed' AND last_error LIKE '%%%s%%'",
	    proj_leaderboard.version + 1, range);
	assert_int_equal(itest_query_int(h->db_noarchive, sql), 1);
	assert_int_equal(itest_query_int(h->db_noarchive, "SELECT count(*)"
	    " FROM projector_status WHERE projection <> 'leaderboard'"
	    " AND state = 'stopped'"), 2);
	json_decref(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_replay,
		    history_fx_setup, history_fx_teardown),
		cmocka_unit_test_setup_teardown(test_history_version_rebuild,
		    history_fx_setup, history_fx_teardown),
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
