#!/usr/bin/env python3
"""Observer overhead on a syscall-bound workload, as wall-time ratios from one run.

Workload: dd if=/dev/zero of=/dev/null bs=1 count=N (two syscalls per byte),
run inside a benchmark cgroup. Arms, each attached before its runs and removed
after: nothing; seccomp-observe on the cgroup; an empty tp_btf/sys_enter
program (the floor of any tracepoint observer); bpftrace counting per syscall
in that cgroup; seccomp-observe on another cgroup (cost to processes outside
its target); strace -f -c (with a smaller N: it is ~600x slower). Rounds
interleave the arms; each arm keeps its fastest run, since noise only adds time.

Usage: observer-bench.py SECCOMP_OBSERVE ATTACH_EMPTY EMPTY_OBJECT [--rounds R] [--count N] [--markdown FILE]
"""
import argparse, os, platform, shutil, subprocess, sys, time, datetime

parser = argparse.ArgumentParser()
parser.add_argument("observe")
parser.add_argument("attach_empty")
parser.add_argument("empty_object")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--count", type=int, default=1_000_000)
parser.add_argument("--markdown")
args = parser.parse_args()

for path in (args.observe, args.attach_empty, args.empty_object):
    if not os.path.exists(path):
        sys.exit(f"observer-bench: missing {path} (run make build helpers first)")
if os.geteuid() != 0:
    sys.exit("observer-bench: run as root (it loads eBPF programs)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cgroup_root as _cgroup_root, dd, fastest, background as _background


def cgroup_root():
    return _cgroup_root("observer-bench")


def background(cmd, ready):
    return _background("observer-bench", cmd, ready)

# bpftrace finds tracepoints through tracefs, which minimal hosts leave unmounted.
if not os.path.isdir("/sys/kernel/tracing/events") and shutil.which("bpftrace"):
    subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=False)

root = cgroup_root()
target = os.path.join(root, f"seccomp-forge-bench-{os.getpid()}")
outside = target + "-outside"
for cg in (target, outside):
    os.mkdir(cg)

def stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()

scratch = f"/tmp/seccomp-forge-bench-{os.getpid()}"
os.makedirs(scratch, exist_ok=True)
arms = {
    "unobserved": None,
    "seccomp-observe": lambda: background([args.observe, "--cgroup", target, "-o", f"{scratch}/t.seccomp.json"], "Tracing syscalls"),
    "empty tp_btf program": lambda: background([args.attach_empty, args.empty_object], "attached"),
    "bpftrace (per-syscall count)": lambda: background(
        ["bpftrace", "-e", f'tracepoint:raw_syscalls:sys_enter /cgroup == cgroupid("{target}")/ {{ @[args->id] = count(); }}'],
        "Attaching"),
    "seccomp-observe, dd outside its target": lambda: background([args.observe, "--cgroup", outside, "-o", f"{scratch}/o.seccomp.json"], "Tracing syscalls"),
}
if shutil.which("bpftrace") is None:
    del arms["bpftrace (per-syscall count)"]

try:
    best = fastest(arms, lambda: dd(target, args.count), args.rounds, args.runs, stop, lambda line: print(line, file=sys.stderr))
    # strace: ~600x slower, so a smaller run, compared per call with an unobserved run of the same size.
    small = max(args.count // 200, 1000)
    plain_small = min(dd(target, small) for _ in range(3))
    strace_small = min(
        (lambda: (lambda s: (subprocess.run(["strace", "-f", "-c", "-o", "/dev/null", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", f"count={small}", "status=none"], check=True), time.perf_counter() - s)[1])(time.perf_counter()))()
        for _ in range(2))
finally:
    for cg in (target, outside):
        for _ in range(100):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.05)
    shutil.rmtree(scratch, ignore_errors=True)

base = best["unobserved"]
floor = best["empty tp_btf program"] - base
rows = []
for name, t in best.items():
    added = t - base
    rows.append((name, f"{t:.3f}", f"{t / base:.2f}x", f"{added * 1e9 / (2 * args.count):.1f}", "" if name == "unobserved" else f"{added / floor:.2f}" if floor > 0 else "n/a"))
strace_ratio = strace_small / plain_small
rows.append((f"strace -f -c (count={small})", f"{strace_small:.3f}", f"{strace_ratio:.0f}x", f"{(strace_small - plain_small) * 1e9 / (2 * small):.0f}", ""))

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
ours = best["seccomp-observe"] - base
goal = ours <= 1.1 * floor
lines = [
    f"Observer overhead, measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.release()}, {cpu}, {os.cpu_count()} CPUs.",
    "",
    f"Workload: `dd if=/dev/zero of=/dev/null bs=1 count={args.count}` ({2 * args.count:,} syscalls) in a cgroup; fastest of {args.rounds * args.runs} interleaved runs per arm.",
    "",
    "| arm | seconds | × unobserved | added ns per syscall | added ÷ empty program's |",
    "|---|---:|---:|---:|---:|",
] + [f"| {' | '.join(r)} |" for r in rows] + [
    "",
    f"Goal: seccomp-observe adds at most 1.1× what an empty tp_btf program adds — {'met' if goal else 'not met'} this run "
    f"({ours / floor:.2f}×)." if floor > 0 else "Goal: not measurable (the empty program added no time this run).",
]
text = "\n".join(lines) + "\n"
print(text)
if args.markdown:
    with open(args.markdown, "w") as f:
        f.write(text)
