#!/usr/bin/env python3
"""seccomp-observe --all on a busy host, as wall-time ratios and resource use from one run.

1. Overhead: 200 cgroups of mixed load (shell loops that fork and exec, bursts of
   calls, idle sleepers) run throughout. The dd workload (two syscalls per byte) runs
   in a cgroup of its own, pinned to one CPU, with nothing attached, with an empty
   tp_btf/sys_enter program, and under `seccomp-observe --all`; rounds interleave the
   arms and each keeps its fastest run. With --loop the same calls are also timed
   in-process in blocks of 10,000 (tools/bench/syscall-loop.c), each arm keeping
   its fastest block: the precise figure (see observer-bench.py). The goal compares
   the time --all adds per syscall with the time the empty program adds.
2. Soak: --all runs for --soak seconds over the same load while a cgroup is made, used
   and removed twice a second (slots must come back); the agent's CPU time and
   resident memory are sampled, its report of calls it could not count is kept.
3. No pair missed: sample commands each run once in a cgroup of their own under --all
   and once under a single-target observer (`seccomp-observe -- CMD`); every
   (ABI, syscall) the single-target run saw must be in the --all recording.

Usage: all-bench.py SECCOMP_OBSERVE ATTACH_EMPTY EMPTY_OBJECT HELPERS [--loop SYSCALL_LOOP] [--cgroups N] [--soak S] [--markdown FILE]
"""
import argparse, datetime, json, os, platform, shutil, signal, subprocess, sys, tempfile, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("observe")
parser.add_argument("attach_empty")
parser.add_argument("empty_object")
parser.add_argument("helpers")
parser.add_argument("--cgroups", type=int, default=200)
parser.add_argument("--soak", type=float, default=600)
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--count", type=int, default=1_000_000)
parser.add_argument("--loop")
parser.add_argument("--loop-rounds", type=int, default=12)
parser.add_argument("--markdown")
parser.add_argument("--before", help="another seccomp-observe build, timed in the same per-call rounds (its arm is marked 'before')")
args = parser.parse_args()

if os.geteuid() != 0:
    sys.exit("all-bench: run as root (it loads eBPF programs)")
for path in (args.observe, args.attach_empty, args.empty_object):
    if not os.path.exists(path):
        sys.exit(f"all-bench: missing {path} (run make build helpers first)")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cgroup_root, background as _background


def background(cmd, ready):
    return _background("all-bench", cmd, ready, timeout=60)


root = cgroup_root("all-bench")
parent = os.path.join(root, f"seccomp-forge-allbench-{os.getpid()}")
os.mkdir(parent)
scratch = tempfile.mkdtemp(prefix="seccomp-forge-allbench-")
loads = []


