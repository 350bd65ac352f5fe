/*
 * test_catalog.c: the plugins: section and catalog_open(): each plug-in
 * loaded beside the built-ins, refusals at the plug-in's FILE:LINE:COLUMN,
 * and each account's table (the built-ins, then the plug-ins it names).
 * The plug-ins are those of tests/plugins/, built beside this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "config.h"
#include "projections.h"

/* $(B)/tests/plugins, from where this binary is. */
static char plugins_dir[1024];

struct fx {
	struct config	*cfg;
	struct catalog	*cat;
	char		 err[2048];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	return f != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	catalog_free(f->cat);
	config_free(f->cfg);
	free(f);
	return 0;
}

/* Parses text with the plug-ins' directory as the file's folder. */
static void
load(struct fx *f, const char *text)
{
	if (config_load_string(text, "p.yaml", plugins_dir, &f->cfg, f->err,
	    sizeof(f->err)) != CONFIG_OK)
		fail_msg("config: %s", f->err);
}

static const char two_accounts[] =
	"plugins:\n"
	"  plug_seen: plug_seen.so\n"
	"accounts:\n"
	"  - name: a\n"
	"    stream: s\n"
	"    database: a.db\n"
	"  - name: b\n"
	"    stream: s\n"
	"    database: b.db\n"
	"    projections: [leaderboard, plug_seen]\n";

/*
 * An account that names no projection runs the built-ins; one that names a
 * plug-in has it after the built-ins (its views may read theirs).
 */
static void
test_tables(void **state)
{
	const struct projection *const *t;
	struct fx *f = *state;
	char path[1200];

	load(f, two_accounts);
	assert_int_equal(f->cfg->nplugins, 1);
	assert_string_equal(f->cfg->plugins[0].name, "plug_seen");
	snprintf(path, sizeof(path), "%s/plug_seen.so", plugins_dir);
	assert_string_equal(f->cfg->plugins[0].path, path);
	assert_int_equal(f->cfg->plugins[0].line, 2);
	assert_int_equal(f->cfg->plugins[0].column, 3);
	assert_int_equal(catalog_open(f->cfg, projections_builtin, &f->cat,
	    f->err, sizeof(f->err)), PLUGIN_OK);
	assert_int_equal(config_validate(f->cfg, catalog_names(f->cat),
	    f->err, sizeof(f->err)), 0);
	assert_int_equal(catalog_nplugins(f->cat), 1);
	t = catalog_table(f->cat, &f->cfg->accounts[0]);
	assert_ptr_equal(t[0], &proj_session_history);
	assert_ptr_equal(t[2], &proj_leaderboard);
	assert_null(t[3]);
	t = catalog_table(f->cat, &f->cfg->accounts[1]);
	assert_ptr_equal(t[2], &proj_leaderboard);
	assert_string_equal(t[3]->name, "plug_seen");
	assert_null(t[4]);
	assert_ptr_equal(catalog_find(f->cat, "plug_seen"), t[3]);
	assert_string_equal(catalog_names(f->cat)[3], "plug_seen");
	assert_null(catalog_names(f->cat)[4]);
}

/* Every refusal starts with the plug-in's place in the file and its name. */
static void
test_refusals(void **state)
{
	struct fx *f = *state;
	char want[2048];

	load(f, "plugins:\n  leaderboard: plug_seen.so\naccounts: []\n");
	assert_int_equal(catalog_open(f->cfg, projections_builtin, &f->cat,
	    f->err, sizeof(f->err)), PLUGIN_EINVALID);
	assert_string_equal(f->err, "p.yaml:2:3: plug-in \"leaderboard\": a"
	    " built-in projection has that name; give the plug-in's"
	    " projection another");
	config_free(f->cfg);
	f->cfg = NULL;

	load(f, "accounts: []\nplugins:\n  kills: nosuch.so\n");
	assert_int_equal(catalog_open(f->cfg, projections_builtin, &f->cat,
	    f->err, sizeof(f->err)), PLUGIN_ENOFILE);
	snprintf(want, sizeof(want), "p.yaml:3:3: plug-in \"kills\": cannot"
	    " open %s/nosuch.so: No such file or directory", plugins_dir);
	assert_string_equal(f->err, want);
	assert_null(f->cat);
}

/* What the plugins: section itself may not hold. */
static void
test_section(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} bad[] = {
		{ "plugins: [a.so]\naccounts: []\n", "p.yaml:1:10: 'plugins'"
		    " must be a mapping from projection name to shared object,"
		    " not a list" },
		{ "plugins:\n  Kills: k.so\naccounts: []\n", "p.yaml:2:3:"
		    " plug-in name 'Kills' may only hold a-z, 0-9 and '_' (it"
		    " is the projection's name)" },
		{ "plugins:\n  k: a.so\n  k: b.so\naccounts: []\n",
		    "p.yaml:3:3: plug-in 'k' is named twice (first at line"
		    " 2)" },
		{ "plugins:\n  k:\naccounts: []\n", "p.yaml:2:3: 'k' must be a"
		    " string, not an empty value" },
	};
	struct fx *f = *state;
	struct config *cfg = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f->err[0] = '\0';
		assert_int_equal(config_load_string(bad[i].text, "p.yaml",
		    plugins_dir, &cfg, f->err, sizeof(f->err)),
		    CONFIG_EINVALID);
		assert_string_equal(f->err, bad[i].want);
	}
	/* Empty is no plug-in. */
	load(f, "plugins:\naccounts: []\n");
	assert_int_equal(f->cfg->nplugins, 0);
}

/* An account may name a plug-in only when plugins: has it. */
static void
test_unknown_projection(void **state)
{
	struct fx *f = *state;

	load(f, "accounts:\n  - name: a\n    stream: s\n    database: a.db\n"
	    "    projections: [plug_seen]\n");
	assert_int_equal(catalog_open(f->cfg, projections_builtin, &f->cat,
	    f->err, sizeof(f->err)), PLUGIN_OK);
	assert_int_equal(config_validate(f->cfg, catalog_names(f->cat),
	    f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "p.yaml:5:19: unknown projection"
	    " 'plug_seen' (known: session_history, player_profiles,"
	    " leaderboard)");
}

int
main(int argc, char **argv)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_tables),
		T(test_refusals),
		T(test_section),
		T(test_unknown_projection),
	};
#undef T
	char self[1024];

	(void)argc;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(plugins_dir, sizeof(plugins_dir), "%s/plugins", dirname(self));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
