#!/usr/bin/env python3
"""Independent reference implementation of the read-model contract (v1).

Written straight from the read-model contract ("the contract", README.md);
it shares no code, and deliberately no structure, with the C projector. It is an oracle:
it folds a whole stream in memory and returns the rows that the six queries of
contract section 5 must return.

Input : a list of (seq, subject, payload bytes, stored_time_ms), in stream order.
Output: a dict with the keys of expected.json (servers, wipes, session_history,
        player_profiles, leaderboard, parked); each value a list of rows, each
        row a list of column values in the query's column order, rows in the
        query's ORDER BY order. Times are 'YYYY-MM-DDTHH:MM:SS.sssZ' strings;
        duration_s, playtime_s and kd are floats; longest_kill_m a float or None.

Command line:
    python3 tests/oracle/model.py EVENTS.jsonl [--stored-times FILE]
prints the result as JSON. EVENTS.jsonl is in the fixture's format
({"subject":…,"payload":"<exact bytes>"} a line; line N gets sequence N). The
optional stored-times file holds one integer (ms since the epoch) a line, the
JetStream stored time of the message with that sequence; without it every
stored time is 0, which makes any use of it visible as a 1970 date.

Python 3 standard library only.
"""

import json
import math
import re
import sys

# --------------------------------------------------------------------------
# Section 2: subjects -> kinds.
# --------------------------------------------------------------------------

# The 14 kinds, in the contract's table order. "item" covers three subjects.
KINDS = ("started", "stopped", "wiped", "command", "chatted", "connected",
         "disconnected", "respawned", "hit", "gathered", "item", "reported",
         "banned", "unbanned")

# "Player-scoped" kinds are those whose subject carries a {steam_id}.
PLAYER_SCOPED = frozenset(("chatted", "connected", "disconnected", "respawned",
                           "hit", "gathered", "item", "reported", "banned",
                           "unbanned"))

_SERVER_EVENTS = {"started", "stopped", "wiped", "command"}
_PLAYER_EVENTS = {"connected": "connected", "disconnected": "disconnected",
                  "respawned": "respawned", "gatheredResources": "gathered",
                  "reported": "reported", "banned": "banned",
                  "unbanned": "unbanned"}
_ITEM_ACTIONS = {"pickup", "loot", "crafted"}


class Event:
    """One classified event: kind plus the ids taken from the subject.

    The contract derives server_id/steam_id/item_id from the subject, never
    from the payload (section 2)."""
    __slots__ = ("kind", "server_id", "steam_id", "item_id", "action")

    def __init__(self, kind, server_id, steam_id=None, item_id=None,
                 action=None):
        self.kind = kind
        self.server_id = server_id
        self.steam_id = steam_id
        self.item_id = item_id
        self.action = action


def classify(subject):
    """Returns an Event for a subject of one of the 14 shapes, else None.

    Matching is on whole dot-separated tokens with the exact token count of
    each shape, so a parameter token may be any non-empty token (even a word
    such as 'events'). Anything else is an unknown subject: acknowledged and
    ignored (it does not even create a servers row)."""
    t = subject.split(".")
    if len(t) < 6 or t[0] != "v0" or t[1] != "rust" or t[2] != "servers":
        return None
    if any(tok == "" for tok in t):
        return None
    sid = t[3]
    n = len(t)
    # v0.rust.servers.{sid}.events.{started,stopped,wiped,command}
    if n == 6 and t[4] == "events" and t[5] in _SERVER_EVENTS:
        return Event(t[5], sid)
    # v0.rust.servers.{sid}.events.player.{steam}.chatted (the irregular one)
    if n == 8 and t[4] == "events" and t[5] == "player" and t[7] == "chatted":
        return Event("chatted", sid, t[6])
    if t[4] != "players" or n < 7 or t[6] != "events":
        return None
    steam = t[5]
    # v0.rust.servers.{sid}.players.{steam}.events.{connected,…,unbanned}
    if n == 8 and t[7] in _PLAYER_EVENTS:
        return Event(_PLAYER_EVENTS[t[7]], sid, steam)
    # …players.{steam}.events.combat.hit
    if n == 9 and t[7] == "combat" and t[8] == "hit":
        return Event("hit", sid, steam)
    # …players.{steam}.events.items.{item_id}.{pickup,loot,crafted}
    if n == 10 and t[7] == "items" and t[9] in _ITEM_ACTIONS:
        return Event("item", sid, steam, t[8], t[9])
    return None


