/*
 * migrate.c: schema migrations (see migrate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS projector_migrations ("
	" scope TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" applied_at TEXT NOT NULL DEFAULT (" DB_NOW_SQL "),"
	" PRIMARY KEY (scope, name)) WITHOUT ROWID";

/* Sets *done to whether scope/name is recorded. Returns 0, or -1 with err. */
static int
recorded(sqlite3 *db, const struct migration *m, int *done, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM projector_migrations"
	    " WHERE scope = ?1 AND name = ?2", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, m->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading projector_migrations: %s",
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	*done = (rc == SQLITE_ROW);
	sqlite3_finalize(st);
	return 0;
}

static int
in_scopes(const char *scope, const char *const *scopes, size_t nscopes)
{
	size_t i;

	for (i = 0; i < nscopes; i++)
		if (strcmp(scope, scopes[i]) == 0)
			return 1;
	return 0;
}

/* Applies one migration and records it, in one transaction. */
static int
apply_one(sqlite3 *db, const struct migration *m, char *err, size_t errlen)
{
	char what[256];
	char *rec;
	int done;

	if (db_exec(db, "BEGIN IMMEDIATE", "starting a migration", err,
	    errlen) == -1)
		return -1;
	/* Checked again inside the write lock: another process may have won. */
	if (recorded(db, m, &done, err, errlen) == -1)
		goto fail;
	if (!done) {
		snprintf(what, sizeof(what), "migration %s/%s", m->scope, m->name);
		if (db_exec(db, m->sql, what, err, errlen) == -1)
			goto fail;
		rec = sqlite3_mprintf("INSERT INTO projector_migrations (scope, name)"
		    " VALUES (%Q, %Q)", m->scope, m->name);
		if (db_exec(db, rec, "recording a migration", err,
		    errlen) == -1) {
			sqlite3_free(rec);
			goto fail;
		}
		sqlite3_free(rec);
	}
	if (db_exec(db, "COMMIT", "committing a migration", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Walks list for the given scopes, in scope order then list order, and either
 * counts (apply == 0) or applies (apply == 1) the migrations not recorded yet.
 */
static int
walk(sqlite3 *db, const struct migration *list, size_t n,
    const char *const *scopes, size_t nscopes, int apply, int *count,
    char *err, size_t errlen)
{
	size_t s, i;
	int done;

	*count = 0;
	if (db_exec(db, bootstrap_sql, "creating projector_migrations", err,
	    errlen) == -1)
		return -1;
	for (s = 0; s < nscopes; s++) {
		for (i = 0; i < n; i++) {
			if (strcmp(list[i].scope, scopes[s]) != 0 ||
			    in_scopes(scopes[s], scopes, s))
				continue;
			if (recorded(db, &list[i], &done, err, errlen) == -1)
				return -1;
			if (done)
				continue;
			if (apply && apply_one(db, &list[i], err, errlen) == -1)
				return -1;
			(*count)++;
		}
	}
	return 0;
}

/*
 * Applies the pending migrations of each scope in scopes, in that order
 * (callers put "core" first). Sets *applied (may be NULL) to how many were
 * applied. Returns 0, or -1 with the failing file and SQLite's reason in err;
 * the failing file's transaction is rolled back and the ones before it stay.
 */
int
migrate_apply(sqlite3 *db, const struct migration *list, size_t n,
    const char *const *scopes, size_t nscopes, int *applied,
    char *err, size_t errlen)
{
	int count;

	if (walk(db, list, n, scopes, nscopes, 1, &count, err, errlen) == -1)
		return -1;
	if (applied != NULL)
		*applied = count;
	return 0;
}

/*
 * Sets *pending to how many migrations of scopes are not applied yet. Creates
 * projector_migrations when it is missing, and changes nothing else.
 * Returns 0, or -1 with err.
 */
int
migrate_pending(sqlite3 *db, const struct migration *list, size_t n,
    const char *const *scopes, size_t nscopes, int *pending,
    char *err, size_t errlen)
{
	return walk(db, list, n, scopes, nscopes, 0, pending, err, errlen);
}
