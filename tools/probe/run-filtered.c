/* run-filtered FILTER.bpf CMD [ARGS...]: installs a raw seccomp filter
 * (struct sock_filter[], as seccomp-profile compile writes it) in itself,
 * then executes CMD under it. A test stand-in for a sandbox: the filter must
 * let the execve through. Exits 125 if the filter cannot be installed. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: run-filtered FILTER.bpf CMD [ARGS...]\n");
		return 125;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "run-filtered: %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	static struct sock_filter insns[4096];
	size_t n = fread(insns, sizeof(insns[0]), 4096, f);
	fclose(f);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		fprintf(stderr, "run-filtered: installing the filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[2], argv + 2);
	return errno == ENOENT ? 127 : 126;
}
