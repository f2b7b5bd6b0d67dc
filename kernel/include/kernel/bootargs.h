/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line. Words before "--" are kernel options ("key=value"
 * or a bare "key"); words after it become the app's argv, with argv[0] the
 * app's name. Double quotes group words with spaces: -- "hello world".
 */
#ifndef WEFT_KERNEL_BOOTARGS_H
#define WEFT_KERNEL_BOOTARGS_H

#include <stdbool.h>
#include <stdint.h>

#define BOOTARGS_MAX_ARGV 64
#define BOOTARGS_MAX_OPTS 32

struct bootargs {
	int argc;
	char *argv[BOOTARGS_MAX_ARGV + 1];
	int nopts;
	struct {
		char *key;
		char *value; /* "" for a bare key */
		bool used; /* looked up by some subsystem */
	} opts[BOOTARGS_MAX_OPTS];
	char buf[1024];
};

/* Split `cmdline` into options and argv. Words past the limits are dropped
 * with a warning. Returns 0, or -E2BIG if anything was dropped. */
int bootargs_parse(struct bootargs *ba, const char *cmdline, const char *argv0);

/* The value of option `key`, or NULL if absent. Marks the option used. */
const char *bootargs_get(struct bootargs *ba, const char *key);

/*
 * Option `key` as an unsigned number (decimal, 0x hex, or with a k/m/g
 * suffix), or `def` if it is absent. A malformed or out-of-range value prints
 * a warning naming the option and also gives `def`.
 */
uint64_t bootargs_u64(struct bootargs *ba, const char *key, uint64_t def, uint64_t min,
		      uint64_t max);

/* Warn about every option that no subsystem looked up: a typo in a boot
 * option must not pass silently. Returns how many there were. */
int bootargs_warn_unused(const struct bootargs *ba);

/* The parsed command line of this boot. */
extern struct bootargs kernel_bootargs;

#endif