def in_cgroup(cg, command):
    return ["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec {command}']


LOADS = [
    "sh -c 'while :; do cat /proc/loadavg >/dev/null; sleep 0.2; done'",
    f"sh -c 'while :; do {args.helpers}/call-n-times getppid 2000; sleep 0.5; done'",
    "sleep 100000",
    "sh -c 'while :; do ls / >/dev/null; sleep 1; done'",
]


def start_load():
    for i in range(args.cgroups):
        cg = os.path.join(parent, f"w{i:03d}")
        os.mkdir(cg)
        loads.append(subprocess.Popen(in_cgroup(cg, LOADS[i % len(LOADS)]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))


def stop_load():
    for p in loads:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in loads:
        p.wait()


def remove_cgroups():
    for dirpath, dirnames, _ in sorted(os.walk(parent), key=lambda t: -t[0].count("/")):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


from benchlib import dd, fastest, paired, paired_table, syscall_loop


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=60)
        return out or ""
    except subprocess.TimeoutExpired:
        p.kill()
        return ""


def all_observer(out_dir, interval="10s", listen=None, binary=None):
    os.makedirs(out_dir, exist_ok=True)
    extra = ["--listen", listen] if listen else []
    return background([binary or args.observe, "--all", "--out-dir", out_dir, "--interval", interval] + extra, "Observing every cgroup")


def scrape(address):
    """One GET /metrics: seconds, bytes, syscall series."""
    import urllib.request
    start = time.perf_counter()
    body = urllib.request.urlopen(f"http://{address}/metrics", timeout=30).read()
    return time.perf_counter() - start, len(body), sum(1 for l in body.splitlines() if l.startswith(b"seccomp_forge_syscalls_total{"))


rows = {}
report = {}
try:
    start_load()
    time.sleep(2)
    target = os.path.join(parent, "dd")
    os.mkdir(target)
    arms = {
        "unobserved": None,
        "empty tp_btf program": lambda: background([args.attach_empty, args.empty_object], "attached"),
        "seccomp-observe --all": lambda: all_observer(os.path.join(scratch, "overhead")),
    }
    best = fastest(arms, lambda: dd(target, args.count), args.rounds, args.runs, stop, lambda line: print(line, file=sys.stderr))
    calls = 2 * args.count
    base = best["unobserved"]
    for name, t in best.items():
        rows[name] = (t, t / base, (t - base) / calls * 1e9)
    empty_added = rows["empty tp_btf program"][2]
    ratio = rows["seccomp-observe --all"][2] / empty_added if empty_added > 0 else float("nan")
    per_call = None
    if args.loop:
        if args.before:
            arms["seccomp-observe --all (before)"] = lambda: all_observer(os.path.join(scratch, "before"), binary=args.before)
        per_call, _ = paired(arms, lambda: syscall_loop(target, args.loop), args.loop_rounds, stop,
                             lambda line: print("per call: " + line, file=sys.stderr))

    # 2. Soak, with cgroups coming and going.
    soak_dir = os.path.join(scratch, "soak")
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        metrics_address = f"127.0.0.1:{probe.getsockname()[1]}"
    agent = all_observer(soak_dir, "10s", listen=metrics_address)
    agent_pid = agent.pid
    ticks = os.sysconf("SC_CLK_TCK")
    churned = [0]
    stop_churn = threading.Event()

    def churn():
        while not stop_churn.is_set():
            cg = os.path.join(parent, f"churn-{churned[0] % 4}")
            os.mkdir(cg)
            subprocess.run(in_cgroup(cg, "true"))
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.01)
            churned[0] += 1
            stop_churn.wait(0.5)

    t = threading.Thread(target=churn)
    t.start()

    def cpu_seconds(pid):
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    def status(pid, key):
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    began, cpu0 = time.time(), cpu_seconds(agent_pid)
    rss = []
    while time.time() - began < args.soak:
        time.sleep(min(5, max(0.1, args.soak - (time.time() - began))))
        rss.append(status(agent_pid, "VmRSS"))
    elapsed = time.time() - began
    cpu = cpu_seconds(agent_pid) - cpu0
    cpu_before_scrapes = cpu_seconds(agent_pid)
    scrapes = [scrape(metrics_address) for _ in range(20)]
    scrape_cpu = (cpu_seconds(agent_pid) - cpu_before_scrapes) / len(scrapes)
    hwm = status(agent_pid, "VmHWM")
    stop_churn.set()
    t.join()
    agent_out = stop(agent)
    maps = next((l for l in [getattr(agent, "ready_line", "")] + agent_out.splitlines() if "KiB of maps" in l), "")
    warnings = [l for l in agent_out.splitlines() if "not counted" in l]
    files = [f for f in os.listdir(soak_dir) if f.endswith(".recording.json")]
    report["soak"] = dict(seconds=elapsed, cpu=cpu, rss_first=rss[0] if rss else 0, rss_last=rss[-1] if rss else 0, hwm=hwm,
                          churned=churned[0], maps=maps, warnings=warnings, workloads=len(files),
                          scrape_ms=1000 * min(t for t, _, _ in scrapes), scrape_bytes=scrapes[-1][1], series=scrapes[-1][2],
                          scrape_cpu_ms=1000 * scrape_cpu)
finally:
    stop_load()
    remove_cgroups()

