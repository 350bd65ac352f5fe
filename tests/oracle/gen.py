#!/usr/bin/env python3
"""Generates a realistic GamingAPI Rust v0 event stream for the oracle tests.

    python3 tests/oracle/gen.py --seed N --events M [--base-ms MS]
                                [--no-huge] [--no-edge] [-o FILE] [--stats]

Writes M lines in the fixture's format ({"subject":…,"payload":"<exact
bytes>"}; line N gets stream sequence N) to FILE or stdout. The output is a
pure function of (seed, events, base-ms, flags): the generator draws from one
random.Random(seed) and never iterates over a set or hash-ordered container.

It follows the shape of tests/fixtures/gamingapi-small (several servers,
started events, connects/disconnects, late disconnects, superseding
reconnects, restarts, wipes, renames, chats, hits mostly without player_hit,
kills spelt isKill/is_kill, headshots, distances, self-kills, kills without a
victim, reports, bans/unbans, items, gathers, respawns, commands, unknown
subjects and poison), and adds what the real plugin does and the fixture does
not (the GamingAPI feed as README.md describes it):
- .NET culture-formatted timestamps ("6/17/2023 5:04:12 PM", "17.06.2023
  17:04:12", …) and other non-ISO or wrongly typed timestamps, which fall back
  to the stream's stored time;
- `null` payloads (valid for started/stopped/wiped, poison elsewhere);
- the plugin's priority queue: an event reaches the stream after a delay that
  depends on its importance (STRICT < IMPORTANT < NORMAL < LOW < LOWEST), so
  disconnects (LOWEST) arrive late, often after the player reconnected or the
  server restarted;
- publisher retries without message ids: some events appear twice;
- a catalogue of poison payloads covering every rule of contract section 2
  "Bad input" and every typed field of "Which projection reads what", each at
  least once, plus valid payloads at the edges of those rules.

--base-ms puts the simulated clock's start (default 2026-11-01T12:00:00Z).
The acceptance test sets it near the publishing time so that events whose
time falls back to the stored time interleave with ISO-timed ones.
--no-huge leaves out the two ~1 MiB payloads (one exactly 1 MiB, valid; one
1 MiB + 1 byte, poison), which need a nats-server max_payload above 1 MiB.
--no-edge leaves out cases that depend on a reading of an ambiguous point of
the contract (listed in EDGE_NOTES below and in the report).

Python 3 standard library only.
"""

import argparse
import datetime
import json
import random
import sys

DEFAULT_BASE_MS = 1793534400000          # 2026-11-01T12:00:00.000Z
EPOCH = datetime.datetime(1970, 1, 1)
MIB = 1024 * 1024

# Cases whose expected outcome rests on a reading of the contract rather than
# its letter; --no-edge leaves them out.
EDGE_NOTES = {
    "ts_space": "'YYYY-MM-DD HH:MM:SS' (space, not T) is not ISO",
    "ts_offset_nocolon": "'+0200' (no colon) is not the ±HH:MM form",
    "ts_leap_second": "second 60 is not a valid time, so not ISO",
    "ts_hour24": "hour 24 is not a valid time, so not ISO",
    "ts_basic": "the ISO 8601 basic format 20230617T170412Z is not the "
                "contract's YYYY-MM-DDTHH:MM:SS form",
    "ts_lower_t": "lower-case 't'/'z' (RFC 3339 allows them) are not the "
                  "contract's form",
    "num_underflow": "1e-400 (underflows to 0) is within a double's range",
    "hit_area_real_one": "hit_area_id 1.0 equals 1: a headshot",
    "bom": "a UTF-8 byte order mark before the value is not RFC 8259 JSON",
    "depth_64": "an object holding 63 nested arrays is 64 levels: valid",
    "empty_reason": "an empty reason string is a reason (not 'none')",
}


def iso(ms):
    """UTC datetime of ms since the epoch."""
    return EPOCH + datetime.timedelta(milliseconds=ms)


class Server:
    def __init__(self, sid, tz_min):
        self.sid = sid
        self.tz = tz_min          # the server's local offset from UTC
        self.online = []          # steam ids with an open session (list: order)
        self.up_at = 0            # no connects before this time (restarting)


class Player:
    def __init__(self, steam, name):
        self.steam = steam
        self.base = name
        self.name = name
        self.server = None        # Server the player is on, or None
        self.renames = 0


