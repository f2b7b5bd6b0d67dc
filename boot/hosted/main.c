// SPDX-License-Identifier: MIT
/*
 * hosted: the process's main() is the boot stub. It turns its own argv
 * (-smp N, -m SIZE, then the kernel command line) and an mmap'd block of
 * "RAM" into a struct boot_info, and enters the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <arch.h>
#include <kernel/boot_info.h>

static struct boot_info bi;

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (end == s || *end || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(const char *why)
{
	fprintf(stderr, "weft: %s\nusage: weft [-smp N] [-m SIZE] [kernel options] [-- app args]\n",
		why);
	exit(2);
}

/* Append one word to the command line, quoted if it has spaces. */
static void cmdline_append(const char *w)
{
	size_t n = strlen(bi.cmdline);
	bool quote = strpbrk(w, " \t") != NULL;
	int r = snprintf(bi.cmdline + n, sizeof(bi.cmdline) - n, "%s%s%s%s", n ? " " : "",
			 quote ? "\"" : "", w, quote ? "\"" : "");

	if (r < 0 || (size_t)r >= sizeof(bi.cmdline) - n)
		usage("command line too long");
}

int main(int argc, char **argv)
{
	uint64_t ncpus = 1, mem = 256ull << 20;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-smp") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &ncpus) < 0 || ncpus > BOOT_MAX_CPUS)
				usage("-smp takes a CPU count from 1 to 64");
		} else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &mem) < 0)
				usage("-m takes a size such as 256M");
		} else {
			break;
		}
	}
	for (; i < argc; i++)
		cmdline_append(argv[i]);

	/* "RAM": reserved address space, touched only as it is used. */
	void *ram = mmap(NULL, mem, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		usage("cannot reserve the memory asked for with -m");
	boot_add_mem(&bi, (paddr_t)(uintptr_t)ram, mem);
	bi.ncpus = (unsigned)ncpus;
	for (unsigned c = 0; c < bi.ncpus; c++)
		bi.cpu_hwid[c] = c;
	kernel_main(&bi);
}
