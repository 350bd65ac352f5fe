/*
 * fuzz_apply.c: any bytes as a short stream of events, folded by the engine
 * with every built-in projection (see fuzz.h for the input format).
 *
 * Two in-memory databases, migrated once per process, fold the same events:
 * the first in one batch (after a first attempt rolled back, and followed by
 * a redelivery of everything), the second one batch per event. What must
 * hold for every input (read-model.md, fold.h):
 * - nothing crashes, leaks or reads out of bounds, and the fold never fails
 *   (poison is parked, never an error, on a database that cannot be busy);
 * - a rolled-back batch leaves nothing, a redelivery changes nothing, and the
 *   batching does not matter: both databases answer the six contract queries
 *   the same;
 * - the tables keep the contract's shape: no negative counter, sessions
 *   closed with a reason and a duration that is not negative, wipes
 *   numbered 1, 2, ..., every time written as YYYY-MM-DDTHH:MM:SS.sssZ, one
 *   servers row per server of a recognised event, one session per connect
 *   that was not parked, counts that match the events;
 * - event_decode() accepts a payload exactly when it is JSON within the
 *   contract's limits, and what it accepts survives a round trip;
 * - the engine's subject matching (registry.c) and the projections' subject
 *   parser (rust_subject.c) agree on which subjects are recognised;
 * - every TEXT value of the contract's queries is UTF-8
 *   (FUZZ_APPLY_CHECK_UTF8; subjects that are not UTF-8 are unknown).
 *
 * Between inputs the databases are emptied, not rebuilt, and sequences go
 * on growing, so that checkpoints stay where the fold put them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "contract.h"
#include "event.h"
#include "fold.h"
#include "fuzz.h"
#include "migrate.h"
#include "projections.h"
#include "registry.h"
#include "rust_subject.h"
#include "stmt.h"

#define FUZZ_APPLY_NPROJS	3
/* The stored time of event i (from 1) when its subject line gives none. */
#define FUZZ_APPLY_STORED_MS(i)	(INT64_C(1700000000000) + (int64_t)(i) * 1000)
/* How often the (slower) integrity check runs, in inputs. */
#define FUZZ_APPLY_INTEGRITY_EVERY	16

struct fuzz_apply_event {
	char		*subject;
	char		*payload;	/* exactly len bytes: ASan sees overreads */
	size_t		 len;
	int64_t		 stored_ms;
	struct rust_subject sub;
};

struct fuzz_apply_db {
	sqlite3		*db;
	struct fold	*fold;
	char		*reset_sql;	/* empties every table but the engine's own */
	sqlite3_stmt	*record;	/* into temp.fuzz_events */
	sqlite3_stmt	*invariants;	/* fuzz_apply_invariants */
};

/* [0] folds in one batch, [1] one batch per event. */
static struct fuzz_apply_db fuzz_apply_dbs[2];
static uint64_t	fuzz_apply_seq;		/* the last sequence folded */
static unsigned long fuzz_apply_runs;

/*
 * Each row names a broken promise of the read model (read-model.md section
 * 3), checked on the batch-folded database, with the events of the input in
 * temp.fuzz_events and the range of their sequences as ?1 (first) and ?2
 * (last).
 */
