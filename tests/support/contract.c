/*
 * contract.c: the read-model contract's queries and the comparison of their
 * results (see contract.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

static const char *const contract_servers[] = { "server_id", "status",
	"last_started_at", "last_stopped_at", "current_wipe_id",
	"online_players", NULL };
static const char *const contract_wipes[] = { "server_id", "wipe_id",
	"wiped_at", NULL };
static const char *const contract_sessions[] = { "server_id", "steam_id",
	"name", "connected_at", "disconnected_at", "duration_s", "end_reason",
	NULL };
static const char *const contract_profiles[] = { "steam_id", "name",
	"first_seen", "last_seen", "sessions", "playtime_s", "chat_messages",
	"reports_received", "banned", "ban_reason", NULL };
static const char *const contract_leaderboard[] = { "server_id", "wipe_id",
	"steam_id", "name", "kills", "deaths", "headshots", "longest_kill_m",
	"kd", "rank", NULL };
static const char *const contract_parked[] = { "projection", "seq", NULL };

static const int contract_by_first[] = { 0, -1 };
static const int contract_by_two[] = { 0, 1, -1 };
static const int contract_by_session[] = { 0, 1, 3, 4, -1 };
static const int contract_by_rank[] = { 0, 1, 9, -1 };

/* The queries of read-model.md section 5, verbatim, in its order. */
const struct contract_query contract_queries[] = {
	{ "servers",
	  "SELECT server_id, status, last_started_at, last_stopped_at,"
	  " current_wipe_id, online_players FROM servers ORDER BY server_id",
	  contract_servers, contract_by_first },
	{ "wipes",
	  "SELECT server_id, wipe_id, wiped_at FROM wipes"
	  " ORDER BY server_id, wipe_id",
	  contract_wipes, contract_by_two },
	{ "session_history",
	  "SELECT server_id, steam_id, name, connected_at, disconnected_at,"
	  " duration_s, end_reason FROM session_history"
	  " ORDER BY server_id, steam_id, connected_at, disconnected_at",
	  contract_sessions, contract_by_session },
	{ "player_profiles",
	  "SELECT steam_id, name, first_seen, last_seen, sessions, playtime_s,"
	  " chat_messages, reports_received, banned, ban_reason"
	  " FROM player_profiles ORDER BY steam_id",
	  contract_profiles, contract_by_first },
	{ "leaderboard",
	  "SELECT server_id, wipe_id, steam_id, name, kills, deaths, headshots,"
	  " longest_kill_m, kd, rank FROM leaderboard"
	  " ORDER BY server_id, wipe_id, rank",
	  contract_leaderboard, contract_by_rank },
	{ "parked",
	  "SELECT projection, seq FROM projector_parked ORDER BY projection, seq",
	  contract_parked, contract_by_two }
};

const size_t contract_nqueries =
    sizeof(contract_queries) / sizeof(contract_queries[0]);

