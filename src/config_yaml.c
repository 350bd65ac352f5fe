/*
 * config_yaml.c: the YAML layer of the configuration loader (see
 * config_int.h).
 *
 * The whole libyaml event stream is read first, so that a syntax error, an
 * anchor or a second document is reported as such and not as the missing key
 * it made. config.c then interprets it by recursive descent with the readers
 * below: each starts at its node's first event and leaves the current event
 * at the node's last, so every error can carry the mark of what it is about.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_int.h"
#include "xmalloc.h"

/*
 * Keys people reach for when they hold a secret (refused in any mapping),
 * and the key that names a file instead: the file is read when connecting,
 * so the secret never sits in a file that is copied around and shown in
 * reviews.
 */
static const char *const secret_keys[] = {
	"password", "token", "seed", "nkey_seed", "jwt", "creds", NULL
};
static const char *const secret_files[] = {
	"password_file", "token_file", "nkey_seed_file", "nkey_seed_file",
	"creds_file", "creds_file"
};

struct config_pos
config_yaml_pos(yaml_mark_t mark)
{
	struct config_pos pos = { (int)mark.line + 1, (int)mark.column + 1 };

	return pos;
}

/* Writes "FILE:LINE:COLUMN: message", leaving out what is unknown. */
void
config_yaml_verr(char *err, size_t errlen, const char *file,
    struct config_pos pos,
    const char *fmt, va_list ap)
{
	int n = 0;

	if (file != NULL && pos.line > 0)
		n = snprintf(err, errlen, "%s:%d:%d: ", file, pos.line,
		    pos.column);
	else if (file != NULL)
		n = snprintf(err, errlen, "%s: ", file);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
}

int
config_yaml_ferr(char *err, size_t errlen, const char *file,
    struct config_pos pos,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_yaml_verr(err, errlen, file, pos, fmt, ap);
	va_end(ap);
	return -1;
}

int
config_yaml_lerr(struct config_loader *ld, yaml_mark_t mark, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_yaml_verr(ld->err, ld->errlen, ld->name, config_yaml_pos(mark),
	    fmt,
	    ap);
	va_end(ap);
	return -1;
}

/* Reports libyaml's own error; the reader gives an offset, not a mark. */
int
config_yaml_syntax(struct config_loader *ld)
{
	yaml_parser_t *p = &ld->parser;
	yaml_mark_t mark = p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t i;

	if (p->error == YAML_READER_ERROR) {
		mark.line = mark.column = 0;
		for (i = 0; i < p->problem_offset && i < ld->len; i++) {
			mark.column = ld->text[i] == '\n' ? 0 : mark.column + 1;
			mark.line += ld->text[i] == '\n';
		}
	}
	if (p->context == NULL)
		return config_yaml_lerr(ld, mark, "invalid YAML: %s", problem);
	return config_yaml_lerr(ld, mark, "invalid YAML: %s (%s that starts at"
	    " %d:%d)", problem, p->context, (int)p->context_mark.line + 1,
	    (int)p->context_mark.column + 1);
}

/*
 * Reads the whole stream into ld->evs. Anchors and aliases are refused: a
 * value shared between accounts would make "which account is wrong"
 * ambiguous, and nothing in this file is long enough to need them.
 */
