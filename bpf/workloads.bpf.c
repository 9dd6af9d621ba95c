// SPDX-License-Identifier: GPL-2.0
/*
 * workloads.bpf.c: counts system calls for every cgroup on the host at once
 * (seccomp-observe --all), per ABI, per number.
 *
 * Each cgroup a running task is seen in gets a slot: a row of counters per ABI.
 * Slots come from a queue the loader fills (0..N-1) and refills with the slots
 * of cgroups that were removed and drained, so memory is fixed at load and no
 * cgroup is ever dropped silently: a cgroup that finds the queue empty has its
 * calls counted as `no slot`.
 *
 * As in syscount.bpf.c, the question "whose call is this?" is answered once
 * per task and CPU: each CPU keeps the verdict it last worked out with the
 * task, css_set and epoch it was worked out for, and checks all three against
 * the current task before using it (why not at sched_switch: syscount.bpf.c).
 * So a syscall costs those compares, the ABI check and one atomic add into a
 * counter array that user space reads through mmap (no syscall per read). Counters are shared by the CPUs (atomic adds), not per CPU: memory is
 * N x rows x SF_SLOTS x 8 bytes whatever the CPU count.
 *
 * A container runtime's own set-up (runc's init stages, named "runc:[0:PARENT]",
 * "runc:[1:CHILD]", "runc:[2:INIT]"; crun) runs in the container's cgroup
 * before the workload's execve: its calls go to a row of their own, kept
 * apart from the workload's — and, once the runtime installs the container's
 * seccomp filter, to a third row: the calls it makes under the filter before
 * the exec, which the profile must allow. The workload's exec renames the task,
 * and the exec hook makes the CPU work its verdict out again.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "observer_limits.h" /* shared with the loader */
#include "abi.bpf.h"

#define VERDICT_UNKNOWN 0
#define VERDICT_OUTSIDE 1
#define VERDICT_NO_SLOT 2
/* Otherwise where the slot's counters start (slot * SF_ALL_ROWS * SF_SLOTS)
 * plus, in the bits below SF_SLOTS, VERDICT_ROLE + the task's role: the
 * workload's (the fast path: add the ABI's row and the number, bump one
 * counter), the runtime's set-up, or the runtime after it installed the
 * container's filter (its hand-off). */
#define VERDICT_KIND (SF_SLOTS - 1)
#define VERDICT_ROLE 3
#define ROLE_WORKLOAD 0
#define ROLE_SETUP 1
#define ROLE_HANDOFF 2
_Static_assert((SF_SLOTS & (SF_SLOTS - 1)) == 0 && SF_SLOTS > VERDICT_ROLE + ROLE_HANDOFF, "the verdict's kind lives below SF_SLOTS");
_Static_assert((1ull << 16) * SF_ALL_ROWS * SF_SLOTS <= (1ull << 32), "65,536 slots' counter bases fit a verdict");

/* The observer's own process: never counted. */
const volatile __u32 observer_tgid = 0;
/* --cgroup-root: only cgroups at or below this one are observed (0: every cgroup). */
const volatile __u64 root_cgroup_id = 0;

/* What each CPU last worked out, and for what (syscount.bpf.c has the same). */
/* An anonymous type: the skeleton declares it with the data. */
struct {
	__u64 task;    /* the task_struct it was worked out for (0: none, or forgotten) */
	__u64 cset;    /* that task's css_set at the time */
	__u32 epoch;   /* `epoch` when slot_of and the task's role were read */
	__u32 verdict;
	__u64 pad[5];
} verdicts[SF_MAX_CPUS] = {};
_Static_assert(sizeof(verdicts[0]) == 64, "one cache line per CPU");
/* Bumped (atomically) by any task changing cgroups and by the loader releasing
 * a slot: no verdict worked out before holds. */
__u32 epoch = 0;

/* cgroup id → slot. Sized by the loader (the number of slots). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SF_ALL_DEFAULT_WORKLOADS);
	__type(key, __u64);
	__type(value, __u32);
} slot_of SEC(".maps");

/* Free slots; the loader pushes 0..N-1, and each slot back once it has drained it. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, SF_ALL_DEFAULT_WORKLOADS);
	__type(value, __u32);
} free_slots SEC(".maps");

/* Removed cgroups that held a slot, for the loader to drain and release. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, SF_ALL_DEFAULT_WORKLOADS);
	__type(value, __u64);
} gone SEC(".maps");

/* counts[(slot * SF_ALL_ROWS + row) * SF_SLOTS + nr]; read by the loader through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SF_ALL_DEFAULT_WORKLOADS * SF_ALL_ROWS * SF_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SF_ALL_HEALTH);
	__type(key, __u32);
	__type(value, __u64);
} health SEC(".maps");

/* Paths (below the hierarchy's root) of cgroups made while observing: a cgroup
 * that comes and goes between two reads is still named. */
