/*
 * session_history.c: the session_history projection. It owns the
 * session_history table and the servers view but for current_wipe_id
 * (read-model.md section 3), kept in server_state.
 *
 * It subscribes to every recognised subject (rust_subjects), because servers
 * has one row per server_id of any recognised event, parked or not; it reads
 * the payload of started, stopped, connected and disconnected only, so only
 * those can be poison for it. Session times are the contract's TEXT times,
 * which compare as strings; durations are computed in C from milliseconds,
 * so that they are exact to the millisecond.
 */
#include <stdio.h>

#include "projections.h"
#include "rust_event.h"
#include "rust_subject.h"
#include "rust_time.h"
#include "span.h"
#include "stmt.h"

enum session_history_stmt {
	SESSION_HISTORY_SERVER,
	SESSION_HISTORY_OPEN_PAIR,
	SESSION_HISTORY_OPEN_SERVER,
	SESSION_HISTORY_LAST,
	SESSION_HISTORY_CLOSE,
	SESSION_HISTORY_INSERT,
	SESSION_HISTORY_NSTMT
};

static const char *const session_history_sql[SESSION_HISTORY_NSTMT] = {
	/*
	 * Registers server ?1 and, for started (?2 online, ?3 time) or
	 * stopped (?2 offline, ?4 time), sets the status of the last one in
	 * stream order and keeps the greatest time of each.
	 */
	[SESSION_HISTORY_SERVER] =
	    "INSERT INTO server_state (server_id, status, last_started_at,"
	    " last_stopped_at) VALUES (?1, coalesce(?2, 'unknown'), ?3, ?4)"
	    " ON CONFLICT (server_id) DO UPDATE SET"
	    " status = coalesce(?2, status),"
	    " last_started_at = CASE WHEN ?3 > coalesce(last_started_at, '')"
	    "  THEN ?3 ELSE last_started_at END,"
	    " last_stopped_at = CASE WHEN ?4 > coalesce(last_stopped_at, '')"
	    "  THEN ?4 ELSE last_stopped_at END",
	/* One open session of pair (?1, ?2) that connected at or before ?3. */
	[SESSION_HISTORY_OPEN_PAIR] =
	    "SELECT seq, connected_at FROM session_history"
	    " WHERE server_id = ?1 AND steam_id = ?2"
	    " AND disconnected_at IS NULL AND connected_at <= ?3 LIMIT 1",
	/* The same for server ?1, any player (?2 is not used). */
	[SESSION_HISTORY_OPEN_SERVER] =
	    "SELECT seq, connected_at FROM session_history"
	    " WHERE server_id = ?1 AND ?2 IS NULL"
	    " AND disconnected_at IS NULL AND connected_at <= ?3 LIMIT 1",
	/*
	 * Rule 2: the pair's session with the greatest connected_at <= ?3
	 * (ties: created last), and whether a disconnect at ?3 may close it:
	 * it is open, or closed with a provisional reason at or after ?3.
	 * ORs, not IN: an IN list of three makes SQLite build an ephemeral
	 * table on every run.
	 */
	[SESSION_HISTORY_LAST] =
	    "SELECT seq, connected_at, disconnected_at IS NULL"
	    " OR ((end_reason = 'superseded' OR end_reason = 'server_started'"
	    "  OR end_reason = 'server_stopped') AND disconnected_at >= ?3)"
	    " FROM session_history"
	    " WHERE server_id = ?1 AND steam_id = ?2 AND connected_at <= ?3"
	    " ORDER BY connected_at DESC, seq DESC LIMIT 1",
	[SESSION_HISTORY_CLOSE] =
	    "UPDATE session_history SET disconnected_at = ?2, duration_s = ?3,"
	    " end_reason = ?4 WHERE seq = ?1",
	[SESSION_HISTORY_INSERT] =
	    "INSERT INTO session_history (seq, server_id, steam_id, name,"
	    " connected_at) VALUES (?1, ?2, ?3, ?4, ?5)"
};

static const char *const session_history_tables[] = {
	"server_state",
	"session_history",
	NULL
};

static int
session_history_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return stmt_state_new(db, session_history_sql, SESSION_HISTORY_NSTMT,
	    state, err, errlen);
}