static const char fuzz_apply_invariants[] =
	"SELECT 'player_stats counter below zero: ' || steam_id FROM player_stats"
	" WHERE chat_messages < 0 OR reports_received < 0"
	" UNION ALL SELECT 'banned is not 0 or 1: ' || steam_id FROM player_stats"
	" WHERE banned != 0 AND banned != 1"
	" UNION ALL SELECT 'ban_reason without a ban: ' || steam_id"
	" FROM player_stats WHERE banned = 0 AND ban_reason IS NOT NULL"
	" UNION ALL SELECT 'first_seen after last_seen: ' || steam_id"
	" FROM player_stats WHERE first_seen > last_seen"
	" OR (first_seen IS NULL) != (last_seen IS NULL)"
	" UNION ALL SELECT 'name without its time: ' || steam_id"
	" FROM player_stats WHERE name IS NOT NULL AND name_at IS NULL"
	" UNION ALL SELECT 'leaderboard counts: ' || steam_id"
	" FROM leaderboard_stats WHERE kills < 0 OR deaths < 0 OR headshots < 0"
	" OR headshots > kills OR kills + deaths = 0"
	" OR (longest_kill_m IS NOT NULL AND kills = 0)"
	" UNION ALL SELECT 'leaderboard row in a wipe that is not: ' || steam_id"
	" FROM leaderboard_stats l WHERE wipe_id < 0 OR wipe_id >"
	" (SELECT count(*) FROM wipes w WHERE w.server_id = l.server_id)"
	" UNION ALL SELECT 'session half closed: ' || seq FROM session_history"
	" WHERE (disconnected_at IS NULL) != (duration_s IS NULL)"
	" OR (disconnected_at IS NULL) != (end_reason IS NULL)"
	" UNION ALL SELECT 'session ends before it starts: ' || seq"
	" FROM session_history WHERE duration_s < 0"
	" OR disconnected_at < connected_at"
	" UNION ALL SELECT 'duration is not the difference: ' || seq"
	" FROM session_history WHERE abs(duration_s - 86400.0 *"
	" (julianday(disconnected_at) - julianday(connected_at))) > 0.01"
	" UNION ALL SELECT 'session of an event not folded: ' || seq"
	" FROM session_history WHERE seq < ?1 OR seq > ?2"
	" UNION ALL SELECT 'wipes not numbered 1, 2, ...: ' || server_id"
	" FROM wipes GROUP BY server_id"
	" HAVING min(wipe_id) != 1 OR max(wipe_id) != count(*)"
	" UNION ALL SELECT 'status and times disagree: ' || server_id"
	" FROM server_state WHERE (status = 'unknown') !="
	" (last_started_at IS NULL AND last_stopped_at IS NULL)"
	" OR (status = 'online' AND last_started_at IS NULL)"
	" OR (status = 'offline' AND last_stopped_at IS NULL)"
	" UNION ALL SELECT 'not a contract time: ' || t FROM ("
	"  SELECT last_started_at AS t FROM server_state"
	"  UNION ALL SELECT last_stopped_at FROM server_state"
	"  UNION ALL SELECT wiped_at FROM wipes"
	"  UNION ALL SELECT connected_at FROM session_history"
	"  UNION ALL SELECT disconnected_at FROM session_history"
	"  UNION ALL SELECT first_seen FROM player_stats"
	"  UNION ALL SELECT last_seen FROM player_stats"
	"  UNION ALL SELECT name_at FROM player_stats"
	"  UNION ALL SELECT ban_at FROM player_stats)"
	" WHERE t IS NOT NULL AND (typeof(t) != 'text' OR t NOT GLOB"
	"  '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
	"[0-5][0-9].[0-9][0-9][0-9]Z')"
	" UNION ALL SELECT 'parked outside the input: ' || seq"
	" FROM projector_parked WHERE seq < ?1 OR seq > ?2 OR reason = ''"
	" OR projection NOT IN ('session_history', 'player_profiles',"
	"  'leaderboard')"
	" UNION ALL SELECT 'checkpoint is not the last sequence: ' || projection"
	" FROM projector_status WHERE last_seq != ?2"
	/* servers: one row per server of a recognised event, parked or not. */
	" UNION ALL SELECT 'server without an event: ' || server_id"
	" FROM server_state WHERE server_id NOT IN"
	" (SELECT server_id FROM temp.fuzz_events WHERE kind != 0)"
	" UNION ALL SELECT 'event server not in servers: ' || server_id"
	" FROM temp.fuzz_events WHERE kind != 0 AND server_id NOT IN"
	" (SELECT server_id FROM server_state)"
	/* session_history: one row per connected event not parked for it. */
	" UNION ALL SELECT 'sessions and connects disagree' WHERE"
	" (SELECT count(*) FROM session_history) != (SELECT count(*)"
	" FROM temp.fuzz_events e WHERE kind = ?3 AND NOT EXISTS (SELECT 1"
	" FROM projector_parked p WHERE p.seq = e.seq"
	" AND p.projection = 'session_history'))"
	/* player_profiles: a row for the player of every event not parked. */
	" UNION ALL SELECT 'player without a profile: ' || steam_id"
	" FROM temp.fuzz_events e WHERE steam_id IS NOT NULL AND NOT EXISTS"
	" (SELECT 1 FROM projector_parked p WHERE p.seq = e.seq"
	" AND p.projection = 'player_profiles') AND steam_id NOT IN"
	" (SELECT steam_id FROM player_stats)"
	" UNION ALL SELECT 'chat messages and chat events disagree'"
	" WHERE (SELECT coalesce(sum(chat_messages), 0) FROM player_stats) !="
	" (SELECT count(*) FROM temp.fuzz_events e WHERE kind = ?4"
	" AND NOT EXISTS (SELECT 1 FROM projector_parked p WHERE p.seq = e.seq"
	" AND p.projection = 'player_profiles'))"
	/* wipes: one row per wiped event not parked for leaderboard. */
	" UNION ALL SELECT 'wipes and wiped events disagree'"
	" WHERE (SELECT count(*) FROM wipes) != (SELECT count(*)"
	" FROM temp.fuzz_events e WHERE kind = ?5 AND NOT EXISTS (SELECT 1"
	" FROM projector_parked p WHERE p.seq = e.seq"
	" AND p.projection = 'leaderboard'))"
	/* Unknown subjects are counted once, never parked. */
	" UNION ALL SELECT 'unknown events miscounted' WHERE"
	" coalesce((SELECT value FROM projector_meta"
	" WHERE key = 'unknown_events'), 0) !="
	" (SELECT count(*) FROM temp.fuzz_events WHERE kind = 0)"
	" UNION ALL SELECT 'an unknown event was parked: ' || p.seq"
	" FROM projector_parked p JOIN temp.fuzz_events e USING (seq)"
	" WHERE e.kind = 0";

