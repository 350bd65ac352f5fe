/*
 * zframe.c: archive blocks around content of a test's choosing (see
 * zframe.h).
 */
#include <string.h>

#include <zlib.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "archive_block.h"
#include "zframe.h"

static void
zframe_le(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * Writes a block of len bytes of content at out (cap bytes), with count,
 * first_seq and last_seq in its header whatever the content says. Returns
 * its length, or 0 when it does not fit in cap or len is over
 * ZFRAME_MAX_CONTENT.
 */
size_t
zframe_block(unsigned char *out, size_t cap, const unsigned char *content,
    size_t len, uint32_t count, uint64_t first_seq, uint64_t last_seq)
{
	unsigned char *f = out + ARCHIVE_BLOCK_HEADER;
	size_t at;

	if (len > ZFRAME_MAX_CONTENT || cap < len + ZFRAME_OVERHEAD)
		return 0;
	/*
	 * The frame header: magic; a descriptor saying single segment (no
	 * window descriptor), content checksum, no dictionary and the
	 * content size's field width (1 byte below 256, 2 bytes holding
	 * size - 256 below 65,792, else 4); the content size.
	 */
	zframe_le(f, 0xFD2FB528u, 4);
	if (len < 256) {
		f[4] = 0x24;
		f[5] = (unsigned char)len;
		at = 6;
	} else if (len < 65792) {
		f[4] = 0x64;
		zframe_le(f + 5, len - 256, 2);
		at = 7;
	} else {
		f[4] = 0xa4;
		zframe_le(f + 5, len, 4);
		at = 9;
	}
	/* One block: last, stored as it is (type 0), len bytes. */
	zframe_le(f + at, 1 | (uint64_t)len << 3, 3);
	at += 3;
	if (len > 0)
		memcpy(f + at, content, len);
	at += len;
	zframe_le(f + at, (uint32_t)XXH64(content, len, 0), 4);
	at += 4;

	memcpy(out, "PJAB", 4);
	out[4] = ARCHIVE_BLOCK_VERSION;
	out[5] = out[6] = out[7] = 0;
	zframe_le(out + 8, count, 4);
	zframe_le(out + 12, len, 4);
	zframe_le(out + 16, first_seq, 8);
	zframe_le(out + 24, last_seq, 8);
	zframe_le(out + 32, crc32_z(0, f, at), 4);
	zframe_le(out + 36, crc32_z(0, out, 36), 4);
	return ARCHIVE_BLOCK_HEADER + at;
}
