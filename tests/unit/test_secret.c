/*
 * test_secret.c: secret_read(), secret_check_mode() and secret_free().
 *
 * Besides the values, every error is checked for naming the file and for
 * never containing what the file holds: these messages are logged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "tmp.h"

#define CONTENT	"hunter2-TOPSECRET"

struct fx {
	char	dir[512];
	char	path[600];
};

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	*state = f;
	if (tmp_dir("test-secret-", f->dir, sizeof(f->dir)) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/pass", f->dir);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

/* Writes text to the fixture's file with the given mode (no umask). */
static void
write_secret(struct fx *f, const char *text, mode_t mode)
{
	assert_int_equal(tmp_write_file(f->path, text), 0);
	assert_int_equal(chmod(f->path, mode), 0);
}

/* Reads the fixture's file, which must work, and compares the secret. */
static void
read_ok(struct fx *f, const char *text, const char *want)
{
	char err[1024] = "", *s = NULL;

	write_secret(f, text, 0600);
	if (secret_read(f->path, &s, err, sizeof(err)) == -1)
		fail_msg("secret_read: %s", err);
	assert_string_equal(s, want);
	secret_free(s);
}

/*
 * Reads path, which must fail with exactly "<path>: <why>"; *out stays
 * untouched and the message holds nothing of CONTENT.
 */
static void
read_fails(const char *path, const char *why)
{
	char err[1024] = "", want[1024], *sentinel = (char *)&sentinel;
	char *s = sentinel;

	assert_int_equal(secret_read(path, &s, err, sizeof(err)), -1);
	assert_ptr_equal(s, sentinel);
	snprintf(want, sizeof(want), "%s: %s", path, why);
	assert_string_equal(err, want);
	assert_null(strstr(err, "hunter2"));
	assert_null(strstr(err, "TOPSECRET"));
}

static void
test_read_trims_newlines(void **state)
{
	struct fx *f = *state;

	read_ok(f, CONTENT, CONTENT);
	read_ok(f, CONTENT "\n", CONTENT);
	read_ok(f, CONTENT "\r\n", CONTENT);
	read_ok(f, CONTENT "\n\n\r\n", CONTENT);
	/* Only line ends go: spaces and inner newlines are the secret's. */
	read_ok(f, " two words \n", " two words ");
	read_ok(f, "line1\nline2\n", "line1\nline2");
	read_ok(f, "\nx", "\nx");
}

static void
test_read_empty(void **state)
{
	struct fx *f = *state;

	write_secret(f, "", 0600);
	read_fails(f->path, "is empty");
	/* Nothing but line ends is no secret either. */
	write_secret(f, "\n", 0600);
	read_fails(f->path, "is empty");
	write_secret(f, "\r\n\n", 0600);
	read_fails(f->path, "is empty");
}

static void
test_read_missing(void **state)
{
	struct fx *f = *state;

	read_fails(f->path, "cannot open: No such file or directory");
}

/* A directory opens, then cannot be read. */
static void
test_read_directory(void **state)
{
	struct fx *f = *state;

	read_fails(f->dir, "cannot read");
}

static void
test_read_size_limit(void **state)
{
	struct fx *f = *state;
	char *text, *s = NULL, err[1024] = "";
	size_t i;

	/* CONTENT repeated up to exactly SECRET_MAX bytes: accepted. */
	text = malloc(SECRET_MAX + 2);
	assert_non_null(text);
	for (i = 0; i < SECRET_MAX + 1; i++)
		text[i] = CONTENT[i % (sizeof(CONTENT) - 1)];
	text[SECRET_MAX] = '\0';
	write_secret(f, text, 0600);
	assert_int_equal(secret_read(f->path, &s, err, sizeof(err)), 0);
	assert_int_equal(strlen(s), SECRET_MAX);
	secret_free(s);

	/* One byte more, even a newline that would be trimmed: refused. */
	text[SECRET_MAX] = '\n';
	text[SECRET_MAX + 1] = '\0';
	write_secret(f, text, 0600);
	read_fails(f->path, "is too large");
	free(text);
}

/* An unreadable file: the error is strerror's, the content absent. */
static void
test_read_unreadable(void **state)
{
	struct fx *f = *state;
	char *s = NULL, err[1024] = "";

	write_secret(f, CONTENT, 0000);
	if (secret_read(f->path, &s, err, sizeof(err)) == 0) {
		/* root reads any file: nothing to check here. */
		secret_free(s);
		skip();
	}
	read_fails(f->path, "cannot open: Permission denied");
}

static void
test_check_mode(void **state)
{
	struct fx *f = *state;
	char warn[1024], want[1024];

	write_secret(f, CONTENT, 0600);
	strcpy(warn, "untouched");
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 0);
	assert_string_equal(warn, "untouched");
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 0);

	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 1);
	snprintf(want, sizeof(want), "%s is accessible to group or others"
	    " (mode 0644); chmod 600 it", f->path);
	assert_string_equal(warn, want);
	assert_null(strstr(warn, "hunter2"));

	/* Group only, and Docker's read-only-for-all secrets: warned too. */
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 1);
	assert_non_null(strstr(warn, "(mode 0640)"));
	assert_int_equal(chmod(f->path, 0444), 0);
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 1);
	assert_non_null(strstr(warn, "(mode 0444)"));
	assert_int_equal(chmod(f->path, 0602), 0);
	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), 1);
	assert_non_null(strstr(warn, "(mode 0602)"));
}

static void
test_check_mode_missing(void **state)
{
	struct fx *f = *state;
	char warn[1024], want[1024];

	assert_int_equal(secret_check_mode(f->path, warn, sizeof(warn)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path);
	assert_string_equal(warn, want);
}

static void
test_free_null(void **state)
{
	struct fx *f = *state;
	char *s = NULL, err[1024] = "";

	secret_free(NULL);
	write_secret(f, CONTENT "\n", 0600);
	assert_int_equal(secret_read(f->path, &s, err, sizeof(err)), 0);
	assert_string_equal(s, CONTENT);
	secret_free(s);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_read_trims_newlines),
		T(test_read_empty),
		T(test_read_missing),
		T(test_read_directory),
		T(test_read_size_limit),
		T(test_read_unreadable),
		T(test_check_mode),
		T(test_check_mode_missing),
		T(test_free_null),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
