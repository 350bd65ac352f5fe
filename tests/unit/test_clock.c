/*
 * test_clock.c: clock_now_ms() is CLOCK_MONOTONIC in milliseconds: it never
 * goes back, a sleep shows in it in full, and it agrees with the system's
 * own reading of that clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "clock.h"

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_never_back(void **state)
{
	int64_t prev, now;
	int i;

	(void)state;
	prev = clock_now_ms();
	for (i = 0; i < 100000; i++) {
		now = clock_now_ms();
		assert_true(now >= prev);
		prev = now;
	}
}

/*
 * A 20 ms sleep moves it by at least 20 (whole milliseconds of a longer
 * interval), and by far less than a second on any sane machine.
 */
static void
test_sleep(void **state)
{
	struct timespec nap = { 0, 20 * 1000000L };
	int64_t t0, t1;

	(void)state;
	t0 = clock_now_ms();
	while (nanosleep(&nap, &nap) == -1)
		;
	t1 = clock_now_ms();
	assert_true(t1 - t0 >= 20);
	assert_true(t1 - t0 < 1000);
}

/* The same clock as CLOCK_MONOTONIC read directly, not the wall clock. */
static void
test_is_monotonic(void **state)
{
	int64_t a, ours, b;

	(void)state;
	a = monotonic_ms();
	ours = clock_now_ms();
	b = monotonic_ms();
	assert_true(a <= ours && ours <= b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_back),
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