int
config_yaml_read(struct config_loader *ld)
{
	yaml_event_t *ev;
	int ndocs = 0;

	do {
		ld->evs = xreallocarray(ld->evs, ld->nevs + 1,
		    sizeof(*ld->evs));
		ev = &ld->evs[ld->nevs];
		if (!yaml_parser_parse(&ld->parser, ev))
			return config_yaml_syntax(ld);
		ld->nevs++;
	} while (ev->type != YAML_STREAM_END_EVENT);
	for (ev = ld->evs; ev < ld->evs + ld->nevs; ev++) {
		if (ev->type == YAML_ALIAS_EVENT ||
		    (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
		    (ev->type == YAML_SEQUENCE_START_EVENT &&
		    ev->data.sequence_start.anchor) ||
		    (ev->type == YAML_MAPPING_START_EVENT &&
		    ev->data.mapping_start.anchor))
			return config_yaml_lerr(ld, ev->start_mark,
			    "YAML anchors and aliases are not supported;"
			    " write the value out");
		/* A "\0" escape would silently cut the string short. */
		if (ev->type == YAML_SCALAR_EVENT &&
		    strlen((const char *)ev->data.scalar.value) !=
		    ev->data.scalar.length)
			return config_yaml_lerr(ld, ev->start_mark,
			    "a NUL character is not allowed in a key or"
			    " value");
		if (ev->type == YAML_DOCUMENT_START_EVENT && ++ndocs > 1)
			return config_yaml_lerr(ld, ev->start_mark,
			    "more than one YAML document; the file must hold"
			    " exactly one");
	}
	ld->ev = ld->evs;
	return 0;
}

/* libyaml balances every stream it returns, so this never runs off the end. */
void
config_yaml_next(struct config_loader *ld)
{
	if (ld->ev + 1 < ld->evs + ld->nevs)
		ld->ev++;
}

/* A plain empty, ~ or null scalar: YAML's null. */
int
config_yaml_is_null(const yaml_event_t *ev)
{
	const char *v;

	if (ev->type != YAML_SCALAR_EVENT ||
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)ev->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* What the current node is, for "must be X, not Y" messages. */
const char *
config_yaml_kind(const yaml_event_t *ev)
{
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return "a list";
	if (ev->type == YAML_MAPPING_START_EVENT)
		return "a mapping";
	return config_yaml_is_null(ev) ? "an empty value" : "a string";
}

/*
 * Joins a relative path to basedir and drops "." and empty components, so
 * that "data/a.db" and "./data//a.db" compare equal. ".." is kept: folding
 * it would be wrong across symbolic links.
 */
char *
config_yaml_resolve(const char *basedir, const char *path)
{
	char *s, *r, *w;
	size_t n;

	if (path[0] == '/' || basedir == NULL || basedir[0] == '\0')
		s = xstrdup(path);
	else
		s = xasprintf("%s/%s", basedir, path);
	r = w = s;
	if (*r == '/')
		*w++ = *r++;
	for (; *r != '\0'; r += n, r += strspn(r, "/")) {
		n = strcspn(r, "/");
		if (n == 0 || (n == 1 && r[0] == '.'))
			continue;
		if (w > s && w[-1] != '/')
			*w++ = '/';
		memmove(w, r, n);
		w += n;
	}
	if (w == s)
		*w++ = '.';
	*w = '\0';
	return s;
}

/*
 * Reads the current scalar, the value of key (or an item of its list), as a
 * non-empty string owned by the caller.
 */
int
config_yaml_string(struct config_loader *ld, const char *key, int item,
    char **out)
{
	const yaml_event_t *ev = ld->ev;

	if (ev->type != YAML_SCALAR_EVENT || config_yaml_is_null(ev))
		return config_yaml_lerr(ld, ev->start_mark, "'%s'%s must be a"
		    " string, not %s", key, item ? " item" : "",
		    config_yaml_kind(ev));
	if (ev->data.scalar.length == 0)
		return config_yaml_lerr(ld, ev->start_mark, "'%s'%s must not be"
		    " empty", key, item ? " item" : "");
	*out = xstrdup((const char *)ev->data.scalar.value);
	return 0;
}

int
config_yaml_path(struct config_loader *ld, const char *key, char **out)
{
	char *s;

	if (config_yaml_string(ld, key, 0, &s) == -1)
		return -1;
	*out = config_yaml_resolve(ld->basedir, s);
	free(s);
	return 0;
}

/*
 * Reads a plain decimal integer. A value past int's range is clamped, so that
 * config_validate() reports it with the same range message as any other.
 */
int
config_yaml_int(struct config_loader *ld, const char *key, int *out)
{
	const yaml_event_t *ev = ld->ev;
	const char *v;
	char *end;
	long long n;

	if (ev->type != YAML_SCALAR_EVENT || config_yaml_is_null(ev))
		return config_yaml_lerr(ld, ev->start_mark, "'%s' must be an"
		    " integer, not %s", key, config_yaml_kind(ev));
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return config_yaml_lerr(ld, ev->start_mark, "'%s' must be an"
		    " integer, not a quoted string", key);
	v = (const char *)ev->data.scalar.value;
	n = strtoll(v, &end, 10);
	if (strchr("+-0123456789", v[0]) == NULL || *end != '\0' || end == v)
		return config_yaml_lerr(ld, ev->start_mark, "'%s' must be an"
		    " integer, not '%s'", key, v);
	*out = n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : (int)n;
	return 0;
}

/*
 * Reads a list of non-empty strings into *v and *n, and each item's position
 * into *pos when pos is not NULL. With scalar_ok a lone string is a list of
 * one. Items are appended as they are read, so on error config_free()
 * releases those already there.
 */
int
config_yaml_list(struct config_loader *ld, const char *key, int scalar_ok,
    char ***v, size_t *n, struct config_pos **pos)
{
	char *s;

	if (scalar_ok && ld->ev->type == YAML_SCALAR_EVENT &&
	    !config_yaml_is_null(ld->ev)) {
		if (config_yaml_string(ld, key, 0, &s) == -1)
			return -1;
		*v = xcalloc(1, sizeof(**v));
		(*v)[(*n)++] = s;
		return 0;
	}
	if (ld->ev->type != YAML_SEQUENCE_START_EVENT)
		return config_yaml_lerr(ld, ld->ev->start_mark, "'%s' must be a"
		    " list%s, not %s", key, scalar_ok ? " or a string" : "",
		    config_yaml_kind(ld->ev));
	for (config_yaml_next(ld); ld->ev->type != YAML_SEQUENCE_END_EVENT;
	    config_yaml_next(ld)) {
		if (config_yaml_string(ld, key, 1, &s) == -1)
			return -1;
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		if (pos != NULL) {
			*pos = xreallocarray(*pos, *n + 1, sizeof(**pos));
			(*pos)[*n] = config_yaml_pos(ld->ev->start_mark);
		}
		(*v)[(*n)++] = s;
	}
	return 0;
}

/* Writes list's names into buf as "a, b, c", cut short if it must be. */
const char *
config_yaml_join(char *buf, size_t size, const char *const *list)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; list[i] != NULL && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i > 0 ? ", " : "",
		    list[i]);
	return buf;
}

