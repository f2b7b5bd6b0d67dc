/* SPDX-License-Identifier: MIT */
/* Probing the devices found at run time (virtio-mmio from the DTB, PCI). */
#ifndef WEFT_DRIVERS_DEVICES_H
#define WEFT_DRIVERS_DEVICES_H

/* Find and start every device Weft has a driver for; a device that fails
 * is reported and skipped. Task context (main, before the app), once. */
void devices_init(void);

#endif
