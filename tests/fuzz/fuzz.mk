# tests/fuzz/fuzz.mk: libFuzzer targets, included by the Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   build the targets with clang into $(B)/fuzz/
#                                 and run each for FUZZ_SECONDS; any crash,
#                                 leak, sanitizer report, timeout or broken
#                                 invariant fails it (the input is kept in
#                                 $(B)/fuzz/artifacts/TARGET/)
#   make fuzz-build               only build them
#
# The targets (tests/fuzz/fuzz.h says what each checks):
#   fuzz_config   bytes -> the configuration file -> load, validate, free
#   fuzz_apply    bytes -> a few events -> the fold with every projection
#   fuzz_archive  bytes -> an archive block, or a forged block's content ->
#                 unpack; bytes -> records -> pack -> unpack
#                 (src/archive_block.c)
#
# Each run starts from the seeds (tests/fuzz/corpus/TARGET/) and the
# regression inputs (tests/fuzz/regress/TARGET/), copied into
# $(B)/fuzz/corpus/TARGET/, where libFuzzer adds what it finds and where the
# next run goes on from: nothing under tests/ is written. To replay a crash:
#   $(B)/fuzz/fuzz_TARGET $(B)/fuzz/artifacts/TARGET/crash-...
# and once fixed, keep the (minimized, -minimize_crash=1) input in
# tests/fuzz/regress/TARGET/, where test_fuzz_regress replays it under gcc
# with every `make test`.
#
# Also here: tests/fuzz/seeds.py writes the seed corpora (run it after
# changing the fixture or test_config.c; the archive's block seeds, made from
# its record seeds by the harness, are rewritten by
#   FUZZ_ARCHIVE_BLOCKS=tests/fuzz/corpus/archive $(B)/fuzz/fuzz_archive \
#       tests/fuzz/corpus/archive/rec-*
# after a change to the block format), and tests/fuzz/oracle_diff.py
# compares the C fold with the Python oracle (tests/oracle/model.py) on any
# corpus, e.g. the one a run grew:
#   python3 tests/fuzz/oracle_diff.py $(B)/fuzz/fuzz_apply $(B)/fuzz/corpus/apply

# Debian packages for `make deps`: clang, the libFuzzer and sanitizer
# runtimes (libclang-rt-14-dev is only a Recommends of clang, and make deps
# installs without those), and llvm for llvm-symbolizer (readable reports).
FUZZ_DEBS	= clang libclang-rt-dev llvm

FUZZ_CC		= clang
FUZZ_SECONDS	= 60
# Seconds one input may take: more is a hang.
FUZZ_TIMEOUT	= 10
FUZZ_RSS_MB	= 2048
FUZZ_TARGETS	= config apply archive
FUZZ_MAX_LEN_config = 8192
FUZZ_MAX_LEN_apply  = 32768
# Blocks of up to ~4,000 small records; larger ones only run slower.
FUZZ_MAX_LEN_archive = 16384
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all
# A 16 MiB quarantine (not 256) doubles the executions per second of
# fuzz_apply, whose SQLite allocates a lot; freed memory is still poisoned.
FUZZ_ASAN_OPTIONS = quarantine_size_mb=16
FUZZ_UBSAN_OPTIONS = print_stacktrace=1
FUZZ_OPT	= -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link \
		  $(FUZZ_SAN)

# In the sub-make below, B is already $(B)/fuzz.
FUZZ_BIN	= $(FUZZ_TARGETS:%=$(B)/fuzz_%)
FUZZ_HARNESS_OBJ = $(FUZZ_TARGETS:%=$(B)/tests/fuzz/fuzz_%.o)
# Each target links the Makefile's archives (the linker takes only the
# modules its harness drives) and only the libraries declared here, as the
# unit tests do: no NATS, so a harness that reaches it fails to link.
fuzz_config_PKGS  = yaml-0.1
fuzz_apply_PKGS   = sqlite3 jansson libcrypto
fuzz_archive_PKGS = libzstd zlib

.PHONY: fuzz fuzz-build fuzz-bin fuzz-run

fuzz: deps
	@$(MAKE) --no-print-directory B=$(B)/fuzz CC=$(FUZZ_CC) \
	    OPT='$(FUZZ_OPT)' LDFLAGS='-fsanitize=fuzzer $(FUZZ_SAN)' fuzz-run

fuzz-build:
	@$(MAKE) --no-print-directory B=$(B)/fuzz CC=$(FUZZ_CC) \
	    OPT='$(FUZZ_OPT)' LDFLAGS='-fsanitize=fuzzer $(FUZZ_SAN)' fuzz-bin

fuzz-bin: $(FUZZ_BIN)

# libFuzzer's own output goes to a log: on success only its final numbers
# are shown, on failure the end of the log with the report.
fuzz-run: $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/corpus/$$t $(B)/artifacts/$$t || exit 1; \
		for d in tests/fuzz/corpus/$$t tests/fuzz/regress/$$t; do \
			[ ! -d $$d ] || [ -z "$$(ls -A $$d)" ] || \
			    cp $$d/* $(B)/corpus/$$t/ || exit 1; \
		done; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s (log: $(B)/fuzz_$$t.log)"; \
		case $$t in config) max=$(FUZZ_MAX_LEN_config);; \
		    archive) max=$(FUZZ_MAX_LEN_archive);; \
		    *) max=$(FUZZ_MAX_LEN_apply);; esac; \
		if ! ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) \
		    UBSAN_OPTIONS=$(FUZZ_UBSAN_OPTIONS) \
		    $(B)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
		    -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) \
		    -max_len=$$max -dict=tests/fuzz/$$t.dict \
		    -artifact_prefix=$(B)/artifacts/$$t/ -print_final_stats=1 \
		    $(B)/corpus/$$t >$(B)/fuzz_$$t.log 2>&1; then \
			tail -n 60 $(B)/fuzz_$$t.log; \
			echo "fuzz_$$t: FAILED; the input is in $(B)/artifacts/$$t/"; \
			exit 1; \
		fi; \
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' \
		    $(B)/fuzz_$$t.log; \
		echo "fuzz_$$t: corpus $$(ls $(B)/corpus/$$t | wc -l) inputs"; \
	done

$(B)/fuzz_%: $(B)/tests/fuzz/fuzz_%_main.o $(B)/tests/fuzz/fuzz_%.o \
    $(TEST_ARCHIVES)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(TEST_ARCHIVES) $(DECLARED_LIBS) \
	    $(LDFLAGS)

# The entry point, once per target, naming its harness.
$(B)/tests/fuzz/fuzz_%_main.o: tests/fuzz/fuzz_main.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DFUZZ_ONE=fuzz_$*_one $(CFLAGS) -c -o $@ $<

# The same harnesses under gcc, replaying tests/fuzz/regress/ with the unit
# tests: the unit tests' rule, with the harness objects and every target's
# libraries besides.
$(B)/tests/test_fuzz_regress: $(FUZZ_HARNESS_OBJ)
$(B)/tests/test_fuzz_regress: private CPPFLAGS += -Itests/fuzz
test_fuzz_regress_PKGS = $(sort $(foreach t,$(FUZZ_TARGETS),$(fuzz_$(t)_PKGS)))