/*
 * Registers sub's server; status and t come with started and stopped only.
 */
static int
session_history_server(struct stmt_state *s,
    const struct rust_subject *sub, const struct rust_time *t, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(s, SESSION_HISTORY_SERVER);

	stmt_bind_span(st, 1, sub->server_id);
	if (sub->kind == RUST_STARTED) {
		sqlite3_bind_text(st, 2, "online", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, t->text, -1, SQLITE_STATIC);
	} else if (sub->kind == RUST_STOPPED) {
		sqlite3_bind_text(st, 2, "offline", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, t->text, -1, SQLITE_STATIC);
	}
	return stmt_done(st, err, errlen);
}

/* Reads a stored TEXT time back into milliseconds. */
static int
session_history_column_ms(sqlite3_stmt *st, int col, int64_t *ms, char *err,
    size_t errlen)
{
	const char *text = (const char *)sqlite3_column_text(st, col);

	if (text == NULL || rust_time_parse(text,
	    (size_t)sqlite3_column_bytes(st, col), ms) == -1) {
		snprintf(err, errlen, "session_history.connected_at is not a time");
		return -1;
	}
	return 0;
}

/* Closes session seq, which connected at connected_ms, at t for reason. */
static int
session_history_close(struct stmt_state *s, int64_t seq,
    int64_t connected_ms, const struct rust_time *t, struct span reason,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(s, SESSION_HISTORY_CLOSE);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, t->text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, (double)(t->ms - connected_ms) / 1000.0);
	stmt_bind_span(st, 4, reason);
	return stmt_done(st, err, errlen);
}

/*
 * Closes at t, with reason, every open session that connected at or before
 * t, of sub's pair (rule 1) or, when pair is 0, of sub's server (rule 3).
 * One session a round, the SELECT reset before its row is updated, so that
 * no statement reads rows while they change.
 */
static int
session_history_close_open(struct stmt_state *s,
    const struct rust_subject *sub, int pair, const struct rust_time *t,
    const char *reason, char *err, size_t errlen)
{
	sqlite3_stmt *sel = stmt_state_at(s, pair ? SESSION_HISTORY_OPEN_PAIR :
	    SESSION_HISTORY_OPEN_SERVER);
	int64_t seq, connected_ms;
	int rc;

	for (;;) {
		stmt_bind_span(sel, 1, sub->server_id);
		if (pair)
			stmt_bind_span(sel, 2, sub->steam_id);
		sqlite3_bind_text(sel, 3, t->text, -1, SQLITE_STATIC);
		if ((rc = stmt_step(sel, err, errlen)) == -1)
			return -1;
		if (rc == 0) {
			stmt_reset(sel);
			return 0;
		}
		seq = sqlite3_column_int64(sel, 0);
		rc = session_history_column_ms(sel, 1, &connected_ms, err, errlen);
		stmt_reset(sel);
		if (rc == -1 || session_history_close(s, seq, connected_ms, t,
		    span_str(reason), err, errlen) == -1)
			return -1;
	}
}

/*
 * Rule 2: a disconnect at t closes the pair's latest session that connected
 * at or before t when it is open, or when a provisional reason closed it at
 * or after t (the disconnect was only late); otherwise it changes nothing.
 */
static int
session_history_disconnect(struct stmt_state *s,
    const struct rust_subject *sub, const struct rust_time *t,
    const json_t *reason, char *err, size_t errlen)
{
	sqlite3_stmt *sel = stmt_state_at(s, SESSION_HISTORY_LAST);
	int64_t seq, connected_ms;
	int rc, closable;

	stmt_bind_span(sel, 1, sub->server_id);
	stmt_bind_span(sel, 2, sub->steam_id);
	sqlite3_bind_text(sel, 3, t->text, -1, SQLITE_STATIC);
	if ((rc = stmt_step(sel, err, errlen)) == -1)
		return -1;
	if (rc == 0) {
		stmt_reset(sel);
		return 0;
	}
	seq = sqlite3_column_int64(sel, 0);
	closable = sqlite3_column_int(sel, 2);
	rc = session_history_column_ms(sel, 1, &connected_ms, err, errlen);
	stmt_reset(sel);
	if (rc == -1)
		return -1;
	if (!closable)
		return 0;
	return session_history_close(s, seq, connected_ms, t, reason != NULL ?
	    span_json(reason) : span_str("disconnected"), err, errlen);
}

