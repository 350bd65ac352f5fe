#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/).

    python3 tests/fuzz/seeds.py        # from the repository root

corpus/config/: the files in configs/, every configuration text that
tests/unit/test_config.c loads (its C string literals, ACCOUNT expanded),
and a few hostile ones. corpus/apply/: events of
tests/fixtures/gamingapi-small/events.jsonl in the input format of
tests/fuzz/fuzz.h (two of each subject shape, every parked one, a few runs
of consecutive events), sequences for the session rules, kills and bans,
and hostile payloads and subjects. corpus/archive/rec-*: records in the
format of fuzz.h (runs of fixture events, gaps up to 64 bits, both ends of
the time, NUL bytes, empty fields, a large payload); content-*: block
contents as fuzz.h's forged blocks take them, written here from the format
of src/archive_block.h; its block-* files are packed from the rec-* files
by the harness (tests/fuzz/fuzz.mk says how) and kept as they are. The output is the same on every run, so the committed corpus can be
regenerated and compared.
"""

import hashlib
import json
import os
import re
import shutil
import struct
import sys

SEP = b"\n----\n"
FIXTURE = "tests/fixtures/gamingapi-small/events.jsonl"


def write_dir(path, seeds, keep=None):
    """Replaces path's files with seeds: a list of (name, bytes). Files
    whose name starts with keep, when given, stay."""
    if os.path.isdir(path):
        for name in os.listdir(path):
            if keep is None or not name.startswith(keep):
                os.remove(os.path.join(path, name))
    else:
        os.makedirs(path)
    seen = set()
    for name, data in seeds:
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    return len(seen)


# ---- configuration ------------------------------------------------------

def c_unescape(body):
    """The bytes of a C string literal's body (the escapes test_config.c
    uses: \\n \\t \\" \\\\ \\xHH and octal)."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        n = body[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"',
                    "\\": b"\\", "'": b"'", "0": b"\0"}[n]
            i += 2
    return bytes(out)


def config_texts(source):
    """Each first argument of load_ok/load_fails/validate_ok/validate_fails
    /auth_account/config_load_string in source: adjacent string literals and
    the ACCOUNT macro."""
    account = None
    m = re.search(r"#define ACCOUNT((?:[^\n]*\\\n)*[^\n]*)\n", source)
    if m:
        account = b"".join(c_unescape(s) for s in
                           re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
    token = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(ACCOUNT)\b)')
    out = []
    for call in re.finditer(r"\b(load_ok|load_fails|validate_ok|"
                            r"validate_fails|config_load_string)\(", source):
        pos = call.end()
        parts = []
        while True:
            t = token.match(source, pos)
            if not t:
                break
            if t.group(1) is not None:
                parts.append(c_unescape(t.group(1)))
            else:
                parts.append(account)
            pos = t.end()
        if parts:
            out.append(b"".join(parts))
    return out, account


