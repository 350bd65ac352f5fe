# projector: one non-recursive Makefile. Objects and binaries go to build/.
#
#   make            build build/projector
#   make deps       install the missing Debian packages (apt-get)
#   make test       deps, build, run every unit, integration and oracle test,
#                   then the unit and integration tests again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer, the unit
#                   tests and an end-to-end run under valgrind, and each
#                   libFuzzer target for FUZZ_SECONDS (60)
#   make fuzz       the libFuzzer targets only (tests/fuzz/fuzz.mk)
#   make valgrind   the valgrind runs only (tests/valgrind.mk)
#   make bench      the benchmark of README "Performance" (tests/bench/bench.mk)
#   make demo       deps, build, run the sample feed through a local nats-server
#   make headers    compile each src/*.h on its own
#   make clean

PKGS	= libnats sqlite3 yaml-0.1 jansson libzstd zlib
# libxxhash-dev: the tests' xxhash.h, inlined (tests/support/zframe.c).
DEBS	= libnats-dev nats-server libsqlite3-dev libyaml-dev libjansson-dev \
	  libzstd-dev zlib1g-dev libcmocka-dev sqlite3 python3 libssl-dev \
	  openssl libxxhash-dev $(FUZZ_DEBS) $(VALGRIND_DEBS)

CC	?= cc
# Recursive (=) on purpose: pkg-config runs when a recipe needs the flags,
# which is after `make deps` installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)
# Integration tests make nkeys, JWTs (libcrypto) and certificates (openssl).
CRYPTO_LIBS = $(shell pkg-config --libs libcrypto)
WARN	= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT	?= -O2 -g
CFLAGS	+= -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) -MMD -MP
CPPFLAGS += -Isrc -Iprojections $(PKG_CFLAGS)

B	= build
# The test helpers' headers are for what is built under $(B)/tests only:
# the engine and the projections compile without them. private: not passed
# on to the engine and projection objects a test binary depends on.
$(B)/tests/%: private CPPFLAGS += -Itests/support
ENGINE_SRC = $(filter-out src/main.c src/fault.c,$(wildcard src/*.c))
PROJ_SRC   = $(wildcard projections/*.c)
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(B)/%.o)
PROJ_OBJ   = $(PROJ_SRC:%.c=$(B)/%.o)
MIGR_SQL   = $(sort $(wildcard migrations/*/*.sql))
MIGR_OBJ   = $(B)/migrations.o
# nkey.c needs libcrypto, which only the integration tests link, and so
# does tenants.c, which makes nkeys.
CRYPTO_SUPPORT_SRC = tests/support/nkey.c tests/support/tenants.c
SUPPORT_SRC = $(filter-out tests/support/publish_main.c $(CRYPTO_SUPPORT_SRC),\
	      $(wildcard tests/support/*.c))
SUPPORT_OBJ = $(SUPPORT_SRC:%.c=$(B)/%.o)
INTEG_SUPPORT_OBJ = $(SUPPORT_OBJ) $(CRYPTO_SUPPORT_SRC:%.c=$(B)/%.o)

UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
INTEG_SRC  = $(wildcard tests/integration/test_*.c)
INTEG_BIN  = $(INTEG_SRC:tests/integration/%.c=$(B)/tests/%)

.PHONY: all deps test check sanitize unit integration oracle demo headers clean
all: $(B)/projector

deps:
	@missing=; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(B)/projector: $(B)/src/main.o $(ENGINE_OBJ) $(PROJ_OBJ) $(MIGR_OBJ)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS) $(LDFLAGS)

# The same program with fault points (src/fault.h): PROJECTOR_FAULT makes it
# die at a chosen place, such as between COMMIT and ack, for the crash
# tests. It links src/fault.c where build/projector links src/fault_none.c.
$(B)/projector-faults: $(B)/src/main.o $(filter-out $(B)/src/fault_none.o,$(ENGINE_OBJ)) $(B)/src/fault.o $(PROJ_OBJ) $(MIGR_OBJ)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS) $(LDFLAGS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/migrations.c: migrations/embed.sh $(MIGR_SQL)
	@mkdir -p $(@D)
	sh migrations/embed.sh migrations > $@.tmp && mv $@.tmp $@

$(B)/migrations.o: $(B)/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Unit tests: one binary per module; each links what it needs of the engine
# and projections (unused objects are harmless) and cmocka.
$(B)/tests/test_%: tests/unit/test_%.c $(ENGINE_OBJ) $(PROJ_OBJ) $(MIGR_OBJ) $(SUPPORT_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) $(CMOCKA_LIBS) $(LDFLAGS)

# Integration tests drive build/projector as a process against a real
# nats-server, and read the SQLite file it writes.
$(B)/tests/test_%: tests/integration/test_%.c $(ENGINE_OBJ) $(PROJ_OBJ) $(MIGR_OBJ) $(INTEG_SUPPORT_OBJ) | $(B)/projector $(B)/projector-faults
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) $(CMOCKA_LIBS) $(CRYPTO_LIBS) $(LDFLAGS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

integration: $(B)/projector $(B)/projector-faults $(INTEG_BIN)
	@for t in $(INTEG_BIN); do echo "== $$t"; PROJECTOR_BIN_DIR=$(B) $$t || exit 1; done

# The independent check: a Python model of the contract (sharing no code
# with the C one), fed generated streams published by a raw-protocol client.
ORACLE_RUNS = 5000:7 20000:2026
oracle: $(B)/projector
	python3 tests/oracle/selftest.py
	python3 tests/oracle/check_fixture.py
	@for run in $(ORACLE_RUNS); do \
		python3 tests/oracle/large_stream_test.py --projector $(B)/projector \
		    --events $${run%%:*} --seed $${run##*:} || exit 1; \
	done

check: unit integration oracle

# The same unit and integration tests again, with the program and the tests
# built with AddressSanitizer and UndefinedBehaviorSanitizer: any report
# fails the run (the integration tests scan the program's logs for them).
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all
sanitize:
	@$(MAKE) --no-print-directory B=$(B)/san OPT='$(SAN_FLAGS)' \
	    LDFLAGS='-fsanitize=address,undefined' unit integration

test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory valgrind
	@$(MAKE) --no-print-directory fuzz

demo: deps
	@$(MAKE) --no-print-directory $(B)/projector $(B)/tests/publish
	@PROJECTOR=$(B)/projector PUBLISH=$(B)/tests/publish sh tests/support/demo.sh

$(B)/tests/publish: tests/support/publish_main.c $(B)/tests/support/publish.o
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) $(LDFLAGS)

headers:
	@for h in src/*.h projections/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(CPPFLAGS) $(filter-out -MMD -MP,$(CFLAGS)) -x c -fsyntax-only - || exit 1; \
	done

clean:
	rm -rf $(B)

# Objects made on the way are kept, so that a second run rebuilds nothing.
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Targets of their own, each with its rules beside its code.
include tests/fuzz/fuzz.mk
include tests/valgrind.mk
include tests/bench/bench.mk
