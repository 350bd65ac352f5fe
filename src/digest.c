/*
 * digest.c: SHA-256 fingerprints (see digest.h).
 */
#include <stdio.h>

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
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != DIGEST_HEX_LEN)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
