# tests/bench/bench.mk: `make bench`, the benchmark of issue 5, included at
# the end of the Makefile (whose variables it uses: B, CC, CFLAGS,
# PKG_LIBS, LDFLAGS; CPPFLAGS through the Makefile's pattern rule).
#
#   make bench [N=1000000] [LAT_SECONDS=30] [LAT_RATE=5000] [BENCH_SEED=1]
#              [BENCH_FLAGS=-k]   (-k: keep the temp dir with the logs)
#
# It measures the shipped build ($(B)/projector, built with the Makefile's
# -O2 flags) on a nats-server of its own: the transport ceiling, catch-up
# and replay rates, peak RSS, and end-to-end latency, and prints one table
# (tests/bench/bench.c says how). A missed target is reported, not a
# failure; the target fails only when something breaks.
#
#   make bench-blocks [BLOCKS_FLAGS='-n 300000 -f']
#
# The archive's block codec alone on the same mix (tests/bench/blocks.c):
# ratio, pack and unpack speed per zstd level and block size, the numbers
# behind the defaults in src/archive_block.h. No nats-server.

N		?= 1000000
LAT_SECONDS	?= 30
LAT_RATE	?= 5000
BENCH_SEED	?= 1
BENCH_FLAGS	?=

BENCH_SRC	= tests/bench/bench.c tests/bench/check.c tests/bench/child.c \
		  tests/bench/feed.c tests/bench/gen.c tests/bench/lat.c \
		  tests/bench/late.c tests/bench/pub.c tests/bench/report.c \
		  tests/bench/roster.c
# Only the support modules it needs: itest.o would drag in cmocka.
BENCH_SUPPORT	= tests/support/natsd.c tests/support/proc.c \
		  tests/support/publish.c tests/support/tmp.c
BENCH_OBJ	= $(BENCH_SRC:%.c=$(B)/%.o) $(BENCH_SUPPORT:%.c=$(B)/%.o)

.PHONY: bench bench-blocks
bench: deps
	@$(MAKE) --no-print-directory $(B)/projector $(B)/bench/bench \
	    $(B)/bench/ceiling
	@$(B)/bench/bench -p $(B)/projector -c $(B)/bench/ceiling -n $(N) \
	    -l $(LAT_SECONDS) -r $(LAT_RATE) -s $(BENCH_SEED) \
	    $(BENCH_FLAGS)

$(B)/bench/bench: $(BENCH_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(B)/bench/ceiling: $(B)/tests/bench/ceiling.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

BLOCKS_FLAGS	?=
BLOCKS_OBJ	= $(B)/tests/bench/blocks.o $(B)/tests/bench/gen.o \
		  $(B)/tests/bench/feed.o $(B)/tests/bench/late.o \
		  $(B)/tests/bench/roster.o $(B)/src/archive_block.o \
		  $(B)/src/xmalloc.o

bench-blocks: deps
	@$(MAKE) --no-print-directory $(B)/bench/blocks
	@$(B)/bench/blocks $(BLOCKS_FLAGS)

$(B)/bench/blocks: $(BLOCKS_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)
