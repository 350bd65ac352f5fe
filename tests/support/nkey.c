/*
 * nkey.c: nkeys, JWTs and .creds files for the tests (see nkey.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "nkey.h"
#include "tmp.h"

/*
 * CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the
 * check value of an nkey. Cannot fail.
 */
uint16_t
nkey_crc16(const unsigned char *p, size_t len)
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

/* RFC 4648 base32 without padding, NUL-terminated in out. */
static void
base32(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0;

	assert_true(outlen > (len * 8 + 4) / 5);
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

/* base64url without padding (RFC 7515), as JWTs use; free() the result. */
static char *
base64url(const void *p, size_t len)
{
	char *out, *c;

	assert_non_null(out = malloc(4 * ((len + 2) / 3) + 1));
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	for (c = out; *c != '\0' && *c != '='; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	*c = '\0';
	return out;
}

/* Appends the CRC of raw[0..len) to raw and base32-encodes all into out. */
static void
encode(unsigned char *raw, size_t len, char *out, size_t outlen)
{
	uint16_t crc = nkey_crc16(raw, len);

	raw[len] = (unsigned char)(crc & 0xff);
	raw[len + 1] = (unsigned char)(crc >> 8);
	base32(raw, len + 2, out, outlen);
}

/*
 * Makes a new Ed25519 key pair of the type prefix (NKEY_PREFIX_USER...) into
 * k: its seed packs two prefixes, 'S' and the type's letter, into its first
 * two bytes; its public key has one, the type's.
 */
void
nkey_new(unsigned char prefix, struct nkey *k)
{
	EVP_PKEY *pk;
	unsigned char raw[2 + NKEY_RAW_LEN + 2], pub[NKEY_RAW_LEN];
	size_t len;

	assert_non_null(pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	len = sizeof(k->raw);
	assert_int_equal(EVP_PKEY_get_raw_private_key(pk, k->raw, &len), 1);
	assert_int_equal(len, NKEY_RAW_LEN);
	len = sizeof(pub);
	assert_int_equal(EVP_PKEY_get_raw_public_key(pk, pub, &len), 1);
	assert_int_equal(len, NKEY_RAW_LEN);
	EVP_PKEY_free(pk);

	raw[0] = (unsigned char)(NKEY_PREFIX_SEED | prefix >> 5);
	raw[1] = (unsigned char)((prefix & 31) << 3);
	memcpy(raw + 2, k->raw, NKEY_RAW_LEN);
	encode(raw, 2 + NKEY_RAW_LEN, k->seed, sizeof(k->seed));
	raw[0] = prefix;
	memcpy(raw + 1, pub, NKEY_RAW_LEN);
	encode(raw, 1 + NKEY_RAW_LEN, k->pub, sizeof(k->pub));
	explicit_bzero(raw, sizeof(raw));
	/* 36 and 35 bytes in base32. */
	assert_int_equal(strlen(k->seed), 58);
	assert_int_equal(strlen(k->pub), 56);
}

/* Signs the string msg with k (Ed25519, no prehash) into sig. */
void
nkey_sign(const struct nkey *k, const char *msg,
    unsigned char sig[NKEY_SIG_LEN])
{
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx;
	size_t len = NKEY_SIG_LEN;

	assert_non_null(pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
	    NULL, k->raw, NKEY_RAW_LEN));
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &len,
	    (const unsigned char *)msg, strlen(msg)), 1);
	assert_int_equal(len, NKEY_SIG_LEN);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
}

/*
 * Signs claims (consumed) into a jwt v2 token issued by iss: header
 * {"typ":"JWT","alg":"ed25519-nkey"}, "iss", "iat" and a "jti" set here,
 * and an Ed25519 signature of "HEADER.PAYLOAD" (nats-io/jwt v2 claims.go).
 * The jti is a hash of the claims like jwt's own, which hashes its Go
 * struct with SHA-512/256; the server does not recompute it. Returns the
 * token, to free().
 */
char *
nkey_jwt(const struct nkey *iss, json_t *claims)
{
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";
	unsigned char digest[EVP_MAX_MD_SIZE], sig[NKEY_SIG_LEN];
	unsigned int dlen = 0;
	char jti[128], *json, *h, *p, *s, *tosign, *token;

	assert_non_null(claims);
	json_object_set_new(claims, "iss", json_string(iss->pub));
	json_object_set_new(claims, "iat", json_integer((json_int_t)time(NULL)));
	assert_non_null(json = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS));
	assert_int_equal(EVP_Digest(json, strlen(json), digest, &dlen,
	    EVP_sha256(), NULL), 1);
	free(json);
	base32(digest, dlen, jti, sizeof(jti));
	json_object_set_new(claims, "jti", json_string(jti));
	assert_non_null(json = json_dumps(claims, JSON_COMPACT));
	json_decref(claims);

	h = base64url(header, strlen(header));
	p = base64url(json, strlen(json));
	assert_true(asprintf(&tosign, "%s.%s", h, p) != -1);
	nkey_sign(iss, tosign, sig);
	s = base64url(sig, sizeof(sig));
	assert_true(asprintf(&token, "%s.%s", tosign, s) != -1);
	free(json);
	free(h);
	free(p);
	free(s);
	free(tosign);
	return token;
}

