/*
 * fuzz_archive.c: any bytes as an archive block, and as records packed
 * into one (see fuzz.h for the records' format).
 *
 * What must hold for every input (archive_block.h):
 * - the bytes unpacked as a block never crash, leak or read out of bounds:
 *   unpack fails with a reason, or returns records that keep the format's
 *   promises (1 to ARCHIVE_BLOCK_MAX_RECORDS of them, sequences increasing
 *   over the range peek reads in the header, a 0 byte after each subject
 *   and payload) and that pack and unpack again to the same records;
 * - the same with both CRCs of the bytes recomputed, so that mutations get
 *   past the checksums to the frame checks and zstd (a fuzzer cannot forge
 *   a CRC by itself);
 * - the same for a block forged around the bytes as its content, with every
 *   checksum right (tests/support/zframe.h), so that mutations reach the
 *   content's decoder too (zstd's XXH64 keeps them from it otherwise);
 * - the bytes read as records pack, peek and unpack to exactly those
 *   records, and that block cut short by one byte, or with one byte flipped
 *   (which one and how come from the input), is refused.
 *
 * With FUZZ_ARCHIVE_BLOCKS set to a folder, each block packed from records
 * is also written there as block-CRC, which is how the block seeds of
 * tests/fuzz/corpus/archive/ were made from its record seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "archive_block.h"
#include "fuzz.h"
#include "zframe.h"

/* [0] unpacks the input, [1] unpacks what [0] packs, to compare. */
static struct archive_block *fuzz_archive_ws[2];
static struct archive_rec *fuzz_archive_recs;	/* records read from it */
static size_t	fuzz_archive_recs_cap;

/* Says which promise broke, and aborts: a crash for libFuzzer. */
static void __attribute__((noreturn))
fuzz_archive_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_archive: %s: %s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

static void
fuzz_archive_init(void)
{
	char err[256];
	int i;

	for (i = 0; i < 2; i++)
		if (fuzz_archive_ws[i] == NULL &&
		    archive_block_new(&fuzz_archive_ws[i], err,
		    sizeof(err)) == -1)
			fuzz_archive_fail("archive_block_new", err);
}

/* Makes *buf hold at least need elements of size bytes. */
static void
fuzz_archive_grow(void **buf, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return;
	free(*buf);
	if ((*buf = calloc(need, size)) == NULL)
		fuzz_archive_fail("calloc", "out of memory");
	*cap = need;
}

static uint32_t
fuzz_archive_crc(const unsigned char *p, size_t len)
{
	return (uint32_t)crc32_z(0, p, len);
}

static void
fuzz_archive_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
fuzz_archive_same(const char *what, const struct archive_rec *got, size_t ngot,
    const struct archive_rec *want, size_t nwant)
{
	size_t i;

	if (ngot != nwant)
		fuzz_archive_fail(what, "another number of records");
	for (i = 0; i < nwant; i++)
		if (got[i].seq != want[i].seq ||
		    got[i].stored_ms != want[i].stored_ms ||
		    got[i].subject_len != want[i].subject_len ||
		    got[i].payload_len != want[i].payload_len ||
		    (want[i].subject_len > 0 && memcmp(got[i].subject,
		    want[i].subject, want[i].subject_len) != 0) ||
		    (want[i].payload_len > 0 && memcmp(got[i].payload,
		    want[i].payload, want[i].payload_len) != 0))
			fuzz_archive_fail(what, "a record differs");
}

/*
 * Records that unpack returned: check the format's promises, then pack them
 * with [0] (its pack buffers are not the ones they point into) and unpack
 * with [1]: the same records must come back.
 */
static void
fuzz_archive_check_unpacked(const void *data, size_t len,
    const struct archive_rec *recs, size_t n)
{
	const struct archive_rec *again;
	struct archive_block_info info;
	const void *blk;
	size_t i, nagain, blen;
	char err[256];

	if (archive_block_peek(data, len, &info, err, sizeof(err)) == -1)
		fuzz_archive_fail("peek refuses a block unpack took", err);
	if (n == 0 || n > ARCHIVE_BLOCK_MAX_RECORDS || n != info.count ||
	    recs[0].seq != info.first_seq || recs[n - 1].seq != info.last_seq)
		fuzz_archive_fail("unpack", "records disagree with the header");
	for (i = 0; i < n; i++) {
		if (i > 0 && recs[i].seq <= recs[i - 1].seq)
			fuzz_archive_fail("unpack",
			    "sequences do not increase");
		if (recs[i].subject[recs[i].subject_len] != '\0' ||
		    recs[i].payload[recs[i].payload_len] != '\0')
			fuzz_archive_fail("unpack",
			    "a field without its 0 byte");
	}
	if (archive_block_pack(fuzz_archive_ws[0], recs, n,
	    ARCHIVE_BLOCK_LEVEL, &blk, &blen, err, sizeof(err)) == -1)
		fuzz_archive_fail("pack refuses records unpack returned", err);
	if (archive_block_unpack(fuzz_archive_ws[1], blk, blen, &again, &nagain,
	    err, sizeof(err)) == -1)
		fuzz_archive_fail("unpack refuses what pack made", err);
	fuzz_archive_same("unpacked, packed and unpacked", again, nagain, recs,
	    n);
}

