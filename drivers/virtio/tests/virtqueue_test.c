// SPDX-License-Identifier: MIT
/*
 * Split virtqueues against a fake device side in memory: the test plays
 * the device, reading the available ring and writing the used ring the
 * way §2.7 says a device does.
 */
#include <stdlib.h>
#include <string.h>

#include <drivers/virtio.h>
#include <kernel/test.h>

struct fakeq {
	struct virtq vq;
	void *mem;
	void *cookies[256];
	uint16_t dev_avail; /* next available entry the device reads */
	uint16_t dev_used; /* next used index the device writes */
	int notified;
};

static void fake_notify(struct virtq *vq)
{
	struct fakeq *f = (struct fakeq *)vq;

	f->notified++;
}

static bool fake_init(struct fakeq *f, uint16_t num)
{
	size_t size = virtq_layout_size(num, 4096);

	memset(f, 0, sizeof(*f));
	f->mem = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!f->mem)
		return false;
	memset(f->mem, 0, size);
	if (virtq_init(&f->vq, num, f->mem, 4096, f->cookies))
		return false;
	f->vq.notify = fake_notify;
	return true;
}

static void fake_fini(struct fakeq *f)
{
	free(f->mem);
}

/* The device takes the next available chain: its head, the number of
 * descriptors and the bytes of its readable part (copied to `out`). */
static int dev_pop(struct fakeq *f, uint16_t *head, uint8_t *out, size_t *outlen)
{
	struct virtq *vq = &f->vq;

	if (f->dev_avail == vq->avail->idx)
		return 0;
	uint16_t i = vq->avail->ring[f->dev_avail++ & (vq->num - 1)];
	int n = 0;

	*head = i;
	*outlen = 0;
	for (;;) {
		struct virtq_desc *d = &vq->desc[i];

		n++;
		if (!(d->flags & VIRTQ_DESC_F_WRITE) && out) {
			memcpy(out + *outlen, (void *)(uintptr_t)d->addr, d->len);
			*outlen += d->len;
		}
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
	}
	return n;
}

static void dev_push(struct fakeq *f, uint32_t id, uint32_t len)
{
	struct virtq *vq = &f->vq;
	struct virtq_used_elem *e = &vq->used->ring[f->dev_used & (vq->num - 1)];

	e->id = id;
	e->len = len;
	f->dev_used++;
	__atomic_store_n(&vq->used->idx, f->dev_used, __ATOMIC_RELEASE);
}

TEST(virtq, layout_meets_legacy_alignment)
{
	struct fakeq f;

	ASSERT_TRUE(fake_init(&f, 256));
	/* §2.7: descriptors 16-aligned, available ring 2, used ring 4; the
	 * legacy layout puts the used ring at the next 4096 boundary. */
	EXPECT_EQ((uintptr_t)f.vq.desc % 4096, 0);
	EXPECT_EQ((uintptr_t)f.vq.avail - (uintptr_t)f.vq.desc, 16 * 256);
	EXPECT_EQ((uintptr_t)f.vq.used % 4096, 0);
	EXPECT_EQ((uintptr_t)f.vq.used - (uintptr_t)f.vq.desc, 8192);
	EXPECT_EQ(virtq_layout_size(256, 4096), 8192 + 6 + 8 * 256);
	EXPECT_EQ(virtq_init(&f.vq, 3, f.mem, 4096, f.cookies), -22);
	fake_fini(&f);
}

TEST(virtq, add_kick_device_consumes_get_used)
{
	struct fakeq f;
	char a[] = "head", b[] = "er", in[32];
	struct virtq_seg segs[3] = { { a, 4 }, { b, 2 }, { in, sizeof(in) } };
	uint8_t seen[64];
	size_t seenlen;
	uint16_t head;
	uint32_t len;

	ASSERT_TRUE(fake_init(&f, 8));
	ASSERT_EQ(virtq_add(&f.vq, segs, 2, 1, a), 0);
	EXPECT_EQ(virtq_num_free(&f.vq), 5);
	EXPECT_TRUE(virtq_kick(&f.vq));
	EXPECT_EQ(f.notified, 1);
	EXPECT_FALSE(virtq_pending(&f.vq));

	ASSERT_EQ(dev_pop(&f, &head, seen, &seenlen), 3);
	EXPECT_EQ(seenlen, 6);
	EXPECT_TRUE(memcmp(seen, "header", 6) == 0);
	/* The writable descriptor is the third one, with the WRITE flag. */
	EXPECT_EQ(f.vq.desc[f.vq.desc[f.vq.desc[head].next].next].flags, VIRTQ_DESC_F_WRITE);
	dev_push(&f, head, 17);

	EXPECT_TRUE(virtq_pending(&f.vq));
	EXPECT_TRUE(virtq_get_used(&f.vq, &len) == a);
	EXPECT_EQ(len, 17);
	EXPECT_FALSE(virtq_pending(&f.vq));
	EXPECT_TRUE(virtq_get_used(&f.vq, &len) == NULL);
	EXPECT_EQ(virtq_num_free(&f.vq), 8);
	fake_fini(&f);
}