/* Returns the rows of q as a JSON array of arrays, or NULL with err. */
static json_t *
contract_rows(sqlite3 *db, const struct contract_query *q, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	json_t *rows, *row, *v;
	int i, rc;

	rows = json_array();
	if (sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_array();
		for (i = 0; i < sqlite3_column_count(st); i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				v = json_null();
				break;
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				v = json_real(sqlite3_column_double(st, i));
				break;
			default:
				v = json_stringn((const char *)
				    sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
				break;
			}
			json_array_append_new(row, v);
		}
		json_array_append_new(rows, row);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return rows;
fail:
	snprintf(err, errlen, "query %s: %s", q->name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	json_decref(rows);
	return NULL;
}

/*
 * Runs every contract query on db and returns the results in the shape of
 * expected.json (caller releases), or NULL with the failing query in err.
 */
json_t *
contract_snapshot(sqlite3 *db, char *err, size_t errlen)
{
	json_t *all, *rows;
	size_t i;

	all = json_object();
	for (i = 0; i < contract_nqueries; i++) {
		if ((rows = contract_rows(db, &contract_queries[i], err,
		    errlen)) == NULL) {
			json_decref(all);
			return NULL;
		}
		json_object_set_new(all, contract_queries[i].name, rows);
	}
	return all;
}

/* Writes v compactly (strings quoted) into buf. */
static const char *
contract_show(const json_t *v, char *buf, size_t len)
{
	if (v == NULL)
		snprintf(buf, len, "nothing");
	else if (json_is_null(v))
		snprintf(buf, len, "null");
	else if (json_is_string(v))
		snprintf(buf, len, "\"%s\"", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		snprintf(buf, len, "%.17g", json_number_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(buf, len, "(%s)", json_is_array(v) ? "array" : "object");
	return buf;
}

/* Returns 1 when two cells are the same by the rules of contract.h. */
static int
contract_same(const json_t *e, const json_t *a)
{
	double d;

	if (e == NULL || a == NULL)
		return 0;
	if (json_is_number(e) && json_is_number(a)) {
		if (json_is_integer(e) && json_is_integer(a))
			return json_integer_value(e) == json_integer_value(a);
		d = json_number_value(e) - json_number_value(a);
		return (d < 0 ? -d : d) <= CONTRACT_TOLERANCE;
	}
	return json_equal(e, a);
}

/* Returns the name of column c (from 0) of q, or "?". */
static const char *
contract_column(const struct contract_query *q, size_t c)
{
	size_t i;

	for (i = 0; q->columns[i] != NULL; i++)
		if (i == c)
			return q->columns[i];
	return "?";
}

/* SQLite's order of values: NULL, then numbers, then TEXT by bytes. */
static int
contract_cmp_value(const json_t *a, const json_t *b)
{
	int ra = a == NULL || json_is_null(a) ? 0 : json_is_number(a) ? 1 : 2;
	int rb = b == NULL || json_is_null(b) ? 0 : json_is_number(b) ? 1 : 2;
	double x, y;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 1) {
		x = json_number_value(a);
		y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (ra == 2 && json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	return 0;
}

/* Orders rows by q's ORDER BY columns, then by every column. */
static int
contract_cmp_row(const struct contract_query *q, const json_t *a,
    const json_t *b)
{
	size_t i, n;
	int c;

	for (i = 0; q->order_by[i] != -1; i++)
		if ((c = contract_cmp_value(json_array_get(a, q->order_by[i]),
		    json_array_get(b, q->order_by[i]))) != 0)
			return c;
	n = json_array_size(a) > json_array_size(b) ? json_array_size(a) :
	    json_array_size(b);
	for (i = 0; i < n; i++)
		if ((c = contract_cmp_value(json_array_get(a, i),
		    json_array_get(b, i))) != 0)
			return c;
	return 0;
}

/*
 * Returns a new array of the rows of rows in the total order of
 * contract_cmp_row() (an insertion sort: the rows come in ORDER BY order
 * already, so only ties move).
 */
static json_t *
contract_sorted(const struct contract_query *q, const json_t *rows)
{
	const json_t **v;
	json_t *out;
	size_t i, j, n = json_array_size(rows);

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const json_t *r = json_array_get(rows, i);

		for (j = i; j > 0 && contract_cmp_row(q, v[j - 1], r) > 0; j--)
			v[j] = v[j - 1];
		v[j] = r;
	}
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, (json_t *)v[i]);
	free(v);
	return out;
}

/* Compares the rows of one query; -1 with the first difference in err. */
static int
contract_diff_rows(const struct contract_query *q, const json_t *expected,
    const json_t *actual, char *err, size_t errlen)
{
	char eb[256], ab[256];
	const json_t *erow, *arow;
	size_t r, c, ne, na, ncols;

	if (!json_is_array(expected) || !json_is_array(actual)) {
		snprintf(err, errlen, "query %s: rows are not an array", q->name);
		return -1;
	}
	ne = json_array_size(expected);
	na = json_array_size(actual);
	for (r = 0; r < ne && r < na; r++) {
		erow = json_array_get(expected, r);
		arow = json_array_get(actual, r);
		if (!json_is_array(erow) || !json_is_array(arow)) {
			snprintf(err, errlen, "query %s, row %zu: not an array",
			    q->name, r + 1);
			return -1;
		}
		ncols = json_array_size(erow);
		if (json_array_size(arow) > ncols)
			ncols = json_array_size(arow);
		for (c = 0; c < ncols; c++) {
			const json_t *e = json_array_get(erow, c);
			const json_t *a = json_array_get(arow, c);

			if (contract_same(e, a))
				continue;
			snprintf(err, errlen, "query %s, row %zu, column %zu (%s):"
			    " expected %s, got %s", q->name, r + 1, c + 1,
			    contract_column(q, c),
			    contract_show(e, eb, sizeof(eb)),
			    contract_show(a, ab, sizeof(ab)));
			return -1;
		}
	}
	if (ne != na) {
		const json_t *extra = json_array_get(ne > na ? expected : actual, r);

		snprintf(err, errlen, "query %s: expected %zu rows, got %zu;"
		    " row %zu %s, first column %s", q->name, ne, na, r + 1,
		    ne > na ? "is missing" : "is extra",
		    contract_show(json_array_get(extra, 0), eb, sizeof(eb)));
		return -1;
	}
	return 0;
}

/*
 * Compares actual (as from contract_snapshot()) with expected, query by
 * query in contract order, for every query that expected has; a key of
 * expected that is no contract query is a difference. Returns 0 when they
 * match, or -1 with the first difference in err: the query, the row and
 * column (from 1, with the column's name), the expected and the actual
 * value, or the row counts.
 */
int
contract_diff(const json_t *expected, const json_t *actual, char *err,
    size_t errlen)
{
	const char *key;
	const json_t *v, *a;
	json_t *es, *as;
	size_t i;
	int rc;

	if (!json_is_object(expected) || !json_is_object(actual)) {
		snprintf(err, errlen, "expected and actual must be objects");
		return -1;
	}
	json_object_foreach((json_t *)expected, key, v) {
		for (i = 0; i < contract_nqueries; i++)
			if (strcmp(key, contract_queries[i].name) == 0)
				break;
		if (i == contract_nqueries) {
			snprintf(err, errlen, "no contract query is called %s", key);
			return -1;
		}
	}
	for (i = 0; i < contract_nqueries; i++) {
		const struct contract_query *q = &contract_queries[i];

		if ((v = json_object_get(expected, q->name)) == NULL)
			continue;
		if ((a = json_object_get(actual, q->name)) == NULL) {
			snprintf(err, errlen, "query %s: no actual rows", q->name);
			return -1;
		}
		if (!json_is_array(v) || !json_is_array(a)) {
			snprintf(err, errlen, "query %s: rows are not an array",
			    q->name);
			return -1;
		}
		es = contract_sorted(q, v);
		as = contract_sorted(q, a);
		rc = es == NULL || as == NULL ? -1 :
		    contract_diff_rows(q, es, as, err, errlen);
		if (es == NULL || as == NULL)
			snprintf(err, errlen, "out of memory");
		json_decref(es);
		json_decref(as);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * Runs the contract queries on db and compares them with the file at
 * expected_json_path, which must answer all of them. Returns 0 when they
 * match, or -1 with the first difference (contract_diff()) or the reason
 * the file or a query failed in err.
 */
int
contract_compare(sqlite3 *db, const char *expected_json_path, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *expected, *actual = NULL;
	size_t i;
	int rc = -1;

	if ((expected = json_load_file(expected_json_path, 0, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", expected_json_path, je.line,
		    je.text);
		return -1;
	}
	for (i = 0; i < contract_nqueries; i++) {
		if (json_object_get(expected, contract_queries[i].name) == NULL) {
			snprintf(err, errlen, "%s: no answer for query %s",
			    expected_json_path, contract_queries[i].name);
			goto fail;
		}
	}
	if ((actual = contract_snapshot(db, err, errlen)) == NULL)
		goto fail;
	rc = contract_diff(expected, actual, err, errlen);
fail:
	json_decref(actual);
	json_decref(expected);
	return rc;
}
