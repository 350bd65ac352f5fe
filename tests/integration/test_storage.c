/*
 * test_storage.c: the database's storage in trouble (issue 4, scenarios 4
 * and 5): a full disk, a reader that keeps a read transaction open for a
 * long time, and another connection holding the write lock.
 *
 * In each case the worker must stop advancing without acknowledging what
 * it has not committed (the durable consumer's ack floor, read from the
 * server, is at or below the database's checkpoint every time the test
 * looks, the ack floor read first), say so in its log, keep running, and
 * carry on by itself once the trouble is gone, to the exact contract
 * answer and a sound file (PRAGMA integrity_check).
 *
 * The full disk is a tmpfs of a few MiB mounted inside the test's temp dir
 * (the tests run as root), the database with its -wal and -shm in it (or
 * only the account's archive), and a filler file that takes the rest of
 * its space. Where mount(2) is not
 * allowed (EPERM: a container without CAP_SYS_ADMIN) or when
 * PROJECTOR_TEST_NO_TMPFS is set, the database stays on the usual disk and
 * the projector's RLIMIT_FSIZE (prlimit(2)) is lowered to the size of its
 * -wal file instead, with SIGXFSZ ignored: a write that would grow the file
 * fails with EFBIG, as one on a full disk fails with ENOSPC, and SQLite
 * gives up the same transaction (SQLITE_FULL or SQLITE_IOERR).
 *
 * Run from the repository root; the binaries are in $PROJECTOR_BIN_DIR
 * (default build).
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <nats/nats.h>

#include "db.h"
#include "history.h"
#include "itest.h"
#include "probe.h"
#include "publish.h"
#include "stream.h"
#include "tmp.h"

#define STORAGE_CONSUMER	"projector"	/* the default durable */
#define STORAGE_TMPFS_OPTS	"size=16m,mode=0700"
#define STORAGE_HALF		300	/* events before the trouble */
#define STORAGE_BATCH		20	/* a batch: many commits */
/* How long the test watches a stalled worker not advancing. */
#define STORAGE_STALL_MS	2000
/* The worker logs the same error at most once a minute (README). */
#define STORAGE_MAX_REPEATS	2
/* PRAGMA journal_size_limit of the worker's connection (src/db.c). */
#define STORAGE_WAL_LIMIT	(16LL * 1024 * 1024)
/* The long-reader test: a generated stream, its first part before. */
#define STORAGE_BIG_EVENTS	30000
#define STORAGE_BIG_SEED	4242
#define STORAGE_BIG_FIRST	1000
#define STORAGE_BIG_BATCH	200
#define STORAGE_BIG_WAIT_MS	300000	/* ASan folds slowly */
#define STORAGE_NUDGES		50	/* to make the WAL shrink */
#define STORAGE_NUDGE_SUBJECT	"v0.rust.servers.0.events.nudge"

struct storage_fx {
	struct itest_fx		*f;
	struct probe_nats	 pn;
	char			 disk[600];	/* the database's dir */
	char			 filler[ITEST_PATH_MAX];
	char			 wal[ITEST_PATH_MAX + 8];
	int			 mounted;	/* disk is our tmpfs */
	int			 limited;	/* RLIMIT_FSIZE instead */
	uint64_t		 published;	/* stream's last sequence */
	jsCtx			*js;		/* pn's, to publish */
};

static int
setup(void **state)
{
	struct storage_fx *sf;

	if ((sf = calloc(1, sizeof(*sf))) == NULL)
		return -1;
	if (itest_fx_setup("itest-storage-", 1, (void **)&sf->f) == -1) {
		free(sf);
		return -1;
	}
	snprintf(sf->disk, sizeof(sf->disk), "%s/disk", sf->f->dir);
	snprintf(sf->filler, sizeof(sf->filler), "%s/filler", sf->disk);
	snprintf(sf->f->db, sizeof(sf->f->db), "%s/ga-1.db", sf->disk);
	snprintf(sf->wal, sizeof(sf->wal), "%s-wal", sf->f->db);
	if (mkdir(sf->disk, 0700) == -1) {
		itest_fx_teardown((void **)&sf->f);
		free(sf);
		return -1;
	}
	*state = sf;
	return 0;
}

/*
 * Kills the projector first: its open files on the tmpfs would keep it
 * from being unmounted. Then the usual teardown removes the temp dir.
 */
