#!/bin/sh
# Runs libFuzzer targets built by fuzz/build.sh, one after another:
#   fuzz/run.sh SECONDS [TARGET...]     (targets: profile cache-entry kernel-log; default all)
# Each starts from its seeds (fuzz/corpus/TARGET, never written to) and the inputs
# earlier runs kept (.build/fuzz/corpus/TARGET); new inputs go to the latter.
# Crashes are written to .build/fuzz/artifacts/; the log of each run to .build/fuzz/TARGET.log.
# Exits non-zero if a target crashed, leaked or hung (-timeout, seconds per input).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${FUZZ_BUILD:-.build/fuzz}
SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
TARGETS=${*:-profile cache-entry kernel-log}
# A crash is libFuzzer's to report (and to save the input); the Swift runtime's own
# backtracer would sit on the output and delay it.
export SWIFT_BACKTRACE=enable=no
status=0
for target in $TARGETS; do
    mkdir -p "$OUT/corpus/$target" "$OUT/artifacts"
    dict=""
    [ -f "fuzz/$target.dict" ] && dict="-dict=fuzz/$target.dict"
    echo "fuzz-$target: $SECONDS_EACH s (log $OUT/$target.log)"
    # shellcheck disable=SC2086
    "$OUT/fuzz-$target" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 $dict \
        -artifact_prefix="$OUT/artifacts/$target-" "$OUT/corpus/$target" "fuzz/corpus/$target" > "$OUT/$target.log" 2>&1
    rc=$?
    grep -E '^#[0-9]+.*(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$OUT/$target.log" | sed "s/^/  /"
    echo "  corpus: $(find "$OUT/corpus/$target" -type f | wc -l) inputs kept"
    if [ $rc -ne 0 ]; then
        echo "fuzz-$target: FAILED (exit $rc); see $OUT/$target.log and $OUT/artifacts/" >&2
        grep -E '^==[0-9]+==ERROR|Fatal error|SUMMARY' "$OUT/$target.log" | head -5 >&2
        status=1
    fi
done
exit $status
