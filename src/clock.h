/*
 * clock.h: the one clock the engine measures intervals with.
 *
 * Memory: nothing is allocated.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t	clock_now_ms(void);

#endif /* CLOCK_H */
