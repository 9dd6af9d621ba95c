/* hostile MODE...: what a confined program that wants out would try, each
 * printing one line a test can check. Modes:
 *   sigsys-ignore | sigsys-block | sigsys-handle  then makes ptrace(PTRACE_PEEKUSER)
 *       after setting SIGSYS to SIG_IGN, blocking it, or catching it, and prints
 *       "survived" if it is still running afterwards.
 *   steal   looks at its parent: opens /proc/PPID/mem for writing and takes each
 *       of the parent's fds with pidfd_getfd; prints "mem-writable" or
 *       "mem-refused ERRNO", and "listener-taken FD" for a seccomp notify fd.
 *   background PATH  forks; the parent exits at once; the child waits 300 ms,
 *       makes mkdir (which the tests' profiles deny with an errno), writes
 *       "mkdir ret=R errno=E" to PATH, then makes ptrace (which they kill) and
 *       appends "survived" if that returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_sigsys(int sig) { (void)sig; }

static void forbidden(void)
{
	syscall(SYS_ptrace, 3L, (long)getpid(), 0L, 0L);
}

static int steal(void)
{
	pid_t parent = getppid();
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", parent);
	int mem = open(path, O_RDWR);
	if (mem >= 0)
		printf("mem-writable\n");
	else
		printf("mem-refused %d\n", errno);
	int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
	if (pidfd < 0) {
		printf("pidfd-refused %d\n", errno);
		return 0;
	}
	int taken = 0, refused = 0;
	for (int fd = 0; fd < 64; fd++) {
		int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (mine < 0) {
			if (errno != EBADF)
				refused = errno;
			continue;
		}
		taken++;
		char link[64], target[256];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", mine);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (strstr(target, "seccomp notify"))
				printf("listener-taken %d\n", fd);
		}
		close(mine);
	}
	printf("getfd taken=%d refused-errno=%d\n", taken, refused);
	return 0;
}

static int background(const char *path)
{
	pid_t child = fork();
	if (child != 0)
		return child < 0 ? 1 : 0;
	usleep(300 * 1000);
	FILE *out = fopen(path, "w");
	if (!out)
		_exit(1);
	long ret = syscall(SYS_mkdir, "/proc/seccomp-forge-probe", 0700);
	fprintf(out, "mkdir ret=%ld errno=%d\n", ret, ret == -1 ? errno : 0);
	fflush(out);
	forbidden();
	fprintf(out, "survived\n");
	fclose(out);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	if (!strcmp(mode, "steal"))
		return steal();
	if (!strcmp(mode, "background") && argc > 2)
		return background(argv[2]);
	if (!strcmp(mode, "sigsys-ignore")) {
		signal(SIGSYS, SIG_IGN);
	} else if (!strcmp(mode, "sigsys-block")) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_BLOCK, &set, NULL);
	} else if (!strcmp(mode, "sigsys-handle")) {
		struct sigaction action;
		memset(&action, 0, sizeof(action));
		action.sa_handler = on_sigsys;
		sigaction(SIGSYS, &action, NULL);
	} else {
		return 2;
	}
	forbidden();
	printf("survived\n");
	return 0;
}
