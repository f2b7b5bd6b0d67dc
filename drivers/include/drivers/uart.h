/* SPDX-License-Identifier: MIT */
/*
 * Serial UARTs found through the device tree (16550, PL011, ...).
 *
 * Each driver file (drivers/uart/<name>.c) defines one
 *
 *	const struct uart_driver uart_<name>_driver = {
 *		.name = "<name>",
 *		.compatible = (const char *const[]){ "vendor,dev", NULL },
 *		.probe = <name>_probe,
 *	};
 *
 * and adds a weak reference to it in the table in drivers/uart/uart.c. An arch
 * lists in ARCH_DRIVERS the driver files it wants; drivers it leaves out stay
 * undefined weak symbols (address 0) and are skipped, so no linker-script
 * section is needed.
 */
#ifndef WEFT_DRIVERS_UART_H
#define WEFT_DRIVERS_UART_H

struct console;

struct uart_driver {
	const char *name;
	/* NULL-terminated list of DTB "compatible" strings this driver handles. */
	const char *const *compatible;
	/*
	 * Set up the UART described by DTB node `node` and return a console
	 * that writes to it (storage owned by the driver, valid forever), or
	 * NULL if the node is unusable (no "reg", say). Called once, on the
	 * boot CPU, before traps are set up: it must not fault or print.
	 */
	struct console *(*probe)(const void *dtb, int node);
};

/* The drivers that may be linked in (see drivers/uart/uart.c). */
extern const struct uart_driver uart_ns16550_driver __attribute__((weak));
extern const struct uart_driver uart_pl011_driver __attribute__((weak));

/*
 * Find the console UART in `dtb` and register it with console_register():
 * the node named by /chosen/stdout-path (an absolute path or an /aliases
 * name, any ":options" suffix ignored), or else the first enabled node that
 * a linked-in driver is compatible with. Returns 0, -EINVAL for a NULL DTB,
 * or -ENODEV when no usable UART was found (the console stays unregistered).
 */
int dt_console_init(const void *dtb);

#endif
