/*
 * contract.h: the read-model contract's queries (read-model.md section 5)
 * and the comparison of their results with an expected answer in the
 * format of tests/fixtures/<name>/expected.json: an object with one key per
 * query (servers, wipes, session_history, player_profiles, leaderboard,
 * parked), each an array of rows, each row an array of the selected
 * columns. Values compare by JSON type, except numbers: two integers must be
 * equal, any other pair of numbers (a REAL column, or a whole REAL written
 * as an integer) within CONTRACT_TOLERANCE. Row order is the query's ORDER
 * BY, which leaves rows that tie on it in any order (read-model.md section
 * 3: row order is not part of the contract), so both sides are put in one
 * total order (ORDER BY columns, then every column) before they compare.
 *
 * Memory: contract_snapshot() returns a json_t the caller releases with
 * json_decref(); nothing else allocates for the caller.
 */
#ifndef CONTRACT_H
#define CONTRACT_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#define CONTRACT_TOLERANCE	1e-6

struct contract_query {
	const char	 *name;		/* the key in expected.json */
	const char	 *sql;
	const char *const *columns;	/* NULL-terminated, for messages */
	const int	 *order_by;	/* its ORDER BY columns, from 0; -1 ends */
};

extern const struct contract_query contract_queries[];
extern const size_t contract_nqueries;

json_t	*contract_snapshot(sqlite3 *db, char *err, size_t errlen);
int	contract_diff(const json_t *expected, const json_t *actual, char *err,
	    size_t errlen);
int	contract_compare(sqlite3 *db, const char *expected_json_path,
	    char *err, size_t errlen);

#endif /* CONTRACT_H */
