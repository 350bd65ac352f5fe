/*
 * test_metrics.c: metrics_render() over a board filled by hand with two
 * accounts (one with an archive and a rebuild under way, one whose name
 * holds a quote, a backslash and a newline), read back by a small parser of
 * format 0.0.4 that checks what promtool does not: every line parses, each
 * series once, each family one HELP and one TYPE before its samples and
 * its lines together, histograms cumulative with +Inf equal to _count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "stats.h"

#define MAXLINES	2048
#define MAXFAM		128

static const struct projection proj_a = { .name = "leaderboard",
	.version = 3 };
static const struct projection proj_b = { .name = "player_profiles",
	.version = 1 };
static const struct projection *const projs[] = { &proj_a, &proj_b };

struct fixture {
	struct stats_board	board;
	struct stats_account	one, two;
	struct procstat		ps;
	char			*text;
	size_t			 len;
};

/* A parsed sample: its name, its labels as written, its value. */
struct sample {
	char	name[128];
	char	labels[512];	/* the text between the braces, escaped */
	char	series[660];	/* name{labels}: what must be unique */
	double	value;
};

struct family {
	char	name[128];
	char	type[16];
	int	help, typed, closed;
};

static const struct metrics_build build = { "9.9.9", "3.40.1", "3.4.1" };

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(stats_board_init(&fx->board), 0);
	stats_account_init(&fx->one, "ga-1", "everything", "projector", projs,
	    2);
	stats_account_init(&fx->two, "we\"ird\\na\nme", "st\"r", "c\\n",
	    projs, 1);
	STATS_SET(fx->one.projs[0].state, STATS_LIVE);
	STATS_SET(fx->one.projs[0].applied_seq, 590);
	STATS_SET(fx->one.projs[0].last_event_ms, 1700000000123);
	STATS_SET(fx->one.projs[0].checkpoint_ms, 1700000001005);
	STATS_SET(fx->one.projs[1].state, STATS_REBUILDING);
	STATS_SET(fx->one.projs[1].replay_done, 25);
	STATS_SET(fx->one.projs[1].replay_total, 100);
	STATS_SET(fx->one.stream_last_seq, 600);
	STATS_SET(fx->one.lag, 10);
	STATS_SET(fx->one.applied, 1180);
	STATS_SET(fx->one.parked, 2);
	STATS_SET(fx->one.batches, 7);
	STATS_SET(fx->one.errors[STATS_STAGE_COMMIT], 4);
	STATS_SET(fx->one.connected, 1);
	STATS_SET(fx->one.has_archive, 1);
	STATS_SET(fx->one.archive_bytes, 4096);
	STATS_SET(fx->one.archive_first_seq, 1);
	STATS_SET(fx->one.archive_last_seq, 600);
	stats_observe(&fx->one.batch_seconds, 500);		/* 0.0005 s */
	stats_observe(&fx->one.batch_seconds, 30000);		/* 0.03 */
	stats_observe(&fx->one.batch_seconds, 30000);
	stats_observe(&fx->one.batch_seconds, 60000000);	/* +Inf */
	stats_observe(&fx->one.commit_seconds, 2000);
	STATS_SET(fx->two.projs[0].state, STATS_FAILED);
	assert_int_equal(stats_board_add(&fx->board, &fx->one), 0);
	assert_int_equal(stats_board_add(&fx->board, &fx->two), 0);
	fx->ps.start_time = 1700000000.25;
	fx->ps.cpu_seconds = 1.5;
	fx->ps.rss_bytes = 1 << 20;
	fx->ps.open_fds = 12;
	fx->ps.max_fds = 1024;
	assert_int_equal(metrics_render(&fx->board, &build, &fx->ps, &fx->text,
	    &fx->len), 0);
	assert_int_equal(strlen(fx->text), fx->len);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	free(fx->text);
	stats_board_fini(&fx->board);
	free(fx);
	return 0;
}

static int
is_name_char(int c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && c >= '0' && c <= '9');
}

