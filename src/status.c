/*
 * status.c: the `status` command (see status.h).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "archive.h"
#include "db.h"
#include "source.h"
#include "status.h"

/* Adds the database's view of acct to a (a JSON object). */
static void
read_database(const struct config_account *acct, json_t *a)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	json_t *projs = json_array();
	char err[512];

	json_object_set_new(a, "projections", projs);
	if (stat(acct->database, &sb) == -1) {
		json_object_set_new(a, "database_error",
		    json_string("no database yet (the worker has not run)"));
		return;
	}
	if (db_open_readonly(acct->database, &db, err, sizeof(err)) == -1) {
		json_object_set_new(a, "database_error", json_string(err));
		return;
	}
	if (sqlite3_prepare_v2(db, "SELECT s.projection, s.version, s.last_seq,"
	    " s.stream_last_seq, s.state, s.updated_at, s.last_error,"
	    " (SELECT count(*) FROM projector_parked p"
	    "   WHERE p.projection = s.projection),"
	    " s.rebuild_seq, s.rebuild_target"
	    " FROM projector_status s ORDER BY s.projection", -1, &st,
	    NULL) != SQLITE_OK) {
		json_object_set_new(a, "database_error",
		    json_string(sqlite3_errmsg(db)));
		goto done;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *p = json_object();
		const char *e = (const char *)sqlite3_column_text(st, 6);

		json_object_set_new(p, "projection", json_string(
		    (const char *)sqlite3_column_text(st, 0)));
		json_object_set_new(p, "version",
		    json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(p, "last_seq",
		    json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(p, "stream_last_seq",
		    json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(p, "state", json_string(
		    (const char *)sqlite3_column_text(st, 4)));
		json_object_set_new(p, "updated_at", json_string(
		    (const char *)sqlite3_column_text(st, 5)));
		json_object_set_new(p, "last_error",
		    e != NULL ? json_string(e) : json_null());
		json_object_set_new(p, "parked",
		    json_integer(sqlite3_column_int64(st, 7)));
		if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
			json_object_set_new(p, "rebuild_seq",
			    json_integer(sqlite3_column_int64(st, 8)));
			json_object_set_new(p, "rebuild_target",
			    json_integer(sqlite3_column_int64(st, 9)));
		}
		json_array_append_new(projs, p);
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Engine counters: unknown_events, gap_events (--accept-gap). */
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM projector_meta"
	    " WHERE key IN ('unknown_events', 'gap_events')", -1, &st,
	    NULL) != SQLITE_OK)
		goto done;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(a, (const char *)sqlite3_column_text(st, 0),
		    json_integer(sqlite3_column_int64(st, 1)));
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Adds what the account's archive holds (archive.h): its range, size on
 * disk and how much smaller than what it holds; "archive": null when it
 * keeps none.
 */
static void
read_archive(const struct config_account *acct, json_t *a)
{
	struct archive *ar = NULL;
	struct archive_stat st;
	struct stat sb;
	json_t *j;
	char err[512];

	if (acct->archive == NULL) {
		json_object_set_new(a, "archive", json_null());
		return;
	}
	j = json_object();
	json_object_set_new(a, "archive", j);
	json_object_set_new(j, "path", json_string(acct->archive));
	if (stat(acct->archive, &sb) == -1) {
		json_object_set_new(j, "error",
		    json_string("no archive yet (the worker has not run)"));
		return;
	}
	if (archive_open(acct->archive, 1, NULL, &ar, err, sizeof(err)) !=
	    ARCHIVE_OK || archive_stat(ar, &st, err, sizeof(err)) !=
	    ARCHIVE_OK) {
		json_object_set_new(j, "error", json_string(err));
		archive_close(ar);
		return;
	}
	archive_close(ar);
	json_object_set_new(j, "first_seq", json_integer((json_int_t)st.first_seq));
	json_object_set_new(j, "last_seq", json_integer((json_int_t)st.last_seq));
	json_object_set_new(j, "mark", json_integer((json_int_t)st.mark));
	json_object_set_new(j, "messages", json_integer((json_int_t)st.messages));
	json_object_set_new(j, "blocks", json_integer((json_int_t)st.blocks));
	json_object_set_new(j, "raw_bytes", json_integer((json_int_t)st.raw_bytes));
	json_object_set_new(j, "file_bytes",
	    json_integer((json_int_t)st.file_bytes));
	json_object_set_new(j, "wal_bytes", json_integer((json_int_t)st.wal_bytes));
	/* Against what it takes on disk now, -wal included. */
	json_object_set_new(j, "ratio", json_real(st.file_bytes + st.wal_bytes >
	    0 ? (double)st.raw_bytes / (double)(st.file_bytes + st.wal_bytes) :
	    0.0));
	json_object_set_new(j, "holes", json_integer((json_int_t)st.holes));
	json_object_set_new(j, "missing", json_integer((json_int_t)st.missing));
}

/* Adds what NATS says of the stream and consumer; lag when both are known. */
static void
read_nats(const struct config *cfg, const struct config_account *acct,
    json_t *a)
{
	struct source *s = NULL;
	struct source_stream_info ss;
	struct source_consumer_info sc;
	char err[512];
	json_t *p;
	size_t i;

	if (source_open(cfg, acct, NULL, NULL, &s, err, sizeof(err)) != SOURCE_OK) {
		json_object_set_new(a, "nats_error", json_string(err));
		return;
	}
	if (source_stream_info(s, &ss, err, sizeof(err)) != SOURCE_OK) {
		json_object_set_new(a, "nats_error", json_string(err));
		goto done;
	}
	json_object_set_new(a, "stream_last_seq", json_integer((json_int_t)ss.last_seq));
	json_object_set_new(a, "stream_first_seq",
	    json_integer((json_int_t)ss.first_seq));
	if (source_consumer_info(s, &sc, err, sizeof(err)) == SOURCE_OK) {
		json_object_set_new(a, "consumer_pending",
		    json_integer((json_int_t)sc.num_pending));
		json_object_set_new(a, "consumer_ack_pending",
		    json_integer((json_int_t)sc.num_ack_pending));
	} else
		json_object_set_new(a, "consumer_error", json_string(err));
	json_array_foreach(json_object_get(a, "projections"), i, p) {
		json_int_t last = json_integer_value(json_object_get(p, "last_seq"));

		json_object_set_new(p, "stream_last_seq",
		    json_integer((json_int_t)ss.last_seq));
		json_object_set_new(p, "lag", json_integer(
		    (json_int_t)ss.last_seq > last ? (json_int_t)ss.last_seq - last : 0));
	}
done:
	source_close(s);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static long long
num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* One line for an archive: what it holds, its size on disk, its ratio. */
static void
print_archive(const json_t *ar, FILE *out)
{
	if (ar == NULL || json_is_null(ar)) {
		fprintf(out, "  archive: none (archive: false)\n");
		return;
	}
	if (json_object_get(ar, "error") != NULL) {
		fprintf(out, "  archive %s: %s\n", str(ar, "path"),
		    str(ar, "error"));
		return;
	}
	fprintf(out, "  archive %s: seq %lld to %lld, %lld messages, %.1f MiB"
	    " on disk for %.1f MiB of events (%.1fx)", str(ar, "path"),
	    num(ar, "first_seq"), num(ar, "last_seq"), num(ar, "messages"),
	    (double)(num(ar, "file_bytes") + num(ar, "wal_bytes")) /
	    (1024.0 * 1024.0), (double)num(ar, "raw_bytes") / (1024.0 * 1024.0),
	    json_real_value(json_object_get(ar, "ratio")));
	if (num(ar, "holes") > 0)
		fprintf(out, ", %lld holes (%lld seqs missing)", num(ar, "holes"),
		    num(ar, "missing"));
	fputc('\n', out);
}

static void
print_table(const json_t *root, FILE *out)
{
	const json_t *a, *p;
	size_t i, j;

	json_array_foreach(json_object_get(root, "accounts"), i, a) {
		fprintf(out, "account %s  database %s  stream %s", str(a, "name"),
		    str(a, "database"), str(a, "stream"));
		if (json_object_get(a, "stream_last_seq") != NULL)
			fprintf(out, " (last seq %lld)", (long long)json_integer_value(
			    json_object_get(a, "stream_last_seq")));
		if (json_object_get(a, "consumer_pending") != NULL)
			fprintf(out, "  consumer %s (pending %lld)", str(a, "consumer"),
			    (long long)json_integer_value(json_object_get(a,
			    "consumer_pending")));
		fputc('\n', out);
		if (json_object_get(a, "nats_error") != NULL)
			fprintf(out, "  nats: %s\n", str(a, "nats_error"));
		if (json_object_get(a, "database_error") != NULL)
			fprintf(out, "  database: %s\n", str(a, "database_error"));
		print_archive(json_object_get(a, "archive"), out);
		if (json_array_size(json_object_get(a, "projections")) > 0)
			fprintf(out, "  %-18s %7s %10s %8s %-10s %6s  %s\n",
			    "projection", "version", "last_seq", "lag", "state",
			    "parked", "updated_at");
		json_array_foreach(json_object_get(a, "projections"), j, p) {
			json_t *lag = json_object_get(p, "lag");
			char lagbuf[32] = "?";

			if (lag != NULL)
				snprintf(lagbuf, sizeof(lagbuf), "%lld",
				    (long long)json_integer_value(lag));
			fprintf(out, "  %-18s %7lld %10lld %8s %-10s %6lld  %s\n",
			    str(p, "projection"),
			    (long long)json_integer_value(json_object_get(p, "version")),
			    (long long)json_integer_value(json_object_get(p, "last_seq")),
			    lagbuf, str(p, "state"),
			    (long long)json_integer_value(json_object_get(p, "parked")),
			    str(p, "updated_at"));
			if (json_object_get(p, "rebuild_seq") != NULL)
				fprintf(out, "    rebuilding: %lld of %lld\n",
				    (long long)json_integer_value(
				    json_object_get(p, "rebuild_seq")),
				    (long long)json_integer_value(
				    json_object_get(p, "rebuild_target")));
			if (json_is_string(json_object_get(p, "last_error")))
				fprintf(out, "    last error: %s\n",
				    str(p, "last_error"));
		}
	}
}

/*
 * Prints the status of every account of cfg to out. Returns 0; what cannot
 * be read (a database not created yet, NATS unreachable) is part of the
 * output, not a failure.
 */
int
status_print(const struct config *cfg, int json, FILE *out)
{
	json_t *root = json_object(), *accounts = json_array();
	size_t i;

	json_object_set_new(root, "accounts", accounts);
	for (i = 0; i < cfg->naccounts; i++) {
		const struct config_account *acct = &cfg->accounts[i];
		json_t *a = json_object();

		json_object_set_new(a, "name", json_string(acct->name));
		json_object_set_new(a, "database", json_string(acct->database));
		json_object_set_new(a, "stream", json_string(acct->stream));
		json_object_set_new(a, "consumer", json_string(acct->consumer));
		json_array_append_new(accounts, a);
		read_database(acct, a);
		read_archive(acct, a);
		read_nats(cfg, acct, a);
	}
	if (json) {
		json_dumpf(root, out, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', out);
	} else
		print_table(root, out);
	json_decref(root);
	return 0;
}
