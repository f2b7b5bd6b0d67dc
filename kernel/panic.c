// SPDX-License-Identifier: MIT
/* Exit, panic, unexpected traps, and symbolized backtraces. */
#include <stdarg.h>

#include <arch.h>
#include <kernel/console.h>
#include <kernel/ksym.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>

/* Frames never sit further apart than this; a bigger jump ends the walk. */
#define BACKTRACE_SPAN (1024 * 1024)

static int panicking;

void kernel_exit(int status)
{
	arch_irq_disable();
	printk("weft: exit status %d\n", status);
	arch_system_off(status);
}

static void print_frame(int n, uintptr_t pc)
{
	uintptr_t off;
	const char *name = ksym_lookup(pc, &off);

	if (name)
		printk("  #%-2d %p %s+0x%lx\n", n, (void *)pc, name, (unsigned long)off);
	else
		printk("  #%-2d %p ?\n", n, (void *)pc);
}

void backtrace_print(uintptr_t pc, uintptr_t fp, int max)
{
	int n = 0;

	printk("backtrace:\n");
	if (pc)
		print_frame(n++, pc);
	uintptr_t lo = fp, hi = fp + BACKTRACE_SPAN;

	while (n < max) {
		uintptr_t ret;

		if (!arch_frame_next(&fp, &ret, lo, hi) || !ret)
			break;
		/* The return address is the instruction after the call; name
		 * the call itself, so that noreturn calls at the end of a
		 * function are not shown as the next function. */
		print_frame(n++, ret - 1);
		lo = fp;
	}
}

/* Enter the panic path once; a second entry (a fault while reporting) stops. */
static void panic_enter(void)
{
	arch_irq_disable();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST)) {
		console_force_unlocked();
		printk("\nfatal: nested panic; stopping\n");
		arch_system_off(PANIC_EXIT_STATUS);
	}
	sched_stop_other_cpus();
}

static void print_pc(uintptr_t pc)
{
	uintptr_t off;
	const char *name = ksym_lookup(pc, &off);

	if (name)
		printk("pc: %p %s+0x%lx\n", (void *)pc, name, (unsigned long)off);
	else
		printk("pc: %p\n", (void *)pc);
}

/* The body of panic() and panic_at(): the message, then the backtrace
 * from pc/fp, every task, and the exit. */
static __noreturn void vpanic(uintptr_t pc, uintptr_t fp, const char *fmt, va_list ap)
{
	panic_enter();
	printk("\npanic: ");
	vprintk(fmt, ap);
	printk("\n");
	if (pc)
		print_pc(pc);
	backtrace_print(pc, fp, 32);
	sched_dump_tasks();
	kernel_exit(PANIC_EXIT_STATUS);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(0, arch_current_fp(), fmt, ap);
}

void kernel_fault(struct trap_frame *tf, const struct fault_info *fi)
{
	uintptr_t pc = arch_frame_pc(tf);

	panic_enter();
	printk("\nfatal: unexpected trap: %s\n", fi->cause);
	print_pc(pc);
	if (fi->has_addr)
		printk("fault address: %p\n", (void *)fi->addr);
	printk("registers:\n");
	arch_frame_dump(tf);
	backtrace_print(pc, arch_frame_fp(tf), 32);
	sched_dump_tasks();
	kernel_exit(PANIC_EXIT_STATUS);
}

void panic_at(struct trap_frame *tf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(arch_frame_pc(tf), arch_frame_fp(tf), fmt, ap);
}
