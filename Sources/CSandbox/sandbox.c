#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <linux/filter.h>
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

/* Shared between parent and child until the child executes. */
struct handoff {
	volatile int stage; /* 0 starting, 1 installed, 2 refused, 3 parent has the listener */
	volatile int listener;
	volatile int err;
};

int sf_launch(const char *path, char *const argv[], char *const envp[], const struct sf_filter_insn *filter,
	      uint16_t count, bool listener, struct sf_launch *out)
{
	struct handoff *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return -errno;
	memset(h, 0, sizeof(*h));
	out->listener = -1;
	out->install_errno = 0;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		munmap(h, sizeof(*h));
		return -e;
	}
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		struct sock_fprog prog = { .len = count, .filter = (struct sock_filter *)filter };
		unsigned long flags = SECCOMP_FILTER_FLAG_TSYNC;
		if (listener)
			flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
		setrlimit(RLIMIT_CORE, &nocore); /* a SIGSYS kill leaves no core file */
		long fd = -1;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
			fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
		if (fd < 0) {
			h->err = errno;
			__atomic_store_n(&h->stage, 2, __ATOMIC_RELEASE);
			_exit(125);
		}
		h->listener = listener ? (int)fd : -1;
		__atomic_store_n(&h->stage, 1, __ATOMIC_RELEASE);
		/* From here on every system call passes the filter: wait without one. */
		while (listener && __atomic_load_n(&h->stage, __ATOMIC_ACQUIRE) != 3)
			__builtin_ia32_pause();
		execve(path, argv, envp);
		_exit(errno == ENOENT ? 127 : 126);
	}
	out->pid = pid;
	out->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int stage;
	while ((stage = __atomic_load_n(&h->stage, __ATOMIC_ACQUIRE)) == 0)
		usleep(20);
	if (stage == 2) {
		out->install_errno = h->err;
	} else if (listener) {
		out->listener = (int)syscall(SYS_pidfd_getfd, out->pidfd, h->listener, 0);
		int e = errno;
		__atomic_store_n(&h->stage, 3, __ATOMIC_RELEASE);
		if (out->listener < 0) {
			munmap(h, sizeof(*h));
			return -e;
		}
	}
	munmap(h, sizeof(*h));
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