TEST(virtq, free_list_exhaustion_and_reuse)
{
	struct fakeq f;
	char buf[8];
	struct virtq_seg two[2] = { { buf, 4 }, { buf + 4, 4 } };
	uint16_t head;
	size_t outlen;

	ASSERT_TRUE(fake_init(&f, 8));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(virtq_add(&f.vq, two, 1, 1, (void *)(uintptr_t)(i + 1)), 0);
	EXPECT_EQ(virtq_num_free(&f.vq), 0);
	EXPECT_EQ(virtq_add(&f.vq, two, 1, 0, buf), -28); /* -ENOSPC */
	EXPECT_EQ(virtq_add(&f.vq, two, 0, 0, buf), -22); /* empty chain */

	/* Complete them out of order: 3, 1; then two single-descriptor
	 * buffers and one chain of two fit again. */
	uint16_t heads[4];

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(dev_pop(&f, &heads[i], NULL, &outlen), 2);
	dev_push(&f, heads[2], 0);
	dev_push(&f, heads[0], 0);
	EXPECT_TRUE(virtq_get_used(&f.vq, NULL) == (void *)3);
	EXPECT_TRUE(virtq_get_used(&f.vq, NULL) == (void *)1);
	EXPECT_EQ(virtq_num_free(&f.vq), 4);
	EXPECT_EQ(virtq_add(&f.vq, two, 1, 0, (void *)5), 0);
	EXPECT_EQ(virtq_add(&f.vq, two, 1, 0, (void *)6), 0);
	EXPECT_EQ(virtq_add(&f.vq, two, 1, 1, (void *)7), 0);
	EXPECT_EQ(virtq_num_free(&f.vq), 0);
	ASSERT_EQ(dev_pop(&f, &head, NULL, &outlen), 1);
	fake_fini(&f);
}

TEST(virtq, indices_wrap_around_16_bits)
{
	struct fakeq f;
	char buf[4];
	struct virtq_seg seg = { buf, 4 };
	uint16_t head;
	size_t outlen;
	int ok = 0;

	ASSERT_TRUE(fake_init(&f, 4));
	/* 70000 buffers through a 4-entry queue: avail->idx and used->idx
	 * wrap past 65535, and every cookie still comes back in order. */
	for (uint32_t i = 1; i <= 70000; i++) {
		if (virtq_add(&f.vq, &seg, 1, 0, (void *)(uintptr_t)i))
			break;
		virtq_kick(&f.vq);
		if (dev_pop(&f, &head, NULL, &outlen) != 1)
			break;
		dev_push(&f, head, 0);
		if (virtq_get_used(&f.vq, NULL) != (void *)(uintptr_t)i)
			break;
		ok++;
	}
	EXPECT_EQ(ok, 70000);
	EXPECT_EQ(f.vq.avail->idx, (uint16_t)70000);
	EXPECT_EQ(virtq_num_free(&f.vq), 4);
	fake_fini(&f);
}

TEST(virtq, notification_and_interrupt_suppression)
{
	struct fakeq f;
	char buf[4];
	struct virtq_seg seg = { buf, 4 };
	uint16_t head;
	size_t outlen;

	ASSERT_TRUE(fake_init(&f, 8));
	/* The device says it polls: no notification. */
	f.vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	ASSERT_EQ(virtq_add(&f.vq, &seg, 1, 0, buf), 0);
	EXPECT_FALSE(virtq_kick(&f.vq));
	EXPECT_EQ(f.notified, 0);
	f.vq.used->flags = 0;
	ASSERT_EQ(virtq_add(&f.vq, &seg, 1, 0, buf + 1), 0);
	EXPECT_TRUE(virtq_kick(&f.vq));
	EXPECT_EQ(f.notified, 1);

	/* The driver asks for no interrupts, then for them again; enabling
	 * reports a buffer used meanwhile. */
	virtq_disable_cb(&f.vq);
	EXPECT_EQ(f.vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	EXPECT_FALSE(virtq_enable_cb(&f.vq));
	EXPECT_EQ(f.vq.avail->flags, 0);
	virtq_disable_cb(&f.vq);
	ASSERT_EQ(dev_pop(&f, &head, NULL, &outlen), 1);
	dev_push(&f, head, 0);
	EXPECT_TRUE(virtq_enable_cb(&f.vq));

	/* EVENT_IDX: used_event follows what we consumed, and a kick goes
	 * out only when avail_event lies in the newly published range. */
	f.vq.event_idx = true;
	EXPECT_TRUE(virtq_get_used(&f.vq, NULL) == buf);
	virtq_enable_cb(&f.vq);
	EXPECT_EQ(f.vq.avail->ring[8], 1); /* used_event */
	*(uint16_t *)&f.vq.used->ring[8] = 10; /* avail_event: far ahead */
	ASSERT_EQ(virtq_add(&f.vq, &seg, 1, 0, buf + 2), 0);
	EXPECT_FALSE(virtq_kick(&f.vq));
	*(uint16_t *)&f.vq.used->ring[8] = 3; /* the entry just published */
	ASSERT_EQ(virtq_add(&f.vq, &seg, 1, 0, buf + 3), 0);
	EXPECT_TRUE(virtq_kick(&f.vq));
	fake_fini(&f);
}

TEST(virtq, bad_used_id_is_skipped)
{
	struct fakeq f;
	char buf[4];
	struct virtq_seg seg = { buf, 4 };
	uint16_t head;
	size_t outlen;
	uint64_t bad = virtq_bad_used;

	ASSERT_TRUE(fake_init(&f, 8));
	ASSERT_EQ(virtq_add(&f.vq, &seg, 1, 0, buf), 0);
	ASSERT_EQ(dev_pop(&f, &head, NULL, &outlen), 1);
	dev_push(&f, 200, 0); /* out of range */
	dev_push(&f, (head + 1) % 8, 0); /* not an outstanding head */
	dev_push(&f, head, 0);
	EXPECT_TRUE(virtq_get_used(&f.vq, NULL) == buf);
	EXPECT_EQ(virtq_bad_used - bad, 2);
	EXPECT_EQ(virtq_num_free(&f.vq), 8);
	fake_fini(&f);
}
