/*
 * status.h: the `status` command: what each account's database says of its
 * projections, what its archive holds, next to what NATS says of the stream
 * and the consumer.
 *
 * It opens each database and archive read-only, as a website does, and
 * asks NATS only for stream and consumer information, so it never disturbs
 * a running worker. Output goes to the given stream: a table, or JSON (--json).
 *
 * Memory: nothing is kept; what status_print() builds is released before it
 * returns.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stdio.h>

#include "config.h"

int	status_print(const struct config *cfg, int json, FILE *out);

#endif /* STATUS_H */
