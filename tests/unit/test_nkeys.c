/*
 * test_nkeys.c: a user's public nkey from its seed, against key pairs made
 * by the tests' own nkey maker (tests/support/nkey.c, another encoder),
 * and every way a seed can be wrong, without ever quoting it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nkey.h"
#include "nkeys.h"
#include "tmp.h"

/* Fresh user key pairs: the derived key is the pair's own. */
static void
test_derives(void **state)
{
	char out[NKEYS_PUBLIC_LEN + 1], err[256];
	struct nkey k;
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		nkey_new(NKEY_PREFIX_USER, &k);
		assert_int_equal(nkeys_public_from_seed(k.seed, out, err,
		    sizeof(err)), 0);
		assert_string_equal(out, k.pub);
	}
}

static void
refused(const char *seed, const char *want)
{
	char out[NKEYS_PUBLIC_LEN + 1], err[256] = "";

	assert_int_equal(nkeys_public_from_seed(seed, out, err, sizeof(err)),
	    -1);
	assert_string_equal(err, want);
}

/* Not base32, cut, mistyped, or the seed of an account. */
static void
test_bad_seeds(void **state)
{
	struct nkey k, acct;
	char seed[NKEY_TEXT_LEN];

	(void)state;
	nkey_new(NKEY_PREFIX_USER, &k);
	nkey_new(NKEY_PREFIX_ACCOUNT, &acct);
	refused("", "is not an nkey seed (\"SU\" and 56 more base32"
	    " characters)");
	refused("su1", "is not an nkey seed (\"SU\" and 56 more base32"
	    " characters)");
	snprintf(seed, sizeof(seed), "%.50s", k.seed);
	refused(seed, "is not an nkey seed (\"SU\" and 56 more base32"
	    " characters)");
	snprintf(seed, sizeof(seed), "%s", k.seed);
	seed[10] = seed[10] == 'A' ? 'B' : 'A';
	refused(seed, "holds an nkey seed whose check does not match: it was"
	    " mistyped or cut");
	refused(acct.seed, "holds the seed of another kind of nkey than a"
	    " user's (its public key would not start with U)");
}

/* From a file: the key, agreement with a configured nkey, and errors. */
static void
test_user_of(void **state)
{
	char dir[512], path[600], out[NKEYS_PUBLIC_LEN + 1], err[1024];
	char want[1024], text[NKEY_TEXT_LEN + 2];
	struct nkey k, other;

	(void)state;
	nkey_new(NKEY_PREFIX_USER, &k);
	nkey_new(NKEY_PREFIX_USER, &other);
	assert_int_equal(tmp_dir("test-nkeys-", dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/user.nk", dir);
	snprintf(text, sizeof(text), "%s\n", k.seed);
	assert_int_equal(tmp_write_file_mode(path, text, 0600), 0);
	assert_int_equal(nkeys_user_of(path, NULL, out, err, sizeof(err)), 0);
	assert_string_equal(out, k.pub);
	assert_int_equal(nkeys_user_of(path, k.pub, out, err, sizeof(err)),
	    0);
	assert_int_equal(nkeys_user_of(path, other.pub, out, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "'nkey' %s is not the public key of the"
	    " seed in %s (that is %s): leave 'nkey' out, or correct it",
	    other.pub, path, k.pub);
	assert_string_equal(err, want);
	assert_null(strstr(err, k.seed));
	assert_int_equal(tmp_write_file_mode(path, "not a seed\n", 0600), 0);
	assert_int_equal(nkeys_user_of(path, NULL, out, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s is not an nkey seed (\"SU\" and 56"
	    " more base32 characters)", path);
	assert_string_equal(err, want);
	assert_int_equal(tmp_rm_rf(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derives),
		cmocka_unit_test(test_bad_seeds),
		cmocka_unit_test(test_user_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
