/*
 * kill_feed.c: an example plug-in, the kill feed: one row per kill (a
 * combat.hit event whose player_hit says isKill, or is_kill, true), with
 * server, time, killer, victim, the killer's weapon, distance and whether
 * it was a headshot, and a view that a website pages through, newest
 * first, without OFFSET:
 *
 *	SELECT * FROM kill_feed_page WHERE server_id = ?1 AND seq < ?2
 *	    LIMIT 50;		-- ?2: the smallest seq of the page before
 *
 * Built out of projector's tree, from its installed header alone:
 *
 *	cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags projector) \
 *	    kill_feed.c -o kill_feed.so $(pkg-config --libs projector)
 *
 * and named in the configuration:
 *
 *	plugins:
 *	  kill_feed: /usr/local/lib/projector/kill_feed.so
 *	accounts:
 *	  - name: ga-1
 *	    ...
 *	    projections: [session_history, player_profiles, leaderboard,
 *	                  kill_feed]
 *
 * The rules it follows (README "Writing a plug-in"): a pure function of the
 * events; statements prepared once, in init(); every field it reads checked
 * before its first write, so that bad input is parked (PROJ_POISON) with a
 * reason that names the field; only its declared table written; its
 * migrations never edited once shipped; .version raised when the fold
 * changes, which rebuilds the table from the stream's start.
 */
#include <stdio.h>
#include <string.h>

#include <projector/projection.h>

static const char *const kill_feed_subjects[] = {
	"v0.rust.servers.*.players.*.events.combat.hit",
	NULL
};

static const char *const kill_feed_tables[] = { "kill_feed", NULL };

static const struct projection_migration kill_feed_migrations[] = {
	{ "0001_init.sql",
	  "CREATE TABLE kill_feed (\n"
	  "  seq INTEGER PRIMARY KEY,  -- the stream's, so replays agree\n"
	  "  server_id TEXT NOT NULL,\n"
	  "  killed_at TEXT,           -- hit_timestamp as sent\n"
	  "  killer TEXT NOT NULL,     -- steam_id\n"
	  "  victim TEXT,              -- steam_id; NULL when not sent\n"
	  "  weapon_item_id INTEGER,   -- the killer's active item\n"
	  "  distance_m REAL,\n"
	  "  headshot INTEGER NOT NULL\n"
	  ");\n"
	  "CREATE INDEX kill_feed_server ON kill_feed (server_id, seq);\n"
	  "CREATE VIEW kill_feed_page AS\n"
	  "  SELECT seq, server_id, killed_at, killer, victim,\n"
	  "         weapon_item_id, distance_m, headshot\n"
	  "    FROM kill_feed ORDER BY seq DESC;\n" },
	{ NULL, NULL }
};

/* A kill, read and checked before anything is written. */
struct kill {
	const char	*killed_at;
	const char	*killer;
	const char	*victim;
	const json_t	*weapon;	/* integer, or NULL */
	const json_t	*distance;	/* number, or NULL */
	int		 headshot;
};

static int
kill_feed_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, "INSERT INTO kill_feed (seq, server_id,"
	    " killed_at, killer, victim, weapon_item_id, distance_m, headshot)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing: %s", sqlite3_errmsg(db));
		return -1;
	}
	*state = st;
	return 0;
}

