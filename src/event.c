/*
 * event.c: decoding an event's payload once, and the subject rule (see
 * event.h).
 */
#include <stdio.h>
#include <string.h>

#include "event.h"

/*
 * Returns the deepest nesting of arrays and objects in p, or a number above
 * EVENT_MAX_DEPTH as soon as it passes it. Brackets inside strings do not
 * count. The scan runs before jansson so that a payload 10,000 levels deep is
 * refused without recursing into it; it need not validate anything else.
 */
static int
depth(const char *p, size_t len)
{
	int d = 0, max = 0, in_string = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '[' || c == '{') {
			if (++d > max && (max = d) > EVENT_MAX_DEPTH)
				return max;
		} else if (c == ']' || c == '}')
			d--;
	}
	return max;
}

/*
 * Parses payload (len bytes, not NUL-terminated) into *out. Returns 0, or -1
 * with a sentence in err that says which rule the payload breaks, fit to be
 * stored as a parking reason (it never quotes the payload). Cannot fail for
 * any other reason than bad input.
 */
int
event_decode(const char *payload, size_t len, json_t **out, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len == 0) {
		snprintf(err, errlen, "payload is empty, not JSON");
		return -1;
	}
	if (len > EVENT_MAX_PAYLOAD) {
		snprintf(err, errlen, "payload is larger than 1 MiB (%zu bytes)", len);
		return -1;
	}
	if (depth(payload, len) > EVENT_MAX_DEPTH) {
		snprintf(err, errlen, "payload nests deeper than %d levels",
		    EVENT_MAX_DEPTH);
		return -1;
	}
	/*
	 * JSON_DECODE_ANY: a bare null or string is valid JSON. Without
	 * JSON_ALLOW_NUL jansson refuses \u0000, and it always refuses invalid
	 * UTF-8, numbers out of range and trailing garbage.
	 */
	j = json_loadb(payload, len, JSON_DECODE_ANY, &je);
	if (j == NULL) {
		/*
		 * jansson appends " near '<up to 20 bytes of input>'" (or
		 * " near end of file"): cut it, so that the reason never
		 * repeats the payload.
		 */
		char *near = strstr(je.text, " near ");

		if (near != NULL)
			*near = '\0';
		/* Owners read this, not jansson's users: no flag names. */
		if (strstr(je.text, "JSON_ALLOW_NUL") != NULL)
			snprintf(je.text, sizeof(je.text), "a \\u0000 (NUL) escape"
			    " in a string");
		snprintf(err, errlen, "payload is not valid JSON: %s at byte %d",
		    je.text, je.position);
		return -1;
	}
	*out = j;
	return 0;
}

/*
 * Returns 1 when subject (NUL-terminated) may reach projections: it is valid
 * UTF-8. Real subjects are ASCII and cost a scan; jansson, which validates
 * text, judges the rare rest. Cannot fail.
 */
int
event_subject_ok(const char *subject)
{
	const unsigned char *p;
	json_t *j;

	for (p = (const unsigned char *)subject; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0')
		return 1;
	j = json_string(subject);
	json_decref(j);
	return j != NULL;
}
