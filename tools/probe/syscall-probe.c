/* syscall-probe NAME...: makes each named syscall once, with arguments the
 * kernel refuses where the call could do harm (reboot with a wrong second
 * magic number, kexec_load with invalid flags), and prints
 * "NAME ret=R errno=E" for each. Built static (few start-up calls) and -m32. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long call(const char *name)
{
	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid);
	if (!strcmp(name, "getuid"))
		return syscall(SYS_getuid);
	if (!strcmp(name, "getppid"))
		return syscall(SYS_getppid);
	if (!strcmp(name, "time"))
		return syscall(SYS_time, 0);
	if (!strcmp(name, "reboot")) /* LINUX_REBOOT_MAGIC1, then a wrong MAGIC2: EINVAL if it got through */
		return syscall(SYS_reboot, 0xfee1deadL, 0L, 0L, 0L);
	if (!strcmp(name, "kexec_load")) /* invalid flags: EINVAL if it got through */
		return syscall(SYS_kexec_load, 0L, 0L, 0L, 0xdeadbeefL);
	if (!strcmp(name, "ptrace")) /* PTRACE_PEEKUSER on itself */
		return syscall(SYS_ptrace, 3L, (long)getpid(), 0L, 0L);
	if (!strcmp(name, "clone3")) /* a NULL clone_args: EFAULT if it got through */
		return syscall(435, 0L, 0L);
	if (!strcmp(name, "mkdir"))
		return syscall(SYS_mkdir, "/proc/seccomp-forge-probe", 0700);
	errno = EINVAL;
	return -2;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		errno = 0;
		long ret = call(argv[i]);
		int e = ret == -1 ? errno : 0;
		printf("%s ret=%ld errno=%d\n", argv[i], ret, e);
		fflush(stdout);
	}
	return 0;
}
