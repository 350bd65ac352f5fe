#!/usr/bin/env python3
"""Acceptance test: the projector folds a large generated stream exactly as
the independent oracle (model.py) says the read-model contract requires.

    python3 tests/oracle/large_stream_test.py [--projector build/projector]
        [--events 5000] [--seed 7] [--base-ms MS] [--timeout 120]
        [--no-huge] [--no-edge] [--no-projector] [--keep]

1. starts its own nats-server on loopback (random port, read from the ports
   file; JetStream in a temporary store; max_payload raised so that the
   generator's 1 MiB + 1 byte poison payload can be stored);
2. generates a stream with gen.py and publishes it with jsclient.py (our own
   raw-socket client, not cnats) into stream `everything`
   (subjects v0.rust.servers.>), checking every PubAck's sequence;
3. reads every stored message back ($JS.API.STREAM.MSG.GET): its bytes must
   be what was published, and its stored time (ms, truncated) is what the
   oracle uses where an event's time falls back to the stored time;
4. computes the oracle's answer;
5. writes a projector config (README.md, "Configuration") and runs
   `projector run -c CFG --once` (timeout 120 s);
6. runs the six contract queries (read-model.md section 5) on the database
   with sqlite3 and compares them with the oracle (REAL within 1e-6; rows
   that tie on a query's ORDER BY are compared in a canonical order, since
   the contract leaves their order open);
7. asserts that no IP address from any connected payload appears anywhere in
   the database's bytes (the .db file and its -wal/-shm/-journal files).

Checks: "projector exit 0", one per query, and "no IP address". Prints a
one-line summary, then "N passed, M failed"; exits 0 only if all passed.
With --no-projector it stops after step 4 (what can be tested before the
projector exists); its checks are then the publish/read-back ones.

The nats-server is killed in a finally block. The temporary folder is removed
on success and kept (its path printed) on failure or with --keep; it holds
events.jsonl, stored_times.txt, oracle.json, projector.yaml, the projector's
and nats-server's logs, and the database.

Python 3 standard library only.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import gen        # noqa: E402
import jsclient   # noqa: E402
import model      # noqa: E402

STREAM = "everything"
SUBJECTS = ["v0.rust.servers.>"]

# The contract's queries, verbatim from read-model.md section 5.
QUERIES = {
    "servers": "SELECT server_id, status, last_started_at, last_stopped_at, "
               "current_wipe_id, online_players FROM servers "
               "ORDER BY server_id",
    "wipes": "SELECT server_id, wipe_id, wiped_at FROM wipes "
             "ORDER BY server_id, wipe_id",
    "session_history": "SELECT server_id, steam_id, name, connected_at, "
                       "disconnected_at, duration_s, end_reason "
                       "FROM session_history ORDER BY server_id, steam_id, "
                       "connected_at, disconnected_at",
    "player_profiles": "SELECT steam_id, name, first_seen, last_seen, "
                       "sessions, playtime_s, chat_messages, "
                       "reports_received, banned, ban_reason "
                       "FROM player_profiles ORDER BY steam_id",
    "leaderboard": "SELECT server_id, wipe_id, steam_id, name, kills, "
                   "deaths, headshots, longest_kill_m, kd, rank "
                   "FROM leaderboard ORDER BY server_id, wipe_id, rank",
    "parked": "SELECT projection, seq FROM projector_parked "
              "ORDER BY projection, seq",
}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))
        return ok


# ------------------------------------------------------------ nats-server

class NatsServer:
    """A nats-server of our own on loopback, JetStream in dir/store."""

    def __init__(self, workdir, max_payload):
        self.dir = workdir
        conf = os.path.join(workdir, "nats.conf")
        with open(conf, "w") as f:
            # The only setting the command line cannot give.
            f.write("max_payload: %d\n" % max_payload)
        self.log = open(os.path.join(workdir, "nats-server.log"), "wb")
        self.proc = subprocess.Popen(
            ["nats-server", "-c", conf, "-a", "127.0.0.1", "-p", "-1", "-js",
             "-sd", os.path.join(workdir, "store"),
             "--ports_file_dir", workdir],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.url = None

    def wait_ready(self, timeout=20.0):
        """Polls for the ports file, then for a connection that answers a
        PING; no fixed sleeps."""
        path = os.path.join(self.dir, "nats-server_%d.ports" % self.proc.pid)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nats-server exited with %d (see %s)" % (
                    self.proc.returncode, self.log.name))
            try:
                with open(path) as f:
                    urls = json.load(f).get("nats") or []
                if urls:
                    self.url = urls[0]
                    with jsclient.Connection(self.url, timeout=2.0) as c:
                        c.flush()
                        if c.info.get("jetstream"):
                            return self.url
            except (OSError, ValueError, jsclient.NatsError):
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise RuntimeError("nats-server not ready after %.0f s" % timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ------------------------------------------------------------------ parts

IP_FIELD = re.compile(r'"address"\s*:\s*"([^"\\]+)"')
IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")


def connected_ips(stream):
    """Every IP address string found in a connected payload: from the parsed
    JSON when it parses, and by a plain text match otherwise (poison
    payloads are never written either)."""
    ips = set()
    for subject, payload in stream:
        if not subject.endswith(".connected"):
            continue
        try:
            d = json.loads(payload)
            a = d.get("player", {}).get("address") \
                if isinstance(d, dict) and isinstance(d.get("player"), dict) \
                else None
            if isinstance(a, str) and a:
                ips.add(a)
        except ValueError:
            pass
        ips.update(IP_FIELD.findall(payload))
        ips.update(IPV4.findall(payload))
    return sorted(ips)


def write_config(path, url, db):
    # JSON strings are valid YAML scalars: no quoting surprises in paths.
    with open(path, "w") as f:
        f.write("# written by tests/oracle/large_stream_test.py\n"
                "nats:\n"
                "  servers: [%s]\n"
                "accounts:\n"
                "  - name: big\n"
                "    stream: %s\n"
                "    database: %s\n" % (json.dumps(url), STREAM,
                                        json.dumps(db)))


def query_db(db):
    """The six contract queries, rows as lists, read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return {q: [list(r) for r in con.execute(sql)]
                for q, sql in QUERIES.items()}
    finally:
        con.close()