/* Says which promise broke, and aborts: a crash for libFuzzer. */
static void __attribute__((noreturn))
fuzz_apply_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_apply: %s: %s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

static void
fuzz_apply_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fuzz_apply: %s\n", sql);
		fuzz_apply_fail("sqlite3_exec", msg);
	}
}

/* Builds "DELETE FROM t;" for every table a fold writes but its status. */
static char *
fuzz_apply_reset_sql(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	sqlite3_str *s = sqlite3_str_new(db);

	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema"
	    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	    " AND name != 'projector_status' AND name != 'projector_migrations'",
	    -1, &st, NULL) != SQLITE_OK)
		fuzz_apply_fail("listing tables", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		sqlite3_str_appendf(s, "DELETE FROM \"%w\";",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_str_appendall(s, "DELETE FROM temp.fuzz_events;");
	return sqlite3_str_finish(s);
}

static void
fuzz_apply_open(struct fuzz_apply_db *d)
{
	char err[512];
	size_t i;

	if (sqlite3_open(":memory:", &d->db) != SQLITE_OK)
		fuzz_apply_fail("sqlite3_open", sqlite3_errmsg(d->db));
	/* The worker's pragmas that matter in memory (src/db.c). */
	fuzz_apply_exec(d->db, "PRAGMA foreign_keys = OFF;"
	    " PRAGMA trusted_schema = OFF;"
	    " CREATE TEMP TABLE fuzz_events (seq INTEGER PRIMARY KEY,"
	    " kind INTEGER NOT NULL, server_id TEXT, steam_id TEXT)");
	if (migrate_apply(d->db, "core", migrations_core, NULL, err,
	    sizeof(err)) == -1)
		fuzz_apply_fail("migrate_apply", err);
	for (i = 0; projections_builtin[i] != NULL; i++)
		if (migrate_apply(d->db, projections_builtin[i]->name,
		    projections_builtin[i]->migrations, NULL, err,
		    sizeof(err)) == -1)
			fuzz_apply_fail("migrate_apply", err);
	if (fold_open(d->db, NULL, projections_builtin, FUZZ_APPLY_NPROJS, &d->fold,
	    err, sizeof(err)) != FOLD_OK)
		fuzz_apply_fail("fold_open", err);
	d->reset_sql = fuzz_apply_reset_sql(d->db);
	/* Prepared once: a statement this long costs more than a fold. */
	if (sqlite3_prepare_v3(d->db, "INSERT INTO temp.fuzz_events"
	    " VALUES (?1, ?2, ?3, ?4)", -1, SQLITE_PREPARE_PERSISTENT,
	    &d->record, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(d->db, fuzz_apply_invariants, -1,
	    SQLITE_PREPARE_PERSISTENT, &d->invariants, NULL) != SQLITE_OK)
		fuzz_apply_fail("preparing", sqlite3_errmsg(d->db));
}

/*
 * Closes the databases the harness keeps between inputs, so that a test can
 * end with no memory still held. The next fuzz_apply_one() opens them again.
 * Cannot fail.
 */
void
fuzz_apply_release(void)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		sqlite3_finalize(fuzz_apply_dbs[i].record);
		sqlite3_finalize(fuzz_apply_dbs[i].invariants);
		fold_close(fuzz_apply_dbs[i].fold);
		sqlite3_free(fuzz_apply_dbs[i].reset_sql);
		if (fuzz_apply_dbs[i].db != NULL &&
		    sqlite3_close(fuzz_apply_dbs[i].db) != SQLITE_OK)
			fuzz_apply_fail("sqlite3_close", "statements left");
		memset(&fuzz_apply_dbs[i], 0, sizeof(fuzz_apply_dbs[i]));
	}
	fuzz_apply_seq = 0;
}

