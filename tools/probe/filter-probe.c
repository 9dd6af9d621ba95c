/*
 * filter-probe FILTER.bpf NR [ARG0..ARG5]
 *
 * Installs the raw seccomp filter (a little-endian struct sock_filter[]) in
 * this process, makes one call syscall(NR, ARGS...) and prints one line:
 *   ret=R errno=E
 * If the filter kills the call, nothing is printed. Test helper for
 * seccomp-forge's kernel tests; builds 64-bit and with -m32.
 *
 * Exit status: 0 after the call, 2 on bad usage or an unreadable filter,
 * 3 when the kernel refuses the filter ("install-failed errno=N" on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Writes the whole buffer with write(2), so nothing waits in stdio buffers. */
static void put(int fd, const char *text, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, text, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		length -= (size_t)n;
	}
}

__attribute__((format(printf, 2, 3), noreturn))
static void fail(int status, const char *format, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(line, sizeof line, format, ap);
	va_end(ap);
	if (n > 0)
		put(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	_exit(status);
}

static int parse_number(const char *text, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(text, &end, 0);
	return errno == 0 && end != text && *end == '\0';
}

int main(int argc, char **argv)
{
	static struct sock_filter code[BPF_MAXINSNS + 1];
	unsigned long long nr, args[6] = { 0 };
	size_t size = 0;
	int fd, i;

	if (argc < 3 || argc > 9)
		fail(2, "usage: filter-probe FILTER.bpf NR [ARG0..ARG5]\n");
	if (!parse_number(argv[2], &nr))
		fail(2, "filter-probe: bad syscall number: %s\n", argv[2]);
	for (i = 3; i < argc; i++)
		if (!parse_number(argv[i], &args[i - 3]))
			fail(2, "filter-probe: bad argument: %s\n", argv[i]);

	/* Everything the probe needs is read before the filter is in place. */
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(2, "filter-probe: cannot open filter: errno=%d\n", errno);
	for (;;) {
		ssize_t n = read(fd, (char *)code + size, sizeof code - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(2, "filter-probe: cannot read filter: errno=%d\n", errno);
		if (n == 0)
			break;
		size += (size_t)n;
		if (size == sizeof code)
			fail(2, "filter-probe: filter longer than %d instructions\n", BPF_MAXINSNS);
	}
	close(fd);
	if (size == 0 || size % sizeof code[0] != 0)
		fail(2, "filter-probe: filter size %zu is not a whole number of instructions\n", size);

	/* A killed probe must not leave a core file in the working directory. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);

	struct sock_fprog program = {
		.len = (unsigned short)(size / sizeof code[0]),
		.filter = code,
	};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		fail(3, "install-failed errno=%d\n", errno);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0L, &program) != 0)
		fail(3, "install-failed errno=%d\n", errno);

	/* On i386 syscall() takes longs: the upper halves are dropped. */
	long ret = syscall((long)nr, (long)args[0], (long)args[1], (long)args[2],
			   (long)args[3], (long)args[4], (long)args[5]);
	int error = ret == -1 ? errno : 0;

	char line[64];
	int n = snprintf(line, sizeof line, "ret=%ld errno=%d\n", ret, error);
	if (n > 0)
		put(1, line, (size_t)n);
	_exit(0);
}
