/*
 * fuzz.h: the fuzz harnesses, one input at a time.
 *
 * Each harness takes any bytes, runs them through one part of the program
 * and checks what must hold whatever the bytes are. A broken promise calls
 * abort() after printing it on stderr, so that libFuzzer (clang,
 * tests/fuzz/fuzz_main.c) keeps the input as a crash and a plain test
 * (tests/unit/test_fuzz_regress.c, gcc) fails on the same input. The
 * harnesses are plain C with no libFuzzer in them: the same code runs under
 * both.
 *
 * fuzz_config_one(): the bytes are a configuration file. It is loaded from
 * memory (config_load_string()) and, when it holds a NUL byte and for one
 * input in eight, from a file (config_load()); both must agree. A loaded
 * configuration is then validated and freed.
 *
 * fuzz_apply_one(): the bytes are a short stream of events, folded with every
 * built-in projection into an in-memory database. The format, meant to be
 * written by hand and mutated by a fuzzer:
 *
 *	SUBJECT[ STORED_MS]\n
 *	PAYLOAD
 *	\n----\n
 *	SUBJECT[ STORED_MS]\n
 *	PAYLOAD
 *	...
 *
 * Events are separated by a line of four dashes; an event's first line is
 * its subject, optionally followed by a space and the time the stream stored
 * it (milliseconds since the epoch; default 1700000000000 plus one second
 * per event), and every byte after that line, to the separator, is the
 * payload (NUL bytes and invalid UTF-8 included). At most FUZZ_APPLY_MAX
 * events are folded; the rest are ignored. With FUZZ_APPLY_DUMP set in the
 * environment, the answer of the six contract queries is printed on stdout,
 * one JSON object a line, for a look at what an input makes.
 *
 * fuzz_archive_one(): the bytes are unpacked as an archive block (as they
 * are, and with both CRCs recomputed so that mutations get past them);
 * then as the content of a block forged around them with every checksum
 * right (tests/support/zframe.h), its header's count (less one) in their
 * first 2 bytes and its first and last sequences in the next 16
 * (little-endian); then read as records, packed into a block and unpacked
 * again. The records' format, binary since a fuzzer mutates bytes:
 *
 *	GAP TIME SUBJECT\n
 *	PAYLOAD
 *	\n--\n
 *	GAP TIME SUBJECT\n
 *	PAYLOAD
 *	...
 *
 * Records are separated by FUZZ_ARCHIVE_SEPARATOR. GAP is one byte g: the
 * sequence is the previous one's (0 before the first) plus g + 1 when g is
 * below 0xf0, else plus 2^(4 (g - 0xf0)) + 1, which reaches the ends of
 * 64 bits (a sequence that would overflow ends the list). TIME is one byte
 * t: the stored time moves by t (signed) seconds from the previous one
 * (0 before the first), except 0x7f and 0x80, which set it to INT64_MAX and
 * INT64_MIN. The subject runs to the first newline, the payload is every
 * byte after it (NUL bytes included; no newline: no payload). Missing bytes
 * count as 0.
 *
 * Memory: the harnesses copy what they keep. fuzz_apply_one() keeps its
 * databases between calls (built on the first call); fuzz_apply_release()
 * closes them, for a leak check at the end of a test. fuzz_config_one()
 * keeps a temp file, removed at exit. fuzz_archive_one() keeps two
 * workspaces and a buffer, which fuzz_archive_release() frees.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_APPLY_MAX		64
#define FUZZ_APPLY_SEPARATOR	"\n----\n"
#define FUZZ_ARCHIVE_SEPARATOR	"\n--\n"

void	fuzz_config_one(const uint8_t *data, size_t size);
void	fuzz_apply_one(const uint8_t *data, size_t size);
void	fuzz_apply_release(void);
void	fuzz_archive_one(const uint8_t *data, size_t size);
void	fuzz_archive_release(void);

#endif /* FUZZ_H */