int
config_yaml_in(const char *s, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return i;
	return -1;
}

/*
 * Walks the mapping that is the current event, calling fn for each key with
 * its index in keys, and sets *seen to a bit per key present. A null value
 * is an absent section. Unknown and repeated keys are errors; what names the
 * value ("'nats'") and where the mapping ("in nats").
 */
int
config_yaml_map(struct config_loader *ld, const char *what, const char *where,
    const char *const *keys, config_key_fn *fn, void *arg, unsigned *seen)
{
	char allowed[256];
	const char *key;
	int k;

	*seen = 0;
	if (config_yaml_is_null(ld->ev))
		return 0;
	if (ld->ev->type != YAML_MAPPING_START_EVENT)
		return config_yaml_lerr(ld, ld->ev->start_mark, "%s must be a"
		    " mapping, not %s", what, config_yaml_kind(ld->ev));
	for (config_yaml_next(ld); ld->ev->type != YAML_MAPPING_END_EVENT;
	    config_yaml_next(ld)) {
		if (ld->ev->type != YAML_SCALAR_EVENT)
			return config_yaml_lerr(ld, ld->ev->start_mark,
			    "a key must"
			    " be a string, not %s", config_yaml_kind(ld->ev));
		key = (const char *)ld->ev->data.scalar.value;
		if ((k = config_yaml_in(key, keys)) == -1 &&
		    (k = config_yaml_in(key, secret_keys)) != -1)
			return config_yaml_lerr(ld, ld->ev->start_mark, "inline"
			    " secret '%s' refused: secrets are read from files;"
			    " use '%s'", key, secret_files[k]);
		if (k == -1)
			return config_yaml_lerr(ld, ld->ev->start_mark,
			    "unknown key"
			    " '%s' %s (allowed: %s)", key, where,
			    config_yaml_join(allowed, sizeof(allowed), keys));
		if (*seen & (1u << k))
			return config_yaml_lerr(ld, ld->ev->start_mark,
			    "duplicate"
			    " key '%s' %s", key, where);
		*seen |= 1u << k;
		ld->key = ld->ev->start_mark;
		config_yaml_next(ld);
		/* libyaml marks an empty value where the next token starts,
		 * maybe lines below; the key is where to look. */
		if (config_yaml_is_null(ld->ev))
			ld->ev->start_mark = ld->key;
		if (fn(ld, k, arg) == -1)
			return -1;
	}
	return 0;
}
