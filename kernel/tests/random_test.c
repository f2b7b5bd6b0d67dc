// SPDX-License-Identifier: MIT
/* Kernel entropy: the ChaCha20 core against RFC 8439, and the generator's output. */
#include <string.h>

#include <kernel/random.h>
#include <kernel/test.h>

TEST(random, chacha20_block_matches_rfc8439)
{
	/* RFC 8439 §2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
	 * block counter 1. */
	uint32_t key[8], nonce[3] = { 0x09000000, 0x4a000000, 0 };
	static const uint8_t want[16] = { 0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
					  0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4 };
	static const uint8_t want_tail[4] = { 0xb5, 0x12, 0x9c, 0xd1 };
	uint8_t out[64];

	for (int i = 0; i < 8; i++)
		key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 |
			 (uint32_t)(4 * i + 2) << 16 | (uint32_t)(4 * i + 3) << 24;
	random_chacha20_block(key, 1, nonce, out);
	EXPECT_TRUE(memcmp(out, want, sizeof(want)) == 0);
	EXPECT_TRUE(memcmp(out + 48, want_tail, sizeof(want_tail)) == 0);
}

TEST(random, outputs_differ_between_calls)
{
	uint8_t a[32], b[32], zero[32] = { 0 };
	uint32_t first = random_u32();
	int same = 0;

	random_bytes(a, sizeof(a));
	random_bytes(b, sizeof(b));
	EXPECT_TRUE(memcmp(a, b, sizeof(a)) != 0);
	EXPECT_TRUE(memcmp(a, zero, sizeof(a)) != 0);
	for (int i = 0; i < 64; i++)
		same += random_u32() == first;
	EXPECT_LT(same, 2);
}

TEST(random, bytes_are_spread)
{
	/* 4 KiB of output: every bit position set about half the time. A
	 * broken generator (a constant, a short cycle) fails by far. */
	static uint8_t buf[4096];
	int ones[8] = { 0 };

	random_bytes(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		for (int bit = 0; bit < 8; bit++)
			ones[bit] += (buf[i] >> bit) & 1;
	for (int bit = 0; bit < 8; bit++) {
		EXPECT_GT(ones[bit], 1800);
		EXPECT_LT(ones[bit], 2300);
	}
}