struct cgroup_name {
	char path[SF_ALL_PATH_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SF_ALL_DEFAULT_WORKLOADS);
	__type(key, __u64);
	__type(value, struct cgroup_name);
} names SEC(".maps");

static __always_inline void note(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&health, &what);
	if (n)
		*n += 1;
}

/* The slot of a cgroup, taken from the free queue the first time it is seen; -1 when none is left. */
static __always_inline int slot_for(__u64 cgid)
{
	__u32 *found = bpf_map_lookup_elem(&slot_of, &cgid);
	if (found)
		return (int)*found;
	__u32 slot;
	if (bpf_map_pop_elem(&free_slots, &slot))
		return -1;
	if (bpf_map_update_elem(&slot_of, &cgid, &slot, BPF_NOEXIST)) {
		/* Another CPU gave it one first: use that, and return ours. */
		bpf_map_push_elem(&free_slots, &slot, BPF_ANY);
		found = bpf_map_lookup_elem(&slot_of, &cgid);
		return found ? (int)*found : -1;
	}
	return (int)slot;
}

/* runc's init stages ("runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]"), runc
 * itself, crun, and runc's copy of its own binary in a memfd ("memfd:runc_cloned:...",
 * the name 6.13 and later give an fexecve'd memfd), running in the container's
 * cgroup before they exec the workload. */
/* The first eight bytes of a string, and the next eight: names compared as two words. */
static __always_inline __u64 word(const char *text, int at)
{
	__u64 w;
	__builtin_memcpy(&w, text + at, sizeof(w));
	return w;
}

static __always_inline bool is_runtime(const char comm[16])
{
	if (comm[0] == 'r' && comm[1] == 'u' && comm[2] == 'n' && comm[3] == 'c' && (comm[4] == ':' || comm[4] == 0))
		return true;
	if (comm[0] == 'c' && comm[1] == 'r' && comm[2] == 'u' && comm[3] == 'n' && comm[4] == 0)
		return true;
	const char clone[16] = "memfd:runc_clon";
	return word(comm, 0) == word(clone, 0) && word(comm, 8) == word(clone, 8);
}

/* Tasks a runtime forked that have not yet executed anything of their own: runc
 * starts its init as /proc/self/exe ("exe"; runc 1.2 as /proc/self/fd/N, its
 * sealed copy) and names it "runc:[0:PARENT]" only once its code runs, so the
 * name alone would miss its first calls. A child inherits the mark. An exec
 * keeps it when the task executes the runtime again — through /proc/self/exe or
 * a descriptor (/proc/self/fd/N, /dev/fd/N: runc's sealed copy of itself) —
 * and otherwise turns it into ROLE_EXECUTED: the workload, whatever its name
 * (a workload binary named runc or crun is still the workload).
 * The role is ROLE_SETUP, or ROLE_HANDOFF once a filter was installed on the task:
 * its seccomp filter count went past the one it had when first seen (a count, not
 * the call, because libseccomp probes with seccomp(SECCOMP_SET_MODE_FILTER, flag,
 * NULL) calls that install nothing). */
#define ROLE_EXECUTED 3
struct runtime_mark_value {
	__u32 role;    /* 0: not yet set */
	__u32 filters; /* the task's seccomp filter count when it was first seen */
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct runtime_mark_value);
} runtime_mark SEC(".maps");

static __always_inline __u32 filters_of(struct task_struct *task)
{
	return (__u32)task->seccomp.filter_count.counter;
}

static __always_inline __u32 task_role(struct task_struct *task)
{
	struct runtime_mark_value *mark = bpf_task_storage_get(&runtime_mark, task, 0, 0);
	if (mark && mark->role)
		return mark->role == ROLE_EXECUTED ? ROLE_WORKLOAD : mark->role;
	char comm[16];
	__builtin_memcpy(comm, task->comm, sizeof(comm));
	return is_runtime(comm) ? ROLE_SETUP : ROLE_WORKLOAD;
}

