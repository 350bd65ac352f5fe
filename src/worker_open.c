/*
 * worker_open.c: what a worker opens before its loop (see worker.h): the
 * account's projections, the database (migrated), the fold of the
 * projections folded live, the feed and its reader; and the check of the
 * secret file's mode.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "catalog.h"
#include "db.h"
#include "digest.h"
#include "fold.h"
#include "guard.h"
#include "log.h"
#include "registry.h"
#include "secret.h"
#include "worker_int.h"

static void
on_park(void *arg, const char *projection, uint64_t seq, const char *subject,
    const char *reason)
{
	struct worker *w = arg;

	log_warn("event parked", "account=%s projection=%s seq=%llu subject=%s"
	    " reason=%s", w->name, projection, (unsigned long long)seq, subject,
	    reason);
}

/* Picks the account's projections out of the built-in table. */
int
worker_select(struct worker *w, char *err, size_t errlen)
{
	const struct projection *sel[PROJECTION_MAX];
	size_t i;

	if (registry_select(w->p->builtin, w->p->acct->projections,
	    w->p->acct->nprojections, sel, &w->nprojs, err, errlen) == -1)
		return -1;
	for (i = 0; i < w->nprojs; i++)
		w->projs[i].p = sel[i];
	return 0;
}

/*
 * Records the fingerprint of each plug-in's file, and warns when it changed
 * while the version did not: a fold that changed is only rebuilt under a
 * new version (projection.h). Runs once the status rows exist.
 */
static void
plugins_changed(struct worker *w)
{
	char err[WORKER_ERR_LEN], was[DIGEST_HEX_LEN + 1];
	const char *sha;
	size_t i;

	for (i = 0; w->p->catalog != NULL && i < w->nprojs; i++) {
		const struct projection *pr = w->projs[i].p;

		if ((sha = catalog_sha256(w->p->catalog, pr)) == NULL)
			continue;
		if (db_swap_sha256(w->db, pr->name, sha, was, sizeof(was), err,
		    sizeof(err)) == -1) {
			log_warn("cannot record a plug-in's sha256", "account=%s"
			    " projection=%s error=%s", w->name, pr->name, err);
			continue;
		}
		if (was[0] != '\0' && strcmp(was, sha) != 0 &&
		    !w->projs[i].rebuilding)
			log_warn("plug-in changed under the same version",
			    "account=%s projection=%s version=%d sha256_was=%s"
			    " sha256_now=%s hint=%s", w->name, pr->name,
			    pr->version, was, sha, "raise .version when the"
			    " fold changed, so that its tables are rebuilt");
	}
}

/*
 * Marks the projections to rebuild: the ones a replay asks for, and the
 * ones whose version in the database is not the program's (their old view
 * keeps serving until the swap); the others fold live. Opens the live fold.
 * Returns 0 or an exit code.
 */
static int
open_fold(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	size_t i, nrebuild = 0;
	int recorded, code;

	for (i = 0; i < w->nprojs; i++) {
		const struct projection *pr = w->projs[i].p;
		int again = w->p->replay && (w->p->replay_projection == NULL ||
		    strcmp(w->p->replay_projection, pr->name) == 0);

		if (db_get_version(w->db, pr->name, &recorded, err,
		    sizeof(err)) == -1) {
			log_error("cannot read projector_status", "account=%s"
			    " error=%s", w->name, err);
			return EX_IOERR;
		}
		if (!again && recorded != 0 && recorded != pr->version) {
			log_info("projection version changed, rebuilding",
			    "account=%s projection=%s from_version=%d to_version=%d",
			    w->name, pr->name, recorded, pr->version);
			again = 1;
		}
		w->projs[i].rebuilding = again;
		if (again)
			worker_stats_state(w, pr->name, STATS_REBUILDING);
		nrebuild += again;
	}
	if (w->p->replay && nrebuild == 0) {
		log_error("nothing to replay: the account does not run that"
		    " projection", "account=%s projection=%s", w->name,
		    w->p->replay_projection);
		return EX_USAGE;
	}
	if ((code = worker_fold_live(w)) != 0)
		return code;
	plugins_changed(w);
	return 0;
}

