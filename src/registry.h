/*
 * registry.h: the table of projections an account runs, checked once.
 *
 * registry_check() refuses a table that breaks projection.h's rules (the
 * version block, names, apply, subjects, tables, migrations), or that holds
 * more than PROJECTION_MAX projections, before anything is opened;
 * registry_check_header() checks the version block alone, which a loader
 * does before it reads anything else of a descriptor.
 * registry_find() looks a projection up by name, registry_select() picks
 * an account's projections out of the table, and registry_wants()
 * matches a subject against a projection's NATS filters ('*' is one token,
 * '>' the rest). Whether a subject may reach a projection at all is
 * event_subject_ok()'s business (event.h), asked once per event.
 *
 * Memory: the projections are static and borrowed; nothing is allocated.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stddef.h>

#include "projection.h"

/*
 * The most projections a table may hold, and so an account run: the engine
 * sizes its per-projection arrays with it. It lives here, not in
 * projection.h, because it is the engine's limit, checked by
 * registry_check(), and not part of the contract a projection is built
 * against (raising it changes no projection).
 */
#define PROJECTION_MAX	32

/* The size of a descriptor of projection ABI 2.0: up to fini. */
#define REGISTRY_SIZE_2_0 \
	(offsetof(struct projection, fini) + sizeof(((struct projection *)0)->fini))

int	registry_check_header(const struct projection *p, char *err,
	    size_t errlen);

int	registry_check(const struct projection *const *table, char *err,
	    size_t errlen);
const struct projection *registry_find(const struct projection *const *table,
	    const char *name);
int	registry_select(const struct projection *const *table,
	    char *const *names, size_t nnames,
	    const struct projection *out[PROJECTION_MAX], size_t *nout,
	    char *err, size_t errlen);
int	registry_subject_match(const char *filter, const char *subject);
int	registry_wants(const struct projection *p, const char *subject);

#endif /* REGISTRY_H */
