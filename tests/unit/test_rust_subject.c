/*
 * test_rust_subject.c: the subjects of the GamingAPI Rust feed
 * (projections/rust_subject.c, read-model.md section 2): every shape is
 * recognised with its ids, nothing else is, and rust_subjects[] lists the
 * same shapes as NATS filters.
 */
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

/* Subjects that are no shape: near misses of each. */
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

/*
 * Whether subject matches the NATS filter: '*' stands for one token, '>'
 * for one or more at the end; other tokens match the same bytes. Enough of
 * NATS for filters written by hand, with no engine code in this test.
 */
static int
nats_match(const char *filter, const char *subject)
{
	size_t fl, sl;

	for (;;) {
		fl = strcspn(filter, ".");
		sl = strcspn(subject, ".");
		if (fl == 1 && filter[0] == '>')
			return sl > 0;
		if (sl == 0 || !((fl == 1 && filter[0] == '*') ||
		    (fl == sl && memcmp(filter, subject, fl) == 0)))
			return 0;
		filter += fl;
		subject += sl;
		if (*filter == '\0' || *subject == '\0')
			return *filter == *subject;
		filter++;
		subject++;
	}
}

/* How many of rust_subjects[] subject matches. */
static size_t
nats_matches(const char *subject)
{
	size_t i, n = 0;

	for (i = 0; rust_subjects[i] != NULL; i++)
		n += nats_match(rust_subjects[i], subject);
	return n;
}

/* Writes into buf a subject of filter, with token in place of each '*'. */
static void
nats_subject(const char *filter, const char *token, char *buf, size_t len)
{
	size_t off = 0, n;

	for (; *filter != '\0'; filter++) {
		n = *filter == '*' ? strlen(token) : 1;
		assert_true(off + n < len);
		memcpy(buf + off, *filter == '*' ? token : filter, n);
		off += n;
	}
	buf[off] = '\0';
}

static void
test_nats_match(void **state)
{
	(void)state;
	assert_true(nats_match("a.*.c", "a.b.c"));
	assert_true(nats_match("a.>", "a.b.c"));
	assert_false(nats_match("a.>", "a"));
	assert_false(nats_match("a.*.c", "a.b.c.d"));
	assert_false(nats_match("a.*.c", "a.b"));
	assert_false(nats_match("a.*.c", "a..c"));
	assert_false(nats_match("a.b", "a.bb"));
	assert_false(nats_match("a.b", "a.b."));
}

static void
test_subjects_table(void **state)
{
	static const char *const tokens[] = { "42", "events", "players" };
	int seen[RUST_NKINDS];
	struct rust_subject sub;
	enum rust_kind kind;
	char buf[256];
	size_t i, j, n;

	(void)state;
	/* Every shape is matched by exactly one filter. */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		if ((n = nats_matches(shapes[i].subject)) != 1)
			fail_msg("%s matches %zu filters", shapes[i].subject,
			    n);
		seen[shapes[i].kind] = 1;
	}
	for (kind = RUST_UNKNOWN + 1; kind < RUST_NKINDS; kind++)
		if (!seen[kind])
			fail_msg("no subject of kind %d in shapes[]", kind);
	/* What the parser does not recognise, no filter wants. */
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if ((n = nats_matches(unknown[i])) != 0)
			fail_msg("%s matches %zu filters", unknown[i], n);
	/*
	 * Each filter's subjects, whatever their parameter tokens, parse as
	 * one kind, not another filter's: one filter per kind, none missing.
	 */
	memset(seen, 0, sizeof(seen));
	for (i = 0; rust_subjects[i] != NULL; i++) {
		kind = RUST_UNKNOWN;
		for (j = 0; j < sizeof(tokens) / sizeof(tokens[0]); j++) {
			nats_subject(rust_subjects[i], tokens[j], buf,
			    sizeof(buf));
			if (rust_subject_parse(buf, &sub) == RUST_UNKNOWN)
				fail_msg("%s is not recognised", buf);
			if (j > 0 && sub.kind != kind)
				fail_msg("%s is not of its filter's kind", buf);
			kind = sub.kind;
		}
		if (seen[kind]++)
			fail_msg("%s: a second filter of kind %d",
			    rust_subjects[i], kind);
		/* Player-scoped from RUST_SUBJECTS_PLAYER on, only there. */
		if ((sub.steam_id.p != NULL) != (i >= RUST_SUBJECTS_PLAYER))
			fail_msg("%s is at %zu, on the wrong side of"
			    " RUST_SUBJECTS_PLAYER", rust_subjects[i], i);
	}
	assert_int_equal(i, RUST_NKINDS - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_shapes),
		cmocka_unit_test(test_subject_unknown),
		cmocka_unit_test(test_nats_match),
		cmocka_unit_test(test_subjects_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
