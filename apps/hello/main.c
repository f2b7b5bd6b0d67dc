// SPDX-License-Identifier: MIT
/* hello: the default app. Shows the machine and the arguments it was given. */
#include <stdio.h>
#include <weft.h>

int main(int argc, char **argv)
{
	struct memstats ms;

	read_memstats(&ms);
	printf("Hello from Weft on %s!\n", sys_arch());
	printf("cpus: %d, memory: %.1f MiB, uptime: %.3f ms\n", num_cpu(),
	       (double)ms.total / (1024.0 * 1024.0), (double)now_ns() / 1e6);
	printf("argc: %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]: %s\n", i, argv[i]);
	return 0;
}
