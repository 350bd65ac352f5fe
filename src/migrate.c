/*
 * migrate.c: schema migrations (see migrate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "digest.h"
#include "guard.h"
#include "migrate.h"

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS projector_migrations ("
	" scope TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" applied_at TEXT NOT NULL DEFAULT (" DB_NOW_SQL "),"
	" sha256 TEXT,"
	" PRIMARY KEY (scope, name)) WITHOUT ROWID";

/* A database made before checksums were recorded lacks the column. */
static const char has_sha_sql[] =
	"SELECT 1 FROM pragma_table_info('projector_migrations')"
	" WHERE name = 'sha256'";
static const char add_sha_sql[] =
	"ALTER TABLE projector_migrations ADD COLUMN sha256 TEXT";

/* A projection's migrations run confined by its guard (guard.h). */
struct migrate_confine {
	struct guard			*guard;
	const struct projection		*p;
};

/* What projector_migrations says of one migration. */
struct migrate_row {
	int	done;				/* recorded */
	char	sha256[DIGEST_HEX_LEN + 1];	/* "" when recorded without */
};

/* Creates projector_migrations, or gives an older one its sha256 column. */
static int
bootstrap(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_exec(db, bootstrap_sql, "creating projector_migrations", err,
	    errlen) == -1)
		return -1;
	rc = sqlite3_prepare_v2(db, has_sha_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading projector_migrations: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return db_exec(db, add_sha_sql, "adding projector_migrations.sha256",
	    err, errlen);
}

