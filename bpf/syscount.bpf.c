// SPDX-License-Identifier: GPL-2.0
/*
 * syscount.bpf.c: counts system calls per target, per ABI, per number.
 *
 * The question "is this task observed?" is answered once per task and CPU,
 * not at every syscall: each CPU keeps the verdict it last worked out with
 * what it was worked out for — the task, that task's css_set (its cgroups),
 * and the membership epoch — and the syscall path compares those three with
 * the current task before using it. So a process that is not observed costs
 * a CPU-id read (inlined), the current task (a helper call), one load of its
 * css_set pointer and three compares; for a task in one target the verdict is where
 * that target's counters start, so an observed call adds one load (its
 * TS_COMPAT status: an i386 call) and one per-CPU counter increment: no
 * atomics, no event per call. A task in several targets (a cgroup and its
 * parent, a process and its parent's tree can both be targets: each gets the
 * call) has their set in its verdict, counted by a subprogram.
 *
 * Why the verdict is checked where it is used, not kept up to date by events
 * such as sched_switch: every event missed would leave a CPU with another
 * task's verdict, and events are missed. A kernel may keep tasks out of
 * tracing altogether: on the machines this is tested on, the VM's own agent
 * (threads of PID 1) runs with every tracepoint silent, its switches out
 * included, so a task switched in after it would run on the agent's verdict
 * until its next traced switch; a program the kernel skips (a recursion miss)
 * is an event missed too. A task moved to another cgroup is another case: the
 * kernel switches its css_set pointer before the cgroup_attach_task
 * tracepoint runs, and the task may run and call in between. Comparing the
 * css_set pointer counts each call under the cgroups the kernel had the task
 * in when the call was made. The epoch covers what neither pointer shows: a
 * process added to a tree target by the loader, and (against a freed css_set's
 * address being reused for another) every cgroup move.
 *
 * Configuration is read-only data set before load (const volatile), so the
 * verifier removes the branches a run does not use.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "observer_limits.h" /* shared with the loader */

#define MAX_TARGETS SF_MAX_TARGETS
#define MAX_DEPTH SF_MAX_DEPTH
#define MAX_CPUS SF_MAX_CPUS    /* a power of two: CPU ids are masked into range */
#define SLOTS SF_SLOTS
#define ABIS SF_ABIS


/* Verdict slot values. Unknown or not observed; else the low bits say which
 * kind: VERDICT_ONE, a task in one target (the common case), the rest of the
 * value being where that target's counters start (target * ABIS * SLOTS), so
 * the fast path adds the ABI's row and the number and bumps one counter; or
 * VERDICT_MANY, a task in several targets (a cgroup and its parent can both be
 * targets) or below one deeper than MAX_DEPTH, with the set of its targets
 * (bit i: target i) in bits 16-23 and the undecided ones in bits 24-31. */
#define VERDICT_UNKNOWN 0
#define VERDICT_OUTSIDE 1
#define VERDICT_ONE 2
#define VERDICT_MANY 3
#define VERDICT_KIND (SLOTS - 1)
_Static_assert((SLOTS & (SLOTS - 1)) == 0 && SLOTS >= 4, "the verdict's kind lives below SLOTS");
_Static_assert(MAX_TARGETS * ABIS * SLOTS < (1u << 16), "a ONE verdict's counter base stays below bit 16, where MANY keeps its sets (only for readability of verdicts: kinds are told apart by the bits below SLOTS)");

/* Targets: a cgroup (id and level in the v2 hierarchy) or a process tree (id 0). */
const volatile __u32 target_count = 0;
const volatile __u64 target_cgroup_id[MAX_TARGETS] = {};
const volatile __u32 target_cgroup_level[MAX_TARGETS] = {};
const volatile bool have_pid_targets = false;
/* The observer's own process: never counted, even when it runs inside a target. */
const volatile __u32 observer_tgid = 0;
/* The observer's pid namespace, by inode number, when it is not the initial one:
 * process ids given to it and kept in `tasks` are as that namespace numbers them. */
const volatile __u32 pidns_inum = 0;
#define MAX_PIDNS_DEPTH 8

/* What each CPU last worked out, and for what: valid while the current task,
 * its css_set and the epoch are the ones it names. Only its own CPU writes a
 * slot (the syscall path runs with preemption off); one cache line each. */
