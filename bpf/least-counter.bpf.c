// SPDX-License-Identifier: GPL-2.0
/* least-counter.bpf.c: a benchmark reference, not part of the tools. The least
 * work any exact per-call observer on sys_enter does: one load to ask whether
 * the task is observed (here it always is), the TS_COMPAT read that names an
 * i386 call, and one counter increment, into plain global memory with no map
 * lookup. Counters are indexed by CPU modulo 64: fine for a benchmark on a
 * small host, not an observer. The observer benchmark sets seccomp-observe's
 * added time against this program's as well as the empty program's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define CPUS 64
#define SLOTS 1024

__u32 outside[CPUS] = {};
__u64 counts[CPUS][2 * SLOTS] = {};

SEC("tp_btf/sys_enter")
int BPF_PROG(least_counter, struct pt_regs *regs, long id)
{
	__u32 cpu = bpf_get_smp_processor_id() & (CPUS - 1);
	if (outside[cpu])
		return 0;
	__u64 nr = (__u64)id;
	if (nr >= SLOTS)
		return 0;
	__u32 compat = (bpf_get_current_task_btf()->thread_info.status >> 1) & 1; /* TS_COMPAT */
	counts[cpu][compat * SLOTS + nr] += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
