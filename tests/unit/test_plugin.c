/*
 * test_plugin.c: plugin_load() over the plug-ins of tests/plugins/plug.c,
 * built beside this test in $(B)/tests/plugins/, and over files made here:
 * the one that loads, and each refusal, with its whole sentence, before
 * anything of the plug-in runs where the refusal comes first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "plugin.h"
#include "tmp.h"

/* $(B)/tests/plugins, from where this binary is. */
static char plugins_dir[1024];

struct fx {
	char		 dir[512];	/* a fresh 0700 directory */
	char		 path[700];
	char		 err[1024];
	struct plugin	*p;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || tmp_dir("test-plugin-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	plugin_free(f->p);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

static const char *
built(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.so", plugins_dir, name);
	return buf;
}

/* Copies a built plug-in into the fixture's directory with mode. */
static const char *
copy(struct fx *f, const char *name, mode_t mode)
{
	char src[1200], *data;
	size_t len;
	FILE *out;

	if (tmp_read_file(built(name, src, sizeof(src)), &data, &len) == -1)
		fail_msg("%s: cannot read (make the plug-ins first)", src);
	snprintf(f->path, sizeof(f->path), "%s/%s.so", f->dir, name);
	out = fopen(f->path, "w");
	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(f->path, mode), 0);
	free(data);
	return f->path;
}

/* Loading name from path must be refused with exactly want. */
static void
refused(struct fx *f, const char *name, const char *path,
    enum plugin_result code, const char *want)
{
	f->err[0] = '\0';
	assert_int_equal(plugin_load(name, path, &f->p, f->err,
	    sizeof(f->err)), code);
	assert_null(f->p);
	assert_string_equal(f->err, want);
}

/*
 * The good one: its descriptor, copied at the engine's size, its path, and
 * the SHA-256 of its bytes.
 */
static void
test_loads(void **state)
{
	struct fx *f = *state;
	const struct projection *d;
	char sha[DIGEST_HEX_LEN + 1], *data;
	size_t len;

	copy(f, "plug_seen", 0644);
	assert_int_equal(plugin_load("plug_seen", f->path, &f->p, f->err,
	    sizeof(f->err)), PLUGIN_OK);
	d = plugin_projection(f->p);
	assert_string_equal(d->name, "plug_seen");
	assert_int_equal(d->version, 1);
	assert_string_equal(d->build, "test 1.0");
	assert_int_equal(d->abi, PROJECTION_ABI);
	assert_int_equal(d->size, sizeof(struct projection));
	assert_string_equal(d->tables[0], "plug_seen");
	assert_string_equal(d->migrations[0].name, "0001_init.sql");
	assert_null(d->migrations[1].name);
	assert_non_null(d->init);
	assert_non_null(d->apply);
	assert_null(d->parked);
	assert_string_equal(plugin_path(f->p), f->path);
	assert_int_equal(tmp_read_file(f->path, &data, &len), 0);
	assert_int_equal(digest_sha256_hex(data, len, sha), 0);
	free(data);
	assert_string_equal(plugin_sha256(f->p), sha);
}

/* A missing file is PLUGIN_ENOFILE (66); what is not a file, refused. */
static void
test_missing_and_not_a_file(void **state)
{
	struct fx *f = *state;
	char path[700], want[1600];

	snprintf(path, sizeof(path), "%s/nosuch.so", f->dir);
	snprintf(want, sizeof(want), "cannot open %s: No such file or"
	    " directory", path);
	refused(f, "plug_seen", path, PLUGIN_ENOFILE, want);
	snprintf(want, sizeof(want), "%s is not a regular file: name the"
	    " shared object itself", f->dir);
	refused(f, "plug_seen", f->dir, PLUGIN_EINVALID, want);
}

/* Writable by group or others, the file or its directory: refused. */
static void
test_unsafe_modes(void **state)
{
	struct fx *f = *state;
	char want[1600];

	copy(f, "plug_seen", 0666);
	snprintf(want, sizeof(want), "plug-in %s must be writable only by its"
	    " owner (mode 0666): chmod go-w it", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_seen", 0664);
	snprintf(want, sizeof(want), "plug-in %s must be writable only by its"
	    " owner (mode 0664): chmod go-w it", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_seen", 0644);
	assert_int_equal(chmod(f->dir, 0770), 0);
	snprintf(want, sizeof(want), "the directory %s must be writable only"
	    " by its owner (mode 0770): chmod go-w it", f->dir);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* Not a shared object at all. */
static void
test_not_elf(void **state)
{
	struct fx *f = *state;
	char want[1600];

	snprintf(f->path, sizeof(f->path), "%s/text.so", f->dir);
	/* Longer than an ELF header, or dlopen says "file too short". */
	assert_int_equal(tmp_write_file_mode(f->path, "This is not a shared"
	    " object, but a text file that a configuration named by mistake"
	    " under plugins:.\n", 0644), 0);
	snprintf(want, sizeof(want), "cannot load %s: invalid ELF header (is"
	    " it a shared object built for this system? a library it needs"
	    " may be missing or too old: try ldd %s)", f->path, f->path);
	refused(f, "text", f->path, PLUGIN_EINVALID, want);
}

/*
 * A function no library defines is found at load (RTLD_NOW), not at the
 * first event; no entry point; another projection's name.
 */
static void
test_symbols_and_name(void **state)
{
	struct fx *f = *state;
	char want[1600];

	copy(f, "plug_undefined", 0644);
	snprintf(want, sizeof(want), "cannot load %s: undefined symbol:"
	    " plug_no_such_function (is it a shared object built for this"
	    " system? a library it needs may be missing or too old: try ldd"
	    " %s)", f->path, f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_noentry", 0644);
	snprintf(want, sizeof(want), "%s exports no projector_projection(): is"
	    " it a projector plug-in built with PROJECTION_EXPORT?", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_other", 0644);
	snprintf(want, sizeof(want), "%s holds projection \"plug_other\", not"
	    " \"plug_seen\": name it \"plug_other\" under plugins:, or point"
	    " to the right file", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
}

/* The version block is checked before anything else is read. */
static void
test_abi(void **state)
{
	struct fx *f = *state;
	char want[1600];

	copy(f, "plug_abi_major", 0644);
	snprintf(want, sizeof(want), "%s is built for projection ABI 3.0, this"
	    " projector speaks 2.0: rebuild it against this projector's"
	    " projection.h", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_abi_minor", 0644);
	snprintf(want, sizeof(want), "%s is needs projection ABI 2.1, newer"
	    " than this projector's 2.0: upgrade projector", f->path);
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
	copy(f, "plug_short", 0644);
	snprintf(want, sizeof(want), "%s is descriptor has 40 bytes,"
	    " projection ABI 2.0 needs %zu: is it filled by"
	    " PROJECTION_HEADER?", f->path, sizeof(struct projection));
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
}

/* A SQLite that is not the engine's (a private copy) is refused. */
static void
test_own_sqlite(void **state)
{
	struct fx *f = *state;
	char want[1600];

	copy(f, "plug_fake_sqlite", 0644);
	snprintf(want, sizeof(want), "%s uses its own copy of SQLite (3.99.0):"
	    " link it with -lsqlite3, so that it uses projector's %s (two"
	    " copies of SQLite in one process corrupt databases)", f->path,
	    sqlite3_libversion());
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
}

/*
 * A real private copy: Debian's static SQLite linked into the plug-in,
 * hidden, so that its probe is the copy's own sqlite3_libversion().
 */
static void
test_own_sqlite_copy(void **state)
{
	struct fx *f = *state;
	char want[1600];

	copy(f, "plug_own_sqlite", 0644);
	snprintf(want, sizeof(want), "%s uses its own copy of SQLite (%s):"
	    " link it with -lsqlite3, so that it uses projector's %s (two"
	    " copies of SQLite in one process corrupt databases)", f->path,
	    sqlite3_libversion(), sqlite3_libversion());
	refused(f, "plug_seen", f->path, PLUGIN_EINVALID, want);
}

int
main(int argc, char **argv)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_loads),
		T(test_missing_and_not_a_file),
		T(test_unsafe_modes),
		T(test_not_elf),
		T(test_symbols_and_name),
		T(test_abi),
		T(test_own_sqlite),
		T(test_own_sqlite_copy),
	};
#undef T
	char self[1024];

	(void)argc;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(plugins_dir, sizeof(plugins_dir), "%s/plugins", dirname(self));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
