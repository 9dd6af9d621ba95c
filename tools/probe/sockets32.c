/* sockets32: on i386, a socket three ways — glibc's socket(), the socketcall
 * multiplexer (SYS_SOCKET), the direct socket syscall (359) — and a bind through
 * socketcall (SYS_BIND), printing "WAY ret=R errno=E" for each. Built -m32 -static. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *way, long ret)
{
	printf("%s ret=%s errno=%d\n", way, ret >= 0 ? "ok" : "-1", ret >= 0 ? 0 : errno);
	fflush(stdout);
}

int main(void)
{
	show("libc-socket", socket(AF_INET, SOCK_DGRAM, 0));
	unsigned long args[3] = { AF_INET, SOCK_DGRAM, 0 };
	long fd = syscall(SYS_socketcall, 1 /* SYS_SOCKET */, args);
	show("socketcall-socket", fd);
	show("direct-socket", syscall(359, AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	unsigned long bind_args[3] = { (unsigned long)(fd >= 0 ? fd : 0), (unsigned long)&addr, sizeof(addr) };
	show("socketcall-bind", syscall(SYS_socketcall, 2 /* SYS_BIND */, bind_args));
	return 0;
}
