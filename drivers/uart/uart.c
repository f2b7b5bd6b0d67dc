// SPDX-License-Identifier: MIT
/* Console UART discovery: /chosen/stdout-path, matched against the linked-in UART drivers. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <drivers/fdt.h>
#include <drivers/uart.h>
#include <kernel/console.h>
#include <kernel/types.h>

/*
 * Every UART driver Weft has. The references are weak (drivers/uart.h), so a
 * driver an arch does not compile is a NULL entry here; add new drivers to
 * both lists.
 */
static const struct uart_driver *const uart_drivers[] = {
	&uart_ns16550_driver,
	&uart_pl011_driver,
};

#define UART_PATH_MAX 256

/* The linked-in driver compatible with `node`, or NULL. */
static const struct uart_driver *uart_match(const void *dtb, int node)
{
	for (size_t i = 0; i < ARRAY_SIZE(uart_drivers); i++) {
		const struct uart_driver *drv = uart_drivers[i];

		if (!drv)
			continue;
		for (const char *const *c = drv->compatible; *c; c++)
			if (fdt_is_compatible(dtb, node, *c))
				return drv;
	}
	return NULL;
}

/* Probe `node` with a matching driver and make it the console; 0 or -ENODEV. */
static int uart_try(const void *dtb, int node)
{
	const struct uart_driver *drv = uart_match(dtb, node);
	struct console *con;

	if (!drv || !fdt_is_enabled(dtb, node))
		return -ENODEV;
	con = drv->probe(dtb, node);
	if (!con)
		return -ENODEV;
	console_register(con);
	return 0;
}

/*
 * The node /chosen/stdout-path names, or a negative errno. Devicetree
 * Specification v0.4 §3.6: the value is a path or an alias, optionally
 * followed by ':' and device options (such as "115200n8"), which we ignore.
 */
static int uart_stdout_node(const void *dtb)
{
	char path[UART_PATH_MAX];
	int chosen = fdt_path_offset(dtb, "/chosen");
	const char *val;
	size_t n;
	int len;

	if (chosen < 0)
		return chosen;
	val = fdt_getprop(dtb, chosen, "stdout-path", &len);
	if (!val)
		val = fdt_getprop(dtb, chosen, "linux,stdout-path", &len);
	if (!val || len <= 0)
		return -ENOENT;
	n = strnlen(val, (size_t)len);
	if (n == (size_t)len || n >= sizeof(path))
		return -EINVAL; /* not NUL-terminated inside the property */
	memcpy(path, val, n + 1);
	path[strcspn(path, ":")] = '\0';

	if (path[0] != '/') {
		/* An alias (§3.3): its value in /aliases is the full path. */
		int aliases = fdt_path_offset(dtb, "/aliases");
		const char *full;

		if (aliases < 0)
			return aliases;
		full = fdt_getprop(dtb, aliases, path, &len);
		if (!full || len <= 0)
			return -ENOENT;
		n = strnlen(full, (size_t)len);
		if (n == (size_t)len || n >= sizeof(path))
			return -EINVAL;
		memcpy(path, full, n + 1);
	}
	return fdt_path_offset(dtb, path);
}

int dt_console_init(const void *dtb)
{
	int node;

	if (!dtb)
		return -EINVAL;
	node = uart_stdout_node(dtb);
	if (node >= 0 && uart_try(dtb, node) == 0)
		return 0;

	/* No usable stdout-path: the first UART any linked-in driver knows. */
	for (node = fdt_next_node(dtb, -1, NULL); node >= 0; node = fdt_next_node(dtb, node, NULL))
		if (uart_try(dtb, node) == 0)
			return 0;
	return -ENODEV;
}
