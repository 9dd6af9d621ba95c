#!/usr/bin/env python3
"""compile-time-bench.py: how compile time grows with argument rules, ours against libseccomp.

Usage: compile-time-bench.py SECCOMP_PROFILE_BIN SCMP_ORACLE_BIN [--markdown FILE] [--timeout SECONDS]

Profiles (generated here, seeded, x86_64 only):
  - N two-condition rules on one syscall, socket(domain == d, type == t), N = 16, 64, 256;
  - 2,000 random rules with two or three conditions over 40 syscalls.
Each is compiled by `seccomp-profile compile` (best of 3 wall-clock runs) and by libseccomp
(seccomp_export_bpf through scmp-oracle, binary-tree layout), which is stopped after
--timeout seconds (default 60). A filter longer than the kernel's 4,096 instructions is still
timed, and marked. Goal: each of ours under 1 s.
"""
import json, os, random, subprocess, sys, tempfile, time

ours_bin, oracle_bin = sys.argv[1], sys.argv[2]
markdown = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
timeout = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 60.0

ACTIONS = {"SCMP_ACT_ALLOW": 0x7fff0000, "SCMP_ACT_ERRNO": 0x00050001, "SCMP_ACT_KILL_PROCESS": 0x80000000,
           "SCMP_ACT_LOG": 0x7ffc0000, "SCMP_ACT_TRAP": 0x00030000}
OPS = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"]
NAMES = ["socket", "ioctl", "fcntl", "mmap", "mprotect", "clone", "personality", "prctl", "setsockopt", "getsockopt",
         "openat", "read", "write", "futex", "madvise", "kill", "tgkill", "sendto", "recvfrom", "connect", "bind",
         "accept4", "epoll_ctl", "ppoll", "clock_gettime", "lseek", "pread64", "pwrite64", "socketpair", "shutdown",
         "unshare", "setns", "mount", "umount2", "keyctl", "bpf", "perf_event_open", "ptrace", "msgget", "semop"]


def socket_rules(n):
    return [{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": i + 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": i % 7 + 1, "op": "SCMP_CMP_EQ"}]}
            for i in range(n)]


def random_rules(n, seed=7):
    g = random.Random(seed)
    rules = []
    for _ in range(n):
        args = []
        for index in g.sample(range(6), g.choice([2, 3])):
            op = g.choice(OPS)
            value = g.choice([0, 1, 2, 3, 16, 255, 4096, g.randrange(1 << 32), g.randrange(1 << 64)])
            arg = {"index": index, "value": value, "op": op}
            if op == "SCMP_CMP_MASKED_EQ":
                arg["valueTwo"] = value & g.randrange(1 << 64)
            args.append(arg)
        rules.append({"names": [g.choice(NAMES)], "action": g.choice(list(ACTIONS)), "args": args})
    return rules


def oracle_script(profile):
    lines = ["optimize 2", "default %#x" % ACTIONS[profile["defaultAction"]], "arch x86_64"]
    for rule in profile["syscalls"]:
        conds = "".join(" %d %s %d %d" % (a["index"], a["op"].lower().replace("scmp_cmp_", ""), a["value"], a.get("valueTwo", 0))
                        for a in rule["args"])
        lines.append("rule %#x %s %d%s" % (ACTIONS[rule["action"]], rule["names"][0], len(rule["args"]), conds))
    lines.append("build")
    return "\n".join(lines) + "\n"


def time_ours(path, out):
    best, length = None, None
    for _ in range(3):
        start = time.perf_counter()
        run = subprocess.run([ours_bin, "compile", path, "--arch", "x86_64", "-o", out], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        text = run.stdout + run.stderr
        words = text.split()
        if "instructions" in words:
            length = words[words.index("instructions") - 1].rstrip(":")
        elif "needs" in words:
            length = words[words.index("needs") + 1] + " (over the kernel's 4,096)"
    return best, length


def time_libseccomp(script):
    start = time.perf_counter()
    try:
        run = subprocess.run([oracle_bin], input=script, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None
    elapsed = time.perf_counter() - start
    length = next((l.split()[1] for l in run.stdout.splitlines() if l.startswith("length ")), "error" if run.returncode else "?")
    return elapsed, length


cases = [("%d two-condition rules on socket" % n, socket_rules(n)) for n in (16, 64, 256)]
cases.append(("2,000 random 2-3-condition rules over 40 syscalls", random_rules(2000)))
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for label, rules in cases:
        profile = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}
        path = os.path.join(tmp, "p.json")
        json.dump(profile, open(path, "w"))
        ours, ours_len = time_ours(path, os.path.join(tmp, "out.bpf"))
        theirs, theirs_len = time_libseccomp(oracle_script(profile))
        rows.append((label, ours, ours_len, theirs, theirs_len))

lines = ["Compile time as argument rules grow (x86_64 only; ours best of 3 runs; libseccomp's "
         "binary tree stopped after %d s):" % timeout, "",
         "| profile | seccomp-forge s | instructions | libseccomp s | instructions |", "|---|---:|---:|---:|---:|"]
for label, ours, ours_len, theirs, theirs_len in rows:
    lines.append("| %s | %.3f | %s | %s | %s |" % (label, ours, ours_len,
                 "%.3f" % theirs if theirs is not None else "timed out (> %d)" % timeout, theirs_len or "—"))
met = all(r[1] < 1.0 for r in rows)
lines += ["", "Goal: each under 1 s for seccomp-forge — %s this run (slowest %.3f s)." % ("met" if met else "not met", max(r[1] for r in rows))]
text = "\n".join(lines) + "\n"
print(text)
if markdown:
    open(markdown, "w").write(text)
