// SPDX-License-Identifier: GPL-2.0
/* empty.bpf.c: does nothing on every sys_enter. The benchmark's floor: what
 * any tp_btf observer costs before it does any work. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
