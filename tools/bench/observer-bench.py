#!/usr/bin/env python3
"""Observer overhead on a syscall-bound workload, as wall-time ratios from one run.

Workload: dd if=/dev/zero of=/dev/null bs=1 count=N (two syscalls per byte),
run inside a benchmark cgroup. Arms, each attached before its runs and removed
after: nothing; seccomp-observe on the cgroup; an empty tp_btf/sys_enter
program (the floor of any tracepoint observer); bpftrace counting per syscall
in that cgroup; seccomp-observe on another cgroup (cost to processes outside
its target); strace -f -c (with a smaller N: it is ~600x slower). Rounds
interleave the arms; each arm keeps its fastest run, since noise only adds time.

A second measurement times the same calls in-process (tools/bench/syscall-loop.c,
--loop): blocks of 10,000 calls, each arm keeping its fastest block. dd's wall time
carries its start-up and every interrupt of a 0.4 s run, and moves by more than
the differences measured here from run to run; the fastest block moves by 1-2 ns
per call between runs. That measurement also runs a
reference (--least, bpf/least-counter.bpf.c): the least work any exact per-call
counter does — the current task and its css_set checked against what the CPU
last worked out (a switch may go untraced, a task may change cgroups between
two calls), the TS_COMPAT read, one increment — so the goal can be read against
what counting itself costs. --before BIN adds another build's arms to the same
rounds, for a before/after figure that the machine's drift does not blur.

Usage: observer-bench.py SECCOMP_OBSERVE ATTACH_EMPTY EMPTY_OBJECT [--loop SYSCALL_LOOP --least OBJECT]
       [--rounds R] [--loop-rounds R] [--count N] [--markdown FILE]
"""
import argparse, os, platform, shutil, subprocess, sys, time, datetime

parser = argparse.ArgumentParser()
parser.add_argument("observe")
parser.add_argument("attach_empty")
parser.add_argument("empty_object")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--count", type=int, default=1_000_000)
parser.add_argument("--loop")
parser.add_argument("--least")
parser.add_argument("--loop-rounds", type=int, default=12)
parser.add_argument("--markdown")
parser.add_argument("--before", help="another seccomp-observe build, timed in the same rounds (its arms are marked 'before')")
args = parser.parse_args()

for path in (args.observe, args.attach_empty, args.empty_object):
    if not os.path.exists(path):
        sys.exit(f"observer-bench: missing {path} (run make build helpers first)")
if os.geteuid() != 0:
    sys.exit("observer-bench: run as root (it loads eBPF programs)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cgroup_root as _cgroup_root, dd, fastest, paired, paired_table, syscall_loop, background as _background


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
    per_call = None
    if args.loop:
        loop_arms = {
            "unobserved": None,
            "empty tp_btf program": arms["empty tp_btf program"],
            "seccomp-observe": arms["seccomp-observe"],
            "seccomp-observe, calls outside its target": arms["seccomp-observe, dd outside its target"],
        }
        if args.before:
            loop_arms["seccomp-observe (before)"] = lambda: background([args.before, "--cgroup", target, "-o", f"{scratch}/b.seccomp.json"], "Tracing syscalls")
            loop_arms["seccomp-observe, calls outside its target (before)"] = lambda: background([args.before, "--cgroup", outside, "-o", f"{scratch}/bo.seccomp.json"], "Tracing syscalls")
        if args.least:
            loop_arms["least exact counter (reference)"] = lambda: background([args.attach_empty, args.least], "attached")
        per_call, per_round = paired(loop_arms, lambda: syscall_loop(target, args.loop), args.loop_rounds, stop,
                                     lambda line: print("per call: " + line, file=sys.stderr))
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
lines = [
    f"Observer overhead, measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.release()}, {cpu}, {os.cpu_count()} CPUs.",
    "",
    f"Workload: `dd if=/dev/zero of=/dev/null bs=1 count={args.count}` ({2 * args.count:,} syscalls) in a cgroup; fastest of {args.rounds * args.runs} interleaved runs per arm.",
    "",
    "| arm | seconds | × unobserved | added ns per syscall | added ÷ empty program's |",
    "|---|---:|---:|---:|---:|",
] + [f"| {' | '.join(r)} |" for r in rows] + [
    "",
    f"dd's wall time: seccomp-observe adds {ours / floor:.2f}× what the empty program adds this run "
    "(this figure moves by ±0.1 or more from run to run here; the measurement below by about ±0.05)." if floor > 0
    else "dd's wall time: not measurable (the empty program added no time this run).",
]
verdict = None
if per_call:
    lines += [
        "",
        f"The same calls timed in-process (`syscall-loop`: read and write one byte, 10,000 calls a block, 200 blocks a run, "
        f"pinned to one CPU; a run's figure is its fastest block). {args.loop_rounds} rounds, each running every arm once in turn; "
        "an arm's added time is read against the empty program's in the same round (the machine drifts between rounds by about "
        "what is measured here), and the median round is the figure:",
        "",
    ] + paired_table(per_call)
    inside = per_call["seccomp-observe"][0]
    outside = per_call["seccomp-observe, calls outside its target"][0]
    verdict = inside <= 1.1 and outside <= 1.1
    lines += ["", f"Goal: seccomp-observe adds at most 1.1× what an empty tp_btf program adds, inside and outside its target — "
              f"{'met' if verdict else 'not met'} this run (medians: inside {inside:.2f}×, outside {outside:.2f}×)."]
    if "least exact counter (reference)" in per_call:
        least, _, _, least_added = per_call["least exact counter (reference)"]
        floor_ns = per_call["empty tp_btf program"][3]
        lines.append(f"The least exact counter adds {least:.2f}× by itself (median): of the {0.1 * floor_ns:.1f} ns per call the goal "
                     f"leaves beyond the empty program's {floor_ns:.1f}, counting alone takes {least_added - floor_ns:.1f}.")
text = "\n".join(lines) + "\n"
print(text)
if args.markdown:
    with open(args.markdown, "w") as f:
        f.write(text)