/*
 * An account JWT signed by the operator op: no limits, JetStream on or off
 * (nats-server enables it for an account whose storage limits are not 0).
 * Returns the token, to free().
 */
char *
nkey_account_jwt(const struct nkey *op, const struct nkey *acct,
    const char *name, int jetstream)
{
	json_t *limits;

	limits = json_pack("{s:i, s:i, s:i, s:i, s:i, s:b, s:i, s:i}",
	    "subs", -1, "data", -1, "payload", -1, "imports", -1,
	    "exports", -1, "wildcards", 1, "conn", -1, "leaf", -1);
	assert_non_null(limits);
	if (jetstream)
		assert_int_equal(json_object_update_new(limits, json_pack(
		    "{s:i, s:i, s:i, s:i}", "mem_storage", -1, "disk_storage",
		    -1, "streams", -1, "consumer", -1)), 0);
	return nkey_jwt(op, json_pack("{s:s, s:s, s:{s:o, s:{s:{}, s:{}}, "
	    "s:s, s:i}}", "sub", acct->pub, "name", name,
	    "nats", "limits", limits, "default_permissions", "pub", "sub",
	    "type", "account", "version", 2));
}

/*
 * A user JWT signed by the account acct, with publish and subscribe
 * permissions pub and sub (consumed; NULL: none, everything allowed), in
 * the form of nats-io/jwt's Permission ({"allow": [...], "deny": [...]}).
 * Returns the token, to free().
 */
char *
nkey_user_jwt(const struct nkey *acct, const struct nkey *user,
    const char *name, json_t *pub, json_t *sub)
{
	return nkey_jwt(acct, json_pack("{s:s, s:s, s:{s:o, s:o, "
	    "s:i, s:i, s:i, s:s, s:i}}",
	    "sub", user->pub, "name", name,
	    "nats", "pub", pub != NULL ? pub : json_object(),
	    "sub", sub != NULL ? sub : json_object(),
	    "subs", -1, "data", -1, "payload", -1,
	    "type", "user", "version", 2));
}

/*
 * The text of a .creds file holding the user's JWT and nkey seed, as `nsc`
 * writes it. Returns it, to wipe and free().
 */
char *
nkey_creds(const char *jwt, const char *seed)
{
	char *creds;

	assert_true(asprintf(&creds,
	    "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n"
	    "\n"
	    "************************* IMPORTANT *************************\n"
	    "NKEY Seed printed below can be used to sign and prove identity.\n"
	    "NKEYs are sensitive and should be treated as secrets.\n"
	    "\n"
	    "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n"
	    "\n"
	    "*************************************************************\n",
	    jwt, seed) != -1);
	return creds;
}

/*
 * Makes what a nats-server in operator mode needs: a new operator, the
 * system account (SYS, which JetStream needs) and the account name, with
 * JetStream, whose key pair goes into acct to sign users with; both
 * accounts signed by the operator. Writes the operator's JWT to the file
 * opfile (mode 0600). Returns the server's configuration, which trusts the
 * operator and preloads both accounts (resolver MEMORY), to free().
 */
char *
nkey_operator_conf(const char *opfile, const char *name, struct nkey *acct)
{
	struct nkey op, sys;
	char *opjwt, *sysjwt, *acctjwt, *conf;

	nkey_new(NKEY_PREFIX_OPERATOR, &op);
	nkey_new(NKEY_PREFIX_ACCOUNT, &sys);
	nkey_new(NKEY_PREFIX_ACCOUNT, acct);
	opjwt = nkey_jwt(&op, json_pack("{s:s, s:s, s:{s:s, s:s, s:i}}",
	    "sub", op.pub, "name", "projector-test", "nats",
	    "system_account", sys.pub, "type", "operator", "version", 2));
	sysjwt = nkey_account_jwt(&op, &sys, "SYS", 0);
	acctjwt = nkey_account_jwt(&op, acct, name, 1);
	if (tmp_write_file_mode(opfile, opjwt, 0600) == -1)
		fail_msg("%s: %s", opfile, strerror(errno));
	assert_true(asprintf(&conf, "operator: \"%s\"\n"
	    "system_account: %s\n"
	    "resolver: MEMORY\n"
	    "resolver_preload: {\n"
	    "  %s: \"%s\"\n"
	    "  %s: \"%s\"\n"
	    "}\n", opfile, sys.pub, sys.pub, sysjwt, acct->pub, acctjwt) != -1);
	free(opjwt);
	free(sysjwt);
	free(acctjwt);
	explicit_bzero(&op, sizeof(op));
	explicit_bzero(&sys, sizeof(sys));
	return conf;
}
