/*
 * views.h: the old and the new view of a projector's file, for the tests
 * of what rebuilds it (tests/integration/test_replay_*.c: `projector
 * replay`, the background rebuild of a projection whose version changed,
 * `projector verify`).
 *
 * A test of the group works on a struct views_fx: the common fixture
 * (struct itest_fx: temp dir, nats-server, the projector in the
 * background), with two configurations of account ga-1 on stream
 * ITEST_STREAM: the live one (f->config, database f->db, durable consumer
 * VIEWS_DURABLE) and a scratch one (scratch.db, consumer VIEWS_SCRATCH),
 * which folds the same stream from scratch beside it. The old and the new
 * view of a replay must differ for a test to mean anything, so a test
 * plants known differences in the live file (while no projector runs) and
 * takes the new view from the scratch file. A rebuild must last long
 * enough to be watched and interrupted: the large stream (VIEWS_LARGE_EVENTS
 * events of tests/oracle/gen.py) is generated once per test binary, in the
 * group's fixture, and published into each test's own server. Commands run
 * by name: `NAME` writes dir/NAME.out and dir/NAME.log.
 *
 * Every function here is of the cmocka layer (views_fx_*): it fails the
 * running test itself, but views_log(), which cannot fail.
 *
 * Memory: views_fx_group_setup() allocates the group's state and
 * views_fx_group_teardown() frees it; views_fx_setup() allocates a struct
 * views_fx and views_fx_teardown() frees it with all it holds (the
 * reader's connection, both views, and the common fixture).
 */
#ifndef VIEWS_H
#define VIEWS_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "itest.h"

#define VIEWS_LARGE_EVENTS	30000
#define VIEWS_LARGE_SEED	11
#define VIEWS_RUN_MS		120000	/* bound on one command (ASan) */
#define VIEWS_STOP_MS		5000	/* SIGTERM to exit */
#define VIEWS_DURABLE		"projector"	/* the default consumer */
#define VIEWS_SCRATCH		"scratch"	/* the scratch consumer */

struct probe_consumer;

/* What the tests of one binary share: the large stream, made once. */
struct views_group {
	char	dir[512];
	char	large[ITEST_PATH_MAX];	/* "" until generated */
};

struct views_fx {
	struct itest_fx		*f;
	struct views_group	*g;		/* NULL: no group fixture */
	sqlite3			*conn;		/* a reader, or a lock holder */
	json_t			*old;		/* the view before a replay */
	json_t			*new;		/* the view after it */
	char			 shadow[ITEST_PATH_MAX + 16]; /* db-rebuild */
	char			 scratch_config[ITEST_PATH_MAX];
	char			 scratch_db[ITEST_PATH_MAX];
	char			 out[ITEST_PATH_MAX];	/* the last command's */
	char			 err[1024];
};

const char *views_log(const struct views_fx *v, const char *name, char *buf,
	    size_t len);

int	views_fx_group_setup(void **state);
int	views_fx_group_teardown(void **state);
int	views_fx_setup(void **state);
int	views_fx_teardown(void **state);
void	views_fx_start_natsd(struct views_fx *v);
void	views_fx_publish_large(struct views_fx *v);
int	views_fx_run(struct views_fx *v, const char *name, const char *config,
	    const char *cmd, ...) __attribute__((sentinel));
void	views_fx_run_once(struct views_fx *v, const char *name,
	    const char *config);
void	views_fx_start(struct views_fx *v, const char *name, const char *cmd,
	    ...) __attribute__((sentinel));
void	views_fx_assert_exit(struct views_fx *v, const char *name,
	    int status, int want);
void	views_fx_stop_run(struct views_fx *v, const char *name);
void	views_fx_plant(const char *db, const char *sql);
void	views_fx_plant_everywhere(const char *db);
void	views_fx_old_and_new(struct views_fx *v);
void	views_fx_assert_view(struct views_fx *v, const char *db,
	    const json_t *want, const char *what);
void	views_fx_assert_status(struct views_fx *v, long long last_seq);
void	views_fx_assert_no_shadow(struct views_fx *v);
void	views_fx_assert_same_consumer(const struct probe_consumer *a,
	    const struct probe_consumer *b);
int	views_fx_consumers(struct views_fx *v, char *durables, size_t len,
	    int *ephemeral);
void	views_fx_wait_shadow(struct views_fx *v, long long *seq);
void	views_fx_wait_query(struct views_fx *v, const char *sql,
	    long long want);

#endif /* VIEWS_H */
