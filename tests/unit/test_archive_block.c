/*
 * test_archive_block.c: the archive's block codec (archive_block.h): what
 * is packed unpacks to the same records, whatever bytes they hold; every
 * damage to a block (any flipped byte, any cut, bytes appended, a header
 * that lies about its content with a valid checksum, a foreign magic or
 * version, a claim beyond the bounds) is refused with a reason and never
 * yields records; and a warm workspace allocates nothing more.
 *
 * The header's checksum (CRC-32 of its first 36 bytes) is computed here
 * again, bit by bit from the polynomial, to forge headers that pass it;
 * zframe.h forges whole blocks around content that no packer writes, to
 * test the content's decoder past every checksum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_block.h"
#include "zframe.h"

/* Records and the bytes they point to, owned together. */
struct recs {
	struct archive_rec	*r;
	size_t			 n;
	char			*bytes;
};

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * n records shaped like the benchmark's events (a subject with ids, a JSON
 * payload with numbers), sequences from first with gaps of up to gap - 1,
 * times 0-19 ms apart. With raw set, one payload in four is random bytes
 * (NUL included), which zstd stores rather than compresses.
 */
static struct recs
make_recs(size_t n, uint64_t first, unsigned gap, uint64_t seed, int raw)
{
	static const char *const kind[] = { "hit", "connected", "chatted",
	    "gathered" };
	struct recs rs;
	uint64_t s = seed, seq = first;
	int64_t ms = 1793534400000LL;
	size_t i, k, at = 0;

	rs.n = n;
	rs.r = calloc(n, sizeof(*rs.r));
	rs.bytes = malloc(n * 512 + 1);
	assert_non_null(rs.r);
	assert_non_null(rs.bytes);
	for (i = 0; i < n; i++) {
		struct archive_rec *r = &rs.r[i];
		int len;

		r->seq = seq;
		seq += 1 + (gap > 1 ? rnd(&s) % gap : 0);
		r->stored_ms = ms;
		ms += (int64_t)(rnd(&s) % 20);
		r->subject = rs.bytes + at;
		len = snprintf(rs.bytes + at, 160, "v0.rust.servers.%d.players."
		    "7656119800000%04d.events.%s", 101 + (int)(rnd(&s) % 40),
		    (int)(rnd(&s) % 5000), kind[rnd(&s) % 4]);
		r->subject_len = (size_t)len;
		at += (size_t)len;
		r->payload = rs.bytes + at;
		if (raw && rnd(&s) % 4 == 0) {
			r->payload_len = 64 + rnd(&s) % 200;
			for (k = 0; k < r->payload_len; k++)
				rs.bytes[at + k] = (char)rnd(&s);
		} else {
			len = snprintf(rs.bytes + at, 300, "{\"timestamp\":"
			    "\"2026-11-01T12:%02d:%02d.%03dZ\",\"damage\":%.4f,"
			    "\"pos\":[%.3f,%.3f,%.3f]}", (int)(rnd(&s) % 60),
			    (int)(rnd(&s) % 60), (int)(rnd(&s) % 1000),
			    (double)(rnd(&s) % 100000) / 1000,
			    (double)(rnd(&s) % 2000000) / 1000 - 1000,
			    (double)(rnd(&s) % 40000) / 1000,
			    (double)(rnd(&s) % 2000000) / 1000 - 1000);
			r->payload_len = (size_t)len;
		}
		at += r->payload_len;
	}
	return rs;
}

static void
free_recs(struct recs *rs)
{
	free(rs->r);
	free(rs->bytes);
}

static struct archive_block *
new_block(void)
{
	struct archive_block *b = NULL;
	char err[256];

	if (archive_block_new(&b, err, sizeof(err)) == -1)
		fail_msg("archive_block_new: %s", err);
	assert_non_null(b);
	return b;
}

/* Packs recs at the default level; the block is b's until its next pack. */
static const unsigned char *
pack_ok(struct archive_block *b, const struct archive_rec *recs, size_t n,
    size_t *len)
{
	const void *out = NULL;
	char err[256];

	if (archive_block_pack(b, recs, n, ARCHIVE_BLOCK_LEVEL, &out, len, err,
	    sizeof(err)) == -1)
		fail_msg("pack refused: %s", err);
	assert_non_null(out);
	return out;
}

