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

PKGS	= libnats sqlite3 yaml-0.1 jansson libzstd zlib libcrypto \
	  libmicrohttpd libcurl
# libxxhash-dev: the tests' xxhash.h, inlined (tests/support/zframe.c).
DEBS	= libnats-dev nats-server libsqlite3-dev libyaml-dev libjansson-dev \
	  libzstd-dev zlib1g-dev libcmocka-dev sqlite3 python3 libssl-dev \
	  openssl libxxhash-dev groff-base systemd libmicrohttpd-dev \
	  libcurl4-openssl-dev $(FUZZ_DEBS) $(VALGRIND_DEBS)

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

# The program and the tests link from archives, so that a binary holds only
# the objects it reaches, and one that reaches a library it does not link (a
# unit test of config.c pulling in NATS through some other object) fails
# to link. src/main.c is the program's; the archive holds src/fault_none.c,
# whose fault_point() src/fault.c replaces in build/projector-faults.
ENGINE_SRC = $(filter-out src/main.c src/fault.c,$(wildcard src/*.c))
PROJ_SRC   = $(wildcard projections/*.c)
MIGR_SQL   = $(sort $(wildcard migrations/*/*.sql))
SUPPORT_SRC = $(filter-out tests/support/publish_main.c,\
	      $(wildcard tests/support/*.c))
ENGINE_LIB = $(B)/libprojector.a
PROJ_LIB   = $(B)/libprojections.a
SUPPORT_LIB = $(B)/libsupport.a
# In calling order (the linker reads each archive once): the helpers call
# the engine and the projections, which do not call each other.
TEST_ARCHIVES = $(SUPPORT_LIB) $(ENGINE_LIB) $(PROJ_LIB)

# What each unit test links besides the archives and cmocka: the pkg-config
# names of the libraries its module, the test and the helpers it uses call.
# A test that needs more has reached across a boundary: mend that rather
# than add a line here, or say why beside the line.
# libcrypto: wherever migrations are applied, for their checksums
# (migrate.c, digest.c).
test_archive_PKGS		= sqlite3 libzstd zlib libcrypto
test_archive_block_PKGS		= libzstd zlib
test_archiver_PKGS		= sqlite3 libzstd zlib libcrypto
test_clock_PKGS			=
test_config_PKGS		= yaml-0.1
test_db_PKGS			= sqlite3 jansson libcrypto
test_decoder_PKGS		= jansson
test_event_PKGS			= jansson
test_fixture_fold_PKGS		= sqlite3 jansson libcrypto
test_fold_PKGS			= sqlite3 jansson libcrypto
# test_fuzz_regress: those of the fuzz targets (tests/fuzz/fuzz.mk).
# jansson: the test reads the JSON lines log.c writes.
test_log_PKGS			= jansson
# tests/support/testdb.c holds both the SQLite helpers and the event builder
# (event.c, so jansson): test_migrate takes jansson for the one and
# test_rust_event sqlite3 for the other.
test_migrate_PKGS		= sqlite3 jansson libcrypto
# metrics.c, procstat.c and stats.c call no library.
test_metrics_PKGS		=
test_proj_leaderboard_PKGS	= sqlite3 jansson libcrypto
test_proj_player_profiles_PKGS	= sqlite3 jansson libcrypto
test_proj_session_history_PKGS	= sqlite3 jansson libcrypto
test_proj_template_PKGS		= sqlite3 jansson libcrypto
# dlopen()s the test plug-ins, which call SQLite and jansson.
# libcrypto: Ed25519; jansson: the tests' nkey maker (it makes JWTs too).
test_nkeys_PKGS			= libcrypto jansson
test_plugin_PKGS		= sqlite3 jansson libcrypto
test_guard_PKGS			= sqlite3
test_catalog_PKGS		= sqlite3 jansson libcrypto yaml-0.1
test_ready_PKGS			= jansson
test_registry_PKGS		=
# sqlite3: testdb.c, as for test_migrate.
test_rust_event_PKGS		= sqlite3 jansson libcrypto
test_rust_subject_PKGS		=
test_rust_time_PKGS		=
test_secret_PKGS		=
test_span_PKGS			= jansson
test_stmt_PKGS			= sqlite3
# The helpers themselves, the NATS ones included.
test_support_PKGS		= sqlite3 jansson libnats libcrypto
test_swap_PKGS			= sqlite3 jansson libcrypto
test_verify_PKGS		= sqlite3
# The link flags of the target's declared packages ($(@F)_PKGS), if any.
DECLARED_LIBS = $(if $($(@F)_PKGS),$(shell pkg-config --libs $($(@F)_PKGS)))

UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
INTEG_SRC  = $(wildcard tests/integration/test_*.c)
INTEG_BIN  = $(INTEG_SRC:tests/integration/%.c=$(B)/tests/%)

.PHONY: all deps test check sanitize unit integration oracle demo headers clean \
	install uninstall install-check
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

$(B)/projector: $(B)/src/main.o $(ENGINE_LIB) $(PROJ_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# The same program with fault points (src/fault.h): PROJECTOR_FAULT makes it
# die at a chosen place, such as between COMMIT and ack, for the crash
# tests. It links src/fault.c where build/projector links src/fault_none.c
# (which the linker then leaves in the archive).
$(B)/projector-faults: $(B)/src/main.o $(B)/src/fault.o $(ENGINE_LIB) $(PROJ_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# Rebuilt whole (rm first), so that a removed or renamed source leaves no
# stale member behind.
$(ENGINE_LIB): $(ENGINE_SRC:%.c=$(B)/%.o) $(B)/migrations.o
$(PROJ_LIB): $(PROJ_SRC:%.c=$(B)/%.o) $(B)/projections_migrations.o
$(SUPPORT_LIB): $(SUPPORT_SRC:%.c=$(B)/%.o)
$(ENGINE_LIB) $(PROJ_LIB) $(SUPPORT_LIB):
	rm -f $@ && $(AR) rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The engine's scopes go into the engine; every other folder is a
# projection's, whose array its descriptor points to (projections.h).
MIGR_ENGINE = migrations/core migrations/archive
MIGR_PROJ   = $(filter-out $(MIGR_ENGINE),$(patsubst %/,%,$(sort $(dir $(MIGR_SQL)))))

$(B)/migrations.c: migrations/embed.sh $(MIGR_SQL)
	@mkdir -p $(@D)
	sh migrations/embed.sh $(MIGR_ENGINE) > $@.tmp && mv $@.tmp $@

$(B)/projections_migrations.c: migrations/embed.sh $(MIGR_SQL)
	@mkdir -p $(@D)
	sh migrations/embed.sh $(MIGR_PROJ) > $@.tmp && mv $@.tmp $@

$(B)/migrations.o $(B)/projections_migrations.o: $(B)/%.o: $(B)/%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Unit tests: one binary per module, linking the archives, cmocka and only
# the libraries declared above.
$(B)/tests/test_%: tests/unit/test_%.c $(TEST_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(TEST_ARCHIVES) $(DECLARED_LIBS) $(CMOCKA_LIBS) $(LDFLAGS)

# Integration tests drive build/projector as a process against a real
# nats-server, and read the SQLite file it writes: they link every library,
# and libcrypto for the nkeys and JWTs they make (tests/support/nkey.c).
$(B)/tests/test_%: tests/integration/test_%.c $(TEST_ARCHIVES) | $(B)/projector $(B)/projector-faults
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(TEST_ARCHIVES) $(PKG_LIBS) $(CMOCKA_LIBS) $(CRYPTO_LIBS) $(LDFLAGS)

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

check: unit integration oracle install-check

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

# make install [PREFIX=/usr/local] [DESTDIR=]: the program, and the SDK a
# plug-in is built with (README "Writing a plug-in"): the header, the
# migrations embedder and projector.pc, whose plugindir is where plug-ins go.
PREFIX	?= /usr/local
BINDIR	 = $(PREFIX)/bin
INCDIR	 = $(PREFIX)/include
LIBDIR	 = $(PREFIX)/lib
PCDIR	 = $(LIBDIR)/pkgconfig
PLUGINDIR = $(LIBDIR)/projector
# Said once, in the sources.
PROJECTOR_VERSION = $(shell sed -n 's/^\#define PROJECTOR_VERSION[^"]*"\(.*\)"/\1/p' src/main.c)
ABI = $(shell sed -n 's/^\#define PROJECTION_ABI_MAJOR[[:space:]]*\([0-9][0-9]*\)$$/\1/p' src/projection.h).$(shell sed -n 's/^\#define PROJECTION_ABI_MINOR[[:space:]]*\([0-9][0-9]*\)$$/\1/p' src/projection.h)

MANDIR	 = $(PREFIX)/share/man/man1
DOCDIR	 = $(PREFIX)/share/doc/projector
UNITDIR	 = $(PREFIX)/lib/systemd/system

install: $(B)/projector
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCDIR)/projector \
	    $(DESTDIR)$(PCDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(MANDIR) \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/projector $(DESTDIR)$(BINDIR)/projector
	install -m 0755 migrations/embed.sh \
	    $(DESTDIR)$(BINDIR)/projector-embed-migrations
	install -m 0644 src/projection.h \
	    $(DESTDIR)$(INCDIR)/projector/projection.h
	printf '%s\n' $(PC_LINES) > $(DESTDIR)$(PCDIR)/projector.pc
	chmod 0644 $(DESTDIR)$(PCDIR)/projector.pc
	sed 's|@PREFIX@|$(PREFIX)|g' src/projector.1 > $(DESTDIR)$(MANDIR)/projector.1
	chmod 0644 $(DESTDIR)$(MANDIR)/projector.1
	install -m 0644 configs/example.yaml $(DESTDIR)$(DOCDIR)/example.yaml
	sed 's|@BINDIR@|$(BINDIR)|g' configs/projector.service \
	    > $(DESTDIR)$(UNITDIR)/projector.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/projector.service

# What install put, and the folders that are projector's own (if empty:
# plug-ins an owner installed stay, and so does their folder).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/projector \
	    $(DESTDIR)$(BINDIR)/projector-embed-migrations \
	    $(DESTDIR)$(INCDIR)/projector/projection.h \
	    $(DESTDIR)$(PCDIR)/projector.pc $(DESTDIR)$(MANDIR)/projector.1 \
	    $(DESTDIR)$(DOCDIR)/example.yaml \
	    $(DESTDIR)$(UNITDIR)/projector.service
	-rmdir $(DESTDIR)$(INCDIR)/projector $(DESTDIR)$(PLUGINDIR) \
	    $(DESTDIR)$(DOCDIR) 2>/dev/null

# The installed tree checked (tests/install.sh): files, modes, the program,
# the manual page against --help, and uninstall leaving nothing behind.
install-check: $(B)/projector
	sh tests/install.sh $(B)

# projector.pc is written at install, for the PREFIX of that install. No
# Libs of its own: a plug-in links the engine's SQLite and jansson
# (Requires), never a copy, and nothing of projector.
PC_LINES = 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	   'libdir=$${prefix}/lib' 'plugindir=$${libdir}/projector' '' \
	   'Name: projector' \
	   'Description: SDK of projector plug-ins (projection ABI $(ABI))' \
	   'Version: $(PROJECTOR_VERSION)' 'Requires: sqlite3 jansson' \
	   'Cflags: -I$${includedir}'

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
include tests/plugins/plugins.mk
