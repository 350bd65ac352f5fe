/*
 * check.c: is the database the projector built the one the stream asks
 * for? (see check.h)
 */
#include <sys/stat.h>

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

/*
 * Checks the archive at path (archive.h) against a stream of last_seq
 * messages, all of which it must hold: its mark and its count, and fills
 * out with what it holds and takes on disk. Returns 0, or -1 with err.
 */
int
check_archive(const char *path, uint64_t last_seq, struct check_archive *out,
    char *err, size_t errlen)
{
	sqlite3 *conn = NULL;
	int64_t mark = 0, msgs = 0, raw = 0;
	char wal[1100];
	struct stat sb;
	int rc = -1;

	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, conn != NULL ?
		    sqlite3_errmsg(conn) : "out of memory");
		goto done;
	}
	if (check_value(conn, "SELECT to_seq FROM archive_state", &mark, err,
	    errlen) == -1 ||
	    check_value(conn, "SELECT (SELECT coalesce(sum(count), 0) FROM"
	    " archive_blocks) + tail_count FROM archive_state", &msgs, err,
	    errlen) == -1 ||
	    check_value(conn, "SELECT (SELECT coalesce(sum(raw_bytes), 0) FROM"
	    " archive_blocks) + tail_bytes FROM archive_state", &raw, err,
	    errlen) == -1)
		goto done;
	if ((uint64_t)mark != last_seq || (uint64_t)msgs != last_seq) {
		snprintf(err, errlen, "%s: mark %lld, %lld messages, %llu"
		    " expected", path, (long long)mark, (long long)msgs,
		    (unsigned long long)last_seq);
		goto done;
	}
	out->messages = (uint64_t)msgs;
	out->raw_bytes = (uint64_t)raw;
	/* After the projector's clean exit the -wal is empty or gone. */
	out->file_bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0)
		out->file_bytes += (uint64_t)sb.st_size;
	rc = 0;
done:
	sqlite3_close(conn);
	return rc;
}
