// SPDX-License-Identifier: MIT
/* The console: serializes whole writes from all CPUs onto one device. */
#include <stdbool.h>

#include <kernel/console.h>
#include <kernel/spinlock.h>

static struct console *console;
static spinlock_t console_lock;
static volatile int console_unlocked;

void console_force_unlocked(void)
{
	console_unlocked = 1;
}

void console_register(struct console *con)
{
	console = con;
}

int console_ready(void)
{
	return console != NULL;
}

void console_write(const char *buf, size_t len)
{
	struct console *con = console;

	if (!con)
		return;
	bool locked = !console_unlocked;
	unsigned long flags = locked ? spin_lock_irqsave(&console_lock) : 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' && con->crlf)
			con->putc(con, '\r');
		con->putc(con, buf[i]);
	}
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

int console_getc(void)
{
	struct console *con = console;

	return con && con->getc ? con->getc(con) : -1;
}
