/*
 * test_fuzz_regress.c: the fuzz harnesses (tests/fuzz/fuzz.h), built with
 * gcc and without libFuzzer, replaying every input kept under tests/fuzz/:
 * the regression inputs (regress/TARGET/, each one a bug the fuzzer found)
 * and the seeds (corpus/TARGET/). A harness aborts on any broken promise,
 * which fails this test; under `make sanitize` and `make valgrind` the same
 * inputs are checked for memory errors too. Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "tmp.h"

typedef void	harness_fn(const uint8_t *, size_t);

/* The input being replayed, for the abort handler. */
static char current[1024];

/*
 * A harness aborts on a broken promise after saying which: add which input
 * it was (write(2): this is a signal handler), then die of the same signal.
 */
static void
on_abort(int sig)
{
	static const char msg[] = "test_fuzz_regress: input ";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) > 0 &&
	    write(STDERR_FILENO, current, strlen(current)) > 0)
		(void)write(STDERR_FILENO, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Feeds every file of dir, in name order, to fn. Returns how many; a
 * missing dir counts none (regress/ holds nothing until a bug is found).
 */
static int
replay_dir(const char *dir, harness_fn *fn)
{
	struct dirent **names;
	char path[1024], *text;
	size_t len;
	int i, n, count = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name);
			if (tmp_read_file(path, &text, &len) == -1)
				fail_msg("cannot read %s", path);
			snprintf(current, sizeof(current), "%s", path);
			fn((const uint8_t *)text, len);
			free(text);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static void
test_config_inputs(void **state)
{
	(void)state;
	replay_dir("tests/fuzz/regress/config", fuzz_config_one);
	assert_true(replay_dir("tests/fuzz/corpus/config", fuzz_config_one) > 0);
}

static void
test_apply_inputs(void **state)
{
	(void)state;
	replay_dir("tests/fuzz/regress/apply", fuzz_apply_one);
	assert_true(replay_dir("tests/fuzz/corpus/apply", fuzz_apply_one) > 0);
	fuzz_apply_release();
}

static void
test_archive_inputs(void **state)
{
	(void)state;
	replay_dir("tests/fuzz/regress/archive", fuzz_archive_one);
	assert_true(replay_dir("tests/fuzz/corpus/archive",
	    fuzz_archive_one) > 0);
	fuzz_archive_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_inputs),
		cmocka_unit_test(test_apply_inputs),
		cmocka_unit_test(test_archive_inputs),
	};

	signal(SIGABRT, on_abort);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
