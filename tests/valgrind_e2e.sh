#!/bin/sh
# valgrind_e2e.sh: the projector itself under valgrind memcheck, end to end.
#
# Run from the repository root by `make valgrind`, after PROJECTOR and
# PUBLISH are built. In a new temp dir it starts nats-server with JetStream
# on 127.0.0.1 and a port the server picks (-p -1; it writes the port into
# its ports file), publishes tests/fixtures/gamingapi-small/events.jsonl into
# stream `everything`, and runs under valgrind (VALGRIND, the whole command
# line, with its options and suppressions):
#     projector check-config, run --once, status --json, verify,
#     replay --once (from the archive), archive export
# Each must exit 0 with no valgrind error (definite leaks included), and the
# database that `run --once` wrote must give the six contract queries the
# answer of tests/fixtures/gamingapi-small/expected.json (checked with
# python3 and tests/oracle/model.py's comparison: REAL within 1e-6).
# The server is stopped on every way out but SIGKILL; the temp dir is removed
# after a run that worked and kept (its path printed) after one that did
# not, with valgrind's and the programs' logs in it.
#
# Plain POSIX sh. Override the programs with NATS_SERVER, PROJECTOR,
# PUBLISH and VALGRIND.

set -u

nats_server=${NATS_SERVER:-nats-server}
projector=${PROJECTOR:-build/projector}
publish=${PUBLISH:-build/tests/publish}
valgrind=${VALGRIND:-valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp}
fixture=tests/fixtures/gamingapi-small
ready_tries=100			# times 0.1 s: how long the server may take

dir=
server_pid=
failed=1

say() {
	printf 'valgrind_e2e: %s\n' "$*"
}

die() {
	printf 'valgrind_e2e: %s\n' "$*" >&2
	exit 1
}

# SIGTERM, up to 10 s, then SIGKILL; only the pid this script started.
stop_server() {
	[ -n "$server_pid" ] || return 0
	kill "$server_pid" 2>/dev/null
	i=0
	while kill -0 "$server_pid" 2>/dev/null && [ "$i" -lt "$ready_tries" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}

cleanup() {
	stop_server
	[ -n "$dir" ] || return 0
	if [ "$failed" = 0 ]; then
		rm -rf "$dir"
	else
		printf 'valgrind_e2e: failed; logs are in %s\n' "$dir" >&2
	fi
}

trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

[ -f "$fixture/events.jsonl" ] || die "run me from the repository root"
[ -x "$projector" ] || die "$projector not built"
[ -x "$publish" ] || die "$publish not built"
command -v "$nats_server" >/dev/null 2>&1 || die "$nats_server not found (make deps)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (make deps)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/projector-valgrind.XXXXXX") ||
	die "cannot make a temp dir"

"$nats_server" -c configs/nats-server.conf -a 127.0.0.1 -p -1 -js \
	-sd "$dir/store" --ports_file_dir "$dir" >"$dir/server.log" 2>&1 &
server_pid=$!

port=
i=0
while [ -z "$port" ]; do
	kill -0 "$server_pid" 2>/dev/null ||
		die "nats-server exited: $(tail -n 1 "$dir/server.log")"
	[ "$i" -lt "$ready_tries" ] ||
		die "nats-server not ready after 10 s: $(tail -n 1 "$dir/server.log")"
	for f in "$dir"/*_"$server_pid".ports; do
		[ -f "$f" ] || continue
		port=$(sed -n 's/.*"nats":\["nats:\/\/[^"]*:\([0-9][0-9]*\)".*/\1/p' "$f")
	done
	[ -n "$port" ] && break
	sleep 0.1
	i=$((i + 1))
done
say "nats-server at nats://127.0.0.1:$port (pid $server_pid)"

"$publish" "nats://127.0.0.1:$port" everything "$fixture/events.jsonl" \
	>"$dir/publish.log" 2>&1 || die "publish failed: $(tail -n 1 "$dir/publish.log")"

# configs/demo.yaml, pointed at this server: database demo.db beside it.
sed "s/PORT_PLACEHOLDER/$port/" configs/demo.yaml >"$dir/projector.yaml" ||
	die "cannot write $dir/projector.yaml"

# Runs projector ARGS... under valgrind; NAME names the logs. Valgrind's
# own report goes to DIR/NAME.valgrind, apart from the program's stderr.
# The last --error-exitcode wins: 97, which no projector exit means, tells a
# valgrind error from the program's own failure whatever VALGRIND says.
vg() {
	name=$1
	shift
	say "valgrind projector $*"
	# shellcheck disable=SC2086 # $valgrind is a command line on purpose.
	$valgrind --error-exitcode=97 --log-file="$dir/$name.valgrind" \
		"$projector" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
	rc=$?
	if [ "$rc" = 97 ]; then
		head -n 80 "$dir/$name.valgrind" >&2
		die "projector $1: valgrind found errors ($dir/$name.valgrind)"
	fi
	[ "$rc" = 0 ] || die "projector $1 exited $rc: $(tail -n 1 "$dir/$name.err")"
}

vg check-config check-config -c "$dir/projector.yaml"
vg run run -c "$dir/projector.yaml" --once
vg status status -c "$dir/projector.yaml" --json
vg verify verify -c "$dir/projector.yaml"
vg replay replay -c "$dir/projector.yaml" --once
vg export archive export -c "$dir/projector.yaml" --account demo
[ "$(wc -l <"$dir/export.out")" -eq 600 ] ||
	die "archive export wrote $(wc -l <"$dir/export.out") lines, not 600"

stop_server

python3 - "$dir/demo.db" "$fixture/expected.json" <<'EOF' || die "the database does not match $fixture/expected.json"
import json
import sqlite3
import sys

sys.path.insert(0, "tests/oracle")
import model  # noqa: E402

SQL = {
    "servers": "SELECT server_id, status, last_started_at, last_stopped_at,"
               " current_wipe_id, online_players FROM servers",
    "wipes": "SELECT server_id, wipe_id, wiped_at FROM wipes",
    "session_history": "SELECT server_id, steam_id, name, connected_at,"
                       " disconnected_at, duration_s, end_reason"
                       " FROM session_history",
    "player_profiles": "SELECT steam_id, name, first_seen, last_seen,"
                       " sessions, playtime_s, chat_messages,"
                       " reports_received, banned, ban_reason"
                       " FROM player_profiles",
    "leaderboard": "SELECT server_id, wipe_id, steam_id, name, kills,"
                   " deaths, headshots, longest_kill_m, kd, rank"
                   " FROM leaderboard",
    "parked": "SELECT projection, seq FROM projector_parked",
}
db, expected = sys.argv[1], json.load(open(sys.argv[2]))
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
bad = 0
for q in model.QUERIES:
    got = [list(r) for r in con.execute(SQL[q])]
    diff = model.first_difference(q, model.sort_rows(q, expected[q]),
                                  model.sort_rows(q, got))
    if diff is not None:
        print("valgrind_e2e: " + diff, file=sys.stderr)
        bad = 1
    else:
        print("valgrind_e2e: ok %-16s %d rows" % (q, len(got)))
sys.exit(bad)
EOF

failed=0
say "no valgrind error in check-config, run --once, status, verify, replay, archive export; contract ok"
