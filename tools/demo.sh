#!/bin/sh
# make demo: compile Docker's default profile with seccomp-forge's own compiler
# and show what the filter does. Later stages (observe, sandbox) join as they land.
set -eu
tool=$1
profile=$2
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "seccomp-profile validate $profile"
"$tool" validate "$profile"
say "The audit table for a few calls (number per architecture, action, and why)"
"$tool" check "$profile" read ptrace mount personality clone socket reboot
say "Compile to a raw filter (what runc, bwrap or the kernel load)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$tool" compile "$profile" -o "$out/filter.bpf"
ls -l "$out/filter.bpf"
say "The first instructions: check the architecture, load the syscall number, search"
"$tool" compile "$profile" --format disasm | head -n 14
say "explain: personality(0x8) takes an argument check"
"$tool" explain "$profile" --syscall personality --args 0x8
say "explain: ptrace is denied by default"
"$tool" explain "$profile" --syscall ptrace
say "stats: instructions per syscall, and what the kernel can cache"
"$tool" stats "$profile" --numbers 0-462