def db_bytes(db):
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            with open(db + suffix, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    return data


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projector",
                    default=os.path.join(REPO, "build", "projector"))
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--base-ms", type=int, default=None,
                    help="start of the simulated clock (default: so that "
                         "the publish time falls mid-stream)")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--no-huge", action="store_true")
    ap.add_argument("--no-edge", action="store_true")
    ap.add_argument("--no-projector", action="store_true",
                    help="stop after publishing, reading back and the oracle")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder")
    a = ap.parse_args(argv)

    # The generated clock spans about 1.4 s per event; starting it this far
    # back puts the stored times (now) in the middle of the ISO-timed events,
    # so fallback times interleave with them.
    base = a.base_ms if a.base_ms is not None else \
        (int(time.time()) - int(a.events * 0.7)) * 1000
    huge = not a.no_huge
    checks = Checks()
    work = tempfile.mkdtemp(prefix="projector-large-")
    server = None
    summary = "large stream: did not run"
    try:
        t0 = time.monotonic()
        stream, _g, cat = gen.generate(a.seed, a.events, base, huge,
                                       not a.no_edge)
        with open(os.path.join(work, "events.jsonl"), "w") as f:
            for s, p in stream:
                f.write(json.dumps({"subject": s, "payload": p},
                                   separators=(",", ":")) + "\n")
        events = [(s, p.encode("utf-8")) for s, p in stream]
        biggest = max(len(p) for _, p in events)

        server = NatsServer(work, max(1 << 20, biggest + 4096))
        url = server.wait_ready()

        with jsclient.Connection(url, timeout=30.0) as c:
            c.stream_create(STREAM, SUBJECTS, "file")
            acks = c.publish_all(events)
            seqs_ok = all(ack.get("stream") == STREAM and ack.get("seq") == i
                          for i, ack in enumerate(acks, 1))
            checks.check("publish: %d PubAcks with seq 1..%d" % (
                len(acks), len(events)), seqs_ok,
                "first bad ack: %r" % next(
                    (x for i, x in enumerate(acks, 1)
                     if x.get("seq") != i), None))
            stored = c.stored_messages(STREAM, 1, len(events))
        t_pub = time.monotonic() - t0
        same = [i for i, ((s, p), (ss, sp, _)) in
                enumerate(zip(events, stored), 1) if s != ss or p != sp]
        checks.check("read back: stored subjects and bytes equal the "
                     "published ones", not same,
                     "first different seq %s" % (same[:1],))
        times = [t for _, _, t in stored]
        with open(os.path.join(work, "stored_times.txt"), "w") as f:
            f.write("\n".join(str(t) for t in times) + "\n")

        want = model.compute([(i, s, p, times[i - 1])
                              for i, (s, p) in enumerate(events, 1)])
        with open(os.path.join(work, "oracle.json"), "w") as f:
            json.dump(want, f, indent=1)
        ips = connected_ips(stream)
        parked_by = {}
        for p, _ in want["parked"]:
            parked_by[p] = parked_by.get(p, 0) + 1
        oracle_desc = ("%d servers, %d wipes, %d sessions, %d profiles, "
                       "%d leaderboard rows, parked %s" % (
                           len(want["servers"]), len(want["wipes"]),
                           len(want["session_history"]),
                           len(want["player_profiles"]),
                           len(want["leaderboard"]),
                           "/".join("%s=%d" % kv for kv in
                                    sorted(parked_by.items()))))

        if a.no_projector:
            summary = ("large stream (no projector): seed=%d events=%d "
                       "base_ms=%d catalogue=%d published+read back in "
                       "%.1fs; oracle: %s" % (a.seed, a.events, base,
                                              len(cat), t_pub, oracle_desc))
            return 0 if checks.failed == 0 else 1

        # ---- the projector ----
        db = os.path.join(work, "big.db")
        cfg = os.path.join(work, "projector.yaml")
        write_config(cfg, url, db)
        t1 = time.monotonic()
        rc = None
        err = ""
        if not os.access(a.projector, os.X_OK):
            err = "no executable at %s" % a.projector
        else:
            with open(os.path.join(work, "projector.log"), "wb") as log:
                try:
                    rc = subprocess.run(
                        [a.projector, "run", "-c", cfg, "--once"],
                        stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        timeout=a.timeout).returncode
                except subprocess.TimeoutExpired:
                    err = "timed out after %.0f s" % a.timeout
            if rc not in (None, 0):
                with open(os.path.join(work, "projector.log"), "rb") as f:
                    tail = f.read()[-600:].decode("utf-8", "replace")
                err = "exit %d; log tail:\n%s" % (rc, tail)
        t_proj = time.monotonic() - t1
        checks.check("projector run --once exits 0", rc == 0, err)

        # Read the files' bytes before any connection of ours touches them
        # (a reader may create the -shm file or checkpoint on close).
        blob = db_bytes(db)
        try:
            got = query_db(db) if os.path.exists(db) else None
            qerr = "" if got is not None else "no database at %s" % db
        except sqlite3.Error as e:
            got, qerr = None, "sqlite: %s" % e
        for q in model.QUERIES:
            if got is None:
                checks.check("query %s" % q, False, qerr)
                continue
            diff = model.first_difference(q, model.sort_rows(q, want[q]),
                                          model.sort_rows(q, got[q]))
            checks.check("query %s (%d rows)" % (q, len(want[q])),
                         diff is None, diff or "")

        leaked = [ip for ip in ips if ip.encode() in blob]
        checks.check("no IP address from %d connected payloads in the "
                     "database files (%d bytes)" % (len(ips), len(blob)),
                     bool(blob) and not leaked,
                     "found %s" % leaked[:5] if leaked else "no database")
        summary = ("large stream: seed=%d events=%d base_ms=%d "
                   "catalogue=%d publish+read back %.1fs, projector %.1fs; "
                   "oracle: %s" % (a.seed, a.events, base, len(cat), t_pub,
                                   t_proj, oracle_desc))
        return 0 if checks.failed == 0 else 1
    except Exception as e:      # a broken harness is a failed test
        checks.check("harness", False, "%s: %s" % (type(e).__name__, e))
        return 1
    finally:
        if server is not None:
            server.stop()
        keep = a.keep or checks.failed
        print(summary + ("; files kept in %s" % work if keep else ""))
        print("%d passed, %d failed" % (checks.passed, checks.failed))
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
