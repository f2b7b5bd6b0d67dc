// SPDX-License-Identifier: MIT
/* 16550-compatible UART console (QEMU riscv virt, most RISC-V boards), polled. */
#include <stddef.h>
#include <stdint.h>

#include <drivers/fdt.h>
#include <drivers/uart.h>
#include <kernel/console.h>

/* Register indices (PC16550D datasheet, table 2), scaled by reg-shift. */
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_LSR 5 /* line status */

#define LSR_DR (1u << 0) /* a received byte is waiting */
#define LSR_THRE (1u << 5) /* the transmit holding register is empty */

struct ns16550 {
	uintptr_t base;
	unsigned int shift; /* DTB "reg-shift": registers are 1 << shift bytes apart */
	unsigned int width; /* DTB "reg-io-width": 1 or 4 byte accesses */
};

static struct ns16550 ns16550_uart;

static uint32_t ns16550_read(const struct ns16550 *u, unsigned int reg)
{
	uintptr_t addr = u->base + ((uintptr_t)reg << u->shift);

	if (u->width == 4)
		return *(volatile uint32_t *)addr;
	return *(volatile uint8_t *)addr;
}

static void ns16550_write(const struct ns16550 *u, unsigned int reg, uint32_t val)
{
	uintptr_t addr = u->base + ((uintptr_t)reg << u->shift);

	if (u->width == 4)
		*(volatile uint32_t *)addr = val;
	else
		*(volatile uint8_t *)addr = (uint8_t)val;
}

static void ns16550_putc(struct console *con, char c)
{
	const struct ns16550 *u = con->priv;

	while (!(ns16550_read(u, UART_LSR) & LSR_THRE))
		;
	ns16550_write(u, UART_THR, (uint8_t)c);
}

static int ns16550_getc(struct console *con)
{
	const struct ns16550 *u = con->priv;

	if (!(ns16550_read(u, UART_LSR) & LSR_DR))
		return -1;
	return (int)(ns16550_read(u, UART_RBR) & 0xff);
}

static struct console ns16550_console = {
	.name = "ns16550",
	.putc = ns16550_putc,
	.getc = ns16550_getc,
	.crlf = 1,
	.priv = &ns16550_uart,
};

/*
 * The firmware (OpenSBI, U-Boot) has already set the line speed and format,
 * and Weft polls, so probing only records where the registers are and masks
 * the UART's own interrupts. The "reg" address is used as is: the parent
 * buses of the boards we run on map 1:1 ("ranges;").
 */
static struct console *ns16550_probe(const void *dtb, int node)
{
	struct ns16550 *u = &ns16550_uart;
	uint64_t base, size;

	if (fdt_reg(dtb, node, 0, &base, &size) < 0 || !base)
		return NULL;
	u->base = (uintptr_t)base;
	u->shift = fdt_getprop_u32(dtb, node, "reg-shift", 0);
	u->width = fdt_getprop_u32(dtb, node, "reg-io-width", 1);
	if (u->shift > 4 || (u->width != 1 && u->width != 4))
		return NULL;
	ns16550_write(u, UART_IER, 0);
	return &ns16550_console;
}

const struct uart_driver uart_ns16550_driver = {
	.name = "ns16550",
	.compatible =
		(const char *const[]){ "ns16550a", "ns16550", "ns16450", "snps,dw-apb-uart", NULL },
	.probe = ns16550_probe,
};
