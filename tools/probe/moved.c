/* moved CGROUP ROUNDS N: a running process that another one moves between
 * cgroups. CGROUP is a v2 path as /proc/self/cgroup shows it ("/a/b"). Each
 * round it polls /proc/self/cgroup (open, read, close) until it is in CGROUP,
 * then calls getppid N times; then it polls until it is out of CGROUP again and
 * calls getpgrp N times. Nothing else calls either, so an observer of CGROUP
 * that counts every call the kernel made while the task was in it has exactly
 * ROUNDS x N getppid calls and no getpgrp call (calls made from the moment the
 * kernel had the task in the cgroup: /proc/self/cgroup shows the move only once
 * the kernel made it). Prints "ready" before it polls, "in" after its getppid
 * calls and "out" after its getpgrp calls, for the mover to wait on; exits 0
 * after the rounds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int inside(const char *want)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		exit(3);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		exit(3);
	buf[n] = 0;
	/* The v2 line: "0::/path\n". */
	char *line = strstr(buf, "0::");
	if (line != buf && (!line || line[-1] != '\n'))
		line = NULL;
	if (!line)
		exit(3);
	line += 3;
	size_t len = strcspn(line, "\n");
	return len == strlen(want) && !strncmp(line, want, len);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: moved CGROUP ROUNDS N\n");
		return 2;
	}
	const char *want = argv[1];
	long rounds = atol(argv[2]), n = atol(argv[3]);
	printf("ready\n");
	fflush(stdout);
	for (long r = 0; r < rounds; r++) {
		while (!inside(want))
			;
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		printf("in\n");
		fflush(stdout);
		while (inside(want))
			;
		for (long i = 0; i < n; i++)
			syscall(SYS_getpgrp);
		printf("out\n");
		fflush(stdout);
	}
	return 0;
}
