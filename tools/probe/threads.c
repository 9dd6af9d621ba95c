/* threads N: starts N threads that each make a few calls, joins them. The
 * threads and the main one meet at a barrier first, so every run waits on a
 * futex (traced or not: a set of calls that does not depend on timing). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t start;

static void *work(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	for (int i = 0; i < 100; i++)
		(void)getppid();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[64];
	if (n > 64)
		n = 64;
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, work, NULL);
	pthread_barrier_wait(&start);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
