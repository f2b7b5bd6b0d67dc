// SPDX-License-Identifier: MIT
/*
 * Channels and select, after Go's runtime/chan.go and select.go. A blocked
 * sender or receiver waits on the channel's queue in a struct waiter (Go's
 * sudog) that lives on its own stack; the other side copies the element
 * straight to or from it and readies it, so a handoff copies once.
 *
 * Lock order: channel locks in address order (select takes several).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>

struct waiter {
	struct g *g;
	struct waiter *next, *prev;
	struct chan *c;
	void *elem; /* where to copy from (send) or to (receive) */
	int case_index; /* select: which case this is */
	bool is_select;
	bool is_recv;
	bool queued;
	bool success; /* completed by a value, not by close */
};

struct waitq {
	struct waiter *first, *last;
};

struct chan {
	spinlock_t lock;
	bool closed;
	size_t elem_size, cap;
	size_t count, sendx, recvx; /* the ring buffer */
	struct waitq recvq, sendq;
	char buf[];
};

static void enqueue(struct waitq *q, struct waiter *w)
{
	w->next = NULL;
	w->prev = q->last;
	if (q->last)
		q->last->next = w;
	else
		q->first = w;
	q->last = w;
	w->queued = true;
}

static void unlink_waiter(struct waitq *q, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		q->first = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->last = w->prev;
	w->queued = false;
}

/* dequeue() of a queue that has waiters. */
static struct waiter *dequeue_slow(struct waitq *q)
{
	struct waiter *w;

