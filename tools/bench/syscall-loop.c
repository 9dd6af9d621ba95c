/* syscall-loop BLOCKS PAIRS: the dd benchmark's calls without dd's start-up —
 * read one byte from /dev/zero, write it to /dev/null, PAIRS times per block —
 * timed block by block. Prints the fastest block's, the 10th percentile's and
 * the median block's nanoseconds per call. A block is short (10,000 calls take
 * about 1.5 ms here), so many blocks run without an interrupt or a steal of the
 * CPU, and the fastest one measures the calls themselves: noise only adds time. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) < 1 || atoi(argv[2]) < 1) {
		fprintf(stderr, "usage: syscall-loop BLOCKS PAIRS\n");
		return 2;
	}
	int blocks = atoi(argv[1]), pairs = atoi(argv[2]);
	int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
	if (in < 0 || out < 0) {
		perror("syscall-loop: /dev/zero, /dev/null");
		return 1;
	}
	double *ns = malloc(sizeof(double) * (size_t)blocks);
	if (!ns)
		return 1;
	char byte;
	for (int b = 0; b < blocks; b++) {
		struct timespec start, end;
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (int i = 0; i < pairs; i++) {
			if (read(in, &byte, 1) != 1 || write(out, &byte, 1) != 1) {
				perror("syscall-loop");
				return 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &end);
		ns[b] = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / (2.0 * pairs);
	}
	qsort(ns, (size_t)blocks, sizeof(double), by_value);
	printf("%.3f %.3f %.3f\n", ns[0], ns[blocks / 10], ns[blocks / 2]);
	return 0;
}
