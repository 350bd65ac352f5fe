# tests/valgrind.mk: valgrind memcheck over the unit tests and the program
# itself, end to end; included by the Makefile.
#
#   make valgrind      every unit test binary under memcheck, then
#                      tests/valgrind_e2e.sh: projector check-config,
#                      run --once, status --json and verify under memcheck,
#                      against its own nats-server, with the fixture
#
# Any memcheck error or definite leak fails it. The binaries are the usual
# ones (-O2 -g) in $(B); build with B=build-vg to keep them apart. Memcheck
# follows no child: the nats-server and the programs the tests start run
# natively. tests/valgrind.supp says what is suppressed, and why (nothing,
# today).

# The Debian package for `make deps`.
VALGRIND_DEBS	= valgrind

VALGRIND	= valgrind -q --error-exitcode=1 --leak-check=full \
		  --errors-for-leak-kinds=definite \
		  --suppressions=tests/valgrind.supp
# Unit tests too slow under memcheck, or that watch their own timing
# (none today: the slowest, test_fixture_fold, takes about 20 s).
VALGRIND_SKIP	=

VALGRIND_UNIT	= $(filter-out $(VALGRIND_SKIP:%=$(B)/tests/%),$(UNIT_BIN))

.PHONY: valgrind valgrind-unit valgrind-e2e

valgrind: deps
	@$(MAKE) --no-print-directory valgrind-unit valgrind-e2e

valgrind-unit: $(VALGRIND_UNIT)
	@for t in $(VALGRIND_UNIT); do \
		echo "== valgrind $$t"; $(VALGRIND) $$t >$$t.valgrind.log 2>&1 || \
		    { cat $$t.valgrind.log; echo "valgrind: $$t FAILED"; exit 1; }; \
	done

valgrind-e2e: $(B)/projector $(B)/tests/publish
	@PROJECTOR=$(B)/projector PUBLISH=$(B)/tests/publish \
	    VALGRIND='$(VALGRIND)' sh tests/valgrind_e2e.sh
