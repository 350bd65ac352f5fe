# tests/bench/bench.mk: `make bench`, the benchmark of issue 5, included at
# the end of the Makefile (whose variables it uses: B, CC, CFLAGS,
# PKG_LIBS, LDFLAGS, the archives and DECLARED_LIBS; CPPFLAGS through the
# Makefile's pattern rule).
#
#   make bench [N=1000000] [LAT_SECONDS=30] [LAT_RATE=5000] [BENCH_SEED=1]
#              [BENCH_FLAGS=-k]   (-k: keep the temp dir with the logs)
#
# It measures the shipped build ($(B)/projector, built with the Makefile's
# -O2 flags) on a nats-server of its own: the transport ceiling, the fold
# alone (tests/bench/foldonly.c), catch-up and replay rates, peak RSS, and
# end-to-end latency, and prints one table
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
		  tests/bench/wire.c tests/bench/gen.c tests/bench/lat.c \
		  tests/bench/late.c tests/bench/pub.c tests/bench/report.c \
		  tests/bench/roster.c
BENCH_OBJ	= $(BENCH_SRC:%.c=$(B)/%.o)

.PHONY: bench bench-blocks
bench: deps
	@$(MAKE) --no-print-directory $(B)/projector $(B)/bench/bench \
	    $(B)/bench/ceiling $(B)/bench/foldonly $(B)/bench/leaderboard.so
	@$(B)/bench/bench -p $(B)/projector -c $(B)/bench/ceiling \
	    -f $(B)/bench/foldonly -L $(B)/bench/leaderboard.so -n $(N) \
	    -l $(LAT_SECONDS) -r $(LAT_RATE) -s $(BENCH_SEED) \
	    $(BENCH_FLAGS)

# The test helpers from their archive: only those it calls (natsd, proc,
# publish, tmp), not itest.o, which would drag in cmocka.
$(B)/bench/bench: $(BENCH_OBJ) $(SUPPORT_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# The fold alone: the engine's reader over a feed in memory (src/feed_memory.c),
# the projections, the generator; no NATS.
FOLDONLY_OBJ	= $(B)/tests/bench/foldonly.o $(B)/tests/bench/gen.o \
		  $(B)/tests/bench/wire.o $(B)/tests/bench/late.o \
		  $(B)/tests/bench/roster.o
# The leaderboard projection as a plug-in: its source and the helpers it
# calls, position-independent, hidden but for the entry point.
LEADERBOARD_SO_SRC = tests/bench/leaderboard_plugin.c \
		  projections/leaderboard.c projections/rust_event.c \
		  projections/rust_subject.c projections/rust_time.c \
		  projections/span.c projections/stmt.c \
		  $(B)/projections_migrations.c
$(B)/bench/leaderboard.so: $(LEADERBOARD_SO_SRC)
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -fvisibility=hidden $(CPPFLAGS) \
	    $(filter-out -MMD -MP,$(CFLAGS)) -Wno-missing-prototypes -o $@ \
	    $(LEADERBOARD_SO_SRC) $(shell pkg-config --libs sqlite3 jansson)

$(B)/bench/foldonly: $(FOLDONLY_OBJ) $(SUPPORT_LIB) $(ENGINE_LIB) $(PROJ_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(B)/bench/ceiling: $(B)/tests/bench/ceiling.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

BLOCKS_FLAGS	?=
BLOCKS_OBJ	= $(B)/tests/bench/blocks.o $(B)/tests/bench/gen.o \
		  $(B)/tests/bench/wire.o $(B)/tests/bench/late.o \
		  $(B)/tests/bench/roster.o

bench-blocks: deps
	@$(MAKE) --no-print-directory $(B)/bench/blocks
	@$(B)/bench/blocks $(BLOCKS_FLAGS)

# The codec from the engine's archive (archive_block.o, xmalloc.o), with its
# libraries only.
blocks_PKGS	= libzstd zlib
$(B)/bench/blocks: $(BLOCKS_OBJ) $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(DECLARED_LIBS) $(LDFLAGS)
