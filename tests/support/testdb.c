/*
 * testdb.c: helpers for tests that feed events to projections (see
 * testdb.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "event.h"
#include "migrate.h"
#include "projections.h"
#include "testdb.h"

/*
 * Applies the migrations of core and of every built-in projection, in their
 * order, to db. Returns 0, or -1 with the reason in err.
 */
int
testdb_migrate(sqlite3 *db, char *err, size_t errlen)
{
	size_t i;

	if (migrate_apply(db, "core", migrations_core, NULL, err,
	    errlen) == -1)
		return -1;
	for (i = 0; projections_builtin[i] != NULL; i++)
		if (migrate_apply(db, projections_builtin[i]->name,
		    projections_builtin[i]->migrations, NULL, err,
		    errlen) == -1)
			return -1;
	return 0;
}

/*
 * Opens a new in-memory database, migrated (testdb_migrate()). Returns 0 and
 * sets *out, which the caller closes with sqlite3_close(), or -1 with err.
 */
int
testdb_open(sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		snprintf(err, errlen, "opening :memory:: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (testdb_migrate(db, err, errlen) == -1)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

/*
 * Builds in *te the event the engine would hand a projection for one
 * message: payload decoded with event_decode(), json NULL and json_error set
 * when it is not valid JSON. A NULL payload stands for an empty one. Cannot
 * fail; release with testdb_event_release().
 */
void
testdb_event_init(struct testdb_event *te, uint64_t seq, int64_t stored_ms,
    const char *subject, const char *payload)
{
	memset(te, 0, sizeof(*te));
	if (payload == NULL)
		payload = "";
	te->ev.seq = seq;
	te->ev.stored_ms = stored_ms;
	te->ev.subject = subject;
	te->ev.payload = payload;
	te->ev.payload_len = strlen(payload);
	if (event_decode(payload, te->ev.payload_len, &te->json, te->error,
	    sizeof(te->error)) == 0)
		te->ev.json = te->json;
	else
		te->ev.json_error = te->error;
}

/* Releases the decoded payload. Accepts a zeroed event. */
void
testdb_event_release(struct testdb_event *te)
{
	json_decref(te->json);
	te->json = NULL;
	te->ev.json = NULL;
}

/*
 * Builds one event (testdb_event_init()) and runs p's apply() on it with
 * state, as the engine does minus the savepoint. Returns what apply()
 * returned, with its reason in err.
 */
enum proj_result
testdb_apply(const struct projection *p, void *state, uint64_t seq,
    int64_t stored_ms, const char *subject, const char *payload, char *err,
    size_t errlen)
{
	struct testdb_event te;
	enum proj_result r;

	testdb_event_init(&te, seq, stored_ms, subject, payload);
	err[0] = '\0';
	r = p->apply(state, &te.ev, err, errlen);
	testdb_event_release(&te);
	return r;
}

/* Appends the text of column i of st's current row to buf at *off. */
static void
testdb_cell(sqlite3_stmt *st, int i, enum testdb_style style, char *buf,
    size_t len, size_t *off)
{
	int n = 0;

	if (*off >= len)
		return;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		n = snprintf(buf + *off, len - *off, "NULL");
		break;
	case SQLITE_INTEGER:
		n = snprintf(buf + *off, len - *off, "%lld",
		    (long long)sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		n = snprintf(buf + *off, len - *off, style == TESTDB_TYPED ?
		    "%.17g" : "%.15g", sqlite3_column_double(st, i));
		break;
	default:
		n = snprintf(buf + *off, len - *off, style == TESTDB_TYPED ?
		    "'%s'" : "%s", (const char *)sqlite3_column_text(st, i));
		break;
	}
	*off += n > 0 ? (size_t)n : 0;
}

/*
 * Runs sql on db and renders every row into buf (len bytes) in style; sets
 * *off to the length the text wanted (len or more: it was cut short).
 * Returns 0, or -1 with SQLite's reason in err.
 */
static int
testdb_render_rows(sqlite3 *db, const char *sql, enum testdb_style style,
    char *buf, size_t len, size_t *off, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int i, rc, rows = 0;

	buf[0] = '\0';
	*off = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			if ((rows > 0 || i > 0) && *off < len)
				*off += (size_t)snprintf(buf + *off, len - *off,
				    "%s", i > 0 ? "|" : "\n");
			testdb_cell(st, i, style, buf, len, off);
		}
		rows++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/*
 * Runs sql on db and renders every row into buf (len bytes): columns
 * separated by '|', rows by '\n', NULL as "NULL", REAL with 15 significant
 * digits; "" for no row, "ERROR: ..." when the query fails, so that an
 * assertion on the text shows it. Returns buf.
 */
const char *
testdb_rows(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	char err[512];
	size_t off;

	if (testdb_render_rows(db, sql, TESTDB_PLAIN, buf, len, &off, err,
	    sizeof(err)) == -1)
		snprintf(buf, len, "ERROR: %s", err);
	return buf;
}

/*
 * Renders the rows of sql on db into buf (len bytes) as testdb_rows()
 * does, in style: TESTDB_PLAIN is testdb_rows()'s text; TESTDB_TYPED puts
 * text values in single quotes (so that a text and a number, or NULL and
 * 'NULL', never look alike) and a REAL with 17 significant digits (every
 * bit: two renderings are equal only if the values are). Returns 0, or -1
 * with err when the query fails or its rows do not fit in len bytes.
 */
int
testdb_render(sqlite3 *db, const char *sql, enum testdb_style style,
    char *buf, size_t len, char *err, size_t errlen)
{
	char why[512];
	size_t off;

	if (testdb_render_rows(db, sql, style, buf, len, &off, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", sql, why);
		return -1;
	}
	if (off >= len) {
		snprintf(err, errlen, "%s: more than %zu bytes of rows", sql,
		    len);
		return -1;
	}
	return 0;
}

/* Returns the first column of sql's first row as an integer, or -1. */
long long
testdb_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Renders every row of every table of db into buf (len bytes): for each
 * table by name, a line "== NAME" and then its rows as testdb_rows() does,
 * in rowid or key order. For checks on the whole database, such as a value
 * that must be written nowhere. Returns buf; "ERROR: ..." on failure.
 */
const char *
testdb_dump(sqlite3 *db, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	size_t off = 0;
	char sql[256];

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema"
	    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, len, "ERROR: %s", sqlite3_errmsg(db));
		return buf;
	}
	while (sqlite3_step(st) == SQLITE_ROW && off < len) {
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY 1",
		    (const char *)sqlite3_column_text(st, 0));
		off += (size_t)snprintf(buf + off, len - off, "== %s\n",
		    (const char *)sqlite3_column_text(st, 0));
		if (off >= len)
			break;
		testdb_rows(db, sql, buf + off, len - off);
		off += strlen(buf + off);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "\n");
	}
	sqlite3_finalize(st);
	return buf;
}

