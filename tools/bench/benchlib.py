"""What the eBPF benchmarks share: the cgroup v2 mount, the dd workload pinned to one CPU
inside a cgroup, and processes that attach programs and say when they are ready."""
import os, subprocess, sys, time


def cgroup_root(tool):
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        if right.startswith("cgroup2 "):
            return left.split()[4]
    sys.exit(f"{tool}: no cgroup v2 hierarchy")


def dd(cgroup, count):
    """Wall seconds of one dd run (two syscalls per byte) inside `cgroup`, pinned to the last CPU."""
    cmd = ["taskset", "-c", str(os.cpu_count() - 1), "sh", "-c",
           f'echo $$ > {cgroup}/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=1 count={count} status=none']
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def syscall_loop(cgroup, loop, blocks=200, pairs=5000):
    """The dd workload's calls timed in blocks inside `cgroup`, pinned to the last CPU
    (tools/bench/syscall-loop.c): the fastest block's nanoseconds per call."""
    cmd = ["taskset", "-c", str(os.cpu_count() - 1), "sh", "-c",
           f'echo $$ > {cgroup}/cgroup.procs && exec {loop} {blocks} {pairs}']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
    return float(out[0])


def background(tool, cmd, ready, timeout=30):
    """Starts a process and waits for its ready line (stdout or stderr), kept as p.ready_line."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline()
        if ready in line:
            p.ready_line = line
            return p
        if not line and p.poll() is not None:
            break
    p.kill()
    sys.exit(f"{tool}: {cmd[0]} did not start")


def fastest(arms, run_once, rounds, runs, stop, log):
    """Each arm's fastest run: rounds interleave the arms (attach, `runs` runs, detach), since
    noise only adds time. `arms` maps a name to a starter (None: nothing attached)."""
    best = {name: float("inf") for name in arms}
    for round_ in range(rounds):
        for name, start in arms.items():
            p = start() if start else None
            try:
                for _ in range(runs):
                    best[name] = min(best[name], run_once())
            finally:
                if p:
                    stop(p)
        log(f"round {round_ + 1}/{rounds}: " + ", ".join(f"{n} {t:.3f}s" for n, t in best.items()))
    return best


def paired(arms, run_once, rounds, stop, log, base="unobserved", floor="empty tp_btf program"):
    """Per round, each arm once (attach, run, detach), and each arm's added time as a
    multiple of the floor arm's added time in that same round; the median over rounds is
    the figure. The machine drifts between rounds by about what is measured, so arms are
    compared within a round, not by their best over all rounds. Returns
    {arm: (median ratio, lowest, highest, median added)} and the per-round values."""
    per_round = []
    for round_ in range(rounds):
        values = {}
        for name, start in arms.items():
            p = start() if start else None
            try:
                values[name] = run_once()
            finally:
                if p:
                    stop(p)
        per_round.append(values)
        log(f"round {round_ + 1}/{rounds}: " + ", ".join(f"{n} {t:.2f}" for n, t in values.items()))
    summary = {}
    for name in arms:
        if name == base:
            continue
        added = sorted(r[name] - r[base] for r in per_round)
        ratios = sorted((r[name] - r[base]) / (r[floor] - r[base]) for r in per_round if r[floor] > r[base])
        if ratios:
            summary[name] = (ratios[len(ratios) // 2], ratios[0], ratios[-1], added[len(added) // 2])
    return summary, per_round


def paired_table(summary):
    """paired()'s summary as markdown table lines."""
    lines = ["| arm | added ns per call (median) | added ÷ empty program's: median | lowest | highest |", "|---|---:|---:|---:|---:|"]
    for name, (ratio, low, high, added) in summary.items():
        lines.append(f"| {name} | {added:.2f} | {ratio:.3f} | {low:.3f} | {high:.3f} |")
    return lines
