#!/usr/bin/env python3
"""Compares the C fold with the Python oracle on fuzz_apply inputs.

    python3 tests/fuzz/oracle_diff.py BINARY FILE_OR_DIR...

BINARY is a fuzz_apply build (libFuzzer runs each file given to it once),
run once per input with FUZZ_APPLY_DUMP set, so that it prints the six
contract queries' answer of that input alone (sequences 1, 2, ...; the
first answer printed, since libFuzzer may run a file twice). The same
input, split as tests/fuzz/fuzz.h says, goes through tests/oracle/model.py,
and the answers must match (model.first_difference: REAL within 1e-6).
A subject ends at its first NUL, as the C string the harness makes does.
Inputs with a recognised subject that is not UTF-8 are skipped (the C side
cannot print its ids as JSON strings), and so are those with a stored
time outside years 0000-9999 (the C side parks an event whose time falls
back to one, since no TEXT time can spell it; the oracle formats it anyway).

One point the contract leaves open is read as the C side does
(projections/rust_time.c, rust_time_parse): an ISO string whose UTC time falls
outside years 0000-9999 ("9999-12-31T23:59:59-00:01") is not ISO, so the
event time falls back to the stored time; model.py takes it as a time and
writes "10000-01-01T...". The oracle's parse_iso_ms is wrapped here to
agree, so that only real differences are reported.

Prints each difference and a count; exits 1 when any input differs.
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "oracle"))
import model  # noqa: E402

SEP = b"\n----\n"
# The times "YYYY-MM-DDTHH:MM:SS.sssZ" can spell (projections/rust_time.c).
MS_MIN, MS_MAX = -62167219200000, 253402300799999

_parse_iso_ms = model.parse_iso_ms


def parse_iso_in_range(s):
    ms = _parse_iso_ms(s)
    return ms if ms is not None and MS_MIN <= ms <= MS_MAX else None


model.parse_iso_ms = parse_iso_in_range


def civil_from_days(z):
    """H. Hinnant's civil_from_days with Python's floor division: his
    "z - 146096" turns C's truncation into a floor, which // already is."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


# model.py's _civil_from_days keeps the "z - 146096" with //, so it prints
# 0000-01-01 as 0000-01-02 (every day before 0000-03-01 is one day late;
# reported). Replaced here only while that is so.
if model.fmt_ms(MS_MIN) != "0000-01-01T00:00:00.000Z":
    model._civil_from_days = civil_from_days
MAX_EVENTS = 64
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def strtoll(b):
    """C strtoll(s, &end, 10) as fuzz_apply.c uses it: the value, or None
    when no digit was read or it is out of range."""
    m = re.match(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)", b)
    if not m:
        return None
    v = int(m.group(1))
    return v if INT64_MIN <= v <= INT64_MAX else None


def split(data):
    """The events of one input: (seq, subject str, payload bytes, stored)."""
    events = []
    for i, rec in enumerate(data.split(SEP)[:MAX_EVENTS]):
        line, nl, payload = rec.partition(b"\n")
        stored = 1700000000000 + (i + 1) * 1000
        subject, sp, num = line.partition(b" ")
        if sp:
            v = strtoll(num.split(b"\0")[0])
            if v is not None:
                stored = v
        if not MS_MIN <= stored <= MS_MAX:
            return None
        # The harness hands the fold a C string: it ends at a NUL.
        subject = subject.split(b"\0")[0]
        try:
            subject = subject.decode("utf-8")
        except UnicodeDecodeError:
            subject = subject.decode("utf-8", "surrogateescape")
            if model.classify(subject) is not None:
                return None
        events.append((i + 1, subject, payload, stored))
    return events


def check(binary, path):
    with open(path, "rb") as f:
        data = f.read()
    events = split(data)
    if events is None:
        return "skip"
    env = dict(os.environ, FUZZ_APPLY_DUMP="1")
    p = subprocess.run([binary, path], env=env, capture_output=True)
    # libFuzzer may run the file more than once: the first is sequence 1.
    lines = [l for l in p.stdout.splitlines() if l.startswith(b"{")]
    if p.returncode != 0 or not lines:
        return "C side failed (exit %d): %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-2000:])
    got = json.loads(lines[0])
    want = model.compute(events)
    for q in model.QUERIES:
        # Sums of durations in the 1e11 s reach differ in the last bits
        # between SQLite's sum() and Python's: 1e-6 is absolute in
        # first_difference, so scale it to the largest number compared.
        scale = max([1.0] + [abs(v) for r in want[q] + got[q] for v in r
                             if isinstance(v, float)])
        diff = model.first_difference(q, model.sort_rows(q, want[q]),
                                      model.sort_rows(q, got[q]),
                                      tol=max(1e-6, 1e-13 * scale))
        if diff is not None:
            return diff
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    binary, paths = argv[0], []
    for a in argv[1:]:
        if os.path.isdir(a):
            paths += sorted(os.path.join(a, n) for n in os.listdir(a))
        else:
            paths.append(a)
    bad = skipped = 0
    for path in paths:
        r = check(binary, path)
        if r == "skip":
            skipped += 1
        elif r is not None:
            bad += 1
            print("DIFF %s\n  %s" % (path, r.replace("\n", "\n  ")))
    print("%d inputs, %d differ, %d skipped" % (len(paths), bad, skipped))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
