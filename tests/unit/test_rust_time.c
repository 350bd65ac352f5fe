/*
 * test_rust_time.c: the times of the GamingAPI Rust feed
 * (projections/rust_time.c, read-model.md section 2, "Event time"): the
 * ISO-8601 forms accepted and refused, and the one form written.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rust_time.h"

/* The text s parses to the time want (as formatted). */
static void
assert_iso(const char *s, const char *want)
{
	char buf[RUST_TIME_LEN];
	int64_t ms;

	if (rust_time_parse(s, strlen(s), &ms) == -1)
		fail_msg("not ISO: %s", s);
	assert_int_equal(rust_time_format(ms, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void
test_time_forms(void **state)
{
	int64_t ms;

	(void)state;
	assert_iso("2023-06-17T15:04:12.001Z", "2023-06-17T15:04:12.001Z");
	assert_iso("2023-06-17T15:04:12Z", "2023-06-17T15:04:12.000Z");
	/* No zone is UTC. */
	assert_iso("2023-06-17T15:04:12", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12.5", "2023-06-17T15:04:12.500Z");
	/* Offsets, across days, months and years. */
	assert_iso("2026-11-01T14:00:00.000+02:00", "2026-11-01T12:00:00.000Z");
	assert_iso("2023-06-17T01:30:00-05:30", "2023-06-17T07:00:00.000Z");
	assert_iso("2023-01-01T01:00:00+02:00", "2022-12-31T23:00:00.000Z");
	assert_iso("2023-12-31T22:00:00-03:00", "2024-01-01T01:00:00.000Z");
	assert_iso("2024-03-01T00:10:00+00:20", "2024-02-29T23:50:00.000Z");
	assert_iso("2023-06-17T15:04:12+00:00", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12-00:00", "2023-06-17T15:04:12.000Z");
	assert_iso("2023-06-17T15:04:12.123+23:59", "2023-06-16T15:05:12.123Z");
	/* Fractions of 1 to 9+ digits, truncated to ms, never rounded. */
	assert_iso("2023-06-17T15:04:12.9Z", "2023-06-17T15:04:12.900Z");
	assert_iso("2023-06-17T15:04:12.99Z", "2023-06-17T15:04:12.990Z");
	assert_iso("2023-06-17T15:04:12.999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.9999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.99999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.999999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.9999999", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T15:04:12.99999999Z", "2023-06-17T15:04:12.999Z");
	assert_iso("2023-06-17T23:59:59.999999999Z", "2023-06-17T23:59:59.999Z");
	assert_iso("2026-11-01T12:00:00.000417Z", "2026-11-01T12:00:00.000Z");
	assert_iso("2023-06-17T15:04:12.0000000000000000000001Z",
	    "2023-06-17T15:04:12.000Z");
	/* Leap days. */
	assert_iso("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z");
	assert_iso("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z");
	/* The ends of years 0000-9999, and the epoch. */
	assert_iso("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z");
	assert_iso("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z");
	assert_iso("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_parse("1970-01-01T00:00:00Z", 20, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(rust_time_parse("2023-06-17T15:04:12.001Z", 24, &ms),
	    0);
	assert_int_equal(ms, INT64_C(1687014252001));
	/* Only len bytes count: a longer buffer is cut where len says. */
	assert_int_equal(rust_time_parse("2023-06-17T15:04:12Zjunk", 20, &ms),
	    0);
}

static void
test_time_not_iso(void **state)
{
	static const char *const bad[] = {
		"",
		"6/17/2023 5:04:12 PM",
		"17.06.2023 17:04:12",
		"2023-06-17 15:04:12",
		"2023-06-17t15:04:12Z",
		"2023-06-17T15:04:12z",
		"2023-06-17T15:04:12.Z",
		"2023-06-17T15:04:12.",
		"2023-06-17T15:04:12,5Z",
		"2023-06-17T15:04:12+0200",
		"2023-06-17T15:04:12+02",
		"2023-06-17T15:04:12+2:00",
		"2023-06-17T15:04:12+24:00",
		"2023-06-17T15:04:12+02:60",
		"2023-06-17T15:04:12 Z",
		"2023-06-17T15:04:12Z ",
		" 2023-06-17T15:04:12Z",
		"2023-06-17T15:04:12ZZ",
		"2023-06-17T15:04",
		"2023-06-17",
		"2023-6-17T15:04:12Z",
		"23-06-17T15:04:12Z",
		"+2023-06-17T15:04:12Z",
		"20230617T150412Z",
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2023-04-31T00:00:00Z",
		"2023-06-00T00:00:00Z",
		"2023-06-32T00:00:00Z",
		"2023-00-17T00:00:00Z",
		"2023-13-17T00:00:00Z",
		"2023-06-17T24:00:00Z",
		"2023-06-17T15:60:00Z",
		"2023-06-17T15:04:60Z",
		"2023-06-17T15:04:1aZ",
		"2023-06-17T15:04:12.12a",
		"0000-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59-00:01",
	};
	int64_t ms = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rust_time_parse(bad[i], strlen(bad[i]), &ms) != -1)
			fail_msg("ISO: \"%s\"", bad[i]);
	}
	assert_int_equal(ms, 42);
}

static void
test_time_format(void **state)
{
	char buf[RUST_TIME_LEN], small[RUST_TIME_LEN - 1];
	int64_t ms, back;

	(void)state;
	assert_int_equal(rust_time_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(rust_time_format(-1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_format(-86400000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T00:00:00.000Z");
	assert_int_equal(rust_time_format(INT64_C(951782400000), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
	/* Years 0000-9999 only. */
	assert_int_equal(rust_time_format(INT64_C(-62167219200000), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "0000-01-01T00:00:00.000Z");
	assert_int_equal(rust_time_format(INT64_C(-62167219200001), buf,
	    sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_C(253402300799999), buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
	assert_int_equal(rust_time_format(INT64_C(253402300800000), buf,
	    sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_MAX, buf, sizeof(buf)), -1);
	assert_int_equal(rust_time_format(INT64_MIN, buf, sizeof(buf)), -1);
	assert_int_equal(rust_time_format(0, small, sizeof(small)), -1);
	/* Parse and format are inverses, every ~3.2 days over 0000-9999. */
	for (ms = INT64_C(-62167219200000); ms < INT64_C(253402300799999);
	    ms += INT64_C(277777777777)) {
		assert_int_equal(rust_time_format(ms, buf, sizeof(buf)), 0);
		assert_int_equal(rust_time_parse(buf, strlen(buf), &back), 0);
		assert_int_equal(back, ms);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_not_iso),
		cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
