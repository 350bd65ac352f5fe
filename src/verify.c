/*
 * verify.c: the `verify` command (see verify.h).
 */
#include <sysexits.h>

#include <stdio.h>
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
