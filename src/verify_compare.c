/*
 * verify_compare.c: verify's comparison of a live and a rebuilt database
 * (see verify.h), apart from the rebuild that verify.c drives, so that it
 * links with SQLite alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

/*
 * Orders two values as SQLite's ORDER BY does with the BINARY collation:
 * NULL, then numbers (by value), then text, then blobs.
 */
static int
value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	static const int rank[] = { 0, 1, 1, 2, 3, 0 };	/* by SQLITE_* type */
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
	const void *pa, *pb;
	int na, nb, c;

	if (rank[ta] != rank[tb])
		return rank[ta] < rank[tb] ? -1 : 1;
	switch (ta) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER)
			return (sqlite3_value_int64(a) > sqlite3_value_int64(b)) -
			    (sqlite3_value_int64(a) < sqlite3_value_int64(b));
		return (sqlite3_value_double(a) > sqlite3_value_double(b)) -
		    (sqlite3_value_double(a) < sqlite3_value_double(b));
	default:
		/* The pointers first, then the sizes, as SQLite asks. */
		pa = sqlite3_value_blob(a);
		pb = sqlite3_value_blob(b);
		na = sqlite3_value_bytes(a);
		nb = sqlite3_value_bytes(b);
		/* An empty value may have no bytes at all: a NULL pointer. */
		c = na > 0 && nb > 0 ? memcmp(pa, pb, (size_t)(na < nb ? na :
		    nb)) : 0;
		return c != 0 ? c : (na > nb) - (na < nb);
	}
}

static int
row_cmp(sqlite3_stmt *a, sqlite3_stmt *b, int ncol)
{
	int i, c;

	for (i = 0; i < ncol; i++)
		if ((c = value_cmp(sqlite3_column_value(a, i),
		    sqlite3_column_value(b, i))) != 0)
			return c;
	return 0;
}

/*
 * Returns a REAL as SQLite writes it (15 significant digits, "2.0" for a
 * whole one) when that reads back as the same double, else with 17 digits:
 * two REALs that differ only in their last bits must not print alike.
 * Free with sqlite3_free().
 */
static char *
real_text(double d)
{
	char *v = sqlite3_mprintf("%!.15g", d);

	if (v != NULL && strtod(v, NULL) != d) {
		sqlite3_free(v);
		v = sqlite3_mprintf("%!.17g", d);
	}
	return v;
}

/* Prints one row as (v1, v2, ...), values as SQL literals. */
static void
print_row(FILE *out, const char *where, const char *table, sqlite3_stmt *st,
    int ncol)
{
	int i;

	fprintf(out, "  %s: only in the %s view: (", table, where);
	for (i = 0; i < ncol; i++) {
		char *v;

		if (sqlite3_column_type(st, i) == SQLITE_FLOAT)
			v = real_text(sqlite3_column_double(st, i));
		else if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
			v = sqlite3_mprintf("%s",
			    (const char *)sqlite3_column_text(st, i));
		else
			v = sqlite3_mprintf("%Q",
			    (const char *)sqlite3_column_text(st, i));
		fprintf(out, "%s%s", i > 0 ? ", " : "", v);
		sqlite3_free(v);
	}
	fprintf(out, ")\n");
}

/*
 * Compares the rows of sql (the same query on both connections, ordered by
 * every column) and prints the first differences. Adds their number to
 * *ndiffs. Returns 0, or -1 with err.
 */
static int
compare_query(sqlite3 *live, sqlite3 *rebuilt, const char *label,
    const char *sql, FILE *out, size_t *ndiffs, char *err, size_t errlen)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	size_t printed = 0;
	int ra, rb, c, ncol, rc = -1;

	if (sqlite3_prepare_v2(live, sql, -1, &a, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(rebuilt, sql, -1, &b, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", label, sqlite3_errmsg(a == NULL ?
		    live : rebuilt));
		goto done;
	}
	ncol = sqlite3_column_count(a);
	ra = sqlite3_step(a);
	rb = sqlite3_step(b);
	while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
		if (ra == SQLITE_ROW && rb == SQLITE_ROW)
			c = row_cmp(a, b, ncol);
		else
			c = ra == SQLITE_ROW ? -1 : 1;
		if (c != 0) {
			(*ndiffs)++;
			if (printed++ < VERIFY_MAX_DIFFS)
				print_row(out, c < 0 ? "live" : "rebuilt", label,
				    c < 0 ? a : b, ncol);
		}
		if (c <= 0)
			ra = sqlite3_step(a);
		if (c >= 0)
			rb = sqlite3_step(b);
	}
	if (ra != SQLITE_DONE || rb != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", label, sqlite3_errmsg(
		    ra != SQLITE_DONE ? live : rebuilt));
		goto done;
	}
	if (printed > VERIFY_MAX_DIFFS)
		fprintf(out, "  %s: %zu more differences\n", label,
		    printed - VERIFY_MAX_DIFFS);
	rc = 0;
done:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return rc;
}

/* Returns "1, 2, ..., n" for the n columns of table in db (sqlite3_free). */
static char *
order_by_all(sqlite3 *db, const char *table, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *cols = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info(?1)",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (n == 0) {
		snprintf(err, errlen, "no table %s", table);
		return NULL;
	}
	while (n > 0) {
		cols = sqlite3_mprintf("%d%s%z", n, cols != NULL ? ", " : "", cols);
		n--;
	}
	return cols;
}

/*
 * Compares every table p owns, and p's parked events, between the live and
 * the rebuilt database; prints the first differences of each to out and
 * sets *ndiffs to their number. Returns 0, or -1 with err.
 */
int
verify_compare(sqlite3 *live, sqlite3 *rebuilt, const struct projection *p,
    FILE *out, size_t *ndiffs, char *err, size_t errlen)
{
	const char *const *t;
	char *order, *sql;
	int rc;

	*ndiffs = 0;
	for (t = p->tables; *t != NULL; t++) {
		if ((order = order_by_all(live, *t, err, errlen)) == NULL)
			return -1;
		sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY %s", *t, order);
		rc = compare_query(live, rebuilt, *t, sql, out, ndiffs, err, errlen);
		sqlite3_free(sql);
		sqlite3_free(order);
		if (rc == -1)
			return -1;
	}
	sql = sqlite3_mprintf("SELECT seq, subject, reason FROM projector_parked"
	    " WHERE projection = %Q ORDER BY 1, 2, 3", p->name);
	rc = compare_query(live, rebuilt, "projector_parked", sql, out, ndiffs,
	    err, errlen);
	sqlite3_free(sql);
	return rc;
}