/* Packs a copy of the block into memory the test owns. */
static unsigned char *
pack_copy(struct archive_block *b, const struct recs *rs, size_t *len)
{
	const unsigned char *out = pack_ok(b, rs->r, rs->n, len);
	unsigned char *copy = malloc(*len);

	assert_non_null(copy);
	memcpy(copy, out, *len);
	return copy;
}

static void
assert_same(const struct archive_rec *got, size_t ngot,
    const struct archive_rec *want, size_t nwant)
{
	size_t i;

	assert_int_equal(ngot, nwant);
	for (i = 0; i < nwant; i++) {
		assert_int_equal(got[i].seq, want[i].seq);
		assert_int_equal(got[i].stored_ms, want[i].stored_ms);
		assert_int_equal(got[i].subject_len, want[i].subject_len);
		assert_int_equal(got[i].payload_len, want[i].payload_len);
		assert_memory_equal(got[i].subject, want[i].subject ?
		    want[i].subject : "", want[i].subject_len);
		assert_memory_equal(got[i].payload, want[i].payload ?
		    want[i].payload : "", want[i].payload_len);
		/* The promised 0 bytes: C strings when they hold no NUL. */
		assert_int_equal(got[i].subject[got[i].subject_len], 0);
		assert_int_equal(got[i].payload[got[i].payload_len], 0);
	}
}

/* Packs, peeks and unpacks recs with b; they must come back the same. */
static void
round_trip(struct archive_block *b, const struct archive_rec *recs, size_t n)
{
	const struct archive_rec *got = NULL;
	struct archive_block_info info;
	const unsigned char *blk;
	size_t len, ngot = 0;
	char err[256];

	blk = pack_ok(b, recs, n, &len);
	if (archive_block_peek(blk, len, &info, err, sizeof(err)) == -1)
		fail_msg("peek refused: %s", err);
	assert_int_equal(info.count, n);
	assert_int_equal(info.first_seq, recs[0].seq);
	assert_int_equal(info.last_seq, recs[n - 1].seq);
	assert_true(info.raw_len >= n * 6);
	if (archive_block_unpack(b, blk, len, &got, &ngot, err,
	    sizeof(err)) == -1)
		fail_msg("unpack refused: %s", err);
	assert_same(got, ngot, recs, n);
}

/*
 * Unpacks len bytes, which must be refused: the out-parameters stay
 * untouched and err says something (containing want, when given).
 * Returns whether peek refused them too.
 */
static int
unpack_fails(struct archive_block *b, const void *data, size_t len,
    const char *want)
{
	const struct archive_rec *sentinel = (const void *)&sentinel;
	const struct archive_rec *got = sentinel;
	struct archive_block_info info;
	size_t ngot = 12345;
	char err[256] = "";

	if (archive_block_unpack(b, data, len, &got, &ngot, err,
	    sizeof(err)) != -1)
		fail_msg("a damaged block was unpacked (%zu bytes)", len);
	assert_ptr_equal(got, sentinel);
	assert_int_equal(ngot, 12345);
	assert_true(err[0] != '\0');
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	return archive_block_peek(data, len, &info, err, sizeof(err)) == -1;
}

/* Packing recs must be refused with a reason containing want. */
static void
pack_fails(struct archive_block *b, const struct archive_rec *recs, size_t n,
    int level, const char *want)
{
	const void *out = (const void *)&out;
	size_t len = 12345;
	char err[256] = "";

	assert_int_equal(archive_block_pack(b, recs, n, level, &out, &len, err,
	    sizeof(err)), -1);
	assert_ptr_equal(out, (const void *)&out);
	assert_int_equal(len, 12345);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
}

