/* leader-exits DELAY_MS: the main thread leaves with pthread_exit at once; a second
 * thread waits DELAY_MS, calls getppid 3 times, forks a child that calls getppid 5
 * times, waits for it and exits. A process-tree observer must keep following the
 * process after its leader is gone. Prints its pid first. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int delay_ms;

static void *worker(void *arg)
{
	(void)arg;
	usleep(delay_ms * 1000);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	pid_t child = fork();
	if (child == 0) {
		for (int i = 0; i < 5; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	exit(0);
}

int main(int argc, char **argv)
{
	delay_ms = argc > 1 ? atoi(argv[1]) : 1000;
	printf("%d\n", getpid());
	fflush(stdout);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_exit(NULL);
}
