// SPDX-License-Identifier: MIT
/* Kernel command line parsing: options before "--", the app's argv after. */
#include <errno.h>
#include <string.h>

#include <kernel/bootargs.h>
#include <kernel/printk.h>

struct bootargs kernel_bootargs;

/* Copy the next word of *sp into *dst, handling "double quotes"; returns the
 * start of the word in the output, or NULL at the end of the line. */
static char *next_word(const char **sp, char **dst, char *end)
{
	const char *s = *sp;
	bool quoted = false;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	*sp = s;
	if (!*s || *dst >= end)
		return NULL;
	char *word = *dst;

	for (; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (*dst + 1 >= end)
			break;
		*(*dst)++ = *s;
	}
	*(*dst)++ = '\0';
	*sp = s;
	return word;
}

int bootargs_parse(struct bootargs *ba, const char *cmdline, const char *argv0)
{
	char *out = ba->buf, *end = ba->buf + sizeof(ba->buf);
	const char *s = cmdline ? cmdline : "";
	bool app = false;
	int dropped = 0;
	char *w;

	ba->argc = 0;
	ba->nopts = 0;
	ba->argv[ba->argc++] = (char *)argv0;
	while ((w = next_word(&s, &out, end))) {
		if (!app && strcmp(w, "--") == 0) {
			app = true;
		} else if (app) {
			if (ba->argc < BOOTARGS_MAX_ARGV)
				ba->argv[ba->argc++] = w;
			else
				dropped++;
		} else if (ba->nopts < BOOTARGS_MAX_OPTS) {
			char *eq = strchr(w, '=');

			ba->opts[ba->nopts].key = w;
			ba->opts[ba->nopts].used = false;
			ba->opts[ba->nopts].value = eq ? eq + 1 : w + strlen(w);
			if (eq)
				*eq = '\0';
			ba->nopts++;
		} else {
			dropped++;
		}
	}
	if (*s)
		dropped++;
	ba->argv[ba->argc] = NULL;
	if (dropped) {
		printk("weft: command line too long; %d word(s) dropped\n", dropped);
		return -E2BIG;
	}
	return 0;
}

const char *bootargs_get(struct bootargs *ba, const char *key)
{
	const char *value = NULL;

	/* The last occurrence wins, as on Linux; all of them count as used. */
	for (int i = 0; i < ba->nopts; i++) {
		if (strcmp(ba->opts[i].key, key) == 0) {
			ba->opts[i].used = true;
			value = ba->opts[i].value;
		}
	}
	return value;
}

int bootargs_warn_unused(const struct bootargs *ba)
{
	int n = 0;

	for (int i = 0; i < ba->nopts; i++) {
		if (!ba->opts[i].used) {
			printk("weft: unknown boot option '%s' ignored (app arguments go after \"--\")\n",
			       ba->opts[i].key);
			n++;
		}
	}
	return n;
}

/* Parse a number with an optional 0x prefix and k/m/g suffix. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	unsigned shift = 0;

	switch (*s) {
	case 'k':
	case 'K':
		shift = 10;
		s++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		s++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		s++;
		break;
	}
	if (*s)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

uint64_t bootargs_u64(struct bootargs *ba, const char *key, uint64_t def, uint64_t min,
		      uint64_t max)
{
	const char *s = bootargs_get(ba, key);
	uint64_t v;

	if (!s)
		return def;
	if (parse_u64(s, &v) < 0 || v < min || v > max) {
		printk("weft: boot option %s=%s is not a number in [%llu, %llu]; using %llu\n", key,
		       s, (unsigned long long)min, (unsigned long long)max,
		       (unsigned long long)def);
		return def;
	}
	return v;
}
