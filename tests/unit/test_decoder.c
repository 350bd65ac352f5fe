/*
 * test_decoder.c: decoding ahead of the fold (src/decoder.c) over a feed in
 * memory: every result is what event_decode() says of the same payload,
 * through many turns of the ring, with messages at or below the skip left
 * out, results asked for with gaps, a batch stopped half-way and started
 * again, and one freed in hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "event.h"
#include "feed_memory.h"

#define N	(DECODER_AHEAD * 5 + 17)

struct fx {
	struct feed_msg	 msgs[N];
	char		 payloads[N][64];
	struct feed	*feed;
	struct decoder	*d;
	size_t		 count;
};

/* Message i: mostly objects, every seventh not JSON, every eleventh a string. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	size_t i;
	int len;

	if (f == NULL)
		return -1;
	for (i = 0; i < N; i++) {
		if (i % 7 == 3)
			len = snprintf(f->payloads[i], 64, "{\"n\": %zu,", i);
		else if (i % 11 == 5)
			len = snprintf(f->payloads[i], 64, "\"text %zu\"", i);
		else
			len = snprintf(f->payloads[i], 64, "{\"n\": %zu}", i);
		f->msgs[i].seq = 100 + i;
		f->msgs[i].subject = "v0.rust.servers.1.events.started";
		f->msgs[i].data = f->payloads[i];
		f->msgs[i].len = (size_t)len;
	}
	f->feed = feed_memory_new(f->msgs, N, NULL);
	if (decoder_new(&f->d, err, sizeof(err)) == -1) {
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

	decoder_free(f->d);
	feed_close(f->feed);
	free(f);
	return 0;
}

/* The whole stream in the feed, as one batch. */
static void
fetch_all(struct fx *f)
{
	struct feed_pos pos;
	char err[256];

	assert_int_equal(feed_position(f->feed, 1, &pos, err, sizeof(err)),
	    FEED_OK);
	assert_int_equal(feed_fetch(f->feed, N, 0, &f->count, err,
	    sizeof(err)), FEED_OK);
	assert_int_equal(f->count, N);
}

/* Message i's result must be what event_decode() says of its payload. */
static void
assert_result(struct fx *f, size_t i, const struct decoder_result *r)
{
	json_t *want = NULL;
	char error[256];
	int rc = event_decode(f->payloads[i], strlen(f->payloads[i]), &want,
	    error, sizeof(error));

	assert_true(r->decoded);
	if (rc == 0) {
		assert_non_null(r->json);
		assert_null(r->error);
		assert_true(json_equal((json_t *)r->json, want));
	} else {
		assert_null(r->json);
		assert_non_null(r->error);
		assert_string_equal(r->error, error);
	}
	json_decref(want);
}

/* Each message in order, many times round the ring. */
static void
test_in_order(void **state)
{
	struct fx *f = *state;
	struct decoder_result r;
	size_t i;

	fetch_all(f);
	decoder_start(f->d, f->feed, f->count, 0);
	for (i = 0; i < f->count; i++) {
		decoder_get(f->d, i, &r);
		assert_result(f, i, &r);
	}
	decoder_stop(f->d);
}

/* At or below the skip: left out, not decoded. */
static void
test_skip(void **state)
{
	struct fx *f = *state;
	struct decoder_result r;
	size_t i;

	fetch_all(f);
	decoder_start(f->d, f->feed, f->count, 100 + 300);
	for (i = 0; i < f->count; i++) {
		decoder_get(f->d, i, &r);
		if (f->msgs[i].seq <= 400) {
			assert_false(r.decoded);
			assert_null(r.json);
			assert_null(r.error);
		} else
			assert_result(f, i, &r);
	}
	decoder_stop(f->d);
}

/* Asked for with gaps (a limit, messages the fold skips): still right. */
static void
test_gaps(void **state)
{
	struct fx *f = *state;
	struct decoder_result r;
	size_t i;

	fetch_all(f);
	decoder_start(f->d, f->feed, f->count, 0);
	for (i = 0; i < f->count; i += 1 + i % 400) {
		decoder_get(f->d, i, &r);
		assert_result(f, i, &r);
	}
	decoder_stop(f->d);
}

/* Stopped half-way (a batch rolled back), then the batch again: all right. */
static void
test_again(void **state)
{
	struct fx *f = *state;
	struct decoder_result r;
	size_t i;
	int round;

	fetch_all(f);
	for (round = 0; round < 3; round++) {
		decoder_start(f->d, f->feed, f->count, 0);
		for (i = 0; i < (round < 2 ? f->count / 2 : f->count); i++) {
			decoder_get(f->d, i, &r);
			assert_result(f, i, &r);
		}
		decoder_stop(f->d);
	}
	/* Stopped before any result was asked for. */
	decoder_start(f->d, f->feed, f->count, 0);
	decoder_stop(f->d);
}

/* Freed with a batch in hand (the teardown frees it): nothing leaks. */
static void
test_free_in_hand(void **state)
{
	struct fx *f = *state;
	struct decoder_result r;

	fetch_all(f);
	decoder_start(f->d, f->feed, f->count, 0);
	decoder_get(f->d, 10, &r);
	assert_result(f, 10, &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_hand, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
