// SPDX-License-Identifier: GPL-2.0
/* least-counter.bpf.c: a benchmark reference, not part of the tools. The least
 * work any exact per-call observer on sys_enter does: it must know, at each
 * call, that the verdict it keeps is the current task's — the current task (a
 * helper call), its css_set pointer (a task moved to another cgroup has a new
 * one before any tracepoint says so) and two compares against what the CPU
 * last worked out (here every task is observed, so a mismatch only records the
 * new task) — then the TS_COMPAT read that names an i386 call, and one counter
 * increment, into plain global memory with no map lookup. Counters are indexed
 * by CPU modulo 64: fine for a benchmark on a small host, not an observer. The
 * observer benchmark sets seccomp-observe's added time against this program's
 * as well as the empty program's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define CPUS 64
#define SLOTS 1024

struct {
	__u64 task, cset;
	__u64 pad[6];
} last[CPUS] = {};
__u64 counts[CPUS][2 * SLOTS] = {};

SEC("tp_btf/sys_enter")
int BPF_PROG(least_counter, struct pt_regs *regs, long id)
{
	__u32 cpu = bpf_get_smp_processor_id() & (CPUS - 1);
	struct task_struct *task = bpf_get_current_task_btf();
	if (last[cpu].task != (__u64)task || last[cpu].cset != (__u64)task->cgroups) {
		last[cpu].task = (__u64)task;
		last[cpu].cset = (__u64)task->cgroups;
	}
	__u64 nr = (__u64)id;
	if (nr >= SLOTS)
		return 0;
	__u32 compat = (task->thread_info.status >> 1) & 1; /* TS_COMPAT */
	counts[cpu][compat * SLOTS + nr] += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
