/*
 * nkey.h: NATS identities made by the tests themselves: nkeys (Ed25519 key
 * pairs, encoded as nats-io/nkeys does), JWTs of operator mode (as
 * nats-io/jwt v2 writes them) and .creds files, with libcrypto. Keys are
 * fresh for each test, so no secret is ever checked in, and a test can look
 * for them in the program's output.
 *
 * These functions are for cmocka tests: they fail the running test
 * themselves (nkey.o needs cmocka and libcrypto, which the integration
 * tests link). Strings returned as char * are the caller's, to free(); a
 * struct nkey is the caller's, filled by nkey_new(). Wipe what held a seed
 * (explicit_bzero) before freeing it.
 */
#ifndef NKEY_H
#define NKEY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The prefix byte of each type of key: its top five bits base32-encode to
 * the key's letter (nats-io/nkeys strkey.go).
 */
#define NKEY_PREFIX_SEED	(18 << 3)	/* 'S' */
#define NKEY_PREFIX_OPERATOR	(14 << 3)	/* 'O' */
#define NKEY_PREFIX_ACCOUNT	0		/* 'A' */
#define NKEY_PREFIX_USER	(20 << 3)	/* 'U' */
#define NKEY_RAW_LEN		32		/* Ed25519 seed or public key */
#define NKEY_SIG_LEN		64
#define NKEY_TEXT_LEN		64		/* 56 or 58 characters and NUL */

struct nkey {
	unsigned char	raw[NKEY_RAW_LEN];	/* the Ed25519 private seed */
	char		seed[NKEY_TEXT_LEN];	/* "SU...", "SA...", "SO..." */
	char		pub[NKEY_TEXT_LEN];	/* "U...", "A...", "O..." */
};

uint16_t nkey_crc16(const unsigned char *p, size_t len);
void	nkey_new(unsigned char prefix, struct nkey *k);
void	nkey_sign(const struct nkey *k, const char *msg,
	    unsigned char sig[NKEY_SIG_LEN]);
char	*nkey_jwt(const struct nkey *iss, json_t *claims);
char	*nkey_account_jwt(const struct nkey *op, const struct nkey *acct,
	    const char *name, int jetstream);
char	*nkey_user_jwt(const struct nkey *acct, const struct nkey *user,
	    const char *name, json_t *pub, json_t *sub);
char	*nkey_creds(const char *jwt, const char *seed);
char	*nkey_operator_conf(const char *opfile, const char *name,
	    struct nkey *acct);

#endif /* NKEY_H */
