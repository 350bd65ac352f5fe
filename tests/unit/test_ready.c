/*
 * test_ready.c: ready_live() and ready_check() on accounts filled by hand:
 * a healthy pair first, then one field at a time moved to reach every
 * reason a projection can be unready for, the selection (404 for an
 * unknown account or projection) and the JSON answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ready.h"
#include "stats.h"

#define NOW	1000000		/* CLOCK_MONOTONIC ms of every check */

static const struct projection proj_a = { .name = "leaderboard" };
static const struct projection proj_b = { .name = "player_profiles" };
static const struct projection *const projs[] = { &proj_a, &proj_b };
static const struct ready_bounds rb = { 100, 500, 60000 };

struct fixture {
	struct stats_account	 one, two;
	struct stats_account	*list[2];
};

static void
healthy(struct stats_account *a, const char *name)
{
	stats_account_init(a, name, "everything", "projector", projs, 2);
	STATS_SET(a->projs[0].state, STATS_LIVE);
	STATS_SET(a->projs[1].state, STATS_LIVE);
	STATS_SET(a->projs[0].applied_seq, 600);
	STATS_SET(a->projs[1].applied_seq, 600);
	STATS_SET(a->started, 1);
	STATS_SET(a->turned_ms, NOW - 100);
	STATS_SET(a->last_seq, 600);
	STATS_SET(a->stream_last_seq, 600);
	STATS_SET(a->stream_seen_ms, NOW - 1000);
	STATS_SET(a->progress_ms, NOW - 120000);	/* no lag: no matter */
	STATS_SET(a->connected, 1);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	healthy(&fx->one, "ga-1");
	healthy(&fx->two, "ga-2");
	fx->list[0] = &fx->one;
	fx->list[1] = &fx->two;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static enum ready_result
check(struct fixture *fx, const char *account, const char *projection,
    json_t **body)
{
	return ready_check(fx->list, 2, &rb, NOW, account, projection, body);
}

/* The reason given for ga-1's first projection, or NULL when ready. */
static const char *
reason_one(struct fixture *fx, char *buf, size_t len)
{
	json_t *body, *r;
	enum ready_result rc;

	rc = check(fx, "ga-1", "leaderboard", &body);
	assert_non_null(body);
	r = json_object_get(json_array_get(json_object_get(body,
	    "projections"), 0), "reason");
	assert_non_null(r);
	assert_int_equal(rc, json_is_null(r) ? READY_OK : READY_UNAVAILABLE);
	assert_string_equal(json_string_value(json_object_get(body, "status")),
	    rc == READY_OK ? "ok" : "unavailable");
	if (json_is_null(r)) {
		json_decref(body);
		return NULL;
	}
	snprintf(buf, len, "%s", json_string_value(r));
	json_decref(body);
	return buf;
}

static void
test_ok(void **state)
{
	struct fixture *fx = *state;
	json_t *body, *p;
	char *s;

	assert_int_equal(check(fx, NULL, NULL, &body), READY_OK);
	assert_int_equal(json_array_size(json_object_get(body, "projections")),
	    4);
	p = json_array_get(json_object_get(body, "projections"), 3);
	s = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"account\":\"ga-2\",\"lag\":0,"
	    "\"last_seq\":600,\"projection\":\"player_profiles\",\"reason\":null,"
	    "\"state\":\"live\",\"stream_last_seq\":600}");
	free(s);
	json_decref(body);
}

/* Each cause, one at a time, from a healthy account. */
static void
test_reasons(void **state)
{
	struct fixture *fx = *state;
	struct stats_account *a = &fx->one;
	char buf[256];

	assert_null(reason_one(fx, buf, sizeof(buf)));

	STATS_SET(a->done, 1);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the account's worker has stopped");
	STATS_SET(a->done, 0);

	STATS_SET(a->started, 0);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the account is starting");
	STATS_SET(a->started, 1);

	STATS_SET(a->projs[0].state, STATS_REBUILDING);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the projection is rebuilding");
	STATS_SET(a->projs[0].state, STATS_FAILED);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the projection is failed");
	STATS_SET(a->projs[0].state, STATS_STOPPED);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the projection is stopped");
	STATS_SET(a->projs[0].state, STATS_LIVE);

	STATS_SET(a->connected, 0);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "not connected to NATS");
	/* Within the grace: still counts as connected. */
	STATS_SET(a->disconnected_ms, NOW - 499);
	assert_null(reason_one(fx, buf, sizeof(buf)));
	STATS_SET(a->disconnected_ms, NOW - 500);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "disconnected from NATS for 500 ms");
	STATS_SET(a->connected, 1);
	STATS_SET(a->disconnected_ms, 0);

	STATS_SET(a->stream_seen_ms, 0);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the stream's last sequence was never read");
	STATS_SET(a->stream_seen_ms, NOW - 60001);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "the stream's last sequence is 60001 ms old");
	STATS_SET(a->stream_seen_ms, NOW - 60000);
	assert_null(reason_one(fx, buf, sizeof(buf)));

	/* A lag within the bound is ready while the checkpoint moves. */
	STATS_SET(a->lag, 100);
	STATS_SET(a->progress_ms, NOW - 60000);
	assert_null(reason_one(fx, buf, sizeof(buf)));
	STATS_SET(a->lag, 101);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "lag 101 is over 100");
	STATS_SET(a->lag, 1);
	STATS_SET(a->progress_ms, NOW - 60001);
	assert_string_equal(reason_one(fx, buf, sizeof(buf)),
	    "lag 1 and no progress for 60001 ms");
	STATS_SET(a->lag, 0);
	assert_null(reason_one(fx, buf, sizeof(buf)));
}

