/* SPDX-License-Identifier: MIT */
/* A 16550-compatible UART on x86 port I/O (COM1 at 0x3f8 on every PC), as the console. */
#ifndef WEFT_DRIVERS_NS16550_PIO_H
#define WEFT_DRIVERS_NS16550_PIO_H

#include <stdint.h>

struct console;

/* The legacy COM ports (PC architecture, not discoverable). */
#define UART_PIO_COM1 0x3f8

/*
 * A console on the UART at I/O port `port`, or NULL if no UART answers
 * there (its scratch register does not hold a value). The line settings
 * the firmware chose are kept; an unprogrammed UART gets 115200 8N1.
 * There is one such console: calling it again for the same port returns
 * it, for another port NULL.
 */
struct console *uart_pio_probe(uint16_t port);

/* Wait until everything written to `con` has left the UART, so that the
 * last line is not lost when the machine powers off. */
void uart_pio_flush(struct console *con);

#endif
