/* Inside CObserver only: libbpf's messages kept for --verbose (observer.c). */
#ifndef SECCOMP_FORGE_LIBBPF_LOG_H
#define SECCOMP_FORGE_LIBBPF_LOG_H
#include <bpf/libbpf.h>
#include <stdarg.h>

/* Empties the kept log and routes libbpf's messages into it. */
void sf_start_libbpf_log(void);
int sf_keep_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args);

#endif
