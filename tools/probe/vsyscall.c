/* vsyscall N: calls time() N times through the legacy vsyscall page (the fixed
 * address 0xffffffffff600400), which the kernel emulates at the page fault
 * instead of entering the syscall path. Exits 77 when the page is not mapped
 * (vsyscall=none), so a test can tell that from a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vsyscall N\n");
		return 2;
	}
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	int mapped = 0;
	while (maps && fgets(line, sizeof(line), maps))
		if (strstr(line, "[vsyscall]"))
			mapped = 1;
	if (maps)
		fclose(maps);
	if (!mapped)
		return 77;
	time_t (*vtime)(time_t *) = (time_t (*)(time_t *))0xffffffffff600400UL;
	long n = strtol(argv[1], NULL, 10);
	for (long i = 0; i < n; i++)
		if (vtime(NULL) <= 0)
			return 1;
	return 0;
}
