/*
 * itest.h: what several integration tests (tests/integration/) share: where
 * the binaries under test are, the projector configuration they run with,
 * the fixture read line by line, and polling the outputs of a running
 * projector (its SQLite file, opened read-only as a website would, with
 * the engine's own db_open_readonly(), and its log file) until a condition
 * holds or a deadline passes. A test never sleeps a fixed time to
 * synchronise with the projector: it polls.
 *
 * Two layers. The plain functions do not use cmocka: each returns 0 or -1
 * (or a count) and the test asserts. The itest_fx_* functions (and
 * itest_start_natsd()) are the cmocka layer over them, for a test's common
 * fixture, struct itest_fx: they fail, or skip, the running test
 * themselves, so that a test says only what it checks (itest.o needs
 * cmocka, which every test binary links). itest_main() is the main() of
 * every integration test. The log functions take the
 * strings a line must contain as their last arguments, up to ITEST_NEEDLES,
 * ended by NULL. Paths are relative to the repository root, where the tests
 * run.
 *
 * Memory: itest_fixture_load() fills a struct itest_fixture that owns its
 * strings until itest_fixture_release(); itest_snapshot() and
 * itest_fx_snapshot() return a json_t to json_decref().
 * itest_fx_publish_fixture() destroys the natsOptions it is given.
 * itest_fx_setup() allocates a struct itest_fx and itest_fx_teardown()
 * frees it, with whatever it holds: the processes are killed, the temp dir
 * is removed. Everything else writes into the caller's buffers.
 */
#ifndef ITEST_H
#define ITEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include "natsd.h"
#include "proc.h"
#include "testdb.h"

#define ITEST_EVENTS	"tests/fixtures/gamingapi-small/events.jsonl"
#define ITEST_EXPECTED	"tests/fixtures/gamingapi-small/expected.json"
#define ITEST_NEVENTS	600		/* lines of ITEST_EVENTS */
#define ITEST_STREAM	"everything"
#define ITEST_SUBJECTS	"v0.rust.servers.>"
#define ITEST_POLL_MS	20		/* nap between two looks */
#define ITEST_WAIT_MS	30000		/* deadline of a wait (ASan is slow) */
#define ITEST_RUN_MS	60000		/* deadline of a command (< 1 s) */
#define ITEST_STOP_MS	5000		/* SIGTERM to exit (README: ~1 s) */
#define ITEST_PATH_MAX	1024
#define ITEST_NEEDLES	8		/* most strings one line must hold */
#define ITEST_ARGS	14		/* most arguments of itest_fx_run() */
#define ITEST_EXIT_SIGKILL (128 + 9)	/* proc_exit_code() of a SIGKILL */

struct CMUnitTest;
struct probe_consumer;

/* One line of a fixture: the subject and the exact bytes to publish. */
struct itest_event {
	char	*subject;
	char	*payload;		/* may hold NULs: use len */
	size_t	 len;
};

struct itest_fixture {
	struct itest_event	*ev;
	size_t			 n;
};

/* One account of a configuration written by itest_write_config(). */
struct itest_account {
	const char	*name;
	const char	*auth;		/* a YAML flow mapping; NULL: no auth */
	const char	*database;	/* relative to the configuration */
	const char	*stream;	/* NULL: ITEST_STREAM */
	const char	*consumer;	/* NULL: the default, projector */
	const char	*archive;	/* NULL: the default; "false": none */
};

/*
 * The common fixture of an integration test: a temp dir of its own, with
 * the files of the test in it (config, db, log, out and err are paths
 * there: projector.yaml, ga-1.db, projector.log, stdout and stderr); the
 * nats-server and the projector it starts; the fixture's lines, if loaded.
 * log is the stderr of the projector in the background (p); out and err
 * are those of the last command run to its end (itest_fx_run()).
 */
struct itest_fx {
	struct natsd		d;
	struct proc		p;
	struct itest_fixture	events;
	char			dir[512];	/* leaves room for file names */
	char			bin[ITEST_PATH_MAX];	/* the projector */
	char			config[ITEST_PATH_MAX];
	char			db[ITEST_PATH_MAX];	/* account ga-1's */
	char			log[ITEST_PATH_MAX];
	char			out[ITEST_PATH_MAX];
	char			err[ITEST_PATH_MAX];
};

long long itest_now_ms(void);
unsigned long long itest_env_number(const char *name,
	    unsigned long long dflt);
