/* bench-timers-libevent.c: timer churn with libevent
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-timers.h"

#include <event2/event.h>
#include <event2/event_struct.h>

static struct event_base *evb;
static struct event *evb_timers;   /* the caller's structs, counted */

static void
evb_timer_cb (evutil_socket_t fd,
              short           what,
              void           *arg)
{
  if (++fired == tp->n_timers / 2)
    event_base_loopbreak (evb);
}

static void
evb_add_all (void)
{
  evb_timers = g_new (struct event, tp->n_timers);
  for (int i = 0; i < tp->n_timers; i++)
    {
      struct timeval tv = { delays_us[i] / 1000000, delays_us[i] % 1000000 };

      evtimer_assign (&evb_timers[i], evb, evb_timer_cb, NULL);
      evtimer_add (&evb_timers[i], &tv);
    }
}

static void
evb_cancel_half (void)
{
  for (int i = 1; i < tp->n_timers; i += 2)
    evtimer_del (&evb_timers[i]);
}

static void
evb_run (void)
{
  event_base_dispatch (evb);
}

gboolean
bench_timers_run_libevent (gpointer     ctx,
                           BenchSample *out)
{
  static const TimerOps ops = { evb_add_all, evb_cancel_half, evb_run };

  if (!BENCH_LIBEVENT_IS_REAL ())
    return FALSE;
  timers_prepare (ctx);
  evb = event_base_new ();
  timers_measure (&ops, out);
  return fired == tp->n_timers / 2;
}
