#!/bin/sh
# launch-bench.sh: what starting a command under a seccomp filter costs.
#
# Usage: launch-bench.sh SECCOMP_SANDBOX SECCOMP_PROFILE PROFILE [MARKDOWN]
#
# Compares, in one hyperfine run: /bin/true alone; seccomp-sandbox with the
# profile (its compiled filter cached after the first launch, as in normal use);
# bubblewrap loading the same compiled filter (bwrap --bind / / --seccomp 3).
# Goal: seccomp-sandbox adds at most 2.5 ms over plain exec, and less than bwrap.
set -eu
SANDBOX=$1 PROFILE_TOOL=$2 PROFILE=$3 OUT=${4:-}
for f in "$SANDBOX" "$PROFILE_TOOL"; do
	[ -x "$f" ] || { echo "launch-bench: missing binary $f (run make build first)" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "launch-bench: hyperfine is not installed (make deps)" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "launch-bench: bubblewrap is not installed (apt-get install bubblewrap)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
"$PROFILE_TOOL" compile "$PROFILE" -o "$TMP/filter.bpf" 2>/dev/null
export SECCOMP_FORGE_CACHE="$TMP/cache"
"$SANDBOX" --profile "$PROFILE" -- /bin/true   # fills the cache
hyperfine -N --warmup 20 --runs 300 --export-json "$TMP/launch.json" \
	-n "/bin/true" "/bin/true" \
	-n "seccomp-sandbox" "$SANDBOX --profile $PROFILE -- /bin/true" \
	-n "bwrap --seccomp" "bwrap --bind / / --seccomp 3 /bin/true" \
	3<"$TMP/filter.bpf" >/dev/null 2>&1 || {
	# hyperfine reopens fd 3 for every run only through a shell; fall back to one.
	hyperfine --warmup 20 --runs 300 --export-json "$TMP/launch.json" \
		-n "/bin/true" "/bin/true" \
		-n "seccomp-sandbox" "$SANDBOX --profile $PROFILE -- /bin/true" \
		-n "bwrap --seccomp" "bwrap --bind / / --seccomp 3 /bin/true 3<$TMP/filter.bpf" >/dev/null 2>&1
}
python3 - "$TMP/launch.json" "$OUT" "$(uname -r)" <<'PY'
import json, sys, datetime
data = json.load(open(sys.argv[1]))["results"]
t = {r["command"]: r for r in data}
base = t["/bin/true"]["min"] * 1000
lines = [f"Launch overhead, measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {sys.argv[3]} (hyperfine, 300 runs).", "",
         "| command | mean ms | min ms | added over /bin/true (min) |", "|---|---:|---:|---:|"]
for name in ["/bin/true", "seccomp-sandbox", "bwrap --seccomp"]:
    r = t[name]
    lines.append(f"| {name} | {r['mean'] * 1000:.2f} | {r['min'] * 1000:.2f} | {r['min'] * 1000 - base:.2f} |")
ours = t["seccomp-sandbox"]["min"] * 1000 - base
bwrap = t["bwrap --seccomp"]["min"] * 1000 - base
lines += ["", f"Goal: at most 2.5 ms over plain exec, ahead of bubblewrap — {'met' if ours <= 2.5 and ours < bwrap else 'not met'} this run ({ours:.2f} ms; bwrap {bwrap:.2f} ms)."]
text = "\n".join(lines) + "\n"
print(text)
if sys.argv[2]:
    open(sys.argv[2], "w").write(text)
PY
