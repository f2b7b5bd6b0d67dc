/* SPDX-License-Identifier: MIT */
/*
 * Kernel entropy: a pool that every source feeds (virtio-rng, the CPU's
 * RNG instruction where it has one, timing jitter of the cycle counter at
 * boot and on interrupts), and a CSPRNG keyed from it that serves TCP
 * initial sequence numbers, DHCP transaction ids and anything else that
 * must not be guessable. Never a constant: until a real source has fed it,
 * the pool is keyed from the cycle counter's jitter.
 */
#ifndef WEFT_KERNEL_RANDOM_H
#define WEFT_KERNEL_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Mix `len` bytes from a source into the pool, crediting `bits` bits of
 * entropy. Any context except interrupt. */
void random_add(const void *buf, size_t len, unsigned int bits);

/* Fill buf with random bytes / one random word. Any context except
 * interrupt. */
void random_bytes(void *buf, size_t len);
uint32_t random_u32(void);

/* Bits of entropy credited so far (for /stats and tests). */
uint64_t random_credited_bits(void);

/* The ChaCha20 block function (RFC 8439 §2.3), for the generator and its
 * test: 64 bytes of keystream for `key`, block `counter` and `nonce`. */
void random_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
			   uint8_t out[64]);

#endif
