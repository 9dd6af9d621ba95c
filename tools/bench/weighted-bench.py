#!/usr/bin/env python3
"""Instructions per call weighted by a real recording: ours (plain and `--weights`) against
libseccomp's two layouts, for Docker's default and for the profile generated from the recording.

The recording: seccomp-observe watching a mixed command-line workload (a directory walk, an
archive, a Python start-up, a shell pipeline). libseccomp's instructions per call come from
scmp-oracle's cBPF interpreter (`steps`, one line per syscall seen), ours from
`seccomp-profile stats --weights`; x86_64 calls, arguments zero.

Usage: weighted-bench.py SECCOMP_OBSERVE SECCOMP_PROFILE SCMP_ORACLE DOCKER_DEFAULT [--markdown FILE]
"""
import argparse, datetime, json, os, platform, subprocess, sys, tempfile

parser = argparse.ArgumentParser()
parser.add_argument("observe")
parser.add_argument("profile_bin")
parser.add_argument("oracle")
parser.add_argument("docker_default")
parser.add_argument("--markdown")
args = parser.parse_args()
if os.geteuid() != 0:
    sys.exit("weighted-bench: run as root (it observes with eBPF)")
here = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp(prefix="seccomp-forge-weighted-")
workload = "ls -lR /usr/share/doc >/dev/null; tar cf - /etc 2>/dev/null | wc -c >/dev/null; python3 -c 'import json, socket, threading; threading.Thread(target=lambda: None).start()'; seq 1 2000 | sort -n | uniq | wc -l >/dev/null"
recording_path = os.path.join(tmp, "workload.recording.json")
profile_path = os.path.join(tmp, "workload.seccomp.json")
subprocess.run([args.observe, "--quiet", "-o", profile_path, "--", "sh", "-c", workload], check=True, stdout=subprocess.DEVNULL)
recording = json.load(open(recording_path))
counts = recording["counts"].get("SCMP_ARCH_X86_64", {})
total = sum(counts.values())

# x86_64 numbers from our own table (the one the binaries embed): `check` lists every syscall.
numbers = {}
table = subprocess.run([args.profile_bin, "check", args.docker_default, "--arch", "x86_64"], capture_output=True, text=True)
for line in table.stdout.splitlines():
    parts = line.split()
    if len(parts) >= 2 and parts[1].isdigit():
        numbers[parts[0]] = int(parts[1])
if not numbers:
    sys.exit("weighted-bench: `seccomp-profile check --arch x86_64` gave no table")


def libseccomp(profile, optimize):
    rules = subprocess.run(["python3", os.path.join(here, "oracle-rules.py"), profile, platform.release()],
                           capture_output=True, text=True, check=True).stdout
    names = [n for n in counts if n in numbers]
    script = f"optimize {optimize}\n" + rules + "build\n" + "".join(f"steps 0xc000003e {numbers[n]} 0 0 0 0 0 0\n" for n in names)
    out = subprocess.run([args.oracle], input=script, capture_output=True, text=True, check=True).stdout
    steps = [int(l.split()[1]) for l in out.splitlines() if l.startswith("steps ")]
    if len(steps) != len(names):
        sys.exit(f"weighted-bench: the oracle answered {len(steps)} of {len(names)} queries")
    weight = sum(counts[n] for n in names)
    return sum(s * counts[n] for s, n in zip(steps, names)) / weight


def ours(profile):
    out = subprocess.run([args.profile_bin, "stats", profile, "--arch", "x86_64,x86,x32", "--weights", recording_path, "--json"],
                         capture_output=True, text=True, check=True).stdout
    w = next(x for x in json.loads(out)["weighted"] if x["architecture"] == "x86_64")
    return w["weightedMeanInstructions"], w["weightedMeanInstructionsCompiledWithWeights"]


rows = []
for label, profile in (("Docker's default", args.docker_default), ("the generated profile", profile_path)):
    plain, tuned = ours(profile)
    rows.append((label, plain, tuned, libseccomp(profile, 2), libseccomp(profile, 1)))

lines = [
    f"Instructions per call weighted by a real recording, measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.release()}.",
    "",
    f"Recording: `sh -c \"{workload}\"` under seccomp-observe: {total:,} x86_64 calls of {len(counts)} syscalls. "
    "Filters cover x86_64, x86 and x32; the x86_64 calls are run through each with arguments zero, weighted by their counts.",
    "",
    "| profile | ours | ours, `--weights` | libseccomp (tree) | libseccomp (linear) | ours `--weights` ÷ libseccomp tree |",
    "|---|---:|---:|---:|---:|---:|",
]
for label, plain, tuned, tree, linear in rows:
    lines.append(f"| {label} | {plain:.2f} | {tuned:.2f} | {tree:.2f} | {linear:.2f} | {tuned / tree:.2f}x |")
text = "\n".join(lines) + "\n"
print(text)
if args.markdown:
    open(args.markdown, "w").write(text)
