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

/* seccomp-observe --all (bpf/workloads.bpf.c): one slot per cgroup seen, each
 * with SF_SLOTS counters per ABI plus two rows for the container runtime's own
 * calls before the workload's exec: its set-up, and what it calls after it
 * installs the container's filter (the hand-off the profile must allow). */
#define SF_ALL_ROWS (SF_ABIS + 2)
#define SF_ALL_RUNTIME_ROW SF_ABIS
#define SF_ALL_HANDOFF_ROW (SF_ABIS + 1)
#define SF_ALL_DEFAULT_WORKLOADS 1024
/* Longest cgroup path (below the hierarchy's root) kept for a cgroup made while observing. */
#define SF_ALL_PATH_MAX 256
/* health[...]: what --all could not count or keep. */
#define SF_ALL_NO_SLOT 0        /* calls of cgroups that found every slot taken */
#define SF_ALL_BEYOND_TABLE 1   /* numbers at or above SF_SLOTS */
#define SF_ALL_GONE_DROPPED 2   /* removed cgroups the release queue could not hold */
#define SF_ALL_TOO_DEEP 3       /* verdicts for tasks more than SF_MAX_DEPTH levels below --cgroup-root, not checked */
#define SF_ALL_HEALTH 4

#endif