/*
 * The setup of a projection's cmocka test: a new struct testdb_fx in
 * *state, with p initialised on a migrated in-memory database and every
 * event to come stored at stored_ms. Fails the test when that cannot be
 * done. Free it with testdb_fx_teardown().
 */
int
testdb_fx_setup(const struct projection *p, int64_t stored_ms, void **state)
{
	struct testdb_fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p = p;
	f->stored_ms = stored_ms;
	if (testdb_open(&f->db, f->err, sizeof(f->err)) == -1 ||
	    p->init(f->db, &f->state, f->err, sizeof(f->err)) == -1)
		fail_msg("%s", f->err);
	*state = f;
	return 0;
}

/*
 * The teardown that goes with testdb_fx_setup(): finalises the projection
 * and checks that the database then closes cleanly (no statement left).
 */
int
testdb_fx_teardown(void **state)
{
	struct testdb_fx *f = *state;

	f->p->fini(f->state);
	assert_int_equal(sqlite3_close(f->db), SQLITE_OK);
	free(f);
	return 0;
}

/*
 * Applies the next event (sequence f->seq + 1) of subject and payload text
 * (testdb_apply()). Returns what apply() returned, its reason in f->err.
 */
enum proj_result
testdb_fx_apply(struct testdb_fx *f, const char *subject, const char *payload)
{
	return testdb_apply(f->p, f->state, ++f->seq, f->stored_ms, subject,
	    payload, f->err, sizeof(f->err));
}

/* Applies the next event and fails the test unless it is PROJ_OK. */
void
testdb_fx_ok(struct testdb_fx *f, const char *subject, const char *payload)
{
	if (testdb_fx_apply(f, subject, payload) != PROJ_OK)
		fail_msg("%s: %s", subject, f->err);
}

/*
 * Applies the next event and fails the test unless it is poison for the
 * reason (a prefix of f->err) and writes nothing.
 */
void
testdb_fx_poison(struct testdb_fx *f, const char *subject,
    const char *payload, const char *reason)
{
	int before = sqlite3_total_changes(f->db);

	if (testdb_fx_apply(f, subject, payload) != PROJ_POISON)
		fail_msg("not poison: %s %s", subject, payload);
	if (strncmp(f->err, reason, strlen(reason)) != 0)
		fail_msg("reason \"%s\", expected \"%s\"", f->err, reason);
	assert_int_equal(sqlite3_total_changes(f->db), before);
}
