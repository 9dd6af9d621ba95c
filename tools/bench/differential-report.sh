#!/bin/sh
# differential-report.sh: the compiler against libseccomp, as counts for docs/benchmarks.md.
#
# Usage: differential-report.sh HELPERS_DIR BIN_DIR [MARKDOWN]
#
# Runs the differential tests (Docker's default, the real-profile corpus in
# corpus/real, 1,000 seeded random profiles; x86_64, x86 with its socketcall and
# ipc multiplexers, x32) and keeps the lines each prints: calls checked against
# libseccomp, calls judged by the rules alone, mismatches (0, or the run fails),
# and libseccomp's own known defects, counted by class.
set -eu
HELPERS=$1 BIN=$2 OUT=${3:-}
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT INT TERM
SECCOMP_FORGE_HELPERS=$HELPERS SECCOMP_FORGE_BIN=$BIN \
	swift test -c release --skip-build --disable-swift-testing --filter DifferentialTests >"$TMP" 2>&1 || {
	grep -E "error|failed" "$TMP" | head -20 >&2
	echo "differential-report: the differential tests failed" >&2
	exit 1
}
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); libseccomp $(dpkg-query -W -f='${Version}' libseccomp2 2>/dev/null || echo unknown) as the oracle."
	echo
	grep -E "^(docker default|[0-9]+ real profiles|1000 random profiles)" "$TMP" | sed 's/^/- /'
} >"${OUT:-/dev/stdout}"
[ -z "$OUT" ] || cat "$OUT"
