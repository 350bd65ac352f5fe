/*
 * plug.c: the plug-in the loader's tests load, built by the Makefile into
 * $(B)/tests/plugins/ once as it should be (plug_seen.so) and once per way
 * of getting it wrong, chosen with -D (tests/plugins/plugins.mk):
 *
 *	PLUG_NAME="x"		another projection name
 *	PLUG_VERSION=n		another version of the fold
 *	PLUG_BUILD="x"		another build string (other bytes)
 *	PLUG_ABI=n		another ABI number in the version block
 *	PLUG_SIZE=n		another descriptor size
 *	PLUG_NO_EXPORT		no entry point
 *	PLUG_UNDEFINED		calls a function no library defines
 *	PLUG_FAKE_SQLITE	a SQLite probe that is not the engine's
 *	PLUG_MIGRATION="sql"	a second migration, 0002_extra.sql
 *
 * and, at run time, from its environment (a test fixture may; a real
 * projection never reads it):
 *
 *	PLUG_MARKER=path	init() creates the file, to show it ran
 *	PLUG_INIT_SQL=sql	init() prepares this statement too
 *	PLUG_APPLY_EXEC=sql	apply() runs this, then counts as usual
 *
 * (plug_own_sqlite.so is the right one linked with a private copy of
 * SQLite; plugins.mk says how.)
 *
 * It counts the servers' started events in plug_seen, with only
 * projection.h, SQLite and jansson, like any plug-in an owner writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projection.h"

#ifndef PLUG_NAME
#define PLUG_NAME	"plug_seen"
#endif
#ifndef PLUG_VERSION
#define PLUG_VERSION	1
#endif
#ifndef PLUG_BUILD
#define PLUG_BUILD	"test 1.0"
#endif

static const char *const plug_subjects[] = {
	"v0.rust.servers.*.events.started",
	NULL
};

static const char *const plug_tables[] = { "plug_seen", NULL };

static const struct projection_migration plug_migrations[] = {
	{ "0001_init.sql",
	  "CREATE TABLE plug_seen (server_id TEXT PRIMARY KEY,"
	  " started INTEGER NOT NULL) WITHOUT ROWID;" },
#ifdef PLUG_MIGRATION
	{ "0002_extra.sql", PLUG_MIGRATION },
#endif
	{ NULL, NULL }
};

struct plug_state {
	sqlite3_stmt	*count;
	sqlite3_stmt	*extra;		/* PLUG_INIT_SQL's */
	const char	*exec;		/* PLUG_APPLY_EXEC */
};

#ifdef PLUG_UNDEFINED
void	plug_no_such_function(void);
#endif

#ifdef PLUG_FAKE_SQLITE
static const char *
plug_private_sqlite(void)
{
	return "3.99.0";
}
#endif

static int
plug_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	struct plug_state *ps;
	const char *marker = getenv("PLUG_MARKER");
	const char *extra = getenv("PLUG_INIT_SQL");

#ifdef PLUG_UNDEFINED
	plug_no_such_function();
#endif
	if (marker != NULL) {
		FILE *f = fopen(marker, "w");

		if (f != NULL)
			fclose(f);
	}
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*state = ps;
	ps->exec = getenv("PLUG_APPLY_EXEC");
	if (sqlite3_prepare_v2(db, "INSERT INTO plug_seen (server_id, started)"
	    " VALUES (?1, 1) ON CONFLICT (server_id) DO UPDATE SET"
	    " started = started + 1", -1, &ps->count, NULL) != SQLITE_OK ||
	    (extra != NULL && sqlite3_prepare_v2(db, extra, -1, &ps->extra,
	    NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "preparing: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* v0.rust.servers.<server_id>.events.started */
static enum proj_result
plug_apply(void *state, const struct event *ev, char *err, size_t errlen)
{
	struct plug_state *ps = state;
	const char *id = ev->subject + strlen("v0.rust.servers.");
	const char *end = strchr(id, '.');
	int rc;

	if (end == NULL || end == id) {
		snprintf(err, errlen, "subject has no server id");
		return PROJ_POISON;
	}
	/* What a careless plug-in might do; its result is not looked at. */
	if (ps->exec != NULL)
		sqlite3_exec(sqlite3_db_handle(ps->count), ps->exec, NULL,
		    NULL, NULL);
	sqlite3_bind_text(ps->count, 1, id, (int)(end - id), SQLITE_STATIC);
	rc = sqlite3_step(ps->count);
	sqlite3_reset(ps->count);
	sqlite3_clear_bindings(ps->count);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "counting: %s",
		    sqlite3_errmsg(sqlite3_db_handle(ps->count)));
		return PROJ_FAIL;
	}
	return PROJ_OK;
}

static void
plug_fini(void *state)
{
	struct plug_state *ps = state;

	if (ps == NULL)
		return;
	sqlite3_finalize(ps->count);
	sqlite3_finalize(ps->extra);
	free(ps);
}

static const struct projection plug __attribute__((used)) = {
	PROJECTION_HEADER,
#ifdef PLUG_ABI
	.abi = PLUG_ABI,
#endif
#ifdef PLUG_SIZE
	.size = PLUG_SIZE,
#endif
#ifdef PLUG_FAKE_SQLITE
	.sqlite_probe = plug_private_sqlite,
#endif
	.name = PLUG_NAME,
	.version = PLUG_VERSION,
	.build = PLUG_BUILD,
	.subjects = plug_subjects,
	.tables = plug_tables,
	.migrations = plug_migrations,
	.init = plug_init,
	.apply = plug_apply,
	.fini = plug_fini
};

#ifndef PLUG_NO_EXPORT
PROJECTION_EXPORT(plug)
#endif