/* Parses one sample line into s; fails the test on anything malformed. */
static void
parse_sample(const char *line, struct sample *s)
{
	const char *p = line, *start;
	char *end;
	size_t n;

	memset(s, 0, sizeof(*s));
	for (n = 0; is_name_char(p[n], n == 0); n++)
		;
	if (n == 0 || n >= sizeof(s->name))
		fail_msg("no metric name: %s", line);
	memcpy(s->name, p, n);
	p += n;
	if (*p == '{') {
		start = ++p;
		while (*p != '}') {
			for (n = 0; is_name_char(p[n], n == 0); n++)
				;
			if (n == 0 || p[n] != '=' || p[n + 1] != '"')
				fail_msg("bad label at '%s': %s", p, line);
			for (p += n + 2; *p != '"'; p++) {
				if (*p == '\0' || *p == '\n')
					fail_msg("unterminated value: %s", line);
				if (*p == '\\' && strchr("\\\"n", *++p) == NULL)
					fail_msg("bad escape: %s", line);
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				fail_msg("bad label list: %s", line);
		}
		assert_true((size_t)(p - start) < sizeof(s->labels));
		memcpy(s->labels, start, (size_t)(p - start));
		p++;
	}
	if (*p != ' ')
		fail_msg("no space before the value: %s", line);
	s->value = strtod(p + 1, &end);
	if (end == p + 1 || *end != '\0')
		fail_msg("bad value: %s", line);
	snprintf(s->series, sizeof(s->series), "%s{%s}", s->name, s->labels);
}

/* The family a sample belongs to: a histogram's name without its suffix. */
static struct family *
family_of(struct family *fams, size_t nfams, const char *name)
{
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	size_t i, k, len;

	for (i = 0; i < nfams; i++) {
		if (strcmp(fams[i].name, name) == 0)
			return &fams[i];
		len = strlen(fams[i].name);
		if (strcmp(fams[i].type, "histogram") != 0 ||
		    strncmp(fams[i].name, name, len) != 0)
			continue;
		for (k = 0; k < 3; k++)
			if (strcmp(name + len, suffix[k]) == 0)
				return &fams[i];
	}
	return NULL;
}

/*
 * Walks text: HELP then TYPE opens a family, its samples follow, the next
 * HELP closes it for good. Fills samples; returns how many.
 */
static size_t
check_text(const char *text, struct sample *samples, size_t max,
    struct family *fams, size_t *nfams)
{
	char *copy = strdup(text), *line, *save = NULL, name[128], rest[256];
	struct family *cur = NULL, *f;
	size_t n = 0, i;

	assert_non_null(copy);
	assert_true(text[strlen(text) - 1] == '\n');
	*nfams = 0;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s %255[^\n]",
			    name, rest), 2);
			for (i = 0; i < *nfams; i++)
				if (strcmp(fams[i].name, name) == 0)
					fail_msg("second HELP of %s", name);
			if (cur != NULL)
				cur->closed = 1;
			assert_true(*nfams < MAXFAM);
			cur = &fams[(*nfams)++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			cur->help = 1;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s %15s", name,
			    rest), 2);
			if (cur == NULL || strcmp(cur->name, name) != 0 ||
			    cur->typed)
				fail_msg("TYPE of %s not right after its HELP",
				    name);
			assert_true(strcmp(rest, "gauge") == 0 ||
			    strcmp(rest, "counter") == 0 ||
			    strcmp(rest, "histogram") == 0);
			memcpy(cur->type, rest, strlen(rest) + 1);
			cur->typed = 1;
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(n < max);
		parse_sample(line, &samples[n]);
		f = family_of(fams, *nfams, samples[n].name);
		if (f == NULL || !f->typed)
			fail_msg("sample before its HELP and TYPE: %s", line);
		if (f != cur || f->closed)
			fail_msg("family %s split: %s", f->name, line);
		if (strcmp(f->type, "counter") == 0)
			assert_non_null(strstr(f->name, "_total"));
		for (i = 0; i < n; i++)
			if (strcmp(samples[i].series, samples[n].series) == 0)
				fail_msg("series twice: %s", samples[n].series);
		n++;
	}
	free(copy);
	return n;
}

