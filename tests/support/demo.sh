#!/bin/sh
# demo.sh: the sample feed through a local nats-server into SQLite.
#
# Run from the repository root by `make demo`, after build/projector and
# build/tests/publish are built. In a new temp dir it starts nats-server with
# JetStream on 127.0.0.1 and a port the kernel picks, publishes
# tests/fixtures/gamingapi-small/events.jsonl into stream `everything`, runs
# `projector run --once` with configs/demo.yaml pointed at that server, and
# prints the top of each wipe's leaderboard. The server is stopped on every
# way out but SIGKILL. The temp dir stays with the database (its path is
# printed), the config and the logs; only the server's store is removed, and
# only after a run that worked.
#
# Plain POSIX sh with coreutils, sed and grep: a fresh Debian has no python,
# jq or nc. Override the programs with NATS_SERVER, PROJECTOR, PUBLISH.

set -u

nats_server=${NATS_SERVER:-nats-server}
projector=${PROJECTOR:-build/projector}
publish=${PUBLISH:-build/tests/publish}
events=tests/fixtures/gamingapi-small/events.jsonl
top=5				# leaderboard rows shown per wipe
ready_tries=100			# times 0.1 s: how long the server may take

dir=
server_pid=
projector_pid=
failed=1

say() {
	printf 'demo: %s\n' "$*"
}

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# Stops the server: SIGTERM, up to 10 s, then SIGKILL. Safe to call twice.
# Only the pid this script started is signalled, never processes by name.
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
	if [ -n "$projector_pid" ]; then
		kill "$projector_pid" 2>/dev/null
		wait "$projector_pid" 2>/dev/null
	fi
	stop_server
	[ -n "$dir" ] || return 0
	if [ "$failed" = 1 ]; then
		printf 'demo: failed; logs are in %s\n' "$dir" >&2
	elif [ "$failed" = signal ]; then
		printf 'demo: interrupted; files are in %s\n' "$dir" >&2
	else
		rm -rf "$dir/store"
	fi
}

# A signal must still reach the EXIT trap, or the server would outlive us.
trap cleanup EXIT
trap 'failed=signal; exit 129' HUP
trap 'failed=signal; exit 130' INT
trap 'failed=signal; exit 143' TERM

[ -f "$events" ] || die "run me from the repository root ($events not found)"
[ -x "$projector" ] || die "$projector not built (make $projector)"
[ -x "$publish" ] || die "$publish not built (make $publish)"
command -v "$nats_server" >/dev/null 2>&1 || die "$nats_server not found (make deps)"
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 not found (make deps)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/projector-demo.XXXXXX") ||
	die "cannot make a temp dir"

# Loopback only, any free port. The server writes the port it got into
# DIR/<program>_<pid>.ports, which it can only know once it listens: a ports
# file means connections will be accepted.
"$nats_server" -c configs/nats-server.conf -a 127.0.0.1 -p -1 -js \
	-sd "$dir/store" \
	--ports_file_dir "$dir" >"$dir/server.log" 2>&1 &
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
		# {"nats":["nats://127.0.0.1:PORT"],...}; empty while half written.
		port=$(sed -n 's/.*"nats":\["nats:\/\/[^"]*:\([0-9][0-9]*\)".*/\1/p' "$f")
	done
	[ -n "$port" ] && break
	sleep 0.1
	i=$((i + 1))
done
url=nats://127.0.0.1:$port
say "nats-server with JetStream at $url (pid $server_pid)"

"$publish" "$url" everything "$events" || die "publish failed"

sed "s/PORT_PLACEHOLDER/$port/" configs/demo.yaml >"$dir/demo.yaml" ||
	die "cannot write $dir/demo.yaml"

say "projector run -c $dir/demo.yaml --once"
# In the background and then wait: a trapped signal interrupts wait at
# once, where the shell would otherwise not act on it until a foreground
# command ends. --once returns when the stream's last sequence is folded.
"$projector" run -c "$dir/demo.yaml" --once 2>"$dir/projector.log" &
projector_pid=$!
wait "$projector_pid"
rc=$?
projector_pid=
[ "$rc" = 0 ] || die "projector exited with status $rc: $(tail -n 1 "$dir/projector.log")"

stop_server

printf '\nTop %s of each wipe'"'"'s leaderboard:\n\n' "$top"
sqlite3 -header -column "$dir/demo.db" \
	"SELECT server_id, wipe_id, rank, name, kills, deaths,
	        round(kd, 2) AS kd
	   FROM leaderboard WHERE rank <= $top
	  ORDER BY server_id, wipe_id, rank" ||
	die "cannot read $dir/demo.db"

failed=0
printf '\nThe read model is in %s (projector log: %s/projector.log).\n' \
	"$dir/demo.db" "$dir"
printf 'Try: sqlite3 %s "SELECT * FROM player_profiles LIMIT 5"\n' "$dir/demo.db"