def config_seeds():
    seeds = []
    for name in sorted(os.listdir("configs")):
        if name.endswith(".yaml"):
            with open(os.path.join("configs", name), "rb") as f:
                seeds.append(("configs-" + name, f.read()))
    with open("tests/unit/test_config.c", "r", encoding="utf-8") as f:
        texts, account = config_texts(f.read())
    for i, t in enumerate(texts):
        seeds.append(("test_config-%03d.yaml" % i, t))
    full = (b"nats:\n"
            b"  servers: [nats://n1:4222, nats://n2:4222]\n"
            b"  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}\n"
            b"batch: {max_events: 10, max_wait_ms: 5}\n"
            b"accounts:\n"
            b"  - name: ga-1\n"
            b"    auth: {user: u, password_file: p}\n"
            b"    stream: s\n"
            b"    subjects: [a.>]\n"
            b"    consumer: c\n"
            b"    database: a.db\n"
            b"    projections: [leaderboard, session_history]\n"
            b"  - name: ga-2\n"
            b"    auth: {nkey: UX, nkey_seed_file: s.nk}\n"
            b"    stream: s\n"
            b"    database: b.db\n"
            b"  - name: ga-3\n"
            b"    auth: {creds_file: /run/c.creds}\n"
            b"    stream: s\n"
            b"    database: /var/lib/c.db\n"
            b"  - name: ga-4\n"
            b"    auth: {token_file: ../t}\n"
            b"    stream: s\n"
            b"    database: ./d//e/./f.db\n")
    hostile = [
        ("full.yaml", full),
        ("empty.yaml", b""),
        ("nul.yaml", account + b"    consumer: a\0b\n"),
        ("nul-escape.yaml", account + b'    consumer: "a\\0b"\n'),
        ("bom.yaml", b"\xef\xbb\xbf" + account),
        ("utf16.yaml", account.decode().encode("utf-16")),
        ("bad-utf8.yaml", account + b"    consumer: \xc3\x28\n"),
        ("deep-flow.yaml", b"nats: " + b"[" * 200 + b"]" * 200 + b"\n"),
        ("deep-block.yaml", b"".join(b"  " * i + b"k%d:\n" % i
                                     for i in range(60))),
        ("tags.yaml", b"%YAML 1.1\n%TAG ! tag:x,2000:\n--- !!map\n"
                      b"accounts: !!seq\n  - !foo {name: a, stream: s,"
                      b" database: d}\n"),
        ("complex-key.yaml", b"? {a: b}\n: c\n" + account),
        ("block-scalars.yaml", b"accounts:\n  - name: |\n      ga\n"
                               b"    stream: >-\n      s\n"
                               b"    database: 'd'\n"),
        ("int-forms.yaml", b"batch: {max_events: +0x10, max_wait_ms: 1_000}\n"
                           + account),
        ("int-huge.yaml", b"batch: {max_events: -99999999999999999999}\n"
                          + account),
        ("crlf.yaml", account.replace(b"\n", b"\r\n")),
        ("tabs.yaml", b"accounts:\n\t- name: a\n"),
        ("null-sections.yaml", b"nats: ~\nbatch: null\n" + account +
                               b"    auth: Null\n"),
        ("dup-root.yaml", account + account),
        ("server-at.yaml", b"nats:\n  servers: [\"nats://a@b\", 'x/@y']\n"
                           + account),
        ("nkey-seed.yaml", account + b"    auth: {nkey: SUAX,"
                                     b" nkey_seed_file: s}\n"),
        ("secret-keys.yaml", account + b"    auth: {jwt: x}\n"),
        ("many-accounts.yaml", b"accounts:\n" + b"".join(
            b"  - {name: a%d, stream: s, database: d%d}\n" % (i, i % 7)
            for i in range(40))),
        ("long-name.yaml", b"accounts:\n  - name: " + b"x" * 3000 +
                           b"\n    stream: s\n    database: d\n"),
        ("unterminated.yaml", b"accounts:\n  - name: \"ga\n"),
        ("document-end.yaml", b"---\n" + account + b"...\n---\n"),
    ]
    return seeds + hostile


# ---- events -------------------------------------------------------------

def record(subject, payload, stored=None):
    if isinstance(subject, str):
        subject = subject.encode("utf-8")
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    line = subject if stored is None else subject + b" %d" % stored
    return line + b"\n" + payload


def stream(records):
    return SEP.join(records)


def shape(subject):
    """A subject's shape: its tokens with the ids taken out."""
    t = subject.split(".")
    if len(t) < 6:
        return "other"
    if t[4] == "events":
        return ".".join(t[4:5] + ["*"] * (len(t) == 8) + t[5:6] + t[7:])
    if t[4] == "players" and len(t) >= 8:
        return ".".join([t[4]] + t[6:8] + t[9:])
    return "other"