/* The input as a block: as it is, then with both CRCs made right. */
static void
fuzz_archive_as_block(const uint8_t *data, size_t size)
{
	const struct archive_rec *recs;
	unsigned char *copy;
	size_t n;
	char err[256];

	err[0] = '\0';
	if (archive_block_unpack(fuzz_archive_ws[0], data, size, &recs, &n, err,
	    sizeof(err)) == 0)
		fuzz_archive_check_unpacked(data, size, recs, n);
	else if (err[0] == '\0')
		fuzz_archive_fail("unpack", "refused without a reason");
	if (size < ARCHIVE_BLOCK_HEADER)
		return;

	/* Exactly size bytes, so that ASan sees any read past them. */
	if ((copy = malloc(size)) == NULL)
		fuzz_archive_fail("malloc", "out of memory");
	memcpy(copy, data, size);
	fuzz_archive_put32(copy + 32, fuzz_archive_crc(copy +
	    ARCHIVE_BLOCK_HEADER, size - ARCHIVE_BLOCK_HEADER));
	fuzz_archive_put32(copy + 36, fuzz_archive_crc(copy, 36));
	err[0] = '\0';
	if (archive_block_unpack(fuzz_archive_ws[0], copy, size, &recs, &n, err,
	    sizeof(err)) == 0)
		fuzz_archive_check_unpacked(copy, size, recs, n);
	else if (err[0] == '\0')
		fuzz_archive_fail("unpack", "refused without a reason");
	free(copy);
}

/*
 * The input as content: its first 2 bytes give the header's count (less
 * one), the next 16 its first and last sequences (little-endian), the rest
 * is the content, in a forged block whose checksums all hold.
 */
static void
fuzz_archive_as_content(const uint8_t *data, size_t size)
{
	const struct archive_rec *recs;
	unsigned char *blk;
	uint64_t first = 0, last = 0;
	size_t n, len, cap;
	char err[256];
	int i;

	if (size < 18 || size - 18 > ZFRAME_MAX_CONTENT)
		return;
	for (i = 7; i >= 0; i--) {
		first = first << 8 | data[2 + i];
		last = last << 8 | data[10 + i];
	}
	cap = size - 18 + ZFRAME_OVERHEAD;
	if ((blk = malloc(cap)) == NULL)
		fuzz_archive_fail("malloc", "out of memory");
	len = zframe_block(blk, cap, data + 18, size - 18,
	    (uint32_t)(data[0] | data[1] << 8) + 1, first, last);
	if (len == 0)
		fuzz_archive_fail("zframe_block", "no room");
	err[0] = '\0';
	if (archive_block_unpack(fuzz_archive_ws[0], blk, len, &recs, &n, err,
	    sizeof(err)) == 0)
		fuzz_archive_check_unpacked(blk, len, recs, n);
	else if (err[0] == '\0')
		fuzz_archive_fail("unpack", "refused without a reason");
	free(blk);
}

/* Where the separator is in p (len bytes), or NULL. */
static const uint8_t *
fuzz_archive_sep(const uint8_t *p, size_t len)
{
	size_t k = sizeof(FUZZ_ARCHIVE_SEPARATOR) - 1;

	return len < k ? NULL : memmem(p, len, FUZZ_ARCHIVE_SEPARATOR, k);
}

