// SPDX-License-Identifier: MIT
/*
 * Kernel entropy (kernel/include/kernel/random.h): a 256-bit pool key that
 * every source is absorbed into, and a ChaCha20 (RFC 8439) generator keyed
 * from it.
 *
 * Absorbing a 32-byte chunk m: K' = ChaCha20(key = K xor m, counter 0,
 * nonce = (absorb count, length, "pool"))[0..32]. The ChaCha20 block
 * function is a PRF of its key, so K' stays unpredictable to anyone who
 * does not know K, whatever m they chose, and it gains m's entropy.
 *
 * Output (fast key erasure): each request takes one block under the lock;
 * its first half replaces K and its second half keys the request's own
 * stream, generated outside the lock. Bytes already handed out cannot be
 * recomputed from a later K.
 *
 * Seeding: the first use absorbs the cycle counter's jitter over a few
 * hundred short timed loops, the boot clock, and the CPU's RNG instruction
 * where it has one (arch_random_seed). The jitter is not credited; the CPU
 * RNG and virtio-rng are.
 */
#include <string.h>

#include <arch.h>
#include <kernel/random.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>

static spinlock_t pool_lock;
static uint32_t pool_key[8];
static uint64_t pool_absorbed, pool_requests, pool_credited;
static int seeded; /* 0: no, 1: being seeded, 2: yes */

static inline uint32_t rotl32(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

#define QR(a, b, c, d)                 \
	do {                           \
		a += b;                \
		d = rotl32(d ^ a, 16); \
		c += d;                \
		b = rotl32(b ^ c, 12); \
		a += b;                \
		d = rotl32(d ^ a, 8);  \
		c += d;                \
		b = rotl32(b ^ c, 7);  \
	} while (0)

void random_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
			   uint8_t out[64])
{
	/* RFC 8439 §2.3: "expand 32-byte k", key, counter, nonce. */
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	uint32_t x[16];

	for (int i = 0; i < 8; i++)
		in[4 + i] = key[i];
	in[12] = counter;
	in[13] = nonce[0];
	in[14] = nonce[1];
	in[15] = nonce[2];
	memcpy(x, in, sizeof(x));
	for (int r = 0; r < 10; r++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Fold buf into the pool key. Under pool_lock. */
static void absorb_locked(const uint8_t *buf, size_t len)
{
	do {
		uint8_t chunk[32] = { 0 }, block[64];
		size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
		uint32_t k[8];
		uint32_t nonce[3] = { (uint32_t)pool_absorbed, (uint32_t)(pool_absorbed >> 32),
				      (uint32_t)n << 24 ^ 0x6c6f6f70 };

		memcpy(chunk, buf, n);
		for (int i = 0; i < 8; i++)
			k[i] = pool_key[i] ^ le32(chunk + 4 * i);
		random_chacha20_block(k, 0, nonce, block);
		for (int i = 0; i < 8; i++)
			pool_key[i] = le32(block + 4 * i);
		pool_absorbed++;
		buf += n;
		len -= n;
		memset(block, 0, sizeof(block));
		memset(k, 0, sizeof(k));
	} while (len > 0);
}

static void absorb(const void *buf, size_t len, unsigned int bits)
{
	spin_lock(&pool_lock);
	absorb_locked(buf, len);
	pool_credited += bits;
	spin_unlock(&pool_lock);
}

/*
 * The cycle counter's jitter: how long a short loop takes varies with
 * caches, interrupts, and (under QEMU) the host's scheduling. Each sample
 * keeps the low byte of the elapsed time.
 */
static void seed_from_jitter(void)
{
	uint8_t samples[256];
	volatile uint32_t sink = 0;

	for (size_t i = 0; i < sizeof(samples); i++) {
		uint64_t t0 = arch_cycles();

		for (uint32_t j = 0; j < 16 + (i & 15); j++)
			sink = sink * 31 + j;
		samples[i] = (uint8_t)(arch_cycles() - t0) ^ (uint8_t)(t0 >> 3);
	}
	uint64_t t[2] = { arch_cycles(), now_ns() };

	absorb(samples, sizeof(samples), 0);
	absorb(t, sizeof(t), 0);
}

static void seed_from_cpu(void)
{
	uint64_t v[4];
	int n = 0;

	while (n < 4 && arch_random_seed(&v[n]))
		n++;
	if (n)
		absorb(v, sizeof(v[0]) * (size_t)n, 64u * (unsigned int)n);
	memset(v, 0, sizeof(v));
}

static void ensure_seeded(void)
{
	int expected = 0;

	if (__atomic_load_n(&seeded, __ATOMIC_ACQUIRE) == 2)
		return;
	if (!__atomic_compare_exchange_n(&seeded, &expected, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		/* Another task is seeding; a key read before it is done would
		 * be the constant initial one. It takes microseconds. */
		while (__atomic_load_n(&seeded, __ATOMIC_ACQUIRE) != 2)
			arch_cpu_relax();
		return;
	}
	seed_from_jitter();
	seed_from_cpu();
	__atomic_store_n(&seeded, 2, __ATOMIC_RELEASE);
}

void random_add(const void *buf, size_t len, unsigned int bits)
{
	ensure_seeded();
	absorb(buf, len, bits);
}

void random_bytes(void *buf, size_t len)
{
	uint8_t block[64];
	uint32_t key[8], nonce[3];

	ensure_seeded();
	spin_lock(&pool_lock);
	nonce[0] = (uint32_t)pool_requests;
	nonce[1] = (uint32_t)(pool_requests >> 32);
	nonce[2] = 0x74756f; /* "out" */
	pool_requests++;
	random_chacha20_block(pool_key, 0, nonce, block);
	for (int i = 0; i < 8; i++) {
		pool_key[i] = le32(block + 4 * i);
		key[i] = le32(block + 32 + 4 * i);
	}
	spin_unlock(&pool_lock);

	uint8_t *p = buf;
	uint32_t zero[3] = { 0, 0, 0 };

	for (uint32_t ctr = 0; len > 0; ctr++) {
		size_t n = len < sizeof(block) ? len : sizeof(block);

		random_chacha20_block(key, ctr, zero, block);
		memcpy(p, block, n);
		p += n;
		len -= n;
	}
	memset(block, 0, sizeof(block));
	memset(key, 0, sizeof(key));
}

uint32_t random_u32(void)
{
	uint32_t v;

	random_bytes(&v, sizeof(v));
	return v;
}

uint64_t random_credited_bits(void)
{
	return __atomic_load_n(&pool_credited, __ATOMIC_RELAXED);
}
