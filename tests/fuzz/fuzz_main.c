/*
 * fuzz_main.c: the libFuzzer entry point of one harness (see fuzz.h).
 *
 * Compiled once per target with -DFUZZ_ONE=<harness function>, so that each
 * target is this file plus its harness, and the harnesses themselves stay
 * free of libFuzzer: the regression test runs them under gcc.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

#ifndef FUZZ_ONE
#error "compile with -DFUZZ_ONE=fuzz_config_one or -DFUZZ_ONE=fuzz_apply_one"
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_ONE(data, size);
	return 0;
}
