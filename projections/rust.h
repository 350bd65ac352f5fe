/*
 * rust.h: the GamingAPI Rust feed as the projections see it (read-model.md
 * section 2): which of the 14 subject shapes an event has, its event time,
 * and typed access to its payload. This is the one place that checks JSON
 * types and words the reasons of poison events, so that every projection
 * parks the same events for the same reasons.
 *
 * Memory: nothing here allocates. A struct rust_subject points into the
 * subject it was parsed from and is valid as long as that string is; the
 * json_t pointers handed out are borrowed from the event's payload.
 */
#ifndef RUST_H
#define RUST_H

#include <stddef.h>
#include <stdint.h>

#include "projection.h"
#include "span.h"

/* The subject shapes of the contract's table; the order is not meaningful. */
enum rust_kind {
	RUST_UNKNOWN = 0,
	RUST_STARTED,
	RUST_STOPPED,
	RUST_WIPED,
	RUST_COMMAND,
	RUST_CHATTED,
	RUST_CONNECTED,
	RUST_DISCONNECTED,
	RUST_RESPAWNED,
	RUST_HIT,
	RUST_GATHERED,
	RUST_PICKUP,		/* items.{item_id}.pickup */
	RUST_LOOT,		/* items.{item_id}.loot */
	RUST_CRAFTED,		/* items.{item_id}.crafted */
	RUST_REPORTED,
	RUST_BANNED,
	RUST_UNBANNED,
	RUST_NKINDS
};

struct rust_subject {
	enum rust_kind	 kind;
	struct span	 server_id;
	struct span	 steam_id;	/* player-scoped kinds only */
	struct span	 item_id;	/* pickup, loot and crafted only */
};

/* The JSON types the contract's table "Which projection reads what" names. */
enum rust_type {
	RUST_OBJECT,
	RUST_STRING,
	RUST_BOOLEAN,
	RUST_NUMBER
};

/* "YYYY-MM-DDTHH:MM:SS.sssZ" and its NUL. */
#define RUST_TIME_LEN	25

/* An event time: milliseconds since the epoch, and the same as stored. */
struct rust_time {
	int64_t		 ms;
	char		 text[RUST_TIME_LEN];
};

enum rust_kind	rust_subject_parse(const char *subject, struct rust_subject *out);
int	rust_time_parse(const char *s, size_t len, int64_t *ms);
int	rust_time_format(int64_t ms, char *buf, size_t len);
int64_t	rust_event_ms(const struct event *ev, enum rust_kind kind);
int	rust_event_time(const struct event *ev, enum rust_kind kind,
	    struct rust_time *t, char *err, size_t errlen);
int	rust_payload_check(const struct event *ev, enum rust_kind kind,
	    char *err, size_t errlen);
int	rust_field(const json_t *obj, const char *path, enum rust_type type,
	    const json_t **out, char *err, size_t errlen);

#endif /* RUST_H */
