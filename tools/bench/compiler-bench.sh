#!/bin/sh
# compiler-bench.sh: compares seccomp-forge's compiled filter with libseccomp's.
#
# Usage: compiler-bench.sh SECCOMP_PROFILE_BIN SCMP_ORACLE_BIN DOCKER_DEFAULT_JSON
#
# What it measures, for Docker's default profile resolved for an x86_64 host
# (Docker's default capability set, the running kernel), filtering the
# x86_64, x86 and x32 ABIs:
#   - filter length (classic-BPF instructions);
#   - instructions executed per syscall, mean over NR 0..462 with zero
#     arguments on each ABI, and the maximum measured on x86_64;
#   - for seccomp-forge only: longest x86_64 path and how many allowed
#     syscalls the kernel can cache (constant action, no argument checks).
# libseccomp is driven through scmp-oracle twice, with the linear
# (optimize 1) and binary-tree (optimize 2) layouts; instruction counts come
# from the oracle's own cBPF interpreter, ours from `seccomp-profile stats`.
# The Markdown table goes to stdout and to docs/benchmarks-compiler.md.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 SECCOMP_PROFILE_BIN SCMP_ORACLE_BIN DOCKER_DEFAULT_JSON" >&2
	exit 2
fi
OURS_BIN=$1 ORACLE_BIN=$2 PROFILE=$3
for f in "$OURS_BIN" "$ORACLE_BIN"; do
	[ -x "$f" ] || { echo "compiler-bench: missing binary $f (run 'make helpers build' first)" >&2; exit 1; }
done
[ -r "$PROFILE" ] || { echo "compiler-bench: missing profile $PROFILE" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# 1. Resolve the profile into oracle directives (Docker semantics, amd64 host).
python3 "$ROOT/tools/bench/oracle-rules.py" "$PROFILE" "$(uname -r)" > "$TMP/rules"

# 2. libseccomp, linear and tree layouts.
for opt in 1 2; do
	{ echo "optimize $opt"; cat "$TMP/rules"; echo build
	  echo "count 0xc000003e 0 462"; echo "count 0x40000003 0 462"
	  echo "count 0xc000003e 0x40000000 0x400001ce"
	  # Argument-checked calls on x86_64: personality(PER_LINUX32), socket(AF_INET), clone(fork's flags).
	  echo "steps 0xc000003e 135 8 0 0 0 0 0"; echo "steps 0xc000003e 41 2 1 0 0 0 0"
	  echo "steps 0xc000003e 56 0x1200011 0 0 0 0 0"; } |
		"$ORACLE_BIN" > "$TMP/oracle$opt"
done

# 3. seccomp-forge.
"$OURS_BIN" stats "$PROFILE" --numbers 0-462 --json > "$TMP/ours.json"
for call in "personality 0x8" "socket 2,1" "clone 0x1200011"; do
	set -- $call
	"$OURS_BIN" explain "$PROFILE" --arch x86_64,x86,x32 --syscall "$1" --args "$2" |
		sed -n 's/^result: .* after \([0-9]*\) instructions$/\1/p'
done > "$TMP/ours-args"

# 4. Report.
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
LIBVER=$(dpkg-query -W -f='${Version}' libseccomp2 2>/dev/null || echo unknown)
HEADER="Run $(date -u '+%Y-%m-%d %H:%M UTC'); kernel $(uname -r); CPU ${CPU:-unknown}; libseccomp $LIBVER."
mkdir -p "$ROOT/docs"
python3 - "$TMP" "$HEADER" "$(basename "$PROFILE")" > "$TMP/report.md" <<'EOF'
import json, sys
tmp, header, profile_name = sys.argv[1:4]
ours = json.load(open(tmp + "/ours.json"))
arch = {a["architecture"]: a for a in ours["architectures"]}
def oracle(opt):
    r = {"counts": [], "unknown": set(), "steps": []}
    for line in open("%s/oracle%d" % (tmp, opt)):
        w = line.split()
        if w[0] == "length": r["length"] = int(w[1])
        elif w[0] == "count": r["counts"].append((float(w[2]), int(w[4])))
        elif w[0] == "unknown": r["unknown"].add(w[1])
        elif w[0] == "steps": r["steps"].append(int(w[1]))
    if "length" not in r or len(r["counts"]) != 3:
        sys.exit("compiler-bench: unexpected scmp-oracle output for optimize %d" % opt)
    return r
tree, lin = oracle(2), oracle(1)
def ratio(a, b): return "%.2f" % (a / b) if b else "n/a"
o64 = arch["x86_64"]
rows = [("filter length (instructions)", ours["length"], tree["length"], lin["length"],
         ratio(ours["length"], tree["length"]))]
for i, a in enumerate(("x86_64", "x86", "x32")):
    rows.append(("mean instructions per syscall, %s" % a, "%.3f" % arch[a]["meanInstructions"],
                 "%.3f" % tree["counts"][i][0], "%.3f" % lin["counts"][i][0],
                 ratio(arch[a]["meanInstructions"], tree["counts"][i][0]) if i == 0 else ""))
rows.append(("max measured instructions, x86_64", o64["maxInstructions"],
             tree["counts"][0][1], lin["counts"][0][1], ""))
rows.append(("longest x86_64 path", o64["longestPath"], "n/a", "n/a", ""))
ours_args = [int(x) for x in open(tmp + "/ours-args").read().split()]
for i, call in enumerate(("personality(PER_LINUX32)", "socket(AF_INET, SOCK_STREAM)", "clone(fork's flags)")):
    rows.append(("instructions for %s, x86_64" % call, ours_args[i], tree["steps"][i], lin["steps"][i],
                 ratio(ours_args[i], tree["steps"][i])))
rows.append(("cacheable allowed syscalls (x86_64)", "%d of %d" % (o64["cacheable"],
             o64["allowedWithoutArguments"]), "n/a", "n/a", ""))
out = [header, "",
       "Docker default profile (`%s`), resolved for an x86_64 host with Docker's default "
       "capabilities; ABIs x86_64, x86, x32; syscall numbers 0–462, zero arguments." % profile_name, "",
       "| metric | seccomp-forge | libseccomp tree | libseccomp linear | ours ÷ tree |",
       "|---|---:|---:|---:|---:|"]
out += ["| %s |" % " | ".join(str(c) for c in r) for r in rows]
cache_ok = all(a["cacheable"] == a["allowedWithoutArguments"] for a in arch.values())
goals = [("x86_64 mean ≤ 10", o64["meanInstructions"] <= 10),
         ("longest x86_64 path ≤ 14", o64["longestPath"] <= 14),
         ("length ≤ 400", ours["length"] <= 400),
         ("every allowed syscall without argument checks cacheable (all ABIs)", cache_ok)]
unknown = sorted(tree["unknown"] | lin["unknown"])
out += ["", "Goals for seccomp-forge: " + "; ".join(
            "%s — %s" % (g, "met" if ok else "**not met**") for g, ok in goals) + ". "
        "libseccomp %s did not know %d of the resolved Docker-default names%s; its filter "
        "omits them, so its counts cover slightly fewer rules. libseccomp's longest path is "
        "not reported by the oracle (n/a)." % (header.split("libseccomp ")[-1].rstrip("."),
            len(unknown), " (" + ", ".join(unknown) + ")" if unknown else "")]
print("\n".join(out))
EOF
tee "$ROOT/docs/benchmarks-compiler.md" < "$TMP/report.md"
