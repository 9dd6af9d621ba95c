#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* What the child needs; it runs on its own small stack in the parent's memory. */
struct child_args {
	const char *path;
	char *const *argv;
	char *const *envp;
	struct sock_fprog prog;
	unsigned long flags;
	volatile int listener;
	volatile int install_errno;
	volatile int exec_errno;
};

/* The child, between clone and execve: raw system calls only. It shares the
 * parent's memory and file table (so the listener fd it creates is the
 * parent's too, and survives the exec, which unshares the table), and the
 * parent sleeps (CLONE_VFORK) until the execve succeeds or the child exits. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore); /* a SIGSYS kill leaves no core file */
	long fd = -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, a->flags, &a->prog);
	if (fd < 0) {
		a->install_errno = errno;
		_exit(125);
	}
	a->listener = (a->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int)fd : -1;
	execve(a->path, a->argv, a->envp);
	a->exec_errno = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

int sf_launch(const char *path, char *const argv[], char *const envp[], const struct sf_filter_insn *filter,
	      uint16_t count, bool listener, struct sf_launch *out)
{
	static const size_t stack_size = 64 * 1024;
	struct child_args a = {
		.path = path, .argv = argv, .envp = envp,
		.prog = { .len = count, .filter = (struct sock_filter *)filter },
		.flags = SECCOMP_FILTER_FLAG_TSYNC, .listener = -1,
	};
	if (listener)
		a.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	int pidfd = -1;
	pid_t pid = clone(child_main, stack + stack_size, CLONE_VM | CLONE_FILES | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
			  &a, &pidfd);
	int e = errno;
	munmap(stack, stack_size);
	if (pid < 0)
		return -e;
	out->pid = pid;
	out->pidfd = pidfd;
	out->listener = a.listener;
	out->install_errno = a.install_errno;
	out->exec_errno = a.exec_errno;
	return 0;
}

int sf_notify_receive(int listener, struct sf_notification *out)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -errno;
	out->id = req.id;
	out->pid = req.pid;
	out->nr = req.data.nr;
	out->arch = req.data.arch;
	out->ip = req.data.instruction_pointer;
	for (int i = 0; i < 6; i++)
		out->args[i] = req.data.args[i];
	return 0;
}

int sf_notify_respond(int listener, uint64_t id, int error, bool allow)
{
	struct seccomp_notif_resp resp;
	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	if (allow)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		resp.error = -error;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
		return -errno;
	return 0;
}

int sf_wait(int pidfd, int listener, int timeout_ms)
{
	struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = listener, .events = POLLIN } };
	int n = poll(fds, listener >= 0 ? 2 : 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (listener >= 0 && (fds[1].revents & POLLIN))
		return 2;
	return 1;
}
