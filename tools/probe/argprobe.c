/*
 * argprobe: a workload whose profile is learned, then the same program turned
 * hostile under that profile, trying the calls whose arguments decide what
 * they do (the argument-level profile tests).
 *
 *   argprobe learn    a thread, a subprocess (posix_spawn), an AF_UNIX socket,
 *                     a pseudo-terminal and its TCGETS: what the profile learns
 *   argprobe attack   the same, then new namespaces through clone3, clone and
 *                     unshare, an AF_INET socket, TIOCSTI into the terminal;
 *                     one line per attempt: "NAME errno=N" (0: it succeeded)
 *   argprobe socketcall-learn / socketcall-attack
 *                     (32-bit build) socketcall(SYS_SOCKET) only; then also
 *                     socketcall(SYS_SOCKETPAIR), a call number never made
 *
 * Unconfined as root every attempt succeeds (the tests' control), so a
 * refusal under the profile is the filter's. Namespaces are made in
 * children that exit at once; the unshare runs in a child too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static void *thread_main(void *arg) { return arg; }

/* What the workload does, learned or attacking: 0 when every step worked. */
static int workload(int *terminal)
{
	pthread_t thread;
	if (pthread_create(&thread, NULL, thread_main, NULL) != 0 || pthread_join(thread, NULL) != 0) {
		fprintf(stderr, "argprobe: thread failed\n");
		return 1;
	}
	pid_t child;
	char *argv[] = {"true", NULL};
	int status;
	if (posix_spawn(&child, "/bin/true", NULL, NULL, argv, environ) != 0 || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "argprobe: subprocess failed: %s\n", strerror(errno));
		return 1;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		fprintf(stderr, "argprobe: AF_UNIX socket: %s\n", strerror(errno));
		return 1;
	}
	close(s);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		fprintf(stderr, "argprobe: pseudo-terminal: %s\n", strerror(errno));
		return 1;
	}
	const char *name = ptsname(master);
	int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	struct termios t;
	if (slave < 0 || ioctl(slave, TCGETS, &t) != 0) {
		fprintf(stderr, "argprobe: TCGETS: %s\n", strerror(errno));
		return 1;
	}
	*terminal = slave;
	return 0;
}

/* Reaps a child that exits at once; the errno of the call that made it, 0 if it worked. */
static int made_child(long r)
{
	if (r == 0)
		_exit(0);
	if (r < 0)
		return errno;
	waitpid((pid_t)r, NULL, __WALL);
	return 0;
}

static int attack(void)
{
	int terminal = -1;
	if (workload(&terminal) != 0)
		return 1;
	printf("workload ok\n");

	struct clone_args args;
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWUSER | CLONE_NEWNS;
	args.exit_signal = SIGCHLD;
	errno = 0;
	printf("clone3-newuser-newns errno=%d\n", made_child(syscall(SYS_clone3, &args, sizeof(args))));

	/* No stack given: the child runs on a copy of ours, as after fork. */
	errno = 0;
	printf("clone-newuser errno=%d\n", made_child(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)));

	pid_t child = fork();
	if (child == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	int status = 0;
	waitpid(child, &status, 0);
	printf("unshare-newuser errno=%d\n", child < 0 ? errno : WIFEXITED(status) ? WEXITSTATUS(status) : 255);

	errno = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	printf("socket-inet errno=%d\n", s < 0 ? errno : 0);

	struct termios t;
	printf("ioctl-tcgets errno=%d\n", ioctl(terminal, TCGETS, &t) == 0 ? 0 : errno);
	char c = ' ';
	printf("ioctl-tiocsti errno=%d\n", ioctl(terminal, TIOCSTI, &c) == 0 ? 0 : errno);
	return 0;
}

#ifdef SYS_socketcall
/* linux/net.h's call numbers. */
#define CALL_SOCKET 1
#define CALL_SOCKETPAIR 8

static int socketcall_socket(void)
{
	unsigned long a[3] = {AF_UNIX, SOCK_STREAM, 0};
	long fd = syscall(SYS_socketcall, CALL_SOCKET, a);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static int socketcall_socketpair(void)
{
	int sv[2];
	unsigned long a[4] = {AF_UNIX, SOCK_STREAM, 0, (unsigned long)(uintptr_t)sv};
	if (syscall(SYS_socketcall, CALL_SOCKETPAIR, a) < 0)
		return errno;
	close(sv[0]);
	close(sv[1]);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "learn") == 0) {
		int terminal;
		if (workload(&terminal) != 0)
			return 1;
		printf("workload ok\n");
		return 0;
	}
	if (strcmp(mode, "attack") == 0)
		return attack();
#ifdef SYS_socketcall
	if (strcmp(mode, "socketcall-learn") == 0) {
		int e = socketcall_socket();
		printf("socketcall-socket errno=%d\n", e);
		return e != 0;
	}
	if (strcmp(mode, "socketcall-attack") == 0) {
		printf("socketcall-socket errno=%d\n", socketcall_socket());
		printf("socketcall-socketpair errno=%d\n", socketcall_socketpair());
		return 0;
	}
#endif
	fprintf(stderr, "usage: argprobe learn|attack|socketcall-learn|socketcall-attack\n");
	return 2;
}
