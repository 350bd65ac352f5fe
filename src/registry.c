/*
 * registry.c: the table of projections, checked once (see registry.h).
 */
#include <stdio.h>
#include <string.h>

#include "registry.h"

static int
valid_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

/*
 * Checks the version block of p, the only fields it reads: the same major
 * as the engine's, a minor no newer, and a size that holds every field of
 * that minor. Returns 0, or -1 with what was expected, what was found and
 * what to do in err.
 */
int
registry_check_header(const struct projection *p, char *err, size_t errlen)
{
	uint32_t major = PROJECTION_ABI_MAJOR_OF(p->abi);
	uint32_t minor = PROJECTION_ABI_MINOR_OF(p->abi);

	if (major != PROJECTION_ABI_MAJOR) {
		snprintf(err, errlen, "built for projection ABI %u.%u, this"
		    " projector speaks %d.%d: rebuild it against this"
		    " projector's projection.h", major, minor,
		    PROJECTION_ABI_MAJOR, PROJECTION_ABI_MINOR);
		return -1;
	}
	if (minor > PROJECTION_ABI_MINOR) {
		snprintf(err, errlen, "needs projection ABI %u.%u, newer than"
		    " this projector's %d.%d: upgrade projector", major, minor,
		    PROJECTION_ABI_MAJOR, PROJECTION_ABI_MINOR);
		return -1;
	}
	/* Every minor so far (2.0) ends with fini. */
	if (p->size < REGISTRY_SIZE_2_0) {
		snprintf(err, errlen, "descriptor has %u bytes, projection ABI"
		    " %u.%u needs %zu: is it filled by PROJECTION_HEADER?",
		    p->size, major, minor, (size_t)REGISTRY_SIZE_2_0);
		return -1;
	}
	return 0;
}

/*
 * Checks a projection's migrations: each named, with SQL, and in strictly
 * ascending name order (the order they are applied in).
 */
static int
check_migrations(const struct projection *p, char *err, size_t errlen)
{
	const struct projection_migration *m = p->migrations;
	size_t i;

	for (i = 0; m != NULL && m[i].name != NULL; i++) {
		if (*m[i].name == '\0' || m[i].sql == NULL) {
			snprintf(err, errlen, "projection %s: migration %zu has"
			    " no name or no SQL", p->name, i + 1);
			return -1;
		}
		if (i > 0 && strcmp(m[i - 1].name, m[i].name) >= 0) {
			snprintf(err, errlen, "projection %s: migration %s comes"
			    " after %s: names must be unique and sorted",
			    p->name, m[i].name, m[i - 1].name);
			return -1;
		}
	}
	return 0;
}

/*
 * Checks a NULL-terminated table against the rules of projection.h: the
 * version block, a unique [a-z0-9_]+ name, an apply function, at least one
 * subject and at least one table, migrations in order; and against the
 * engine's PROJECTION_MAX. Returns 0, or -1 with the first broken rule in
 * err.
 */
int
registry_check(const struct projection *const *table, char *err, size_t errlen)
{
	char what[256];
	size_t i, j;

	for (i = 0; table[i] != NULL; i++) {
		const struct projection *p = table[i];

		if (i == PROJECTION_MAX) {
			snprintf(err, errlen, "more than %d projections",
			    PROJECTION_MAX);
			return -1;
		}
		if (registry_check_header(p, what, sizeof(what)) == -1) {
			snprintf(err, errlen, "projection %zu: %s", i, what);
			return -1;
		}
		if (!valid_name(p->name)) {
			snprintf(err, errlen, "projection %zu: name is not [a-z0-9_]+", i);
			return -1;
		}
		if (p->apply == NULL || p->subjects == NULL ||
		    p->subjects[0] == NULL || p->tables == NULL ||
		    p->tables[0] == NULL) {
			snprintf(err, errlen, "projection %s: apply, subjects and"
			    " tables are required", p->name);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(table[j]->name, p->name) == 0) {
				snprintf(err, errlen, "projection %s: name used twice",
				    p->name);
				return -1;
			}
		if (check_migrations(p, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Returns the projection called name in table, or NULL. Cannot fail. */
const struct projection *
registry_find(const struct projection *const *table, const char *name)
{
	size_t i;

	for (i = 0; table[i] != NULL; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

/*
 * Picks an account's projections out of table: every one when the account
 * names none (nnames 0), else those of the nnames names, each of which must
 * be in table. They come in the table's order, which is the order of their
 * migrations, whatever the order of names. Returns 0 and sets out[0..*nout),
 * or -1 with err (an unknown name, or a table of more than PROJECTION_MAX)
 * and out untouched.
 */
int
registry_select(const struct projection *const *table, char *const *names,
    size_t nnames, const struct projection *out[PROJECTION_MAX], size_t *nout,
    char *err, size_t errlen)
{
	const struct projection *sel[PROJECTION_MAX];
	size_t i, j, n = 0;

	for (j = 0; j < nnames; j++)
		if (registry_find(table, names[j]) == NULL) {
			snprintf(err, errlen, "unknown projection %s",
			    names[j]);
			return -1;
		}
	for (i = 0; table[i] != NULL; i++) {
		if (i == PROJECTION_MAX) {
			snprintf(err, errlen, "more than %d projections",
			    PROJECTION_MAX);
			return -1;
		}
		for (j = 0; j < nnames; j++)
			if (strcmp(names[j], table[i]->name) == 0)
				break;
		if (nnames == 0 || j < nnames)
			sel[n++] = table[i];
	}
	memcpy(out, sel, n * sizeof(sel[0]));
	*nout = n;
	return 0;
}

/*
 * Returns 1 when subject matches the NATS filter: tokens are separated by
 * '.', '*' matches exactly one token and '>' (last) one or more. A subject
 * with an empty token matches nothing, as in nats-server. Cannot fail.
 */
int
registry_subject_match(const char *filter, const char *subject)
{
	const char *f = filter, *s = subject;

	/*
	 * One pass, character by character: this runs for every event and
	 * projection filter (strcspn per token cost 5% of a catch-up).
	 * f and s are at the start of a token each time round.
	 */
	for (;;) {
		if (*s == '.' || *s == '\0')
			return 0;		/* an empty subject token */
		if (f[0] == '>' && f[1] == '\0') {
			for (; *s != '\0'; s++)
				if (*s == '.' && (s[1] == '.' || s[1] == '\0'))
					return 0;
			return 1;
		}
		if (f[0] == '*' && (f[1] == '.' || f[1] == '\0')) {
			f++;
			while (*s != '.' && *s != '\0')
				s++;
		} else {
			while (*f != '.' && *f != '\0' && *f == *s) {
				f++;
				s++;
			}
			if ((*f != '.' && *f != '\0') || (*s != '.' && *s != '\0'))
				return 0;
		}
		if (*f == '\0' || *s == '\0')
			return *f == '\0' && *s == '\0';
		f++;
		s++;
	}
}

/* Returns 1 when one of p's filters matches subject. Cannot fail. */
int
registry_wants(const struct projection *p, const char *subject)
{
	const char *const *f;

	for (f = p->subjects; *f != NULL; f++)
		if (registry_subject_match(*f, subject))
			return 1;
	return 0;
}