/* An anonymous type: the skeleton declares it with the data. */
struct {
	__u64 task;    /* the task_struct it was worked out for (0: none yet) */
	__u64 cset;    /* that task's css_set at the time */
	__u32 epoch;   /* `epoch` when the membership it read was read */
	__u32 verdict;
	__u64 pad[5];
} verdicts[MAX_CPUS] = {};
_Static_assert(sizeof(verdicts[0]) == 64, "one cache line per CPU");
/* Bumped (atomically) when membership changes where neither pointer shows it:
 * the loader adding a process to a tree, any task changing cgroups. */
__u32 epoch = 0;

/* counts[(target * ABIS + abi) * SLOTS + nr], one copy per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TARGETS * ABIS * SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Calls that could not be counted, lost[target * SF_LOST_KINDS + kind]: numbers
 * beyond SLOTS, process-tree members that did not fit in `tasks`, calls of tasks
 * more than MAX_DEPTH cgroup levels below the target's, which could not be
 * checked (they may belong to it). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TARGETS * SF_LOST_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Process-tree targets: thread-group id → the set of tree targets it belongs
 * to (bit i: target i). Seeded by the loader; children join at fork with their
 * parent's set, processes leave when their last thread exits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SF_MAX_TASKS);
	__type(key, __u32);
	__type(value, __u32);
} tasks SEC(".maps");

/* verdict_for's working bits, kept in map memory rather than in registers: the
 * verifier does not follow what map memory holds, so the paths it explores grow
 * with targets x levels instead of doubling with each target (a register set
 * of bits is a different state for every combination: with the bits in
 * registers, four targets took seconds to verify and eight were refused). One
 * per CPU; the programs that use it run with preemption off. */
struct verdict_bits {
	volatile __u32 set;       /* targets the task is in */
	volatile __u32 undecided; /* targets too far above it to check */
}; /* volatile: the compiler must not keep them in registers either */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct verdict_bits);
} verdict_scratch SEC(".maps");

/* A task's process id as the observer's pid namespace numbers it (0: not
 * visible there). In the initial namespace that is tgid, read directly. */
static __always_inline __u32 ns_tgid(struct task_struct *task)
{
	if (pidns_inum == 0)
		return BPF_CORE_READ(task, tgid);
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	if (!pid)
		return 0;
	unsigned int depth = BPF_CORE_READ(pid, level);
	struct upid *numbers = &pid->numbers[0];
	for (unsigned int level = 1; level < MAX_PIDNS_DEPTH && level <= depth; level++) {
		struct upid upid = {};
		bpf_probe_read_kernel(&upid, sizeof(upid), numbers + level);
		if (upid.ns && BPF_CORE_READ(upid.ns, ns.inum) == pidns_inum)
			return (__u32)upid.nr;
	}
	return 0;
}

static __always_inline void bump(__u32 key, void *map)
{
	__u64 *slot = bpf_map_lookup_elem(map, &key);
	if (slot)
		*slot += 1;
}

/* The verdict for a task in a css_set: plain loads through BTF, no helper
 * calls. Walks from the set's v2 cgroup up through css.parent->cgroup towards
 * each target, comparing ids. */
