/* bench-pipe-libevent.c: the pipe benchmark with libevent
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-pipe.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdint.h>

static struct event_base *evb;
static struct event *evb_events;

static void
evb_read_cb (evutil_socket_t fd,
             short           what,
             void           *arg)
{
  read_cb ((int) (intptr_t) arg);
}

static void
evb_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      event_del (&evb_events[i]);
      event_assign (&evb_events[i], evb, pipes[2 * i], EV_READ | EV_PERSIST,
                    evb_read_cb, (void *) (intptr_t) i);
      event_add (&evb_events[i], NULL);
    }
}

static void
evb_iterate (void)
{
  event_base_loop (evb, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

gboolean
bench_pipe_run_libevent (gpointer     ctx,
                         BenchSample *out)
{
  static const PipeOps ops = { evb_readd_all, evb_iterate };

  if (!BENCH_LIBEVENT_IS_REAL ())
    return FALSE;
  setup_pipes (ctx);
  evb = event_base_new ();
  evb_events = g_new0 (struct event, pp->n_pipes);
  for (int i = 0; i < pp->n_pipes; i++)
    {
      event_assign (&evb_events[i], evb, pipes[2 * i], EV_READ | EV_PERSIST,
                    evb_read_cb, (void *) (intptr_t) i);
      event_add (&evb_events[i], NULL);
    }
  timed_runs (&ops, out);
  return TRUE;
}

