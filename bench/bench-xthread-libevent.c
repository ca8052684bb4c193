/* bench-xthread-libevent.c: cross-thread callbacks with libevent
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Threads enabled (evthread_use_pthreads); the producer queues the callback
 * and activates one user event with event_active(), which takes the base
 * lock and writes the base's notify fd only if no notification is pending.
 */
#include "bench-xthread.h"

#include <event2/event.h>
#include <event2/thread.h>

static struct event_base *evb;
static struct event *evb_async;

static void
evb_async_cb (evutil_socket_t fd,
              short           what,
              void           *arg)
{
  xqueue_drain ();
}

static void
evb_stop (void)
{
  event_base_loopbreak (evb);
}

static void
evb_post (void)
{
  xqueue_push (xqueue_item_cb, NULL);
  event_active (evb_async, EV_READ, 0);
}

static void
evb_run (void)
{
  event_base_loop (evb, EVLOOP_NO_EXIT_ON_EMPTY);
}

gboolean
bench_xthread_run_libevent (gpointer     ctx,
                            BenchSample *out)
{
  static const XthreadOps ops = { evb_post, evb_run };

  if (!BENCH_LIBEVENT_IS_REAL ())
    return FALSE;
  if (evthread_use_pthreads () != 0)
    return FALSE;
  evb = event_base_new ();
  evb_async = event_new (evb, -1, 0, evb_async_cb, NULL);
  xqueue_init ();
  xqueue_stop = evb_stop;
  xthread_measure (ctx, &ops, out);
  return TRUE;
}
