/* bench-xthread.h: what the cross-thread benchmark's peers share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bench-common.h"

#include <pthread.h>

typedef struct
{
  int      n_callbacks;
  /* Both threads pinned to one CPU: the producer then runs for whole
   * scheduler slices while the loop waits, as on a machine whose loop
   * thread is slower than its producer; the queue has to hold a slice's
   * worth of callbacks. */
  gboolean one_cpu;
} XthreadParams;

extern const XthreadParams *xp;

/* The callback every peer runs on the loop thread: returns TRUE for the
 * last one (the peer then stops its loop). */
gboolean xthread_consume (void);

typedef struct
{
  void (*post) (void);   /* producer thread: post one callback */
  void (*run)  (void);   /* loop thread: run until the last callback ran */
} XthreadOps;

/* Starts the producer thread, runs the loop; value = callbacks/s (from the
 * first post to the last callback), extra[0] = write() syscalls made by the
 * producer thread per 1,000 callbacks (its /proc/thread-self/io syscw). */
void xthread_measure (const XthreadParams *params,
                      const XthreadOps    *ops,
                      BenchSample         *out);

/* A plain mutex-protected queue of (func, data) pairs, for the peers whose
 * native primitive is a coalescing wake-up (ev_async, uv_async_t, an
 * activated libevent event) rather than a callback queue. */
typedef struct
{
  void (*func) (void *data);
  void  *data;
} XthreadItem;

void xqueue_init  (void);
void xqueue_push  (void (*func) (void *data),
                   void  *data);
/* runs every queued item (the queue is swapped out under the lock) */
void xqueue_drain (void);

/* the item every queue-based peer posts: calls xthread_consume () and the
 * peer's stop function on the last one */
extern void (*xqueue_stop) (void);
void xqueue_item_cb (void *data);

gboolean bench_xthread_run_libevent (gpointer     ctx,
                                     BenchSample *out);
