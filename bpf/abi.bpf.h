// SPDX-License-Identifier: GPL-2.0
/*
 * abi.bpf.h: the ABI model shared by the eBPF programs (syscount.bpf.c,
 * workloads.bpf.c). Include after vmlinux.h and the libbpf headers; ABI_NATIVE
 * is slot 0.
 */
#ifndef SECCOMP_FORGE_ABI_BPF_H
#define SECCOMP_FORGE_ABI_BPF_H

#define ABI_NATIVE 0

/* The ABI model, one block per architecture: which ABI slot a call goes to
 * (0 native, then the compat ABIs in the loader's table, Observer's
 * `SyscallObserver.abis`) and its number within that ABI, for the current task
 * (`btf`: read through BTF, else with CO-RE probe reads). Read only for tasks
 * the verdict says are observed. */
#if defined(__TARGET_ARCH_x86)
/* TS_COMPAT (arch/x86/include/asm/thread_info.h): set by every 32-bit entry
 * (int 0x80, sysenter, 32-bit syscall), also int 0x80 from 64-bit code. It is
 * what seccomp reads (in_ia32_syscall) to pick AUDIT_ARCH_I386, so it is what
 * names the call here. x32 calls carry __X32_SYSCALL_BIT in their number. */
#define TS_COMPAT 0x0002
#define X32_SYSCALL_BIT 0x40000000
static __always_inline __u32 abi_of(struct task_struct *task, __u64 *nr, bool btf)
{
	__u32 status = btf ? task->thread_info.status : BPF_CORE_READ(task, thread_info.status);
	if (status & TS_COMPAT)
		return 1; /* i386 */
	if (*nr & X32_SYSCALL_BIT) {
		*nr &= ~(__u64)X32_SYSCALL_BIT;
		return 2; /* x32 */
	}
	return ABI_NATIVE;
}

/* Calls through the legacy vsyscall page (fixed addresses for gettimeofday,
 * time and getcpu) never enter the syscall path, so sys_enter never sees them:
 * the kernel emulates them at the page fault, where seccomp checks them as the
 * x86_64 calls they stand for. The emulation has a tracepoint of its own
 * (vsyscall:emulate_vsyscall, its argument the entry's index: -1 for a bad
 * address); this is the call each index stands for. It fires before the
 * emulation's own checks (a bad stack or output pointer ends in SIGSEGV
 * before seccomp is asked), so such a broken call is counted too: a profile
 * may allow a vsyscall call seccomp never saw, never the reverse. */
#define HAVE_VSYSCALL_PAGE 1
static __always_inline long vsyscall_call(int index)
{
	switch (index) {
	case 0: return 96;  /* gettimeofday */
	case 1: return 201; /* time */
	case 2: return 309; /* getcpu */
	}
	return -1;
}
#elif defined(__TARGET_ARCH_arm64)
/* TIF_32BIT (arch/arm64/include/asm/thread_info.h): an AArch32 task, whose
 * calls seccomp checks as AUDIT_ARCH_ARM. */
#define TIF_32BIT 22
static __always_inline __u32 abi_of(struct task_struct *task, __u64 *nr, bool btf)
{
	unsigned long flags = btf ? task->thread_info.flags : BPF_CORE_READ(task, thread_info.flags);
	return (flags & (1UL << TIF_32BIT)) ? 1 : ABI_NATIVE; /* arm */
}
#else
/* Architectures without a compat ABI here: every call is native. */
static __always_inline __u32 abi_of(struct task_struct *task, __u64 *nr, bool btf) { return ABI_NATIVE; }
#endif

#endif
