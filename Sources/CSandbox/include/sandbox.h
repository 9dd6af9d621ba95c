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
 * process (PR_SET_PDEATHSIG), sets PR_SET_NO_NEW_PRIVS, disables core dumps,
 * installs the filter (TSYNC; with a listener when `listener` is true) and
 * executes `path`. The listener fd
 * lands in this process's file table. Returns once the child has executed or
 * exited: 0, or a negative errno if the launch itself failed. The filter must
 * not send the child's own execve to the listener: nothing answers it yet.
 */
int sf_launch(const char *path, char *const argv[], char *const envp[], const struct sf_filter_insn *filter,
	      uint16_t count, bool listener, struct sf_launch *out);

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

/* Waits for `pidfd`, `listener` or `signals` (either may be -1) to be readable:
 * 1 child exited, 2 notification, 3 signal, 0 timeout, -errno. */
int sf_wait(int pidfd, int listener, int signals, int timeout_ms);

#endif
