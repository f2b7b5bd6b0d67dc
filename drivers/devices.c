// SPDX-License-Identifier: MIT
/* Device probing at start-up, in one place. */
#include <drivers/devices.h>
#include <drivers/pci.h>
#include <drivers/virtio.h>
#include <kernel/kernel.h>

void devices_init(void)
{
	virtio_mmio_probe_all(boot.dtb); /* virtio-mmio slots named in the DTB */
	pci_init(); /* ECAM host bridges, BARs, and the PCI drivers */
}
