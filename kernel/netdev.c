// SPDX-License-Identifier: MIT
/* The registry of network devices (kernel/include/kernel/netdev.h). */
#include <errno.h>

#include <kernel/netdev.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>

static struct netdev *devs[NETDEV_MAX];
static int ndevs;
static spinlock_t devs_lock;

int netdev_register(struct netdev *nd)
{
	int err = -ENOSPC;

	spin_lock(&devs_lock);
	if (ndevs < NETDEV_MAX) {
		__atomic_store_n(&devs[ndevs], nd, __ATOMIC_RELEASE);
		__atomic_store_n(&ndevs, ndevs + 1, __ATOMIC_RELEASE);
		err = 0;
	}
	spin_unlock(&devs_lock);
	if (err)
		printk("weft: %s: more than %d network devices; ignoring it\n", nd->name,
		       NETDEV_MAX);
	else
		printk("weft: %s: MAC %02x:%02x:%02x:%02x:%02x:%02x\n", nd->name, nd->mac[0],
		       nd->mac[1], nd->mac[2], nd->mac[3], nd->mac[4], nd->mac[5]);
	return err;
}

int netdev_count(void)
{
	return __atomic_load_n(&ndevs, __ATOMIC_ACQUIRE);
}

struct netdev *netdev_get(int idx)
{
	if (idx < 0 || idx >= netdev_count())
		return NULL;
	return __atomic_load_n(&devs[idx], __ATOMIC_ACQUIRE);
}