class Gen:
    # Plugin send-queue delays (ms) by importance, section 4 "Ordering caveat".
    DELAY = {"strict": (0, 200), "important": (0, 1500), "normal": (0, 3000),
             "low": (0, 15000), "lowest": (2000, 90000)}

    REASONS = ["Disconnected", "Timed Out", "Kicked: AFK", "Connection lost",
               "Server restarting", "Steam Auth Failed"]
    CHATS = ["gg", "lol", "anyone trading?", "raid at 5", "où est la base?",
             "heli incoming 🚁", 'he said "door camp"', "back\\slash",
             "x"]
    UNKNOWN = [
        # Subjects under v0.rust.servers.> that match none of the 14 shapes:
        # old names (section 2.3), feature/wip names, wrong token counts.
        "v0.rust.servers.{s}.events.stopping",
        "v0.rust.servers.{s}.players.{p}.events.chat",
        "v0.rust.servers.{s}.players.{p}.events.combat.playerhit",
        "v0.rust.servers.{s}.events.resourcesGathered",
        "v0.rust.servers.{s}.players.{p}.events.gathered.resources",
        "v0.rust.servers.{s}.players.{p}.events.items.{i}.dropped",
        "v0.rust.servers.{s}.players.{p}.events.chatted",
        "v0.rust.servers.{s}.events.player.{p}.chatted.extra",
        "v0.rust.servers.{s}.events",
        "v0.rust.servers.{s}",
        "v0.rust.servers.{s}.players.{p}.events.connected.v2",
        "v0.rust.servers.{s}.players.{p}.events.items.pickup",
        "v0.rust.servers.{s}.events.Started",
        "v0.rust.servers.999.events.started.late",
        "v0.rust.servers.999.players.{p}.events.kill",
    ]

    def __init__(self, seed, events, base_ms, huge, edge):
        self.r = random.Random(seed)
        self.n = events
        self.base = base_ms
        self.huge = huge
        self.edge = edge
        self.out = []             # [occ_ms, emit_ms, counter, subject, payload]
        self.counter = 0
        self.uid = 1000
        r = self.r
        # Servers 101-103 carry the game; their local offsets feed the
        # culture-formatted and ±HH:MM timestamps.
        # "0" is the plugin's default GAMINGAPI_SERVER_ID; "9" sorts after
        # "105" as TEXT (server_id is TEXT, not a number).
        self.servers = [Server("101", 120), Server("102", 0),
                        Server("103", -300), Server("9", 330),
                        Server("0", 60)]
        n_players = max(20, min(120, events // 40))
        self.players = [Player("7656119800000%04d" % (2000 + 7 * k),
                               "player%d" % k) for k in range(n_players)]
        # steam_id is TEXT: ids whose text order differs from their numeric
        # order, and one with a leading zero that a number would lose (the
        # extension's own test uses steam id 123).
        for p, sid in zip(self.players[-3:], ["123", "007", "9"]):
            p.steam = sid
        # A few names that exercise escaping and non-ASCII text in SQLite.
        for p, nm in zip(r.sample(self.players, 4),
                         ['Ünïcødé', '🎮gamer', 'Mr "Q" \\o/', "O'Brien"]):
            p.base = p.name = nm
        # Steam ids seen only as kill victims or report targets.
        self.ghosts = ["7656119800009%04d" % k for k in range(5)]
        self.stats = {}

    # ---------------------------------------------------------------- utils

    def bump(self, key):
        self.stats[key] = self.stats.get(key, 0) + 1

    def emit(self, occ, prio, subject, payload, key, after=None):
        """Queues an event that happened at occ; it reaches the stream after
        its importance's delay (not before `after`, when given)."""
        lo, hi = self.DELAY[prio]
        self.counter += 1
        at = occ + self.r.randint(lo, hi)
        if after is not None and at < after:
            at = after + self.r.randint(lo, hi)
        self.out.append([occ, at, self.counter, subject, payload])
        self.bump(key)
        # No Nats-Msg-Id, so a publisher retry stores an event twice.
        if self.r.random() < 0.01:
            self.counter += 1
            self.out.append([occ, occ + self.r.randint(lo, hi) + 1,
                             self.counter, subject, payload])
            self.bump("duplicate")

    def dumps(self, obj):
        """Serialises a payload object, usually compact like the plugin, now
        and then with whitespace (still valid RFC 8259)."""
        x = self.r.random()
        if x < 0.9:
            return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        if x < 0.96:
            return json.dumps(obj, ensure_ascii=x < 0.93)
        return " \n" + json.dumps(obj, indent=2) + "\r\n\t"

    def ts_value(self, ms, srv):
        """The value of a timestamp field for an event that happened at ms,
        or the marker MISSING. Mostly ISO-8601 in the shapes the contract
        accepts; otherwise forms that must fall back to the stored time."""
        r = self.r
        d = iso(ms)
        loc = d + datetime.timedelta(minutes=srv.tz)
        base = d.strftime("%Y-%m-%dT%H:%M:%S")
        frac = ms % 1000
        x = r.random()
        if x < 0.55:
            self.bump("ts:iso_ms_z")
            return "%s.%03dZ" % (base, frac)
        if x < 0.62:
            self.bump("ts:iso_offset")
            sign = "+" if srv.tz >= 0 else "-"
            return "%s.%03d%s%02d:%02d" % (
                loc.strftime("%Y-%m-%dT%H:%M:%S"), frac, sign,
                abs(srv.tz) // 60, abs(srv.tz) % 60)
        if x < 0.65:
            self.bump("ts:iso_no_zone")
            return "%s.%03d" % (base, frac)
        if x < 0.68:
            self.bump("ts:iso_micro")
            return "%s.%03d%03dZ" % (base, frac, r.randrange(1000))
        if x < 0.69:
            self.bump("ts:iso_nano")
            return "%s.%03d%06dZ" % (base, frac, r.randrange(10 ** 6))
        if x < 0.71:
            self.bump("ts:iso_no_fraction")
            return base + ("Z" if r.random() < 0.5 else "+00:00")
        if x < 0.72:
            self.bump("ts:iso_one_digit")
            return "%s.%dZ" % (base, frac // 100)
        if x < 0.84:
            # What the plugin really sends: DateTime.Now.ToString() in en-US.
            self.bump("ts:culture_en_us")
            h12 = loc.hour % 12 or 12
            return "%d/%d/%d %d:%02d:%02d %s" % (
                loc.month, loc.day, loc.year, h12, loc.minute, loc.second,
                "AM" if loc.hour < 12 else "PM")
        if x < 0.86:
            self.bump("ts:culture_de")
            return loc.strftime("%d.%m.%Y %H:%M:%S")
        if x < 0.88:
            self.bump("ts:culture_en_gb")
            return loc.strftime("%d/%m/%Y %H:%M:%S")
        if x < 0.89:
            # Right shape, impossible date: not ISO (contract: event time).
            self.bump("ts:bad_date")
            bad = r.choice(["%04d-02-30", "%04d-13-01", "%04d-04-31",
                            "%04d-00-10", "%04d-06-00"]) % d.year
            return "%sT%s.%03dZ" % (bad, d.strftime("%H:%M:%S"), frac)
        if x < 0.90:
            self.bump("ts:near_iso")
            return r.choice([
                "%s.%03d" % (d.strftime("%Y-%m-%dT%H:%M"), frac),  # no secs
                "%s.%03dZ" % (d.strftime("%y-%m-%dT%H:%M:%S"), frac),
                d.strftime("%Y-%m-%d"),                            # date
                "%s.Z" % base,                         # fraction, no digits
                "%s.%03dUTC" % (base, frac),               # zone name
            ])
        if x < 0.905 and self.edge:
            self.bump("ts:edge")
            which = r.choice(["ts_space", "ts_offset_nocolon",
                              "ts_leap_second", "ts_hour24", "ts_basic",
                              "ts_lower_t"])
            self.bump("edge:" + which)
            if which == "ts_space":
                return "%s.%03dZ" % (d.strftime("%Y-%m-%d %H:%M:%S"), frac)
            if which == "ts_offset_nocolon":
                return "%s.%03d+0000" % (base, frac)
            if which == "ts_basic":
                return d.strftime("%Y%m%dT%H%M%SZ")
            if which == "ts_lower_t":
                return "%s.%03dz" % (base.replace("T", "t"), frac)
            if which == "ts_leap_second":
                return d.strftime("%Y-%m-%dT%H:%M:60.000Z")
            return d.strftime("%Y-%m-%dT24:%M:%S.000Z")
        if x < 0.92:
            self.bump("ts:wrong_type")
            return r.choice([ms, ms / 1000.0, True, {"utc": base},
                             [base + "Z"]])
        if x < 0.94:
            self.bump("ts:null")
            return None
        self.bump("ts:missing")
        return MISSING

    def stamp(self, obj, field, ms, srv):
        """Adds the event time to obj under `field` (the kind's own field),
        sometimes under the newer schema's plain `timestamp` instead, or
        both (the kind's field wins when ISO, else `timestamp` if ISO)."""
        r = self.r
        x = r.random()
        if field != "timestamp" and x < 0.05:
            self.bump("ts:schema_timestamp_only")
            field = "timestamp"
        elif field != "timestamp" and x < 0.08:
            # Kind field non-ISO (culture form), fallback `timestamp` ISO.
            self.bump("ts:kind_culture_plus_timestamp")
            loc = iso(ms) + datetime.timedelta(minutes=srv.tz)
            obj[field] = loc.strftime("%m/%d/%Y %I:%M:%S %p").lstrip("0")
            obj["timestamp"] = "%s.%03dZ" % (
                iso(ms).strftime("%Y-%m-%dT%H:%M:%S"), ms % 1000)
            return obj
        elif field != "timestamp" and x < 0.095:
            # Both ISO: the kind's field wins over `timestamp`.
            self.bump("ts:kind_iso_plus_other_timestamp")
            obj[field] = "%s.%03dZ" % (
                iso(ms).strftime("%Y-%m-%dT%H:%M:%S"), ms % 1000)
            obj["timestamp"] = "%s.%03dZ" % (
                iso(ms + 3600000).strftime("%Y-%m-%dT%H:%M:%S"), ms % 1000)
            return obj
        v = self.ts_value(ms, srv)
        if v is not MISSING:
            obj[field] = v
        return obj

    def next_uid(self):
        self.uid += 1
        return self.uid

    def online_players(self, srv):
        return [p for p in self.players if p.server is srv]

    def pick_server(self):
        return self.r.choice(self.servers)

    # ----------------------------------------------------------- subjects

    @staticmethod
    def subj_player(srv, steam, tail):
        return "v0.rust.servers.%s.players.%s.events.%s" % (srv, steam, tail)

    # ------------------------------------------------------------- events

    def connect(self, t, srv, p, after=None):
        r = self.r
        # Names change now and then (contract: latest name by event time).
        if r.random() < 0.15:
            p.renames += 1
            p.name = "%s~%d" % (p.base, r.randrange(100))
        name = p.name
        if r.random() < 0.004:
            name = ""                      # an empty name is still a name
            self.bump("connected:empty_name")
        player = {"id": p.steam, "name": name,
                  "address": r.choice(["203.0.113.%d", "198.51.100.%d",
                                       "2001:db8::%x"]) % r.randrange(1, 255)}
        x = r.random()
        if x < 0.02:
            del player["name"]             # no name: session name NULL
            self.bump("connected:no_name")
        elif x < 0.03:
            player["name"] = None          # null = missing
            self.bump("connected:null_name")
        obj = self.stamp({}, "connected_timestamp", t, srv)
        obj["player"] = player
        if r.random() < 0.01:
            obj = {"player": None, "connected_timestamp":
                   obj.get("connected_timestamp")}     # player null: missing
            self.bump("connected:null_player")
        self.emit(t, "important", self.subj_player(srv.sid, p.steam,
                                                   "connected"),
                  self.dumps(obj), "connected", after)
        p.server = srv
        if p.steam not in srv.online:
            srv.online.append(p.steam)

    def disconnect(self, t, srv, p, reason=None, lost_ok=True):
        r = self.r
        obj = self.stamp({}, "disconnected_timestamp", t, srv)
        obj["player"] = {"id": p.steam}
        x = r.random()
        if x < 0.04:
            self.bump("disconnected:no_reason")        # -> 'disconnected'
        elif x < 0.06:
            obj["reason"] = None
            self.bump("disconnected:null_reason")
        elif x < 0.063 and self.edge:
            obj["reason"] = ""
            self.bump("edge:empty_reason")
        else:
            obj["reason"] = reason or r.choice(self.REASONS)
        self.emit(t, "lowest", self.subj_player(srv.sid, p.steam,
                                                "disconnected"),
                  self.dumps(obj), "disconnected")

    def leave(self, t, p, send=True):
        srv = p.server
        if srv is None:
            return
        if p.steam in srv.online:
            srv.online.remove(p.steam)
        p.server = None
        if send:
            self.disconnect(t, srv, p)

    def chat(self, t, srv, p):
        obj = {"steam_id": p.steam, "player_name": p.name,
               "full_message": self.r.choice(self.CHATS),
               "is_admin": self.r.random() < 0.05}
        if self.r.random() < 0.03:
            del obj["player_name"]
            self.bump("chatted:no_name")
        self.stamp(obj, "timestamp", t, srv)
        self.emit(t, "low", "v0.rust.servers.%s.events.player.%s.chatted"
                  % (srv.sid, p.steam), self.dumps(obj), "chatted")

    def position(self):
        r = self.r
        return {"x": round(r.uniform(-1000, 1000), 3),
                "y": round(r.uniform(0, 30), 3),
                "z": round(r.uniform(-1000, 1000), 3)}

    def hit(self, t, srv, att, vic, kill):
        """A hit. The real plugin sends only {hit_timestamp} (player_hit is
        commented out); schema-complete hits carry kills."""
        r = self.r
        obj = self.stamp({}, "hit_timestamp", t, srv)
        subject_steam = att.steam
        if not kill and r.random() < 0.8:
            self.emit(t, "important", self.subj_player(srv.sid, att.steam,
                                                       "combat.hit"),
                      self.dumps(obj), "hit:bare")
            return False
        ph = {"hit_area_id": r.choice([1, 1, 2, 4, 8, 16, 32, 64, -1]),
              "hit_distance": r.choice([round(r.uniform(1, 300), 1),
                                        r.randrange(1, 300)]),
              "hit_damage": round(r.uniform(5, 100), 1)}
        killkey = "isKill" if r.random() < 0.7 else "is_kill"
        ph[killkey] = kill
        is_kill = kill
        x = r.random()
        if kill and x < 0.03:
            # Both spellings: isKill wins over is_kill.
            flip = r.random() < 0.5
            ph["isKill"], ph["is_kill"] = (False, True) if flip else \
                (True, False)
            is_kill = not flip
            self.bump("hit:both_spellings")
        elif kill and x < 0.05:
            ph["isKill"], ph["is_kill"] = None, True      # null = missing
            self.bump("hit:isKill_null")
        if r.random() < 0.08 and self.edge and ph["hit_area_id"] == 1:
            ph["hit_area_id"] = 1.0
            self.bump("edge:hit_area_real_one")
        ph["victim"] = {"steam_id": vic.steam if vic else None,
                        "position": self.position(),
                        "active_item": {"uid": self.next_uid(),
                                        "item_id": 963906841}}
        ph["attacker"] = {"steam_id": att.steam, "position": self.position(),
                          "active_item": {"uid": self.next_uid(),
                                          "item_id": 1545779598}}
        x = r.random()
        if kill and x < 0.04:
            del ph["victim"]                       # kill, no death counted
            self.bump("hit:kill_no_victim")
        elif kill and x < 0.06:
            ph["victim"]["steam_id"] = r.choice(self.ghosts)
            self.bump("hit:kill_ghost_victim")
        elif kill and x < 0.08:
            del ph["attacker"]                     # attacker = subject
            self.bump("hit:kill_no_attacker")
        elif kill and x < 0.09:
            ph["attacker"] = {"position": self.position()}
            self.bump("hit:kill_attacker_no_steam_id")
        elif kill and x < 0.11:
            # attacker differs from the subject's steam_id
            other = r.choice(self.players)
            ph["attacker"]["steam_id"] = other.steam
            self.bump("hit:kill_attacker_not_subject")
        elif kill and x < 0.14:
            ph["victim"]["steam_id"] = att.steam   # self-kill: death only
            self.bump("hit:self_kill")
        if r.random() < 0.05:
            del ph["hit_distance"]
            self.bump("hit:no_distance")
        if r.random() < 0.03:
            del ph["hit_area_id"]
            self.bump("hit:no_area")
        obj["player_hit"] = ph
        self.emit(t, "important", self.subj_player(srv.sid, subject_steam,
                                                   "combat.hit"),
                  self.dumps(obj), "hit:kill" if kill else "hit:full")
        return is_kill

    def respawn(self, t, srv, p):
        obj = {"steam_id": p.steam}
        self.stamp(obj, "respawn_timestamp", t, srv)
        obj["respawn_position"] = self.position()
        self.emit(t, "low", self.subj_player(srv.sid, p.steam, "respawned"),
                  self.dumps(obj), "respawned")

    def gather(self, t, srv, p):
        r = self.r
        obj = self.stamp({}, "gathered_timestamp", t, srv)
        obj.update({"steam_id": p.steam, "item_uid": self.next_uid(),
                    "item_id": r.choice([-151838493, -2099697608, -4031221]),
                    "amount": r.randrange(1, 100),
                    "gathering_item": {"uid": self.next_uid(),
                                       "item_id": 963906841}})
        if r.random() < 0.5:
            obj["gathering_position"] = self.position()
        self.emit(t, "low", self.subj_player(srv.sid, p.steam,
                                             "gatheredResources"),
                  self.dumps(obj), "gathered")

    def item(self, t, srv, p):
        r = self.r
        action = r.choice(["pickup", "pickup", "loot", "crafted"])
        item_id = r.choice([1545779598, -2099697608, 963906841, -151838493])
        field = {"pickup": "pickup_timestamp", "loot": "loot_timestamp",
                 "crafted": "craft_timestamp"}[action]
        obj = self.stamp({}, field, t, srv)
        obj.update({"steam_id": p.steam, "item_uid": self.next_uid(),
                    "item_id": item_id, "amount": r.randrange(1, 5)})
        if action == "loot":
            obj.update({"container_uid": self.next_uid(),
                        "container_prefab": r.choice(["crate_elite",
                                                      "box.wooden.large"])})
        self.emit(t, "low", self.subj_player(
            srv.sid, p.steam, "items.%d.%s" % (item_id, action)),
            self.dumps(obj), "item:" + action)

    def report(self, t, srv, p):
        r = self.r
        target = r.choice(self.players + self.ghosts[:2])
        target = target.steam if isinstance(target, Player) else target
        obj = {"reporter_steam_id": p.steam,
               "reported_target_steam_id": target,
               "subject": "Aimbot", "message": "sus",
               "reportedType": "cheat"}
        if r.random() < 0.05:
            del obj["reported_target_steam_id"]
            self.bump("reported:no_target")
        self.stamp(obj, "timestamp", t, srv)
        self.emit(t, "low", self.subj_player(srv.sid, p.steam, "reported"),
                  self.dumps(obj), "reported")

    def ban(self, t, srv, p, banned):
        r = self.r
        if banned:
            obj = {"steam_id": p.steam}
            if r.random() < 0.4:
                obj["player_name"] = p.name   # plugin omits it, schema has it
            if r.random() < 0.85:
                obj["reason"] = r.choice(["Cheating", "Toxicity", "Ban evasion"])
            obj["duration"] = str(r.randrange(60))
            kind = "banned"
        else:
            obj = {"steam_id": p.steam, "name": p.name}
            kind = "unbanned"
        self.stamp(obj, "timestamp", t, srv)
        self.emit(t, "low", self.subj_player(srv.sid, p.steam, kind),
                  self.dumps(obj), kind)

    def command(self, t, sid, srv):
        r = self.r
        obj = {"command": r.choice(["say", "kick", "ban", "status"]),
               "arguments": "hello"}
        if r.random() < 0.5:
            obj["steam_id"] = r.choice(self.players).steam
        self.stamp(obj, "timestamp", t, srv)
        self.emit(t, "low", "v0.rust.servers.%s.events.command" % sid,
                  self.dumps(obj), "command")

    def server_event(self, t, srv, kind, prio):
        """started/stopped/wiped. Wiped is `null` on the wire (the generated
        C# client) most of the time; started was null before Jul 2022."""
        r = self.r
        null_p = {"wiped": 0.6, "started": 0.2, "stopped": 0.2}[kind]
        if r.random() < null_p:
            payload = "null"
            self.bump(kind + ":null_payload")
        else:
            payload = self.dumps(self.stamp({}, "timestamp", t, srv))
        self.emit(t, prio, "v0.rust.servers.%s.events.%s" % (srv.sid, kind),
                  payload, kind)

    def restart(self, t, srv):
        """A restart: maybe a wipe (OnNewSave), maybe disconnects (sent or
        lost), maybe a stopped event, then started once the server is up."""
        r = self.r
        crash = r.random() < 0.3
        for p in self.online_players(srv):
            # On a crash nothing is sent; otherwise some disconnects are
            # lost, the rest reach the stream late (LOWEST priority).
            send = not crash and r.random() < 0.6
            self.leave(t - r.randrange(0, 3000), p, send=send)
        if not crash and r.random() < 0.5:
            self.server_event(t, srv, "stopped", "normal")
        up = t + r.randint(20000, 120000)
        if r.random() < 0.35:
            self.server_event(up - 5000, srv, "wiped", "strict")
        self.server_event(up, srv, "started", "normal")
        srv.up_at = up + 1000

    def unknown(self, t):
        r = self.r
        srv = self.pick_server()
        p = r.choice(self.players)
        subj = r.choice(self.UNKNOWN).format(s=srv.sid, p=p.steam,
                                             i=r.choice([1545779598, -4031221]))
        obj = self.stamp({}, "timestamp", t, srv)
        self.emit(t, "low", subj, self.dumps(obj), "unknown_subject")

    # ---------------------------------------------------------- simulation

    def simulate(self, target):
        r = self.r
        t = self.base
        for i, srv in enumerate(self.servers):
            self.server_event(t + i * 7, srv, "started", "normal")
            srv.up_at = t + 500
        # Server 104 appears only in command events (status 'unknown').
        self.command(t + 1000, "104", self.servers[0])
        actions = [("connect", 9), ("disconnect", 6), ("chat", 8),
                   ("hit", 22), ("kill", 5), ("gather", 9), ("item", 6),
                   ("respawn", 3), ("report", 1.5), ("ban", 0.6),
                   ("unban", 0.8), ("command", 1), ("unknown", 1),
                   ("reconnect", 0.8), ("restart", 0.15), ("stop", 0.05),
                   ("wipe", 0.1), ("late_connect", 0.3), ("orphan", 0.3)]
        names = [a for a, _ in actions]
        weights = [w for _, w in actions]
        while len(self.out) < target:
            t += r.randint(100, 2500)
            act = r.choices(names, weights)[0]
            srv = self.pick_server()
            if t < srv.up_at:
                continue
            online = self.online_players(srv)
            if act == "connect":
                offline = [p for p in self.players if p.server is None]
                if offline:
                    self.connect(t, srv, r.choice(offline))
            elif act == "disconnect" and online:
                self.leave(t, r.choice(online))
            elif act == "reconnect" and online:
                # Reconnect while a session is open: rule 1 supersedes it.
                # Half the time the disconnect was sent, with an earlier time,
                # and reaches the stream after the new connect.
                p = r.choice(online)
                if r.random() < 0.5:
                    self.disconnect(t - r.randint(1, 4000), srv, p)
                self.connect(t, srv, p)
                self.bump("reconnect")
            elif act == "late_connect" and online:
                # A connect that reaches the stream after a newer one of the
                # same pair (an older session): rule 1 closes only sessions
                # with connected_at <= t.
                p = r.choice(online)
                self.connect(t, srv, p)
                self.connect(t - r.randint(20000, 60000), srv, p, after=t)
                self.bump("late_connect")
            elif act == "orphan":
                # A disconnect of a pair with no session before it.
                p = r.choice(self.players)
                self.disconnect(t - r.randint(0, 600000), srv, p)
                self.bump("orphan_disconnect")
            elif act == "chat" and online:
                self.chat(t, srv, r.choice(online))
            elif act in ("hit", "kill") and len(online) >= 2:
                att, vic = r.sample(online, 2)
                if self.hit(t, srv, att, vic, act == "kill") and \
                        r.random() < 0.7:
                    self.respawn(t + r.randint(3000, 20000), srv, vic)
            elif act == "hit" and online:
                self.hit(t, srv, online[0], None, False)
            elif act == "gather" and online:
                self.gather(t, srv, r.choice(online))
            elif act == "item" and online:
                self.item(t, srv, r.choice(online))
            elif act == "respawn" and online:
                self.respawn(t, srv, r.choice(online))
            elif act == "report" and online:
                self.report(t, srv, r.choice(online))
            elif act == "ban" and online:
                p = r.choice(online)
                self.ban(t, srv, p, True)
                self.leave(t + 10, p, send=r.random() < 0.5)
            elif act == "unban":
                self.ban(t, srv, r.choice(self.players), False)
            elif act == "command":
                self.command(t, srv.sid, srv)
            elif act == "unknown":
                self.unknown(t)
            elif act == "restart":
                self.restart(t, srv)
            elif act == "stop":
                # A stop without a following start (for a while).
                for p in online:
                    self.leave(t - r.randrange(0, 2000), p,
                               send=r.random() < 0.5)
                self.server_event(t, srv, "stopped", "normal")
                up = t + r.randint(60000, 300000)
                self.server_event(up, srv, "started", "normal")
                srv.up_at = up + 1000
            elif act == "wipe":
                self.server_event(t, srv, "wiped", "strict")
        return t


MISSING = object()


# --------------------------------------------------------------------------
# The catalogue: poison of every kind, and valid payloads at the rules' edges.
# Each entry is (name, kind, builder, edge); builder(g, t, srv, p, q) returns
# (subject, payload text). `edge` marks readings of ambiguous points.
# --------------------------------------------------------------------------

def _subject(kind, sid, steam, item=1545779598, action="pickup"):
    if kind in ("started", "stopped", "wiped", "command"):
        return "v0.rust.servers.%s.events.%s" % (sid, kind)
    if kind == "chatted":
        return "v0.rust.servers.%s.events.player.%s.chatted" % (sid, steam)
    tail = {"connected": "connected", "disconnected": "disconnected",
            "respawned": "respawned", "hit": "combat.hit",
            "gathered": "gatheredResources", "reported": "reported",
            "banned": "banned", "unbanned": "unbanned",
            "item": "items.%d.%s" % (item, action)}[kind]
    return "v0.rust.servers.%s.players.%s.events.%s" % (sid, steam, tail)


TS_FIELD = {"connected": "connected_timestamp",
            "disconnected": "disconnected_timestamp",
            "respawned": "respawn_timestamp", "hit": "hit_timestamp",
            "gathered": "gathered_timestamp", "item": "pickup_timestamp"}

ALL_KINDS = ["started", "stopped", "wiped", "command", "chatted", "connected",
             "disconnected", "respawned", "hit", "gathered", "item",
             "reported", "banned", "unbanned"]


def _ts(t):
    return "%s.%03dZ" % (iso(t).strftime("%Y-%m-%dT%H:%M:%S"), t % 1000)


def _good(kind, t, p, q):
    """A well-formed payload object of the kind (for mutation)."""
    f = TS_FIELD.get(kind, "timestamp")
    o = {f: _ts(t)}
    if kind == "connected":
        o["player"] = {"id": p.steam, "name": p.name,
                       "address": "192.0.2.%d" % (int(p.steam[-3:]) % 250 + 1)}
    elif kind == "disconnected":
        o.update({"player": {"id": p.steam}, "reason": "Disconnected"})
    elif kind == "chatted":
        o.update({"steam_id": p.steam, "player_name": p.name,
                  "full_message": "x", "is_admin": False})
    elif kind == "hit":
        o["player_hit"] = {"hit_area_id": 1, "hit_distance": 42.5,
                           "hit_damage": 50, "isKill": True,
                           "victim": {"steam_id": q.steam},
                           "attacker": {"steam_id": p.steam}}
    elif kind == "reported":
        o.update({"reporter_steam_id": p.steam,
                  "reported_target_steam_id": q.steam})
    elif kind == "banned":
        o.update({"steam_id": p.steam, "player_name": p.name,
                  "reason": "Cheating"})
    elif kind == "unbanned":
        o.update({"steam_id": p.steam, "name": p.name})
    elif kind in ("gathered", "item", "respawned"):
        o.update({"steam_id": p.steam, "item_id": -151838493, "amount": 1})
    return o


def _c(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def _raw(kind, text):
    return lambda g, t, s, p, q: (_subject(kind, s.sid, p.steam), text(t, p, q))


def _mut(kind, fn):
    """A payload made by changing a good object of the kind with fn(o)."""
    def build(g, t, s, p, q):
        o = _good(kind, t, p, q)
        fn(o)
        return _subject(kind, s.sid, p.steam), _c(o)
    return build


def _setp(path, value):
    def fn(o):
        cur = o
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value
    return fn


def _nest(levels, leaf="0"):
    return "[" * levels + leaf + "]" * levels


def catalogue(huge):
    C = []

    def add(name, kind, builder, edge=False):
        C.append((name, kind, builder, edge))

    # -- 1. Not valid JSON (RFC 8259 + the contract's limits). Each shape is
    # given to a different kind so that every consumed kind (and command,
    # which no projection consumes: never parked) gets invalid JSON.
    invalid = [
        ("truncated", lambda t, p, q: '{"connected_timestamp":"%s","player":{"id":' % _ts(t)),
        ("trailing_comma", lambda t, p, q: '{"timestamp":"%s","a":1,}' % _ts(t)),
        ("single_quotes", lambda t, p, q: "{'timestamp':'%s'}" % _ts(t)),
        ("comment", lambda t, p, q: '{"timestamp":"%s"} // why' % _ts(t)),
        ("nan", lambda t, p, q: '{"timestamp":"%s","x":NaN}' % _ts(t)),
        ("infinity", lambda t, p, q: '{"timestamp":"%s","x":Infinity}' % _ts(t)),
        ("minus_infinity", lambda t, p, q: '{"x":-Infinity}'),
        ("real_overflow", lambda t, p, q: '{"timestamp":"%s","x":1e400}' % _ts(t)),
        ("real_overflow_neg", lambda t, p, q: '{"x":-2.5E+308}'),
        ("int_over_int64", lambda t, p, q: '{"timestamp":"%s","x":9223372036854775808}' % _ts(t)),
        ("int_under_int64", lambda t, p, q: '{"x":-9223372036854775809}'),
        ("int_huge", lambda t, p, q: '{"x":123456789012345678901234567890}'),
        ("nul_escape", lambda t, p, q: '{"timestamp":"%s","x":"a\\u0000b"}' % _ts(t)),
        ("nul_escape_key", lambda t, p, q: '{"a\\u0000":1}'),
        ("lone_high_surrogate", lambda t, p, q: '{"x":"\\ud800"}'),
        ("lone_low_surrogate", lambda t, p, q: '{"x":"\\udc00 tail"}'),
        ("high_surrogate_then_ascii", lambda t, p, q: '{"x":"\\uD83D\\u0041"}'),
        ("reversed_surrogates", lambda t, p, q: '{"x":"\\ude00\\ud83d"}'),
        ("raw_tab_in_string", lambda t, p, q: '{"x":"a\tb"}'),
        ("raw_newline_in_string", lambda t, p, q: '{"x":"a\nb"}'),
        ("raw_nul_in_string", lambda t, p, q: '{"x":"a\x00b"}'),
        ("depth_65", lambda t, p, q: '{"x":' + _nest(64) + '}'),
        ("depth_10000", lambda t, p, q: _nest(10000)),
        ("empty", lambda t, p, q: ""),
        ("whitespace_only", lambda t, p, q: " \r\n\t"),
        ("garbage_after", lambda t, p, q: '{"timestamp":"%s"} x' % _ts(t)),
        ("two_values", lambda t, p, q: "{}{}"),
        ("leading_zero", lambda t, p, q: '{"x":01}'),
        ("plus_sign", lambda t, p, q: '{"x":+1}'),
        ("hex_number", lambda t, p, q: '{"x":0x10}'),
        ("bare_fraction", lambda t, p, q: '{"x":.5}'),
        ("dot_no_digits", lambda t, p, q: '{"x":1.}'),
        ("lone_minus", lambda t, p, q: '-'),
        ("unquoted_key", lambda t, p, q: '{x:1}'),
        ("bad_escape", lambda t, p, q: '{"x":"\\x41"}'),
        ("short_unicode_escape", lambda t, p, q: '{"x":"\\u12"}'),
        ("upper_null", lambda t, p, q: "NULL"),
        ("python_true", lambda t, p, q: "True"),
        ("unclosed_string", lambda t, p, q: '{"x":"abc}'),
        ("unclosed_object", lambda t, p, q: '{"x":1'),
        ("missing_colon", lambda t, p, q: '{"x" 1}'),
        ("non_breaking_space", lambda t, p, q: '\u00a0{}'),
    ]
    consumed = [k for k in ALL_KINDS]
    for i, (name, fn) in enumerate(invalid):
        kind = consumed[i % len(consumed)]
        add("invalid:%s:%s" % (name, kind), kind, _raw(kind, fn))
    add("invalid:bom:connected", "connected",
        _raw("connected", lambda t, p, q: "\ufeff" + _c(_good("connected", t, p, q))),
        edge=True)
    if huge:
        # 1 MiB + 1 byte: too large (would otherwise be a valid gathered).
        def big(extra):
            def fn(t, p, q):
                o = _good("gathered", t, p, q)
                o["pad"] = ""
                n = MIB + extra - len(_c(o).encode())
                o["pad"] = "y" * n
                s = _c(o)
                assert len(s.encode()) == MIB + extra
                return s
            return fn
        add("invalid:over_1MiB:gathered", "gathered", _raw("gathered", big(1)))
        add("valid:exactly_1MiB:gathered", "gathered", _raw("gathered", big(0)))

    # -- 2. Valid JSON, not an object. null is fine for started/stopped/wiped.
    scalars = ['"just a string"', "42", "-1.5e3", "[]", '[{"timestamp":"x"}]',
               "true", "false", "null", '  "s"  ']
    for i, kind in enumerate(ALL_KINDS):
        for j in range(2):
            text = scalars[(2 * i + j) % len(scalars)]
            add("not_object:%s:%s" % (text.strip(), kind), kind,
                _raw(kind, lambda t, p, q, text=text: text))
        add("null_payload:%s" % kind, kind,
            _raw(kind, lambda t, p, q: "null"))

    # -- 3. A read field of the wrong type (table "Which projection reads
    # what"). A JSON null is missing, never poison.
    wrong = [
        ("connected", ("player",), "203.0.113.9"),
        ("connected", ("player",), ["x"]),
        ("connected", ("player", "name"), 42),
        ("connected", ("player", "name"), {"first": "a"}),
        ("connected", ("player", "name"), False),
        ("disconnected", ("reason",), 3),
        ("disconnected", ("reason",), ["Timed Out"]),
        ("chatted", ("player_name",), 42),
        ("chatted", ("player_name",), True),
        ("banned", ("player_name",), 7),
        ("banned", ("reason",), {"text": "Cheating"}),
        ("reported", ("reported_target_steam_id",), 76561198000002000),
        ("hit", ("player_hit",), "headshot"),
        ("hit", ("player_hit",), [1, 2]),
        ("hit", ("player_hit", "victim"), "76561198000002000"),
        ("hit", ("player_hit", "attacker"), 5),
        ("hit", ("player_hit", "isKill"), "true"),
        ("hit", ("player_hit", "isKill"), 1),
        ("hit", ("player_hit", "is_kill"), "false"),
        ("hit", ("player_hit", "victim", "steam_id"), 76561198000002000),
        ("hit", ("player_hit", "attacker", "steam_id"), 76561198000002000),
        ("hit", ("player_hit", "hit_area_id"), "1"),
        ("hit", ("player_hit", "hit_area_id"), True),
        ("hit", ("player_hit", "hit_distance"), "12.5m"),
        ("hit", ("player_hit", "hit_distance"), [12.5]),
    ]
    for kind, path, val in wrong:
        add("wrong_type:%s:%s=%s" % (kind, ".".join(path), json.dumps(val)),
            kind, _mut(kind, _setp(path, val)))
    # Checked whenever present, whatever the other fields say: is_kill of the
    # wrong type beside a valid isKill is still poison; so is a wrong-typed
    # field in a hit that is not a kill.
    add("wrong_type:hit:is_kill_beside_isKill", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(isKill=True, is_kill="yes")))
    add("wrong_type:hit:distance_on_non_kill", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(isKill=False,
                                                hit_distance="far")))
    add("wrong_type:hit:victim_steam_id_no_kill_flag", "hit", _mut(
        "hit", lambda o: (o["player_hit"].pop("isKill"),
                          o["player_hit"]["victim"].update(steam_id=1))))

    # -- 4. Valid payloads at the edges (not poison).
    def dup_first(kind, key, bad):
        # duplicate keys: the last one counts, so an early bad value is moot
        def fn(g, t, s, p, q):
            text = _c(_good(kind, t, p, q))
            return (_subject(kind, s.sid, p.steam),
                    '{"%s":%s,' % (key, json.dumps(bad)) + text[1:])
        return fn

    def dup_last(kind, key, bad):
        # ... and a late bad value makes it poison
        def fn(g, t, s, p, q):
            text = _c(_good(kind, t, p, q))
            return (_subject(kind, s.sid, p.steam),
                    text[:-1] + ',"%s":%s}' % (key, json.dumps(bad)))
        return fn

    add("valid:dup_key_last_wins:chatted", "chatted",
        dup_first("chatted", "player_name", 42))
    add("poison:dup_key_last_bad:chatted", "chatted",
        dup_last("chatted", "player_name", 42))
    add("valid:dup_key_last_wins:connected", "connected",
        dup_first("connected", "player", "not an object"))

    def dup_iskill(g, t, s, p, q):
        text = _c(_good("hit", t, p, q))
        return (_subject("hit", s.sid, p.steam),
                text.replace('"isKill":true', '"isKill":"yes","isKill":true'))
    add("valid:dup_key_isKill", "hit", dup_iskill)

    def nested(levels):
        def fn(g, t, s, p, q):
            o = _good("chatted", t, p, q)
            text = _c(o)[:-1] + ',"meta":' + _nest(levels) + "}"
            return _subject("chatted", s.sid, p.steam), text
        return fn
    add("valid:depth_64:chatted", "chatted", nested(63), edge=True)
    add("invalid:depth_65:chatted", "chatted", nested(64))

    def extra(fields_text):
        def fn(g, t, s, p, q):
            text = _c(_good("gathered", t, p, q))
            return (_subject("gathered", s.sid, p.steam),
                    text[:-1] + "," + fields_text + "}")
        return fn
    add("valid:int64_bounds", "gathered",
        extra('"a":9223372036854775807,"b":-9223372036854775808,"c":-0'))
    add("valid:real_bounds", "gathered",
        extra('"a":1.7976931348623157e308,"b":-1e308,"c":5e-324,'
              '"d":1E+2,"e":0.0e0,"f":123456789012345678901234567890.5'))
    add("valid:real_underflow", "gathered", extra('"a":1e-400'), edge=True)
    add("valid:escapes", "chatted", _mut("chatted", lambda o: o.update(
        player_name="\U0001F3AE esc\u00e9 \"q\" \\ /\u2028\x7f")))

    def escaped_name(g, t, s, p, q):
        o = _good("chatted", t, p, q)
        o["player_name"] = "ESC"
        return (_subject("chatted", s.sid, p.steam),
                _c(o).replace('"ESC"', '"\\ud83c\\udfae\\u00e9\\/\\t\\u0041"'))
    add("valid:unicode_escapes_name", "chatted", escaped_name)
    add("valid:whitespace_around", "respawned",
        lambda g, t, s, p, q: (_subject("respawned", s.sid, p.steam),
                               "\r\n  " + json.dumps(_good("respawned", t, p, q),
                                                     indent="\t") + " \n"))
    # JSON null counts as missing everywhere.
    add("valid:null_player", "connected", _mut(
        "connected", _setp(("player",), None)))
    add("valid:null_player_name", "connected", _mut(
        "connected", _setp(("player", "name"), None)))
    add("valid:null_reason", "disconnected", _mut(
        "disconnected", _setp(("reason",), None)))
    add("valid:null_player_hit", "hit", _mut(
        "hit", _setp(("player_hit",), None)))
    add("valid:null_victim", "hit", _mut(
        "hit", _setp(("player_hit", "victim"), None)))
    add("valid:null_attacker_steam_id", "hit", _mut(
        "hit", _setp(("player_hit", "attacker", "steam_id"), None)))
    add("valid:null_isKill_is_kill_true", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(isKill=None, is_kill=True)))
    add("valid:isKill_false_is_kill_true", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(isKill=False, is_kill=True)))
    add("valid:null_distance_area", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(hit_distance=None,
                                                hit_area_id=None)))
    add("valid:null_player_name_chat", "chatted", _mut(
        "chatted", _setp(("player_name",), None)))
    add("valid:null_reported_target", "reported", _mut(
        "reported", _setp(("reported_target_steam_id",), None)))
    add("valid:null_ban_fields", "banned", _mut(
        "banned", lambda o: o.update(player_name=None, reason=None)))
    add("valid:int_distance_zero", "hit", _mut(
        "hit", lambda o: o["player_hit"].update(hit_distance=0)))
    add("valid:negative_item_id_subject", "item",
        lambda g, t, s, p, q: (_subject("item", s.sid, p.steam, -151838493,
                                        "loot"),
                               _c({"loot_timestamp": _ts(t),
                                   "steam_id": p.steam, "amount": 3})))
    add("valid:command_not_consumed_poison_shape", "command",
        lambda g, t, s, p, q: (_subject("command", s.sid, p.steam),
                               '{"command":42,"timestamp":1}'))
    # A server known only through parked events still gets a servers row.
    add("parked_only_server:started", "started",
        lambda g, t, s, p, q: ("v0.rust.servers.105.events.started",
                               '"just a string"'))
    add("parked_only_server:connected", "connected",
        lambda g, t, s, p, q: (_subject("connected", "105", p.steam),
                               '{"player":7}'))
    return C


