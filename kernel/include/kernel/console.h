/* SPDX-License-Identifier: MIT */
/*
 * The console: one output device chosen at boot (the DTB's stdout-path, or
 * what the boot stub found), written a whole buffer at a time so that lines
 * from different CPUs never interleave mid-line.
 */
#ifndef WEFT_KERNEL_CONSOLE_H
#define WEFT_KERNEL_CONSOLE_H

#include <stddef.h>

struct console {
	const char *name;
	/* Write one byte, waiting for the device if it is busy. */
	void (*putc)(struct console *con, char c);
	/* Read one byte, or return -1 at once if none is waiting. May be NULL. */
	int (*getc)(struct console *con);
	/* Send "\r\n" for "\n" (serial terminals). */
	int crlf;
	void *priv;
};

/* Make `con` the console. Output written before this is dropped. */
void console_register(struct console *con);

/* Write `len` bytes, turning "\n" into "\r\n". Interrupt-safe. */
void console_write(const char *buf, size_t len);

/* From now on write without taking the console lock, so that a panic on a
 * CPU that holds it, or whose peer died holding it, still gets its report out. */
void console_force_unlocked(void);

/* Read one byte, or -1 if none is waiting or there is no input device. */
int console_getc(void);

/* Whether a console has been registered. */
int console_ready(void);

#endif