/* The value of the series written exactly so; fails when absent. */
static double
value_of(const struct sample *s, size_t n, const char *series)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].series, series) == 0)
			return s[i].value;
	fail_msg("no series %s", series);
	return NAN;
}

static void
test_format(void **state)
{
	struct fixture *fx = *state;
	static struct sample s[MAXLINES];
	struct family fams[MAXFAM];
	size_t n, nfams, i;

	n = check_text(fx->text, s, MAXLINES, fams, &nfams);
	assert_true(n > 100);
	for (i = 0; i < nfams; i++)
		assert_true(fams[i].help && fams[i].typed);
	/* Every family the issue lists, once. */
	assert_int_equal(nfams, 28);
}

static void
test_values(void **state)
{
	struct fixture *fx = *state;
	static struct sample s[MAXLINES];
	struct family fams[MAXFAM];
	size_t n, nfams;

	n = check_text(fx->text, s, MAXLINES, fams, &nfams);
	assert_true(value_of(s, n, "projector_build_info{version=\"9.9.9\","
	    "sqlite_version=\"3.40.1\",nats_c_version=\"3.4.1\"}") == 1);
	assert_true(value_of(s, n, "projector_projection_info{account="
	    "\"ga-1\",projection=\"leaderboard\",stream=\"everything\","
	    "consumer=\"projector\"}") == 1);
	assert_true(value_of(s, n, "projector_projection_state{account="
	    "\"ga-1\",projection=\"leaderboard\",state=\"live\"}") == 1);
	assert_true(value_of(s, n, "projector_projection_state{account="
	    "\"ga-1\",projection=\"leaderboard\",state=\"stopped\"}") == 0);
	assert_true(value_of(s, n, "projector_projection_state{account="
	    "\"ga-1\",projection=\"player_profiles\",state=\"rebuilding\"}")
	    == 1);
	assert_true(value_of(s, n, "projector_projection_version{account="
	    "\"ga-1\",projection=\"leaderboard\"}") == 3);
	assert_true(value_of(s, n, "projector_applied_sequence{account="
	    "\"ga-1\",projection=\"leaderboard\"}") == 590);
	assert_true(value_of(s, n, "projector_stream_last_sequence{account="
	    "\"ga-1\",projection=\"leaderboard\"}") == 600);
	assert_true(value_of(s, n, "projector_lag_messages{account="
	    "\"ga-1\",projection=\"leaderboard\"}") == 10);
	assert_true(value_of(s, n, "projector_last_event_timestamp_seconds{"
	    "account=\"ga-1\",projection=\"leaderboard\"}") == 1700000000.123);
	assert_true(value_of(s, n, "projector_checkpoint_timestamp_seconds{"
	    "account=\"ga-1\",projection=\"leaderboard\"}") == 1700000001.005);
	assert_true(value_of(s, n, "projector_replay_progress_ratio{account="
	    "\"ga-1\",projection=\"leaderboard\"}") == 1);
	assert_true(value_of(s, n, "projector_replay_progress_ratio{account="
	    "\"ga-1\",projection=\"player_profiles\"}") == 0.25);
	assert_true(value_of(s, n, "projector_events_applied_total{account="
	    "\"ga-1\"}") == 1180);
	assert_true(value_of(s, n, "projector_events_parked_total{account="
	    "\"ga-1\"}") == 2);
	assert_true(value_of(s, n, "projector_batches_total{account="
	    "\"ga-1\"}") == 7);
	assert_true(value_of(s, n, "projector_errors_total{account=\"ga-1\","
	    "stage=\"commit\"}") == 4);
	assert_true(value_of(s, n, "projector_errors_total{account=\"ga-1\","
	    "stage=\"archive\"}") == 0);
	assert_true(value_of(s, n, "projector_nats_connected{account="
	    "\"ga-1\"}") == 1);
	assert_true(value_of(s, n, "projector_archive_last_sequence{account="
	    "\"ga-1\"}") == 600);
	assert_true(value_of(s, n, "projector_sqlite_wal_bytes{account="
	    "\"ga-1\"}") == 0);
	assert_true(value_of(s, n, "projector_nats_reconnects_total{account="
	    "\"ga-1\"}") == 0);
	assert_true(value_of(s, n, "process_open_fds{}") == 12);
	assert_true(value_of(s, n, "process_max_fds{}") == 1024);
	assert_true(value_of(s, n, "process_start_time_seconds{}") ==
	    1700000000.25);
	/* Only accounts with an archive have its series. */
	assert_null(strstr(fx->text, "projector_archive_bytes{account=\"we"));
}

