/*
 * test_rust_subject.c: the subjects of the GamingAPI Rust feed
 * (projections/rust_subject.c, read-model.md section 2): every shape is
 * recognised with its ids, nothing else is.
 */
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rust_subject.h"

#define S	"v0.rust.servers."

/* One subject of each shape, with what it must give. */
static const struct {
	const char	*subject;
	enum rust_kind	 kind;
	const char	*server, *steam, *item;
} shapes[] = {
	{ S "101.events.started", RUST_STARTED, "101", NULL, NULL },
	{ S "101.events.stopped", RUST_STOPPED, "101", NULL, NULL },
	{ S "srv-A.events.wiped", RUST_WIPED, "srv-A", NULL, NULL },
	{ S "0.events.command", RUST_COMMAND, "0", NULL, NULL },
	{ S "101.events.player.76561198000000001.chatted", RUST_CHATTED,
	  "101", "76561198000000001", NULL },
	{ S "101.players.76561198000000001.events.connected", RUST_CONNECTED,
	  "101", "76561198000000001", NULL },
	{ S "101.players.7.events.disconnected", RUST_DISCONNECTED, "101", "7",
	  NULL },
	{ S "101.players.7.events.respawned", RUST_RESPAWNED, "101", "7", NULL },
	{ S "101.players.7.events.combat.hit", RUST_HIT, "101", "7", NULL },
	{ S "101.players.7.events.gatheredResources", RUST_GATHERED, "101", "7",
	  NULL },
	{ S "101.players.7.events.items.-151838493.pickup", RUST_PICKUP, "101",
	  "7", "-151838493" },
	{ S "101.players.7.events.items.963906841.loot", RUST_LOOT, "101", "7",
	  "963906841" },
	{ S "101.players.7.events.items.-2099697608.crafted", RUST_CRAFTED,
	  "101", "7", "-2099697608" },
	{ S "101.players.7.events.reported", RUST_REPORTED, "101", "7", NULL },
	{ S "101.players.7.events.banned", RUST_BANNED, "101", "7", NULL },
	{ S "101.players.7.events.unbanned", RUST_UNBANNED, "101", "7", NULL },
	/* A parameter token may be any token, even a literal's word. */
	{ S "events.players.events.events.respawned", RUST_RESPAWNED, "events",
	  "events", NULL },
};

static void
assert_span(struct span s, const char *want)
{
	if (want == NULL) {
		assert_null(s.p);
		return;
	}
	assert_non_null(s.p);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void
test_subject_shapes(void **state)
{
	struct rust_subject sub;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		assert_int_equal(rust_subject_parse(shapes[i].subject, &sub),
		    shapes[i].kind);
		assert_int_equal(sub.kind, shapes[i].kind);
		assert_span(sub.server_id, shapes[i].server);
		assert_span(sub.steam_id, shapes[i].steam);
		assert_span(sub.item_id, shapes[i].item);
	}
}

static void
test_subject_unknown(void **state)
{
	static const char *const unknown[] = {
		"",
		"v0",
		"v0.rust.servers.101",
		S "101.events",
		S "101.events.stopping",
		S "101.events.Started",
		S "101.events.started.late",
		"v1.rust.servers.101.events.started",
		"v0.Rust.servers.101.events.started",
		"v0.rust.server.101.events.started",
		"x.v0.rust.servers.101.events.started",
		S ".events.started",
		S "101..started",
		S "101.events.started.",
		"." S "101.events.started",
		S "101.events.player.7.chatted.extra",
		S "101.events.players.7.chatted",
		S "101.events.player.7.connected",
		S "101.players.7.events.chatted",
		S "101.players.7.events.chat",
		S "101.players.7.event.connected",
		S "101.player.7.events.connected",
		S "101.players.7.events.connected.v2",
		S "101.players.7.events.combat.playerhit",
		S "101.players.7.events.combat",
		S "101.players.7.events.hit",
		S "101.players.7.events.gathered.resources",
		S "101.players.7.events.items.pickup",
		S "101.players.7.events.items.1.dropped",
		S "101.players.7.events.items.1.Pickup",
		S "101.players.7.events.item.1.pickup",
		S "101.players.7.events.items.1.pickup.x",
		S "101.players.7",
		S "101.players.7.events",
	};
	struct rust_subject sub;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		memset(&sub, 0xff, sizeof(sub));
		if (rust_subject_parse(unknown[i], &sub) != RUST_UNKNOWN)
			fail_msg("recognised: %s", unknown[i]);
		assert_null(sub.server_id.p);
		assert_null(sub.steam_id.p);
		assert_null(sub.item_id.p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_shapes),
		cmocka_unit_test(test_subject_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
