/*
 * clock.h: the engine's one clock for intervals.
 *
 * clock_now_ms() reads CLOCK_MONOTONIC, which a change of the wall clock
 * (NTP, an operator, a leap second) never moves: use it for timeouts,
 * backoffs, rates and how long something took, never for a time written
 * down (those are UTC, written by SQLite: DB_NOW_SQL in db.h). Its zero is
 * arbitrary (boot, on Linux); only differences mean something.
 *
 * Memory: nothing is allocated.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t	clock_now_ms(void);
int64_t	clock_now_us(void);	/* the same clock, in microseconds */

#endif /* CLOCK_H */
