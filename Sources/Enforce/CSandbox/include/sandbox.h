/*
 * The part of seccomp-sandbox that must be C: between fork and execve only
 * async-signal-safe steps run (no Swift, no allocation), and the seccomp
 * user-notification structures are read and answered here.
 */
#ifndef SECCOMP_FORGE_SANDBOX_H
#define SECCOMP_FORGE_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* This machine's numbers for the two calls a launch can start the command with
 * (the build target's own <sys/syscall.h>): the launch checks what the filter
 * answers them without building a whole syscall table. */
#include <sys/syscall.h>
enum { SF_NR_EXECVE = SYS_execve, SF_NR_EXECVEAT = SYS_execveat };

struct sf_filter_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/* What happened to a launch. */
struct sf_launch {
	pid_t pid;
	int pidfd;         /* becomes readable when the child exits */
	int listener;      /* user-notification fd, or -1 */
	int install_errno; /* the kernel refused the filter (the child has exited 125) */
	int exec_errno;    /* execve failed (the child has exited 126 or 127) */
};

/*
 * Starts a child (clone with CLONE_VM | CLONE_FILES | CLONE_VFORK, as
 * posix_spawn does: no copy of this process's memory) that dies with this
 * process (PR_SET_PDEATHSIG), sets PR_SET_NO_NEW_PRIVS, installs the filter
 * (SECCOMP_FILTER_FLAG_TSYNC plus `flags`: NEW_LISTENER, LOG, SPEC_ALLOW...)
 * and executes `path` with execve (or execveat, when only that passes the
 * filter) with exactly these pointers, so a caller can evaluate the filter on
 * that call first. A listener fd lands in this process's file table. Returns
 * once the child has executed or exited: 0, or a negative errno if the launch
 * itself failed. The filter must not send the child's own execve to the
 * listener: nothing answers it yet.
 */
int sf_launch(const char *path, char *const argv[], char *const envp[], const struct sf_filter_insn *filter,
	      uint16_t count, unsigned int flags, bool use_execveat, struct sf_launch *out);

/* One intercepted call. */
struct sf_notification {
	uint64_t id;
	uint32_t pid;
	int32_t nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Receives the next notification: 0, or -errno (-ENOENT: the call went away). */
int sf_notify_receive(int listener, struct sf_notification *out);

/* Answers: `error` > 0 fails the call with that errno; 0 with `allow` lets it run. */
int sf_notify_respond(int listener, uint64_t id, int error, bool allow);

/*
 * Blocks SIGINT, SIGQUIT, SIGTERM and SIGHUP in this process and returns a
 * signalfd that reports them (or -errno), so the supervisor outlives a Ctrl-C
 * and still reports what it saw. Commands launched afterwards start with the
 * mask from before this call.
 */
int sf_signals_open(void);

/* Reads one signal from `fd`: its number (or -errno); `from_kernel` is true for
 * signals the kernel sent (a terminal's Ctrl-C reaches the whole process group,
 * the command included), false for one a process sent to this one alone. */
int sf_signals_read(int fd, bool *from_kernel);

enum {
	SF_EXITED = 1,        /* the pidfd is readable: the child exited */
	SF_NOTIFICATION = 2,  /* a notification waits on the listener */
	SF_LISTENER_GONE = 4, /* no process holds the filter any more */
	SF_SIGNAL = 8,        /* a signal waits on the signalfd */
	SF_KERNEL_LOG = 16,   /* a record waits on /dev/kmsg */
	SF_PROC_EVENTS = 32,  /* process events wait on the connector socket */
};

/* Waits up to `timeout_ms` (-1: no limit) for any of the fds (each may be -1):
 * the SF_* events that happened (0 on timeout), or -errno. */
int sf_wait(int pidfd, int listener, int signals, int kernel_log, int proc_events, int timeout_ms);

/*
 * Hands a seccomp listener to the agent on the AF_UNIX stream socket at
 * `socket_path`, as runc does for an OCI profile's listenerPath: one message
 * with the container-process state (JSON, `length` bytes) and the fd in
 * SCM_RIGHTS. 0, or -errno.
 */
int sf_hand_over_listener(const char *socket_path, const char *state, size_t length, int listener);

/*
 * The audit subsystem's read-only multicast group (NETLINK_AUDIT,
 * AUDIT_NLGRP_READLOG): every audit record, the seccomp ones included, with
 * no printk rate limit and whether or not an audit daemon runs. Needs
 * CAP_AUDIT_READ in the initial namespaces. A non-blocking fd, or -errno.
 */
int sf_audit_open(void);

/* One fork seen by the process-events connector (thread group ids). */
struct sf_fork {
	pid_t parent;
	pid_t child;
};

/*
 * The kernel's process-events connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * a fork event for every new process on the host, queued before the new
 * process runs, so a record naming a pid always comes after the fork that made
 * it. Needs CAP_NET_ADMIN. Returns a non-blocking fd, or -errno.
 */
int sf_proc_events_open(void);

/* Reads the waiting fork events (up to `capacity`): their count, or -errno
 * (-ENOBUFS: the socket overflowed and events were lost). */
int sf_proc_events_read(int fd, struct sf_fork *forks, int capacity);

/* PR_SET_DUMPABLE 0 for this process: a same-user process (the confined command)
 * can then neither ptrace it, nor open its /proc/PID/mem, nor pidfd_getfd its fds. */
void sf_make_undumpable(void);

/* An anonymous in-memory file (close-on-exec), or -errno: how the profile's
 * bytes reach seccomp-profile, and its entry comes back, without a path anyone
 * could swap. */
int sf_memfd(const char *name);

#endif
