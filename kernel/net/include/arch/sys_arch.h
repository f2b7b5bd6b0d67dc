/* SPDX-License-Identifier: MIT */
/*
 * lwIP's OS types (lwIP's doc/sys_arch.txt) on the scheduler's primitives
 * (kernel/net/sys_arch.c): a mailbox is a channel of pointers, a mutex is a
 * task mutex, a semaphore is a count and a wake-up channel. Every blocking
 * call parks only the calling task.
 */
#ifndef WEFT_LWIP_ARCH_SYS_ARCH_H
#define WEFT_LWIP_ARCH_SYS_ARCH_H

#include <weft.h>

struct sys_sem;

typedef struct sys_sem *sys_sem_t;
typedef chan_t *sys_mbox_t;
typedef mutex_t sys_mutex_t;
typedef int sys_thread_t;
typedef int sys_prot_t;

/* The calling task's semaphore (LWIP_NETCONN_THREAD_SEM_GET), made on
 * first use and freed when the task exits. */
sys_sem_t *weft_lwip_task_sem(void);

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL NULL

#define sys_sem_valid(s) ((s) != NULL && *(s) != NULL)
#define sys_sem_set_invalid(s) (*(s) = NULL)
#define sys_mbox_valid(m) ((m) != NULL && *(m) != NULL)
#define sys_mbox_set_invalid(m) (*(m) = NULL)
/* A zeroed mutex_t is a valid, unlocked mutex. */
#define sys_mutex_valid(m) ((m) != NULL)
#define sys_mutex_set_invalid(m) ((void)(m))

#endif
