#!/usr/bin/env python3
"""oracle-rules.py PROFILE KERNEL_RELEASE: a profile as scmp-oracle directives, resolved as
Docker resolves it on an amd64 host (Docker's default capabilities, the kernel given):
`default`, `arch` for x86_64, x86 and x32, then one `rule` line per name."""
import json, re, sys
profile = json.load(open(sys.argv[1]))
def kver(s):
    return tuple(int(x) for x in re.findall(r"\d+", s)[:2])
kernel = kver(sys.argv[2])
caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
host = {"amd64", "x86_64"}
fixed = {"SCMP_ACT_ALLOW": 0x7fff0000, "SCMP_ACT_KILL": 0, "SCMP_ACT_KILL_THREAD": 0,
         "SCMP_ACT_KILL_PROCESS": 0x80000000, "SCMP_ACT_TRAP": 0x00030000,
         "SCMP_ACT_LOG": 0x7ffc0000, "SCMP_ACT_NOTIFY": 0x7fc00000}
def ret(action, errno):
    if action == "SCMP_ACT_ERRNO":
        return 0x00050000 | (1 if errno is None else errno)
    if action == "SCMP_ACT_TRACE":
        return 0x7ff00000 | (1 if errno is None else errno)
    return fixed[action]
def wanted(e):
    inc, exc = e.get("includes") or {}, e.get("excludes") or {}
    if inc.get("arches") and not host & set(inc["arches"]): return False
    if exc.get("arches") and host & set(exc["arches"]): return False
    if not set(inc.get("caps") or []) <= caps: return False
    if caps & set(exc.get("caps") or []): return False
    if inc.get("minKernel") and kver(inc["minKernel"]) > kernel: return False
    return True
print("default %#x" % ret(profile["defaultAction"], profile.get("defaultErrnoRet")))
for arch in ("x86_64", "x86", "x32"):
    print("arch", arch)
for e in profile["syscalls"]:
    if not wanted(e):
        continue
    act = ret(e["action"], e.get("errnoRet"))
    args = e.get("args") or []
    conds = "".join(" %d %s %d %d" % (a["index"], a["op"].lower().replace("scmp_cmp_", ""),
                                      a["value"], a.get("valueTwo", 0)) for a in args)
    for name in e["names"]:
        print("rule %#x %s %d%s" % (act, name, len(args), conds))
