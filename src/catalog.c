/*
 * catalog.c: the built-ins and the plug-ins of a configuration (see
 * catalog.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "registry.h"
#include "xmalloc.h"

struct catalog {
	const struct config		 *cfg;
	struct plugin			**plugins;	/* cfg->nplugins */
	size_t				  nplugins;
	/* Every projection, built-ins first; NULL-terminated. */
	const struct projection		**all;
	const char			**names;	/* theirs, likewise */
	/* One table per account of cfg, NULL-terminated each. */
	const struct projection		***tables;
};

/* Says whether acct names the projection called name. */
static int
named(const struct config_account *acct, const char *name)
{
	size_t i;

	for (i = 0; i < acct->nprojections; i++)
		if (strcmp(acct->projections[i], name) == 0)
			return 1;
	return 0;
}

/* Builds the table of account i: the built-ins, then its plug-ins. */
static const struct projection **
account_table(const struct catalog *c, size_t nbuiltin, size_t i)
{
	const struct config_account *a = &c->cfg->accounts[i];
	const struct projection **t;
	size_t j, n = 0;

	t = xcalloc(nbuiltin + c->nplugins + 1, sizeof(*t));
	for (j = 0; j < nbuiltin; j++)
		t[n++] = c->all[j];
	for (j = 0; j < c->nplugins; j++)
		if (named(a, c->all[nbuiltin + j]->name))
			t[n++] = c->all[nbuiltin + j];
	return t;
}

/*
 * Loads every plug-in of cfg beside the NULL-terminated builtin table and
 * builds each account's table (catalog.h). Returns PLUGIN_OK and sets *out,
 * or PLUGIN_ENOFILE (a plug-in's file cannot be opened) or PLUGIN_EINVALID
 * with the one-line reason in err.
 */
enum plugin_result
catalog_open(const struct config *cfg, const struct projection *const *builtin,
    struct catalog **out, char *err, size_t errlen)
{
	struct catalog *c;
	enum plugin_result r = PLUGIN_EINVALID;
	char why[1024];
	size_t i, nbuiltin;

	for (nbuiltin = 0; builtin[nbuiltin] != NULL; nbuiltin++)
		;
	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->plugins = xcalloc(cfg->nplugins + 1, sizeof(*c->plugins));
	c->all = xcalloc(nbuiltin + cfg->nplugins + 1, sizeof(*c->all));
	c->names = xcalloc(nbuiltin + cfg->nplugins + 1, sizeof(*c->names));
	for (i = 0; i < nbuiltin; i++)
		c->all[i] = builtin[i];
	for (i = 0; i < cfg->nplugins; i++) {
		const struct config_plugin *pl = &cfg->plugins[i];

		if (registry_find(builtin, pl->name) != NULL) {
			snprintf(err, errlen, "%s:%d:%d: plug-in \"%s\": a"
			    " built-in projection has that name; give the"
			    " plug-in's projection another", cfg->path,
			    pl->line, pl->column, pl->name);
			goto fail;
		}
		r = plugin_load(pl->name, pl->path, &c->plugins[i], why,
		    sizeof(why));
		if (r != PLUGIN_OK) {
			snprintf(err, errlen, "%s:%d:%d: plug-in \"%s\": %s",
			    cfg->path, pl->line, pl->column, pl->name, why);
			goto fail;
		}
		c->nplugins++;
		c->all[nbuiltin + i] = plugin_projection(c->plugins[i]);
		r = PLUGIN_EINVALID;
	}
	if (registry_check(c->all, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", cfg->path, why);
		goto fail;
	}
	for (i = 0; c->all[i] != NULL; i++)
		c->names[i] = c->all[i]->name;
	c->tables = xcalloc(cfg->naccounts + 1, sizeof(*c->tables));
	for (i = 0; i < cfg->naccounts; i++)
		c->tables[i] = account_table(c, nbuiltin, i);
	*out = c;
	return PLUGIN_OK;
fail:
	catalog_free(c);
	return r;
}

/* Every projection's name, built-ins first; NULL-terminated. */
const char *const *
catalog_names(const struct catalog *c)
{
	return c->names;
}

/*
 * The table of acct, which must be one of the catalog's configuration:
 * the built-ins and the plug-ins it names; NULL-terminated.
 */
const struct projection *const *
catalog_table(const struct catalog *c, const struct config_account *acct)
{
	return c->tables[acct - c->cfg->accounts];
}

/* The projection called name, built-in or plug-in, or NULL. */
const struct projection *
catalog_find(const struct catalog *c, const char *name)
{
	return registry_find(c->all, name);
}

/* The SHA-256 of p's shared object; NULL for a built-in. */
const char *
catalog_sha256(const struct catalog *c, const struct projection *p)
{
	size_t i;

	for (i = 0; i < c->nplugins; i++)
		if (plugin_projection(c->plugins[i]) == p)
			return plugin_sha256(c->plugins[i]);
	return NULL;
}

size_t
catalog_nplugins(const struct catalog *c)
{
	return c->nplugins;
}

const struct plugin *
catalog_plugin(const struct catalog *c, size_t i)
{
	return c->plugins[i];
}

void
catalog_free(struct catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->tables != NULL && i < c->cfg->naccounts; i++)
		free(c->tables[i]);
	free(c->tables);
	for (i = 0; i < c->nplugins; i++)
		plugin_free(c->plugins[i]);
	free(c->plugins);
	free(c->all);
	free(c->names);
	free(c);
}
