#!/usr/bin/env python3
"""Checks the oracle (model.py) against the contract's own fixture.

    python3 tests/oracle/check_fixture.py [FIXTURE_DIR]

FIXTURE_DIR defaults to tests/fixtures/gamingapi-small next to this folder.
It folds FIXTURE_DIR/events.jsonl with model.py and compares every query's
rows with FIXTURE_DIR/expected.json (REAL columns within 1e-6, as the
fixture's README says). Exits 0 when all six match, 1 with the first
difference otherwise.

The fixture's README promises that its result does not depend on when it was
published, so every stored time is given as 0: a stored time that leaked into
the answer would show up as a 1970 date and fail the comparison.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    fixture = argv[0] if argv else os.path.join(
        here, "..", "fixtures", "gamingapi-small")
    pairs = model.load_jsonl(os.path.join(fixture, "events.jsonl"))
    with open(os.path.join(fixture, "expected.json")) as f:
        expected = json.load(f)
    got = model.compute([(i + 1, s, p, 0) for i, (s, p) in enumerate(pairs)])
    failed = 0
    for q in model.QUERIES:
        # Both sides in the same total order: the query's ORDER BY leaves
        # ties unordered (see model.sort_rows).
        diff = model.first_difference(q, model.sort_rows(q, expected[q]),
                                      model.sort_rows(q, got[q]))
        if diff is not None:
            print("FAIL " + diff)
            failed += 1
            break           # "exits non-zero with the first difference"
        print("ok   %-16s %d rows" % (q, len(got[q])))
    if failed:
        return 1
    print("fixture %s: all %d queries match" % (fixture, len(model.QUERIES)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
