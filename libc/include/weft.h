/* SPDX-License-Identifier: MIT */
/*
 * <weft.h>: the whole public API of Weft for applications.
 *
 * An app is an ordinary C program (int main(int argc, char **argv)) that
 * uses the C library as usual and this header for what Weft adds: tasks
 * (goroutines), channels, select, timers and synchronization, as in Go.
 * Errors come back as negative errno values. Zero-initialized sync objects
 * are ready to use. Functions that may block say so; they block only the
 * calling task, never the CPU.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tasks ---- */

/* Start fn(arg) as a new task. Returns its id (> 0), or -ENOMEM. */
int go(void (*fn)(void *arg), void *arg);

struct task_opts {
	size_t stack_max; /* 0 = the default (boot option stack_max=, 1 MiB) */
};
/* go() with options. The stack is a reservation of stack_max bytes (16 KiB
 * to 256 MiB, rounded up to pages) backed page by page as it grows; running
 * past it ends the image with "task N: stack overflow". Returns the new
 * task's id, -EINVAL for a stack_max out of range, or -ENOMEM. */
int go_opts(void (*fn)(void *), void *arg, const struct task_opts *opts);

/* Let other tasks run. */
void yield(void);

/* The running task's id; the task running main() is 1. */
int task_id(void);

/* Number of CPUs that run tasks (the procs= boot option, default all). */
int num_cpu(void);

/* Tasks alive now, like Go's runtime.NumGoroutine. */
int num_tasks(void);

/* ---- system ---- */

/* The arch this image was built for: "riscv64", "aarch64", "x86_64" or
 * "hosted". */
const char *sys_arch(void);

/* ---- time ---- */

/* Monotonic nanoseconds since boot. */
uint64_t now_ns(void);

/* Block the calling task for at least `ns`. */
void sleep_ns(uint64_t ns);

/* ---- channels ---- */

typedef struct chan chan_t;

/* A channel of elements of elem_size bytes; cap 0 makes it unbuffered.
 * NULL with errno = ENOMEM on failure. */
chan_t *chan_make(size_t elem_size, size_t cap);

/* Block until the element is taken (unbuffered) or buffered. 0, or -EPIPE
 * if the channel is closed. */
int chan_send(chan_t *c, const void *elem);

/* Block until an element arrives. 0, or -EPIPE once the channel is closed
 * and drained (elem is then zeroed). */
int chan_recv(chan_t *c, void *elem);

/* Non-blocking: 0, -EAGAIN if it would block, -EPIPE if closed. */
int chan_trysend(chan_t *c, const void *elem);
int chan_tryrecv(chan_t *c, void *elem);

/* Close: waiting receivers get -EPIPE after the buffer drains, senders get
 * -EPIPE. Closing twice panics, as in Go. */
void chan_close(chan_t *c);

/* Free a channel no task is waiting on. */
void chan_free(chan_t *c);

size_t chan_len(chan_t *c);
size_t chan_cap(chan_t *c);

/* ---- select ---- */

enum chan_op { CHAN_SEND, CHAN_RECV };

struct chan_case {
	chan_t *chan; /* NULL: this case never fires */
	enum chan_op op;
	void *elem; /* the element to send, or where to receive */
	int closed; /* set to 1 when the case fired because chan was closed */
};

/*
 * Run one ready case and return its index. Among several ready cases the
 * choice is uniformly random. timeout_ns < 0 blocks; 0 polls and returns
 * -EAGAIN if none is ready; > 0 returns -ETIMEDOUT when it expires. At most
 * 256 cases (-EINVAL).
 */
int chan_select(struct chan_case *cases, int n, int64_t timeout_ns);

/* ---- sync: zero-initialized objects are ready to use ---- */

typedef struct mutex {
	unsigned int state;
	unsigned int wait_lock;
	void *head, *tail;
} mutex_t;
void mutex_lock(mutex_t *m); /* may block */
void mutex_unlock(mutex_t *m);
int mutex_trylock(mutex_t *m); /* 1 if taken */

typedef struct cond {
	unsigned int wait_lock;
	void *head, *tail;
} cond_t;
void cond_wait(cond_t *cv, mutex_t *m); /* may block */
void cond_signal(cond_t *cv);
void cond_broadcast(cond_t *cv);

typedef struct waitgroup {
	int count;
	unsigned int wait_lock;
	void *head, *tail;
} waitgroup_t;
void wg_add(waitgroup_t *wg, int delta);
void wg_done(waitgroup_t *wg);
void wg_wait(waitgroup_t *wg); /* may block */

typedef struct once {
	int done;
	mutex_t m;
} once_t;
void once_do(once_t *o, void (*fn)(void)); /* may block */

/* ---- memory ---- */

struct memstats {
	uint64_t total; /* usable RAM in bytes */
	uint64_t free; /* bytes of RAM not in use for anything */
	uint64_t heap_in_use; /* bytes in live malloc objects and their spans */
	uint64_t stack_in_use; /* bytes of RAM currently backing task stacks */
};
void read_memstats(struct memstats *ms);

/* ---- network ---- */

/* One network interface's counters (net_stats). */
struct net_stats {
	char name[8]; /* "vnet0" */
	uint8_t mac[6];
	uint32_t ipv4; /* its address in network byte order, 0 until configured */
	uint64_t rx_packets, rx_bytes;
	/* Frames dropped on the way in: by the driver (too short, too long, no
	 * buffer) and by the stack (lwIP's link, ARP, IP, ICMP, UDP and TCP
	 * drops: bad checksums and lengths, no memory, nobody listening). */
	uint64_t rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped;
};

/* The counters of interface idx (0, 1, ... in probe order): 0, or -ENODEV
 * past the last one. */
int net_stats(int idx, struct net_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */
