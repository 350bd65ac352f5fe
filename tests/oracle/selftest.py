#!/usr/bin/env python3
"""Self-tests of the oracle itself (no NATS, no projector needed).

    python3 tests/oracle/selftest.py

1. model.py reproduces the contract's fixture (tests/fixtures/gamingapi-small);
2. hand-worked cases of the contract's rules (validity limits, event time,
   session rules 1-3 with late disconnects, names, bans, leaderboard);
3. every catalogue entry of gen.py is classified by model.py as its name
   says (invalid / not an object / wrong type / valid edge);
4. gen.py is deterministic for a seed (also across hash seeds) and differs
   between seeds.

Ends with the line "N passed, M failed"; exits 0 only when nothing failed.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen    # noqa: E402
import model  # noqa: E402

PASSED = 0
FAILED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print("FAIL %s %s" % (name, detail))


# ---------------------------------------------------------------- fixture

def test_fixture():
    fixture = os.path.join(HERE, "..", "fixtures", "gamingapi-small")
    pairs = model.load_jsonl(os.path.join(fixture, "events.jsonl"))
    with open(os.path.join(fixture, "expected.json")) as f:
        want = json.load(f)
    got = model.compute([(i + 1, s, p, 0) for i, (s, p) in enumerate(pairs)])
    for q in model.QUERIES:
        d = model.first_difference(q, model.sort_rows(q, want[q]),
                                   model.sort_rows(q, got[q]))
        check("fixture:" + q, d is None, d or "")


# ------------------------------------------------------------- validity

def test_decode():
    valid = [b'{}', b'null', b'"s"', b' [1] ', b'{"a":1,"a":"x"}',
             b'{"x":9223372036854775807}', b'{"x":-9223372036854775808}',
             b'{"x":1.7976931348623157e308}', b'{"x":"\\ud83d\\ude00"}',
             b'{"x":"\xc3\xa9"}', b'{"x":1e-400}', b'{"x":-0}',
             b'[' * 64 + b']' * 64,
             b'{"p":"' + b'y' * (model.MAX_PAYLOAD - 8) + b'"}']
    invalid = [b'', b' ', b'{', b'{"x":NaN}', b'{"x":Infinity}',
               b'{"x":-Infinity}', b'{"x":1e309}', b'{"x":-1e309}',
               b'{"x":9223372036854775808}', b'{"x":-9223372036854775809}',
               b'{"x":"\\u0000"}', b'{"\\u0000":1}', b'{"x":"\\ud800"}',
               b'{"x":"\\udc00"}', b'{"x":"\\ud800\\u0041"}',
               b'{"x":"\xff"}', b'{"x":"\xc0\xaf"}', b'{"x":"\xed\xa0\x80"}',
               b'\xef\xbb\xbf{}', b'{"x":"a\tb"}', b'{"x":"a\x00b"}',
               b'[' * 65 + b']' * 65, b'{} x', b'{}{}', b'{"x":01}',
               b'{"x":.5}', b'{"x":1.}', b"{'x':1}", b'{x:1}', b'\xc2\xa0{}',
               b'{"p":"' + b'y' * (model.MAX_PAYLOAD - 7) + b'"}']
    for v in valid:
        try:
            model.decode_payload(v)
            ok = True
        except model.Invalid:
            ok = False
        check("decode valid %r" % v[:40], ok)
    for v in invalid:
        try:
            model.decode_payload(v)
            ok = False
        except model.Invalid:
            ok = True
        check("decode invalid %r" % v[:40], ok)
    check("dup keys last wins",
          model.decode_payload(b'{"a":1,"a":"x"}') == {"a": "x"})


def test_iso():
    cases = {
        "2026-11-01T12:00:00Z": "2026-11-01T12:00:00.000Z",
        "2026-11-01T14:00:00.000+02:00": "2026-11-01T12:00:00.000Z",
        "2026-11-01T12:00:00.000417Z": "2026-11-01T12:00:00.000Z",
        "2026-11-01T12:00:00.9999": "2026-11-01T12:00:00.999Z",
        "2026-11-01T00:30:00.5-01:30": "2026-11-01T02:00:00.500Z",
        "2024-02-29T23:59:59.1+00:00": "2024-02-29T23:59:59.100Z",
        "2026-01-01T00:00:00.000+05:00": "2025-12-31T19:00:00.000Z",
    }
    for s, want in cases.items():
        ms = model.parse_iso_ms(s)
        check("iso %s" % s, ms is not None and model.fmt_ms(ms) == want,
              "got %r" % (ms and model.fmt_ms(ms)))
    for s in ["6/17/2023 5:04:12 PM", "17.06.2023 17:04:12", "2023-02-29T00:00:00Z",
              "2023-13-01T00:00:00Z", "2023-04-31T00:00:00Z", "2023-06-17",
              "2023-06-17T17:04Z", "2023-06-17T17:04:12.Z", "20230617T170412Z",
              "2023-06-17t17:04:12Z", " 2023-06-17T17:04:12Z", 12345, None,
              "2023-06-17T17:04:12+0200", "2023-06-17T17:04:60Z",
              "2023-06-17T24:00:00Z", "２０２３-06-17T17:04:12Z"]:
        check("not iso %r" % (s,), model.parse_iso_ms(s) is None)


# ------------------------------------------------------------- the rules

S = "v0.rust.servers.%s"
P = "v0.rust.servers.%s.players.%s.events.%s"


def run(evs, stored=None):
    """evs: (subject, payload obj or raw str); seq from 1, stored time
    1_000_000_000_000 + seq*1000 unless given."""
    out = []
    for i, (subj, pl) in enumerate(evs):
        raw = pl if isinstance(pl, str) else json.dumps(pl)
        st = stored[i] if stored else 1_000_000_000_000 + (i + 1) * 1000
        out.append((i + 1, subj, raw.encode(), st))
    return model.compute(out)


def conn(t, name="n", sid="1", steam="7"):
    return (P % (sid, steam, "connected"),
            {"connected_timestamp": t, "player": {"name": name,
                                                  "address": "10.9.9.9"}})


def disc(t, reason="Timed Out", sid="1", steam="7"):
    o = {"disconnected_timestamp": t}
    if reason is not None:
        o["reason"] = reason
    return P % (sid, steam, "disconnected"), o


def T(m, s=0):
    return "2026-11-01T10:%02d:%02d.000Z" % (m, s)


def test_sessions():
    # Rule 1 + rule 2: a late disconnect overrides 'superseded' when its time
    # is <= the provisional close; a second disconnect changes nothing.
    r = run([conn(T(0), "a"), conn(T(5), "b"), disc(T(3)),
             disc(T(4), "Kicked")])
    check("late disconnect after reconnect", r["session_history"] == [
        ["1", "7", "a", T(0), T(3), 180.0, "Timed Out"],
        ["1", "7", "b", T(5), None, None, None]], r["session_history"])
    # A disconnect later than the provisional close finds the newer session.
    r = run([conn(T(0)), conn(T(5)), disc(T(6), None)])
    check("disconnect after provisional close", r["session_history"] == [
        ["1", "7", "n", T(0), T(5), 300.0, "superseded"],
        ["1", "7", "n", T(5), T(6), 60.0, "disconnected"]],
        r["session_history"])
    # Rule 3 with a late disconnect, and a started older than a session.
    r = run([conn(T(0)), conn(T(2), steam="8"),
             (S % "1" + ".events.started", {"timestamp": T(1)}),
             disc(T(0, 30), "Lost"), disc(T(3), steam="8")])
    check("server_started + late disconnect", r["session_history"] == [
        ["1", "7", "n", T(0), T(0, 30), 30.0, "Lost"],
        ["1", "8", "n", T(2), T(3), 60.0, "Timed Out"]],
        r["session_history"])
    check("server online, 0 players", r["servers"] == [
        ["1", "online", T(1), None, 0, 0]], r["servers"])
    # A connect older than an open session leaves it open (rule 1 closes
    # only sessions with connected_at <= t); the disconnect picks the
    # greatest connected_at <= t.
    r = run([conn(T(5)), conn(T(1)), disc(T(3))])
    check("late connect", r["session_history"] == [
        ["1", "7", "n", T(1), T(3), 120.0, "Timed Out"],
        ["1", "7", "n", T(5), None, None, None]], r["session_history"])
    # Ties: the same connected_at, the one created last wins.
    r = run([conn(T(1), "a"), conn(T(1), "b"), disc(T(1))])
    check("tie on connected_at", sorted(r["session_history"], key=str) ==
          sorted([["1", "7", "a", T(1), T(1), 0.0, "superseded"],
                  ["1", "7", "b", T(1), T(1), 0.0, "Timed Out"]], key=str),
          r["session_history"])
    # A disconnect later than a *real* close changes nothing.
    r = run([conn(T(0)), disc(T(2)), disc(T(1), "X")])
    check("real close is final", r["session_history"] == [
        ["1", "7", "n", T(0), T(2), 120.0, "Timed Out"]],
        r["session_history"])
    # Stopped: offline; status follows stream order, last_*_at the max time.
    r = run([conn(T(0)), (S % "1" + ".events.stopped", "null"),
             (S % "1" + ".events.started", {"timestamp": T(9)}),
             (S % "1" + ".events.stopped", {"timestamp": T(8)})],
            stored=[0, 1793527200000 + 120000, 0, 0])   # 10:02 stored
    check("stopped null payload uses stored time", r["session_history"] == [
        ["1", "7", "n", T(0), T(2), 120.0, "server_stopped"]],
        r["session_history"])
    check("status by stream order", r["servers"] == [
        ["1", "offline", T(9), T(8), 0, 0]], r["servers"])


def test_time_fallback():
    stored = 1793534400123                      # 2026-11-01T12:00:00.123Z
    evs = [conn("6/17/2023 5:04:12 PM", steam="1"),
           conn(12345, steam="2"),
           (P % ("1", "3", "connected"), {"connected_timestamp": "x",
                                          "timestamp": T(1), "player": {}}),
           (P % ("1", "4", "connected"), {"connected_timestamp": T(2),
                                          "timestamp": T(3)}),
           (P % ("1", "5", "connected"), {"connected_timestamp":
                                          "2023-02-30T00:00:00Z"})]
    r = run(evs, stored=[stored] * len(evs))
    got = [row[3] for row in r["session_history"]]
    check("event time fallbacks", got == ["2026-11-01T12:00:00.123Z",
                                          "2026-11-01T12:00:00.123Z",
                                          T(1), T(2),
                                          "2026-11-01T12:00:00.123Z"], got)


def test_profiles_and_board():
    hit = P % ("1", "7", "combat.hit")
    evs = [
        conn(T(0), "old"),
        ("v0.rust.servers.1.events.player.7.chatted",
         {"player_name": "new", "timestamp": T(5)}),
        (P % ("1", "7", "banned"), {"player_name": "older", "reason": "R",
                                    "timestamp": T(1)}),
        (P % ("2", "7", "unbanned"), {"timestamp": T(1)}),   # tie: later wins
        (P % ("1", "8", "reported"), {"reported_target_steam_id": "9",
                                      "timestamp": T(2)}),
        (hit, {"hit_timestamp": T(3), "player_hit": {
            "isKill": True, "hit_area_id": 1, "hit_distance": 50,
            "victim": {"steam_id": "8"}}}),
        (hit, {"hit_timestamp": T(3), "player_hit": {
            "is_kill": True, "hit_distance": 70.5,
            "victim": {"steam_id": "7"}}}),                 # self-kill
        (hit, {"hit_timestamp": T(3), "player_hit": {
            "isKill": False, "is_kill": True,
            "victim": {"steam_id": "8"}}}),                 # isKill wins
        (S % "1" + ".events.wiped", "null"),
        (hit, {"hit_timestamp": T(4), "player_hit": {
            "isKill": True, "attacker": {"steam_id": "6"}}}),  # no victim
        (hit, {"hit_timestamp": T(4), "player_hit": {
            "isKill": True, "hit_distance": "far",
            "victim": {"steam_id": "5"}}}),                 # lb poison only
        (hit, {"hit_timestamp": T(4)}),
    ]
    r = run(evs)
    check("profiles", r["player_profiles"] == [
        ["5", None, None, None, 0, 0.0, 0, 0, 0, None],
        ["7", "new", T(0), T(5), 1, 0.0, 1, 0, 0, None],
        ["8", None, T(2), T(2), 0, 0.0, 0, 0, 0, None],
        ["9", None, None, None, 0, 0.0, 0, 1, 0, None]],
        r["player_profiles"])
    check("leaderboard", r["leaderboard"] == [
        ["1", 0, "7", "new", 1, 1, 1, 50.0, 1.0, 1],
        ["1", 0, "8", None, 0, 1, 0, None, 0.0, 2],
        ["1", 1, "6", None, 1, 0, 0, None, 1.0, 1]], r["leaderboard"])
    check("parked", r["parked"] == [["leaderboard", 11]], r["parked"])
    check("wipes", r["wipes"] == [["1", 1, model.fmt_ms(
        1_000_000_000_000 + 9000)]], r["wipes"])
    check("servers", [s[0] for s in r["servers"]] == ["1", "2"],
          r["servers"])


def test_unknown_and_command():
    r = run([("v0.rust.servers.9.events.stopping", {}),
             ("v0.rust.servers.9.players.1.events.chat", {}),
             (S % "4" + ".events.command", "not json"),
             (S % "5" + ".events.started", "[]")])
    check("unknown subjects ignored, command never parked, parked started "
          "still a server", r["servers"] == [
              ["4", "unknown", None, None, 0, 0],
              ["5", "unknown", None, None, 0, 0]] and
          r["parked"] == [["session_history", 4]], r)


# ------------------------------------------------------------- generator

def test_catalogue():
    g = gen.Gen(1, 1000, gen.DEFAULT_BASE_MS, True, True)
    p, q = g.players[0], g.players[1]
    for name, kind, builder, _edge in gen.catalogue(True):
        subj, payload = builder(g, gen.DEFAULT_BASE_MS, g.servers[0], p, q)
        ev = model.classify(subj)
        if ev is None or ev.kind != kind:
            check("catalogue %s subject" % name, False, subj)
            continue
        try:
            doc, valid = model.decode_payload(payload.encode("utf-8")), True
        except model.Invalid:
            doc, valid = None, False
        consumers = [x for x in model.PROJECTIONS
                     if kind in model.CONSUMES[x]]
        poisoned = [x for x in consumers
                    if model.is_poison(x, kind, valid, doc)]
        if name.startswith("invalid:"):
            ok = not valid and poisoned == consumers
        elif name.startswith("valid:"):
            ok = valid and not poisoned
        elif name.startswith("null_payload:"):
            ok = valid and (poisoned == [] if kind in model.NULL_OK
                            else poisoned == consumers)
        elif name.startswith("not_object:"):
            ok = valid and (poisoned == consumers or
                            (payload == "null" and kind in model.NULL_OK))
        else:   # wrong_type:, poison:, parked_only_server:
            ok = valid or name.startswith("parked_only")
            ok = ok and bool(poisoned)
        check("catalogue " + name, ok, "valid=%s poisoned=%s" %
              (valid, poisoned))


def test_determinism():
    cmd = [sys.executable, os.path.join(HERE, "gen.py"), "--seed", "3",
           "--events", "1500"]
    outs = []
    for hs in ("0", "1", "random"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        outs.append(subprocess.run(cmd, env=env, check=True,
                                   stdout=subprocess.PIPE).stdout)
    check("gen deterministic for a seed", outs[0] == outs[1] == outs[2])
    other = subprocess.run(cmd[:3] + ["4"] + cmd[4:], check=True,
                           stdout=subprocess.PIPE).stdout
    check("gen differs between seeds", other != outs[0])
    lines = outs[0].decode().splitlines()
    check("gen writes --events lines", len(lines) == 1500, len(lines))
    # The stream must fold without surprises and exercise the contract.
    pairs = [(json.loads(x)["subject"], json.loads(x)["payload"].encode())
             for x in lines]
    r = model.compute([(i + 1, s, p, gen.DEFAULT_BASE_MS + i)
                       for i, (s, p) in enumerate(pairs)])
    reasons = {row[6] for row in r["session_history"]}
    check("gen stream exercises session rules",
          {"superseded", "server_started", None} <= reasons, reasons)
    check("gen stream parks for every projection",
          {p for p, _ in r["parked"]} == set(model.PROJECTIONS))
    check("gen stream has kills on several wipes",
          len({(row[0], row[1]) for row in r["leaderboard"]}) >= 3)


def main():
    for t in (test_fixture, test_decode, test_iso, test_sessions,
              test_time_fallback, test_profiles_and_board,
              test_unknown_and_command, test_catalogue, test_determinism):
        t()
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 0 if FAILED == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
