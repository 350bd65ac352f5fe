/*
 * clock.c: the engine's one clock for intervals (see clock.h).
 */
#include <time.h>

#include "clock.h"

/*
 * Returns milliseconds of CLOCK_MONOTONIC, which never goes back. Cannot
 * fail: Linux always has that clock.
 */
int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same clock in microseconds, for durations shorter than a millisecond. */
int64_t
clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
