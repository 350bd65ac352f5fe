/*
 * clusterfx.h: the fixture that the tests of the projector against several
 * nats-servers (test_cluster.c, test_supercluster.c) share: a stream of
 * the independent generator (stream.h) made once per run and cut into
 * CLUSTERFX_PARTS parts published one after the other, a test's cluster
 * (natsd_cluster.h) and its projector's configuration listing several
 * servers, the projector's metrics scraped from its http: endpoint, the
 * node it is connected to (read from its log), and the oracle: a clean
 * `projector run --once` of the whole stream through a consumer of its
 * own, compared by the six contract queries (stream_diff()).
 *
 * clusterfx_main() is the main() of such a test: its group setup makes the
 * stream (TEST_SEED=N repeats a run's, TEST_EVENTS=N changes its length,
 * TEST_VERBOSE=1 sets g->verbose) and its group teardown removes it. The
 * clusterfx_fx_* functions, and clusterfx_setup() and clusterfx_teardown()
 * (a test's setup and teardown), fail, or skip, the running test
 * themselves, as itest.h's itest_fx_* do.
 *
 * Memory: struct clusterfx_group is the caller's (a test's static group);
 * the group setup of clusterfx_main() fills it and makes a temp dir that
 * its group teardown removes. clusterfx_setup() allocates size bytes (a
 * test's own struct, whose first member is struct clusterfx) with the
 * common fixture of itest_fx_setup() in it; clusterfx_teardown() kills the
 * projector, then the cluster, and frees it all. Everything else writes
 * into the caller's buffers.
 */
#ifndef CLUSTERFX_H
#define CLUSTERFX_H

#include <stddef.h>

#include "itest.h"
#include "natsd_cluster.h"

#define CLUSTERFX_PARTS		3
#define CLUSTERFX_CATCH_UP_MS	300000	/* a whole stream, under ASan, loaded */
#define CLUSTERFX_SERVERS_MAX	(NATSD_CLUSTER_MAX * 72) /* a YAML list */

/* What the tests of a run share: the generated stream, cut into parts. */
struct clusterfx_group {
	char			dir[512];
	char			part[CLUSTERFX_PARTS][ITEST_PATH_MAX];
	long long		end[CLUSTERFX_PARTS];	/* last seq of each */
	unsigned long long	seed;
	int			nevents;
	int			verbose;
};

/* What one test holds: the first member of the test's own struct. */
struct clusterfx {
	struct itest_fx		*f;
	struct natsd_cluster	 c;
	char			 metrics[64];	/* the http: block's /metrics */
};

struct CMUnitTest;

int	clusterfx_main(const struct CMUnitTest *tests, size_t n,
	    struct clusterfx_group *g, const char *name, const char *prefix,
	    int nevents);
int	clusterfx_setup(void **state, size_t size, const char *prefix);
int	clusterfx_teardown(void **state);

void	clusterfx_fx_no_cluster(const char *what, const char *err);
void	clusterfx_fx_write_config(const char *servers, const char *path,
	    const char *db, const char *consumer, int batch);
void	clusterfx_fx_add_http(struct clusterfx *x);
void	clusterfx_fx_publish_part(const struct clusterfx_group *g,
	    const char *urls, int k, const char *via);
void	clusterfx_fx_wait_seq(struct itest_fx *f, long long want);
int	clusterfx_fx_connected_node(struct clusterfx *x);
double	clusterfx_fx_metric(const struct clusterfx *x, const char *series);
void	clusterfx_fx_assert_no_gap(struct itest_fx *f);
long long clusterfx_fx_run_once(struct itest_fx *f,
	    const struct clusterfx_group *g, const char *servers,
	    const char *name, char *db, size_t dblen);
long long clusterfx_fx_assert_oracle(struct itest_fx *f,
	    const struct clusterfx_group *g, const char *servers,
	    const char *reference);

#endif /* CLUSTERFX_H */
