// SPDX-License-Identifier: MIT
/* Device probing at start-up, in one place. */
#include <drivers/devices.h>

void devices_init(void)
{
}