# --------------------------------------------------------------------------
# Section 2, "Bad input": payload validity.
# --------------------------------------------------------------------------

MAX_PAYLOAD = 1024 * 1024    # "at most 1 MiB" (1 MiB itself is allowed)
MAX_DEPTH = 64               # "at most 64 levels of nesting"
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class Invalid(Exception):
    """The payload is not valid JSON in the contract's sense."""


def _nesting_depth(text):
    """Deepest nesting of arrays/objects (a bare scalar is depth 0; '{}' is 1).

    Runs before the parser so that an absurdly deep payload is refused without
    recursion. Brackets inside strings do not count. Invalid JSON may give a
    meaningless number; the parser rejects such input anyway."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > best:
                best = depth
        elif ch in "]}":
            depth -= 1
    return best


def _reject_constant(name):
    # NaN, Infinity, -Infinity are not RFC 8259 literals.
    raise Invalid("non-RFC literal " + name)


def _parse_int(lit):
    # "every integer literal within 64 bits": a literal without fraction or
    # exponent must fit a signed 64-bit integer (jansson's json_int_t).
    v = int(lit)
    if v < INT64_MIN or v > INT64_MAX:
        raise Invalid("integer literal outside 64 bits")
    return v


def _parse_float(lit):
    # "every number within a double's range": overflow to ±inf is invalid.
    # Underflow to 0 (or a subnormal) is within range and therefore valid.
    v = float(lit)
    if math.isinf(v) or math.isnan(v):
        raise Invalid("number outside a double's range")
    return v


def _pairs(pairs):
    # "With duplicate keys the last one counts": dict() keeps the last value.
    return dict(pairs)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_strings(v):
    """Rejects strings holding U+0000 or a lone surrogate.

    With strict UTF-8 decoding and json's strict mode (raw control characters
    refused), a NUL in a decoded string can only come from a \\u0000 escape,
    which the contract forbids; a surrogate code point can only come from an
    unpaired \\uD800-\\uDFFF escape (a proper pair is combined by the parser),
    which jansson refuses and so do we. Keys are strings too."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if "\x00" in x:
                raise Invalid("\\u0000 escape in a string")
            if _SURROGATE.search(x):
                raise Invalid("lone surrogate escape")
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_parse_int,
                            parse_float=_parse_float,
                            parse_constant=_reject_constant, strict=True)


def decode_payload(data):
    """Returns the JSON value of payload bytes, or raises Invalid.

    Any JSON value is accepted at the top level here (a bare string or null is
    valid JSON); whether it must be an object is each projection's business."""
    if len(data) > MAX_PAYLOAD:
        raise Invalid("larger than 1 MiB")
    try:
        # "UTF-8 bytes only": Python's codec refuses overlong forms, encoded
        # surrogates and code points above U+10FFFF.
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Invalid("not UTF-8")
    if _nesting_depth(text) > MAX_DEPTH:
        raise Invalid("nested deeper than 64 levels")
    # RFC 8259 whitespace is exactly space, tab, LF and CR. json's decoder
    # skips only those; a leading BOM (U+FEFF) is refused by raw_decode, as
    # jansson refuses it.
    try:
        start = len(text) - len(text.lstrip(" \t\n\r"))
        value, end = _DECODER.raw_decode(text, start)
    except Invalid:
        raise
    except (ValueError, RecursionError) as e:
        raise Invalid(str(e))
    if text[end:].strip(" \t\n\r") != "":
        raise Invalid("trailing data")
    _check_strings(value)
    return value


# --------------------------------------------------------------------------
# Section 2, "Event time".
# --------------------------------------------------------------------------

