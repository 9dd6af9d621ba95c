#!/bin/sh
# launch-bench.sh: what starting a command under a seccomp filter costs, and
# what each tool's own start-up costs.
#
# Usage: launch-bench.sh SECCOMP_SANDBOX SECCOMP_PROFILE PROFILE [MARKDOWN] [CALL_N_TIMES] [MIN_LAUNCH]
#
# 1. One hyperfine run (300 launches each, no shell): /bin/true alone;
#    seccomp-sandbox with the profile (its compiled filter cached after the first
#    launch, as in normal use); bubblewrap loading the same compiled filter
#    (bwrap --bind / / --seccomp 3); min-launch, the least a launcher can do
#    (prctl, seccomp, execve in one C process: tools/bench/min-launch.c). What
#    each adds is its time minus /bin/true's (min, and mean).
#    Goal: seccomp-sandbox adds at most 0.5x what bwrap adds.
#    bwrap reads its filter from fd 3, which every launch shares: hyperfine's
#    --prepare rewinds it before each timing run, for every command alike.
#    Each tool runs as installed: a copy (install -m 0755, as make install makes
#    it, and as bwrap's package installed bwrap). The binary the linker has just
#    written in .build is timed too, as "seccomp-sandbox (as linked)": until its
#    pages leave the page cache it starts and exits slower than the same bytes
#    copied (the linker wrote them through a mapping: single pages, where a copy
#    is cached in large folios).
# 2. A second run: each tool's start-up (--help), a seccomp-profile audit, and a
#    sandbox launch with no cache (it asks seccomp-profile to compile), beside
#    /bin/true; with how each binary links.
# 3. A third: what one denied call (ERRNO) costs the confined program, under
#    seccomp-sandbox and under bwrap loading the same compiled filter:
#    call-n-times makes N getppid calls, which the profile fails with EPERM;
#    ns per call = (time for N - time for 0) / N. Goal: at most 1.2x bwrap's.
set -eu
SANDBOX=$1 PROFILE_TOOL=$2 PROFILE=$3 OUT=${4:-} CALLER=${5:-} MIN_LAUNCH=${6:-}
OBSERVE=$(dirname "$SANDBOX")/seccomp-observe
for f in "$SANDBOX" "$PROFILE_TOOL" "$OBSERVE"; do
	[ -x "$f" ] || { echo "launch-bench: missing binary $f (run make build first)" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "launch-bench: hyperfine is not installed (make bench-deps)" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "launch-bench: bubblewrap is not installed (apt-get install bubblewrap)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
LINKED=$SANDBOX
mkdir "$TMP/bin"
install -m 0755 "$SANDBOX" "$PROFILE_TOOL" "$OBSERVE" "$TMP/bin/"
SANDBOX=$TMP/bin/seccomp-sandbox PROFILE_TOOL=$TMP/bin/seccomp-profile OBSERVE=$TMP/bin/seccomp-observe
if [ -x "$MIN_LAUNCH" ]; then install -m 0755 "$MIN_LAUNCH" "$TMP/bin/min-launch"; MIN_LAUNCH=$TMP/bin/min-launch; fi
"$PROFILE_TOOL" compile "$PROFILE" -o "$TMP/filter.bpf" 2>/dev/null
export SECCOMP_FORGE_CACHE="$TMP/cache"
"$SANDBOX" --profile "$PROFILE" -- /bin/true   # fills the cache
"$LINKED" --profile "$PROFILE" -- /bin/true    # and its entry (another binary: another key)
command -v perl >/dev/null || { echo "launch-bench: perl is needed to rewind bwrap's filter between runs" >&2; exit 1; }
set -- -n "/bin/true" "/bin/true" \
	-n "seccomp-sandbox" "$SANDBOX --profile $PROFILE -- /bin/true" \
	-n "bwrap --seccomp" "bwrap --bind / / --seccomp 3 /bin/true" \
	-n "seccomp-sandbox (as linked)" "$LINKED --profile $PROFILE -- /bin/true"
if [ -x "$MIN_LAUNCH" ]; then
	set -- "$@" -n "min-launch" "$MIN_LAUNCH $TMP/filter.bpf /bin/true"
else
	echo "launch-bench: no min-launch helper given: the launch table has no C floor" >&2
fi
hyperfine -N --warmup 20 --runs 300 --export-json "$TMP/launch.json" \
	--prepare "perl -e 'open(my \$f, \"<&=\", 3) or die \"fd 3: \$!\"; sysseek(\$f, 0, 0) or die \"fd 3: \$!\"'" \
	"$@" 3<"$TMP/filter.bpf" >/dev/null
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
base_min, base_mean = t["/bin/true"]["min"] * 1000, t["/bin/true"]["mean"] * 1000
runs = len(t["/bin/true"]["times"])
lines = [f"Launch overhead, measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {kernel} "
         f"(hyperfine, no shell, {runs} launches each; bwrap and min-launch load the same compiled filter; "
         "every tool a copy as installed, and the sandbox also as the linker left it in .build).", "",
         "| command | mean ms | min ms | added (min) ms | added (mean) ms | added ÷ bwrap's (min) | added ÷ bwrap's (mean) |",
         "|---|---:|---:|---:|---:|---:|---:|"]
added = {name: (r["min"] * 1000 - base_min, r["mean"] * 1000 - base_mean) for name, r in t.items()}
bwrap = added["bwrap --seccomp"]
for name in ["/bin/true", "seccomp-sandbox", "bwrap --seccomp", "min-launch", "seccomp-sandbox (as linked)"]:
    if name not in t:
        continue
    r, (by_min, by_mean) = t[name], added[name]
    ratios = "| | " if name == "/bin/true" else f"| {by_min / bwrap[0]:.2f}x | {by_mean / bwrap[1]:.2f}x "
    lines.append(f"| {name} | {r['mean'] * 1000:.2f} | {r['min'] * 1000:.2f} | {by_min:.2f} | {by_mean:.2f} {ratios}|")
ours = added["seccomp-sandbox"]
ratio_min, ratio_mean = ours[0] / bwrap[0], ours[1] / bwrap[1]
lines += ["", f"Goal: seccomp-sandbox adds at most 0.5x what bwrap adds — {'met' if ratio_min <= 0.5 else 'not met'} this run "
          f"(min: {ours[0]:.2f} ms against bwrap's {bwrap[0]:.2f} ms, {ratio_min:.2f}x; "
          f"mean: {ours[1]:.2f} ms against {bwrap[1]:.2f} ms, {ratio_mean:.2f}x)."]
if "min-launch" in t:
    floor = added["min-launch"][0]
    lines += ["", f"min-launch (prctl, seccomp, execve: no supervisor, no cache, nothing reported) is the floor: "
              f"seccomp-sandbox adds {ours[0] - floor:.2f} ms (min) above it."]
if "seccomp-sandbox (as linked)" in t:
    linked = added["seccomp-sandbox (as linked)"]
    lines += ["", f"seccomp-sandbox (as linked) is the same binary as the linker left it in .build ({linked[0]:.2f} ms added, min): "
              "the linker writes its output through a memory mapping, which leaves the file in the page cache as single 4 KiB pages, "
              "where a copy is cached in large folios that each launch maps, and its exit unmaps, in fewer steps; "
              "it stays so until those pages leave the cache."]

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