/* Rule 1: supersede the pair's open sessions, then open one at t. */
static int
session_history_connect(struct stmt_state *s, const struct event *ev,
    const struct rust_subject *sub, const struct rust_time *t,
    const json_t *name, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(s, SESSION_HISTORY_INSERT);

	if (session_history_close_open(s, sub, 1, t, "superseded", err,
	    errlen) == -1)
		return -1;
	/* The stream sequence orders sessions that connected at once. */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	stmt_bind_span(st, 2, sub->server_id);
	stmt_bind_span(st, 3, sub->steam_id);
	stmt_bind_span(st, 4, span_json(name));
	sqlite3_bind_text(st, 5, t->text, -1, SQLITE_STATIC);
	return stmt_done(st, err, errlen);
}

/*
 * Validates everything it reads of ev before writing anything, so that a
 * poison event writes nothing; then folds it.
 */
static enum proj_result
session_history_apply(void *state, const struct event *ev, char *err,
    size_t errlen)
{
	struct stmt_state *s = state;
	struct rust_subject sub;
	struct rust_time t;
	const json_t *player = NULL, *name = NULL, *reason = NULL;
	int rc = 0;

	switch (rust_subject_parse(ev->subject, &sub)) {
	case RUST_UNKNOWN:
		return PROJ_OK;
	case RUST_STARTED:
	case RUST_STOPPED:
	case RUST_CONNECTED:
	case RUST_DISCONNECTED:
		break;
	default:
		/* A kind whose payload it does not read only registers its server. */
		if (session_history_server(s, &sub, NULL, err, errlen) == -1)
			return PROJ_FAIL;
		return PROJ_OK;
	}
	if (rust_event_check(ev, sub.kind, err, errlen) == -1)
		return PROJ_POISON;
	if (sub.kind == RUST_CONNECTED &&
	    (rust_event_field(ev->json, "player", RUST_OBJECT, &player, err,
	    errlen) == -1 || rust_event_field(player, "player.name",
	    RUST_STRING, &name, err, errlen) == -1))
		return PROJ_POISON;
	if (sub.kind == RUST_DISCONNECTED && rust_event_field(ev->json,
	    "reason", RUST_STRING, &reason, err, errlen) == -1)
		return PROJ_POISON;
	if (rust_event_time(ev, sub.kind, &t, err, errlen) == -1)
		return PROJ_POISON;

	if (session_history_server(s, &sub, &t, err, errlen) == -1)
		return PROJ_FAIL;
	switch (sub.kind) {
	case RUST_STARTED:
		rc = session_history_close_open(s, &sub, 0, &t, "server_started",
		    err, errlen);
		break;
	case RUST_STOPPED:
		rc = session_history_close_open(s, &sub, 0, &t, "server_stopped",
		    err, errlen);
		break;
	case RUST_CONNECTED:
		rc = session_history_connect(s, ev, &sub, &t, name, err, errlen);
		break;
	default:
		rc = session_history_disconnect(s, &sub, &t, reason, err, errlen);
		break;
	}
	return rc == -1 ? PROJ_FAIL : PROJ_OK;
}

/*
 * A parked event still names its server, from the subject alone, and servers
 * has a row for it (read-model.md section 3, servers).
 */
static enum proj_result
session_history_parked(void *state, const struct event *ev, char *err,
    size_t errlen)
{
	struct stmt_state *s = state;
	struct rust_subject sub;

	if (rust_subject_parse(ev->subject, &sub) == RUST_UNKNOWN)
		return PROJ_OK;
	sub.kind = RUST_UNKNOWN;	/* no status, no time: its payload is bad */
	if (session_history_server(s, &sub, NULL, err, errlen) == -1)
		return PROJ_FAIL;
	return PROJ_OK;
}

const struct projection proj_session_history = {
	PROJECTION_HEADER,
	.name = "session_history",
	.version = 1,
	.subjects = rust_subjects,
	.tables = session_history_tables,
	.migrations = migrations_session_history,
	.init = session_history_init,
	.apply = session_history_apply,
	.parked = session_history_parked,
	.fini = stmt_state_free
};
