/*
 * verify.h: the `verify` command: rebuild each projection from sequence 1
 * into a scratch file, up to the live checkpoint, and compare.
 *
 * The live database is read in one read transaction, a snapshot taken before
 * the rebuild starts, so a worker that keeps folding meanwhile changes
 * nothing the comparison sees. Rows are compared table by table (the tables
 * each projection owns, and its parked events), in a total order, and the
 * first differences are printed. A difference means a fold that is not a
 * pure function of the stream, or a view that drifted from it.
 *
 * Memory: nothing is kept; the scratch file is removed before returning.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <signal.h>
#include <stdio.h>

#include <sqlite3.h>

#include "config.h"
#include "projection.h"

#define VERIFY_MAX_DIFFS	10	/* printed per table */

enum verify_result {
	VERIFY_EQUAL = 0,
	VERIFY_DIFFERENT,
	VERIFY_ERROR		/* err says why */
};

int	verify_compare(sqlite3 *live, sqlite3 *rebuilt,
	    const struct projection *p, FILE *out, size_t *ndiffs,
	    char *err, size_t errlen);
enum verify_result verify_account(const struct config *cfg,
	    const struct config_account *acct,
	    const struct projection *const *builtin, const char *projection,
	    volatile sig_atomic_t *stop, FILE *out, int *code, char *err,
	    size_t errlen);

#endif /* VERIFY_H */
