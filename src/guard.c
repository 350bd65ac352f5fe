/*
 * guard.c: the authorizer of a projection's calls (see guard.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "guard.h"

/* Whether t is one of p's declared tables. */
static int
declared(const struct projection *p, const char *t)
{
	size_t i;

	for (i = 0; t != NULL && p->tables != NULL && p->tables[i] != NULL;
	    i++)
		if (strcmp(p->tables[i], t) == 0)
			return 1;
	return 0;
}

static int
is_schema(const char *t)
{
	return t != NULL && (strcmp(t, "sqlite_master") == 0 ||
	    strcmp(t, "sqlite_schema") == 0 ||
	    strcmp(t, "sqlite_temp_master") == 0 ||
	    strcmp(t, "sqlite_temp_schema") == 0);
}

/*
 * A CREATE, DROP or ALTER first asks to write the schema's rows, then to
 * do itself: the second decides (and names what), so the first is let
 * through. The schema's rows cannot be written directly: the connection is
 * in defensive mode (db.c).
 */
static int
schema_row(int action, const char *a3)
{
	return (action == SQLITE_INSERT || action == SQLITE_UPDATE ||
	    action == SQLITE_DELETE) && is_schema(a3);
}

static int
is_main(const char *db)
{
	return db == NULL || strcmp(db, "main") == 0;
}

/* What an action is called in a denial. */
static const char *
action_name(int action)
{
	switch (action) {
	case SQLITE_CREATE_INDEX:	return "CREATE INDEX";
	case SQLITE_CREATE_TABLE:	return "CREATE TABLE";
	case SQLITE_CREATE_TRIGGER:	return "CREATE TRIGGER";
	case SQLITE_CREATE_VIEW:	return "CREATE VIEW";
	case SQLITE_CREATE_TEMP_TABLE:	return "CREATE TEMP TABLE";
	case SQLITE_CREATE_TEMP_INDEX:	return "CREATE TEMP INDEX";
	case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TEMP TRIGGER";
	case SQLITE_CREATE_TEMP_VIEW:	return "CREATE TEMP VIEW";
	case SQLITE_DELETE:		return "DELETE from";
	case SQLITE_DROP_INDEX:		return "DROP INDEX";
	case SQLITE_DROP_TABLE:		return "DROP TABLE";
	case SQLITE_DROP_TRIGGER:	return "DROP TRIGGER";
	case SQLITE_INSERT:		return "INSERT into";
	case SQLITE_PRAGMA:		return "PRAGMA";
	case SQLITE_READ:		return "reading";
	case SQLITE_TRANSACTION:	return "transaction control";
	case SQLITE_UPDATE:		return "UPDATE of";
	case SQLITE_ATTACH:		return "ATTACH";
	case SQLITE_DETACH:		return "DETACH";
	case SQLITE_ALTER_TABLE:	return "ALTER TABLE";
	case SQLITE_ANALYZE:		return "ANALYZE";
	case SQLITE_CREATE_VTABLE:	return "CREATE VIRTUAL TABLE";
	case SQLITE_DROP_VTABLE:	return "DROP VIRTUAL TABLE";
	case SQLITE_FUNCTION:		return "calling";
	case SQLITE_SAVEPOINT:		return "SAVEPOINT";
	default:			return "a statement";
	}
}

/* The object an action is about, for the sentence; NULL when none. */
static const char *
object(int action, const char *a3, const char *a4)
{
	switch (action) {
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TRIGGER:
	case SQLITE_FUNCTION:
	case SQLITE_ALTER_TABLE:
		return a4;
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
	case SQLITE_PRAGMA:
	case SQLITE_ATTACH:
		return a3;
	default:
		return a3;
	}
}

/* Records the first denial in words. */
static int
deny(struct guard *g, int action, const char *a3, const char *a4,
    const char *trigger)
{
	const char *what = object(action, a3, a4);
	char where[160] = "";

	if (g->denied[0] != '\0')
		return SQLITE_DENY;
	if (trigger != NULL)
		snprintf(where, sizeof(where), " (in trigger or view \"%s\")",
		    trigger);
	snprintf(g->denied, sizeof(g->denied), "%s %s%s%s%s is not allowed to"
	    " projection %s %s: it may only %s its declared tables",
	    action_name(action), what != NULL ? "\"" : "",
	    what != NULL ? what : "", what != NULL ? "\"" : "", where,
	    g->p->name, g->mode == GUARD_MIGRATION ? "in a migration" :
	    "in its calls", g->mode == GUARD_MIGRATION ?
	    "create and change" : "read and write");
	return SQLITE_DENY;
}

/* Any SQL function but the one that loads code into the process. */
static int
callable(const char *function)
{
	return function != NULL && strcasecmp(function, "load_extension") != 0;
}

static int
allow_call(struct guard *g, int action, const char *a3, const char *a4,
    const char *db, const char *trigger)
{
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_READ:
		/* a3 is NULL for a column of no table (a subquery's). */
		if (a3 == NULL || declared(g->p, a3))
			return SQLITE_OK;
		break;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (is_main(db) && declared(g->p, a3))
			return SQLITE_OK;
		break;
	case SQLITE_FUNCTION:
		if (callable(a4))
			return SQLITE_OK;
		break;
	}
	return deny(g, action, a3, a4, trigger);
}

static int
allow_migration(struct guard *g, int action, const char *a3, const char *a4,
    const char *db, const char *trigger)
{
	if (!is_main(db))
		return deny(g, action, a3, a4, trigger);
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_RECURSIVE:
	case SQLITE_READ:
	case SQLITE_CREATE_VIEW:
	case SQLITE_DROP_VIEW:
	case SQLITE_REINDEX:
		return SQLITE_OK;
	case SQLITE_CREATE_TABLE:
	case SQLITE_DROP_TABLE:
		if (declared(g->p, a3))
			return SQLITE_OK;
		break;
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TRIGGER:
	case SQLITE_ALTER_TABLE:
		if (declared(g->p, a4))
			return SQLITE_OK;
		break;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (declared(g->p, a3))
			return SQLITE_OK;
		break;
	case SQLITE_FUNCTION:
		if (callable(a4))
			return SQLITE_OK;
		break;
	}
	return deny(g, action, a3, a4, trigger);
}

static int
authorize(void *arg, int action, const char *a3, const char *a4,
    const char *db, const char *trigger)
{
	struct guard *g = arg;

	if (g->mode != GUARD_ENGINE && schema_row(action, a3))
		return SQLITE_OK;
	switch (g->mode) {
	case GUARD_CALL:
		return allow_call(g, action, a3, a4, db, trigger);
	case GUARD_MIGRATION:
		return allow_migration(g, action, a3, a4, db, trigger);
	default:
		return SQLITE_OK;
	}
}

/* Installs g on db, in GUARD_ENGINE mode. Cannot fail. */
void
guard_install(struct guard *g, sqlite3 *db)
{
	memset(g, 0, sizeof(*g));
	sqlite3_set_authorizer(db, authorize, g);
}

/* From now on, the rules of mode for p, until guard_leave(). */
void
guard_enter(struct guard *g, enum guard_mode mode, const struct projection *p)
{
	g->p = p;
	g->mode = mode;
}

/* Back to the engine's own statements. */
void
guard_leave(struct guard *g)
{
	g->mode = GUARD_ENGINE;
	g->p = NULL;
}

/* The first denial since guard_forget(), in words; NULL when none. */
const char *
guard_denied(const struct guard *g)
{
	return g->denied[0] != '\0' ? g->denied : NULL;
}

void
guard_forget(struct guard *g)
{
	g->denied[0] = '\0';
}
