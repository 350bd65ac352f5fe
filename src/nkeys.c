/*
 * nkeys.c: a user's public nkey from its seed (see nkeys.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nkeys.h"
#include "secret.h"

#define NKEYS_RAW	32			/* an Ed25519 seed or key */
#define NKEYS_SEED	(18 << 3)		/* 'S' */
#define NKEYS_USER	(20 << 3)		/* 'U' */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* CRC-16/XMODEM (polynomial 0x1021, initial 0), an nkey's check. */
static uint16_t
crc16(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) != 0 ?
			    (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/*
 * Decodes base32 text of exactly len bytes into out. Returns 0, or -1 when
 * a character is not base32 or the length is not that of len bytes.
 */
static int
unbase32(const char *text, unsigned char *out, size_t len)
{
	unsigned int acc = 0;
	size_t n = 0, i;
	const char *c;
	int bits = 0;

	if (strlen(text) != (len * 8 + 4) / 5)
		return -1;
	for (i = 0; text[i] != '\0'; i++) {
		if ((c = strchr(alphabet, text[i])) == NULL)
			return -1;
		acc = (acc << 5 | (unsigned int)(c - alphabet)) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			out[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n == len ? 0 : -1;
}

static void
base32(const unsigned char *p, size_t len, char *out)
{
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8 | p[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(acc << (5 - bits)) & 31];
	out[n] = '\0';
}

/*
 * Derives the public key of the user seed in seed ("SU..."). Returns 0 with
 * it in out, or -1 with a reason in err that never quotes the seed.
 */
int
nkeys_public_from_seed(const char *seed, char out[NKEYS_PUBLIC_LEN + 1],
    char *err, size_t errlen)
{
	unsigned char raw[2 + NKEYS_RAW + 2], pub[1 + NKEYS_RAW + 2];
	EVP_PKEY *pk = NULL;
	size_t len = NKEYS_RAW;
	uint16_t crc;
	int rc = -1;

	if (unbase32(seed, raw, sizeof(raw)) == -1) {
		snprintf(err, errlen, "is not an nkey seed (\"SU\" and 56 more"
		    " base32 characters)");
		goto done;
	}
	crc = crc16(raw, sizeof(raw) - 2);
	if (raw[sizeof(raw) - 2] != (crc & 0xff) ||
	    raw[sizeof(raw) - 1] != crc >> 8) {
		snprintf(err, errlen, "holds an nkey seed whose check does not"
		    " match: it was mistyped or cut");
		goto done;
	}
	if ((raw[0] & 0xf8) != NKEYS_SEED ||
	    ((raw[0] & 7) << 5 | (raw[1] & 0xf8) >> 3) != NKEYS_USER) {
		snprintf(err, errlen, "holds the seed of another kind of nkey"
		    " than a user's (its public key would not start with U)");
		goto done;
	}
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);	/* digest.c */
	if ((pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 2,
	    NKEYS_RAW)) == NULL ||
	    EVP_PKEY_get_raw_public_key(pk, pub + 1, &len) != 1 ||
	    len != NKEYS_RAW) {
		snprintf(err, errlen, "holds a seed libcrypto cannot use");
		goto done;
	}
	pub[0] = NKEYS_USER;
	crc = crc16(pub, 1 + NKEYS_RAW);
	pub[1 + NKEYS_RAW] = (unsigned char)(crc & 0xff);
	pub[2 + NKEYS_RAW] = (unsigned char)(crc >> 8);
	base32(pub, sizeof(pub), out);
	rc = 0;
done:
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/*
 * The public key of the user whose seed is in seed_file; when nkey is not
 * NULL it must be that key. Returns 0 with it in out, or -1 with a reason
 * in err (naming the file, never quoting the seed).
 */
int
nkeys_user_of(const char *seed_file, const char *nkey,
    char out[NKEYS_PUBLIC_LEN + 1], char *err, size_t errlen)
{
	char why[256], *seed = NULL;
	int rc = -1;

	if (secret_read(seed_file, &seed, err, errlen) == -1)
		return -1;
	if (nkeys_public_from_seed(seed, out, why, sizeof(why)) == -1)
		snprintf(err, errlen, "%s %s", seed_file, why);
	else if (nkey != NULL && strcmp(nkey, out) != 0)
		snprintf(err, errlen, "'nkey' %s is not the public key of the"
		    " seed in %s (that is %s): leave 'nkey' out, or correct it",
		    nkey, seed_file, out);
	else
		rc = 0;
	secret_free(seed);
	return rc;
}