/* o.key when it is of type want (or absent: NULL); else a reason in err. */
static int
field(const json_t *o, const char *path, const char *key, json_type want,
    const json_t **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != want &&
	    !(want == JSON_REAL && json_is_integer(v)) &&
	    !(want == JSON_TRUE && json_is_boolean(v))) {
		snprintf(err, errlen, "%s%s has the wrong type", path, key);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Reads the kill of a hit, if it is one: returns 1 and fills k, 0 when the
 * hit is no kill, -1 (poison) with the field in err.
 */
static int
read_kill(const struct event *ev, struct kill *k, char *err, size_t errlen)
{
	const json_t *hit, *is_kill, *victim, *attacker, *vid, *aid, *item;
	const json_t *ts, *area, *active;

	memset(k, 0, sizeof(*k));
	if (ev->json == NULL) {
		snprintf(err, errlen, "payload is not JSON: %s", ev->json_error);
		return -1;
	}
	if (!json_is_object(ev->json)) {
		snprintf(err, errlen, "payload is not a JSON object");
		return -1;
	}
	if (field(ev->json, "", "hit_timestamp", JSON_STRING, &ts, err,
	    errlen) == -1 ||
	    field(ev->json, "", "player_hit", JSON_OBJECT, &hit, err,
	    errlen) == -1)
		return -1;
	if (hit == NULL)
		return 0;
	/* isKill wins; is_kill when it is absent (read-model.md). */
	if (field(hit, "player_hit.", "isKill", JSON_TRUE, &is_kill, err,
	    errlen) == -1)
		return -1;
	if (is_kill == NULL && field(hit, "player_hit.", "is_kill", JSON_TRUE,
	    &is_kill, err, errlen) == -1)
		return -1;
	if (field(hit, "player_hit.", "victim", JSON_OBJECT, &victim, err,
	    errlen) == -1 ||
	    field(hit, "player_hit.", "attacker", JSON_OBJECT, &attacker, err,
	    errlen) == -1 ||
	    field(hit, "player_hit.", "hit_area_id", JSON_INTEGER, &area, err,
	    errlen) == -1 ||
	    field(hit, "player_hit.", "hit_distance", JSON_REAL, &k->distance,
	    err, errlen) == -1 ||
	    field(victim, "player_hit.victim.", "steam_id", JSON_STRING, &vid,
	    err, errlen) == -1 ||
	    field(attacker, "player_hit.attacker.", "steam_id", JSON_STRING,
	    &aid, err, errlen) == -1 ||
	    field(attacker, "player_hit.attacker.", "active_item", JSON_OBJECT,
	    &active, err, errlen) == -1 ||
	    field(active, "player_hit.attacker.active_item.", "item_id",
	    JSON_INTEGER, &item, err, errlen) == -1)
		return -1;
	if (is_kill == NULL || !json_is_true(is_kill))
		return 0;
	k->killed_at = ts != NULL ? json_string_value(ts) : NULL;
	k->killer = aid != NULL ? json_string_value(aid) : NULL;
	k->victim = vid != NULL ? json_string_value(vid) : NULL;
	k->weapon = item;
	k->headshot = area != NULL && json_integer_value(area) == 1;
	return 1;
}

/*
 * v0.rust.servers.<server_id>.players.<steam_id>.events.combat.hit: the
 * subscription guarantees the shape.
 */
static void
subject_ids(const char *subject, const char **server, size_t *server_len,
    const char **steam, size_t *steam_len)
{
	const char *p = subject + strlen("v0.rust.servers.");

	*server = p;
	*server_len = strcspn(p, ".");
	p += *server_len + strlen(".players.");
	*steam = p;
	*steam_len = strcspn(p, ".");
}

static enum proj_result
kill_feed_apply(void *state, const struct event *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = state;
	const char *server, *steam;
	size_t server_len, steam_len;
	struct kill k;
	int rc;

	subject_ids(ev->subject, &server, &server_len, &steam, &steam_len);
	rc = read_kill(ev, &k, err, errlen);
	if (rc == -1)
		return PROJ_POISON;
	if (rc == 0)
		return PROJ_OK;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 2, server, (int)server_len, SQLITE_STATIC);
	if (k.killed_at != NULL)
		sqlite3_bind_text(st, 3, k.killed_at, -1, SQLITE_STATIC);
	/* No attacker in the payload: the subject's player fired. */
	if (k.killer != NULL)
		sqlite3_bind_text(st, 4, k.killer, -1, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 4, steam, (int)steam_len, SQLITE_STATIC);
	if (k.victim != NULL)
		sqlite3_bind_text(st, 5, k.victim, -1, SQLITE_STATIC);
	if (k.weapon != NULL)
		sqlite3_bind_int64(st, 6, json_integer_value(k.weapon));
	if (k.distance != NULL)
		sqlite3_bind_double(st, 7, json_number_value(k.distance));
	sqlite3_bind_int(st, 8, k.headshot);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "inserting a kill: %s",
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return PROJ_FAIL;
	}
	return PROJ_OK;
}

static void
kill_feed_fini(void *state)
{
	sqlite3_finalize(state);
}

static const struct projection kill_feed = {
	PROJECTION_HEADER,
	.name = "kill_feed",
	.version = 1,
	.build = "example 1.0",
	.subjects = kill_feed_subjects,
	.tables = kill_feed_tables,
	.migrations = kill_feed_migrations,
	.init = kill_feed_init,
	.apply = kill_feed_apply,
	.fini = kill_feed_fini
};

PROJECTION_EXPORT(kill_feed)