static void *
fuzz_apply_copy(const void *p, size_t len)
{
	char *c = malloc(len + 1);

	if (c == NULL)
		fuzz_apply_fail("malloc", "out of memory");
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* Says whether s is valid UTF-8 (jansson judges). */
static int
fuzz_apply_utf8(const char *s)
{
	json_t *text = json_string(s);

	json_decref(text);
	return text != NULL;
}

/*
 * Splits data into at most FUZZ_APPLY_MAX events (the format of fuzz.h).
 * Returns how many; each one's strings are the caller's to free.
 */
static size_t
fuzz_apply_split(const uint8_t *data, size_t size, struct fuzz_apply_event *ev)
{
	static const char sep[] = FUZZ_APPLY_SEPARATOR;
	const char *p = (const char *)data, *end = p + size, *rec_end, *nl, *sp;
	size_t n = 0, seplen = sizeof(sep) - 1;
	char *num_end;

	while (p <= end && n < FUZZ_APPLY_MAX) {
		rec_end = memmem(p, (size_t)(end - p), sep, seplen);
		if (rec_end == NULL)
			rec_end = end;
		if ((nl = memchr(p, '\n', (size_t)(rec_end - p))) == NULL)
			nl = rec_end;
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].stored_ms = FUZZ_APPLY_STORED_MS(n + 1);
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) != NULL) {
			char *num = fuzz_apply_copy(sp + 1, (size_t)(nl - sp - 1));
			long long v;

			errno = 0;
			v = strtoll(num, &num_end, 10);
			if (errno == 0 && num_end != num)
				ev[n].stored_ms = v;
			free(num);
		} else
			sp = nl;
		ev[n].subject = fuzz_apply_copy(p, (size_t)(sp - p));
		/* A payload of exactly len bytes: no NUL after it to lean on. */
		ev[n].len = nl < rec_end ? (size_t)(rec_end - nl - 1) : 0;
		ev[n].payload = malloc(ev[n].len > 0 ? ev[n].len : 1);
		if (ev[n].payload == NULL)
			fuzz_apply_fail("malloc", "out of memory");
		if (ev[n].len > 0)
			memcpy(ev[n].payload, nl + 1, ev[n].len);
		rust_subject_parse(ev[n].subject, &ev[n].sub);
		/* The engine hands projections UTF-8 subjects only. */
		if (!fuzz_apply_utf8(ev[n].subject))
			memset(&ev[n].sub, 0, sizeof(ev[n].sub));
		n++;
		if (rec_end == end)
			break;
		p = rec_end + seplen;
	}
	return n;
}

