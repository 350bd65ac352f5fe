/*
 * history.h: a stream that forgets, for the tests of the event archive
 * (tests/integration/test_history_*.c).
 *
 * The stream ITEST_STREAM is created with a limit of max_msgs messages
 * past which it discards its oldest, as an owner's JetStream limits make
 * it do. A generated stream (tests/oracle/gen.py, through stream.h) is
 * published into it in bursts of HISTORY_BURST events while a projector
 * keeps up: after each burst the test waits until every database it names
 * has applied the burst, so that the live views saw every event even
 * though the stream, at the end, holds only its last max_msgs.
 *
 * Two accounts fold the same stream in one `projector run`: HISTORY_ARCHIVE
 * ("ga-1", database ga-1.db, its archive beside it, consumer "p-ga-1") and
 * HISTORY_NOARCHIVE ("ga-2", ga-2.db, archive: false, consumer "p-ga-2").
 * Both live views, made by uninterrupted runs over every event with the
 * stream's own stored times, are the reference the tests compare with.
 *
 * history_mark() reads how far an archive speaks for (archive_state) and
 * history_fx_assert_archive() checks, through `projector archive export`,
 * that an archive holds every sequence up to n exactly once: other tests
 * (test_crash, test_faults) use them too, the archive being on by default.
 *
 * The functions are of the cmocka layer: they fail the running test, but
 * history_mark(), which returns -1 when it cannot read.
 *
 * Memory: history_fx_setup() allocates a struct history_fx and
 * history_fx_teardown() frees it with the common fixture it holds.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stdint.h>

#include <jansson.h>

#include "itest.h"

#define HISTORY_BURST		1000
#define HISTORY_ARCHIVE		"ga-1"
#define HISTORY_NOARCHIVE	"ga-2"

struct history_fx {
	struct itest_fx	*f;
	char		 events[ITEST_PATH_MAX];	/* the generated stream */
	char		 db_archive[ITEST_PATH_MAX];	/* ga-1.db */
	char		 db_noarchive[ITEST_PATH_MAX];	/* ga-2.db */
	char		 archive[ITEST_PATH_MAX + 16];	/* ga-1.db-archive */
	int64_t		 max_msgs;
	uint64_t	 published;	/* the stream's last sequence */
};

int	history_fx_setup(void **state);
int	history_fx_teardown(void **state);
void	history_fx_start(struct history_fx *h, int events, unsigned long long seed,
	    int64_t max_msgs, int batch);
void	history_fx_publish(struct history_fx *h, int from, int to);
void	history_fx_stream(struct history_fx *h, uint64_t *first,
	    uint64_t *last);
void	history_fx_assert_said(struct history_fx *h, const char *a,
	    const char *b);
json_t	*history_fx_archive_status(struct history_fx *h, const char *account);
long long history_mark(const char *archive);
void	history_fx_assert_archive(struct itest_fx *f, const char *config,
	    const char *account, long long n);

#endif /* HISTORY_H */