	while ((w = q->first)) {
		unlink_waiter(q, w);
		uint32_t zero = 0;

		if (!w->is_select ||
		    __atomic_compare_exchange_n(&w->g->select_done, &zero, 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return w;
	}
	return NULL;
}

/* The first waiter that can still be completed. A select waiter whose
 * select already finished (another case won, or its timeout) is skipped.
 * The test for an empty queue, which the side that then waits makes, is
 * inline. */
static inline struct waiter *dequeue(struct waitq *q)
{
	return q->first ? dequeue_slow(q) : NULL;
}

static void *slot(struct chan *c, size_t i)
{
	return c->buf + i * c->elem_size;
}

/* The next index of the ring after i (a compare is cheaper than the
 * division of a modulo by a capacity known only at run time). */
static size_t ring_next(const struct chan *c, size_t i)
{
	return i + 1 == c->cap ? 0 : i + 1;
}

/* Words and pointers, which channels mostly carry, are copied inline,
 * without a call into the C library. */
static void copy_elem(struct chan *c, void *dst, const void *src)
{
	if (!dst)
		return;
	if (c->elem_size == sizeof(uint64_t))
		memcpy(dst, src, sizeof(uint64_t));
	else if (c->elem_size == sizeof(uint32_t))
		memcpy(dst, src, sizeof(uint32_t));
	else if (c->elem_size)
		memcpy(dst, src, c->elem_size);
}

static void zero_elem(struct chan *c, void *dst)
{
	static const uint64_t zero;

	if (c->elem_size <= sizeof(zero))
		copy_elem(c, dst, &zero);
	else if (dst)
		memset(dst, 0, c->elem_size);
}

/* Finish w with `success` and ready its G; c->lock is released first,
 * preemption only after. */
static void complete(struct chan *c, struct waiter *w, bool success)
{
	struct g *g = w->g;

	w->success = success;
	g->param = w;
	spin_release(&c->lock);
	goready_preempt_off(g); /* w may be gone once its G runs */
	preempt_enable();
}

chan_t *chan_make(size_t elem_size, size_t cap)
{
	if (cap && elem_size > (SIZE_MAX - sizeof(struct chan)) / cap) {
		errno = ENOMEM;
		return NULL;
	}
	struct chan *c = calloc(1, sizeof(*c) + elem_size * cap);

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->elem_size = elem_size;
	c->cap = cap;
	return c;
}

void chan_free(chan_t *c)
{
	if (!c)
		return;
	if (c->recvq.first || c->sendq.first)
		panic("chan_free: channel %p still has tasks waiting on it", (void *)c);
	free(c);
}

size_t chan_len(chan_t *c)
{
	return c ? __atomic_load_n(&c->count, __ATOMIC_RELAXED) : 0;
}

size_t chan_cap(chan_t *c)
{
	return c ? c->cap : 0;
}

/* Put elem at the ring's tail; the caller checked that it has room. */
static inline void ring_put(struct chan *c, const void *elem)
{
	copy_elem(c, slot(c, c->sendx), elem);
	c->sendx = ring_next(c, c->sendx);
	c->count++;
}

/* Take the ring's head into elem; the caller checked that there is one.
 * The slot keeps its copy: with no garbage collector to keep from
 * following it, clearing it (as Go must) would be a wasted store. */
static inline void ring_take(struct chan *c, void *elem)
{
	copy_elem(c, elem, slot(c, c->recvx));
	c->recvx = ring_next(c, c->recvx);
	c->count--;
}

/* The buffer is full and a sender waits: take the head into elem and put
 * the sender's element at the tail, which is the same slot. */
static inline void ring_rotate(struct chan *c, void *elem, const void *from)
{
	copy_elem(c, elem, slot(c, c->recvx));
	copy_elem(c, slot(c, c->recvx), from);
	c->recvx = ring_next(c, c->recvx);
	c->sendx = c->recvx;
}

/* send() and recv() are inlined into their blocking and polling callers,
 * each of which then has one call and no test of `block`. */
static inline __attribute__((always_inline)) int send(struct chan *c, const void *elem, bool block)
{
	struct waiter *w;

	if (!c)
		return -EINVAL;
	spin_lock(&c->lock);
	if (c->closed) {
		spin_unlock(&c->lock);
		return -EPIPE;
	}
	if ((w = dequeue(&c->recvq))) {
		copy_elem(c, w->elem, elem);
		complete(c, w, true);
		return 0;
	}
	if (c->count < c->cap) {
		ring_put(c, elem);
		spin_unlock(&c->lock);
		return 0;
	}
	if (!block) {
		spin_unlock(&c->lock);
		return -EAGAIN;
	}
	struct waiter me = { .g = current_g(), .c = c, .elem = (void *)elem };

	enqueue(&c->sendq, &me);
	gopark_unlock(&c->lock, "chan send");
	return me.success ? 0 : -EPIPE;
}

/* Take an element for a receiver: from a waiting sender or the buffer.
 * Returns true (and releases c->lock) if there was one. */
static inline __attribute__((always_inline)) bool recv_ready(struct chan *c, void *elem)
{
	struct waiter *w;

	if ((w = dequeue(&c->sendq))) {
		if (c->cap == 0)
			copy_elem(c, elem, w->elem);
		else
			ring_rotate(c, elem, w->elem);
		complete(c, w, true);
		return true;
	}
	if (c->count > 0) {
		ring_take(c, elem);
		spin_unlock(&c->lock);
		return true;
	}
	return false;
}

static inline __attribute__((always_inline)) int recv(struct chan *c, void *elem, bool block)
{
	if (!c)
		return -EINVAL;
	spin_lock(&c->lock);
	if (recv_ready(c, elem))
		return 0;
	if (c->closed) {
		spin_unlock(&c->lock);
		zero_elem(c, elem);
		return -EPIPE;
	}
	if (!block) {
		spin_unlock(&c->lock);
		return -EAGAIN;
	}
	struct waiter me = { .g = current_g(), .c = c, .elem = elem, .is_recv = true };

	enqueue(&c->recvq, &me);
	gopark_unlock(&c->lock, "chan receive");
	return me.success ? 0 : -EPIPE; /* chan_close zeroed elem */
}

int chan_send(chan_t *c, const void *elem)
{
	return send(c, elem, true);
}

int chan_trysend(chan_t *c, const void *elem)
{
	return send(c, elem, false);
}

int chan_recv(chan_t *c, void *elem)
{
	return recv(c, elem, true);
}

int chan_tryrecv(chan_t *c, void *elem)
{
	return recv(c, elem, false);
}

void chan_close(chan_t *c)
{
	struct waiter *woken = NULL, *w;

	if (!c)
		panic("chan_close: close of a NULL channel");
	spin_lock(&c->lock);
	if (c->closed) {
		spin_unlock(&c->lock);
		panic("chan_close: close of closed channel %p", (void *)c);
	}
	c->closed = true;
	/* Fail every waiter: receivers get a zero element, senders -EPIPE.
	 * Everything a waiter needs is done here, under the lock: once
	 * readied it must not touch the channel, which may be freed as soon
	 * as chan_close returns. */
	while ((w = dequeue(&c->recvq)) || (w = dequeue(&c->sendq))) {
		if (w->is_recv)
			zero_elem(c, w->elem);
		w->success = false;
		w->g->param = w;
		w->next = woken;
		woken = w;
	}
	spin_unlock(&c->lock);
	while ((w = woken)) {
		woken = w->next;
		goready(w->g); /* w may be gone once its G runs */
	}
}

/* ---- select ---- */

#define SELECT_MAX_CASES 256

struct select_state {
	struct chan_case *cases;
	struct waiter *waiters;
	uint16_t *lockorder;
	int n;
	struct timer timer;
	bool timer_armed;
};

static void sel_lock(const struct select_state *s)
{
	for (int i = 0; i < s->n; i++) {
		struct chan *c = s->cases[s->lockorder[i]].chan;

		if (i == 0 || c != s->cases[s->lockorder[i - 1]].chan)
			spin_lock(&c->lock);
	}
}

static void sel_unlock(const struct select_state *s)
{
	for (int i = s->n - 1; i >= 0; i--) {
		struct chan *c = s->cases[s->lockorder[i]].chan;

		if (i == 0 || c != s->cases[s->lockorder[i - 1]].chan)
			spin_unlock(&c->lock);
	}
}

static void sel_dequeue_all(struct select_state *s)
{
	for (int i = 0; i < s->n; i++) {
		struct waiter *w = &s->waiters[i];

		if (w->queued)
			unlink_waiter(w->is_recv ? &w->c->recvq : &w->c->sendq, w);
	}
}

static void select_timeout(struct timer *t)
{
	struct g *g = t->arg;
	uint32_t zero = 0;

	if (__atomic_compare_exchange_n(&g->select_done, &zero, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED)) {
		g->param = NULL;
		goready(g);
	}
}

/* On the scheduler stack, once the G is parked: arm the timeout and let the
 * channels go. If the timer heap is full, withdraw and continue (the caller
 * grows the heap and retries). */
static bool sel_commit(void *arg)
{
	struct select_state *s = arg;

	if (s->timer.when && timer_add_nogrow(&s->timer) < 0) {
		sel_dequeue_all(s);
		sel_unlock(s);
		return false;
	}
	s->timer_armed = s->timer.when != 0;
	sel_unlock(s);
	return true;
}

/* Sort the case indices by channel address (insertion sort: selects are
 * small), so that every select locks channels in the same order. */
static void sort_lockorder(struct chan_case *cases, uint16_t *order, int n)
{
	for (int i = 1; i < n; i++) {
		uint16_t x = order[i];
		int j = i;

		for (; j > 0 && (uintptr_t)cases[order[j - 1]].chan > (uintptr_t)cases[x].chan; j--)
			order[j] = order[j - 1];
		order[j] = x;
	}
}

/* Try the cases in poll order with all channels locked. Returns the case
 * that ran (locks released), or -1 (locks still held). */
static int sel_poll(struct select_state *s, const uint16_t *pollorder)
{
	for (int k = 0; k < s->n; k++) {
		int i = pollorder[k];
		struct chan_case *cc = &s->cases[i];
		struct chan *c = cc->chan;
		struct waiter *w;

		if (cc->op == CHAN_SEND) {
			if (c->closed) {
				cc->closed = 1;
				sel_unlock(s);
				return i;
			}
			if ((w = dequeue(&c->recvq))) {
				copy_elem(c, w->elem, cc->elem);
				w->success = true;
				w->g->param = w;
				sel_unlock(s);
				goready(w->g);
				return i;
			}
			if (c->count < c->cap) {
				ring_put(c, cc->elem);
				sel_unlock(s);
				return i;
			}
		} else {
			if ((w = dequeue(&c->sendq))) {
				if (c->cap == 0)
					copy_elem(c, cc->elem, w->elem);
				else
					ring_rotate(c, cc->elem, w->elem);
				w->success = true;
				w->g->param = w;
				sel_unlock(s);
				goready(w->g);
				return i;
			}
			if (c->count > 0) {
				ring_take(c, cc->elem);
				sel_unlock(s);
				return i;
			}
			if (c->closed) {
				zero_elem(c, cc->elem);
				cc->closed = 1;
				sel_unlock(s);
				return i;
			}
		}
	}
	return -1;
}

int chan_select(struct chan_case *cases, int n, int64_t timeout_ns)
{
	uint16_t pollorder[SELECT_MAX_CASES], lockorder[SELECT_MAX_CASES];
	struct waiter waiters[SELECT_MAX_CASES];
	struct select_state s = { .cases = cases, .waiters = waiters, .lockorder = lockorder };
	uint64_t deadline = timeout_ns > 0 ? now_ns() + (uint64_t)timeout_ns : 0;
	int norder = 0;

	if (n < 0 || n > SELECT_MAX_CASES || (n && !cases))
		return -EINVAL;

	/* A random permutation of the cases with a channel (Go's pollorder):
	 * among several ready cases the choice is uniform. */
	for (int i = 0; i < n; i++) {
		cases[i].closed = 0;
		if (!cases[i].chan)
			continue;
		uint32_t j =
			(uint32_t)(((uint64_t)sched_fastrand() * (uint32_t)(norder + 1)) >> 32);

		pollorder[norder] = pollorder[j];
		pollorder[j] = (uint16_t)i;
		norder++;
	}
	s.n = norder;
	for (int i = 0; i < norder; i++)
		lockorder[i] = pollorder[i];
	sort_lockorder(cases, lockorder, norder);

	for (;;) {
		struct g *self = current_g();
		int won;

		sel_lock(&s);
		if ((won = sel_poll(&s, pollorder)) >= 0)
			return won;
		if (timeout_ns == 0) {
			sel_unlock(&s);
			return -EAGAIN;
		}
		if (deadline && now_ns() >= deadline) {
			sel_unlock(&s);
			return -ETIMEDOUT;
		}

		/* Wait on every channel at once. */
		self->select_done = 0;
		self->param = NULL;
		for (int k = 0; k < norder; k++) {
			int i = lockorder[k];
			struct waiter *w = &waiters[k];

			*w = (struct waiter){ .g = self,
					      .c = cases[i].chan,
					      .elem = cases[i].elem,
					      .case_index = i,
					      .is_select = true,
					      .is_recv = cases[i].op == CHAN_RECV };
			enqueue(cases[i].op == CHAN_SEND ? &w->c->sendq : &w->c->recvq, w);
		}
		s.timer = (struct timer){ .when = deadline, .fn = select_timeout, .arg = self };
		s.timer_armed = false;
		gopark(sel_commit, &s, norder ? "select" : "select (no cases)");

		struct waiter *winner = self->param;

		if (s.timer_armed)
			timer_del(&s.timer);
		sel_lock(&s);
		sel_dequeue_all(&s);
		sel_unlock(&s);
		if (winner) {
			/* A close zeroed a receive case's element already. */
			if (!winner->success)
				cases[winner->case_index].closed = 1;
			return winner->case_index;
		}
		if (!s.timer_armed && self->select_done == 0) {
			/* sel_commit withdrew: grow the timer heap and retry. */
			if (timer_reserve() < 0)
				return -ENOMEM;
			continue;
		}
		return -ETIMEDOUT;
	}
}