static __always_inline __u32 verdict_for(struct task_struct *task, struct css_set *cset)
{
	if (observer_tgid != 0 && task->tgid == observer_tgid)
		return VERDICT_OUTSIDE;
	if (task->flags & 0x00200000 /* PF_KTHREAD */)
		return VERDICT_OUTSIDE;
	struct cgroup *cgrp = cset->dfl_cgrp;
	if (root_cgroup_id != 0) {
		/* Below the root? Compare ids on the way up (right inside a cgroup namespace too). */
		struct cgroup *c = cgrp;
		bool inside = false, ended = false;
		for (int d = 0; d < SF_MAX_DEPTH; d++) {
			if (!c) {
				ended = true;
				break;
			}
			if (c->kn->id == root_cgroup_id) {
				inside = true;
				break;
			}
			struct cgroup_subsys_state *up = c->self.parent;
			c = up ? up->cgroup : NULL;
		}
		if (!inside) {
			if (!ended && c)
				note(SF_ALL_TOO_DEEP);
			return VERDICT_OUTSIDE;
		}
	}
	__u64 cgid = cgrp->kn->id;
	int slot = slot_for(cgid);
	if (slot < 0)
		return VERDICT_NO_SLOT;
	return (__u32)slot * SF_ALL_ROWS * SF_SLOTS + VERDICT_ROLE + task_role(task);
}

/* The current task's role changed (an exec, a filter installed): this CPU works
 * its verdict out again. Only this CPU writes its slot. */
static __always_inline int forget_this_cpu(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	if (cpu < SF_MAX_CPUS)
		verdicts[cpu & (SF_MAX_CPUS - 1)].task = 0;
	return 0;
}

/* A runtime task's call: has a filter been installed on it since it was first seen?
 * From then on its calls are the hand-off. */
static __always_inline __u32 runtime_row(struct task_struct *task)
{
	struct runtime_mark_value *mark = bpf_task_storage_get(&runtime_mark, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!mark)
		return SF_ALL_RUNTIME_ROW;
	__u32 filters = filters_of(task);
	if (mark->role == 0) {
		mark->role = ROLE_SETUP;
		mark->filters = filters;
		return SF_ALL_RUNTIME_ROW;
	}
	if (mark->role == ROLE_SETUP && filters > mark->filters) {
		mark->role = ROLE_HANDOFF;
		forget_this_cpu();
		return SF_ALL_HANDOFF_ROW;
	}
	return mark->role == ROLE_HANDOFF ? SF_ALL_HANDOFF_ROW : SF_ALL_RUNTIME_ROW;
}

static __always_inline void count_at(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Everything but the fast path, in a subprogram so the fast path keeps few
 * registers: a CPU whose verdict was worked out for another task, css_set or
 * epoch (worked out here and kept) or beyond the verdict slots (worked out at
 * every call), a cgroup without a slot, the runtime's calls, x32 and
 * out-of-table numbers. `v` is VERDICT_UNKNOWN when it must be worked out. */
static __noinline int count_slow(__u32 v, long id, bool btf)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (v == VERDICT_UNKNOWN) {
		__u32 seen = epoch; /* before what it guards (syscount.bpf.c) */
		struct css_set *cset = task->cgroups;
		v = verdict_for(task, cset);
		__u32 cpu = bpf_get_smp_processor_id();
		if (cpu < SF_MAX_CPUS) {
			typeof(verdicts[0]) *mine = &verdicts[cpu & (SF_MAX_CPUS - 1)];
			mine->task = (__u64)task;
			mine->cset = (__u64)cset;
			mine->epoch = seen;
			mine->verdict = v;
		}
	}
	if (v == VERDICT_OUTSIDE)
		return 0;
	if (v == VERDICT_NO_SLOT) {
		note(SF_ALL_NO_SLOT);
		return 0;
	}
	__u32 role = (v & VERDICT_KIND) - VERDICT_ROLE; /* task_role's: 0 to 2 */
	__u64 nr = (__u64)id;
	__u32 row;
	if (role == ROLE_WORKLOAD)
		row = abi_of(task, &nr, btf);
	else if (role == ROLE_SETUP)
		row = runtime_row(task);
	else
		row = SF_ALL_HANDOFF_ROW;
	if (nr >= SF_SLOTS) {
		note(SF_ALL_BEYOND_TABLE);
		return 0;
	}
	count_at((v & ~(__u32)VERDICT_KIND) + row * SF_SLOTS + (__u32)nr);
	return 0;
}

/* The path every call takes: a CPU-id read (inlined), the current task (a
 * helper call), its css_set pointer and three compares against what the CPU last worked out; for
 * a task not observed that is all, for a workload's task its ABI (TS_COMPAT)
 * and one atomic add. */
