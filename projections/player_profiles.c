/*
 * player_profiles.c: the player_profiles projection. It owns player_stats,
 * which the player_profiles view completes with sessions and playtime_s from
 * session_history (read-model.md section 3).
 *
 * A row is created for the steam_id of every player-scoped subject (it
 * wants those, rust_subjects + RUST_SUBJECTS_PLAYER), for a kill victim and
 * for a reported target. Every change is one UPSERT that merges what an
 * event says into the row: the name and the ban state by latest event time
 * (ties: the later event in the stream, so that it wins with >=), first and
 * last seen by least and greatest time, and counters.
 */
#include <string.h>

#include "projections.h"
#include "rust_event.h"
#include "rust_subject.h"
#include "rust_time.h"
#include "span.h"
#include "stmt.h"

enum player_profiles_stmt {
	PLAYER_PROFILES_UPSERT,
	PLAYER_PROFILES_NSTMT
};

/*
 * ?1 steam_id; ?2 a name and ?3 its event time (both NULL without a name);
 * ?4 a time seen (NULL for banned, unbanned and rows of other players);
 * ?5 chat messages and ?6 reports received to add; ?7 banned (0 or 1),
 * ?8 ban_reason and ?9 their event time (all NULL but for banned and
 * unbanned). In DO UPDATE every column on the right is the old value.
 */
static const char *const player_profiles_sql[PLAYER_PROFILES_NSTMT] = {
	[PLAYER_PROFILES_UPSERT] =
	    "INSERT INTO player_stats (steam_id, name, name_at, first_seen,"
	    " last_seen, chat_messages, reports_received, banned, ban_reason,"
	    " ban_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, coalesce(?7, 0), ?8,"
	    " ?9)"
	    " ON CONFLICT (steam_id) DO UPDATE SET"
	    " name = CASE WHEN ?3 >= coalesce(name_at, '') THEN ?2 ELSE name END,"
	    " name_at = CASE WHEN ?3 >= coalesce(name_at, '') THEN ?3"
	    "  ELSE name_at END,"
	    " first_seen = CASE WHEN first_seen IS NULL OR ?4 < first_seen"
	    "  THEN ?4 ELSE first_seen END,"
	    " last_seen = CASE WHEN ?4 > coalesce(last_seen, '') THEN ?4"
	    "  ELSE last_seen END,"
	    " chat_messages = chat_messages + ?5,"
	    " reports_received = reports_received + ?6,"
	    " banned = CASE WHEN ?9 >= coalesce(ban_at, '') THEN ?7"
	    "  ELSE banned END,"
	    " ban_reason = CASE WHEN ?9 >= coalesce(ban_at, '') THEN ?8"
	    "  ELSE ban_reason END,"
	    " ban_at = CASE WHEN ?9 >= coalesce(ban_at, '') THEN ?9"
	    "  ELSE ban_at END"
};

/* What one event says about its players, read before anything is written. */
struct player_profiles_facts {
	const json_t	*name;		/* player.name or player_name */
	const json_t	*ban_reason;
	const json_t	*target;	/* reported_target_steam_id */
	const json_t	*victim;	/* a kill's player_hit.victim.steam_id */
};

static const char *const player_profiles_tables[] = {
	"player_stats",
	NULL
};

static int
player_profiles_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return stmt_state_new(db, player_profiles_sql, PLAYER_PROFILES_NSTMT,
	    state, err, errlen);
}

/*
 * Reads and type-checks the fields the contract lists for this projection
 * and kind ("Which projection reads what"): each one whenever it is present,
 * whatever the others say. Returns 0, or -1 with the poison reason in err.
 */
static int
player_profiles_read(const struct event *ev, enum rust_kind kind,
    struct player_profiles_facts *f, char *err, size_t errlen)
{
	const json_t *player, *hit, *victim, *is_kill, *is_kill2, *id;