static int
teardown(void **state)
{
	struct storage_fx *sf = *state;

	proc_release(&sf->f->p);
	probe_nats_close(&sf->pn);
	if (sf->mounted && umount(sf->disk) == -1 &&
	    umount2(sf->disk, MNT_DETACH) == -1)
		fprintf(stderr, "umount %s: %s\n", sf->disk, strerror(errno));
	itest_fx_teardown((void **)&sf->f);
	free(sf);
	return 0;
}

static void	start_with(struct storage_fx *sf, int batch,
		    const struct itest_account *acct);

/*
 * Starts the server, creates the stream, connects the probe (whose
 * context also publishes) and writes the configuration: one account whose
 * database (and archive) is in the disk dir, batches of batch events.
 */
static void
start(struct storage_fx *sf, int batch)
{
	static const struct itest_account acct = { "ga-1", NULL,
	    "disk/ga-1.db", NULL, NULL, NULL };

	start_with(sf, batch, &acct);
}

/* The same with the account acct. */
static void
start_with(struct storage_fx *sf, int batch, const struct itest_account *acct)
{
	static const char *const subjects[] = { ITEST_SUBJECTS };
	struct itest_fx *f = sf->f;
	char err[1024];

	itest_fx_start_natsd(f, NULL);
	if (probe_nats_open(&sf->pn, f->d.url, err, sizeof(err)) == -1 ||
	    publish_create_stream(sf->pn.nc, ITEST_STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	sf->js = sf->pn.js;
	assert_int_equal(itest_write_config(f->config, f->d.url, NULL, batch, 0,
	    acct, 1), 0);
}

/* Publishes events from..to (from 1) of fx in order. */
static void
publish_range(struct storage_fx *sf, const struct itest_fixture *fx,
    size_t from, size_t to)
{
	char err[1024];

	if (itest_publish_events(sf->js, fx, from - 1, to, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	sf->published += to - from + 1;
}

/*
 * Reads the ack floor, then the checkpoint, and fails unless the floor is
 * at or below it: nothing the database has not committed may have been
 * acknowledged. In that order, because the checkpoint only grows and the
 * floor follows it: the other order could see a commit and its ack that
 * came between the two looks. Returns the checkpoint (0 before the
 * database exists).
 */
static long long
assert_floor(struct storage_fx *sf)
{
	uint64_t floor;
	long long cp;
	char err[1024];

	if (probe_ack_floor(&sf->pn, ITEST_STREAM, STORAGE_CONSUMER, &floor,
	    err, sizeof(err)) == -1)
		fail_msg("%s", err);
	/* No database yet: nothing committed. */
	if ((cp = itest_last_seq(sf->f->db)) < 0)
		cp = 0;
	if ((long long)floor > cp) {
		itest_show_log(sf->f->log);
		fail_msg("ack floor %llu above the database's checkpoint %lld",
		    (unsigned long long)floor, cp);
	}
	return cp;
}

/*
 * Polls until the checkpoint is want, checking the ack floor at each
 * look; fails when it goes past, when timeout_ms pass or when the
 * projector exits.
 */
static void
wait_seq(struct storage_fx *sf, long long want, int timeout_ms)
{
	long long deadline = itest_now_ms() + timeout_ms, cp;

	for (;;) {
		if ((cp = assert_floor(sf)) == want)
			return;
		if (cp > want)
			fail_msg("checkpoint %lld went past %lld", cp, want);
		if (proc_wait(&sf->f->p, 0, NULL) == 0) {
			itest_show_log(sf->f->log);
			fail_msg("the projector exited (status %d) at %lld of"
			    " %lld", proc_exit_code(sf->f->p.status), cp, want);
		}
		if (itest_now_ms() >= deadline) {
			itest_show_log(sf->f->log);
			fail_msg("checkpoint %lld after %d ms, want %lld", cp,
			    timeout_ms, want);
		}
		itest_nap();
	}
}

/*
 * Polls until the ack floor reaches want: after the last commit the ack
 * follows at once (the checkpoint is checked against it on the way).
 */
static void
wait_floor(struct storage_fx *sf, uint64_t want)
{
	long long deadline = itest_now_ms() + ITEST_WAIT_MS;
	uint64_t floor = 0;
	char err[1024];

	while (itest_now_ms() < deadline) {
		assert_floor(sf);
		if (probe_ack_floor(&sf->pn, ITEST_STREAM, STORAGE_CONSUMER,
		    &floor, err, sizeof(err)) == -1)
			fail_msg("%s", err);
		if (floor == want)
			return;
		itest_nap();
	}
	fail_msg("ack floor %llu after %d ms, want %llu",
	    (unsigned long long)floor, ITEST_WAIT_MS, (unsigned long long)want);
}

/*
 * Watches a stalled worker for STORAGE_STALL_MS: its checkpoint stays at
 * cp, the ack floor at or below it, and it keeps running. Returns cp.
 */
static long long
assert_stalled(struct storage_fx *sf)
{
	long long until = itest_now_ms() + STORAGE_STALL_MS, cp, first;

	first = assert_floor(sf);
	while (itest_now_ms() < until) {
		if ((cp = assert_floor(sf)) != first) {
			itest_show_log(sf->f->log);
			fail_msg("checkpoint moved from %lld to %lld while the"
			    " database could not be written", first, cp);
		}
		if (proc_wait(&sf->f->p, 0, NULL) == 0) {
			itest_show_log(sf->f->log);
			fail_msg("the projector exited (status %d)",
			    proc_exit_code(sf->f->p.status));
		}
		itest_nap();
	}
	return first;
}

/*
 * Runs `projector status --json` while the worker is stalled at cp with
 * the stream at last: it must tell how far the database is and how far
 * behind. Prints what it says of the state and the error, for the record.
 */
static void
check_status(struct storage_fx *sf, long long cp, uint64_t last)
{
	struct itest_fx *f = sf->f;
	json_error_t je;
	json_t *root, *projs, *p;
	size_t i;

	assert_int_equal(itest_fx_run(f, "status", "-c", f->config, "--json",
	    NULL), 0);
	if ((root = json_load_file(f->out, 0, &je)) == NULL)
		fail_msg("%s:%d: %s", f->out, je.line, je.text);
	projs = json_object_get(json_array_get(json_object_get(root,
	    "accounts"), 0), "projections");
	assert_int_equal(json_array_size(projs), 3);
	json_array_foreach(projs, i, p) {
		const json_t *e = json_object_get(p, "last_error");

		assert_int_equal(json_integer_value(json_object_get(p,
		    "last_seq")), cp);
		assert_int_equal(json_integer_value(json_object_get(p, "lag")),
		    (long long)last - cp);
		print_message("status: %s state=%s last_error=%s lag=%lld\n",
		    json_string_value(json_object_get(p, "projection")),
		    json_string_value(json_object_get(p, "state")),
		    json_is_string(e) ? json_string_value(e) : "null",
		    (long long)json_integer_value(json_object_get(p, "lag")));
	}
	json_decref(root);
}

/* Fails unless the database is sound and answers expected.json. */
static void
assert_final(struct storage_fx *sf)
{
	itest_fx_assert_contract(sf->f);
	itest_fx_assert_integrity(sf->f, sf->f->db);
}

/*
 * The error was logged, but not once per retry: the same text at most
 * once a minute.
 */
static void
assert_logged(struct storage_fx *sf, const char *what)
{
	char line[1024];
	int n = itest_log_count(sf->f->log, "batch rolled back, will retry",
	    what, NULL);

	if (n < 1 || n > STORAGE_MAX_REPEATS) {
		itest_show_log(sf->f->log);
		fail_msg("%d lines say the batch was rolled back (%s)", n,
		    what);
	}
	itest_log_line(line, sizeof(line), sf->f->log,
	    "batch rolled back, will retry", what, NULL);
	print_message("log: %s\n", line);
}

/* ---- scenario 4: a full disk ---- */

/*
 * Mounts a small tmpfs on the disk dir. Returns 0, or -1 with the reason
 * in why when mount(2) is not allowed here (or PROJECTOR_TEST_NO_TMPFS is
 * set): the caller falls back on RLIMIT_FSIZE.
 */
static int
disk_mount(struct storage_fx *sf, char *why, size_t len)
{
	const char *no = getenv("PROJECTOR_TEST_NO_TMPFS");

	if (no != NULL && *no != '\0') {
		snprintf(why, len, "PROJECTOR_TEST_NO_TMPFS is set");
		return -1;
	}
	if (mount("tmpfs", sf->disk, "tmpfs", MS_NOSUID | MS_NODEV,
	    STORAGE_TMPFS_OPTS) == 0) {
		sf->mounted = 1;
		return 0;
	}
	if (errno == EPERM || errno == EACCES) {
		snprintf(why, len, "mount: %s", strerror(errno));
		return -1;
	}
	fail_msg("mount tmpfs on %s: %s", sf->disk, strerror(errno));
	return -1;
}

/*
 * Fills the tmpfs to the last byte with the filler file: the next write
 * that grows the -wal file fails with ENOSPC. Returns the bytes written.
 */
static long long
disk_fill(struct storage_fx *sf)
{
	static char block[64 * 1024];
	size_t sizes[] = { sizeof(block), 4096, 512, 1 }, i;
	long long total = 0;
	ssize_t n;
	int fd;

	if ((fd = open(sf->filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		fail_msg("%s: %s", sf->filler, strerror(errno));
	memset(block, 'f', sizeof(block));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		while ((n = write(fd, block, sizes[i])) > 0)
			total += n;
	if (errno != ENOSPC)
		fail_msg("%s: %s, not ENOSPC", sf->filler, strerror(errno));
	close(fd);
	return total;
}

/* Lowers (limit >= 0) or lifts (-1) the projector's RLIMIT_FSIZE. */
static void
disk_limit(struct storage_fx *sf, long long limit)
{
	struct rlimit rl;

	rl.rlim_cur = limit < 0 ? RLIM_INFINITY : (rlim_t)limit;
	rl.rlim_max = RLIM_INFINITY;
	if (prlimit(sf->f->p.pid, RLIMIT_FSIZE, &rl, NULL) == -1)
		fail_msg("prlimit: %s", strerror(errno));
}

/*
 * The disk fills up in the middle of the stream: the worker stops where
 * it was, acknowledges nothing more, says why, and once space is freed
 * goes on by itself to the exact answer.
 */
static void
test_storage_disk_full(void **state)
{
	struct storage_fx *sf = *state;
	struct itest_fx *f = sf->f;
	struct sigaction ign, old;
	long long cp, filled = 0;
	char why[256];

	if (disk_mount(sf, why, sizeof(why)) == -1) {
		print_message("no tmpfs (%s): RLIMIT_FSIZE on the projector"
		    " stands in for a full disk\n", why);
		sf->limited = 1;
	}
	start(sf, STORAGE_BATCH);
	publish_range(sf, &f->events, 1, STORAGE_HALF);
	/*
	 * An ignored signal stays ignored across exec: the projector gets
	 * EFBIG from write() rather than being killed by SIGXFSZ.
	 */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &ign, &old);
	itest_fx_start_projector(f);
	sigaction(SIGXFSZ, &old, NULL);
	wait_seq(sf, STORAGE_HALF, ITEST_WAIT_MS);

	if (sf->limited)
		disk_limit(sf, probe_file_size(sf->wal));
	else
		filled = disk_fill(sf);
	print_message("disk full: %lld bytes of filler, -wal %lld bytes\n",
	    filled, probe_file_size(sf->wal));
	publish_range(sf, &f->events, STORAGE_HALF + 1, ITEST_NEVENTS);
	itest_fx_wait_log(f, f->log, 1, "batch rolled back, will retry",
	    sf->limited ? "error=" : "disk is full", NULL);

	cp = assert_stalled(sf);
	assert_true(cp >= STORAGE_HALF && cp < ITEST_NEVENTS);
	check_status(sf, cp, sf->published);
	assert_logged(sf, sf->limited ? "error=" : "disk is full");

	/* Space comes back: nobody restarts anything. */
	if (sf->limited)
		disk_limit(sf, -1);
	else if (unlink(sf->filler) == -1)
		fail_msg("%s: %s", sf->filler, strerror(errno));
	wait_seq(sf, ITEST_NEVENTS, ITEST_WAIT_MS);
	wait_floor(sf, ITEST_NEVENTS);
	assert_final(sf);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
}

/*
 * The archive's disk fills up, the database's does not: the batch cannot
 * be archived, so it is not committed either, nor acknowledged; the worker
 * says why, and goes on by itself once space is freed, every event folded
 * and archived once.
 */
static void
test_storage_archive_full(void **state)
{
	static const struct itest_account acct = { "ga-1", NULL, "ga-1.db",
	    NULL, NULL, "disk/ga-1.db-archive" };
	struct storage_fx *sf = *state;
	struct itest_fx *f = sf->f;
	struct sigaction ign, old;
	char archive[ITEST_PATH_MAX], wal[ITEST_PATH_MAX + 8], why[256];
	long long cp, filled = 0;

	snprintf(f->db, sizeof(f->db), "%s/ga-1.db", f->dir);
	snprintf(archive, sizeof(archive), "%s/ga-1.db-archive", sf->disk);
	snprintf(wal, sizeof(wal), "%s-wal", archive);
	if (disk_mount(sf, why, sizeof(why)) == -1) {
		print_message("no tmpfs (%s): RLIMIT_FSIZE on the projector"
		    " stands in for a full disk\n", why);
		sf->limited = 1;
	}
	start_with(sf, STORAGE_BATCH, &acct);
	publish_range(sf, &f->events, 1, STORAGE_HALF);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &ign, &old);
	itest_fx_start_projector(f);
	sigaction(SIGXFSZ, &old, NULL);
	wait_seq(sf, STORAGE_HALF, ITEST_WAIT_MS);

	if (sf->limited)
		disk_limit(sf, probe_file_size(wal));
	else
		filled = disk_fill(sf);
	print_message("archive's disk full: %lld bytes of filler, -wal %lld"
	    " bytes\n", filled, probe_file_size(wal));
	publish_range(sf, &f->events, STORAGE_HALF + 1, ITEST_NEVENTS);
	/* With RLIMIT_FSIZE, the database's -wal may be refused first. */
	itest_fx_wait_log(f, f->log, 1, "batch rolled back, will retry",
	    sf->limited ? "error=" : "archive", NULL);
	cp = assert_stalled(sf);
	assert_true(cp >= STORAGE_HALF && cp < ITEST_NEVENTS);
	/* Written first, the archive is never behind the checkpoint. */
	assert_true(history_mark(archive) >= cp);
	assert_logged(sf, sf->limited ? "error=" : "archive");

	if (sf->limited)
		disk_limit(sf, -1);
	else if (unlink(sf->filler) == -1)
		fail_msg("%s: %s", sf->filler, strerror(errno));
	wait_seq(sf, ITEST_NEVENTS, ITEST_WAIT_MS);
	wait_floor(sf, ITEST_NEVENTS);
	assert_final(sf);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	history_fx_assert_archive(f, f->config, "ga-1", ITEST_NEVENTS);
}

/* ---- scenario 5: readers ---- */

/*
 * Opens a reader as a website would (read-only), starts a read
 * transaction and reads a contract table, so that it holds that snapshot
 * until it ends. Returns the count of player_profiles rows it sees.
 */
static long long
reader_begin(const char *db, sqlite3 **out)
{
	sqlite3_stmt *st;
	char err[512];
	long long n;

	if (db_open_readonly(db, out, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_exec(*out, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(*out, "SELECT count(*) FROM"
	    " player_profiles", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The same count, inside the reader's transaction. */
static long long
reader_count(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM"
	    " player_profiles", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A reader keeps one read transaction open while a large stream is
 * folded: the worker is not held up by it (the checkpoint reaches the end
 * while the reader still sees its old snapshot), and once the reader lets
 * go, the -wal file, which had to grow past the reader's snapshot, goes
 * back to at most journal_size_limit.
 */
static void
test_storage_long_reader(void **state)
{
	struct storage_fx *sf = *state;
	struct itest_fx *f = sf->f;
	struct itest_fixture big;
	char path[ITEST_PATH_MAX], err[1024];
	long long seen, wal, wal_max = 0, deadline, t0;
	sqlite3 *reader;
	int nudges = 0;

	itest_fx_path(f, "big.jsonl", path, sizeof(path));
	if (stream_generate(path, STORAGE_BIG_SEED, STORAGE_BIG_EVENTS, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (itest_fixture_load(path, &big, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(big.n, STORAGE_BIG_EVENTS);
	start(sf, STORAGE_BIG_BATCH);
	itest_fx_start_projector(f);
	publish_range(sf, &big, 1, STORAGE_BIG_FIRST);
	wait_seq(sf, STORAGE_BIG_FIRST, ITEST_WAIT_MS);

	seen = reader_begin(f->db, &reader);
	t0 = itest_now_ms();
	publish_range(sf, &big, STORAGE_BIG_FIRST + 1, STORAGE_BIG_EVENTS);
	deadline = itest_now_ms() + STORAGE_BIG_WAIT_MS;
	while (assert_floor(sf) != STORAGE_BIG_EVENTS) {
		if ((wal = probe_file_size(sf->wal)) > wal_max)
			wal_max = wal;
		if (proc_wait(&f->p, 0, NULL) == 0 || itest_now_ms() >= deadline) {
			itest_show_log(f->log);
			fail_msg("checkpoint %lld of %d with a reader open",
			    itest_last_seq(f->db), STORAGE_BIG_EVENTS);
		}
		itest_nap();
	}
	if ((wal = probe_file_size(sf->wal)) > wal_max)
		wal_max = wal;
	print_message("%d events folded in %lld ms past a reader; -wal"
	    " peaked at %lld bytes\n", STORAGE_BIG_EVENTS - STORAGE_BIG_FIRST,
	    itest_now_ms() - t0, wal_max);
	/* The reader still sees its snapshot; the database moved on. */
	assert_int_equal(reader_count(reader), seen);
	assert_true(itest_query_int(f->db, "SELECT count(*) FROM"
	    " player_profiles") > seen);
	/* Otherwise this test would show nothing about the limit. */
	assert_true(wal_max > STORAGE_WAL_LIMIT);

	assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(reader);
	/*
	 * The WAL is reset only by a write after a checkpoint that copied
	 * all of it, and cut to the limit at that write's commit: a few
	 * commits, each made by one more event (a subject nobody wants,
	 * which changes nothing but the checkpoint), one at a time.
	 */
	deadline = itest_now_ms() + ITEST_WAIT_MS;
	while ((wal = probe_file_size(sf->wal)) > STORAGE_WAL_LIMIT) {
		if (assert_floor(sf) == (long long)sf->published) {
			if (nudges == STORAGE_NUDGES || itest_now_ms() >= deadline)
				fail_msg("-wal still %lld bytes (limit %lld)"
				    " after %d commits without a reader; it"
				    " peaked at %lld", wal, STORAGE_WAL_LIMIT,
				    nudges, wal_max);
			if (publish_one(sf->js, STORAGE_NUDGE_SUBJECT, "{}", 2,
			    err, sizeof(err)) == -1)
				fail_msg("%s", err);
			sf->published++;
			nudges++;
		}
		itest_nap();
	}
	print_message("-wal %lld bytes after %d more commits\n", wal, nudges);
	wait_seq(sf, (long long)sf->published, ITEST_WAIT_MS);
	itest_fx_assert_integrity(f, f->db);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
	itest_fixture_release(&big);
}

/*
 * Another connection takes the write lock (BEGIN IMMEDIATE) and keeps it:
 * the worker waits, retries with backoff, logs it, acknowledges nothing
 * it has not committed, and goes on when the lock is released.
 */
static void
test_storage_write_lock(void **state)
{
	struct storage_fx *sf = *state;
	struct itest_fx *f = sf->f;
	sqlite3 *holder = NULL;
	long long cp;

	start(sf, STORAGE_BATCH);
	publish_range(sf, &f->events, 1, STORAGE_HALF);
	itest_fx_start_projector(f);
	wait_seq(sf, STORAGE_HALF, ITEST_WAIT_MS);

	assert_int_equal(sqlite3_open_v2(f->db, &holder, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(holder, ITEST_WAIT_MS);
	assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	publish_range(sf, &f->events, STORAGE_HALF + 1, ITEST_NEVENTS);
	itest_fx_wait_log(f, f->log, 1, "batch rolled back, will retry",
	    "database is locked", NULL);

	cp = assert_stalled(sf);
	assert_int_equal(cp, STORAGE_HALF);
	check_status(sf, cp, sf->published);
	assert_logged(sf, "database is locked");

	assert_int_equal(sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(holder), SQLITE_OK);
	wait_seq(sf, ITEST_NEVENTS, ITEST_WAIT_MS);
	wait_floor(sf, ITEST_NEVENTS);
	assert_final(sf);
	itest_fx_stop_projector(f, ITEST_STOP_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T_(test_storage_disk_full),
		T_(test_storage_archive_full),
		T_(test_storage_long_reader),
		T_(test_storage_write_lock),
#undef T_
	};

	return itest_main(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
