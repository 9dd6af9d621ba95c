#!/bin/sh
# make demo: the whole loop on real programs, narrated. Observe a command with
# eBPF, turn what it did into a profile, compile and audit that profile, run the
# command confined by it, watch a wider command get stopped with the call named,
# then let complain mode learn the missing calls and pass.
set -eu
bin=$1
docker_profile=$2
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

if [ "$(id -u)" = 0 ] && [ -e /sys/kernel/btf/vmlinux ]; then
	say "1. Observe: which system calls does 'ls /usr' make? (eBPF on raw_syscalls/sys_enter, no ptrace)"
	run "$bin/seccomp-observe" -o ls.seccomp.json -- ls /usr >/dev/null
	say "2. The profile it wrote (OCI/Docker seccomp JSON; the counts are in ls.recording.json)"
	head -n 16 ls.seccomp.json; echo "  ..."
	say "3. Audit it: number per architecture, action, and why"
	run "$bin/seccomp-profile" check ls.seccomp.json execve openat getdents64 ptrace mount
	say "4. Run 'ls /usr' confined by the filter our compiler builds from it: same output"
	run "$bin/seccomp-sandbox" --profile ./ls.seccomp.json -- ls /usr | head -n 5
	say "5. 'ls -l /usr' needs more (it reads file details): the filter stops it and names the call"
	"$bin/seccomp-sandbox" --verbose --profile ./ls.seccomp.json -- ls -l /usr >/dev/null 2>"$work/err" || true
	printf '$ seccomp-sandbox --verbose --profile ./ls.seccomp.json -- ls -l /usr\n'
	sort -u "$work/err" | head -n 8
	say "6. Complain mode: let it all through, list what the profile lacks, and write the update"
	run "$bin/seccomp-sandbox" --mode complain --update ls-l.seccomp.json --profile ./ls.seccomp.json -- ls -l /usr >/dev/null
	say "7. The updated profile runs 'ls -l /usr' with no denials"
	run "$bin/seccomp-sandbox" --verbose --profile ./ls-l.seccomp.json -- ls -l /usr | head -n 3
	say "8. A KILL rule, and a program that calls ptrace"
	printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"}]}\n' > noptrace.json
	status=0
	run "$bin/seccomp-sandbox" --profile ./noptrace.json -- python3 -c 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)' || status=$?
	echo "exit status $status (128 + SIGSYS)"
	if command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && [ -x /usr/bin/busybox ]; then
		say "9. The same story in a container: podman's trace-syscall annotation, with seccomp-observe as the hook"
		mkdir -p hooks.d rootfs/bin rootfs/lib rootfs/lib64 rootfs/proc rootfs/dev rootfs/sys rootfs/tmp rootfs/etc
		sed "s|/usr/local/bin/seccomp-observe|$bin/seccomp-observe|" "$here/../deploy/oci-hooks/seccomp-forge-trace.json" > hooks.d/trace.json
		cp /usr/bin/busybox rootfs/bin/ && ln -s busybox rootfs/bin/sh && cp /bin/ls rootfs/bin/ls
		for lib in $(ldd /bin/ls | grep -o '/[^ ]*'); do mkdir -p "rootfs$(dirname "$lib")"; cp -L "$lib" "rootfs$lib"; done
		echo 'root:x:0:0:root:/root:/bin/sh' > rootfs/etc/passwd; echo 'root:x:0:' > rootfs/etc/group
		pod() { podman --hooks-dir "$work/hooks.d" run --rm --runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 "$@"; }
		printf '$ podman run --annotation io.containers.trace-syscall="of:%s/ls.json" --rootfs rootfs /bin/ls /\n' "$work"
		pod --annotation io.containers.trace-syscall="of:$work/ls.json" --rootfs "$work/rootfs" /bin/ls / | tr '\n' ' '; echo
		printf '$ podman run --security-opt seccomp=ls.json --rootfs rootfs /bin/ls /        (runs)\n'
		pod --security-opt seccomp="$work/ls.json" --rootfs "$work/rootfs" /bin/ls / | tr '\n' ' '; echo
		printf '$ podman run --security-opt seccomp=ls.json --rootfs rootfs /bin/ls -l /     (EPERM: ls -l reads extended attributes)\n'
		pod --security-opt seccomp="$work/ls.json" --rootfs "$work/rootfs" /bin/ls -l / 2>&1 >/dev/null | head -n 3
		printf '$ podman run --annotation io.containers.trace-syscall="of:%s/ls-l.json" ... /bin/ls -l /; then with seccomp=ls-l.json\n' "$work"
		pod --annotation io.containers.trace-syscall="of:$work/ls-l.json" --rootfs "$work/rootfs" /bin/ls -l / >/dev/null
		pod --security-opt seccomp="$work/ls-l.json" --rootfs "$work/rootfs" /bin/ls -l / | head -n 3
	fi
else
	say "(not root, or no BTF: skipping the observe, sandbox and container steps; run 'sudo make demo' for the whole loop)"
fi

say "10. Docker's default profile through our compiler: validate, audit, explain"
run "$bin/seccomp-profile" validate "$docker_profile"
run "$bin/seccomp-profile" check "$docker_profile" read ptrace reboot personality clone
run "$bin/seccomp-profile" explain "$docker_profile" --syscall personality --args 0x8 --arch x86_64
say "11. What the filter costs: instructions per syscall, and calls the kernel can cache"
run "$bin/seccomp-profile" stats "$docker_profile" --numbers 0-462
