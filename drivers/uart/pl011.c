// SPDX-License-Identifier: MIT
/* Arm PL011 UART console (QEMU arm virt, most Arm boards), polled. */
#include <stddef.h>
#include <stdint.h>

#include <drivers/fdt.h>
#include <drivers/uart.h>
#include <kernel/console.h>

/* Registers and flag bits ("PrimeCell UART (PL011) Technical Reference
 * Manual", DDI 0183, 3.2 and 3.3). */
#define UART_DR 0x00 /* data */
#define UART_FR 0x18 /* flags */
#define UART_IMSC 0x38 /* interrupt mask set/clear */

#define FR_RXFE (1u << 4) /* receive FIFO empty */
#define FR_TXFF (1u << 5) /* transmit FIFO full */

struct pl011 {
	uintptr_t base;
};

static struct pl011 pl011_uart;

static uint32_t pl011_read(const struct pl011 *u, unsigned int reg)
{
	return *(volatile uint32_t *)(u->base + reg);
}

static void pl011_write(const struct pl011 *u, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(u->base + reg) = val;
}

static void pl011_putc(struct console *con, char c)
{
	const struct pl011 *u = con->priv;

	while (pl011_read(u, UART_FR) & FR_TXFF)
		;
	pl011_write(u, UART_DR, (uint8_t)c);
}

static int pl011_getc(struct console *con)
{
	const struct pl011 *u = con->priv;

	if (pl011_read(u, UART_FR) & FR_RXFE)
		return -1;
	return (int)(pl011_read(u, UART_DR) & 0xff);
}

static struct console pl011_console = {
	.name = "pl011",
	.putc = pl011_putc,
	.getc = pl011_getc,
	.crlf = 1,
	.priv = &pl011_uart,
};

/*
 * The firmware (U-Boot, UEFI, or QEMU's reset state) has set the line speed
 * and format and enabled the UART, and Weft polls, so probing only records
 * where the registers are and masks the UART's own interrupts. The "reg"
 * address is used as is: the parent buses of the boards we run on map 1:1.
 */
static struct console *pl011_probe(const void *dtb, int node)
{
	struct pl011 *u = &pl011_uart;
	uint64_t base, size;

	if (fdt_reg(dtb, node, 0, &base, &size) < 0 || !base)
		return NULL;
	u->base = (uintptr_t)base;
	pl011_write(u, UART_IMSC, 0);
	return &pl011_console;
}

const struct uart_driver uart_pl011_driver = {
	.name = "pl011",
	.compatible = (const char *const[]){ "arm,pl011", NULL },
	.probe = pl011_probe,
};
