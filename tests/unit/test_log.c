/*
 * test_log.c: the lines log.c writes on stderr, as logfmt and as JSON.
 *
 * Each test points stderr (fd 2) at a file in its own temporary directory
 * for the duration of the log calls only, then puts it back before
 * asserting, so that cmocka's own messages still reach the terminal. The
 * timestamp is checked for its shape and then cut off, so that the rest of
 * the line can be compared exactly. JSON lines are parsed back with
 * jansson, which is what a log collector would do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "tmp.h"

#define LINE_MAX_BYTES	4096	/* LOG_LINE_MAX in log.c */

struct fx {
	char	 dir[512];
	char	 file[600];
	int	 saved;		/* real stderr while captured, or -1 */
	char	*text;		/* what the last capture got */
};

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	f->saved = -1;
	if (tmp_dir("test-log-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/stderr", f->dir);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->saved != -1) {
		dup2(f->saved, STDERR_FILENO);
		close(f->saved);
	}
	/* The level and format are global: leave the defaults behind. */
	log_init(LOG_LOGFMT, LOG_INFO);
	free(f->text);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/* Sends fd 2 to a fresh file. */
static void
capture(struct fx *f)
{
	int fd;

	fflush(stderr);
	f->saved = dup(STDERR_FILENO);
	assert_true(f->saved != -1);
	fd = open(f->file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Puts fd 2 back and returns everything written meanwhile. */
static const char *
captured(struct fx *f)
{
	assert_int_equal(dup2(f->saved, STDERR_FILENO), STDERR_FILENO);
	close(f->saved);
	f->saved = -1;
	free(f->text);
	f->text = NULL;
	assert_int_equal(tmp_read_file(f->file, &f->text, NULL), 0);
	return f->text;
}

/* Says whether s starts with YYYY-MM-DDTHH:MM:SS.sssZ. */
static int
is_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return 0;
	}
	return 1;
}

/*
 * Checks that text is exactly one logfmt line starting with a timestamp
 * and returns what follows "ts=<timestamp> " (newline included).
 */
static const char *
after_ts(const char *text)
{
	assert_true(strncmp(text, "ts=", 3) == 0);
	assert_true(is_timestamp(text + 3));
	assert_int_equal(text[27], ' ');
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	return text + 28;
}

/* Parses text as exactly one JSON object on one line. */
static json_t *
parse_json_line(const char *text)
{
	json_error_t je;
	json_t *j;

	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	j = json_loads(text, 0, &je);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", je.text, text);
	assert_true(json_is_object(j));
	return j;
}

static void
test_logfmt_line(void **state)
{
	struct fx *f = *state;

	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_info("batch committed", "account=%s events=%zu last_seq=%llu",
	    "ga-1", (size_t)1000, 52000ULL);
	assert_string_equal(after_ts(captured(f)), "level=info"
	    " msg=\"batch committed\" account=ga-1 events=1000"
	    " last_seq=52000\n");
}

/*
 * Values are quoted when a logfmt reader would otherwise split or
 * misread them: spaces, '=', quotes, backslashes, control characters, and
 * the empty string; the quotes and backslashes inside are escaped.
 */
static void
test_logfmt_quoting(void **state)
{
	struct fx *f = *state;
	/* volatile: gcc refuses a NULL it can see reaching a %s. */
	const char *volatile none = NULL;

	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_warn("q", "plain=%s space=%s eq=%s quote=%s empty=%s ctl=%s"
	    " bs=%s null=%s", "ok-1.2", "two words", "a=b", "say \"hi\"", "",
	    "tab\there\n", "C:\\dir", none);
	assert_string_equal(after_ts(captured(f)), "level=warn msg=q"
	    " plain=ok-1.2 space=\"two words\" eq=\"a=b\""
	    " quote=\"say \\\"hi\\\"\" empty=\"\""
	    " ctl=\"tab\\u0009here\\u000a\" bs=\"C:\\\\dir\" null=(null)\n");
}

static void
test_numbers(void **state)
{
	struct fx *f = *state;

	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_error("n", "d=%d i=%i u=%u ld=%ld lu=%lu lld=%lld llu=%llu zu=%zu"
	    " zd=%zd f1=%.1f f0=%.0f f=%f g=%g", -5, 7, 4000000000U,
	    LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX, SIZE_MAX,
	    (ssize_t)-1, 3.14159, 2.5e6, 0.25, 1e-7);
	assert_string_equal(after_ts(captured(f)), "level=error msg=n"
	    " d=-5 i=7 u=4000000000 ld=-9223372036854775808"
	    " lu=18446744073709551615 lld=-9223372036854775808"
	    " llu=18446744073709551615 zu=18446744073709551615 zd=-1"
	    " f1=3.1 f0=2500000 f=0.250000 g=1e-07\n");
}

