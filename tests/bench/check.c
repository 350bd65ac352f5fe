/*
 * check.c: is the database the projector built the one the stream asks
 * for? (see check.h)
 */
#include <stdio.h>

#include <sqlite3.h>

#include "check.h"

/* One number the read model must have, and what it means. */
struct check_item {
	const char	*sql;		/* one row, one integer column */
	uint64_t	 want;
	const char	*what;
};

/* Runs sql on conn into *value. Returns 0, or -1 with a reason in err. */
static int
check_value(sqlite3 *conn, const char *sql, int64_t *value, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: %s", sql, sqlite3_errmsg(conn));
		sqlite3_finalize(st);
		return -1;
	}
	*value = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/*
 * Checks db against a stream whose last sequence is last_seq and whose
 * events the generator counted in want. Returns 0 when everything holds,
 * or -1 with the first difference (or failure) in err.
 */
int
check_db(const char *db, uint64_t last_seq, const struct gen_counts *want,
    char *err, size_t errlen)
{
	const struct check_item items[] = {
		{ "SELECT count(*) FROM projector_status", CHECK_NPROJECTIONS,
		    "projections" },
		{ "SELECT min(last_seq) FROM projector_status", last_seq,
		    "lowest checkpoint" },
		{ "SELECT max(last_seq) FROM projector_status", last_seq,
		    "highest checkpoint" },
		{ "SELECT count(*) FROM projector_status WHERE state <> 'live'"
		    " AND state <> 'stopped'", 0, "projections failed or "
		    "rebuilding" },
		{ "SELECT count(*) FROM session_history", want->connects,
		    "sessions" },
		{ "SELECT total(chat_messages) FROM player_profiles",
		    want->chats, "chat messages" },
		{ "SELECT total(kills) FROM leaderboard", want->kills, "kills" },
		{ "SELECT total(deaths) FROM leaderboard", want->deaths,
		    "deaths" },
		{ "SELECT count(*) FROM wipes", want->wipes, "wipes" },
		/* A broken hit is poison for player_profiles and leaderboard. */
		{ "SELECT count(*) FROM projector_parked", 2 * want->poison,
		    "parked events" },
	};
	sqlite3 *conn = NULL;
	int64_t value;
	size_t i;
	int rc = -1;

	if (sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db, conn != NULL ?
		    sqlite3_errmsg(conn) : "out of memory");
		goto done;
	}
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (check_value(conn, items[i].sql, &value, err, errlen) == -1)
			goto done;
		if (value < 0 || (uint64_t)value != items[i].want) {
			snprintf(err, errlen, "%s: %s: %lld, %llu expected", db,
			    items[i].what, (long long)value,
			    (unsigned long long)items[i].want);
			goto done;
		}
	}
	rc = 0;

done:
	sqlite3_close(conn);
	return rc;
}
