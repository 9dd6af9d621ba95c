/* call-n-times NAME|NUMBER N: makes exactly N calls of one harmless syscall,
 * or of a raw number (an x32 number, one beyond every table: calls the kernel
 * answers ENOSYS), then exits. Built 64-bit and -m32, for the observer's
 * exactness tests. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: call-n-times getppid|getpgrp|sched_yield|NUMBER N\n");
		return 2;
	}
	long nr;
	if (!strcmp(argv[1], "getppid"))
		nr = SYS_getppid;
	else if (!strcmp(argv[1], "getpgrp"))
		nr = SYS_getpgrp;
	else if (!strcmp(argv[1], "sched_yield"))
		nr = SYS_sched_yield;
	else {
		char *end;
		nr = strtol(argv[1], &end, 0);
		if (*argv[1] == '\0' || *end != '\0')
			return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	for (long i = 0; i < n; i++)
		syscall(nr);
	return 0;
}
