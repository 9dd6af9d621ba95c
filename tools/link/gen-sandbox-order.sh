#!/bin/sh
# gen-sandbox-order.sh: writes tools/link/seccomp-sandbox.order, the functions a
# cached seccomp-sandbox launch runs, one ".text.SYMBOL" line each, for the linker
# (gold's --section-ordering-file, set in Package.swift) to lay out side by side.
# A static executable's text is faulted in 64 KiB at a time and unmapped at exit:
# a launch that touches a few neighbouring windows instead of fifty scattered ones
# starts and exits faster (docs/benchmarks-launch.md). Only the layout changes; a
# stale or missing entry costs time, never correctness.
#
# Usage: tools/link/gen-sandbox-order.sh [SECCOMP_SANDBOX] [PROFILE]
# after make build; needs valgrind (callgrind: every function up to the launch, with
# --dry-run, since it cannot follow the launch's clone) and perf (the functions after
# it, sampled over many launches).
set -eu
cd "$(dirname "$0")/../.."
SANDBOX=${1:-.build/release/seccomp-sandbox}
PROFILE=${2:-profiles/container-default.json}
OUT=tools/link/seccomp-sandbox.order
for tool in valgrind perf strip; do
	command -v $tool >/dev/null || { echo "gen-sandbox-order: $tool is needed" >&2; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
# A copy without debug information (valgrind cannot read this toolchain's DWARF), beside seccomp-profile.
strip --strip-debug -o "$TMP/seccomp-sandbox" "$SANDBOX"
cp "$(dirname "$SANDBOX")/seccomp-profile" "$TMP/"
export SECCOMP_FORGE_CACHE="$TMP/cache"
"$TMP/seccomp-sandbox" --profile "$PROFILE" -- /bin/true
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$TMP/callgrind.out" \
	"$TMP/seccomp-sandbox" --profile "$PROFILE" --dry-run -- /bin/true >/dev/null 2>&1
perf record -q -e cpu-clock -F 20000 --call-graph dwarf,16384 -o "$TMP/perf.data" -- \
	sh -c "for i in \$(seq 200); do $TMP/seccomp-sandbox --profile $PROFILE -- /bin/true; done" >/dev/null 2>&1
{
	grep -oE '^c?fn=\([0-9]+\) .+' "$TMP/callgrind.out" | sed -E 's/^c?fn=\([0-9]+\) //; s/'"'"'[0-9]+$//'
	# Every frame of every sample in the sandbox's own code (user addresses below 4 GiB).
	perf script -i "$TMP/perf.data" --comm seccomp-sandbox -F ip,sym 2>/dev/null |
		awk '$1 ~ /^[0-9a-f]+$/ && length($1) <= 8 && NF >= 2 { print $2 }'
} | grep -vE '^(0x|\(below|\[unknown\])' | sort -u | sed 's/^/.text./' >"$OUT"
echo "gen-sandbox-order: $(wc -l <"$OUT") functions in $OUT"
