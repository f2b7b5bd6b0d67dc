// SPDX-License-Identifier: MIT
/*
 * Starting lwIP (kernel/include/kernel/net.h): at boot when there is a NIC,
 * otherwise on the first socket() call, so that an image without a NIC and
 * without sockets runs no lwIP timers (they would keep the scheduler from
 * ever seeing "every task asleep" and reporting a deadlock).
 */
#include <lwip/init.h>
#include <lwip/tcpip.h>

#include <weft.h>

#include <kernel/bootargs.h>
#include <kernel/net.h>
#include <kernel/netdev.h>
#include <kernel/printk.h>

static once_t start_once;
static bool running;

static void tcpip_ready(void *arg)
{
	wg_done(arg);
}

static void start(void)
{
	waitgroup_t wg = { 0 };

	/* tcpip_init starts the tcpip task, which calls tcpip_ready once the
	 * stack (and the loopback interface, 127.0.0.1) is set up. */
	wg_add(&wg, 1);
	tcpip_init(tcpip_ready, &wg);
	wg_wait(&wg);
	__atomic_store_n(&running, true, __ATOMIC_RELEASE);
}

void net_start(void)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		once_do(&start_once, start);
}

bool net_running(void)
{
	return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

void net_init(void)
{
	if (netdev_count() == 0) {
		if (bootargs_get(&kernel_bootargs, "ip"))
			printk("weft: boot option ip= ignored: no network device\n");
		return;
	}
	net_start();
	net_netifs_add();
}
