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
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* The signal mask from before sf_signals_open: the command starts with it. */
static sigset_t saved_mask;
static bool mask_saved;

/* What the child needs; it runs on its own small stack in the parent's memory. */
struct child_args {
	pid_t parent;
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
	/* Without its supervisor the filter's reported outcomes could not be applied: fail closed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != a->parent)
		_exit(125);
	if (mask_saved)
		sigprocmask(SIG_SETMASK, &saved_mask, NULL);
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
		.parent = getpid(), .path = path, .argv = argv, .envp = envp,
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

int sf_signals_open(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &set, &saved_mask) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	mask_saved = true;
	return fd;
}

int sf_signals_read(int fd, bool *from_kernel)
{
	struct signalfd_siginfo info;
	ssize_t n = read(fd, &info, sizeof(info));
	if (n != (ssize_t)sizeof(info))
		return n < 0 ? -errno : -EIO;
	*from_kernel = info.ssi_code == SI_KERNEL;
	return (int)info.ssi_signo;
}

int sf_wait(int pidfd, int listener, int signals, int timeout_ms)
{
	struct pollfd fds[3] = {
		{ .fd = pidfd, .events = POLLIN },
		{ .fd = listener, .events = POLLIN }, /* poll skips negative fds */
		{ .fd = signals, .events = POLLIN },
	};
	int n = poll(fds, 3, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (signals >= 0 && (fds[2].revents & POLLIN))
		return 3;
	if (listener >= 0 && (fds[1].revents & POLLIN))
		return 2;
	return 1;
}
