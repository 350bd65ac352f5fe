/*
 * testdb.h: small helpers for tests that feed events to projections: a
 * migrated in-memory database, events built from a subject and payload text
 * (decoded by event_decode(), as the engine does), and query results
 * rendered as text for assert_string_equal(). Nothing here uses cmocka, so
 * that every kind of test can link it.
 *
 * Memory: a struct testdb_event owns its decoded payload until
 * testdb_event_release(); the subject and payload text stay the caller's.
 * The text helpers write into the caller's buffer and return it.
 */
#ifndef TESTDB_H
#define TESTDB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "projection.h"

struct testdb_event {
	struct event	 ev;
	json_t		*json;
	char		 error[256];
};

int	testdb_open(sqlite3 **out, char *err, size_t errlen);
int	testdb_migrate(sqlite3 *db, char *err, size_t errlen);
void	testdb_event_init(struct testdb_event *te, uint64_t seq,
	    int64_t stored_ms, const char *subject, const char *payload);
void	testdb_event_release(struct testdb_event *te);
enum proj_result testdb_apply(const struct projection *p, void *state,
	    uint64_t seq, int64_t stored_ms, const char *subject,
	    const char *payload, char *err, size_t errlen);
const char *testdb_rows(sqlite3 *db, const char *sql, char *buf, size_t len);
long long testdb_int(sqlite3 *db, const char *sql);
const char *testdb_dump(sqlite3 *db, char *buf, size_t len);

#endif /* TESTDB_H */
