#!/usr/bin/env python3
"""Harvest time against a real Prometheus holding a fleet's worth of synthetic series.

WORKLOADS x SYSCALLS x HOSTS series of seccomp_forge_syscalls_total (default
1,000 x 80 x 50 = 4,000,000), two samples each an hour apart, are written as
OpenMetrics, turned into TSDB blocks by promtool (backfill), and served by Debian's
prometheus on loopback; `seccomp-profile harvest --all` then writes every workload's
profile. Each host runs a workload with probability 0.8, so coverage varies. Reported:
the backfill and start-up times (set-up, not the tool's), the harvest's wall time and
peak memory, and the files written; a run is bounded by --timeout.

Usage: harvest-bench.py SECCOMP_PROFILE [--workloads W] [--syscalls S] [--hosts H] [--markdown FILE]
"""
import argparse, datetime, json, os, platform, random, resource, shutil, signal, socket, subprocess, sys, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("profile_bin")
parser.add_argument("--workloads", type=int, default=1000)
parser.add_argument("--syscalls", type=int, default=80)
parser.add_argument("--hosts", type=int, default=50)
parser.add_argument("--timeout", type=float, default=1800)
parser.add_argument("--markdown")
args = parser.parse_args()
for tool in ("prometheus", "promtool"):
    if not shutil.which(tool):
        sys.exit(f"harvest-bench: {tool} is missing (apt-get install prometheus)")

tmp = tempfile.mkdtemp(prefix="seccomp-forge-harvest-")
names = []
table = subprocess.run([args.profile_bin, "check", os.path.join(os.path.dirname(__file__), "../../corpus/docker/default.json"),
                        "--arch", "x86_64"], capture_output=True, text=True)
for line in table.stdout.splitlines()[1:]:
    parts = line.split()
    if len(parts) >= 2 and parts[1].isdigit():
        names.append(parts[0])
syscalls = names[: args.syscalls]
rng = random.Random(7)
now = int(time.time())
t0, t1 = now - 3 * 3600, now - 2 * 3600
series = 0
started = time.time()
data = os.path.join(tmp, "fleet.om")
with open(data, "w") as f:
    f.write("# TYPE seccomp_forge_syscalls counter\n")
    for w in range(args.workloads):
        for h in range(args.hosts):
            if rng.random() > 0.8:
                continue
            for s in syscalls:
                labels = f'workload="w{w:04d}",arch="x86_64",syscall="{s}",instance="host{h:02d}:9750",job="seccomp-forge"'
                base = rng.randint(1, 1000)
                f.write(f"seccomp_forge_syscalls_total{{{labels}}} {base} {t0}\n")
                f.write(f"seccomp_forge_syscalls_total{{{labels}}} {base + rng.randint(0, 100)} {t1}\n")
                series += 1
    f.write("# EOF\n")
generated = time.time() - started
blocks = os.path.join(tmp, "tsdb")
started = time.time()
subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", data, blocks], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=args.timeout)
backfill = time.time() - started
os.remove(data)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
config = os.path.join(tmp, "prometheus.yml")
open(config, "w").write("global:\n  scrape_interval: 1h\n")
started = time.time()
prom = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={blocks}",
                         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d",
                         "--query.timeout=20m", "--query.max-samples=200000000"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"GET /-/ready HTTP/1.0\r\n\r\n")
                if b"200" in c.recv(100):
                    break
        except OSError:
            pass
        time.sleep(0.5)
    ready = time.time() - started
    out = os.path.join(tmp, "profiles")
    os.mkdir(out)
    started = time.time()
    run = subprocess.run(["/usr/bin/time", "-f", "%M", args.profile_bin, "harvest", "--prometheus", f"http://127.0.0.1:{port}",
                          "--all", "--since", "1d", "-o", out], capture_output=True, text=True, timeout=args.timeout)
    harvest = time.time() - started
    if run.returncode != 0:
        sys.exit(f"harvest-bench: harvest failed ({run.returncode}): {run.stderr[-2000:]}")
    peak_kb = int(run.stderr.strip().splitlines()[-1])
    files = len([f for f in os.listdir(out) if f.endswith(".seccomp.json")])
    sample = json.load(open(os.path.join(out, "w0000.recording.json")))
finally:
    prom.send_signal(signal.SIGTERM)
    try:
        prom.wait(timeout=60)
    except subprocess.TimeoutExpired:
        prom.kill()
    shutil.rmtree(tmp, ignore_errors=True)

lines = [
    f"Harvest from a real Prometheus, measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.release()}, {os.cpu_count()} CPUs.",
    "",
    f"Fleet: {args.workloads:,} workloads x {args.syscalls} syscalls x {args.hosts} hosts (each host runs a workload with probability 0.8): "
    f"{series:,} series of `seccomp_forge_syscalls_total`, two samples each, backfilled with promtool "
    f"(generation {generated:.0f} s, backfill {backfill:.0f} s, Prometheus ready in {ready:.0f} s: set-up, not measured below).",
    "",
    "| step | result |",
    "|---|---:|",
    f"| `seccomp-profile harvest --all --since 1d` | {harvest:.1f} s |",
    f"| its peak resident memory | {peak_kb / 1024:.0f} MiB |",
    f"| profiles written | {files:,} |",
    f"| w0000: syscalls, hosts in the fleet | {sum(len(c) for c in sample['counts'].values())}, {sample.get('recordings')} |",
]
text = "\n".join(lines) + "\n"
print(text)
if args.markdown:
    open(args.markdown, "w").write(text)
