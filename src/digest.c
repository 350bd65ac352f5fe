/*
 * digest.c: SHA-256 fingerprints (see digest.h).
 */
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest.h"

/*
 * Writes the SHA-256 of data[0..len) into out as hex. Returns 0, or -1 when
 * libcrypto fails (out is then the empty string).
 */
int
digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	/*
	 * OpenSSL's first use registers its cleanup with atexit(), unless
	 * told not to. When that first use is ours (a migration's checksum,
	 * before any TLS connection), the cleanup ran before libnats's own
	 * at exit, which then crashed on freed TLS state (test_auth, exit
	 * 139). libnats cleans OpenSSL up itself; a repeated call is a no-op.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL) != 1)
		return -1;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != DIGEST_HEX_LEN)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