/* Reads the record of scope/name into *row. Returns 0, or -1 with err. */
static int
recorded(sqlite3 *db, const char *scope, const char *name,
    struct migrate_row *row, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *sha;
	int rc;

	memset(row, 0, sizeof(*row));
	rc = sqlite3_prepare_v2(db, "SELECT sha256 FROM projector_migrations"
	    " WHERE scope = ?1 AND name = ?2", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading projector_migrations: %s",
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	if (rc == SQLITE_ROW) {
		row->done = 1;
		sha = sqlite3_column_text(st, 0);
		if (sha != NULL)
			snprintf(row->sha256, sizeof(row->sha256), "%s",
			    (const char *)sha);
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * Checks a recorded migration against the SQL shipped now; records the
 * checksum of one applied before checksums were. Returns 0, or -1 with err.
 */
static int
unchanged(sqlite3 *db, const char *scope, const char *name,
    const struct migrate_row *row, const char *sha256, char *err,
    size_t errlen)
{
	char *sql;
	int rc;

	if (row->sha256[0] != '\0') {
		if (strcmp(row->sha256, sha256) == 0)
			return 0;
		snprintf(err, errlen, "migration %s/%s changed after it was"
		    " applied (sha256 %s then, %s now): a shipped migration is"
		    " never edited; restore it and add the change as a new"
		    " NNNN file", scope, name, row->sha256, sha256);
		return -1;
	}
	sql = sqlite3_mprintf("UPDATE projector_migrations SET sha256 = %Q"
	    " WHERE scope = %Q AND name = %Q", sha256, scope, name);
	rc = db_exec(db, sql, "recording a migration's checksum", err, errlen);
	sqlite3_free(sql);
	return rc;
}

/* Applies one migration and records it, in one transaction. */
static int
apply_one(sqlite3 *db, const char *scope, const struct projection_migration *m,
    const char *sha256, const struct migrate_confine *c, char *err,
    size_t errlen)
{
	int rc;

	struct migrate_row row;
	char what[256];
	char *rec;

	if (db_exec(db, "BEGIN IMMEDIATE", "starting a migration", err,
	    errlen) == -1)
		return -1;
	/* Checked again inside the write lock: another process may have won. */
	if (recorded(db, scope, m->name, &row, err, errlen) == -1)
		goto fail;
	if (!row.done) {
		snprintf(what, sizeof(what), "migration %s/%s", scope, m->name);
		/* The projection's own SQL alone runs under its rules. */
		if (c != NULL)
			guard_enter(c->guard, GUARD_MIGRATION, c->p);
		rc = db_exec(db, m->sql, what, err, errlen);
		if (c != NULL) {
			guard_leave(c->guard);
			if (rc == -1 && guard_denied(c->guard) != NULL)
				snprintf(err, errlen, "%s: %s", what,
				    guard_denied(c->guard));
		}
		if (rc == -1)
			goto fail;
		rec = sqlite3_mprintf("INSERT INTO projector_migrations"
		    " (scope, name, sha256) VALUES (%Q, %Q, %Q)", scope,
		    m->name, sha256);
		if (db_exec(db, rec, "recording a migration", err,
		    errlen) == -1) {
			sqlite3_free(rec);
			goto fail;
		}
		sqlite3_free(rec);
	} else if (unchanged(db, scope, m->name, &row, sha256, err,
	    errlen) == -1)
		goto fail;
	if (db_exec(db, "COMMIT", "committing a migration", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Walks the migrations of scope in order and either counts (apply == 0) or
 * applies (apply == 1) those not recorded yet; a recorded one must be
 * unchanged.
 */
static int
walk(sqlite3 *db, const char *scope, const struct projection_migration *list,
    const struct migrate_confine *c, int apply, int *count, char *err,
    size_t errlen)
{
	char sha256[DIGEST_HEX_LEN + 1];
	struct migrate_row row;
	size_t i;

	*count = 0;
	if (list == NULL)
		return 0;
	if (bootstrap(db, err, errlen) == -1)
		return -1;
	for (i = 0; list[i].name != NULL; i++) {
		const struct projection_migration *m = &list[i];

		if (digest_sha256_hex(m->sql, strlen(m->sql), sha256) == -1) {
			snprintf(err, errlen, "migration %s/%s: cannot compute"
			    " its sha256", scope, m->name);
			return -1;
		}
		if (recorded(db, scope, m->name, &row, err, errlen) == -1)
			return -1;
		if (row.done && row.sha256[0] != '\0') {
			if (unchanged(db, scope, m->name, &row, sha256, err,
			    errlen) == -1)
				return -1;
			continue;
		}
		if (row.done && !apply)
			continue;
		if (apply && apply_one(db, scope, m, sha256, c, err,
		    errlen) == -1)
			return -1;
		*count += !row.done;
	}
	return 0;
}

/*
 * Applies the pending migrations of scope from list ({ NULL, NULL }-
 * terminated; NULL: none). Sets *applied (may be NULL) to how many were
 * applied. Returns 0, or -1 with the failing file and SQLite's reason, or
 * the changed file, in err; the failing file's transaction is rolled back
 * and the ones before it stay.
 */
int
migrate_apply(sqlite3 *db, const char *scope,
    const struct projection_migration *list, int *applied, char *err,
    size_t errlen)
{
	int count;

	if (walk(db, scope, list, NULL, 1, &count, err, errlen) == -1)
		return -1;
	if (applied != NULL)
		*applied = count;
	return 0;
}

/*
 * migrate_apply() of projection p's own migrations (scope: its name),
 * each confined by guard g to p's declared tables (guard.h; g NULL: not
 * confined). A denial fails the migration with it in err.
 */
int
migrate_projection(sqlite3 *db, struct guard *g, const struct projection *p,
    int *applied, char *err, size_t errlen)
{
	struct migrate_confine c = { g, p };
	int count;

	if (walk(db, p->name, p->migrations, g != NULL ? &c : NULL, 1, &count,
	    err, errlen) == -1)
		return -1;
	if (applied != NULL)
		*applied = count;
	return 0;
}

/*
 * Sets *pending to how many migrations of scope in list are not applied
 * yet; fails on one that changed since it was. Creates or upgrades
 * projector_migrations, and changes nothing else. Returns 0, or -1 with err.
 */
int
migrate_pending(sqlite3 *db, const char *scope,
    const struct projection_migration *list, int *pending, char *err,
    size_t errlen)
{
	return walk(db, scope, list, NULL, 0, pending, err, errlen);
}
