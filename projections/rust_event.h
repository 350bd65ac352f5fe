/*
 * rust_event.h: an event of the GamingAPI Rust feed as the contract reads
 * it (read-model.md section 2): its event time, from its kind's timestamp
 * field or else the time the stream stored it; the top level of its
 * payload; and typed access to the payload's fields. This is the one place
 * that checks JSON types and words the reasons of poison events, so that
 * every projection parks the same events for the same reasons, in the same
 * words (projector_parked keeps them for operators to read).
 *
 * Memory: nothing here allocates. The json_t pointers handed out are
 * borrowed from the event's payload, valid for the duration of the call
 * that got the event.
 */
#ifndef RUST_EVENT_H
#define RUST_EVENT_H

#include <stdint.h>

#include "projection.h"
#include "rust_subject.h"
#include "rust_time.h"

/* The JSON types the contract's table "Which projection reads what" names. */
enum rust_type {
	RUST_OBJECT,
	RUST_STRING,
	RUST_BOOLEAN,
	RUST_NUMBER
};

int64_t	rust_event_ms(const struct event *ev, enum rust_kind kind);
int	rust_event_time(const struct event *ev, enum rust_kind kind,
	    struct rust_time *t, char *err, size_t errlen);
int	rust_event_check(const struct event *ev, enum rust_kind kind,
	    char *err, size_t errlen);
int	rust_event_field(const json_t *obj, const char *path,
	    enum rust_type type, const json_t **out, char *err, size_t errlen);

#endif /* RUST_EVENT_H */
