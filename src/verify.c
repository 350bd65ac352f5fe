/*
 * verify.c: the `verify` command (see verify.h).
 */
#include <sysexits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "rebuild.h"
#include "registry.h"
#include "verify.h"

/* How long verify waits for NATS or the stream before it fails. */
#define VERIFY_GIVE_UP_MS	30000
#define VERIFY_POLL_MS	50

/*
 * Orders two values as SQLite's ORDER BY does with the BINARY collation:
 * NULL, then numbers (by value), then text, then blobs.
 */
static int
value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	static const int rank[] = { 0, 1, 1, 2, 3, 0 };	/* by SQLITE_* type */
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
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
		na = sqlite3_value_bytes(a);
		nb = sqlite3_value_bytes(b);
		c = memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b),
		    (size_t)(na < nb ? na : nb));
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

/* Reads p's checkpoint, version and state in the live snapshot. */
static int
live_checkpoint(sqlite3 *live, const struct projection *p, uint64_t *seq,
    int *version, char *state, size_t statelen, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(live, "SELECT last_seq, version, state FROM"
	    " projector_status WHERE projection = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		*version = sqlite3_column_int(st, 1);
		snprintf(state, statelen, "%s", sqlite3_column_text(st, 2));
	} else
		snprintf(err, errlen, "%s: %s", p->name, rc == SQLITE_DONE ?
		    "never ran in this database" : sqlite3_errmsg(live));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Rebuilds p up to seq into scratch and waits for it (or for a stop).
 * Returns 0, or -1 with err and the rebuild's exit code in *code.
 */
static int
rebuild_to(const struct config *cfg, const struct config_account *acct,
    const struct projection *const *builtin, const struct projection *p,
    const char *scratch, uint64_t seq, volatile sig_atomic_t *stop,
    int *code, char *err, size_t errlen)
{
	struct rebuild_params rp;
	struct rebuild_progress pr;
	struct rebuild *r;
	struct timespec ts = { 0, VERIFY_POLL_MS * 1000000L };

	memset(&rp, 0, sizeof(rp));
	rp.cfg = cfg;
	rp.acct = acct;
	rp.builtin = builtin;
	rp.projs[0] = p;
	rp.nprojs = 1;
	snprintf(rp.shadow_path, sizeof(rp.shadow_path), "%s", scratch);
	rp.fresh = 1;
	rp.limit_seq = seq;
	rp.give_up_ms = VERIFY_GIVE_UP_MS;
	rp.stop = stop;
	if (rebuild_start(&rp, &r, err, errlen) == -1)
		return -1;
	do {
		nanosleep(&ts, NULL);
		rebuild_progress(r, &pr);
	} while (pr.state == REBUILD_RUNNING && !*stop);
	rebuild_finish(r);
	if (pr.state == REBUILD_READY)
		return 0;
	snprintf(err, errlen, "%s", *stop ? "stopped" : pr.error);
	if (!*stop && pr.code != 0)
		*code = pr.code;
	return -1;
}

/* Verifies one projection; prints the verdict. */
static enum verify_result
verify_one(const struct config *cfg, const struct config_account *acct,
    const struct projection *const *builtin, const struct projection *p,
    volatile sig_atomic_t *stop, FILE *out, int *code, char *err,
    size_t errlen)
{
	char scratch[REBUILD_PATH_MAX], state[32], ignored[512];
	sqlite3 *live = NULL, *rebuilt = NULL;
	enum verify_result vr = VERIFY_ERROR;
	uint64_t seq;
	size_t ndiffs;
	int version;

	snprintf(scratch, sizeof(scratch), "%.4000s-verify-%ld", acct->database,
	    (long)getpid());
	if (db_open_readonly(acct->database, &live, err, errlen) == -1)
		goto done;
	/* The snapshot: whatever the worker commits from now on is unseen. */
	if (sqlite3_exec(live, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    live_checkpoint(live, p, &seq, &version, state, sizeof(state), err,
	    errlen) == -1)
		goto done;
	if (seq == 0) {
		/* Nothing applied, nothing to compare (and limit 0 means "all"). */
		fprintf(out, "%s %s: skipped: nothing applied yet\n", acct->name,
		    p->name);
		vr = VERIFY_EQUAL;
		goto done;
	}
	if (version != p->version || strcmp(state, "rebuilding") == 0) {
		fprintf(out, "%s %s: skipped: the live view is %s at version %d,"
		    " this program folds version %d\n", acct->name, p->name, state,
		    version, p->version);
		vr = VERIFY_EQUAL;
		goto done;
	}
	if (rebuild_to(cfg, acct, builtin, p, scratch, seq, stop, code, err,
	    errlen) == -1 ||
	    db_open_readonly(scratch, &rebuilt, err, errlen) == -1 ||
	    verify_compare(live, rebuilt, p, out, &ndiffs, err, errlen) == -1)
		goto done;
	if (ndiffs == 0)
		fprintf(out, "%s %s: equal to a rebuild from sequence 1"
		    " (last_seq %llu)\n", acct->name, p->name,
		    (unsigned long long)seq);
	else
		fprintf(out, "%s %s: %zu difference%s from a rebuild from"
		    " sequence 1 (last_seq %llu)\n", acct->name, p->name, ndiffs,
		    ndiffs == 1 ? "" : "s", (unsigned long long)seq);
	vr = ndiffs == 0 ? VERIFY_EQUAL : VERIFY_DIFFERENT;
done:
	sqlite3_close(rebuilt);
	sqlite3_close(live);
	/* Best effort: a scratch file left behind is harmless. */
	db_unlink(scratch, ignored, sizeof(ignored));
	return vr;
}

/*
 * Verifies the projections of acct (or only the one named projection, which
 * must be one of them). Prints a verdict per projection, and the first
 * differences, to out. Returns VERIFY_EQUAL, VERIFY_DIFFERENT, or
 * VERIFY_ERROR with err and, in *code, the exit code that says what to fix
 * (EX_UNAVAILABLE unless the rebuild said better: EX_CONFIG for a history
 * with a hole, EX_DATAERR for a damaged archive, EX_NOPERM).
 */
enum verify_result
verify_account(const struct config *cfg, const struct config_account *acct,
    const struct projection *const *builtin, const char *projection,
    volatile sig_atomic_t *stop, FILE *out, int *code, char *err,
    size_t errlen)
{
	enum verify_result vr, worst = VERIFY_EQUAL;
	const struct projection *p, *sel[PROJECTION_MAX];
	size_t i, n = 0, nsel;

	err[0] = '\0';
	*code = EX_UNAVAILABLE;
	if (registry_select(builtin, acct->projections, acct->nprojections, sel,
	    &nsel, err, errlen) == -1)
		return VERIFY_ERROR;
	for (i = 0; i < nsel; i++) {
		p = sel[i];
		if (projection != NULL && strcmp(projection, p->name) != 0)
			continue;
		n++;
		vr = verify_one(cfg, acct, builtin, p, stop, out, code, err,
		    errlen);
		if (vr == VERIFY_ERROR)
			return vr;
		if (vr == VERIFY_DIFFERENT)
			worst = vr;
	}
	if (n == 0) {
		snprintf(err, errlen, "account %s runs no projection %s", acct->name,
		    projection != NULL ? projection : "");
		return VERIFY_ERROR;
	}
	return worst;
}