static __always_inline __u32 verdict_for(struct task_struct *task, struct css_set *cset)
{
	__u32 own = pidns_inum == 0 ? task->tgid : ns_tgid(task);
	if (observer_tgid != 0 && own == observer_tgid)
		return VERDICT_OUTSIDE;
	__u32 zero = 0;
	struct verdict_bits *bits = bpf_map_lookup_elem(&verdict_scratch, &zero);
	if (!bits)
		return VERDICT_UNKNOWN;
	bits->set = 0;
	bits->undecided = 0;
	if (target_count > 0) {
		struct cgroup *cgrp = cset->dfl_cgrp;
		for (__u32 i = 0; i < MAX_TARGETS; i++) {
			if (i >= target_count)
				break;
			/* Read afresh for each target: what the verifier learns about it from
			 * one target's comparisons then does not split the next target's paths. */
			int level = cgrp->level;
			/* The loader's level is the target's depth below the cgroup2 mount it
			 * sees; inside a cgroup namespace the kernel's level is deeper by the
			 * namespace root's. So compare ids on the way up, from the task's own
			 * cgroup to that minimal level: the same loads as going straight to
			 * it, and right in any namespace. */
			int want = (int)target_cgroup_level[i];
			if (target_cgroup_id[i] == 0 || want > level)
				continue;
			if (level - want >= MAX_DEPTH)
				bits->undecided |= 1u << i; /* unless found below */
			struct cgroup *c = cgrp;
			for (int d = 0; d < MAX_DEPTH && d <= level - want; d++) {
				if (c->kn->id == target_cgroup_id[i]) {
					bits->set |= 1u << i;
					break;
				}
				c = c->self.parent->cgroup;
			}
		}
	}
	if (have_pid_targets) {
		__u32 tgid = own;
		__u32 *t = bpf_map_lookup_elem(&tasks, &tgid);
		if (t)
			bits->set |= *t;
	}
	__u32 set = bits->set & 0xff, undecided = bits->undecided & ~bits->set & 0xff;
	if (!set && !undecided)
		return VERDICT_OUTSIDE;
	if (!undecided && !(set & (set - 1))) {
		__u32 only = 0;
		while (only < MAX_TARGETS - 1 && !(set & (1u << only)))
			only++;
		return only * ABIS * SLOTS + VERDICT_ONE;
	}
	return (undecided << 24) | (set << 16) | VERDICT_MANY;
}

#include "abi.bpf.h" /* abi_of: the ABI model, one block per architecture */

static __always_inline void count_one(__u32 target, __u64 nr, __u32 abi)
{
	if (nr >= SLOTS)
		bump(target * SF_LOST_KINDS + SF_LOST_BEYOND_TABLE, &lost);
	else
		bump((target * ABIS + abi) * SLOTS + (__u32)nr, &counts);
}

/* Everything but the fast path, in a subprogram so the fast path keeps few
 * registers (each one the JIT saves costs every call): a CPU whose verdict was
 * worked out for another task, css_set or epoch (worked out here and kept), or
 * beyond the verdict slots (worked out at every call: slower, never wrong);
 * numbers beyond the table (x32's included, whose bit abi_of strips); tasks in
 * several targets, each of which gets the call, and the undecided ones, a
 * loss each. `v` is VERDICT_UNKNOWN when it must be worked out. */
static __noinline int count_slow(__u32 v, long id, bool btf)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (v == VERDICT_UNKNOWN) {
		/* The epoch first, then what it guards: a process the loader adds after
		 * this read bumps it, so a verdict that missed the addition is not kept. */
		__u32 seen = epoch;
		struct css_set *cset = task->cgroups;
		v = verdict_for(task, cset);
		__u32 cpu = bpf_get_smp_processor_id();
		if (cpu < MAX_CPUS && v != VERDICT_UNKNOWN) {
			typeof(verdicts[0]) *mine = &verdicts[cpu & (MAX_CPUS - 1)];
			mine->task = (__u64)task;
			mine->cset = (__u64)cset;
			mine->epoch = seen;
			mine->verdict = v;
		}
		if (v == VERDICT_OUTSIDE || v == VERDICT_UNKNOWN)
			return 0;
	}
	__u64 nr = (__u64)id;
	__u32 abi = abi_of(task, &nr, btf);
	__u32 set, undecided;
	if ((v & VERDICT_KIND) == VERDICT_ONE) {
		set = 1u << (((v - VERDICT_ONE) / (ABIS * SLOTS)) & (MAX_TARGETS - 1));
		undecided = 0;
	} else {
		set = (v >> 16) & 0xff;
		undecided = (v >> 24) & 0xff;
	}
	for (__u32 target = 0; target < MAX_TARGETS; target++) {
		if (undecided & (1u << target))
			bump(target * SF_LOST_KINDS + SF_LOST_TOO_DEEP, &lost);
		if (set & (1u << target))
			count_one(target, nr, abi);
	}
	return 0;
}

/* `btf`: typed task reads are allowed (tp_btf), else CO-RE probe reads (raw_tp)
 * for the ABI's status. The path every call takes is kept short: a CPU-id read
 * (inlined), the current task (a helper call), its css_set pointer, three compares
 * against what the CPU last worked out, and the verdict: for a task not
 * observed, that is all; for a task in one target, its ABI (TS_COMPAT: one
 * load) and one per-CPU counter bump. */
