/*
 * clock.c: the one clock the engine measures intervals with (see clock.h).
 */
#include <time.h>

#include "clock.h"

/*
 * Returns milliseconds of CLOCK_MONOTONIC: intervals, never dates (it does
 * not jump when the wall clock is set). Cannot fail.
 */
int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