# 3. No pair missed: each sample command under --all and under a single-target observer.
samples = [
    "ls -l /", "cat /etc/os-release", "dd if=/dev/zero of=/dev/null bs=4k count=100 status=none",
    f"{args.helpers}/call-n-times getppid 5", f"{args.helpers}/threads", "python3 -c 'import json,socket; socket.socket().close()'",
    "sh -c 'echo hi | tr a-z A-Z >/dev/null'", "tar cf /dev/null /etc/hostname", f"{args.helpers}/syscall-probe32 getpid" if os.path.exists(f"{args.helpers}/syscall-probe32") else "true",
    "date",
]
missed = []
pairs = 0
os.mkdir(parent)
try:
    all_dir = os.path.join(scratch, "pairs-all")
    agent = all_observer(all_dir, "1s")
    for i, cmd in enumerate(samples):
        cg = os.path.join(parent, f"pair-{i}")
        os.mkdir(cg)
        # The shell that joins the cgroup execs a fresh one, so the command starts inside
        # it as seccomp-observe -- sh -c "exec CMD" starts it.
        subprocess.run(in_cgroup(cg, f"sh -c \"exec {cmd}\"" if "'" not in cmd else f"sh -c 'exec {cmd.replace(chr(39), chr(34))}'"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    stop(agent)
    for i, cmd in enumerate(samples):
        single = os.path.join(scratch, f"single-{i}.seccomp.json")
        subprocess.run([args.observe, "--quiet", "-o", single, "--", "sh", "-c", f"exec {cmd}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rel = os.path.relpath(os.path.join(parent, f"pair-{i}"), root)
        name = "cgroup-" + rel.replace("/", "-")
        try:
            seen_all = json.load(open(os.path.join(all_dir, name + ".recording.json")))["counts"]
            seen_single = json.load(open(single.replace(".seccomp.json", ".recording.json")))["counts"]
        except (OSError, ValueError) as e:
            missed.append(f"{cmd}: {e}")
            continue
        for abi, calls in seen_single.items():
            for call in calls:
                pairs += 1
                if call not in seen_all.get(abi, {}):
                    missed.append(f"{cmd}: {abi} {call}")
finally:
    remove_cgroups()
    shutil.rmtree(scratch, ignore_errors=True)

soak = report["soak"]
lines = [
    f"seccomp-observe --all, measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.release()}, {os.cpu_count()} CPUs.",
    "",
    f"Background: {args.cgroups} cgroups of mixed load (fork/exec loops, call bursts, sleepers). Workload: "
    f"`dd if=/dev/zero of=/dev/null bs=1 count={args.count}` ({2 * args.count:,} syscalls) in a cgroup of its own; fastest of "
    f"{args.rounds * args.runs} interleaved runs per arm.",
    "",
    "| arm | seconds | × unobserved | added ns per syscall | added ÷ empty program's |",
    "|---|---:|---:|---:|---:|",
]
for name, (t, x, ns) in rows.items():
    rel = "" if name == "unobserved" else f"{ns / empty_added:.2f}" if empty_added > 0 else ""
    lines.append(f"| {name} | {t:.3f} | {x:.2f}x | {ns:.1f} | {rel} |")
lines += ["", f"dd's wall time: --all adds {ratio:.2f}× what the empty program adds this run (this figure moves by ±0.1 or more from run to run here)."]
if per_call:
    lines += ["", f"The same calls timed in-process (`syscall-loop`, 10,000 calls a block, 200 blocks a run, a run's figure its fastest block); "
              f"{args.loop_rounds} rounds, each running every arm once, each arm read against the empty program in the same round; the median round:",
              ""] + paired_table(per_call)
    ratio = per_call["seccomp-observe --all"][0]
lines += [
    "",
    f"Goal: --all adds at most 1.1× what an empty tp_btf program adds — {'met' if ratio <= 1.1 else 'not met'} this run ({ratio:.2f}×"
    + (", median round)." if per_call else ", dd's wall time)."),
    "",
    f"Soak: {soak['seconds']:.0f} s over the same load, a cgroup made, used and removed twice a second ({soak['churned']} in all): "
    f"agent CPU {soak['cpu']:.2f} s ({100 * soak['cpu'] / soak['seconds']:.2f}% of one CPU), resident memory "
    f"{soak['rss_first'] / 1024:.1f} MiB at the start, {soak['rss_last'] / 1024:.1f} MiB at the end, {soak['hwm'] / 1024:.1f} MiB at most; "
    f"{soak['workloads']} workloads written. {soak['maps'].strip()}",
    "",
    f"Scrape cost at the end of the soak: GET /metrics answered in {soak['scrape_ms']:.1f} ms (fastest of 20), "
    f"{soak['scrape_bytes']:,} bytes, {soak['series']:,} `seccomp_forge_syscalls_total` series; agent CPU {soak['scrape_cpu_ms']:.1f} ms per scrape.",
    "",
    "Not counted during the soak: " + ("; ".join(w.strip() for w in soak["warnings"]) if soak["warnings"] else "nothing (no overflow, no unnamed cgroup)."),
    "",
    f"No pair missed: {len(samples)} sample commands, {pairs} (ABI, syscall) pairs seen by single-target runs; "
    + (f"{len(missed)} missing from --all: {', '.join(missed)}." if missed else "every one of them is in the --all recordings."),
]
text = "\n".join(lines) + "\n"
print(text)
if args.markdown:
    with open(args.markdown, "w") as f:
        f.write(text)
