/*
 * test_event.c: event_decode() against the read-model contract's definition
 * of valid JSON (read-model.md, "Bad input"): RFC 8259, UTF-8 only, no
 * \u0000, at most 1 MiB, at most 64 levels, numbers within a double and
 * integers within 64 bits, duplicate keys resolved by the last one.
 *
 * A refusal's text becomes a parking reason in projector_parked, which
 * operators and websites read, so every refusal is also checked for not
 * quoting the payload.
 *
 * Also event_subject_ok(): only UTF-8 subjects reach projections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "event.h"

/* Decodes len bytes of payload; fails the test unless it is accepted. */
static json_t *
decode_ok(const char *payload, size_t len)
{
	char err[256] = "";
	json_t *j = NULL;

	if (event_decode(payload, len, &j, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_non_null(j);
	return j;
}

/*
 * Decodes len bytes of payload, which must be refused; returns the reason
 * in err. *out must stay untouched on failure (the out-parameter rule).
 */
static void
decode_fails(const char *payload, size_t len, char *err, size_t errlen)
{
	json_t *sentinel = (json_t *)&sentinel, *j = sentinel;

	err[0] = '\0';
	assert_int_equal(event_decode(payload, len, &j, err, errlen), -1);
	assert_ptr_equal(j, sentinel);
	assert_true(err[0] != '\0');
}

/* Shorthand for a NUL-terminated payload that must be refused. */
static void
refused(const char *payload, const char *want_substring)
{
	char err[256];

	decode_fails(payload, strlen(payload), err, sizeof(err));
	if (want_substring != NULL && strstr(err, want_substring) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want_substring);
}

/* Shorthand for a NUL-terminated payload that must be accepted. */
static json_t *
decode_str(const char *payload)
{
	return decode_ok(payload, strlen(payload));
}

/* Builds depth nested arrays "[[...]]" (caller frees). */
static char *
nested(int depth, size_t *len)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	*len = (size_t)depth * 2;
	return s;
}

/* Builds depth levels alternating {"a": and [, around a 1 (caller frees). */
static char *
mixed(int depth, size_t *len)
{
	char *s = malloc((size_t)depth * 6 + 2);
	size_t n = 0;
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		memcpy(s + n, i % 2 ? "[" : "{\"a\":", i % 2 ? 1 : 5);
		n += i % 2 ? 1 : 5;
	}
	s[n++] = '1';
	for (i = depth - 1; i >= 0; i--)
		s[n++] = i % 2 ? ']' : '}';
	s[n] = '\0';
	*len = n;
	return s;
}

static void
test_object(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("{\"a\": 1, \"b\": [true, null, \"x\"]}");
	assert_true(json_is_object(j));
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "b")), 3);
	json_decref(j);
}

/* Any JSON value is valid at the top level; the projection judges it. */
static void
test_top_level_scalars(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("null");
	assert_true(json_is_null(j));
	json_decref(j);
	j = decode_str("\"hi\"");
	assert_string_equal(json_string_value(j), "hi");
	json_decref(j);
	j = decode_str("-12.5");
	assert_true(json_is_real(j));
	json_decref(j);
	j = decode_str(" [ ] ");
	assert_true(json_is_array(j));
	json_decref(j);
}

/* len counts, not a NUL: bytes after len are not part of the payload. */
static void
test_length_not_nul(void **state)
{
	json_t *j;

	(void)state;
	j = decode_ok("{\"a\":1}GARBAGE", 7);
	assert_true(json_is_object(j));
	json_decref(j);
}

static void
test_empty(void **state)
{
	char err[256];

	(void)state;
	decode_fails("", 0, err, sizeof(err));
	assert_string_equal(err, "payload is empty, not JSON");
	/* Whitespace only is no value either. */
	refused("   ", NULL);
}

static void
test_truncated(void **state)
{
	(void)state;
	refused("{\"a\": [1, 2", NULL);
	refused("{\"a\":", NULL);
	refused("\"open string", NULL);
	refused("tru", NULL);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	refused("\"ab\xff\"", NULL);
	refused("{\"k\": \"\xc3\"}", NULL);	/* cut multi-byte sequence */
	refused("\"\xed\xa0\x80\"", NULL);	/* UTF-8 of a surrogate */
	refused("\"\xc0\xaf\"", NULL);			/* overlong '/' */
}

