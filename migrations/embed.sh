#!/bin/sh
# Writes, on stdout, the C source of migrate_builtin[]: every
# migrations/<scope>/NNNN_*.sql file as a string, sorted by scope (core first)
# then by name. Used by the Makefile; the SQL files are plain ASCII text.
set -eu
dir=${1:-migrations}
echo '/* Generated from migrations/ by migrations/embed.sh. Do not edit. */'
echo '#include "migrate.h"'
echo 'const struct migration migrate_builtin[] = {'
n=0
for f in $(ls "$dir"/core/*.sql 2>/dev/null; ls "$dir"/*/*.sql | grep -v "^$dir/core/" | sort); do
	scope=$(basename "$(dirname "$f")")
	name=$(basename "$f")
	printf '\t{ "%s", "%s",\n' "$scope" "$name"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/\t  "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
	n=$((n + 1))
done
echo '};'
echo "const size_t migrate_nbuiltin = $n;"