def fixture_seeds():
    with open(FIXTURE, "r", encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    seeds, per_shape = [], {}
    for i, e in enumerate(events):
        s = shape(e["subject"])
        per_shape.setdefault(s, []).append(i)
    for s, idx in sorted(per_shape.items()):
        for i in idx[:2]:
            e = events[i]
            seeds.append(("fixture-%03d" % (i + 1),
                          record(e["subject"], e["payload"])))
    # Every event the fixture parks (expected.json, "parked").
    with open("tests/fixtures/gamingapi-small/expected.json") as f:
        parked = sorted({seq for _, seq in json.load(f)["parked"]})
    for seq in parked:
        e = events[seq - 1]
        seeds.append(("fixture-%03d" % seq, record(e["subject"], e["payload"])))
    # Runs of consecutive events: sessions, restarts, wipes and kills
    # interleaved as the plugin sends them.
    for start, n in ((0, 24), (200, 20), (300, 16), (470, 12), (540, 24)):
        seeds.append(("fixture-run-%03d-%03d" % (start + 1, start + n),
                      stream(record(e["subject"], e["payload"])
                             for e in events[start:start + n])))
    return seeds


S = "v0.rust.servers.7"
P = S + ".players.76561198000000001.events."
Q = S + ".players.76561198000000002.events."


def rule_seeds():
    ts = lambda field, t: '{"%s":"2026-01-01T00:%s"}' % (field, t)
    conn = lambda t, name="alice": (
        '{"connected_timestamp":"2026-01-01T00:%s","player":{"name":"%s",'
        '"address":"198.51.100.7"}}' % (t, name))
    disc = lambda t, why="left": (
        '{"disconnected_timestamp":"2026-01-01T00:%s","reason":"%s"}' % (t, why))
    kill = lambda t, a, v, extra="": (
        '{"hit_timestamp":"2026-01-01T00:%s","player_hit":{"isKill":true,'
        '"attacker":{"steam_id":"%s"},"victim":{"steam_id":"%s"}%s}}'
        % (t, a, v, extra))
    return [
        ("rule-late-disconnect", stream([
            record(P + "connected", conn("01:00.000Z")),
            record(P + "connected", conn("05:00.000Z", "alice2")),
            record(P + "disconnected", disc("03:00.000Z"))])),
        ("rule-restart", stream([
            record(S + ".events.started", ts("timestamp", "00:00Z")),
            record(P + "connected", conn("01:00Z")),
            record(Q + "connected", conn("02:00Z", "bob")),
            record(S + ".events.stopped", ts("timestamp", "03:00Z")),
            record(P + "disconnected", disc("02:30Z")),
            record(S + ".events.started", ts("timestamp", "04:00Z")),
            record(Q + "disconnected", disc("09:00Z"))])),
        ("rule-connect-earlier", stream([
            record(P + "connected", conn("05:00Z")),
            record(P + "connected", conn("01:00Z")),
            record(P + "disconnected", '{}')])),
        ("rule-kills", stream([
            record(S + ".events.wiped", 'null'),
            record(P + "combat.hit", kill("01:00Z", "76561198000000001",
                                          "76561198000000002",
                                          ',"hit_area_id":1,"hit_distance":'
                                          '123.5')),
            record(P + "combat.hit", kill("02:00Z", "76561198000000001",
                                          "76561198000000001")),
            record(P + "combat.hit", '{"player_hit":{"is_kill":true,'
                                     '"victim":{"steam_id":"x"}}}'),
            record(P + "combat.hit", '{"player_hit":{"isKill":false,'
                                     '"is_kill":true,"victim":{}}}'),
            record(S + ".events.wiped", ts("timestamp", "03:00Z")),
            record(P + "combat.hit", kill("04:00Z", "a", "b",
                                          ',"hit_distance":-1e308'))])),
        ("rule-bans", stream([
            record(P + "banned", '{"timestamp":"2026-01-01T00:05:00Z",'
                                 '"player_name":"al","reason":"cheat"}'),
            record(P + "unbanned", ts("timestamp", "04:00Z")),
            record(P + "banned", '{"timestamp":"2026-01-01T00:05:00Z",'
                                 '"reason":null}'),
            record(P + "reported", '{"reported_target_steam_id":"zz"}'),
            record(S + ".events.player.76561198000000001.chatted",
                   '{"player_name":"alice3","timestamp":"2026-01-01T00:06:00Z"}')
            ])),
        ("rule-items", stream([
            record(P + "items.rifle.ak.pickup", '{"pickup_timestamp":'
                                                '"2026-01-01T00:01:00Z"}'),
            record(P + "items.1.loot", '{"loot_timestamp":"6/17/2023 5:04:12 PM"}'),
            record(P + "items.1.crafted", '{"craft_timestamp":1}'),
            record(P + "items.1.dropped", '{}'),
            record(P + "gatheredResources", '{"timestamp":"2026-01-01T00:00:00"}'),
            record(P + "respawned", '{"respawn_timestamp":"2026-01-01T00:00:00+14:00"}'),
            record(S + ".events.command", '{"command":"x"}')])),
    ]


def wrong_type_seeds():
    """One event per field of the contract's table "Which projection reads
    what", with a value of the wrong type (poison), and with null (missing,
    not poison)."""
    chat = S + ".events.player.76561198000000001.chatted"
    cases = [
        (P + "connected", '{"player":%s}', "player"),
        (P + "connected", '{"player":{"name":%s}}', "player-name"),
        (P + "disconnected", '{"reason":%s}', "reason"),
        (chat, '{"player_name":%s}', "player_name"),
        (P + "banned", '{"player_name":%s,"reason":"r"}', "ban-player_name"),
        (P + "banned", '{"player_name":"n","reason":%s}', "ban-reason"),
        (P + "reported", '{"reported_target_steam_id":%s}', "target"),
        (P + "combat.hit", '{"player_hit":%s}', "player_hit"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"victim":%s}}',
         "victim"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"attacker":%s}}',
         "attacker"),
        (P + "combat.hit", '{"player_hit":{"isKill":%s,"is_kill":true}}',
         "isKill"),
        (P + "combat.hit", '{"player_hit":{"is_kill":%s}}', "is_kill"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"attacker":'
                           '{"steam_id":%s}}}', "attacker-steam_id"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"victim":'
                           '{"steam_id":%s}}}', "victim-steam_id"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"hit_area_id":%s}}',
         "hit_area_id"),
        (P + "combat.hit", '{"player_hit":{"isKill":true,"hit_distance":%s}}',
         "hit_distance"),
    ]
    wrong = {"player": "1", "victim": '"v"', "attacker": "[]",
             "player_hit": '"x"', "isKill": '"true"', "is_kill": "1",
             "hit_area_id": '"1"', "hit_distance": "false"}
    out = []
    for subject, fmt, name in cases:
        bad = wrong.get(name, "{}" if "steam_id" in name or "name" in name
                        or name in ("reason", "target") else "1")
        out.append(("type-%s" % name, record(subject, fmt % bad)))
        out.append(("null-%s" % name, record(subject, fmt % "null")))
    return out


