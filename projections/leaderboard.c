/*
 * leaderboard.c: the leaderboard projection. It owns wipes (and so
 * servers.current_wipe_id, their count) and leaderboard_stats, which the
 * leaderboard view ranks (read-model.md section 3).
 *
 * Wipes are numbered per server in stream order. A kill counts in its
 * server's current wipe when it is applied, also in stream order, so that
 * neither depends on the event times the plugin gets wrong.
 */
#include <string.h>

#include "projections.h"
#include "rust_event.h"
#include "rust_subject.h"
#include "rust_time.h"
#include "span.h"
#include "stmt.h"

enum leaderboard_stmt {
	LEADERBOARD_WIPE,
	LEADERBOARD_STATS,
	LEADERBOARD_NSTMT
};

static const char *const leaderboard_sql[LEADERBOARD_NSTMT] = {
	/* A wipe of server ?1 at ?2, numbered after the server's last one. */
	[LEADERBOARD_WIPE] =
	    "INSERT INTO wipes (server_id, wipe_id, wiped_at) VALUES (?1,"
	    " (SELECT count(*) FROM wipes WHERE server_id = ?1) + 1, ?2)",
	/*
	 * Adds ?3 kills, ?4 deaths and ?5 headshots to player ?2 in the
	 * current wipe of server ?1, and keeps the longest kill ?6 (NULL
	 * when the kill had no distance).
	 */
	[LEADERBOARD_STATS] =
	    "INSERT INTO leaderboard_stats (server_id, wipe_id, steam_id, kills,"
	    " deaths, headshots, longest_kill_m) VALUES (?1,"
	    " (SELECT count(*) FROM wipes WHERE server_id = ?1),"
	    " ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (server_id, wipe_id, steam_id) DO UPDATE SET"
	    " kills = kills + excluded.kills,"
	    " deaths = deaths + excluded.deaths,"
	    " headshots = headshots + excluded.headshots,"
	    " longest_kill_m = CASE WHEN longest_kill_m IS NULL"
	    "  OR excluded.longest_kill_m > longest_kill_m"
	    "  THEN coalesce(excluded.longest_kill_m, longest_kill_m)"
	    "  ELSE longest_kill_m END"
};

/* A kill as the contract defines it, read before anything is written. */
struct leaderboard_kill {
	int		 is_kill;
	struct span	 attacker;	/* subject's steam_id when absent */
	struct span	 victim;	/* absent: no death */
	int		 headshot;
	const json_t	*distance;
};

static const char *const leaderboard_subjects[] = {
	"v0.rust.servers.*.events.wiped",
	"v0.rust.servers.*.players.*.events.combat.hit",
	NULL
};

static const char *const leaderboard_tables[] = {
	"wipes",
	"leaderboard_stats",
	NULL
};

static int
leaderboard_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return stmt_state_new(db, leaderboard_sql, LEADERBOARD_NSTMT, state,
	    err, errlen);
}

/*
 * Reads and type-checks every player_hit field the contract lists for this
 * projection, each one whenever it is present ("Which projection reads
 * what"), then decides whether the hit is a kill. Returns 0, or -1 with the
 * poison reason in err.
 */
static int
leaderboard_read(const struct event *ev, const struct rust_subject *sub,
    struct leaderboard_kill *k, char *err, size_t errlen)
{
	const json_t *hit, *is_kill, *is_kill2, *attacker, *victim, *aid, *vid;
	const json_t *area;

