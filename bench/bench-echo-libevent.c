/* bench-echo-libevent.c: the TCP echo server with libevent
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-echo.h"

#include <event2/event.h>
#include <unistd.h>

static struct event_base *evb;

static void
evb_conn_cb (evutil_socket_t fd,
             short           what,
             void           *arg)
{
  if (!echo_read_write (fd))
    {
      event_free (arg);
      close (fd);
    }
}

static void
evb_accept_cb (evutil_socket_t lfd,
               short           what,
               void           *arg)
{
  int fd;

  while ((fd = echo_accept (lfd)) >= 0)
    {
      struct event *ev = event_new (evb, fd, EV_READ | EV_PERSIST, evb_conn_cb,
                                    event_self_cbarg ());

      event_add (ev, NULL);
    }
}

void
bench_echo_serve_libevent (int listen_fd)
{
  struct event *lev;

  if (!BENCH_LIBEVENT_IS_REAL ())
    return;
  evb = event_base_new ();
  lev = event_new (evb, listen_fd, EV_READ | EV_PERSIST, evb_accept_cb, NULL);
  event_add (lev, NULL);
  event_base_dispatch (evb);
}