void	itest_nap(void);
const char *itest_bin(const char *name, char *buf, size_t len);
int	itest_write_config(const char *path, const char *url, const char *tls,
	    int max_events, int max_wait_ms, const struct itest_account *accts,
	    size_t naccts);
int	itest_publish_fixture(const char *url, natsOptions *opts,
	    const char *path, uint64_t *count, char *err, size_t errlen);
int	itest_fixture_load(const char *path, struct itest_fixture *fx,
	    char *err, size_t errlen);
void	itest_fixture_release(struct itest_fixture *fx);
int	itest_publish_events(jsCtx *js, const struct itest_fixture *fx,
	    size_t from, size_t to, char *err, size_t errlen);
long long itest_query_int(const char *db, const char *sql);
int	itest_rows(const char *db, const char *sql, enum testdb_style style,
	    char *buf, size_t len, char *err, size_t errlen);
long long itest_last_seq(const char *db);
int	itest_wait_last_seq(const char *db, long long want, struct proc *p,
	    int timeout_ms, char *err, size_t errlen);
json_t	*itest_snapshot(sqlite3 *conn, const char *db, char *err,
	    size_t errlen);
int	itest_diff(const char *db, const json_t *want, char *err,
	    size_t errlen);
int	itest_contract(const char *db, char *err, size_t errlen);
int	itest_log_count(const char *path, ...)
	    __attribute__((sentinel));
int	itest_log_line(char *line, size_t len, const char *path, ...)
	    __attribute__((sentinel));
int	itest_wait_log(struct proc *p, int timeout_ms, int min, char *err,
	    size_t errlen, const char *path, ...) __attribute__((sentinel));
int	itest_sanitizer_report(const char *path, char *line, size_t len);
void	itest_show_log(const char *path);
int	itest_reconnections(const char *path);

void	itest_start_natsd(struct natsd *d, const char *config_file);
int	itest_fx_setup(const char *prefix, int load_events, void **state);
int	itest_fx_teardown(void **state);
void	itest_fx_path(const struct itest_fx *f, const char *name, char *buf,
	    size_t len);
void	itest_fx_write_file(const char *path, const char *text, mode_t mode);
void	itest_fx_install(struct itest_fx *f, const char *built,
	    const char *name, mode_t mode, char *path, size_t len);
void	itest_fx_write_secret(const struct itest_fx *f, const char *name,
	    const char *text, mode_t mode, char *path, size_t len);
void	itest_fx_start_natsd(struct itest_fx *f, const char *conf);
void	itest_fx_publish_fixture(struct itest_fx *f, const char *url,
	    natsOptions *opts);
void	itest_fx_publish_range(struct itest_fx *f, size_t from, size_t to);
void	itest_fx_publish_acked(struct itest_fx *f, const char *url,
	    size_t from, size_t to);
void	itest_fx_write_config(struct itest_fx *f, int max_events);
void	itest_fx_write_accounts(struct itest_fx *f, const char *path,
	    const struct itest_account *accts, size_t naccts);
void	itest_fx_start_with_fixture(struct itest_fx *f, int max_events);
int	itest_fx_run(struct itest_fx *f, ...) __attribute__((sentinel));
void	itest_fx_start_projector(struct itest_fx *f);
void	itest_fx_start_projector_debug(struct itest_fx *f);
void	itest_fx_assert_alive(struct itest_fx *f, const char *when);
long long itest_fx_wait_past(struct itest_fx *f, long long past,
	    long poll_ns);
void	itest_fx_wait_reconnections(struct itest_fx *f, int n);
void	itest_fx_stop_projector(struct itest_fx *f, int timeout_ms);
void	itest_fx_consumer(struct itest_fx *f, const char *consumer,
	    struct probe_consumer *out);
void	itest_fx_wait_last_seq(struct itest_fx *f, const char *db,
	    long long want);
void	itest_fx_wait_log(struct itest_fx *f, const char *path, int min, ...)
	    __attribute__((sentinel));
json_t	*itest_fx_snapshot(const char *db);
const char *itest_fx_rows(const char *db, const char *sql,
	    enum testdb_style style, char *buf, size_t len);
void	itest_fx_assert_contract(struct itest_fx *f);
void	itest_fx_assert_integrity(struct itest_fx *f, const char *db);
void	itest_fx_assert_no_sanitizer(const char *path);
int	itest_main(const struct CMUnitTest *tests, size_t n,
	    int (*setup)(void **), int (*teardown)(void **));

#endif /* ITEST_H */
