#!/bin/sh
# Builds the libFuzzer targets into $FUZZ_BUILD (default .build/fuzz):
#   fuzz-profile      bytes → Profile.decodeReporting → validate → resolve
#   fuzz-cache-entry  bytes → FilterCacheEntry(bytes:) → listing, emulation
#   fuzz-kernel-log   bytes → SeccompRecord(kmsgLine:), KernelLog.drain()
# Each library module is compiled with swiftc, in dependency order, instrumented
# (-sanitize=fuzzer,address); each harness is linked against their objects.
# Source paths live here only: when a directory moves, change it below.
set -eu

# --- where the sources are (relative to the package root) ---
SYSCALL_TABLE_SRC=Sources/SyscallTable
CBPF_SRC=Sources/CBPF
SECCOMP_PROFILE_SRC=Sources/SeccompProfile
CSANDBOX_SRC=Sources/CSandbox
KERNEL_LOG_SRC=Sources/seccomp-sandbox/KernelLog.swift
# ------------------------------------------------------------

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
CLANG=${FUZZ_CLANG:-$(dirname "$SWIFTC")/clang}
OUT=${FUZZ_BUILD:-.build/fuzz}
mkdir -p "$OUT/modules"
FLAGS="-O -g -parse-as-library -sanitize=fuzzer,address -use-ld=lld -I $OUT/modules"

# module NAME SOURCE_DIR: one object and one .swiftmodule per library target.
module() {
    echo "swiftc: $1"
    # shellcheck disable=SC2086
    "$SWIFTC" $FLAGS -wmo -module-name "$1" -emit-module -emit-module-path "$OUT/modules/$1.swiftmodule" \
        -c -o "$OUT/$1.o" $(find "$2" -name '*.swift' | sort)
}

module SyscallTable "$SYSCALL_TABLE_SRC"
module CBPF "$CBPF_SRC"
module SeccompProfile "$SECCOMP_PROFILE_SRC"

# The C part of the sandbox, as a Clang module for KernelLog.swift's `import CSandbox`.
echo "clang: CSandbox"
mkdir -p "$OUT/CSandbox"
printf 'module CSandbox {\n    header "%s"\n    export *\n}\n' "$ROOT/$CSANDBOX_SRC/include/sandbox.h" > "$OUT/CSandbox/module.modulemap"
"$CLANG" -O1 -g -w -fsanitize=fuzzer-no-link,address -I "$CSANDBOX_SRC/include" -c -o "$OUT/CSandbox.o" "$CSANDBOX_SRC"/*.c

# harness NAME SOURCES... OBJECTS...: the fuzz binary $OUT/NAME.
harness() {
    name=$1; shift
    echo "swiftc: $name"
    # shellcheck disable=SC2086
    "$SWIFTC" $FLAGS -wmo -module-name "$(echo "$name" | tr -d -)" -I "$OUT/CSandbox" -o "$OUT/$name" "$@"
}

harness fuzz-profile fuzz/FuzzProfile.swift "$OUT/SyscallTable.o" "$OUT/CBPF.o" "$OUT/SeccompProfile.o"
harness fuzz-cache-entry fuzz/FuzzCacheEntry.swift "$OUT/SyscallTable.o" "$OUT/CBPF.o"
harness fuzz-kernel-log fuzz/FuzzKernelLog.swift "$KERNEL_LOG_SRC" "$OUT/CSandbox.o"
