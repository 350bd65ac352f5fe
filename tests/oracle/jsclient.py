#!/usr/bin/env python3
"""A minimal NATS + JetStream client over a raw TCP socket.

Independent of cnats (which the projector uses): it speaks the NATS text
protocol itself (INFO, CONNECT, PING/PONG, SUB, PUB, MSG, HMSG, +OK/-ERR) and
the few JetStream API requests the oracle tests need:

- stream_create(): $JS.API.STREAM.CREATE.<name> with a JSON config;
- publish_all(): publishes events with a reply inbox each and waits for the
  PubAcks ({"stream":…,"seq":N}); pipelined, so stream order = send order;
- msg_get() / stored_times(): $JS.API.STREAM.MSG.GET.<stream> {"seq":N} ->
  the stored message, its data and its stored time (message.time, RFC 3339
  with nanoseconds) as milliseconds since the epoch, truncated.

Replies may come as MSG or HMSG (headers); an HMSG whose status line is
"NATS/1.0 503" is the server's no-responders answer and raises NoResponders.
Only loopback addresses are accepted (this is a test tool).

Command line (a smoke test against a running server):
    python3 tests/oracle/jsclient.py nats://127.0.0.1:PORT [STREAM]

Python 3 standard library only.
"""

import base64
import calendar
import ipaddress
import json
import os
import re
import socket
import sys
import time

CRLF = b"\r\n"


class NatsError(Exception):
    """A protocol error, an -ERR from the server, or a JetStream API error."""


class NoResponders(NatsError):
    """Nobody listens on the request's subject (status 503)."""


class Timeout(NatsError):
    pass


class Msg:
    __slots__ = ("subject", "sid", "reply", "headers", "status", "data")

    def __init__(self, subject, sid, reply, headers, status, data):
        self.subject = subject
        self.sid = sid
        self.reply = reply
        self.headers = headers      # dict of lists, or None for MSG
        self.status = status        # e.g. "503", or None
        self.data = data            # bytes

    def json(self):
        return json.loads(self.data)


def parse_headers(block):
    """'NATS/1.0[ status[ description]]\\r\\nKey: value\\r\\n…\\r\\n\\r\\n' ->
    (status or None, {key: [values]})."""
    lines = block.decode("utf-8", "replace").split("\r\n")
    first = lines[0]
    if not first.startswith("NATS/1.0"):
        raise NatsError("bad header block: %r" % first)
    rest = first[len("NATS/1.0"):].strip()
    status = rest.split(" ", 1)[0] if rest else None
    hdrs = {}
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip(), []).append(v.strip())
    return status, hdrs


def loopback_only(host):
    """Refuses any address outside 127.0.0.0/8 and ::1."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise NatsError("only literal loopback addresses are allowed: %r"
                        % host)
    if not ip.is_loopback:
        raise NatsError("refusing non-loopback address %s" % host)
    return host


def parse_url(url):
    m = re.fullmatch(r"(?:nats://)?\[?([^\]/]+?)\]?:(\d+)/?", url)
    if not m:
        raise NatsError("bad url %r (want nats://127.0.0.1:PORT)" % url)
    return loopback_only(m.group(1)), int(m.group(2))


_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)"
                      r"(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", re.ASCII)


def rfc3339_to_ms(s):
    """'2026-11-01T12:00:00.123456789Z' -> ms since the epoch, truncated
    (not rounded): the same millisecond a client gets by truncating the
    nanosecond timestamp of the message's JetStream metadata."""
    m = _RFC3339.fullmatch(s)
    if not m:
        raise NatsError("bad time %r" % s)
    secs = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)))
    if m.group(8) != "Z":
        z = m.group(8)
        off = (int(z[1:3]) * 60 + int(z[4:6])) * 60
        secs -= off if z[0] == "+" else -off
    frac = (m.group(7) or "") + "000"
    return secs * 1000 + int(frac[:3])