/* The deepest nesting of arrays and objects in j (a scalar is 0). */
static int
fuzz_apply_depth(const json_t *j)
{
	const json_t *v;
	const char *key;
	size_t i;
	int d, max = 0;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((d = fuzz_apply_depth(v)) > max)
				max = d;
		return max + 1;
	}
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v)
			if ((d = fuzz_apply_depth(v)) > max)
				max = d;
		return max + 1;
	}
	return 0;
}

/* Whether some string or key in j holds a NUL (which jansson allows). */
static int
fuzz_apply_has_nul(const json_t *j)
{
	const json_t *v;
	const char *key;
	size_t i, keylen;

	if (json_is_string(j))
		return strlen(json_string_value(j)) != json_string_length(j);
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (fuzz_apply_has_nul(v))
				return 1;
	}
	if (json_is_object(j)) {
		json_object_keylen_foreach((json_t *)j, key, keylen, v)
			if (strlen(key) != keylen || fuzz_apply_has_nul(v))
				return 1;
	}
	return 0;
}

/*
 * event_decode() against jansson without the contract's limits: it must
 * accept exactly the JSON within them (UTF-8, no \u0000, 1 MiB, 64 levels),
 * and what it accepts must print and parse back to the same value.
 */
static void
fuzz_apply_check_decode(const struct fuzz_apply_event *ev)
{
	json_t *j = NULL, *plain, *again = NULL;
	json_error_t je;
	char err[256], *text;
	int ok;

	ok = event_decode(ev->payload, ev->len, &j, err, sizeof(err)) == 0;
	plain = json_loadb(ev->payload, ev->len, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &je);
	if (ok) {
		if (plain == NULL || !json_equal(j, plain))
			fuzz_apply_fail("event_decode accepts what jansson"
			    " does not", je.text);
		if (fuzz_apply_depth(j) > EVENT_MAX_DEPTH ||
		    fuzz_apply_has_nul(j) || ev->len > EVENT_MAX_PAYLOAD)
			fuzz_apply_fail("event_decode accepts a payload beyond"
			    " the limits", ev->subject);
		text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		if (text == NULL || event_decode(text, strlen(text), &again, err,
		    sizeof(err)) == -1 || !json_equal(j, again))
			fuzz_apply_fail("event_decode does not read back what"
			    " jansson printed", err);
		free(text);
		json_decref(again);
	} else if (plain != NULL &&
	    fuzz_apply_depth(plain) <= EVENT_MAX_DEPTH &&
	    !fuzz_apply_has_nul(plain) && ev->len <= EVENT_MAX_PAYLOAD)
		fuzz_apply_fail("event_decode refuses JSON within the limits", err);
	json_decref(j);
	json_decref(plain);
}

/*
 * rust_subject.c and registry.c must agree on which subjects are the feed's,
 * among those the engine hands to projections at all: UTF-8 ones
 * (projection.h; the engine asks event_subject_ok(), the parser has set
 * others to RUST_UNKNOWN).
 */
