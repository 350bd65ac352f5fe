/*
 * test_span.c: parts of strings, borrowed instead of copied
 * (projections/span.c).
 */
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "span.h"

static void
test_span_eq(void **state)
{
	struct span a = { "765", 3 }, b = { "7650", 3 }, c = { "76", 2 };
	struct span none = { NULL, 0 };
	json_t *s = json_string("765");

	(void)state;
	assert_true(span_eq(a, b));
	assert_false(span_eq(a, c));
	assert_false(span_eq(a, none));
	assert_true(span_eq(none, none));
	assert_true(span_eq(a, span_json(s)));
	assert_null(span_json(NULL).p);
	json_decref(s);
}

static void
test_span_str(void **state)
{
	static const char text[] = "disconnected";
	struct span s = span_str(text), empty = span_str("");

	(void)state;
	assert_ptr_equal(s.p, text);
	assert_int_equal(s.len, strlen(text));
	/* An empty string is present, NULL is absent. */
	assert_non_null(empty.p);
	assert_int_equal(empty.len, 0);
	assert_false(span_eq(empty, span_str(NULL)));
	assert_null(span_str(NULL).p);
	assert_int_equal(span_str(NULL).len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_span_eq),
		cmocka_unit_test(test_span_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
