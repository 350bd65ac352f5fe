/*
 * archive_block.h: the event archive's block codec: a run of messages
 * packed into one self-checking, zstd-compressed block, and unpacked again.
 *
 * A record is one message as the stream stored it: its sequence, the time
 * the stream stored it, its subject and its payload, both taken as bytes (a
 * NUL is data). The records of a block have strictly increasing sequences,
 * not necessarily consecutive (a consumer's subject filter skips some), and
 * a block holds 1 to ARCHIVE_BLOCK_MAX_RECORDS of them: an empty block would
 * have no sequence range to name it by, so pack refuses one.
 *
 * A block is a fixed header, then one zstd frame. The header (40 bytes,
 * integers little-endian):
 *
 *	0	4	magic "PJAB"
 *	4	1	format version (ARCHIVE_BLOCK_VERSION)
 *	5	3	zero
 *	8	4	record count
 *	12	4	uncompressed length of the content
 *	16	8	first sequence
 *	24	8	last sequence
 *	32	4	CRC-32 of the frame (bytes 40 to the end)
 *	36	4	CRC-32 of bytes 0-35
 *
 * (CRC-32 is zlib's crc32(), which Python's zlib.crc32() computes too.)
 * The frame holds the content, with zstd's content checksum (XXH64) on and
 * the content size in its frame header. The content is the records in
 * order, each one written as
 *
 *	varint	sequence minus the previous record's (the first: itself)
 *	varint	stored_ms minus the previous one's, zigzag (the first: from 0)
 *	varint	subject length, the subject's bytes, a 0 byte
 *	varint	payload length, the payload's bytes, a 0 byte
 *
 * (varints are LEB128, canonical, at most 10 bytes). Measured on the
 * benchmark's mix (see below): records one after the other beat columns
 * (all sequences, then all times, then all subjects, then all payloads) by
 * 2-4% at 64 and 256 KiB and tie within 1% at 1 MiB, since a subject says
 * much about the payload after it; varint deltas beat fixed 8- and 4-byte
 * fields by 5-15%. The 0 bytes cost under 1% of the ratio and make every
 * unpacked subject and payload a C string too (when it holds no NUL).
 *
 * Every block checks itself: any damage (one flipped byte anywhere, a cut,
 * bytes appended) makes archive_block_unpack() fail with a sentence saying
 * what is wrong, and never yields records. The two CRCs catch any one
 * damaged byte with certainty, the header's own letting
 * archive_block_peek() trust a header without the rest; zstd's checksum
 * covers the content as the decoder returns it; each header field is
 * checked against the content it describes; a frame without zstd's
 * checksum, with a dictionary, or with bytes after it is refused. zstd's
 * checksum alone would not do: some bits of a frame change nothing in the
 * content, and 17 to 27 of the single-bit flips of each small block tried
 * went unnoticed. Nothing is allocated for a header that claims more than
 * ARCHIVE_BLOCK_MAX_RAW bytes or ARCHIVE_BLOCK_MAX_RECORDS records, nor
 * for one that its zstd frame's header contradicts.
 *
 * The codec is pure (no files, no SQLite, no logging) and the only place
 * that includes <zstd.h> (and <zlib.h>, for its CRC-32 alone).
 *
 * Memory: struct archive_block is a workspace that archive_block_new()
 * allocates and archive_block_free() releases (NULL is accepted): zstd's
 * contexts and buffers that grow to the largest block seen and are reused,
 * so that packing and unpacking in a loop allocates nothing once warm. It
 * has separate buffers for packing and unpacking: the block that
 * archive_block_pack() returns is borrowed from the workspace until its
 * next pack, and the records that archive_block_unpack() returns (and the
 * bytes they point to) until its next unpack, so records just unpacked can
 * be packed again with the same workspace. Records given to pack are
 * borrowed for the call only. One workspace serves one thread at a time.
 */
#ifndef ARCHIVE_BLOCK_H
#define ARCHIVE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#define ARCHIVE_BLOCK_VERSION	1
#define ARCHIVE_BLOCK_HEADER	40
/* Bounds every unpack allocates within: 64 MiB of content, 3 MiB of records. */
#define ARCHIVE_BLOCK_MAX_RAW	(64 * 1024 * 1024)
#define ARCHIVE_BLOCK_MAX_RECORDS 65536
/*
 * A record takes at most subject_len + payload_len + this many bytes of
 * content (two 10-byte varints, two 4-byte lengths below 64 MiB, two 0
 * bytes): records whose sum stays within ARCHIVE_BLOCK_MAX_RAW always pack.
 */
#define ARCHIVE_BLOCK_REC_OVERHEAD 30

/*
 * The defaults, measured with `make bench-blocks` (tests/bench/blocks.c:
 * 300,000 events of gen.c, 277 bytes of subject and payload on average;
 * ratio = those bytes / block bytes; pack in MB/s of those bytes, the best
 * of three passes on one core of this shared 2-core machine, where speeds
 * vary by a third from run to run; ratios do not):
 *
 *	block	level 1		level 3		level 6		level 9
 *	64 KiB	5.77x 330-470	5.62x 315-420	5.79x 130-140	6.11x 85
 *	256 KiB	6.11x 370-510	5.57x 280-390	6.42x  85-130	6.51x 55-70
 *	1 MiB	6.39x 425-595	5.84x 250-360	6.40x 130-135	6.92x 75-85
 *
 * Unpacking runs at 3-6 million records/s whatever the level or size.
 * Level 1 packs these small JSON events smaller than level 3, and 3-5
 * times faster than 6 or 9: at the catch-up rate (about 33,000 events/s,
 * 9 MB/s) it takes about 2% of the worker's time, level 6 7-11%, level 9
 * 11-17%, against 15% for the whole archive. 256 KiB (about 950 events)
 * holds the ratio above the 5x target with 20% to spare for the archive's
 * own overhead, in a 1.7 MiB workspace; 1 MiB gains 5% for 5 MiB of
 * workspace and four times the uncompressed tail.
 */
#define ARCHIVE_BLOCK_LEVEL	1
#define ARCHIVE_BLOCK_TARGET_RAW (256 * 1024)

/* One message. subject and payload may be NULL when their length is 0. */
struct archive_rec {
	uint64_t	 seq;		/* stream sequence */
	int64_t		 stored_ms;	/* stored time, ms since the epoch */
	const char	*subject;
	size_t		 subject_len;
	const char	*payload;
	size_t		 payload_len;
};

/* What a block's header says, checked against its own checksum only. */
struct archive_block_info {
	uint64_t	first_seq;
	uint64_t	last_seq;
	size_t		count;		/* records */
	size_t		raw_len;	/* uncompressed content */
	uint32_t	frame_crc;	/* CRC-32 of the frame, for unpack */
};

struct archive_block;

int	archive_block_new(struct archive_block **out, char *err, size_t errlen);
void	archive_block_free(struct archive_block *b);
int	archive_block_pack(struct archive_block *b,
	    const struct archive_rec *recs, size_t n, int level,
	    const void **out, size_t *outlen, char *err, size_t errlen);
int	archive_block_unpack(struct archive_block *b, const void *data,
	    size_t len, const struct archive_rec **recs, size_t *n,
	    char *err, size_t errlen);
int	archive_block_peek(const void *data, size_t len,
	    struct archive_block_info *info, char *err, size_t errlen);
size_t	archive_block_footprint(const struct archive_block *b);

#endif /* ARCHIVE_BLOCK_H */
