/*
 * lat.c: end-to-end latency, publish to visible in SQLite (see lat.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lat.h"
#include "pub.h"

#define LAT_CHECKPOINT_SQL	"SELECT min(last_seq) FROM projector_status"
#define LAT_WAIT_POLL_NS	(10 * 1000 * 1000)

/* The polling thread's state, shared with lat_run() through atomics only. */
struct lat_reader {
	const char	*db;
	uint64_t	 first, last;	/* the sequences measured */
	int64_t		*seen_ns;	/* [seq - first]: first seen, or 0 */
	atomic_int	 stop;		/* set by lat_run(): give up */
	atomic_int	 done;		/* set by the reader: seen last */
	char		 err[256];	/* the reader's failure, if any */
};

/*
 * Opens db read-only and prepares the checkpoint query. Returns 0, or -1
 * with a reason in err (the file or its tables may not exist yet).
 */
static int
lat_open(const char *db, sqlite3 **conn, sqlite3_stmt **st, char *err,
    size_t errlen)
{
	*conn = NULL;
	*st = NULL;
	if (sqlite3_open_v2(db, conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(*conn, LAT_CHECKPOINT_SQL, -1, st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db, *conn != NULL ?
		    sqlite3_errmsg(*conn) : "out of memory");
		sqlite3_close(*conn);
		*conn = NULL;
		return -1;
	}
	return 0;
}

/*
 * Reads the checkpoint into *seq (0 while projector_status is empty).
 * Returns 0, or -1 when the read failed (a busy moment: look again).
 */
static int
lat_checkpoint(sqlite3_stmt *st, uint64_t *seq)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * The reader thread: polls the checkpoint about every LAT_POLL_NS and
 * stamps each sequence it sees applied for the first time, until the last
 * one shows or lat_run() says stop.
 */
static void *
lat_read(void *arg)
{
	struct lat_reader *r = arg;
	struct timespec nap = { 0, LAT_POLL_NS };
	sqlite3_stmt *st;
	sqlite3 *conn;
	uint64_t prev = r->first - 1, seq, s;
	int64_t now;

	if (lat_open(r->db, &conn, &st, r->err, sizeof(r->err)) == -1) {
		atomic_store(&r->done, 1);
		return NULL;
	}
	while (!atomic_load(&r->stop)) {
		if (lat_checkpoint(st, &seq) == 0 && seq > prev) {
			now = pub_now_ns();
			for (s = prev + 1; s <= seq && s <= r->last; s++)
				r->seen_ns[s - r->first] = now;
			prev = seq;
			if (prev >= r->last)
				break;
		}
		nanosleep(&nap, NULL);
	}
	atomic_store(&r->done, 1);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return NULL;
}

/*
 * Polls db (read-only) until its checkpoint reaches want, for up to
 * timeout_ms: the file and its tables may not exist yet when it starts.
 * Returns 0, or -1 with a reason in err.
 */
int
lat_wait_seq(const char *db, uint64_t want, int timeout_ms, char *err,
    size_t errlen)
{
	struct timespec nap = { 0, LAT_WAIT_POLL_NS };
	int64_t end = pub_now_ns() + (int64_t)timeout_ms * 1000000;
	sqlite3_stmt *st = NULL;
	sqlite3 *conn = NULL;
	uint64_t seq = 0;
	int rc = -1;

	snprintf(err, errlen, "%s: not created", db);
	while (pub_now_ns() < end) {
		if (conn != NULL || lat_open(db, &conn, &st, err, errlen) == 0) {
			if (lat_checkpoint(st, &seq) == 0 && seq >= want) {
				rc = 0;
				break;
			}
		}
		nanosleep(&nap, NULL);
	}
	if (rc == -1 && conn != NULL)
		snprintf(err, errlen, "%s: checkpoint %llu after %d ms, %llu "
		    "expected", db, (unsigned long long)seq, timeout_ms,
		    (unsigned long long)want);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return rc;
}

static int
lat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p of them at or below. */
static double
lat_rank(const double *sorted, uint64_t n, double p)
{
	uint64_t k = (uint64_t)(p * (double)n);

	if ((double)k < p * (double)n)
		k++;

	return sorted[k > 0 ? k - 1 : 0];
}

/* Latencies of the n sequences, sorted, into out; -1 when one is missing. */
static int
lat_summarise(const struct lat_reader *r, const int64_t *sent_ns, uint64_t n,
    struct lat_result *out, char *err, size_t errlen)
{
	double *ms;
	uint64_t i;

	if ((ms = calloc(n, sizeof(*ms))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (r->seen_ns[i] == 0) {
			snprintf(err, errlen, "sequence %llu never became "
			    "visible (%d ms after the last publish)",
			    (unsigned long long)(r->first + i), LAT_DRAIN_MS);
			free(ms);
			return -1;
		}
		ms[i] = (double)(r->seen_ns[i] - sent_ns[i]) / 1e6;
	}
	qsort(ms, n, sizeof(*ms), lat_cmp);
	out->events = n;
	out->p50_ms = lat_rank(ms, n, 0.50);
	out->p99_ms = lat_rank(ms, n, 0.99);
	out->max_ms = ms[n - 1];
	free(ms);
	return 0;
}

/*
 * Publishes the next n events of g at rate per second, their sequences
 * being first_seq.. first_seq + n - 1, while a thread polls db for them;
 * waits up to LAT_DRAIN_MS after the last publish for the last to show.
 * The projector must be running on db, its checkpoint already at
 * first_seq - 1. Returns 0 with out filled, or -1 with a reason in err.
 */
int
lat_run(natsConnection *nc, struct gen *g, const char *db, uint64_t first_seq,
    uint64_t n, double rate, struct lat_result *out, char *err, size_t errlen)
{
	struct timespec nap = { 0, LAT_WAIT_POLL_NS };
	struct lat_reader r;
	pthread_t tid;
	int64_t *sent_ns = NULL, end;
	int rc = -1, started = 0;

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.first = first_seq;
	r.last = first_seq + n - 1;
	sent_ns = calloc(n, sizeof(*sent_ns));
	r.seen_ns = calloc(n, sizeof(*r.seen_ns));
	if (n == 0 || sent_ns == NULL || r.seen_ns == NULL) {
		snprintf(err, errlen, "no events, or out of memory");
		goto done;
	}
	if (pthread_create(&tid, NULL, lat_read, &r) != 0) {
		snprintf(err, errlen, "cannot start the reader thread");
		goto done;
	}
	started = 1;
	if (pub_paced(nc, g, n, rate, sent_ns, err, errlen) == -1)
		goto done;
	end = pub_now_ns() + (int64_t)LAT_DRAIN_MS * 1000000;
	while (!atomic_load(&r.done) && pub_now_ns() < end)
		nanosleep(&nap, NULL);
	atomic_store(&r.stop, 1);
	pthread_join(tid, NULL);
	started = 0;
	if (r.err[0] != '\0') {
		snprintf(err, errlen, "reader: %s", r.err);
		goto done;
	}
	rc = lat_summarise(&r, sent_ns, n, out, err, errlen);

done:
	if (started) {
		atomic_store(&r.stop, 1);
		pthread_join(tid, NULL);
	}
	free(sent_ns);
	free(r.seen_ns);
	return rc;
}