def generate(seed, events, base_ms=DEFAULT_BASE_MS, huge=True, edge=True):
    """Returns (list of (subject, payload text), the Gen, the catalogue
    entries used) for the arguments."""
    g = Gen(seed, events, base_ms, huge, edge)
    cat = [c for c in catalogue(huge) if edge or not c[3]]
    # Catalogue entries go in only when the stream is large enough to hold
    # them all; a tiny stream is plain simulation.
    if len(cat) > events // 4:
        cat = []
    g.simulate(events - len(cat) + 50)
    # Stream order = the order events reach NATS: occurrence time plus the
    # send-queue delay of their importance.
    g.out.sort(key=lambda e: (e[1], e[2]))
    stream = g.out[:events - len(cat)]
    # Insert the catalogue at random stream positions, with event times taken
    # from their neighbours so that they blend into the timeline.
    r = g.r
    for name, kind, builder, _edge in cat:
        i = r.randrange(len(stream) + 1)
        t = stream[min(i, len(stream) - 1)][0]
        srv = r.choice(g.servers)
        p, q = r.sample(g.players, 2)
        subject, payload = builder(g, t, srv, p, q)
        stream.insert(i, [t, t, 0, subject, payload])
        g.bump("catalogue")
    assert len(stream) == events, (len(stream), events)
    return [(e[3], e[4]) for e in stream], g, cat


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--base-ms", type=int, default=DEFAULT_BASE_MS,
                    help="start of the simulated clock, ms since the epoch")
    ap.add_argument("--no-huge", action="store_true",
                    help="leave out the two ~1 MiB payloads")
    ap.add_argument("--no-edge", action="store_true",
                    help="leave out cases that rest on a reading of an "
                         "ambiguous point of the contract")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    ap.add_argument("--stats", action="store_true",
                    help="print what the stream holds to stderr")
    a = ap.parse_args(argv)
    if a.events < 1:
        ap.error("--events must be at least 1")
    stream, g, cat = generate(a.seed, a.events, a.base_ms, not a.no_huge,
                              not a.no_edge)
    out = open(a.output, "w", encoding="utf-8", newline="\n") \
        if a.output else sys.stdout
    try:
        for subject, payload in stream:
            # ensure_ascii keeps every line ASCII; the payload string decodes
            # back to exactly these characters, hence these UTF-8 bytes.
            out.write(json.dumps({"subject": subject, "payload": payload},
                                 separators=(",", ":")) + "\n")
    finally:
        if a.output:
            out.close()
    if a.stats:
        for k in sorted(g.stats):
            sys.stderr.write("%6d %s\n" % (g.stats[k], k))
        sys.stderr.write("%6d catalogue entries\n" % len(cat))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
