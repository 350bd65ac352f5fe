/*
 * zframe.h: archive blocks around content of a test's choosing, to test the
 * block decoder (src/archive_block.c) past its checksums.
 *
 * The codec only ever compresses content it wrote itself, and a block
 * carries checksums that neither a test nor a fuzzer can forge by chance:
 * zstd's XXH64 of the content and two CRC-32s. zframe_block() writes a
 * block in the format of archive_block.h whose zstd frame holds the given
 * bytes as one stored (raw) zstd block (RFC 8878), with the header fields
 * given and every checksum right, so that the decoder can be handed
 * content no packer writes. XXH64 comes from xxhash.h, inlined (Debian's
 * libxxhash-dev, for the tests only); CRC-32 from zlib.
 *
 * Memory: zframe_block() writes into the caller's buffer and keeps nothing.
 */
#ifndef ZFRAME_H
#define ZFRAME_H

#include <stddef.h>
#include <stdint.h>

/* A stored zstd block holds at most 128 KiB. */
#define ZFRAME_MAX_CONTENT	(128 * 1024)
/* Header, frame header, block header and checksum around the content. */
#define ZFRAME_OVERHEAD		(40 + 4 + 1 + 4 + 3 + 4)

size_t	zframe_block(unsigned char *out, size_t cap,
	    const unsigned char *content, size_t len, uint32_t count,
	    uint64_t first_seq, uint64_t last_seq);

#endif /* ZFRAME_H */
