// SPDX-License-Identifier: MIT
/* kernel_main: the boot CPU's path from the boot stub to the app. */
#include <arch.h>
#include <drivers/devices.h>
#include <kernel/bootargs.h>
#include <kernel/kernel.h>
#include <kernel/libc.h>
#include <kernel/mm.h>
#include <kernel/net.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/stack.h>
#include <kernel/time.h>

struct boot_info boot;

static void main_task(void *arg)
{
	(void)arg;
	devices_init(); /* NICs and the entropy source, found at run time */
	net_init(); /* lwIP and one interface per NIC (none: started by socket()) */
	bootargs_warn_unused(&kernel_bootargs); /* every subsystem has read its options */
	libc_start(kernel_bootargs.argc, kernel_bootargs.argv);
}

void kernel_main(const struct boot_info *bi)
{
	sched_early_init(); /* this_cpu() works from here on */
	boot = *bi;
	if (boot.dtb && boot_info_from_dtb(&boot, boot.dtb) < 0)
		boot.dtb = NULL; /* reported below, once there is a console */

	arch_console_init(&boot); /* UART from the DTB or the platform */
	arch_cpu_init(&boot); /* trap vectors, FPU */
	time_init(); /* now_ns() starts at 0 here */
	arch_timer_init(&boot); /* one-shot timer interrupt */

	if (bi->dtb && !boot.dtb)
		printk("weft: the device tree at %p is malformed; ignoring it\n", bi->dtb);
	bootargs_parse(&kernel_bootargs, boot.cmdline, WEFT_APP_NAME);
	printk("weft %s on %s: %u CPU(s), %llu MiB RAM\n", WEFT_VERSION, arch_name, boot.ncpus,
	       (unsigned long long)(boot_mem_total(&boot) >> 20));

	mm_init(&boot); /* page allocator, then the MMU's own tables */
	stack_init(); /* task stacks in the stack region */
	arch_irq_enable();
	sched_start(main_task, NULL); /* never returns */
}