/* CRC-32 (reflected, polynomial 0xedb88320), as zlib computes it. */
static uint32_t
crc32_bits(const unsigned char *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void
put_le(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the header's checksum, so that a lie passes peek's check. */
static void
reseal(unsigned char *blk)
{
	put_le(blk + 36, crc32_bits(blk, 36), 4);
}

static void
test_one_record(void **state)
{
	struct archive_block *b = new_block();
	struct archive_rec r = { 42, 1793534400123LL, "a.b", 3, "{}", 2 };
	struct archive_block_info info;
	const unsigned char *blk;
	size_t len;
	char err[256];

	(void)state;
	round_trip(b, &r, 1);
	blk = pack_ok(b, &r, 1, &len);
	assert_memory_equal(blk, "PJAB", 4);
	assert_int_equal(blk[4], ARCHIVE_BLOCK_VERSION);
	/* The checksums are plain CRC-32s, checkable with any tool. */
	assert_int_equal(blk[36] | blk[37] << 8 | blk[38] << 16 |
	    (uint32_t)blk[39] << 24, crc32_bits(blk, 36));
	assert_int_equal(blk[32] | blk[33] << 8 | blk[34] << 16 |
	    (uint32_t)blk[35] << 24, crc32_bits(blk + ARCHIVE_BLOCK_HEADER,
	    len - ARCHIVE_BLOCK_HEADER));
	assert_int_equal(archive_block_peek(blk, len, &info, err, sizeof(err)),
	    0);
	assert_int_equal(info.first_seq, 42);
	assert_int_equal(info.last_seq, 42);
	assert_int_equal(info.count, 1);
	archive_block_free(b);
}

/* Thousands of records, with and without gaps in their sequences. */
static void
test_many(void **state)
{
	struct archive_block *b = new_block();
	struct recs rs;

	(void)state;
	rs = make_recs(5000, 1, 1, 1, 0);
	round_trip(b, rs.r, rs.n);
	free_recs(&rs);
	rs = make_recs(5000, 1000, 7, 2, 1);
	round_trip(b, rs.r, rs.n);
	free_recs(&rs);
	/* The most a block holds. */
	rs = make_recs(ARCHIVE_BLOCK_MAX_RECORDS, 1, 1, 3, 0);
	round_trip(b, rs.r, rs.n);
	free_recs(&rs);
	archive_block_free(b);
}

/* Empty subjects and payloads, NULL or not; bytes that are all NUL. */
static void
test_odd_bytes(void **state)
{
	static const char nul[5] = { 0, 0, 0, 0, 0 };
	static const char all[4] = { 0, (char)0xff, '\n', (char)0x80 };
	struct archive_rec r[] = {
		{ 1, 0, NULL, 0, NULL, 0 },
		{ 2, 0, "", 0, "", 0 },
		{ 3, -1, nul, 5, nul, 5 },
		{ 4, 5, all, 4, all, 4 },
		{ 5, 6, "x", 1, NULL, 0 },
		{ 6, 7, NULL, 0, "y", 1 },
	};
	struct archive_block *b = new_block();
	size_t i;

	(void)state;
	round_trip(b, r, sizeof(r) / sizeof(r[0]));
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		round_trip(b, &r[i], 1);
	archive_block_free(b);
}

/* Sequences and times at the ends of their ranges, time going backwards. */
static void
test_extremes(void **state)
{
	struct archive_rec r[] = {
		{ 0, INT64_MAX, "a", 1, "1", 1 },
		{ 1, INT64_MIN, "b", 1, "2", 1 },
		{ (uint64_t)1 << 63, 0, "c", 1, "3", 1 },
		{ UINT64_MAX - 1, INT64_MAX, "d", 1, "4", 1 },
		{ UINT64_MAX, -1, "e", 1, "5", 1 },
	};
	struct archive_block *b = new_block();

	(void)state;
	round_trip(b, r, 5);
	round_trip(b, r + 4, 1);
	round_trip(b, r + 1, 3);
	archive_block_free(b);
}

/* Payloads of 1 MiB: random (stored by zstd) and repetitive. */
static void
test_large_payloads(void **state)
{
	size_t big = 1024 * 1024, i;
	char *rand_bytes = malloc(big), *same = malloc(big);
	struct archive_block *b = new_block();
	uint64_t s = 9;
	struct archive_rec r[3];

	(void)state;
	assert_non_null(rand_bytes);
	assert_non_null(same);
	for (i = 0; i < big; i++)
		rand_bytes[i] = (char)rnd(&s);
	memset(same, 'x', big);
	memset(r, 0, sizeof(r));
	r[0] = (struct archive_rec){ 10, 1, "big.random", 10, rand_bytes, big };
	r[1] = (struct archive_rec){ 11, 2, "big.same", 8, same, big };
	r[2] = (struct archive_rec){ 13, 3, "small", 5, "{}", 2 };
	round_trip(b, r, 3);
	round_trip(b, r, 1);
	archive_block_free(b);
	free(rand_bytes);
	free(same);
}

/* What pack refuses, and why. */
static void
test_pack_refuses(void **state)
{
	struct archive_block *b = new_block();
	struct archive_rec r[3] = {
		{ 5, 0, "a", 1, "1", 1 },
		{ 5, 0, "b", 1, "2", 1 },
		{ 4, 0, "c", 1, "3", 1 },
	};
	struct recs rs;

	(void)state;
	pack_fails(b, r, 0, ARCHIVE_BLOCK_LEVEL, "a block holds 1 to");
	pack_fails(b, r, 2, ARCHIVE_BLOCK_LEVEL,
	    "record 1: sequence 5 does not follow 5");
	r[1].seq = 6;
	pack_fails(b, r, 3, ARCHIVE_BLOCK_LEVEL,
	    "record 2: sequence 4 does not follow 6");
	pack_fails(b, r, 2, 0, "zstd level 0");
	pack_fails(b, r, 2, 100, "zstd level 100");
	r[1].subject = NULL;
	pack_fails(b, r, 2, ARCHIVE_BLOCK_LEVEL,
	    "record 1 (sequence 6): a NULL");
	r[1].subject = "b";
	r[1].payload = NULL;
	pack_fails(b, r, 2, ARCHIVE_BLOCK_LEVEL,
	    "record 1 (sequence 6): a NULL");
	r[1].payload = "2";

	/* Too large: refused before a byte of them is read. */
	r[1].payload_len = ARCHIVE_BLOCK_MAX_RAW + 1;
	pack_fails(b, r, 2, ARCHIVE_BLOCK_LEVEL, "records 0-1 (sequences 5-6) "
	    "take more than");
	r[0].payload_len = ARCHIVE_BLOCK_MAX_RAW / 2;
	r[1].payload_len = ARCHIVE_BLOCK_MAX_RAW / 2;
	pack_fails(b, r, 2, ARCHIVE_BLOCK_LEVEL, "records 0-1");
	r[0].payload_len = r[1].payload_len = 1;
	round_trip(b, r, 2);

	rs = make_recs(ARCHIVE_BLOCK_MAX_RECORDS + 1, 1, 1, 4, 0);
	pack_fails(b, rs.r, rs.n, ARCHIVE_BLOCK_LEVEL, "65537 records");
	free_recs(&rs);
	archive_block_free(b);
}

/*
 * Flips each byte of blk in turn (with one bit, moving through the eight,
 * and with all of them): every one must be refused. Flips in the header
 * must be refused by peek too. Returns how many flips were tried.
 */
static size_t
flip_each_byte(struct archive_block *b, unsigned char *blk, size_t len)
{
	static const unsigned char mask[] = { 0, 0xff };
	size_t i, m, tried = 0;

	for (i = 0; i < len; i++)
		for (m = 0; m < 2; m++) {
			unsigned char x = mask[m] != 0 ? mask[m] :
			    (unsigned char)(1u << (i % 8));
			int peek_refused;

			blk[i] ^= x;
			peek_refused = unpack_fails(b, blk, len, NULL);
			if (i < ARCHIVE_BLOCK_HEADER && !peek_refused)
				fail_msg("peek took a header flipped at %zu",
				    i);
			blk[i] ^= x;
			tried++;
		}
	return tried;
}

static void
test_every_byte_flip(void **state)
{
	struct archive_block *b = new_block();
	const struct archive_rec *got;
	unsigned char *blk;
	size_t len, n;
	struct recs rs;
	char err[256];

	(void)state;
	/* A block of 2 KB; then one with bytes that zstd stores as they are. */
	rs = make_recs(60, 1, 1, 5, 0);
	blk = pack_copy(b, &rs, &len);
	assert_true(flip_each_byte(b, blk, len) == 2 * len);
	/* Undamaged after all that, and the workspace still works. */
	assert_int_equal(archive_block_unpack(b, blk, len, &got, &n, err,
	    sizeof(err)), 0);
	assert_same(got, n, rs.r, rs.n);
	free(blk);
	free_recs(&rs);

	rs = make_recs(20, 7, 5, 6, 1);
	blk = pack_copy(b, &rs, &len);
	flip_each_byte(b, blk, len);
	free(blk);
	free_recs(&rs);
	archive_block_free(b);
}

/* Every single bit of small blocks. */
static void
test_every_bit_flip(void **state)
{
	struct archive_rec r[] = {
		{ 100, 1793534400000LL, "v0.rust.servers.1.events.started", 32,
		    "{\"timestamp\":\"2026-11-01T12:00:00.000Z\"}", 40 },
		{ 102, 1793534400007LL, "x", 1, "", 0 },
	};
	struct archive_block *b = new_block();
	unsigned char *blk;
	const unsigned char *out;
	size_t len, i, k, nrec;

	(void)state;
	for (nrec = 1; nrec <= 2; nrec++) {
		out = pack_ok(b, r, nrec, &len);
		blk = malloc(len);
		assert_non_null(blk);
		memcpy(blk, out, len);
		for (i = 0; i < len; i++)
			for (k = 0; k < 8; k++) {
				blk[i] ^= (unsigned char)(1u << k);
				unpack_fails(b, blk, len, NULL);
				blk[i] ^= (unsigned char)(1u << k);
			}
		free(blk);
	}
	archive_block_free(b);
}

/* A block cut at every length, and one with bytes after it. */
static void
test_truncated_and_appended(void **state)
{
	struct archive_block *b = new_block();
	unsigned char *blk, *twice;
	size_t len, i;
	struct recs rs;

	(void)state;
	rs = make_recs(100, 1, 1, 7, 1);
	blk = pack_copy(b, &rs, &len);
	for (i = 0; i < len; i++)
		unpack_fails(b, blk, i, NULL);
	unpack_fails(b, blk, 0, "0 bytes, shorter than a block's 40-byte "
	    "header");
	unpack_fails(b, NULL, 0, "shorter");

	/* One byte more; the block's own frame twice. */
	twice = malloc(2 * len);
	assert_non_null(twice);
	memcpy(twice, blk, len);
	twice[len] = 0;
	unpack_fails(b, twice, len + 1, "1 bytes follow the zstd frame");
	memcpy(twice + len, blk + ARCHIVE_BLOCK_HEADER,
	    len - ARCHIVE_BLOCK_HEADER);
	unpack_fails(b, twice, 2 * len - ARCHIVE_BLOCK_HEADER,
	    "bytes follow the zstd frame");
	free(twice);
	free(blk);
	free_recs(&rs);
	archive_block_free(b);
}

/*
 * Headers that lie about their content under a valid checksum: peek takes
 * the plausible ones, unpack refuses every one, saying which field.
 */
static void
test_header_lies(void **state)
{
	static const struct {
		int		 at, bytes;
		int64_t		 delta;
		int		 peek_ok;
		const char	*want;
	} lie[] = {
		{ 8, 4, 1, 1, "the content holds 3 records, the header says "
		    "4" },
		{ 8, 4, -1, 1, "the content holds more than the header's 2" },
		{ 12, 4, 1, 1, "the zstd frame holds" },
		{ 12, 4, -1, 1, "the zstd frame holds" },
		{ 16, 8, 1, 1, "the content holds sequences 10-30, the header "
		    "says 11-30" },
		{ 16, 8, -1, 1, "the header says 9-30" },
		{ 24, 8, 1, 1, "the header says 10-31" },
		{ 24, 8, -1, 1, "the header says 10-29" },
		{ 24, 8, -21, 0, "cannot hold 3 records" },
		{ 16, 8, 19, 0, "cannot hold 3 records" },
		{ 8, 4, -3, 0, "the header claims 0 records" },
		{ 8, 4, 30, 0, "for 33 records" },
	};
	struct archive_rec r[] = {
		{ 10, 1, "a", 1, "1", 1 },
		{ 20, 2, "b", 1, "2", 1 },
		{ 30, 3, "c", 1, "3", 1 },
	};
	struct archive_block *b = new_block();
	struct archive_block_info info;
	unsigned char *blk;
	const unsigned char *out;
	size_t len, i;
	char err[256];

	(void)state;
	out = pack_ok(b, r, 3, &len);
	blk = malloc(len);
	assert_non_null(blk);
	for (i = 0; i < sizeof(lie) / sizeof(lie[0]); i++) {
		uint64_t v = 0;
		int k;

		memcpy(blk, out, len);
		for (k = 0; k < lie[i].bytes; k++)
			v |= (uint64_t)blk[lie[i].at + k] << (8 * k);
		put_le(blk + lie[i].at, v + (uint64_t)lie[i].delta,
		    lie[i].bytes);
		reseal(blk);
		assert_int_equal(archive_block_peek(blk, len, &info, err,
		    sizeof(err)), lie[i].peek_ok ? 0 : -1);
		unpack_fails(b, blk, len, lie[i].want);
	}
	free(blk);
	archive_block_free(b);
}

/* Another magic, another version, reserved bytes set. */
static void
test_magic_and_version(void **state)
{
	struct archive_rec r = { 1, 1, "a", 1, "1", 1 };
	struct archive_block *b = new_block();
	const unsigned char *out;
	unsigned char *blk;
	size_t len;

	(void)state;
	out = pack_ok(b, &r, 1, &len);
	blk = malloc(len);
	assert_non_null(blk);

	memcpy(blk, out, len);
	memcpy(blk, "PJAC", 4);
	reseal(blk);
	unpack_fails(b, blk, len, "not an archive block");

	memcpy(blk, out, len);
	blk[4] = 2;
	unpack_fails(b, blk, len, "or a format version this build does not "
	    "know");
	reseal(blk);
	unpack_fails(b, blk, len, "format version 2; this build reads "
	    "version 1");

	memcpy(blk, out, len);
	blk[6] = 1;
	reseal(blk);
	unpack_fails(b, blk, len, "reserved bytes are not 0");

	/* A damaged frame with an intact header. */
	memcpy(blk, out, len);
	blk[len - 5] ^= 0x10;
	unpack_fails(b, blk, len, "the compressed data's checksum fails");
	free(blk);
	archive_block_free(b);
}

/* A block forged around content (see zframe.h). */
static size_t
forge(unsigned char *out, const char *content, size_t len, uint32_t count,
    uint64_t first, uint64_t last)
{
	size_t n = zframe_block(out, 4096, (const unsigned char *)content, len,
	    count, first, last);

	assert_true(n > 0);
	return n;
}

/* A string literal's bytes and length, NUL bytes inside included. */
#define BYTES(s)	s, sizeof(s) - 1
/* seq 5 (+0 ms) "ab" "{}"; seq 7 (+1 ms: zigzag 2) "c" "xy". */
#define GOOD		"\x05\x00\x02" "ab\0" "\x02{}\0" \
			"\x02\x02\x01" "c\0" "\x02xy\0"
/* seq 1, a subject of 8 bytes, no payload: room for a broken second. */
#define FIRST		"\x01\x00\x08" "abcdefgh\0" "\x00\0"

/*
 * Content that no packer writes, in blocks whose checksums all hold: the
 * decoder refuses each, saying what is wrong. The first is well formed, to
 * show that the forger writes what the codec reads.
 */
static void
test_content_refusals(void **state)
{
	static const struct {
		const char	*content;
		size_t		 len;
		uint32_t	 count;
		uint64_t	 first, last;
		const char	*want;
	} bad[] = {
		/* Varints cut, of 11 bytes, beyond 64 bits, not shortest. */
		{ BYTES(FIRST "\x80"), 2, 1, 2, "record 1: a sequence that is "
		    "cut, malformed or not increasing" },
		{ BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"
		    "\x00\x00\0\x00\0"), 1, 1, 1, "record 0: a sequence" },
		{ BYTES("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"
		    "\x00\x00\0\x00\0"), 1, 1, 1, "record 0: a sequence" },
		{ BYTES("\x81\x00\x00\x00\0\x00\0"), 1, 1, 1,
		    "record 0: a sequence" },
		{ BYTES("\x01\x80\x00\x00\0\x00\0"), 1, 1, 1,
		    "record 0 (sequence 1): a stored time that is cut or "
		    "malformed" },
		{ BYTES(FIRST "\x01"), 2, 1, 2,
		    "record 1 (sequence 2): a stored time" },
		/* Sequences that do not increase, or overflow. */
		{ BYTES("\x05\x00\x00\0\x00\0" "\x00\x00\x00\0\x00\0"),
		    2, 5, 6, "record 1: a sequence" },
		{ BYTES("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"
		    "\x00\x00\0\x00\0" "\x02\x00\x00\0\x00\0"), 2,
		    UINT64_MAX - 1, UINT64_MAX, "record 1: a sequence" },
		/* Fields past the end, or without their 0 byte. */
		{ BYTES(FIRST "\x01\x00\x05" "ab"), 2, 1, 2, "record 1 "
		    "(sequence 2): a subject or payload that runs past the "
		    "content or lacks its 0 byte" },
		{ BYTES("\x01\x00\x02" "abc" "\x00\0"), 1, 1, 1,
		    "record 0 (sequence 1): a subject or payload" },
		{ BYTES("\x01\x00\x00\0\x02{}"), 1, 1, 1,
		    "record 0 (sequence 1): a subject or payload" },
		{ BYTES("\x01\x00\x00\0\x01}\x01"), 1, 1, 1,
		    "record 0 (sequence 1): a subject or payload" },
		{ BYTES(FIRST "\x01\x00\x00\0"), 2, 1, 2,
		    "record 1 (sequence 2): a subject or payload" },
		/* A record too many, too few, another range, bytes after. */
		{ BYTES(GOOD), 1, 5, 7, "the content holds more than the "
		    "header's 1 records" },
		{ BYTES(GOOD), 3, 5, 7, "the content holds 2 records, the "
		    "header says 3" },
		{ BYTES(GOOD), 2, 4, 7, "the content holds sequences 5-7, the "
		    "header says 4-7" },
		{ BYTES(GOOD), 2, 5, 8, "the header says 5-8" },
		{ BYTES(GOOD "\x02"), 2, 5, 7, "the content holds more than "
		    "the header's 2 records" },
	};
	struct archive_block *b = new_block();
	const struct archive_rec *got;
	unsigned char blk[4096];
	size_t len, n, i;
	char err[256];

	(void)state;
	len = forge(blk, BYTES(GOOD), 2, 5, 7);
	if (archive_block_unpack(b, blk, len, &got, &n, err, sizeof(err)) == -1)
		fail_msg("a forged good block was refused: %s", err);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].seq, 5);
	assert_int_equal(got[0].stored_ms, 0);
	assert_int_equal(got[1].seq, 7);
	assert_int_equal(got[1].stored_ms, 1);
	assert_int_equal(got[0].subject_len, 2);
	assert_memory_equal(got[0].subject, "ab", 3);
	assert_memory_equal(got[0].payload, "{}", 3);
	assert_memory_equal(got[1].subject, "c", 2);
	assert_memory_equal(got[1].payload, "xy", 3);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Above the header's floor of 6 bytes a record: decode runs. */
		assert_true(bad[i].len >= 6 * bad[i].count);
		len = forge(blk, bad[i].content, bad[i].len, bad[i].count,
		    bad[i].first, bad[i].last);
		unpack_fails(b, blk, len, bad[i].want);
	}
	archive_block_free(b);
}

