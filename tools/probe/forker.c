/*
 * forker N SPACING_US HOLD_MS: forks N children SPACING_US apart. Each child
 * waits until the parent, HOLD_MS after the last fork, closes a pipe; then it
 * calls getppid once and exits. The parent calls no getppid itself: a tree
 * observer that saw every child counts exactly N. Used to observe a process
 * while it forks (children forked as the observer seeds its tree).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: forker N SPACING_US HOLD_MS\n");
		return 2;
	}
	int n = atoi(argv[1]);
	useconds_t spacing = (useconds_t)atoi(argv[2]);
	int hold_ms = atoi(argv[3]);
	int gate[2];
	if (pipe(gate) != 0) {
		perror("pipe");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char c;
			close(gate[1]);
			while (read(gate[0], &c, 1) > 0) {
			}
			syscall(SYS_getppid);
			_exit(0);
		}
		usleep(spacing);
	}
	usleep((useconds_t)hold_ms * 1000);
	close(gate[1]);
	int failed = 0, status;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	printf("%d children, %d failed\n", n, failed);
	return failed != 0;
}
