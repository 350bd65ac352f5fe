/*
 * swap.c: putting rebuilt projections in place of the live ones (see swap.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "swap.h"

#define SWAP_MAX_INDEXES	32

/*
 * Returns the quoted, comma-separated columns of table in main, each after
 * prefix (free with sqlite3_free), or NULL with err. Naming the columns
 * keeps the copy right even if a migration gave the two files a different
 * column order. The SELECT side qualifies them ("s."): SQLite reads an
 * unqualified "name" that matches no column as the string 'name', so a
 * shadow without a column would copy its name into every row instead of
 * failing.
 */
static char *
columns(sqlite3 *db, const char *table, const char *prefix, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *cols = NULL, *next;

	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'main')",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		next = sqlite3_mprintf("%z%s%s\"%w\"", cols,
		    cols != NULL ? ", " : "", prefix,
		    (const char *)sqlite3_column_text(st, 0));
		cols = next;
	}
	sqlite3_finalize(st);
	if (cols == NULL)
		snprintf(err, errlen, "table %s has no columns", table);
	return cols;
fail:
	snprintf(err, errlen, "columns of %s: %s", table, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return NULL;
}

/*
 * Replaces main.table with shadow.table: drops its indexes, copies the rows,
 * builds the indexes again.
 */
static int
copy_table(sqlite3 *db, const char *table, char *err, size_t errlen)
{
	char *index_sql[SWAP_MAX_INDEXES], *drop[SWAP_MAX_INDEXES];
	char *sql = NULL, *cols = NULL, *from = NULL;
	sqlite3_stmt *st = NULL;
	size_t i, n = 0;
	int rc = -1;

	/* Automatic indexes (primary keys) have no SQL and stay. */
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM main.sqlite_schema"
	    " WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "indexes of %s: %s", table,
		    sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (n < SWAP_MAX_INDEXES && sqlite3_step(st) == SQLITE_ROW) {
		drop[n] = sqlite3_mprintf("DROP INDEX main.\"%w\"",
		    (const char *)sqlite3_column_text(st, 0));
		index_sql[n++] = sqlite3_mprintf("%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	/* Dropped after the query: the schema must not change under it. */
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		if (db_exec(db, drop[i], NULL, err, errlen) == -1)
			goto done;
	if ((cols = columns(db, table, "", err, errlen)) == NULL ||
	    (from = columns(db, table, "s.", err, errlen)) == NULL)
		goto done;
	sql = sqlite3_mprintf("DELETE FROM main.\"%w\";"
	    " INSERT INTO main.\"%w\" (%s) SELECT %s FROM shadow.\"%w\" AS s",
	    table, table, cols, from, table);
	if (db_exec(db, sql, NULL, err, errlen) == -1)
		goto done;
	for (i = 0; i < n; i++)
		if (db_exec(db, index_sql[i], NULL, err, errlen) == -1)
			goto done;
	rc = 0;
done:
	for (i = 0; i < n; i++) {
		sqlite3_free(index_sql[i]);
		sqlite3_free(drop[i]);
	}
	sqlite3_free(sql);
	sqlite3_free(cols);
	sqlite3_free(from);
	return rc;
}

/* Moves p's parked events and checkpoint over, and marks it live. */
static int
copy_state(sqlite3 *db, const struct projection *p, char *err, size_t errlen)
{
	char *sql;
	int rc;

	sql = sqlite3_mprintf(
	    "DELETE FROM main.projector_parked WHERE projection = %Q;"
	    "INSERT INTO main.projector_parked"
	    " (projection, seq, subject, reason, parked_at)"
	    " SELECT projection, seq, subject, reason, parked_at"
	    " FROM shadow.projector_parked WHERE projection = %Q;"
	    "UPDATE main.projector_status SET version = %d,"
	    " last_seq = (SELECT last_seq FROM shadow.projector_status"
	    "  WHERE projection = %Q),"
	    " state = 'live', last_error = NULL, rebuild_seq = NULL,"
	    " rebuild_target = NULL, updated_at = %s"
	    " WHERE projection = %Q",
	    p->name, p->name, p->version, p->name, DB_NOW_SQL, p->name);
	rc = db_exec(db, sql, NULL, err, errlen);
	sqlite3_free(sql);
	return rc;
}

/*
 * Puts the nprojs projections' tables, parked events and checkpoints from
 * the shadow database at shadow_path in place of those in live, in one
 * transaction. live must be outside a transaction. Returns 0, or -1 with err
 * and live unchanged.
 */
int
swap_in(sqlite3 *live, const char *shadow_path,
    const struct projection *const *projs, size_t nprojs, char *err,
    size_t errlen)
{
	const char *const *t;
	char *sql;
	size_t i;
	int rc;

	sql = sqlite3_mprintf("ATTACH %Q AS shadow", shadow_path);
	rc = db_exec(live, sql, NULL, err, errlen);
	sqlite3_free(sql);
	if (rc == -1)
		return -1;
	if (db_exec(live, "BEGIN IMMEDIATE", NULL, err, errlen) == -1)
		goto detach;
	for (i = 0; i < nprojs; i++) {
		for (t = projs[i]->tables; *t != NULL; t++)
			if (copy_table(live, *t, err, errlen) == -1)
				goto rollback;
		if (copy_state(live, projs[i], err, errlen) == -1)
			goto rollback;
	}
	/*
	 * Events the rebuild went on without (replay --accept-gap): the file
	 * says so as long as a view of it lacks them.
	 */
	if (db_exec(live, "INSERT INTO main.projector_meta (key, value)"
	    " SELECT key, value FROM shadow.projector_meta"
	    " WHERE key = 'gap_events' AND value > 0 ON CONFLICT DO UPDATE"
	    " SET value = max(value, excluded.value)", NULL, err, errlen) == -1)
		goto rollback;
	if (db_exec(live, "COMMIT", NULL, err, errlen) == -1)
		goto rollback;
	db_exec(live, "DETACH shadow", NULL, err, errlen);
	return 0;
rollback:
	sqlite3_exec(live, "ROLLBACK", NULL, NULL, NULL);
detach:
	sqlite3_exec(live, "DETACH shadow", NULL, NULL, NULL);
	return -1;
}
