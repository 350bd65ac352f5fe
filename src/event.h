/*
 * event.h: decoding an event's payload once, with the contract's limits; and
 * the rule a subject must meet to reach any projection.
 *
 * The read-model contract calls a payload valid JSON when it is RFC 8259 and
 * within these limits: UTF-8 only, no \u0000 escape in any string, at most
 * 1 MiB, at most 64 levels of nesting, every number within a double's range
 * and every integer literal within 64 bits (jansson's json_int_t, a signed
 * 64-bit integer); with duplicate keys the last one counts. Any JSON value is
 * accepted at the top level: whether it must be an object is the projection's
 * business (null is valid for some kinds).
 *
 * event_subject_ok() says whether a subject may reach projections: NATS takes
 * any byte, but a subject's tokens end up in TEXT columns that readers decode
 * as UTF-8, so a subject that is not UTF-8 is wanted by no projection and
 * counts as unknown (projection.h promises projections UTF-8 subjects).
 *
 * Memory: the json_t that event_decode() returns is owned by the caller and
 * released with json_decref().
 */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>

#include <jansson.h>

#define EVENT_MAX_PAYLOAD	(1024 * 1024)
#define EVENT_MAX_DEPTH		64

int	event_decode(const char *payload, size_t len, json_t **out,
	    char *err, size_t errlen);
int	event_subject_ok(const char *subject);

#endif /* EVENT_H */