/* One unready projection makes the whole selection unavailable. */
static void
test_selection(void **state)
{
	struct fixture *fx = *state;
	json_t *body;

	STATS_SET(fx->two.projs[1].state, STATS_REBUILDING);
	assert_int_equal(check(fx, NULL, NULL, &body), READY_UNAVAILABLE);
	assert_string_equal(json_string_value(json_object_get(body, "status")),
	    "unavailable");
	json_decref(body);
	assert_int_equal(check(fx, "ga-1", NULL, &body), READY_OK);
	assert_int_equal(json_array_size(json_object_get(body, "projections")),
	    2);
	json_decref(body);
	assert_int_equal(check(fx, NULL, "leaderboard", &body), READY_OK);
	assert_int_equal(json_array_size(json_object_get(body, "projections")),
	    2);
	json_decref(body);
	assert_int_equal(check(fx, "ga-2", "player_profiles", &body),
	    READY_UNAVAILABLE);
	json_decref(body);
	assert_int_equal(check(fx, NULL, "player_profiles", &body),
	    READY_UNAVAILABLE);
	json_decref(body);

	assert_int_equal(check(fx, "ga-3", NULL, &body), READY_UNKNOWN);
	assert_string_equal(json_string_value(json_object_get(body, "error")),
	    "no account 'ga-3'");
	assert_string_equal(json_string_value(json_object_get(body, "status")),
	    "unknown");
	json_decref(body);
	assert_int_equal(check(fx, "ga-1", "nope", &body), READY_UNKNOWN);
	assert_string_equal(json_string_value(json_object_get(body, "error")),
	    "no projection 'nope' in account ga-1");
	json_decref(body);
	assert_int_equal(check(fx, NULL, "nope", &body), READY_UNKNOWN);
	assert_string_equal(json_string_value(json_object_get(body, "error")),
	    "no projection 'nope'");
	json_decref(body);

	/* Nothing running yet: not ready. */
	assert_int_equal(ready_check(fx->list, 0, &rb, NOW, NULL, NULL, &body),
	    READY_UNAVAILABLE);
	assert_int_equal(json_array_size(json_object_get(body, "projections")),
	    0);
	json_decref(body);
}

static void
test_live(void **state)
{
	struct fixture *fx = *state;

	assert_true(ready_live(fx->list, 2, NOW, 180000));
	/* Stalls, lag, NATS and state do not matter. */
	STATS_SET(fx->one.connected, 0);
	STATS_SET(fx->one.lag, 1000000);
	STATS_SET(fx->one.projs[0].state, STATS_FAILED);
	STATS_SET(fx->one.started, 0);
	assert_true(ready_live(fx->list, 2, NOW, 180000));
	STATS_SET(fx->two.turned_ms, NOW - 180000);
	assert_true(ready_live(fx->list, 2, NOW, 180000));
	STATS_SET(fx->two.turned_ms, NOW - 180001);
	assert_false(ready_live(fx->list, 2, NOW, 180000));
	/* A worker that returned is not stuck. */
	STATS_SET(fx->two.done, 1);
	assert_true(ready_live(fx->list, 2, NOW, 180000));
	/* One that has not turned yet is starting. */
	STATS_SET(fx->one.turned_ms, 0);
	assert_true(ready_live(fx->list, 2, NOW, 180000));
	assert_true(ready_live(fx->list, 0, NOW, 180000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T_(test_ok),
		T_(test_reasons),
		T_(test_selection),
		T_(test_live),
#undef T_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
