#!/bin/sh
# tests/install.sh B: `make install` into a fresh DESTDIR (PREFIX=/usr)
# with the build in B, then checks the tree: every file in place with its
# mode; the installed program runs; the manual page renders without a
# groff warning, names the prefix, and holds every command, option and exit
# status that `projector --help` lists; the pkg-config file points at the
# header; the systemd unit runs the installed binary, passes
# `systemd-analyze verify` and scores 2.0 or less on `systemd-analyze
# security`; `make uninstall` leaves no file behind. Exits 0, or 1 with what
# is wrong.
set -eu
B=$1
root=$(mktemp -d "${TMPDIR:-/tmp}/install-test-XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
fail() { echo "tests/install.sh: $*" >&2; exit 1; }

make --no-print-directory install B="$B" PREFIX=/usr DESTDIR="$root" \
    > "$root/install.log" 2>&1 || { cat "$root/install.log"; fail "make install failed"; }
rm "$root/install.log"

for entry in bin/projector:755 bin/projector-embed-migrations:755 \
    include/projector/projection.h:644 lib/pkgconfig/projector.pc:644 \
    share/man/man1/projector.1:644 share/doc/projector/example.yaml:644 \
    lib/systemd/system/projector.service:644; do
	f=$root/usr/${entry%%:*}
	[ -f "$f" ] || fail "missing /usr/${entry%%:*}"
	mode=$(stat -c %a "$f")
	[ "$mode" = "${entry##*:}" ] || fail "/usr/${entry%%:*} has mode $mode, not ${entry##*:}"
done
[ -d "$root/usr/lib/projector" ] || fail "missing the plug-in folder /usr/lib/projector"

"$root/usr/bin/projector" --version | grep -q '^projector ' ||
    fail "the installed program does not run"
cmp -s src/projection.h "$root/usr/include/projector/projection.h" ||
    fail "the installed header is not src/projection.h"
grep -q '^prefix=/usr$' "$root/usr/lib/pkgconfig/projector.pc" ||
    fail "projector.pc does not say prefix=/usr"

man=$root/usr/share/man/man1/projector.1
warnings=$(groff -ww -man -Tutf8 -z "$man" 2>&1) || fail "groff failed on the manual page"
[ -z "$warnings" ] || fail "groff warns about the manual page: $warnings"
grep -q '@PREFIX@' "$man" && fail "the manual page still says @PREFIX@"
grep -q '/usr/share/doc/projector/example.yaml' "$man" ||
    fail "the manual page does not name the installed example"
text=$(groff -man -Tascii "$man" 2>/dev/null | col -b)
help=$("$root/usr/bin/projector" --help)
for word in run replay verify status check-config migrate "archive export" \
    fold health $(echo "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	echo "$text" | grep -q -- "$word" || fail "the manual page lacks $word"
done
for code in $(echo "$help" | sed -n '/^exit status/,$p' | grep -o '[0-9][0-9]*'); do
	echo "$text" | grep -Eq "^ *$code( |\$)" ||
	    fail "the manual page's EXIT STATUS lacks $code"
done

# The unit: the installed binary, accepted by systemd-analyze verify (run
# on a copy whose ExecStart is the binary in the tree, which is not
# installed on this machine), and an exposure of 2.0 or less.
unit=$root/usr/lib/systemd/system/projector.service
grep -q '^ExecStart=/usr/bin/projector run ' "$unit" ||
    fail "the unit's ExecStart is not the installed /usr/bin/projector"
sed "s|^ExecStart=/usr/bin/projector|ExecStart=$root/usr/bin/projector|" \
    "$unit" > "$root/projector.service"
out=$(systemd-analyze verify --man=no "$root/projector.service" 2>&1) ||
    fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
out=$(systemd-analyze security --offline=true --threshold=20 \
    "$root/projector.service" 2>&1) ||
    fail "systemd-analyze security scores the unit above 2.0: $(echo "$out" | tail -1)"
echo "$out" | tail -1
rm "$root/projector.service"

make --no-print-directory uninstall PREFIX=/usr DESTDIR="$root" > /dev/null 2>&1 ||
    fail "make uninstall failed"
left=$(find "$root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "tests/install.sh: install and uninstall under $root: ok"
