/*
 * span.h: a part of a string, borrowed instead of copied. The subject
 * parser hands out a subject's ids as spans (rust_subject.h), payload
 * strings are read as spans (span_json()), and statements bind spans
 * without a copy (stmt_bind_span(), stmt.h). The type has a file of its
 * own because both sides use it: put in stmt.h, it would make the subject
 * parser depend on the statement helpers; put in rust_subject.h, it would
 * make the statement helpers, which know nothing of the Rust feed, depend
 * on the feed's subjects. Here both depend on one leaf, and the arrows
 * between them stay one-way.
 *
 * Memory: a span owns nothing. It points into a string that must outlive
 * it (a subject, a string of the payload, a literal).
 */
#ifndef SPAN_H
#define SPAN_H

#include <stddef.h>

#include <jansson.h>

/* A part of a string: p is NULL when the part is absent. */
struct span {
	const char	*p;
	size_t		 len;
};

int	span_eq(struct span a, struct span b);
struct span span_str(const char *s);
struct span span_json(const json_t *string);

#endif /* SPAN_H */