/* Opens, migrates and checks the database; returns 0 or an exit code. */
int
worker_open_db(struct worker *w)
{
	char err[WORKER_ERR_LEN];
	enum db_error e;
	int applied;

	if ((e = db_open(w->p->acct->database, &w->db, err,
	    sizeof(err))) != DB_OK) {
		log_error(e == DB_ELOCKED ? "database locked" :
		    e == DB_ECREATE ? "cannot create database" :
		    "database error", "account=%s error=%s", w->name, err);
		return db_sysexit(e);
	}
	/*
	 * Every built-in projection's tables exist in every file, enabled or
	 * not, so that the public views that join them always work.
	 */
	if (db_migrate(w->db, w->p->builtin, &applied, err,
	    sizeof(err)) == -1) {
		log_error("migration failed", "account=%s error=%s", w->name, err);
		return guard_denied(db_guard(w->db)) != NULL ? EX_CONFIG :
		    EX_IOERR;
	}
	if (applied > 0)
		log_info("migrations applied", "account=%s count=%d", w->name,
		    applied);
	return open_fold(w);
}

/* What the archive holds, for /metrics; its sizes follow (worker_stats.c). */
static void
publish_archive(struct worker *w)
{
	struct archive_stat st;
	char err[WORKER_ERR_LEN];

	if (w->p->stats == NULL)
		return;
	STATS_SET(w->p->stats->has_archive, 1);
	STATS_SET(w->p->stats->archive_last_seq, w->archive_mark);
	if (archive_stat(w->archive, &st, err, sizeof(err)) == ARCHIVE_OK)
		STATS_SET(w->p->stats->archive_first_seq, st.first_seq);
}

/*
 * Opens the account's archive for writing, once the database's lock is
 * ours (it covers the archive too), reads its mark and starts its thread. Returns 0 or an
 * exit code.
 */
int
worker_open_archive(struct worker *w)
{
	char err[WORKER_ERR_LEN];

	if (w->p->acct->archive == NULL)
		return 0;
	if (archive_open(w->p->acct->archive, 0, NULL, &w->archive, err,
	    sizeof(err)) != ARCHIVE_OK ||
	    archive_mark(w->archive, &w->archive_mark, err,
	    sizeof(err)) != ARCHIVE_OK ||
	    archiver_new(w->archive, &w->archiver, err, sizeof(err)) == -1) {
		log_error("cannot open the archive", "account=%s error=%s",
		    w->name, err);
		return EX_IOERR;
	}
	publish_archive(w);
	return 0;
}

void
worker_check_secret(struct worker *w)
{
	const struct config_account *a = w->p->acct;
	char warn[WORKER_ERR_LEN];

	if (a->secret_file == NULL)
		return;
	switch (secret_check_mode(a->secret_file, warn, sizeof(warn))) {
	case 1:
		log_warn("secret file readable by others", "account=%s warning=%s",
		    w->name, warn);
		break;
	case -1:
		log_error("secret file", "account=%s error=%s", w->name, warn);
		break;
	}
}

/* Returns how many projections fold live. Cannot fail. */
size_t
worker_nlive(const struct worker *w)
{
	size_t i, n = 0;

	for (i = 0; i < w->nprojs; i++)
		n += !w->projs[i].rebuilding;
	return n;
}

/*
 * Opens the fold of the projections not being rebuilt, in place of the one
 * before; returns 0 or an exit code.
 */
int
worker_fold_live(struct worker *w)
{
	const struct projection *live[PROJECTION_MAX];
	char err[WORKER_ERR_LEN];
	enum fold_result r;
	size_t i, n = 0;

	fold_close(w->fold);
	w->fold = NULL;
	for (i = 0; i < w->nprojs; i++)
		if (!w->projs[i].rebuilding)
			live[n++] = w->projs[i].p;
	r = fold_open(db_handle(w->db), db_guard(w->db), live, n, &w->fold,
	    err, sizeof(err));
	if (r != FOLD_OK) {
		log_error("cannot start projections", "account=%s error=%s",
		    w->name, err);
		/* A projection that breaks its rules is a bad configuration. */
		return r == FOLD_DENIED ? EX_CONFIG : EX_SOFTWARE;
	}
	fold_on_park(w->fold, on_park, w);
	w->rp.fold = w->fold;
	return 0;
}