static void
fuzz_apply_check_subject(const struct fuzz_apply_event *ev)
{
	size_t i;
	int wanted = 0, known = ev->sub.kind != RUST_UNKNOWN;

	for (i = 0; i < FUZZ_APPLY_NPROJS && event_subject_ok(ev->subject); i++)
		wanted |= registry_wants(projections_builtin[i], ev->subject);
	if (wanted != known)
		fuzz_apply_fail(wanted ? "registry wants a subject rust_subject.c"
		    " does not know" : "rust_subject.c knows a subject no"
		    " projection wants", ev->subject);
}

static void
fuzz_apply_fold(struct fuzz_apply_db *d, const struct fuzz_apply_event *ev,
    size_t from, size_t to, uint64_t first)
{
	char err[1024];
	size_t i;

	for (i = from; i < to; i++)
		/*
		 * FOLD_AGAIN fails too: it would mean a built-in projection
		 * wrote before it refused an event (projection.h).
		 */
		if (fold_event(d->fold, first + i, ev[i].stored_ms, ev[i].subject,
		    ev[i].payload, ev[i].len, err, sizeof(err)) != FOLD_OK)
			fuzz_apply_fail("fold_event failed", err);
}

static void
fuzz_apply_begin(struct fuzz_apply_db *d)
{
	char err[1024];

	if (fold_begin(d->fold, err, sizeof(err)) != FOLD_OK)
		fuzz_apply_fail("fold_begin", err);
}

static void
fuzz_apply_commit(struct fuzz_apply_db *d, uint64_t last)
{
	char err[1024];

	if (fold_commit(d->fold, last, err, sizeof(err)) != FOLD_OK)
		fuzz_apply_fail("fold_commit", err);
}

/* Records the input's events where the invariants can join them. */
static void
fuzz_apply_record(struct fuzz_apply_db *d, const struct fuzz_apply_event *ev,
    size_t n, uint64_t first)
{
	sqlite3_stmt *st = d->record;
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(first + i));
		sqlite3_bind_int(st, 2, ev[i].sub.kind);
		stmt_bind_span(st, 3, ev[i].sub.server_id);
		stmt_bind_span(st, 4, ev[i].sub.steam_id);
		if (sqlite3_step(st) != SQLITE_DONE)
			fuzz_apply_fail("recording events", sqlite3_errmsg(d->db));
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

static void
fuzz_apply_check_invariants(struct fuzz_apply_db *d, uint64_t first,
    uint64_t last)
{
	sqlite3_stmt *st = d->invariants;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)last);
	sqlite3_bind_int(st, 3, RUST_CONNECTED);
	sqlite3_bind_int(st, 4, RUST_CHATTED);
	sqlite3_bind_int(st, 5, RUST_WIPED);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fuzz_apply_fail("read model", (const char *)
		    sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		fuzz_apply_fail("running the invariants", sqlite3_errmsg(d->db));
	sqlite3_reset(st);
}