/* Reads records in the format of fuzz.h; returns how many. */
static size_t
fuzz_archive_read(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *next, *nl;
	size_t n = 0, max = size / (sizeof(FUZZ_ARCHIVE_SEPARATOR) - 1) + 1;
	uint64_t seq = 0, gap, ms = 0;

	fuzz_archive_grow((void **)&fuzz_archive_recs, &fuzz_archive_recs_cap,
	    max, sizeof(*fuzz_archive_recs));
	for (;;) {
		struct archive_rec *r = &fuzz_archive_recs[n];
		size_t len;
		uint8_t g = 0, t = 0;

		next = fuzz_archive_sep(p, (size_t)(end - p));
		len = (size_t)((next != NULL ? next : end) - p);
		if (len > 0)
			g = p[0];
		if (len > 1)
			t = p[1];
		gap = g < 0xf0 ? (uint64_t)g + 1 :
		    ((uint64_t)1 << (4 * (g - 0xf0))) + 1;
		if (gap > UINT64_MAX - seq || n == ARCHIVE_BLOCK_MAX_RECORDS)
			break;
		seq += gap;
		/* Times: seconds back and forth, and both ends of int64. */
		if (t == 0x7f)
			ms = (uint64_t)INT64_MAX;
		else if (t == 0x80)
			ms = (uint64_t)INT64_MIN;
		else
			ms += (uint64_t)(int64_t)(int8_t)t * 1000;
		r->seq = seq;
		r->stored_ms = (int64_t)ms;
		p += len < 2 ? len : 2;
		len -= len < 2 ? len : 2;
		nl = memchr(p, '\n', len);
		r->subject = (const char *)p;
		r->subject_len = nl != NULL ? (size_t)(nl - p) : len;
		r->payload = nl != NULL ? (const char *)nl + 1 : NULL;
		r->payload_len = nl != NULL ? len - r->subject_len - 1 : 0;
		n++;
		if (next == NULL)
			break;
		p = next + sizeof(FUZZ_ARCHIVE_SEPARATOR) - 1;
	}
	return n;
}

/* Writes blk to $FUZZ_ARCHIVE_BLOCKS/block-CRC, when that is set. */
static void
fuzz_archive_keep(const void *blk, size_t len)
{
	const char *dir = getenv("FUZZ_ARCHIVE_BLOCKS");
	char path[4096];
	FILE *f;

	if (dir == NULL || *dir == '\0')
		return;
	snprintf(path, sizeof(path), "%s/block-%08x", dir,
	    fuzz_archive_crc(blk, len));
	if ((f = fopen(path, "wb")) == NULL || fwrite(blk, 1, len, f) != len ||
	    fclose(f) != 0)
		fuzz_archive_fail("cannot write", path);
}

/* The input as records: they pack and unpack exactly; damage is refused. */
static void
fuzz_archive_as_records(const uint8_t *data, size_t size)
{
	const struct archive_rec *got;
	struct archive_block_info info;
	const void *blk;
	unsigned char *copy;
	size_t n, ngot, len, at;
	uint32_t h;
	char err[256];
	int level;

	n = fuzz_archive_read(data, size);
	h = fuzz_archive_crc(data, size);
	level = h % 4 == 0 ? 3 : ARCHIVE_BLOCK_LEVEL;
	if (archive_block_pack(fuzz_archive_ws[0], fuzz_archive_recs, n, level,
	    &blk, &len, err, sizeof(err)) == -1)
		fuzz_archive_fail("pack refuses records", err);
	fuzz_archive_keep(blk, len);
	if (archive_block_peek(blk, len, &info, err, sizeof(err)) == -1)
		fuzz_archive_fail("peek refuses what pack made", err);
	if (info.count != n || info.first_seq != fuzz_archive_recs[0].seq ||
	    info.last_seq != fuzz_archive_recs[n - 1].seq)
		fuzz_archive_fail("peek",
		    "the header disagrees with the records");
	if (archive_block_unpack(fuzz_archive_ws[1], blk, len, &got, &ngot, err,
	    sizeof(err)) == -1)
		fuzz_archive_fail("unpack refuses what pack made", err);
	fuzz_archive_same("packed and unpacked", got, ngot, fuzz_archive_recs,
	    n);

	/* Damaged copies, in memory of their exact size. */
	if ((copy = malloc(len)) == NULL)
		fuzz_archive_fail("malloc", "out of memory");
	memcpy(copy, blk, len);
	if (archive_block_unpack(fuzz_archive_ws[1], copy, len - 1, &got, &ngot,
	    err, sizeof(err)) == 0)
		fuzz_archive_fail("unpack", "took a block cut by one byte");
	at = (h >> 3) % len;
	copy[at] ^= (unsigned char)(1u << (h & 7));
	if (archive_block_unpack(fuzz_archive_ws[1], copy, len, &got, &ngot,
	    err, sizeof(err)) == 0)
		fuzz_archive_fail("unpack", "took a block with a flipped bit");
	free(copy);
}

/*
 * Runs one input each way (see the header comment). Aborts when something
 * does not hold.
 */
void
fuzz_archive_one(const uint8_t *data, size_t size)
{
	fuzz_archive_init();
	fuzz_archive_as_block(data, size);
	fuzz_archive_as_content(data, size);
	fuzz_archive_as_records(data, size);
}

/* Frees what the harness keeps between inputs. */
void
fuzz_archive_release(void)
{
	archive_block_free(fuzz_archive_ws[0]);
	archive_block_free(fuzz_archive_ws[1]);
	fuzz_archive_ws[0] = fuzz_archive_ws[1] = NULL;
	free(fuzz_archive_recs);
	fuzz_archive_recs = NULL;
	fuzz_archive_recs_cap = 0;
}