class Connection:
    def __init__(self, url, timeout=10.0, name="projector-oracle"):
        host, port = parse_url(url)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.pending = []           # messages read while waiting for others
        self.next_sid = 1
        op = self._read_op(time.monotonic() + timeout)
        if op[0] != "INFO":
            raise NatsError("expected INFO, got %r" % (op,))
        self.info = op[1]
        if not self.info.get("headers"):
            raise NatsError("server does not support headers")
        # headers + no_responders: a request to a subject nobody serves is
        # answered at once with an HMSG 503 instead of timing out.
        connect = {"verbose": False, "pedantic": False, "tls_required": False,
                   "name": name, "lang": "python-raw", "version": "0.1",
                   "protocol": 1, "headers": True, "no_responders": True}
        self._send(b"CONNECT " + json.dumps(connect).encode() + CRLF +
                   b"PING" + CRLF)
        self._wait_pong()
        # One wildcard inbox subscription serves every request.
        self.inbox = "_INBOX.%s" % os.urandom(8).hex()
        self.inbox_sid = self.subscribe(self.inbox + ".*")
        self.req_n = 0

    # ------------------------------------------------------------- wire

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("timed out waiting for the server")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise Timeout("timed out waiting for the server")
        if not chunk:
            raise NatsError("connection closed by the server")
        self.buf += chunk

    def _line(self, deadline):
        while True:
            i = self.buf.find(CRLF)
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) < n + 2:
            self._fill(deadline)
        data = bytes(self.buf[:n])
        if self.buf[n:n + 2] != CRLF:
            raise NatsError("payload not followed by CRLF")
        del self.buf[:n + 2]
        return data

    def _read_op(self, deadline):
        """Reads one protocol operation; answers server PINGs itself."""
        while True:
            line = self._line(deadline)
            if not line:
                continue
            verb, _, rest = line.partition(b" ")
            verb = verb.upper()
            if verb == b"PING":
                self._send(b"PONG" + CRLF)
                continue
            if verb == b"+OK":
                continue
            if verb == b"PONG":
                return ("PONG",)
            if verb == b"INFO":
                return ("INFO", json.loads(rest))
            if verb == b"-ERR":
                raise NatsError("server error: %s" % rest.decode(
                    "utf-8", "replace"))
            if verb == b"MSG":
                # MSG <subject> <sid> [reply-to] <#bytes>
                parts = rest.decode().split()
                if len(parts) not in (3, 4):
                    raise NatsError("bad MSG line %r" % line)
                subject, sid = parts[0], int(parts[1])
                reply = parts[2] if len(parts) == 4 else None
                data = self._exact(int(parts[-1]), deadline)
                return ("MSG", Msg(subject, sid, reply, None, None, data))
            if verb == b"HMSG":
                # HMSG <subject> <sid> [reply-to] <#header bytes> <#total>
                parts = rest.decode().split()
                if len(parts) not in (4, 5):
                    raise NatsError("bad HMSG line %r" % line)
                subject, sid = parts[0], int(parts[1])
                reply = parts[2] if len(parts) == 5 else None
                hlen, total = int(parts[-2]), int(parts[-1])
                raw = self._exact(total, deadline)
                status, hdrs = parse_headers(raw[:hlen])
                return ("MSG", Msg(subject, sid, reply, hdrs, status,
                                   raw[hlen:]))
            raise NatsError("unexpected protocol line %r" % line)

    def _wait_pong(self):
        deadline = time.monotonic() + self.timeout
        while True:
            op = self._read_op(deadline)
            if op[0] == "PONG":
                return
            if op[0] == "MSG":
                self.pending.append(op[1])

    def flush(self):
        self._send(b"PING" + CRLF)
        self._wait_pong()

    # ------------------------------------------------------------- core

    def subscribe(self, subject):
        sid = self.next_sid
        self.next_sid += 1
        self._send(("SUB %s %d" % (subject, sid)).encode() + CRLF)
        return sid

    def publish(self, subject, data, reply=None):
        if len(data) > self.info.get("max_payload", 1 << 20):
            raise NatsError("payload of %d bytes exceeds the server's "
                            "max_payload %d" % (len(data),
                                                self.info["max_payload"]))
        head = "PUB %s %s%d" % (subject, reply + " " if reply else "",
                                len(data))
        self._send(head.encode() + CRLF + data + CRLF)

    def next_msg(self, timeout=None):
        if self.pending:
            return self.pending.pop(0)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            op = self._read_op(deadline)
            if op[0] == "MSG":
                return op[1]

    def _new_reply(self):
        self.req_n += 1
        return "%s.%d" % (self.inbox, self.req_n)

    def request(self, subject, data, timeout=None):
        reply = self._new_reply()
        self.publish(subject, data, reply)
        while True:
            m = self.next_msg(timeout)
            if m.subject != reply:
                continue        # a stale reply to an earlier request
            if m.status == "503":
                raise NoResponders("no responders on %s" % subject)
            return m

    def request_many(self, items, window=256, timeout=None):
        """Pipelined requests: items is a list of (subject, data). Sends up
        to `window` ahead and returns the replies in the items' order. On
        one connection the server handles the PUBs in the order sent."""
        replies = [None] * len(items)
        waiting = {}
        sent = done = 0
        while done < len(items):
            while sent < len(items) and sent - done < window:
                reply = self._new_reply()
                waiting[reply] = sent
                self.publish(items[sent][0], items[sent][1], reply)
                sent += 1
            m = self.next_msg(timeout)
            i = waiting.pop(m.subject, None)
            if i is None:
                continue
            if m.status == "503":
                raise NoResponders("no responders on %s" % items[i][0])
            replies[i] = m
            done += 1
        return replies

    # -------------------------------------------------------- JetStream

    @staticmethod
    def _api(m):
        try:
            d = m.json()
        except ValueError:
            raise NatsError("JetStream answered non-JSON %r" % m.data[:200])
        if isinstance(d, dict) and d.get("error"):
            e = d["error"]
            raise NatsError("JetStream error %s (%s): %s" % (
                e.get("code"), e.get("err_code"), e.get("description")))
        return d

    def stream_create(self, name, subjects, storage="file", **extra):
        cfg = {"name": name, "subjects": list(subjects), "storage": storage,
               "retention": "limits", "discard": "old", "num_replicas": 1}
        cfg.update(extra)
        return self._api(self.request("$JS.API.STREAM.CREATE." + name,
                                      json.dumps(cfg).encode()))

    def stream_info(self, name):
        return self._api(self.request("$JS.API.STREAM.INFO." + name, b""))

    def publish_all(self, events, window=256, timeout=None):
        """Publishes (subject, payload bytes) in order, each with a reply
        inbox, and returns the PubAcks ({"stream":…,"seq":N}) in order."""
        reps = self.request_many(events, window, timeout)
        return [self._api(m) for m in reps]

    def msg_get(self, stream, seq):
        """(subject, data bytes, stored time ms) of one stored message."""
        return self._msg(self._api(self.request(
            "$JS.API.STREAM.MSG.GET." + stream,
            json.dumps({"seq": seq}).encode())))

    @staticmethod
    def _msg(d):
        m = d["message"]
        data = base64.b64decode(m["data"]) if m.get("data") else b""
        return m["subject"], data, rfc3339_to_ms(m["time"])

    def stored_messages(self, stream, first, last, window=128):
        """[(subject, data, stored ms)] for sequences first..last."""
        subj = "$JS.API.STREAM.MSG.GET." + stream
        reps = self.request_many([(subj, json.dumps({"seq": s}).encode())
                                  for s in range(first, last + 1)], window)
        return [self._msg(self._api(m)) for m in reps]


def main(argv):
    if not argv:
        print(__doc__)
        return 64
    stream = argv[1] if len(argv) > 1 else "oracle_smoke"
    with Connection(argv[0]) as c:
        print("server %s, max_payload %d, jetstream %s" % (
            c.info.get("version"), c.info.get("max_payload"),
            c.info.get("jetstream")))
        try:
            c.request("nobody.listens.here", b"")
            print("no-responders: NOT detected")
        except NoResponders:
            print("no-responders: detected")
        c.stream_create(stream, ["oracle.smoke.>"])
        acks = c.publish_all([("oracle.smoke.%d" % i, b'{"i":%d}' % i)
                              for i in range(5)])
        print("acks", acks)
        for s, d, t in c.stored_messages(stream, acks[0]["seq"],
                                         acks[-1]["seq"]):
            print(s, d, t)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