/* Text between pairs is skipped; a pair without a conversion ends it. */
static void
test_format_walk(void **state)
{
	struct fx *f = *state;

	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_info("w", "  a=%s   b=%d ", "x", 1);
	assert_string_equal(after_ts(captured(f)),
	    "level=info msg=w a=x b=1\n");
	capture(f);
	log_info("w", "a=%d literal=1 b=%d", 1, 2);
	assert_string_equal(after_ts(captured(f)), "level=info msg=w a=1\n");
}

static void
test_json_line(void **state)
{
	struct fx *f = *state;
	json_t *j;

	log_init(LOG_JSON, LOG_DEBUG);
	capture(f);
	log_debug("m \"q\"", "s=%s n=%d neg=%lld u=%llu z=%zu r=%.1f e=%s"
	    " ctl=%s", "a b\"c\\d=e", 42, -7LL, 9007199254740993ULL,
	    (size_t)3, 1.5, "", "\x01\t\x1f");
	j = parse_json_line(captured(f));
	assert_int_equal(json_object_size(j), 11);
	assert_true(is_timestamp(json_string_value(json_object_get(j, "ts"))));
	assert_string_equal(json_string_value(json_object_get(j, "level")),
	    "debug");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	    "m \"q\"");
	assert_string_equal(json_string_value(json_object_get(j, "s")),
	    "a b\"c\\d=e");
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 42);
	assert_int_equal(json_integer_value(json_object_get(j, "neg")), -7);
	assert_true(json_integer_value(json_object_get(j, "u")) ==
	    9007199254740993LL);
	assert_int_equal(json_integer_value(json_object_get(j, "z")), 3);
	assert_true(json_real_value(json_object_get(j, "r")) == 1.5);
	assert_string_equal(json_string_value(json_object_get(j, "e")), "");
	assert_string_equal(json_string_value(json_object_get(j, "ctl")),
	    "\x01\t\x1f");
	/* Field order is the call's: ts, level, msg, then the pairs. */
	assert_true(strncmp(f->text, "{\"ts\":\"", 7) == 0);
	assert_non_null(strstr(f->text, "\"level\":\"debug\",\"msg\":"));
	json_decref(j);
}

/* UTF-8 passes through as is, in both formats. */
static void
test_utf8_values(void **state)
{
	struct fx *f = *state;
	json_t *j;

	log_init(LOG_JSON, LOG_INFO);
	capture(f);
	log_info("u", "name=%s", "J\xc3\xbcrgen \xe2\x82\xac");
	j = parse_json_line(captured(f));
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	    "J\xc3\xbcrgen \xe2\x82\xac");
	json_decref(j);

	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_info("u", "name=%s", "J\xc3\xbcrgen");
	assert_string_equal(after_ts(captured(f)),
	    "level=info msg=u name=J\xc3\xbcrgen\n");
}

static void
test_level_filter(void **state)
{
	struct fx *f = *state;
	const char *text;

	log_init(LOG_LOGFMT, LOG_WARN);
	capture(f);
	log_debug("d", "k=%d", 1);
	log_info("i", "k=%d", 2);
	log_warn("w", "k=%d", 3);
	log_error("e", "k=%d", 4);
	text = captured(f);
	assert_null(strstr(text, "msg=d"));
	assert_null(strstr(text, "msg=i"));
	assert_non_null(strstr(text, "level=warn msg=w k=3\n"));
	assert_non_null(strstr(text, "level=error msg=e k=4\n"));

	log_init(LOG_LOGFMT, LOG_ERROR);
	capture(f);
	log_warn("w", "k=%d", 3);
	assert_string_equal(captured(f), "");

	log_init(LOG_JSON, LOG_DEBUG);
	capture(f);
	log_debug("d", "k=%d", 1);
	assert_non_null(strstr(captured(f),
	    "\"level\":\"debug\",\"msg\":\"d\""));
}

/*
 * A line longer than the buffer is cut, never written past it, and still
 * ends with its newline (one write, one line).
 */
static void
test_long_line_cut(void **state)
{
	struct fx *f = *state;
	char *big;
	const char *text;

	big = malloc(3 * LINE_MAX_BYTES);
	assert_non_null(big);
	memset(big, 'x', 3 * LINE_MAX_BYTES - 1);
	big[3 * LINE_MAX_BYTES - 1] = '\0';
	log_init(LOG_LOGFMT, LOG_INFO);
	capture(f);
	log_info("long", "v=%s after=%d", big, 1);
	log_info("next", "k=%d", 2);
	text = captured(f);
	assert_true(strchr(text, '\n') - text + 1 <= LINE_MAX_BYTES);
	assert_true(strncmp(strchr(text, '\n') + 1, "ts=", 3) == 0);
	assert_non_null(strstr(text, "msg=next k=2\n"));
	free(big);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_logfmt_line),
		T(test_logfmt_quoting),
		T(test_numbers),
		T(test_format_walk),
		T(test_json_line),
		T(test_utf8_values),
		T(test_level_filter),
		T(test_long_line_cut),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
