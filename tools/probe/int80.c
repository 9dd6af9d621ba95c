/* int80: a 64-bit program that makes i386 system calls through int 0x80: getpid
 * (i386 number 20, which is writev on x86_64) N times, then exits normally. The
 * kernel runs them as i386 calls (TS_COMPAT), and seccomp sees AUDIT_ARCH_I386. */
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (int i = 0; i < n; i++) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		(void)ret;
	}
	return 0;
}
