/*
 * testdb.h: small helpers for tests that feed events to projections: a
 * migrated in-memory database, events built from a subject and payload text
 * (decoded by event_decode(), as the engine does), query results rendered
 * as text for assert_string_equal() (plainly, or typed to the last bit to
 * compare two files), and the fixture of a projection's unit
 * test (struct testdb_fx). The testdb_fx_* functions are for cmocka tests:
 * they fail the running test themselves (so testdb.o needs cmocka, which
 * every test binary links). The others never fail a test: they return what
 * they found, and the test asserts.
 *
 * Memory: a struct testdb_event owns its decoded payload until
 * testdb_event_release(); the subject and payload text stay the caller's.
 * The text helpers write into the caller's buffer and return it. A struct
 * testdb_fx is allocated by testdb_fx_setup() and freed, with its database
 * and the projection's state, by testdb_fx_teardown().
 */
#ifndef TESTDB_H
#define TESTDB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "projection.h"

/* How testdb_render() writes a value (testdb_rows(): TESTDB_PLAIN). */
enum testdb_style {
	TESTDB_PLAIN,	/* text as it is, REAL with 15 significant digits */
	TESTDB_TYPED	/* text in '', REAL with 17: every bit */
};

struct testdb_event {
	struct event	 ev;
	json_t		*json;
	char		 error[256];
};

/*
 * One projection under test on a migrated in-memory database: its state
 * from init(), and events numbered 1, 2, ... in the order they are applied,
 * all stored at stored_ms.
 */
struct testdb_fx {
	const struct projection	*p;
	sqlite3			*db;
	void			*state;		/* p's, from its init() */
	uint64_t		 seq;		/* of the last event applied */
	int64_t			 stored_ms;
	char			 err[512];	/* the last apply()'s reason */
	char			 buf[8192];	/* for testdb_rows() and such */
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
int	testdb_render(sqlite3 *db, const char *sql, enum testdb_style style,
	    char *buf, size_t len, char *err, size_t errlen);
long long testdb_int(sqlite3 *db, const char *sql);
const char *testdb_dump(sqlite3 *db, char *buf, size_t len);
int	testdb_fx_setup(const struct projection *p, int64_t stored_ms,
	    void **state);
int	testdb_fx_teardown(void **state);
enum proj_result testdb_fx_apply(struct testdb_fx *f, const char *subject,
	    const char *payload);
void	testdb_fx_ok(struct testdb_fx *f, const char *subject,
	    const char *payload);
void	testdb_fx_poison(struct testdb_fx *f, const char *subject,
	    const char *payload, const char *reason);

#endif /* TESTDB_H */
