/*
 * nkeys.h: a NATS user's public nkey, derived from its seed as the NATS
 * tools do (nats-io/nkeys), so that a seed file alone identifies a user.
 *
 * A seed is "SU..." : base32 (RFC 4648, no padding) of two prefix bytes
 * (the seed's and the key type's), the 32-byte Ed25519 seed and a
 * CRC-16/XMODEM, little-endian. The public key is "U...": the type's prefix,
 * the Ed25519 public key and its CRC, in base32.
 *
 * Memory: the caller owns out; what held the seed is wiped before it is
 * freed. Nothing is kept.
 */
#ifndef NKEYS_H
#define NKEYS_H

#include <stddef.h>

#define NKEYS_PUBLIC_LEN	56	/* "U" and 55 more; out holds a NUL too */

int	nkeys_public_from_seed(const char *seed, char out[NKEYS_PUBLIC_LEN + 1],
	    char *err, size_t errlen);
int	nkeys_user_of(const char *seed_file, const char *nkey,
	    char out[NKEYS_PUBLIC_LEN + 1], char *err, size_t errlen);

#endif /* NKEYS_H */
