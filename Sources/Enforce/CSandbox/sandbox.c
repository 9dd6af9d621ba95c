#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <fcntl.h>
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
	bool use_execveat;
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
	/* The command does not outlive the sandbox that started it (as under a shell's job control). */
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
	if (a->use_execveat)
		syscall(SYS_execveat, AT_FDCWD, a->path, a->argv, a->envp, 0);
	else
		execve(a->path, a->argv, a->envp);
	a->exec_errno = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

int sf_launch(const char *path, char *const argv[], char *const envp[], const struct sf_filter_insn *filter,
	      uint16_t count, unsigned int flags, bool use_execveat, struct sf_launch *out)
{
	static const size_t stack_size = 64 * 1024;
	struct child_args a = {
		.parent = getpid(), .path = path, .argv = argv, .envp = envp,
		.prog = { .len = count, .filter = (struct sock_filter *)filter },
		.flags = SECCOMP_FILTER_FLAG_TSYNC | flags, .use_execveat = use_execveat, .listener = -1,
	};
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		a.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
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

int sf_wait(int pidfd, int listener, int signals, int kernel_log, int proc_events, int timeout_ms)
{
	struct pollfd fds[5] = {
		{ .fd = pidfd, .events = POLLIN },
		{ .fd = listener, .events = POLLIN }, /* poll skips negative fds */
		{ .fd = signals, .events = POLLIN },
		{ .fd = kernel_log, .events = POLLIN },
		{ .fd = proc_events, .events = POLLIN },
	};
	int n = poll(fds, 5, timeout_ms);
	if (n < 0)
		return -errno;
	int events = 0;
	if (pidfd >= 0 && fds[0].revents)
		events |= SF_EXITED;
	if (listener >= 0 && (fds[1].revents & POLLIN))
		events |= SF_NOTIFICATION;
	if (listener >= 0 && (fds[1].revents & (POLLHUP | POLLERR)))
		events |= SF_LISTENER_GONE;
	if (signals >= 0 && (fds[2].revents & POLLIN))
		events |= SF_SIGNAL;
	if (kernel_log >= 0 && fds[3].revents)
		events |= SF_KERNEL_LOG;
	if (proc_events >= 0 && fds[4].revents)
		events |= SF_PROC_EVENTS;
	return events;
}

int sf_hand_over_listener(const char *socket_path, const char *state, size_t length, int listener)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, socket_path);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;
		close(sock);
		return -e;
	}
	char control[CMSG_SPACE(sizeof(int))];
	memset(control, 0, sizeof(control));
	struct iovec iov = { .iov_base = (void *)state, .iov_len = length };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
	ssize_t sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
	int e = errno;
	close(sock);
	if (sent < 0)
		return -e;
	return sent == (ssize_t)length ? 0 : -EMSGSIZE;
}

int sf_memfd(const char *name)
{
	int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void sf_make_undumpable(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int sf_proc_events_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		goto fail;
	int size = 4 << 20; /* room for a burst of forks elsewhere on the host */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct {
		struct nlmsghdr header;
		struct cn_msg message;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) request;
	memset(&request, 0, sizeof(request));
	request.header.nlmsg_len = sizeof(request);
	request.header.nlmsg_type = NLMSG_DONE;
	request.header.nlmsg_pid = (uint32_t)getpid();
	request.message.id.idx = CN_IDX_PROC;
	request.message.id.val = CN_VAL_PROC;
	request.message.len = sizeof(request.op);
	request.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &request, sizeof(request), 0) != (ssize_t)sizeof(request))
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

int sf_proc_events_read(int fd, struct sf_fork *forks, int capacity)
{
	int count = 0;
	char buffer[8192] __attribute__((aligned(8)));
	while (count < capacity) {
		ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno; /* ENOBUFS: events were lost */
		}
		struct nlmsghdr *header = (struct nlmsghdr *)buffer;
		for (; NLMSG_OK(header, (size_t)n) && count < capacity; header = NLMSG_NEXT(header, n)) {
			if (header->nlmsg_type != NLMSG_DONE)
				continue;
			struct cn_msg *message = NLMSG_DATA(header);
			if (message->id.idx != CN_IDX_PROC || message->id.val != CN_VAL_PROC)
				continue;
			struct proc_event *event = (struct proc_event *)message->data;
			if (event->what != PROC_EVENT_FORK)
				continue;
			forks[count].parent = event->event_data.fork.parent_tgid;
			forks[count].child = event->event_data.fork.child_tgid;
			count++;
		}
	}
	return count;
}

int sf_audit_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0)
		return -errno;
	/* AUDIT_NLGRP_READLOG (group 1): a read-only copy of every record, sent by
	 * kauditd before (and whatever) the log or an audit daemon does with it. */
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int size = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}