/* Histograms: cumulative, +Inf == _count, _sum in seconds. */
static void
test_histograms(void **state)
{
	struct fixture *fx = *state;
	static struct sample s[MAXLINES];
	struct family fams[MAXFAM];
	const char *h = "projector_batch_duration_seconds";
	char series[256];
	double prev = 0, v;
	size_t n, nfams, i, nb = 0;

	n = check_text(fx->text, s, MAXLINES, fams, &nfams);
	for (i = 0; i < n; i++) {
		if (strncmp(s[i].name, "projector_", 10) != 0 ||
		    strstr(s[i].name, "_bucket") == NULL ||
		    strstr(s[i].labels, "account=\"ga-1\"") == NULL)
			continue;
		if (strstr(s[i].labels, "le=\"0.001\"") != NULL)
			prev = 0;
		assert_true(s[i].value >= prev);
		prev = s[i].value;
		nb++;
	}
	assert_int_equal(nb, 2 * (STATS_NBUCKETS + 1));
	snprintf(series, sizeof(series), "%s_bucket{account=\"ga-1\","
	    "le=\"0.001\"}", h);
	assert_true(value_of(s, n, series) == 1);
	snprintf(series, sizeof(series), "%s_bucket{account=\"ga-1\","
	    "le=\"0.025\"}", h);
	assert_true(value_of(s, n, series) == 1);
	snprintf(series, sizeof(series), "%s_bucket{account=\"ga-1\","
	    "le=\"0.1\"}", h);
	assert_true(value_of(s, n, series) == 3);
	snprintf(series, sizeof(series), "%s_bucket{account=\"ga-1\","
	    "le=\"10\"}", h);
	assert_true(value_of(s, n, series) == 3);
	snprintf(series, sizeof(series), "%s_bucket{account=\"ga-1\","
	    "le=\"+Inf\"}", h);
	v = value_of(s, n, series);
	assert_true(v == 4);
	snprintf(series, sizeof(series), "%s_count{account=\"ga-1\"}", h);
	assert_true(value_of(s, n, series) == v);
	snprintf(series, sizeof(series), "%s_sum{account=\"ga-1\"}", h);
	assert_true(fabs(value_of(s, n, series) - 60.0605) < 1e-9);
}

/* A quote, a backslash and a newline in a label value, escaped. */
static void
test_escaping(void **state)
{
	struct fixture *fx = *state;

	assert_non_null(strstr(fx->text, "projector_projection_info{account="
	    "\"we\\\"ird\\\\na\\nme\",projection=\"leaderboard\",stream="
	    "\"st\\\"r\",consumer=\"c\\\\n\"} 1\n"));
	assert_non_null(strstr(fx->text, "projector_projection_state{account="
	    "\"we\\\"ird\\\\na\\nme\",projection=\"leaderboard\",state="
	    "\"failed\"} 1\n"));
}

/* An empty board: the build, the process, and every family's head. */
static void
test_empty(void **state)
{
	static struct sample s[MAXLINES];
	struct family fams[MAXFAM];
	struct stats_board b;
	struct procstat ps;
	char *text, err[256];
	size_t len, n, nfams;

	(void)state;
	assert_int_equal(stats_board_init(&b), 0);
	if (procstat_read(&ps, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(ps.rss_bytes > 0 && ps.open_fds >= 3 && ps.max_fds > 0);
	assert_true(ps.start_time > 1.6e9);
	assert_int_equal(metrics_render(&b, &build, &ps, &text, &len), 0);
	n = check_text(text, s, MAXLINES, fams, &nfams);
	assert_int_equal(nfams, 25);	/* no archive families */
	assert_int_equal(n, 6);		/* build_info and the process */
	free(text);
	stats_board_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_histograms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
