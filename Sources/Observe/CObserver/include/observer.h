/*
 * The kernel side of seccomp-observe, in C because libbpf and fork/exec are C:
 * load and attach bpf/syscount.bpf.c (through its generated skeleton), read
 * its per-CPU counters, and start a command inside a cgroup.
 */
#ifndef SECCOMP_FORGE_OBSERVER_H
#define SECCOMP_FORGE_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "observer_limits.h" /* shared with bpf/syscount.bpf.c */

struct sf_observer;

/* Which attach point carried the program. */
enum sf_attach_kind { SF_ATTACH_TP_BTF = 1, SF_ATTACH_RAW_TP = 2 };

/*
 * Loads and attaches the counter. Target i is the cgroup with id
 * cgroup_ids[i] at cgroup_levels[i] in the v2 hierarchy, or a process tree
 * when cgroup_ids[i] is 0 (seed it with sf_observer_add_process).
 * Returns 0, or a negative errno with a message in err.
 */
int sf_observer_open(struct sf_observer **out, const uint64_t *cgroup_ids, const uint32_t *cgroup_levels,
		     uint32_t ntargets, char *err, size_t errlen);

/* Adds a process (thread group) to process-tree target `target`. */
int sf_observer_add_process(struct sf_observer *obs, uint32_t tgid, uint32_t target);

/* How many processes a process-tree target still holds (its tree is gone at 0), or -errno. */
int sf_observer_tracked(struct sf_observer *obs, uint32_t target);

/* The attach point in use. */
enum sf_attach_kind sf_observer_attach_kind(const struct sf_observer *obs);

/*
 * Sums the per-CPU counters: counts[(target * SF_ABIS + abi) * SF_SLOTS + nr]
 * (SF_MAX_TARGETS * SF_ABIS * SF_SLOTS entries) and lost[target * SF_LOST_KINDS + kind]
 * (the SF_LOST_* kinds).
 */
int sf_observer_read(struct sf_observer *obs, uint64_t *counts, uint64_t *lost);

/* Calls the kernel did not run the counting program for (recursion misses of the
 * sys_enter and vsyscall programs), on any task: none is attributable to a target. */
uint64_t sf_observer_skipped(struct sf_observer *obs);

/* Detaches and unloads everything. */
void sf_observer_close(struct sf_observer *obs);

/* Copies what libbpf said during the last sf_observer_open (warnings, the verifier's
 * log) into `out`; returns the number of bytes. */
long sf_observer_log(char *out, size_t size);

/* Stops counting (detaches every program) and keeps the maps, so the final read
 * sees counts that no longer move. */
void sf_observer_detach(struct sf_observer *obs);

/*
 * Starts argv[0] (searched in PATH) as a child that first joins the cgroup
 * whose cgroup.procs is open as procs_fd, then executes. Only
 * async-signal-safe calls run in the child; stdout_fd (or -1) becomes its
 * standard output. If exec fails, the child exits
 * 127 (not found) or 126 (not executable) and writes its errno to the pipe,
 * so *exec_errno tells the caller why. Returns 0 and the pid, or -errno.
 */
int sf_spawn_in_cgroup(char *const argv[], int procs_fd, int stdout_fd, pid_t *pid, int *exec_errno);

#endif