def hostile_seeds():
    conn = P + "connected"
    hit = P + "combat.hit"
    deep = lambda n: "[" * n + "]" * n
    deep_obj = lambda n: '{"a":' * n + "1" + "}" * n
    return [
        ("bad-invalid-json", record(conn, '{"player":')),
        ("bad-truncated", record(hit, '{"player_hit":{"isKill":true,"victim"')),
        ("bad-trailing", record(conn, '{} {}')),
        ("bad-utf8", record(conn, b'{"player":{"name":"\xc3\x28"}}')),
        ("bad-utf8-overlong", record(conn, b'{"player":{"name":"\xc0\xaf"}}')),
        ("bad-surrogate", record(conn, '{"player":{"name":"\\ud800"}}')),
        ("bad-nul-raw", record(conn, b'{"player":{"name":"a\0b"}}')),
        ("bad-nul-escape", record(conn, '{"player":{"name":"a\\u0000b"}}')),
        ("bad-nul-key", record(conn, '{"player\\u0000":{"name":"x"}}')),
        ("bad-nul-after", record(conn, b'{}\0')),
        ("deep-64", record(conn, '{"x":' + deep(63) + "}")),
        ("deep-65", record(conn, '{"x":' + deep(64) + "}")),
        ("deep-obj-65", record(conn, deep_obj(65))),
        ("deep-10000", record(conn, deep(10000))),
        ("deep-in-string", record(conn, '{"x":"' + "[" * 100 + '"}')),
        ("deep-escaped-quote", record(conn, '{"x":"\\"' + "[" * 70 + '"}')),
        ("num-huge", record(hit, '{"player_hit":{"hit_distance":1e309}}')),
        ("num-neg-huge", record(hit, '{"player_hit":{"hit_distance":-1e309}}')),
        ("num-tiny", record(hit, '{"player_hit":{"hit_distance":1e-400}}')),
        ("num-int-big", record(hit, '{"player_hit":{"hit_area_id":'
                                    '9223372036854775808}}')),
        ("num-int-min", record(hit, '{"player_hit":{"hit_area_id":'
                                    '-9223372036854775808,"isKill":true}}')),
        ("num-forms", record(hit, '{"player_hit":{"hit_area_id":1.0,'
                                  '"hit_distance":-0,"isKill":true}}')),
        ("num-nan", record(hit, '{"player_hit":{"hit_distance":NaN}}')),
        ("dup-keys", record(conn, '{"player":{"name":1},"player":{"name":"b"}}')),
        ("dup-keys-kill", record(hit, '{"player_hit":{"isKill":"no",'
                                      '"isKill":true,"victim":{"steam_id":"v"}}}')),
        ("empty", b""),
        ("empty-payload", record(conn, "")),
        ("empty-subject", record("", "{}")),
        ("null-started", record(S + ".events.started", "null")),
        ("null-connected", record(conn, "null")),
        ("top-array", record(S + ".events.wiped", "[]")),
        ("top-string", record(S + ".events.stopped", '"x"')),
        ("top-number", record(conn, "1")),
        ("wrong-types", record(hit, '{"player_hit":{"isKill":1,"victim":[],'
                                    '"attacker":"a"}}')),
        ("time-forms", stream([
            record(conn, '{"connected_timestamp":"2026-02-29T00:00:00Z"}'),
            record(conn, '{"connected_timestamp":"2024-02-29T23:59:59.9999999-23:59"}'),
            record(conn, '{"connected_timestamp":"0000-01-01T00:00:00+00:01"}'),
            record(conn, '{"connected_timestamp":"9999-12-31T23:59:59.999-00:01"}'),
            record(conn, '{"connected_timestamp":"2026-01-01t00:00:00z"}'),
            record(conn, '{"connected_timestamp":null,"timestamp":"2026-01-01T00:00:00Z"}')])),
        ("stored-out-of-range", stream([
            record(conn, "{}", -62167219200001),
            record(S + ".events.wiped", "null", 253402300800000),
            record(S + ".events.started", "{}", -9223372036854775808)])),
        ("subjects", stream([
            record("v0.rust.servers.7.events.started.", "{}"),
            record("v0.rust.servers..events.started", "{}"),
            record("v0.rust.servers.*.events.started", "{}"),
            record("v0.rust.servers.>", "{}"),
            record("v0.rust.servers.7.players.8.events.items.9.pickup.x", "{}"),
            record("v0.rust.servers.7.players.8.events.combat", "{}"),
            record("v0.rust.servers.7.events.player.8.chatted", "{}"),
            record("v0.rust.servers.\xff.events.started", "{}"),
            record("v0.rust.servers.7\t.events.wiped", "{}"),
            record("v1.rust.servers.7.events.started", "{}")])),
        ("long-ids", record("v0.rust.servers." + "9" * 2000 +
                            ".players." + "8" * 2000 + ".events.connected",
                            '{"player":{"name":"' + "n" * 5000 + '"}}')),
    ]


