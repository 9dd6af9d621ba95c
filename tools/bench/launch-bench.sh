#!/bin/sh
# launch-bench.sh: what starting a command under a seccomp filter costs, and
# what each tool's own start-up costs.
#
# Usage: launch-bench.sh SECCOMP_SANDBOX SECCOMP_PROFILE PROFILE [MARKDOWN]
#
# 1. One hyperfine run: /bin/true alone; seccomp-sandbox with the profile (its
#    compiled filter cached after the first launch, as in normal use);
#    bubblewrap loading the same compiled filter (bwrap --bind / / --seccomp 3).
#    Goal: seccomp-sandbox adds at most 2.5 ms over plain exec, and less than bwrap.
# 2. A second run: each tool's start-up (--help), a seccomp-profile audit, and a
#    sandbox launch with no cache (it asks seccomp-profile to compile), beside
#    /bin/true; with how each binary links.
# 3. A third: what one denied call (ERRNO) costs the confined program, under
#    seccomp-sandbox and under bwrap loading the same compiled filter:
#    call-n-times makes N getppid calls, which the profile fails with EPERM;
#    ns per call = (time for N - time for 0) / N. Goal: at most 1.2x bwrap's.
set -eu
SANDBOX=$1 PROFILE_TOOL=$2 PROFILE=$3 OUT=${4:-} CALLER=${5:-}
OBSERVE=$(dirname "$SANDBOX")/seccomp-observe
for f in "$SANDBOX" "$PROFILE_TOOL" "$OBSERVE"; do
	[ -x "$f" ] || { echo "launch-bench: missing binary $f (run make build first)" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "launch-bench: hyperfine is not installed (make bench-deps)" >&2; exit 1; }
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
hyperfine -N --warmup 10 --runs 100 --export-json "$TMP/startup.json" \
	-n "/bin/true" "/bin/true" \
	-n "seccomp-sandbox --help" "$SANDBOX --help" \
	-n "seccomp-observe --help" "$OBSERVE --help" \
	-n "seccomp-profile --help" "$PROFILE_TOOL --help" \
	-n "seccomp-profile check PROFILE ptrace" "$PROFILE_TOOL check $PROFILE ptrace" \
	-n "seccomp-sandbox, no cache (compiles first)" "env SECCOMP_FORGE_NO_CACHE=1 $SANDBOX --profile $PROFILE -- /bin/true" \
	>/dev/null 2>&1
N=1000000
if [ -x "$CALLER" ]; then
	printf '%s\n' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}' >"$TMP/deny.json"
	"$PROFILE_TOOL" compile "$TMP/deny.json" -o "$TMP/deny.bpf" 2>/dev/null
	"$SANDBOX" --profile "$TMP/deny.json" -- /bin/true
	hyperfine --warmup 3 --runs 15 --export-json "$TMP/deny-calls.json" \
		-n "seccomp-sandbox, 0 calls" "$SANDBOX --profile $TMP/deny.json -- $CALLER getppid 0" \
		-n "seccomp-sandbox, N calls" "$SANDBOX --profile $TMP/deny.json -- $CALLER getppid $N" \
		-n "bwrap, 0 calls" "bwrap --bind / / --seccomp 3 $CALLER getppid 0 3<$TMP/deny.bpf" \
		-n "bwrap, N calls" "bwrap --bind / / --seccomp 3 $CALLER getppid $N 3<$TMP/deny.bpf" >/dev/null 2>&1
else
	echo "launch-bench: no call-n-times helper given: skipping the denied-call cost" >&2
	echo '{"results": []}' >"$TMP/deny-calls.json"
fi
python3 - "$TMP/launch.json" "$TMP/startup.json" "$OUT" "$(uname -r)" "$SANDBOX" "$OBSERVE" "$PROFILE_TOOL" "$TMP/deny-calls.json" "$N" <<'PY'
import json, struct, sys, datetime
launch, startup, out, kernel = sys.argv[1:5]
binaries = {"/bin/true": "/bin/true", **dict(zip(["seccomp-sandbox", "seccomp-observe", "seccomp-profile"], sys.argv[5:8]))}
deny_calls, calls = sys.argv[8], int(sys.argv[9])

def linkage(path):
    """'static executable' or 'dynamic (N shared libraries)', from the ELF program headers."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    types = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
    return "dynamic (PT_INTERP)" if 3 in types else "static executable"

def table(path):
    return {r["command"]: r for r in json.load(open(path))["results"]}

t = table(launch)
base = t["/bin/true"]["min"] * 1000
lines = [f"Launch overhead, measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {kernel} (hyperfine, 300 runs).", "",
         "| command | mean ms | min ms | added over /bin/true (min) |", "|---|---:|---:|---:|"]
for name in ["/bin/true", "seccomp-sandbox", "bwrap --seccomp"]:
    r = t[name]
    lines.append(f"| {name} | {r['mean'] * 1000:.2f} | {r['min'] * 1000:.2f} | {r['min'] * 1000 - base:.2f} |")
ours = t["seccomp-sandbox"]["min"] * 1000 - base
bwrap = t["bwrap --seccomp"]["min"] * 1000 - base
lines += ["", f"Goal: at most 2.5 ms over plain exec, ahead of bubblewrap — {'met' if ours <= 2.5 and ours < bwrap else 'not met'} this run "
          f"({ours:.2f} ms; bwrap {bwrap:.2f} ms; ours ÷ bwrap's {ours / bwrap:.2f})."]

s = table(startup)
base = s["/bin/true"]["min"] * 1000
lines += ["", "Each tool's start-up, in a second run (100 runs each); the no-cache launch runs seccomp-profile to compile the profile:", "",
          "| command | links as | mean ms | min ms | added over /bin/true (min) |", "|---|---|---:|---:|---:|"]
for name, r in s.items():
    tool = name.split(" ")[0].rstrip(",")
    how = linkage(binaries[tool])
    lines.append(f"| {name} | {how} | {r['mean'] * 1000:.2f} | {r['min'] * 1000:.2f} | {r['min'] * 1000 - base:.2f} |")
d = table(deny_calls)
if d:
    per = {tool: (d[f"{tool}, N calls"]["median"] - d[f"{tool}, 0 calls"]["median"]) / calls * 1e9 for tool in ["seccomp-sandbox", "bwrap"]}
    ratio = per["seccomp-sandbox"] / per["bwrap"]
    lines += ["", f"One denied call (getppid failed with EPERM by the filter; {calls:,} calls, medians of 15 runs, start-up subtracted):", "",
              "| confined by | ns per denied call |", "|---|---:|"]
    for tool in ["seccomp-sandbox", "bwrap"]:
        lines.append(f"| {tool} | {per[tool]:.0f} |")
    lines += ["", f"Goal: at most 1.2x bwrap's — {'met' if ratio <= 1.2 else 'not met'} this run (ratio {ratio:.2f}): "
              "the kernel answers the call in both; no process of ours is asked."]
text = "\n".join(lines) + "\n"
print(text)
if out:
    open(out, "w").write(text)
PY
