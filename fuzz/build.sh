#!/bin/sh
# Builds the libFuzzer targets into $FUZZ_BUILD (default .build/fuzz):
#   fuzz-profile      bytes → Profile.decodeReporting → validate → resolve → compile (verified)
#   fuzz-cache-entry  bytes → FilterCacheEntry(bytes:) → listing, emulation
#   fuzz-kernel-log   bytes → SeccompRecord(kmsgLine:), KernelLog.drain()
# Each library module is compiled with swiftc, in dependency order, instrumented
# (-sanitize=fuzzer,address); each harness is linked against their objects.
# Source paths live here only: when a directory moves, change it below.
set -eu

# --- where the sources are (relative to the package root) ---
SECCOMP_ABI_SRC=Sources/ABI/SeccompABI
SYSCALL_TABLE_SRC=Sources/ABI/SyscallTable
CBPF_SRC=Sources/Compile/CBPF
FILTER_CACHE_SRC=Sources/Compile/FilterCache
CSHA256_SRC=Sources/Compile/CSHA256
SECCOMP_PROFILE_SRC=Sources/Profile/SeccompProfile
FILTER_COMPILER_SRC=Sources/Compile/FilterCompiler
CSANDBOX_SRC=Sources/Enforce/CSandbox
KERNEL_LOG_SRC=Sources/Enforce/Sandbox/KernelLog.swift
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

# The C parts, as Clang modules for the Swift that imports them: cmodule NAME DIR HEADER.
cmodule() {
    echo "clang: $1"
    mkdir -p "$OUT/$1"
    printf 'module %s {\n    header "%s"\n    export *\n}\n' "$1" "$ROOT/$2/include/$3" > "$OUT/$1/module.modulemap"
    "$CLANG" -O1 -g -w -fsanitize=fuzzer-no-link,address -I "$2/include" -c -o "$OUT/$1.o" "$2"/*.c
}
cmodule CSHA256 "$CSHA256_SRC" sf_sha256.h
FLAGS="$FLAGS -I $OUT/CSHA256"

module SeccompABI "$SECCOMP_ABI_SRC"
module SyscallTable "$SYSCALL_TABLE_SRC"
module CBPF "$CBPF_SRC"
module FilterCache "$FILTER_CACHE_SRC"
module SeccompProfile "$SECCOMP_PROFILE_SRC"
module FilterCompiler "$FILTER_COMPILER_SRC"

# The C part of the sandbox, for KernelLog.swift's `import CSandbox`.
cmodule CSandbox "$CSANDBOX_SRC" sandbox.h

# harness NAME SOURCES... OBJECTS...: the fuzz binary $OUT/NAME.
harness() {
    name=$1; shift
    echo "swiftc: $name"
    # shellcheck disable=SC2086
    "$SWIFTC" $FLAGS -wmo -module-name "$(echo "$name" | tr -d -)" -I "$OUT/CSandbox" -o "$OUT/$name" "$@"
}

harness fuzz-profile fuzz/FuzzProfile.swift "$OUT/SeccompABI.o" "$OUT/SyscallTable.o" "$OUT/CBPF.o" "$OUT/SeccompProfile.o" "$OUT/FilterCompiler.o"
harness fuzz-cache-entry fuzz/FuzzCacheEntry.swift "$OUT/SeccompABI.o" "$OUT/SyscallTable.o" "$OUT/CBPF.o" "$OUT/FilterCache.o" "$OUT/CSHA256.o"
harness fuzz-kernel-log fuzz/FuzzKernelLog.swift "$KERNEL_LOG_SRC" "$OUT/CSandbox.o"
