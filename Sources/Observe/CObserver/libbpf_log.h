/* Inside CObserver only: libbpf's messages kept for --verbose, and what both loaders ask
 * of the kernel (observer.c). */
#ifndef SECCOMP_FORGE_LIBBPF_LOG_H
#define SECCOMP_FORGE_LIBBPF_LOG_H
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>

/* Empties the kept log and routes libbpf's messages into it. */
void sf_start_libbpf_log(void);
int sf_keep_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args);

/* Whether the kernel has the vsyscall page's emulation tracepoint (calls through the
 * page never reach sys_enter); looked up once, since each lookup parses the kernel's BTF. */
bool sf_kernel_emulates_vsyscall(void);

/* Runs the kernel skipped of the loaded ones among `progs` (their recursion misses: a
 * program already running on that CPU), summed: each a call not counted. */
uint64_t sf_runs_skipped(struct bpf_program *const *progs, int n);

#endif