static void
test_valid_utf8(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	assert_string_equal(json_string_value(j),
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	json_decref(j);
	/* A surrogate pair escape is one valid code point. */
	j = decode_str("\"\\ud83d\\ude00\"");
	assert_string_equal(json_string_value(j), "\xf0\x9f\x98\x80");
	json_decref(j);
}

/*
 * A subject reaches projections only when it is UTF-8 (its tokens become
 * TEXT); NATS itself takes any byte but space and control characters.
 */
static void
test_subject_ok(void **state)
{
	(void)state;
	assert_true(event_subject_ok("v0.rust.servers.s1.events.started"));
	assert_true(event_subject_ok(""));
	assert_true(event_subject_ok("v0.rust.servers.J\xc3\xbcrgen.x"));
	assert_true(event_subject_ok("a.\xf0\x9f\x98\x80"));
	assert_false(event_subject_ok("v0.rust.servers.\xff.events.started"));
	assert_false(event_subject_ok("a.\xc3"));	/* cut sequence */
	assert_false(event_subject_ok("a.\xed\xa0\x80")); /* surrogate */
	assert_false(event_subject_ok("a.\xc0\xaf"));	/* overlong '/' */
}

/* A raw NUL byte is neither whitespace nor allowed inside a string. */
static void
test_raw_nul(void **state)
{
	char err[256];

	(void)state;
	decode_fails("\"a\0b\"", 5, err, sizeof(err));
	decode_fails("{\"a\":1}\0", 8, err, sizeof(err));
	decode_fails("\0{}", 3, err, sizeof(err));
}

static void
test_nul_escape(void **state)
{
	(void)state;
	/* The reason speaks to owners: no jansson flag names. */
	refused("{\"a\": \"x\\u0000y\"}", "(NUL) escape in a string");
	refused("{\"\\u0000\": 1}", NULL);
}

static void
test_lone_surrogates(void **state)
{
	(void)state;
	refused("\"\\ud800\"", NULL);
	refused("\"\\udc00\"", NULL);
	refused("\"\\ud800x\"", NULL);
	refused("\"\\ud800\\u0041\"", NULL);
}

static void
test_depth_limit(void **state)
{
	char err[256];
	json_t *j;
	char *s;
	size_t len;

	(void)state;
	s = nested(EVENT_MAX_DEPTH, &len);
	j = decode_ok(s, len);
	json_decref(j);
	free(s);

	s = nested(EVENT_MAX_DEPTH + 1, &len);
	decode_fails(s, len, err, sizeof(err));
	assert_string_equal(err, "payload nests deeper than 64 levels");
	free(s);

	/* Objects count as levels too, mixed with arrays. */
	s = mixed(EVENT_MAX_DEPTH, &len);
	j = decode_ok(s, len);
	json_decref(j);
	free(s);
	s = mixed(EVENT_MAX_DEPTH + 1, &len);
	decode_fails(s, len, err, sizeof(err));
	assert_string_equal(err, "payload nests deeper than 64 levels");
	free(s);
}

/*
 * 10,000 levels must be refused by the scan before jansson recurses into
 * it; the time bound is generous (a recursive parse would still be fast),
 * so what this mostly proves is no crash and the depth reason.
 */
static void
test_very_deep(void **state)
{
	char err[256];
	struct timespec t0, t1;
	char *s;
	size_t len;
	double ms;

	(void)state;
	s = nested(10000, &len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	decode_fails(s, len, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_string_equal(err, "payload nests deeper than 64 levels");
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 1000.0);
	free(s);

	/* Unclosed: a stream of '[' alone is refused for its depth too. */
	s = malloc(10000);
	assert_non_null(s);
	memset(s, '[', 10000);
	decode_fails(s, 10000, err, sizeof(err));
	assert_string_equal(err, "payload nests deeper than 64 levels");
	free(s);
}

/* Brackets inside strings, escaped quotes included, are not nesting. */
static void
test_brackets_in_strings(void **state)
{
	char buf[512];
	json_t *j;
	size_t len;
	int i;

	(void)state;
	len = (size_t)snprintf(buf, sizeof(buf), "{\"k\": \"");
	for (i = 0; i < 100; i++)
		buf[len++] = i % 2 ? '{' : '[';
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
	    "\\\"[[[\", \"e\": \"\\\\\"}");
	j = decode_ok(buf, len);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "k"))),
	    104);
	assert_string_equal(json_string_value(json_object_get(j, "e")), "\\");
	json_decref(j);
}

