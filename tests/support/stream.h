/*
 * stream.h: large generated streams, and the oracle that judges a
 * projector's database after faults.
 *
 * The fault tests (tests/integration/test_faults.c) fold tens of thousands
 * of realistic events while they kill the projector, the server or the
 * consumer (the replay tests and test_storage use the same streams). Their answer is not a fixture's expected.json: it is what a
 * clean, uninterrupted `projector run --once` made of the same stream in a
 * fresh database, compared query by query with the six contract queries
 * (contract.h). The events come from the independent generator
 * tests/oracle/gen.py, in the events.jsonl format of publish.h, and are
 * published asynchronously (thousands in flight), which is several times
 * faster than publish_file()'s one PubAck at a time. Helpers for the
 * database (a copy through SQLite's backup API) and for the durable
 * consumer (its deletion) go with them; the integrity of a database and
 * the state of a consumer are probe.h's.
 *
 * Nothing here uses cmocka: each function returns 0 or -1 with a reason in
 * the caller's err buffer, and the test asserts. Nothing allocates for the
 * caller. Paths are relative to the repository root, where the tests run.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_GEN		"tests/oracle/gen.py"
#define STREAM_GEN_MS		300000	/* gen.py: ~2 s per 50,000 events */
#define STREAM_PUBLISH_MS	120000	/* every PubAck of a publish */
#define STREAM_MAX_PENDING	4096	/* publishes in flight */

int	stream_generate(const char *path, unsigned long long seed, int events,
	    char *err, size_t errlen);
int	stream_publish(const char *url, const char *stream,
	    const char *const subjects[], size_t nsubjects, const char *path,
	    uint64_t *count, char *err, size_t errlen);
int	stream_publish_max(const char *url, const char *stream,
	    const char *const subjects[], size_t nsubjects, int64_t max_msgs,
	    const char *path, uint64_t *count, char *err, size_t errlen);
int	stream_append(const char *url, const char *stream, const char *path,
	    uint64_t *count, char *err, size_t errlen);
int	stream_diff(const char *expected_db, const char *db, char *err,
	    size_t errlen);
int	stream_copy_db(const char *from, const char *to, char *err,
	    size_t errlen);
int	stream_delete_consumer(const char *url, const char *stream,
	    const char *consumer, char *err, size_t errlen);

#endif /* STREAM_H */
