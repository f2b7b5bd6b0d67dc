// SPDX-License-Identifier: MIT
/* A 16550 UART on x86 port I/O, polled, as the console. */
#include <stdbool.h>

#include <arch/x86.h>
#include <drivers/ns16550_pio.h>
#include <kernel/console.h>

/* Registers (offsets from the base port) and bits, from the 16550D data sheet. */
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_DLL 0 /* divisor latch, low (DLAB = 1) */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch, high (DLAB = 1) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_SCR 7 /* scratch */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_DR 0x01 /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define MCR_DTR_RTS 0x03

#define UART_CLOCK_DIV_115200 1 /* 1.8432 MHz / 16 / 115200 */

/* Bounds a wait on a UART that never becomes ready (absent or wedged), so
 * that output is dropped rather than the machine hung. */
#define UART_SPIN_LIMIT 1000000

struct uart_pio {
	struct console con;
	uint16_t port;
};

static struct uart_pio uart;

static void uart_pio_putc(struct console *con, char c)
{
	uint16_t port = ((struct uart_pio *)con->priv)->port;

	for (int i = 0; i < UART_SPIN_LIMIT && !(x86_inb(port + UART_LSR) & LSR_THRE); i++)
		__asm__ __volatile__("pause");
	x86_outb(port + UART_THR, (uint8_t)c);
}

static int uart_pio_getc(struct console *con)
{
	uint16_t port = ((struct uart_pio *)con->priv)->port;

	if (!(x86_inb(port + UART_LSR) & LSR_DR))
		return -1;
	return x86_inb(port + UART_RBR);
}

void uart_pio_flush(struct console *con)
{
	uint16_t port = ((struct uart_pio *)con->priv)->port;

	for (int i = 0; i < UART_SPIN_LIMIT && !(x86_inb(port + UART_LSR) & LSR_TEMT); i++)
		__asm__ __volatile__("pause");
}

/* Whether a UART answers at `port`: the scratch register holds a value. */
static bool uart_present(uint16_t port)
{
	x86_outb(port + UART_SCR, 0x5a);
	if (x86_inb(port + UART_SCR) != 0x5a)
		return false;
	x86_outb(port + UART_SCR, 0xa5);
	return x86_inb(port + UART_SCR) == 0xa5;
}

struct console *uart_pio_probe(uint16_t port)
{
	struct uart_pio *u = &uart;

	if (u->port)
		return u->port == port ? &u->con : NULL; /* one console is all Weft needs */
	if (!uart_present(port))
		return NULL;

	x86_outb(port + UART_IER, 0); /* polled */
	uint8_t lcr = x86_inb(port + UART_LCR);

	x86_outb(port + UART_LCR, lcr | LCR_DLAB);
	bool unset = x86_inb(port + UART_DLL) == 0 && x86_inb(port + UART_DLM) == 0;

	if (unset) {
		x86_outb(port + UART_DLL, UART_CLOCK_DIV_115200);
		x86_outb(port + UART_DLM, 0);
		lcr = LCR_8N1;
	}
	x86_outb(port + UART_LCR, lcr & ~LCR_DLAB);
	if (unset) {
		x86_outb(port + UART_FCR, 0x07); /* enable and clear the FIFOs */
		x86_outb(port + UART_MCR, MCR_DTR_RTS);
	}

	u->con = (struct console){
		.name = "com1",
		.putc = uart_pio_putc,
		.getc = uart_pio_getc,
		.crlf = 1,
		.priv = u,
	};
	u->port = port;
	return &u->con;
}
