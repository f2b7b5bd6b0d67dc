// SPDX-License-Identifier: MIT
/* The parts of the arch contract (kernel/include/arch.h) that every arch
 * must honour the same way. */
#include <arch.h>
#include <kernel/test.h>

TEST(arch, irq_save_restore_nests)
{
	ASSERT_TRUE(arch_irq_enabled());
	unsigned long outer = arch_irq_save();

	EXPECT_FALSE(arch_irq_enabled());
	unsigned long inner = arch_irq_save();

	arch_irq_restore(inner);
	EXPECT_FALSE(arch_irq_enabled());
	arch_irq_restore(outer);
	EXPECT_TRUE(arch_irq_enabled());
}

TEST(arch, frame_walk_stops_on_bad_frames)
{
	uintptr_t fp = 0, pc = 0;

	EXPECT_FALSE(arch_frame_next(&fp, &pc, 0, UINTPTR_MAX));
	fp = 0x1001; /* misaligned */
	EXPECT_FALSE(arch_frame_next(&fp, &pc, 0, UINTPTR_MAX));
	fp = arch_current_fp();
	EXPECT_FALSE(arch_frame_next(&fp, &pc, fp + 4096, fp + 8192)); /* outside the bounds */
	fp = arch_current_fp();
	EXPECT_TRUE(arch_frame_next(&fp, &pc, fp, fp + 65536));
	EXPECT_NE(pc, 0);
}