static __always_inline int on_sys_enter(long id, bool btf)
{
	__u32 cpu = bpf_get_smp_processor_id();
	if (cpu >= MAX_CPUS)
		return count_slow(VERDICT_UNKNOWN, id, btf);
	struct task_struct *task = bpf_get_current_task_btf();
	typeof(verdicts[0]) *last = &verdicts[cpu & (MAX_CPUS - 1)];
	if (last->task != (__u64)task || last->cset != (__u64)task->cgroups || last->epoch != epoch)
		return count_slow(VERDICT_UNKNOWN, id, btf);
	__u32 v = last->verdict;
	if (v == VERDICT_OUTSIDE)
		return 0;
	__u64 nr = (__u64)id;
	if ((v & VERDICT_KIND) != VERDICT_ONE || nr >= SLOTS)
		return count_slow(v, id, btf);
	/* nr < SLOTS: not an x32 number, so abi_of only reads the compat status. */
	__u32 abi = abi_of(task, &nr, btf);
	bump(v - VERDICT_ONE + abi * SLOTS + (__u32)nr, &counts);
	return 0;
}

/* Membership may have changed for a task running anywhere: no CPU's verdict
 * holds any longer. */
static __always_inline int new_epoch(void)
{
	__sync_fetch_and_add(&epoch, 1);
	return 0;
}

static __always_inline int on_fork(__u32 ptgid, __u32 ctgid)
{
	if (!have_pid_targets)
		return 0;
	if (ptgid == ctgid)
		return 0; /* a new thread: already covered by its thread group */
	__u32 *t = bpf_map_lookup_elem(&tasks, &ptgid);
	if (!t)
		return 0;
	__u32 value = *t;
	if (bpf_map_update_elem(&tasks, &ctgid, &value, BPF_ANY)) {
		for (__u32 target = 0; target < MAX_TARGETS; target++)
			if (value & (1u << target))
				bump(target * SF_LOST_KINDS + SF_LOST_UNTRACKED, &lost);
	}
	return 0;
}

/* A process leaves its tree when its last thread exits (`group_dead`: the thread
 * group's live count reached 0), not when its leader does: a leader may
 * pthread_exit while the other threads go on, and a thread that execs becomes
 * the leader. */
static __always_inline int on_exit(__u32 tgid, bool group_dead)
{
	if (have_pid_targets && group_dead)
		bpf_map_delete_elem(&tasks, &tgid);
	return 0;
}

/* The same programs twice: tp_btf normally, raw_tp where BTF-typed programs are
 * refused. raw_tp arguments are untyped, so those twins read them with CO-RE
 * probe reads. */
SEC("tp_btf/sys_enter")
int BPF_PROG(count_btf, struct pt_regs *regs, long id) { return on_sys_enter(id, true); }
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(moved_btf) { return new_epoch(); }
SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	if (pidns_inum == 0)
		return on_fork(parent->tgid, child->tgid);
	return on_fork(ns_tgid(parent), ns_tgid(child));
}
SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task)
{
	return on_exit(pidns_inum == 0 ? task->tgid : ns_tgid(task), task->signal->live.counter == 0);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(count_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(id, false);
}
SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(moved_raw) { return new_epoch(); }
SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(ns_tgid(parent), ns_tgid(child));
}
SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *task)
{
	return on_exit(ns_tgid(task), BPF_CORE_READ(task, signal, live.counter) == 0);
}

#ifdef HAVE_VSYSCALL_PAGE
/* A call through the vsyscall page is counted as the call it stands for (abi.bpf.h);
 * the loader attaches these only where the kernel has the tracepoint. */
SEC("tp_btf/emulate_vsyscall")
int BPF_PROG(vsyscall_btf, int index)
{
	long nr = vsyscall_call(index);
	return nr < 0 ? 0 : on_sys_enter(nr, true);
}
SEC("raw_tp/emulate_vsyscall")
int BPF_PROG(vsyscall_raw, int index)
{
	long nr = vsyscall_call(index);
	return nr < 0 ? 0 : on_sys_enter(nr, false);
}
#endif

char LICENSE[] SEC("license") = "GPL";
