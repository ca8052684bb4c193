/* bench-echo.c: workload 4, TCP echo on loopback
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each peer's echo server runs in its own process on a listening socket on
 * 127.0.0.1; the load client (bench-echo-client, a separate process, the
 * same for every server) opens 100 connections and keeps one 32-byte
 * message in flight on each. Reported: round trips per second, and the
 * server's CPU time (user + sys, from wait4()) per round trip, which does
 * not depend on how fast the client is.
 */
#define _GNU_SOURCE 1  /* accept4 */

#include "bench-echo.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_WITH_IOLOOP
#include <ioloop/ioloop.h>
#endif
#ifdef BENCH_WITH_LIBEV
#include <ev.h>
#endif
#ifdef BENCH_WITH_LIBUV
#include <uv.h>
#endif

typedef void (*ServeFunc) (int listen_fd);

/* Server in a child process, client in another; returns FALSE on failure. */
static gboolean
measure (const EchoParams *ep,
         ServeFunc         serve,
         BenchSample      *out)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  int one = 1, lfd;
  pid_t server;
  EchoResult res;

  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (lfd, (struct sockaddr *) &sa, sizeof sa) != 0 || listen (lfd, 1024) != 0
      || getsockname (lfd, (struct sockaddr *) &sa, &len) != 0)
    {
      perror ("bind/listen");
      return FALSE;
    }

  server = fork ();
  if (server == 0)
    {
      serve (lfd);
      _exit (0);
    }
  close (lfd);

  if (!echo_run_client (ep, server, ntohs (sa.sin_port), &res))
    return FALSE;
  out->value = res.trips_per_s;
  out->extra[0] = res.server_cpu_us / (double) res.all_trips;
  return TRUE;
}


/* ---------------------------------------------------------------- libev */
#ifdef BENCH_WITH_LIBEV
static void
lev_conn_cb (struct ev_loop *loop,
             ev_io          *w,
             int             revents)
{
  if (!echo_read_write (w->fd))
    {
      ev_io_stop (loop, w);
      close (w->fd);
      g_free (w);
    }
}

static void
lev_accept_cb (struct ev_loop *loop,
               ev_io          *w,
               int             revents)
{
  int fd;

  while ((fd = echo_accept (w->fd)) >= 0)
    {
      ev_io *c = g_new (ev_io, 1);

      ev_io_init (c, lev_conn_cb, fd, EV_READ);
      ev_io_start (loop, c);
    }
}

static void
serve_libev (int lfd)
{
  struct ev_loop *loop = ev_loop_new (EVBACKEND_EPOLL);
  ev_io lw;

  ev_io_init (&lw, lev_accept_cb, lfd, EV_READ);
  ev_io_start (loop, &lw);
  ev_run (loop, 0);
}
#endif

/* ---------------------------------------------------------------- libuv */
#ifdef BENCH_WITH_LIBUV
static uv_loop_t uvl;
static char luv_buf[4096];

static void
luv_alloc_cb (uv_handle_t *handle,
              size_t       suggested,
              uv_buf_t    *buf)
{
  *buf = uv_buf_init (luv_buf, sizeof luv_buf);
}

static void
luv_close_cb (uv_handle_t *handle)
{
  g_free (handle);
}

typedef struct
{
  uv_write_t req;
  char       data[];
} LuvWrite;

static void
luv_write_cb (uv_write_t *req,
              int         status)
{
  g_free (req);
}

static void
luv_read_cb (uv_stream_t    *stream,
             ssize_t         nread,
             const uv_buf_t *buf)
{
  if (nread > 0)
    {
      /* uv_try_write() writes at once without a request; a partial write
       * (never seen with 32-byte messages) queues the rest */
      uv_buf_t b = uv_buf_init (buf->base, (unsigned) nread);
      int done = uv_try_write (stream, &b, 1);

      if (done < 0)
        done = 0;
      if (done < nread)
        {
          LuvWrite *w = g_malloc (sizeof *w + (nread - done));

          memcpy (w->data, buf->base + done, nread - done);
          b = uv_buf_init (w->data, (unsigned) (nread - done));
          uv_write (&w->req, stream, &b, 1, luv_write_cb);
        }
    }
  else if (nread < 0)
    uv_close ((uv_handle_t *) stream, luv_close_cb);
}

