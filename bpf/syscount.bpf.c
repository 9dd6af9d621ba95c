// SPDX-License-Identifier: GPL-2.0
/*
 * syscount.bpf.c: counts system calls per target, per ABI, per number.
 *
 * Runs on every raw_syscalls/sys_enter. The hot path for a process that is
 * not observed is a few loads and a compare: its cgroup's ancestor at the
 * target's level (read through BTF, no helper call), or nothing at all when
 * only a pid target is configured and its task carries no tag. Observed
 * calls increment a per-CPU counter: no atomics, no ring buffer, no events.
 *
 * Configuration is read-only data set before load (const volatile), so the
 * verifier removes the branches a run does not use.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define MAX_TARGETS 8
#define MAX_DEPTH 32        /* cgroup levels walked up from a task to a target */
#define SLOTS 1024          /* syscall numbers counted per ABI: 0..1023 */
#define ABI_NATIVE 0
#define ABI_I386 1
#define ABI_X32 2
#define ABIS 3
#define X32_SYSCALL_BIT 0x40000000
#define TS_COMPAT 0x0002    /* arch/x86/include/asm/thread_info.h */

/* Targets: a cgroup (id and level in the v2 hierarchy) or a process tree (id 0). */
const volatile __u32 target_count = 0;
const volatile __u64 target_cgroup_id[MAX_TARGETS] = {};
const volatile __u32 target_cgroup_level[MAX_TARGETS] = {};
const volatile bool have_pid_targets = false;
const volatile bool detect_compat = true;

/* counts[(target * ABIS + abi) * SLOTS + nr], one copy per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TARGETS * ABIS * SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Calls that could not be counted: [target * 2 + 0] numbers beyond SLOTS,
 * [target * 2 + 1] process-tree members that did not fit in `tasks`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TARGETS * 2);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Process-tree targets: thread-group id → target index + 1. Seeded by the
 * loader with the target pid; children join at fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} tasks SEC(".maps");

static __always_inline void bump(__u32 key, void *map)
{
	__u64 *slot = bpf_map_lookup_elem(map, &key);
	if (slot)
		*slot += 1;
}

/* The target the current task belongs to, or -1. Plain loads through BTF,
 * no helper calls: the task's v2 cgroup, then up through css.parent->cgroup
 * to each target's level (no steps at all for a task directly in the
 * target), and that cgroup's id. */
static __always_inline int current_target(struct task_struct *task)
{
	if (target_count > 0) {
		struct cgroup *cgrp = task->cgroups->dfl_cgrp;
		int level = cgrp->level;
		for (__u32 i = 0; i < MAX_TARGETS; i++) {
			if (i >= target_count)
				break;
			int want = (int)target_cgroup_level[i];
			if (target_cgroup_id[i] == 0 || want > level)
				continue;
			struct cgroup *c = cgrp;
			for (int d = 0; d < MAX_DEPTH && d < level - want; d++)
				c = c->self.parent->cgroup;
			if (c->kn->id == target_cgroup_id[i])
				return i;
		}
	}
	if (have_pid_targets) {
		__u32 tgid = task->tgid;
		__u32 *t = bpf_map_lookup_elem(&tasks, &tgid);
		if (t)
			return *t - 1;
	}
	return -1;
}

static __always_inline void count(long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int target = current_target(task);
	if (target < 0)
		return;
	__u32 abi = ABI_NATIVE;
	__u64 nr = (__u64)id;
	if (detect_compat && (task->thread_info.status & TS_COMPAT)) {
		abi = ABI_I386;
	} else if (nr & X32_SYSCALL_BIT) {
		abi = ABI_X32;
		nr &= ~(__u64)X32_SYSCALL_BIT;
	}
	if (nr >= SLOTS) {
		bump((__u32)target * 2, &lost);
		return;
	}
	bump(((__u32)target * ABIS + abi) * SLOTS + (__u32)nr, &counts);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(count_btf, struct pt_regs *regs, long id)
{
	count(id);
	return 0;
}

/* Fallback where BTF-typed programs are refused: the raw tracepoint. */
SEC("raw_tp/sys_enter")
int BPF_PROG(count_raw, struct pt_regs *regs, long id)
{
	count(id);
	return 0;
}

/* Children of an observed process tree join their parent's target. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!have_pid_targets)
		return 0;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	if (ptgid == ctgid)
		return 0; /* a new thread: already covered by its thread group */
	__u32 *t = bpf_map_lookup_elem(&tasks, &ptgid);
	if (!t)
		return 0;
	__u32 value = *t;
	if (bpf_map_update_elem(&tasks, &ctgid, &value, BPF_ANY))
		bump((value - 1) * 2 + 1, &lost);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
