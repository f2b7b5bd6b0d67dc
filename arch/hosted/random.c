// SPDX-License-Identifier: MIT
/* hosted: the host kernel's entropy, through getrandom(2). */
#include <sys/random.h>

#include <arch.h>

bool arch_random_seed(uint64_t *v)
{
	return getrandom(v, sizeof(*v), GRND_NONBLOCK) == (ssize_t)sizeof(*v);
}