	memset(k, 0, sizeof(*k));
	if (rust_event_field(ev->json, "player_hit", RUST_OBJECT, &hit, err,
	    errlen) == -1 ||
	    rust_event_field(hit, "player_hit.isKill", RUST_BOOLEAN,
	    &is_kill, err, errlen) == -1 ||
	    rust_event_field(hit, "player_hit.is_kill", RUST_BOOLEAN,
	    &is_kill2, err, errlen) == -1 ||
	    rust_event_field(hit, "player_hit.attacker", RUST_OBJECT,
	    &attacker, err, errlen) == -1 ||
	    rust_event_field(hit, "player_hit.victim", RUST_OBJECT, &victim,
	    err, errlen) == -1 ||
	    rust_event_field(attacker, "player_hit.attacker.steam_id",
	    RUST_STRING, &aid, err, errlen) == -1 ||
	    rust_event_field(victim, "player_hit.victim.steam_id",
	    RUST_STRING, &vid, err, errlen) == -1 ||
	    rust_event_field(hit, "player_hit.hit_area_id", RUST_NUMBER,
	    &area, err, errlen) == -1 ||
	    rust_event_field(hit, "player_hit.hit_distance", RUST_NUMBER,
	    &k->distance, err, errlen) == -1)
		return -1;
	/* isKill wins over is_kill; neither (or no player_hit) is no kill. */
	k->is_kill = json_is_true(is_kill != NULL ? is_kill : is_kill2);
	k->attacker = aid != NULL ? span_json(aid) : sub->steam_id;
	k->victim = span_json(vid);
	k->headshot = area != NULL && json_number_value(area) == 1.0;
	return 0;
}

/* Adds to player's row in sub's server's current wipe. */
static int
leaderboard_add(struct stmt_state *l, const struct rust_subject *sub,
    struct span player, int kills, int deaths, int headshots,
    const json_t *distance, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(l, LEADERBOARD_STATS);

	stmt_bind_span(st, 1, sub->server_id);
	stmt_bind_span(st, 2, player);
	sqlite3_bind_int(st, 3, kills);
	sqlite3_bind_int(st, 4, deaths);
	sqlite3_bind_int(st, 5, headshots);
	if (distance != NULL)
		sqlite3_bind_double(st, 6, json_number_value(distance));
	return stmt_done(st, err, errlen);
}

static int
leaderboard_wipe(struct stmt_state *l, const struct rust_subject *sub,
    const struct rust_time *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(l, LEADERBOARD_WIPE);

	stmt_bind_span(st, 1, sub->server_id);
	sqlite3_bind_text(st, 2, t->text, -1, SQLITE_STATIC);
	return stmt_done(st, err, errlen);
}

static enum proj_result
leaderboard_apply(void *state, const struct event *ev, char *err,
    size_t errlen)
{
	struct stmt_state *l = state;
	struct leaderboard_kill k;
	struct rust_subject sub;
	struct rust_time t;
	int rc = 0;

	rust_subject_parse(ev->subject, &sub);
	if (sub.kind != RUST_WIPED && sub.kind != RUST_HIT)
		return PROJ_OK;
	if (rust_event_check(ev, sub.kind, err, errlen) == -1)
		return PROJ_POISON;
	if (sub.kind == RUST_WIPED) {
		if (rust_event_time(ev, sub.kind, &t, err, errlen) == -1)
			return PROJ_POISON;
		return leaderboard_wipe(l, &sub, &t, err, errlen) == -1 ?
		    PROJ_FAIL : PROJ_OK;
	}

	if (leaderboard_read(ev, &sub, &k, err, errlen) == -1)
		return PROJ_POISON;
	if (!k.is_kill)
		return PROJ_OK;
	/* A player who kills themself gets a death and no kill. */
	if (span_eq(k.attacker, k.victim))
		return leaderboard_add(l, &sub, k.victim, 0, 1, 0, NULL, err,
		    errlen) == -1 ? PROJ_FAIL : PROJ_OK;
	rc = leaderboard_add(l, &sub, k.attacker, 1, 0, k.headshot, k.distance,
	    err, errlen);
	if (rc == 0 && k.victim.p != NULL)
		rc = leaderboard_add(l, &sub, k.victim, 0, 1, 0, NULL, err,
		    errlen);
	return rc == -1 ? PROJ_FAIL : PROJ_OK;
}

const struct projection proj_leaderboard = {
	PROJECTION_HEADER,
	.name = "leaderboard",
	.version = 1,
	.subjects = leaderboard_subjects,
	.tables = leaderboard_tables,
	.migrations = migrations_leaderboard,
	.init = leaderboard_init,
	.apply = leaderboard_apply,
	.parked = NULL,
	.fini = stmt_state_free
};