static void
test_size_limit(void **state)
{
	char err[256];
	char *s;
	json_t *j;

	(void)state;
	/* A string value filling exactly 1 MiB with its quotes. */
	s = malloc(EVENT_MAX_PAYLOAD + 1);
	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, 'a', EVENT_MAX_PAYLOAD - 2);
	s[EVENT_MAX_PAYLOAD - 1] = '"';
	j = decode_ok(s, EVENT_MAX_PAYLOAD);
	assert_int_equal(json_string_length(j), EVENT_MAX_PAYLOAD - 2);
	json_decref(j);

	/* One more byte, even whitespace, is over the limit. */
	s[EVENT_MAX_PAYLOAD] = ' ';
	decode_fails(s, EVENT_MAX_PAYLOAD + 1, err, sizeof(err));
	assert_string_equal(err,
	    "payload is larger than 1 MiB (1048577 bytes)");
	free(s);
}

static void
test_integer_range(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("9223372036854775807");
	assert_true(json_is_integer(j));
	assert_true(json_integer_value(j) == INT64_MAX);
	json_decref(j);
	j = decode_str("-9223372036854775808");
	assert_true(json_integer_value(j) == INT64_MIN);
	json_decref(j);
	refused("9223372036854775808", NULL);
	refused("-9223372036854775809", NULL);
	refused("{\"n\": 99999999999999999999}", NULL);
}

static void
test_double_range(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("1e308");
	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == 1e308);
	json_decref(j);
	j = decode_str("-1.7976931348623157e308");
	assert_true(json_is_real(j));
	json_decref(j);
	refused("1e309", NULL);
	refused("-1e309", NULL);
	refused("[1.8e308]", NULL);
}

static void
test_non_finite_literals(void **state)
{
	(void)state;
	refused("NaN", NULL);
	refused("Infinity", NULL);
	refused("-Infinity", NULL);
	refused("{\"x\": NaN}", NULL);
	refused("[Infinity]", NULL);
}

static void
test_duplicate_keys_last_wins(void **state)
{
	json_t *j;

	(void)state;
	j = decode_str("{\"a\": 1, \"b\": 2, \"a\": \"last\"}");
	assert_int_equal(json_object_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "last");
	json_decref(j);
}

static void
test_trailing_garbage(void **state)
{
	(void)state;
	refused("{\"a\":1} x", NULL);
	refused("{} {}", NULL);
	refused("1 2", NULL);
	refused("null,", NULL);
}

static void
test_other_syntax(void **state)
{
	(void)state;
	refused("{'a': 1}", NULL);
	refused("{\"a\": 1,}", NULL);
	refused("[1,]", NULL);
	refused("01", NULL);
	refused("\"tab\there\"", NULL);	/* raw control character */
	refused("\"\\q\"", NULL);
}

/*
 * The reason is stored and shown; it must say what is wrong without
 * repeating any of the payload (which may carry a password or an address).
 * Each payload holds the marker word where jansson's context would show it.
 */
static void
test_error_never_quotes_payload(void **state)
{
	static const char *const payloads[] = {
		"{\"zebra\": tru}",
		"{\"a\": \"zebra",
		"{\"a\": 1} zebra",
		"\"zebra\\ud800\"",
		"\"zebra\xff\"",
		"{\"a\": \"zebra\\u0000\"}",
		"{\"zebra\" 1}",
		"\"zebra\x01\"",
		"[zebra]",
		"zebra",
		"\"zebra\\q\"",
		"{\"zebra\":",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		decode_fails(payloads[i], strlen(payloads[i]), err,
		    sizeof(err));
		if (strstr(err, "zebra") != NULL || strstr(err, "near") != NULL)
			fail_msg("payload %zu quoted: %s", i, err);
		/* It still says which rule broke, not just "error". */
		assert_non_null(strstr(err, "payload is not valid JSON: "));
	}
	/* Numbers out of range are the payload too. */
	decode_fails("123456789012345678901", 21, err, sizeof(err));
	assert_null(strstr(err, "123456789012345678901"));
	decode_fails("4e999", 5, err, sizeof(err));
	assert_null(strstr(err, "4e999"));
}

/* A short err buffer is cut, never overrun. */
static void
test_short_err_buffer(void **state)
{
	char err[8];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_int_equal(event_decode("{", 1, &(json_t *){ NULL }, err, 4), -1);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(err[4], 'X');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_top_level_scalars),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_subject_ok),
		cmocka_unit_test(test_raw_nul),
		cmocka_unit_test(test_nul_escape),
		cmocka_unit_test(test_lone_surrogates),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_very_deep),
		cmocka_unit_test(test_brackets_in_strings),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_integer_range),
		cmocka_unit_test(test_double_range),
		cmocka_unit_test(test_non_finite_literals),
		cmocka_unit_test(test_duplicate_keys_last_wins),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_other_syntax),
		cmocka_unit_test(test_error_never_quotes_payload),
		cmocka_unit_test(test_short_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
