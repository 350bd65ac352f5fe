/*
 * span.c: a part of a string, borrowed instead of copied (see span.h).
 */
#include <string.h>

#include "span.h"

/* Returns 1 when both spans hold the same bytes (two absent ones too). */
int
span_eq(struct span a, struct span b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == b.p;
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Returns the span of the C string s, or an absent span for NULL. */
struct span
span_str(const char *s)
{
	struct span span = { s, s != NULL ? strlen(s) : 0 };

	return span;
}

/* Returns the span of a JSON string, or an absent span for NULL. */
struct span
span_json(const json_t *string)
{
	struct span s = { NULL, 0 };

	if (string != NULL) {
		s.p = json_string_value(string);
		s.len = json_string_length(string);
	}
	return s;
}
