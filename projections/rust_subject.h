/*
 * rust_subject.h: the subjects of the GamingAPI Rust feed (read-model.md
 * section 2): which of the contract's 14 subject shapes a subject has, with
 * its server, player and item ids, and the NATS filters of those shapes.
 * The subject is all a projection knows of an event before it reads the
 * payload, and all it may use of a parked one.
 *
 * Memory: nothing here allocates. A struct rust_subject points into the
 * subject it was parsed from and is valid as long as that string is;
 * rust_subjects is a static constant.
 */
#ifndef RUST_SUBJECT_H
#define RUST_SUBJECT_H

#include "span.h"

/*
 * The subject shapes of the contract's table, the item shape once per
 * action; the order is not meaningful.
 */
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

/*
 * The NATS filters of every kind rust_subject_parse() recognises, one per
 * kind, NULL-terminated: the .subjects of a projection that wants the whole
 * feed. Those of the player-scoped kinds (a steam_id in the subject) come
 * last, from index RUST_SUBJECTS_PLAYER on, so that
 * `rust_subjects + RUST_SUBJECTS_PLAYER` is the .subjects of a projection
 * that wants every player's events.
 */
#define RUST_SUBJECTS_PLAYER	4

extern const char *const rust_subjects[];

enum rust_kind	rust_subject_parse(const char *subject,
	    struct rust_subject *out);

#endif /* RUST_SUBJECT_H */
