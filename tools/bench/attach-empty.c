/* attach-empty OBJECT.bpf.o: loads and attaches every program in the object,
 * prints "attached", and holds them until stdin closes or SIGTERM. For the
 * observer benchmark's floor (bpf/empty.bpf.c). */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void stop(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: attach-empty OBJECT.bpf.o\n");
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "attach-empty: cannot load %s\n", argv[1]);
		return 1;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "attach-empty: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
	}
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	printf("attached\n");
	fflush(stdout);
	while (!done)
		pause();
	bpf_object__close(obj);
	return 0;
}