static __always_inline int on_sys_enter(long id, bool btf)
{
	__u32 cpu = bpf_get_smp_processor_id();
	if (cpu >= SF_MAX_CPUS)
		return count_slow(VERDICT_UNKNOWN, id, btf);
	struct task_struct *task = bpf_get_current_task_btf();
	typeof(verdicts[0]) *last = &verdicts[cpu & (SF_MAX_CPUS - 1)];
	if (last->task != (__u64)task || last->cset != (__u64)task->cgroups || last->epoch != epoch)
		return count_slow(VERDICT_UNKNOWN, id, btf);
	__u32 v = last->verdict;
	if (v == VERDICT_OUTSIDE)
		return 0;
	__u64 nr = (__u64)id;
	if ((v & VERDICT_KIND) != VERDICT_ROLE + ROLE_WORKLOAD || nr >= SF_SLOTS)
		return count_slow(v, id, btf);
	/* nr < SF_SLOTS: not an x32 number, so abi_of only reads the compat status. */
	__u32 abi = abi_of(task, &nr, btf);
	count_at((v & ~(__u32)VERDICT_KIND) + abi * SF_SLOTS + (__u32)nr);
	return 0;
}

static __always_inline int new_epoch(void)
{
	__sync_fetch_and_add(&epoch, 1);
	return 0;
}


static __always_inline int on_mkdir(struct cgroup *cgrp, const char *path)
{
	__u64 cgid = BPF_CORE_READ(cgrp, kn, id);
	struct cgroup_name name = {};
	bpf_probe_read_kernel_str(name.path, sizeof(name.path), path);
	bpf_map_update_elem(&names, &cgid, &name, BPF_ANY);
	return 0;
}

static __always_inline int on_rmdir(struct cgroup *cgrp)
{
	__u64 cgid = BPF_CORE_READ(cgrp, kn, id);
	if (bpf_map_lookup_elem(&slot_of, &cgid)) {
		if (bpf_map_push_elem(&gone, &cgid, BPF_ANY))
			note(SF_ALL_GONE_DROPPED);
	} else {
		bpf_map_delete_elem(&names, &cgid);
	}
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(all_count_btf, struct pt_regs *regs, long id) { return on_sys_enter(id, true); }
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(all_moved_btf) { return new_epoch(); }
SEC("tp_btf/sched_process_exec")
int BPF_PROG(all_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* An exec ends the runtime's part unless it executes the runtime again (above):
	 * runc's init joins the container's cgroup before its first calls, which mount a
	 * sealed copy of itself, so the mark must hold through those execs. */
	struct runtime_mark_value *mark = bpf_task_storage_get(&runtime_mark, p, 0, 0);
	if (mark && mark->role != ROLE_EXECUTED) {
		char path[16] = {};
		bpf_probe_read_kernel_str(path, sizeof(path), bprm->filename);
		const char self[16] = "/proc/self/exe", fd[16] = "/proc/self/fd/", devfd[16] = "/dev/fd/";
		__u64 head = word(path, 0), tail = word(path, 8);
		bool again = (head == word(self, 0) && tail == word(self, 8)) ||
			     (head == word(fd, 0) && (tail & 0xffffffffffffull) == (word(fd, 8) & 0xffffffffffffull)) ||
			     head == word(devfd, 0);
		if (!again)
			mark->role = ROLE_EXECUTED;
	}
	return forget_this_cpu();
}
SEC("tp_btf/sched_process_fork")
int BPF_PROG(all_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	__u32 role = task_role(parent);
	if (role != ROLE_WORKLOAD) {
		/* Both loads first: the verifier refuses one load instruction on two kinds of pointer. */
		__u32 parent_filters = filters_of(parent);
		struct runtime_mark_value *from = bpf_task_storage_get(&runtime_mark, parent, 0, 0);
		__u32 base = parent_filters;
		if (from && from->role)
			base = from->filters;
		struct runtime_mark_value *mark = bpf_task_storage_get(&runtime_mark, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (mark) {
			mark->role = role;
			mark->filters = base;
		}
	}
	return 0;
}
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(all_mkdir_btf, struct cgroup *cgrp, const char *path) { return on_mkdir(cgrp, path); }
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(all_rmdir_btf, struct cgroup *cgrp, const char *path) { return on_rmdir(cgrp); }

#ifdef HAVE_VSYSCALL_PAGE
/* A call through the vsyscall page, counted as the call it stands for (abi.bpf.h). */
SEC("tp_btf/emulate_vsyscall")
int BPF_PROG(all_vsyscall_btf, int index)
{
	long nr = vsyscall_call(index);
	return nr < 0 ? 0 : on_sys_enter(nr, true);
}
#endif

char LICENSE[] SEC("license") = "GPL";