static void
luv_connection_cb (uv_stream_t *server,
                   int          status)
{
  uv_tcp_t *c = g_new (uv_tcp_t, 1);

  uv_tcp_init (&uvl, c);
  if (uv_accept (server, (uv_stream_t *) c) == 0)
    {
      uv_tcp_nodelay (c, 1);
      uv_read_start ((uv_stream_t *) c, luv_alloc_cb, luv_read_cb);
    }
  else
    uv_close ((uv_handle_t *) c, luv_close_cb);
}

static void
serve_libuv (int lfd)
{
  uv_tcp_t server;

  uv_loop_init (&uvl);
  uv_tcp_init (&uvl, &server);
  uv_tcp_open (&server, lfd);
  uv_listen ((uv_stream_t *) &server, 1024, luv_connection_cb);
  uv_run (&uvl, UV_RUN_DEFAULT);
}
#endif

/* ----------------------------------------------------------------- GLib */
static gboolean
glib_conn_cb (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  if (!echo_read_write (fd))
    {
      close (fd);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
glib_accept_cb (gint         lfd,
                GIOCondition condition,
                gpointer     user_data)
{
  int fd;

  while ((fd = echo_accept (lfd)) >= 0)
    {
      GSource *s = g_unix_fd_source_new (fd, G_IO_IN);

      g_source_set_callback (s, G_SOURCE_FUNC (glib_conn_cb), NULL, NULL);
      g_source_attach (s, user_data);
      g_source_unref (s);
    }
  return G_SOURCE_CONTINUE;
}

static void
serve_glib (int lfd)
{
  GMainContext *ctx = g_main_context_new ();
  GMainLoop *loop = g_main_loop_new (ctx, FALSE);
  GSource *s = g_unix_fd_source_new (lfd, G_IO_IN);

  g_source_set_callback (s, G_SOURCE_FUNC (glib_accept_cb), ctx, NULL);
  g_source_attach (s, ctx);
  g_main_loop_run (loop);
}

/* ----------------------------------------------------------------- main */

#define PEER(name, func) \
  static gboolean run_##name (gpointer ctx, BenchSample *out) { return measure (ctx, func, out); }

#ifdef BENCH_WITH_IOLOOP
PEER (ioloop, echo_serve_ioloop)
#endif
PEER (epoll, echo_serve_epoll)
#ifdef BENCH_WITH_LIBEV
PEER (libev, serve_libev)
#endif
#ifdef BENCH_WITH_LIBUV
PEER (libuv, serve_libuv)
#endif
#ifdef BENCH_WITH_LIBEVENT
PEER (libevent, bench_echo_serve_libevent)
#endif
PEER (glib, serve_glib)

static const BenchPeer peers[] = {
#ifdef BENCH_WITH_IOLOOP
  { "ioloop", run_ioloop },
#endif
  { "epoll", run_epoll },
#ifdef BENCH_WITH_LIBEV
  { "libev", run_libev },
#endif
#ifdef BENCH_WITH_LIBUV
  { "libuv", run_libuv },
#endif
#ifdef BENCH_WITH_LIBEVENT
  { "libevent", run_libevent },
#endif
  { "glib", run_glib },
};

int
main (void)
{
  EchoParams params;
  char *title, *pstr, *client;

  bench_init ("bench-echo", "TCP echo on loopback");
  signal (SIGPIPE, SIG_IGN);
  params.client = client = echo_find_client ();
  params.connections = 100;
  params.msg_bytes = 32;
  params.warmup = bench_quick () ? 0.05 : 0.3;
  params.seconds = bench_quick () ? 0.2 : 2.0;
  if (!g_file_test (params.client, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-echo: load client %s not found (set BENCH_ECHO_CLIENT)\n",
               params.client);
      g_free (client);
      return 1;
    }
  title = g_strdup_printf ("1 load client process, %d connections, %d-byte messages, "
                           "%.1f s after %.2f s warm-up",
                           params.connections, params.msg_bytes, params.seconds,
                           params.warmup);
  pstr = g_strdup_printf ("c=%d", params.connections);

  BenchCase c = {
    .workload = "echo",
    .title = title,
    .params = pstr,
    .metric = "round trips per second",
    .unit = "1/s",
    .higher_is_better = TRUE,
    .n_extra = 1,
    .extra_names = { "server CPU/trip" },
    .extra_units = { "us" },
    .maxrss_extra = -1,
  };

  bench_run_case (&c, peers, G_N_ELEMENTS (peers), &params);
  g_free (title);
  g_free (pstr);
  g_free (client);
  return bench_exit_status ();
}
