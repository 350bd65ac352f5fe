/*
 * digest.h: SHA-256 fingerprints, written as 64 lower-case hex digits (what
 * sha256sum(1) prints, so that an operator can compare them by hand).
 *
 * The engine fingerprints what must not change unnoticed: a migration once
 * applied, and a plug-in's shared object under an unchanged version. The
 * hashing is OpenSSL's (libcrypto, which libnats already loads).
 *
 * Memory: the caller owns out; nothing is allocated for it.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN	64	/* out holds this and a NUL */

int	digest_sha256_hex(const void *data, size_t len,
	    char out[DIGEST_HEX_LEN + 1]);

#endif /* DIGEST_H */
