// SPDX-License-Identifier: MIT
/*
 * Split virtqueues (virtio 1.2 §2.7), the driver's side: a free list of
 * descriptors threaded through their `next` fields, buffer chains put on
 * the available ring, and used buffers taken back.
 *
 * Ordering (§2.7.13, weakly ordered CPUs): descriptors and the ring entry
 * are written before avail->idx (write barrier); avail->idx is visible
 * before we read the device's notification suppression (full barrier);
 * used->idx is read before the used entries it covers (read barrier); and
 * re-enabling interrupts is visible before we look at used->idx again
 * (full barrier), so that a buffer used in between is never missed.
 */
#include <errno.h>
#include <string.h>

#include <arch.h>
#include <drivers/virtio.h>
#include <kernel/mm.h>

uint64_t virtq_bad_used;

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* The rings end with one extra 16-bit field each: used_event after the
 * available ring, avail_event after the used ring (§2.7.10). */
static size_t avail_size(uint16_t num)
{
	return sizeof(uint16_t) * (3 + (size_t)num);
}

static size_t used_size(uint16_t num)
{
	return sizeof(uint16_t) * 3 + sizeof(struct virtq_used_elem) * (size_t)num;
}

size_t virtq_layout_size(uint16_t num, size_t align)
{
	return align_up(sizeof(struct virtq_desc) * num + avail_size(num), align) + used_size(num);
}

int virtq_init(struct virtq *vq, uint16_t num, void *mem, size_t align, void **cookies)
{
	if (num == 0 || (num & (num - 1)) || num > 32768 || align < 16 || (align & (align - 1)) ||
	    ((uintptr_t)mem & (align - 1)))
		return -EINVAL;
	uint8_t *p = mem;

	vq->num = num;
	vq->desc = (struct virtq_desc *)p;
	vq->avail = (struct virtq_avail *)(p + sizeof(struct virtq_desc) * num);
	vq->used = (struct virtq_used *)(p +
					 align_up(sizeof(struct virtq_desc) * num + avail_size(num),
						  align));
	vq->cookie = cookies;
	for (uint16_t i = 0; i < num; i++) {
		vq->desc[i].next = (uint16_t)(i + 1);
		cookies[i] = NULL;
	}
	vq->free_head = 0;
	vq->num_free = num;
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->kicked_idx = 0;
	return 0;
}

int virtq_add(struct virtq *vq, const struct virtq_seg *segs, int nout, int nin, void *cookie)
{
	int n = nout + nin;

	if (n <= 0 || nout < 0 || nin < 0 || !cookie)
		return -EINVAL;
	if ((unsigned int)n > vq->num_free)
		return -ENOSPC;

	uint16_t head = vq->free_head, i = head, last = head;

	/* The chain takes descriptors in free-list order, so each one's
	 * `next` already names the following descriptor of the chain. */
	for (int s = 0; s < n; s++) {
		struct virtq_desc *d = &vq->desc[i];

		d->addr = mm_pa(segs[s].addr);
		d->len = segs[s].len;
		d->flags = (uint16_t)((s >= nout ? VIRTQ_DESC_F_WRITE : 0) |
				      (s + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		last = i;
		i = d->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->cookie[head] = cookie;

	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	arch_wmb(); /* the chain and its ring entry before the index */
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELAXED);
	return 0;
}

/* §2.7.10: with EVENT_IDX, notify when the device asked to hear about an
 * index between the last notification and now. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_kick(struct virtq *vq)
{
	bool notify;

	arch_mb(); /* avail->idx before reading what the device asked for */
	if (vq->event_idx) {
		uint16_t event =
			__atomic_load_n((uint16_t *)&vq->used->ring[vq->num], __ATOMIC_RELAXED);

		notify = need_event(event, vq->avail_idx, vq->kicked_idx);
	} else {
		notify = !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) &
			   VIRTQ_USED_F_NO_NOTIFY);
	}
	vq->kicked_idx = vq->avail_idx;
	if (notify && vq->notify) {
		vq->kicks++;
		vq->notify(vq);
	} else {
		vq->kicks_suppressed++;
	}
	return notify;
}

bool virtq_pending(const struct virtq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&vq->last_used, __ATOMIC_RELAXED);
}

void *virtq_get_used(struct virtq *vq, uint32_t *len)
{
	for (;;) {
		uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED);

		if (used_idx == vq->last_used)
			return NULL;
		arch_rmb(); /* the index before the entries it covers */

		struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
		uint32_t id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
		uint32_t written = __atomic_load_n(&e->len, __ATOMIC_RELAXED);

		__atomic_store_n(&vq->last_used, (uint16_t)(vq->last_used + 1), __ATOMIC_RELAXED);
		if (id >= vq->num || !vq->cookie[id]) {
			/* Not the head of a chain we gave it: skip the entry,
			 * lose nothing of ours. */
			__atomic_fetch_add(&virtq_bad_used, 1, __ATOMIC_RELAXED);
			continue;
		}

		/* Give the chain back to the free list. The walk is bounded,
		 * in case a broken device rewrote a descriptor's flags. */
		uint16_t last = (uint16_t)id, n = 1;

		while ((vq->desc[last].flags & VIRTQ_DESC_F_NEXT) && n < vq->num) {
			last = vq->desc[last].next;
			n++;
		}
		vq->desc[last].next = vq->free_head;
		vq->free_head = (uint16_t)id;
		vq->num_free = (uint16_t)(vq->num_free + n);

		void *cookie = vq->cookie[id];

		vq->cookie[id] = NULL;
		if (len)
			*len = written;
		return cookie;
	}
}

void virtq_disable_cb(struct virtq *vq)
{
	/* A hint only: with EVENT_IDX the device ignores it, and at most the
	 * interrupt for the event already requested still comes. */
	__atomic_store_n(&vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
}

bool virtq_enable_cb(struct virtq *vq)
{
	__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	if (vq->event_idx)
		__atomic_store_n(&vq->avail->ring[vq->num],
				 __atomic_load_n(&vq->last_used, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	arch_mb(); /* interrupts back on before we look at used->idx */
	return virtq_pending(vq);
}