/*
 * Claims beyond the bounds are refused before anything is allocated: the
 * workspace holds no more after them.
 */
static void
test_oversize_claims(void **state)
{
	struct archive_rec r = { 1, 1, "a", 1, "1", 1 };
	struct archive_block *b = new_block();
	const unsigned char *out;
	unsigned char *blk;
	size_t len, before;

	(void)state;
	out = pack_ok(b, &r, 1, &len);
	blk = malloc(len);
	assert_non_null(blk);
	before = archive_block_footprint(b);

	memcpy(blk, out, len);
	put_le(blk + 12, (uint64_t)ARCHIVE_BLOCK_MAX_RAW + 1, 4);
	reseal(blk);
	unpack_fails(b, blk, len, "the header claims 67108865 bytes");
	memcpy(blk, out, len);
	put_le(blk + 12, UINT32_MAX, 4);
	reseal(blk);
	unpack_fails(b, blk, len, "the header claims 4294967295 bytes");

	memcpy(blk, out, len);
	put_le(blk + 8, ARCHIVE_BLOCK_MAX_RECORDS + 1, 4);
	put_le(blk + 24, 1000000, 8);
	reseal(blk);
	unpack_fails(b, blk, len, "the header claims 65537 records");

	/* Within the bounds, but not what the frame says: still nothing. */
	memcpy(blk, out, len);
	put_le(blk + 12, ARCHIVE_BLOCK_MAX_RAW, 4);
	reseal(blk);
	unpack_fails(b, blk, len, "the zstd frame holds");
	assert_int_equal(archive_block_footprint(b), before);
	free(blk);
	archive_block_free(b);
}