# Each kind's own timestamp field; a plain `timestamp` is the fallback for
# every kind. Item events: the field depends on the action.
TIME_FIELD = {"started": "timestamp", "stopped": "timestamp",
              "wiped": "timestamp", "command": "timestamp",
              "chatted": "timestamp", "reported": "timestamp",
              "banned": "timestamp", "unbanned": "timestamp",
              "connected": "connected_timestamp",
              "disconnected": "disconnected_timestamp",
              "respawned": "respawn_timestamp", "hit": "hit_timestamp",
              "gathered": "gathered_timestamp"}
ITEM_TIME_FIELD = {"pickup": "pickup_timestamp", "loot": "loot_timestamp",
                   "crafted": "craft_timestamp"}

# YYYY-MM-DDTHH:MM:SS, optional fraction (one or more digits), optional Z or
# ±HH:MM. Digits are ASCII only (re.ASCII), the 'T' and 'Z' upper case.
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
                  r"(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z):
    z += 719468
    era = z // 146097   # Python's // already floors
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _days_in_month(y, m):
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_iso_ms(s):
    """Milliseconds since the epoch (UTC) of an ISO-8601 string, else None.

    Reading of the contract (see the report): hour 00-23, minute 00-59,
    second 00-59 (no leap second 60, no 24:00), a real calendar date (an
    impossible date such as 2023-02-30 is not ISO), offset hours 00-23 and
    minutes 00-59. The fraction is truncated to milliseconds, before the
    offset is applied. No zone means UTC."""
    if not isinstance(s, str):
        return None
    mt = _ISO.fullmatch(s)
    if mt is None:
        return None
    y, mo, d, h, mi, se = (int(mt.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= _days_in_month(y, mo)):
        return None
    if h > 23 or mi > 59 or se > 59:
        return None
    frac = mt.group(7) or ""
    ms = int((frac + "000")[:3])
    off = 0
    zone = mt.group(8)
    if zone and zone != "Z":
        oh, om = int(zone[1:3]), int(zone[4:6])
        if oh > 23 or om > 59:
            return None
        off = (oh * 60 + om) * 60 * (1 if zone[0] == "+" else -1)
    secs = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off
    return secs * 1000 + ms


def fmt_ms(ms):
    """'YYYY-MM-DDTHH:MM:SS.sssZ' of milliseconds since the epoch (UTC)."""
    days, rem = divmod(ms, 86400000)
    y, m, d = _civil_from_days(days)
    secs, msec = divmod(rem, 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        y, m, d, secs // 3600, secs // 60 % 60, secs % 60, msec)


def event_time_ms(ev, doc, stored_ms):
    """Event time: the kind's field, then plain `timestamp`; the first that is
    an ISO string wins. Otherwise (missing, wrong type, null payload, non-ISO
    text such as '6/17/2023 5:04:12 PM') the stream's stored time."""
    if isinstance(doc, dict):
        field = (ITEM_TIME_FIELD[ev.action] if ev.kind == "item"
                 else TIME_FIELD[ev.kind])
        for key in (field, "timestamp"):
            t = parse_iso_ms(doc.get(key))
            if t is not None:
                return t
    return stored_ms


# --------------------------------------------------------------------------
# Section 2, "Which projection reads what" and "Bad input": poison.
# --------------------------------------------------------------------------

SESSION_HISTORY = "session_history"
PLAYER_PROFILES = "player_profiles"
LEADERBOARD = "leaderboard"
PROJECTIONS = (SESSION_HISTORY, PLAYER_PROFILES, LEADERBOARD)

CONSUMES = {
    SESSION_HISTORY: frozenset(("started", "stopped", "connected",
                                "disconnected")),
    PLAYER_PROFILES: frozenset(("connected", "disconnected", "chatted",
                                "respawned", "hit", "gathered", "item",
                                "reported", "banned", "unbanned")),
    LEADERBOARD: frozenset(("hit", "wiped")),
}

# Only these kinds may have a bare `null` payload.
NULL_OK = frozenset(("started", "stopped", "wiped"))


def get(obj, key):
    """A field's value, with JSON null counted as missing (None)."""
    return obj.get(key) if isinstance(obj, dict) else None


def is_str(v):
    return isinstance(v, str)


def is_obj(v):
    return isinstance(v, dict)


def is_bool(v):
    return isinstance(v, bool)


def is_num(v):
    # bool is an int subclass in Python; JSON true/false are not numbers.
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _wrong(obj, key, pred):
    """True when the field is present (not missing, not null) and fails pred.
    "The type of a listed field is checked whenever the field is present,
    whatever the other fields say."""
    v = get(obj, key)
    return v is not None and not pred(v)


def _bad_player(doc):
    # connected: `player` (object), `player.name` (string)
    p = get(doc, "player")
    return _wrong(doc, "player", is_obj) or _wrong(p, "name", is_str)


def _fields_bad(proj, kind, doc):
    """True when a field that `proj` reads from a `kind` payload has the
    wrong JSON type (the table "Which projection reads what")."""
    if proj == SESSION_HISTORY:
        if kind == "connected":
            return _bad_player(doc)
        if kind == "disconnected":
            return _wrong(doc, "reason", is_str)
        return False
    if proj == PLAYER_PROFILES:
        if kind == "connected":
            return _bad_player(doc)
        if kind == "chatted":
            return _wrong(doc, "player_name", is_str)
        if kind == "banned":
            return (_wrong(doc, "player_name", is_str)
                    or _wrong(doc, "reason", is_str))
        if kind == "reported":
            return _wrong(doc, "reported_target_steam_id", is_str)
        if kind == "hit":
            ph = get(doc, "player_hit")
            victim = get(ph, "victim")
            return (_wrong(doc, "player_hit", is_obj)
                    or _wrong(ph, "victim", is_obj)
                    or _wrong(ph, "isKill", is_bool)
                    or _wrong(ph, "is_kill", is_bool)
                    or _wrong(victim, "steam_id", is_str))
        return False
    if proj == LEADERBOARD:
        if kind == "hit":
            ph = get(doc, "player_hit")
            att, victim = get(ph, "attacker"), get(ph, "victim")
            return (_wrong(doc, "player_hit", is_obj)
                    or _wrong(ph, "attacker", is_obj)
                    or _wrong(ph, "victim", is_obj)
                    or _wrong(ph, "isKill", is_bool)
                    or _wrong(ph, "is_kill", is_bool)
                    or _wrong(att, "steam_id", is_str)
                    or _wrong(victim, "steam_id", is_str)
                    or _wrong(ph, "hit_area_id", is_num)
                    or _wrong(ph, "hit_distance", is_num))
        return False
    raise AssertionError(proj)


def is_poison(proj, kind, valid, doc):
    """The three poison conditions of section 2 "Bad input", for a kind that
    `proj` consumes: invalid JSON; valid but not an object (null allowed for
    started/stopped/wiped); a read field of the wrong type."""
    if not valid:
        return True
    if doc is None:
        return kind not in NULL_OK
    if not isinstance(doc, dict):
        return True
    return _fields_bad(proj, kind, doc)


def kill_flag(ph):
    """`isKill` wins over `is_kill` when both are present (null = missing)."""
    v = get(ph, "isKill")
    if v is None:
        v = get(ph, "is_kill")
    return v is True


# --------------------------------------------------------------------------
# The fold.
# --------------------------------------------------------------------------

PROVISIONAL = frozenset(("superseded", "server_started", "server_stopped"))


class _Session:
    __slots__ = ("server_id", "steam_id", "name", "conn", "disc", "reason",
                 "order")

    def __init__(self, server_id, steam_id, name, conn, order):
        self.server_id = server_id
        self.steam_id = steam_id
        self.name = name
        self.conn = conn        # ms
        self.disc = None        # ms, None while open
        self.reason = None
        self.order = order      # creation order, for rule 2's tie-break


class _Profile:
    __slots__ = ("name_key", "name", "first", "last", "chats", "reports",
                 "ban_key", "banned", "ban_reason")

    def __init__(self):
        self.name_key = None    # (event time, seq) of the name in force
        self.name = None
        self.first = None
        self.last = None
        self.chats = 0
        self.reports = 0
        self.ban_key = None     # (event time, seq) of the latest ban/unban
        self.banned = 0
        self.ban_reason = None


def compute(events):
    """Folds (seq, subject, payload bytes, stored_ms) tuples, in stream order,
    into the six contract query results."""
    servers = {}          # server_id -> dict
    sessions = []         # every session_history row, in creation order
    by_pair = {}          # (server, steam) -> [sessions]
    by_server = {}        # server -> [sessions]
    profiles = {}         # steam_id -> _Profile
    wipes = []            # (server_id, wipe_id, wiped_at ms)
    wipe_count = {}       # server_id -> current_wipe_id (leaderboard-owned)
    board = {}            # (server, wipe, steam) -> [kills, deaths, hs, longest]
    parked = []           # (projection, seq)

    def server(sid):
        s = servers.get(sid)
        if s is None:
            s = servers[sid] = {"status": "unknown", "started": None,
                                "stopped": None}
        return s

    def profile(steam):
        p = profiles.get(steam)
        if p is None:
            p = profiles[steam] = _Profile()
        return p

    def close_open(candidates, t, reason):
        # Rules 1 and 3: open sessions with connected_at <= t close at t.
        for s in candidates:
            if s.disc is None and s.conn <= t:
                s.disc = t
                s.reason = reason

    def board_row(sid, wipe, steam):
        key = (sid, wipe, steam)
        r = board.get(key)
        if r is None:
            r = board[key] = [0, 0, 0, None]
        return r

    for seq, subject, payload, stored_ms in events:
        ev = classify(subject)
        if ev is None:
            continue            # unknown subject: counted, never parked
        # "servers: one row per server_id in the subject of any recognised
        # event (parked or not)".
        server(ev.server_id)

        # Decode once, and only when some projection consumes the kind (a
        # command is consumed by none, so its payload never matters).
        consumers = [p for p in PROJECTIONS if ev.kind in CONSUMES[p]]
        if not consumers:
            continue
        try:
            doc, valid = decode_payload(payload), True
        except Invalid:
            doc, valid = None, False
        t = event_time_ms(ev, doc, stored_ms) if valid else stored_ms

        ok = {}
        for proj in consumers:
            ok[proj] = not is_poison(proj, ev.kind, valid, doc)
            if not ok[proj]:
                parked.append((proj, seq))

        # ---- session_history (owns session_history and servers except
        # current_wipe_id) ----
        if ok.get(SESSION_HISTORY):
            k = ev.kind
            if k in ("started", "stopped"):
                s = server(ev.server_id)
                # status follows the last started/stopped in *stream* order;
                # last_*_at is the greatest *event time*.
                s["status"] = "online" if k == "started" else "offline"
                if s[k] is None or t > s[k]:
                    s[k] = t
                close_open(by_server.get(ev.server_id, ()), t,
                           "server_started" if k == "started"
                           else "server_stopped")
            elif k == "connected":
                pair = (ev.server_id, ev.steam_id)
                close_open(by_pair.get(pair, ()), t, "superseded")  # rule 1
                name = get(get(doc, "player"), "name")
                sess = _Session(ev.server_id, ev.steam_id, name, t,
                                len(sessions))
                sessions.append(sess)
                by_pair.setdefault(pair, []).append(sess)
                by_server.setdefault(ev.server_id, []).append(sess)
            elif k == "disconnected":
                # Rule 2: the pair's session with the greatest connected_at
                # <= t, ties: the one created last.
                best = None
                for s in by_pair.get((ev.server_id, ev.steam_id), ()):
                    if s.conn <= t and (best is None or
                                        (s.conn, s.order) >
                                        (best.conn, best.order)):
                        best = s
                if best is not None and (
                        best.disc is None or
                        (best.reason in PROVISIONAL and best.disc >= t)):
                    best.disc = t
                    reason = get(doc, "reason")
                    best.reason = reason if reason is not None \
                        else "disconnected"

        # ---- player_profiles ----
        if ok.get(PLAYER_PROFILES):
            k = ev.kind
            p = profile(ev.steam_id)  # every consumed kind is player-scoped
            if k not in ("banned", "unbanned"):
                # first_seen/last_seen: own player-scoped events except
                # banned and unbanned.
                if p.first is None or t < p.first:
                    p.first = t
                if p.last is None or t > p.last:
                    p.last = t
            name = None
            if k == "connected":
                name = get(get(doc, "player"), "name")
            elif k in ("chatted", "banned"):
                name = get(doc, "player_name")
            if name is not None and (p.name_key is None or
                                     (t, seq) >= p.name_key):
                # latest by event time, ties: later in stream
                p.name_key, p.name = (t, seq), name
            if k == "chatted":
                p.chats += 1
            elif k == "reported":
                target = get(doc, "reported_target_steam_id")
                if target is not None:
                    profile(target).reports += 1
            elif k in ("banned", "unbanned"):
                if p.ban_key is None or (t, seq) >= p.ban_key:
                    p.ban_key = (t, seq)
                    p.banned = 1 if k == "banned" else 0
                    p.ban_reason = get(doc, "reason") if k == "banned" \
                        else None
            elif k == "hit":
                ph = get(doc, "player_hit")
                victim = get(get(ph, "victim"), "steam_id")
                if kill_flag(ph) and victim is not None:
                    profile(victim)   # a kill victim gets a row

        # ---- leaderboard (owns leaderboard, wipes, servers.current_wipe_id)
        if ok.get(LEADERBOARD):
            if ev.kind == "wiped":
                n = wipe_count.get(ev.server_id, 0) + 1
                wipe_count[ev.server_id] = n
                wipes.append((ev.server_id, n, t))
            elif ev.kind == "hit":
                ph = get(doc, "player_hit")
                if kill_flag(ph):
                    # The wipe of a kill is its server's current_wipe_id when
                    # the kill is applied, in stream order.
                    wipe = wipe_count.get(ev.server_id, 0)
                    attacker = get(get(ph, "attacker"), "steam_id")
                    if attacker is None:
                        attacker = ev.steam_id
                    victim = get(get(ph, "victim"), "steam_id")
                    if victim is not None:
                        board_row(ev.server_id, wipe, victim)[1] += 1
                    if attacker != victim:   # attacker = victim: death only
                        r = board_row(ev.server_id, wipe, attacker)
                        r[0] += 1
                        if get(ph, "hit_area_id") == 1:
                            r[2] += 1
                        dist = get(ph, "hit_distance")
                        if dist is not None and (r[3] is None or dist > r[3]):
                            r[3] = dist

    # ---- results, in the queries' ORDER BY ----
    out = {}
    online = {}
    for s in sessions:
        if s.disc is None:
            online[s.server_id] = online.get(s.server_id, 0) + 1
    out["servers"] = [
        [sid, s["status"],
         fmt_ms(s["started"]) if s["started"] is not None else None,
         fmt_ms(s["stopped"]) if s["stopped"] is not None else None,
         wipe_count.get(sid, 0), online.get(sid, 0)]
        for sid, s in sorted(servers.items())]

    out["wipes"] = [[sid, n, fmt_ms(at)] for sid, n, at in
                    sorted(wipes, key=lambda w: (w[0], w[1]))]

    def sh_row(s):
        closed = s.disc is not None
        return [s.server_id, s.steam_id, s.name, fmt_ms(s.conn),
                fmt_ms(s.disc) if closed else None,
                (s.disc - s.conn) / 1000.0 if closed else None,
                s.reason if closed else None]
    out["session_history"] = sort_rows(
        "session_history", [sh_row(s) for s in sessions])

    count = {}
    play = {}
    for s in sessions:
        count[s.steam_id] = count.get(s.steam_id, 0) + 1
        if s.disc is not None:
            play[s.steam_id] = play.get(s.steam_id, 0) + (s.disc - s.conn)
    out["player_profiles"] = [
        [steam, p.name,
         fmt_ms(p.first) if p.first is not None else None,
         fmt_ms(p.last) if p.last is not None else None,
         count.get(steam, 0), play.get(steam, 0) / 1000.0, p.chats,
         p.reports, p.banned, p.ban_reason if p.banned else None]
        for steam, p in sorted(profiles.items())]

    groups = {}
    for (sid, wipe, steam), r in board.items():
        groups.setdefault((sid, wipe), []).append((steam, r))
    lb = []
    for (sid, wipe) in sorted(groups):
        # rank: kills DESC, deaths ASC, steam_id ASC
        ranked = sorted(groups[(sid, wipe)],
                        key=lambda e: (-e[1][0], e[1][1], e[0]))
        for rank, (steam, r) in enumerate(ranked, 1):
            p = profiles.get(steam)
            lb.append([sid, wipe, steam, p.name if p else None, r[0], r[1],
                       r[2], float(r[3]) if r[3] is not None else None,
                       r[0] / max(r[1], 1), rank])
    out["leaderboard"] = lb

    out["parked"] = [[p, s] for p, s in sorted(parked)]
    return out


# --------------------------------------------------------------------------
# Ordering and comparison helpers (shared by check_fixture.py and the test).
# --------------------------------------------------------------------------

# Columns (by index) of each query's ORDER BY.
ORDER_BY = {"servers": (0,), "wipes": (0, 1),
            "session_history": (0, 1, 3, 4), "player_profiles": (0,),
            "leaderboard": (0, 1, 9), "parked": (0, 1)}
REAL_COLUMNS = {"session_history": {5}, "player_profiles": {5},
                "leaderboard": {7, 8}}
QUERIES = ("servers", "wipes", "session_history", "player_profiles",
           "leaderboard", "parked")


def _sql_key(v):
    # SQLite's order: NULL first, then numbers, then TEXT (compared as UTF-8
    # bytes, which is the same as Python's code point order for str).
    if v is None:
        return (0, 0)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (1, v)
    return (2, v)


def sort_rows(query, rows):
    """Sorts rows by the query's ORDER BY, then by the whole row. Rows that tie
    on the ORDER BY columns may come back from SQLite in any order (row order
    is not part of the contract), so both sides are put in this total order
    before they are compared."""
    cols = ORDER_BY[query]
    return sorted(rows, key=lambda r: ([_sql_key(r[c]) for c in cols],
                                       [_sql_key(v) for v in r]))


def first_difference(query, want, got, tol=1e-6):
    """None when the two row lists match (REAL columns within tol), else a
    sentence naming the first difference."""
    reals = REAL_COLUMNS.get(query, set())
    for i in range(min(len(want), len(got))):
        w, g = list(want[i]), list(got[i])
        if len(w) != len(g):
            return "%s row %d: %d columns expected, %d got" % (
                query, i, len(w), len(g))
        for c, (a, b) in enumerate(zip(w, g)):
            if c in reals and a is not None and b is not None \
                    and is_num(a) and is_num(b):
                if abs(a - b) <= tol:
                    continue
            elif a == b and type(a) is type(b) or (
                    is_num(a) and is_num(b) and a == b):
                continue
            return "%s row %d column %d: expected %r, got %r\n  expected row: %r\n  got row:      %r" % (
                query, i, c, a, b, w, g)
    if len(want) != len(got):
        extra = want[len(got)] if len(want) > len(got) else got[len(want)]
        return "%s: %d rows expected, %d got (first unmatched: %r)" % (
            query, len(want), len(got), extra)
    return None


def load_jsonl(path):
    """(subject, payload bytes) pairs of an events.jsonl file."""
    out = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            if line.strip() == "":
                continue
            d = json.loads(line)
            out.append((d["subject"], d["payload"].encode("utf-8")))
    return out


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("events")
    ap.add_argument("--stored-times",
                    help="file of stored times (ms), one per line")
    a = ap.parse_args(argv)
    pairs = load_jsonl(a.events)
    stored = [0] * len(pairs)
    if a.stored_times:
        with open(a.stored_times) as f:
            stored = [int(x) for x in f.read().split()]
    events = [(i + 1, s, p, stored[i]) for i, (s, p) in enumerate(pairs)]
    json.dump(compute(events), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