# ---- archive blocks -----------------------------------------------------

ASEP = b"\n--\n"


def arecord(subject, payload, gap=0, dt=1):
    """A record of fuzz_archive's input: sequence gap code, time code (one
    byte each), subject, newline, payload."""
    if isinstance(subject, str):
        subject = subject.encode("utf-8")
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return bytes([gap, dt & 0xFF]) + subject + b"\n" + payload


def archive_seeds():
    with open(FIXTURE, "r", encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    seeds = []
    for start, n in ((0, 40), (200, 50), (500, 24)):
        seeds.append(("rec-fixture-%03d-%03d" % (start + 1, start + n),
                      ASEP.join(arecord(e["subject"], e["payload"],
                                        gap=i % 3, dt=i % 5)
                                for i, e in enumerate(events[start:start + n]))))
    e = events[:16]
    seeds += [
        ("rec-one", arecord(e[0]["subject"], e[0]["payload"])),
        ("rec-empty", b""),
        ("rec-separator", ASEP),
        ("rec-empty-fields", ASEP.join([b"", b"\x00", b"\x00\x00",
                                         b"\x00\x00\n"])),
        ("rec-gaps", ASEP.join(arecord(x["subject"], x["payload"],
                                       gap=0xF0 + i, dt=0)
                               for i, x in enumerate(e))),
        ("rec-gap-overflow", ASEP.join(arecord("a", "1", gap=0xFF)
                                       for _ in range(20))),
        ("rec-times", ASEP.join(arecord(x["subject"], x["payload"], gap=0,
                                        dt=(0x7F, 0x80, 0xFF, 0x01)[i % 4])
                                for i, x in enumerate(e))),
        ("rec-nul", ASEP.join([arecord(b"\x00" * 8, b"\x00" * 40),
                               arecord(b"a\x00b", b"{\"a\":\"\x00\"}"),
                               arecord(b"\xff\xfe", bytes(range(256)))])),
        ("rec-large", arecord("v0.rust.servers.7.events.big",
                              b"".join(b"%08d," % (i * 7919 % 100000)
                                       for i in range(1500)))),
        ("rec-many-small", ASEP.join(arecord("s", "", gap=0, dt=0)
                                     for _ in range(1000))),
    ]
    return seeds + content_seeds(events)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def content(records):
    """fuzz_archive's forged-block input: count - 1, first and last
    sequences, then the content of archive_block.h: for each record, the
    sequence's and the time's deltas (zigzag), then the subject and the
    payload, each with its length before and a 0 byte after."""
    out, seq, ms = bytearray(), 0, 0
    for s, t, subject, payload in records:
        d = (t - ms) & 0xFFFFFFFFFFFFFFFF
        zz = (d << 1 & 0xFFFFFFFFFFFFFFFF) ^ (0xFFFFFFFFFFFFFFFF if d >> 63
                                               else 0)
        out += varint(s - seq) + varint(zz)
        out += varint(len(subject)) + subject + b"\0"
        out += varint(len(payload)) + payload + b"\0"
        seq, ms = s, t
    head = struct.pack("<HQQ", len(records) - 1, records[0][0],
                       records[-1][0])
    return head + bytes(out)


def content_seeds(events):
    enc = lambda e: (e["subject"].encode("utf-8"),
                     e["payload"].encode("utf-8"))
    t0 = 1793534400000
    run = [(i + 1, t0 + 7 * i) + enc(e) for i, e in enumerate(events[:30])]
    gaps = [(1000 + 3 * i, t0 - 1000 * i) + enc(e)
            for i, e in enumerate(events[100:120])]
    return [
        ("content-fixture-001-030", content(run)),
        ("content-gaps", content(gaps)),
        ("content-one", content([(1, t0) + enc(events[0])])),
        ("content-extremes", content([
            (0, 2 ** 63 - 1, b"a", b""), (1, -2 ** 63, b"", b"\0"),
            (2 ** 64 - 1, -1, b"\xff" * 3, b"x")])),
    ]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(os.path.join(here, "..", ".."))
    n = write_dir("tests/fuzz/corpus/config", config_seeds())
    m = write_dir("tests/fuzz/corpus/apply",
                  fixture_seeds() + rule_seeds() + wrong_type_seeds() +
                  hostile_seeds())
    a = write_dir("tests/fuzz/corpus/archive", archive_seeds(), keep="block-")
    print("corpus/config: %d files, corpus/apply: %d files, "
          "corpus/archive: %d record files" % (n, m, a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
