/*
 * The limits and layouts the eBPF program (bpf/syscount.bpf.c) and its loader
 * (observer.c, the Swift Observer module) must agree on: one definition,
 * included by both. Plain #defines only, so it compiles for the BPF target
 * (next to vmlinux.h) and for the host.
 */
#ifndef SECCOMP_FORGE_OBSERVER_LIMITS_H
#define SECCOMP_FORGE_OBSERVER_LIMITS_H

/* Targets one observer takes (a cgroup covers everything below it). */
#define SF_MAX_TARGETS 8
/* Syscall numbers counted per ABI: 0..SF_SLOTS-1 (beyond: counted as lost). */
#define SF_SLOTS 1024
/* ABI slots per target: 0 the native ABI, then the compat ones this
 * architecture has (x86_64: 1 i386, 2 x32; arm64: 1 arm). */
#define SF_ABIS 3
/* cgroup levels walked up from a task towards a target. */
#define SF_MAX_DEPTH 32
/* Per-CPU verdict slots; a CPU beyond them decides at every call. */
#define SF_MAX_CPUS 1024
/* Processes a process-tree target can hold. */
#define SF_MAX_TASKS 65536

/* lost[target * SF_LOST_KINDS + kind]: calls that could not be counted. */
#define SF_LOST_BEYOND_TABLE 0   /* numbers at or above SF_SLOTS */
#define SF_LOST_UNTRACKED 1      /* process-tree members that did not fit */
#define SF_LOST_TOO_DEEP 2       /* tasks more than SF_MAX_DEPTH levels below the target */
#define SF_LOST_KINDS 3

#endif