static void
fuzz_apply_check_integrity(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		fuzz_apply_fail("integrity_check", sqlite3_errmsg(db));
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		fuzz_apply_fail("integrity_check",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * Every value of the contract's queries prints as JSON, so every TEXT is
 * UTF-8: a website's reader (Python's sqlite3, Datasette) fails the whole
 * query on one that is not. contract_snapshot() drops a value that is not
 * (json_stringn() refuses it), leaving its row short. It once failed: a
 * subject token that is not UTF-8 (NATS takes any byte) became a server_id
 * as it was (tests/fuzz/regress/apply/subject-not-utf8); such subjects are
 * now unknown to every projection.
 */
#define FUZZ_APPLY_CHECK_UTF8	1

static void
fuzz_apply_check_utf8(const json_t *snapshot)
{
	const json_t *rows, *row;
	size_t i, j, ncols;

	for (i = 0; i < contract_nqueries; i++) {
		ncols = 0;
		while (contract_queries[i].columns[ncols] != NULL)
			ncols++;
		rows = json_object_get(snapshot, contract_queries[i].name);
		json_array_foreach(rows, j, row)
			if (json_array_size(row) != ncols)
				fuzz_apply_fail("a TEXT value that is not UTF-8 in",
				    contract_queries[i].name);
	}
}

static void
fuzz_apply_check_same(void)
{
	json_t *a, *b;
	char err[2048];

	if ((a = contract_snapshot(fuzz_apply_dbs[0].db, err, sizeof(err))) ==
	    NULL || (b = contract_snapshot(fuzz_apply_dbs[1].db, err,
	    sizeof(err))) == NULL)
		fuzz_apply_fail("contract_snapshot", err);
	if (contract_diff(a, b, err, sizeof(err)) == -1)
		fuzz_apply_fail("one batch and one batch per event differ", err);
	if (FUZZ_APPLY_CHECK_UTF8)
		fuzz_apply_check_utf8(a);
	/* For a look at what an input made, or a comparison with the oracle. */
	if (getenv("FUZZ_APPLY_DUMP") != NULL) {
		json_dumpf(a, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
		fflush(stdout);
	}
	json_decref(a);
	json_decref(b);
}

/*
 * Folds data, a stream of events in the format of fuzz.h, into both
 * databases and checks what must hold (the header comment). Aborts when
 * something does not hold.
 */
void
fuzz_apply_one(const uint8_t *data, size_t size)
{
	struct fuzz_apply_event ev[FUZZ_APPLY_MAX];
	struct fuzz_apply_db *batch = &fuzz_apply_dbs[0];
	struct fuzz_apply_db *single = &fuzz_apply_dbs[1];
	uint64_t first, last;
	int changes;
	size_t i, n;

	if (batch->db == NULL) {
		fuzz_apply_open(batch);
		fuzz_apply_open(single);
	}
	n = fuzz_apply_split(data, size, ev);
	first = fuzz_apply_seq + 1;
	last = fuzz_apply_seq + n;
	for (i = 0; i < n; i++) {
		fuzz_apply_check_decode(&ev[i]);
		fuzz_apply_check_subject(&ev[i]);
	}
	fuzz_apply_exec(batch->db, batch->reset_sql);
	fuzz_apply_exec(single->db, single->reset_sql);
	fuzz_apply_record(batch, ev, n, first);

	/* A batch rolled back leaves nothing, checkpoints included. */
	fuzz_apply_begin(batch);
	fuzz_apply_fold(batch, ev, 0, n, first);
	fold_rollback(batch->fold);
	if (fold_min_checkpoint(batch->fold) != fuzz_apply_seq)
		fuzz_apply_fail("rollback", "the checkpoint moved");
	fuzz_apply_begin(batch);
	fuzz_apply_fold(batch, ev, 0, n, first);
	fuzz_apply_commit(batch, last);
	if (fold_min_checkpoint(batch->fold) != last)
		fuzz_apply_fail("commit", "the checkpoint is not the last event");

	/* JetStream redelivers everything: nothing changes. */
	changes = sqlite3_total_changes(batch->db);
	fuzz_apply_begin(batch);
	fuzz_apply_fold(batch, ev, 0, n, first);
	fuzz_apply_commit(batch, last);
	if (sqlite3_total_changes(batch->db) != changes)
		fuzz_apply_fail("redelivery", "it changed the database");

	for (i = 0; i < n; i++) {
		fuzz_apply_begin(single);
		fuzz_apply_fold(single, ev, i, i + 1, first);
		fuzz_apply_commit(single, last);
	}

	fuzz_apply_check_same();
	if (n > 0)
		fuzz_apply_check_invariants(batch, first, last);
	if (fuzz_apply_runs++ % FUZZ_APPLY_INTEGRITY_EVERY == 0)
		fuzz_apply_check_integrity(batch->db);
	fuzz_apply_seq = last;
	for (i = 0; i < n; i++) {
		free(ev[i].subject);
		free(ev[i].payload);
	}
}