/*
 * A warm workspace: blocks of the same sizes again reuse every buffer, and
 * records just unpacked can be packed again with the same workspace.
 */
static void
test_workspace_reuse(void **state)
{
	struct archive_block *b = new_block();
	const struct archive_rec *got, *recs_at = NULL;
	const unsigned char *blk;
	const void *out_at = NULL;
	size_t len, n, warm = 0, i;
	struct recs rs[4];
	char err[256];

	(void)state;
	for (i = 0; i < 4; i++)
		rs[i] = make_recs(800 + 50 * i, 1 + 1000 * i, 1 + (unsigned)i,
		    10 + i, (int)i % 2);
	for (i = 0; i < 40; i++) {
		const struct recs *r = &rs[i % 4];

		blk = pack_ok(b, r->r, r->n, &len);
		assert_int_equal(archive_block_unpack(b, blk, len, &got, &n,
		    err, sizeof(err)), 0);
		assert_same(got, n, r->r, r->n);
		/* Round one warms up; from then on nothing moves or grows. */
		if (i == 4) {
			warm = archive_block_footprint(b);
			out_at = blk;
			recs_at = got;
		} else if (i > 4) {
			assert_int_equal(archive_block_footprint(b), warm);
			assert_ptr_equal(blk, out_at);
			assert_ptr_equal(got, recs_at);
		}
	}

	/* Unpacked records packed again: pack's buffers are its own. */
	blk = pack_ok(b, rs[1].r, rs[1].n, &len);
	assert_int_equal(archive_block_unpack(b, blk, len, &got, &n, err,
	    sizeof(err)), 0);
	blk = pack_ok(b, got, n, &len);
	assert_same(got, n, rs[1].r, rs[1].n);
	assert_int_equal(archive_block_unpack(b, blk, len, &got, &n, err,
	    sizeof(err)), 0);
	assert_same(got, n, rs[1].r, rs[1].n);

	/* Other levels give other bytes, the same records. */
	for (i = 1; i <= 9; i += 4) {
		const void *o;

		assert_int_equal(archive_block_pack(b, rs[2].r, rs[2].n,
		    (int)i, &o, &len, err, sizeof(err)), 0);
		assert_int_equal(archive_block_unpack(b, o, len, &got, &n,
		    err, sizeof(err)), 0);
		assert_same(got, n, rs[2].r, rs[2].n);
	}
	for (i = 0; i < 4; i++)
		free_recs(&rs[i]);
	archive_block_free(b);
	archive_block_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_record),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_large_payloads),
		cmocka_unit_test(test_pack_refuses),
		cmocka_unit_test(test_every_byte_flip),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_truncated_and_appended),
		cmocka_unit_test(test_header_lies),
		cmocka_unit_test(test_magic_and_version),
		cmocka_unit_test(test_content_refusals),
		cmocka_unit_test(test_oversize_claims),
		cmocka_unit_test(test_workspace_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
