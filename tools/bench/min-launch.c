/*
 * min-launch: the least a launcher can do to start a command under a seccomp
 * filter, as the launch benchmark's floor: read a compiled filter (the raw
 * struct sock_filter array that `seccomp-profile compile -o FILE` writes),
 * set no_new_privs, install the filter, and execve the command in this very
 * process (no fork, no supervisor, nothing reported).
 *
 * Usage: min-launch FILTER COMMAND [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* BPF_MAXINSNS: the kernel's limit on one filter's length. */
static struct sock_filter insns[4096];

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: min-launch FILTER COMMAND [ARGS...]\n");
		return 125;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "min-launch: %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	size_t size = 0;
	for (;;) {
		ssize_t n = read(fd, (char *)insns + size, sizeof(insns) - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "min-launch: %s: %s\n", argv[1], strerror(errno));
			return 125;
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size == sizeof(insns))
			break;
	}
	close(fd);
	if (size == 0 || size % sizeof(insns[0]) != 0) {
		fprintf(stderr, "min-launch: %s: not a compiled filter (%zu bytes)\n", argv[1], size);
		return 125;
	}
	struct sock_fprog prog = { .len = (unsigned short)(size / sizeof(insns[0])), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		fprintf(stderr, "min-launch: installing the filter: %s\n", strerror(errno));
		return 125;
	}
	execv(argv[2], argv + 2);
	fprintf(stderr, "min-launch: %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
