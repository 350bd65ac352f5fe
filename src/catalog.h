/*
 * catalog.h: every projection a configuration may run: the built-ins and
 * the plug-ins of its plugins: section, loaded and checked once at start.
 *
 * catalog_open() loads each plug-in (plugin.h), refuses a plug-in named
 * like a built-in, and checks the whole table (registry_check()). Each of
 * its refusals is one line "FILE:LINE:COLUMN: plug-in "NAME": reason" at
 * the plug-in's key in the configuration. An account runs the built-ins it
 * names (all of them when it names none) and the plug-ins it names:
 * catalog_table() is that account's table, built-ins first, in their order,
 * then its plug-ins in the order of plugins:, so that a plug-in's views may
 * read the built-ins' tables (migrations run in table order).
 *
 * Memory: the catalog owns its plug-ins (plugin_free(), which never unloads
 * them) and its tables; the built-in table and cfg are borrowed and must
 * outlive it. What the accessors return lives as long as the catalog.
 * catalog_free() accepts NULL.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stddef.h>

#include "config.h"
#include "plugin.h"
#include "projection.h"

struct catalog;

enum plugin_result catalog_open(const struct config *cfg,
	    const struct projection *const *builtin, struct catalog **out,
	    char *err, size_t errlen);
const char *const *catalog_names(const struct catalog *c);
const struct projection *const *catalog_table(const struct catalog *c,
	    const struct config_account *acct);
const struct projection *catalog_find(const struct catalog *c,
	    const char *name);
const char *catalog_sha256(const struct catalog *c,
	    const struct projection *p);
size_t	catalog_nplugins(const struct catalog *c);
const struct plugin *catalog_plugin(const struct catalog *c, size_t i);
void	catalog_free(struct catalog *c);

#endif /* CATALOG_H */