	memset(f, 0, sizeof(*f));
	if (rust_event_check(ev, kind, err, errlen) == -1)
		return -1;
	switch (kind) {
	case RUST_CONNECTED:
		if (rust_event_field(ev->json, "player", RUST_OBJECT, &player,
		    err, errlen) == -1 || rust_event_field(player,
		    "player.name", RUST_STRING, &f->name, err, errlen) == -1)
			return -1;
		break;
	case RUST_CHATTED:
		return rust_event_field(ev->json, "player_name", RUST_STRING,
		    &f->name, err, errlen) == -1 ? -1 : 0;
	case RUST_BANNED:
		if (rust_event_field(ev->json, "player_name", RUST_STRING,
		    &f->name, err, errlen) == -1 || rust_event_field(ev->json,
		    "reason", RUST_STRING, &f->ban_reason, err, errlen) == -1)
			return -1;
		break;
	case RUST_REPORTED:
		return rust_event_field(ev->json, "reported_target_steam_id",
		    RUST_STRING, &f->target, err, errlen) == -1 ? -1 : 0;
	case RUST_HIT:
		if (rust_event_field(ev->json, "player_hit", RUST_OBJECT, &hit,
		    err, errlen) == -1 ||
		    rust_event_field(hit, "player_hit.isKill", RUST_BOOLEAN,
		    &is_kill, err, errlen) == -1 ||
		    rust_event_field(hit, "player_hit.is_kill", RUST_BOOLEAN,
		    &is_kill2, err, errlen) == -1 ||
		    rust_event_field(hit, "player_hit.victim", RUST_OBJECT,
		    &victim, err, errlen) == -1 ||
		    rust_event_field(victim, "player_hit.victim.steam_id",
		    RUST_STRING, &id, err, errlen) == -1)
			return -1;
		/* isKill wins over is_kill; neither means no kill. */
		if (is_kill == NULL)
			is_kill = is_kill2;
		if (json_is_true(is_kill))
			f->victim = id;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Merges into steam_id's row: seen at t when seen, the name when there is
 * one, the counters, and for banned/unbanned the ban state.
 */
static int
player_profiles_upsert(struct stmt_state *p, struct span steam_id,
    enum rust_kind kind, const struct player_profiles_facts *f,
    const struct rust_time *t, int seen, int chats, int reports, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(p, PLAYER_PROFILES_UPSERT);

	stmt_bind_span(st, 1, steam_id);
	if (f != NULL && f->name != NULL) {
		stmt_bind_span(st, 2, span_json(f->name));
		sqlite3_bind_text(st, 3, t->text, -1, SQLITE_STATIC);
	}
	if (seen)
		sqlite3_bind_text(st, 4, t->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, chats);
	sqlite3_bind_int(st, 6, reports);
	if (kind == RUST_BANNED || kind == RUST_UNBANNED) {
		sqlite3_bind_int(st, 7, kind == RUST_BANNED);
		if (kind == RUST_BANNED)
			stmt_bind_span(st, 8, span_json(f->ban_reason));
		sqlite3_bind_text(st, 9, t->text, -1, SQLITE_STATIC);
	}
	return stmt_done(st, err, errlen);
}

static enum proj_result
player_profiles_apply(void *state, const struct event *ev, char *err,
    size_t errlen)
{
	struct stmt_state *p = state;
	struct player_profiles_facts f;
	struct rust_subject sub;
	struct rust_time t;
	int seen;

	switch (rust_subject_parse(ev->subject, &sub)) {
	case RUST_UNKNOWN:
	case RUST_STARTED:
	case RUST_STOPPED:
	case RUST_WIPED:
	case RUST_COMMAND:
		return PROJ_OK;
	default:
		break;
	}
	if (player_profiles_read(ev, sub.kind, &f, err, errlen) == -1 ||
	    rust_event_time(ev, sub.kind, &t, err, errlen) == -1)
		return PROJ_POISON;

	/* first_seen and last_seen leave out banned and unbanned. */
	seen = sub.kind != RUST_BANNED && sub.kind != RUST_UNBANNED;
	if (player_profiles_upsert(p, sub.steam_id, sub.kind, &f, &t, seen,
	    sub.kind == RUST_CHATTED, 0, err, errlen) == -1)
		return PROJ_FAIL;
	if (f.target != NULL && player_profiles_upsert(p, span_json(f.target),
	    RUST_UNKNOWN, NULL, &t, 0, 0, 1, err, errlen) == -1)
		return PROJ_FAIL;
	if (f.victim != NULL && player_profiles_upsert(p, span_json(f.victim),
	    RUST_UNKNOWN, NULL, &t, 0, 0, 0, err, errlen) == -1)
		return PROJ_FAIL;
	return PROJ_OK;
}

const struct projection proj_player_profiles = {
	PROJECTION_HEADER,
	.name = "player_profiles",
	.version = 1,
	.subjects = rust_subjects + RUST_SUBJECTS_PLAYER,
	.tables = player_profiles_tables,
	.migrations = migrations_player_profiles,
	.init = player_profiles_init,
	.apply = player_profiles_apply,
	.parked = NULL,
	.fini = stmt_state_free
};
