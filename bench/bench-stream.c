/* bench-stream.c: workload 7, TCP echo through buffered streams
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The echo of workload 4, served through each library's buffered stream
 * rather than a raw fd watcher: ioloop's IoStream (IoListener,
 * io_stream_read_chunks() handing each chunk to io_stream_write()),
 * libevent's bufferevent (evconnlistener, a read callback moving the input
 * evbuffer to the output one) and libuv's uv_stream (uv_read_start(), a
 * uv_write() per read, as libuv's own echo server does). Each server binds
 * its own listener with its library's call, in its own process, and sends
 * the port it got to the parent, which then starts the same load client
 * as workload 4.
 *
 * Two cases: ping-pong (100 connections, one 32-byte message in flight on
 * each) and bulk (10 connections, one 64 KiB message in flight on each).
 * Ranked by the server's CPU time (user + sys, from wait4()) per round
 * trip, or per MiB echoed: on 2 CPUs the client bounds the rate, which is
 * shown beside it.
 */
#include "bench-echo.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_WITH_IOLOOP
#include <ioloop/ioloop.h>
#endif
#ifdef BENCH_WITH_LIBUV
#include <uv.h>
#endif
#ifdef BENCH_WITH_LIBEVENT
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#endif

#define MIB (1024.0 * 1024.0)

/* Runs in the server process: binds 127.0.0.1:0, reports the port with
 * stream_ready() and runs its loop forever (it is killed). Returning means
 * it failed. */
typedef void (*StreamServeFunc) (int ready_fd);

static void
stream_ready (int     ready_fd,
              guint16 port)
{
  int p = port;

  if (write (ready_fd, &p, sizeof p) != sizeof p)
    _exit (1);
  close (ready_fd);
}

static void
set_nodelay (int fd)
{
  int one = 1;

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static gboolean
measure (const EchoParams *ep,
         StreamServeFunc   serve,
         BenchSample      *out)
{
  int fds[2], port = 0;
  pid_t server;
  ssize_t n;
  EchoResult res;
  double units;

  if (pipe (fds) != 0)
    return FALSE;
  server = fork ();
  if (server == 0)
    {
      close (fds[0]);
      serve (fds[1]);
      _exit (1);
    }
  close (fds[1]);
  do
    n = read (fds[0], &port, sizeof port);
  while (n < 0 && errno == EINTR);
  close (fds[0]);
  if (server < 0 || n != sizeof port)
    {
      fprintf (stderr, "bench-stream: the server did not start\n");
      if (server > 0)
        {
          kill (server, SIGKILL);
          waitpid (server, NULL, 0);
        }
      return FALSE;
    }
  if (!echo_run_client (ep, server, port, &res))
    return FALSE;
  /* a round trip per unit in ping-pong, a MiB per unit in bulk */
  units = ep->msg_bytes >= 4096 ? res.all_trips * ep->msg_bytes / MIB : res.all_trips;
  out->value = res.server_cpu_us / units;
  out->extra[0] = ep->msg_bytes >= 4096 ? res.trips_per_s * ep->msg_bytes / MIB
                                        : res.trips_per_s;
  return TRUE;
}

/* --------------------------------------------------------------- ioloop */
#ifdef BENCH_WITH_IOLOOP
static void
io_chunk_cb (IoStream     *stream,
             GBytes       *data,
             const GError *error,
             gpointer      user_data)
{
  /* at the end (data NULL) the stream closes itself */
  if (data != NULL)
    io_stream_write (stream, data, NULL);
}

static void
io_accept_cb (IoListener   *listener,
              IoStream     *stream,
              const GError *error,
              gpointer      user_data)
{
  if (stream == NULL)
    return;
  set_nodelay (io_stream_get_fd (stream));
  io_stream_read_chunks (stream, io_chunk_cb, NULL, NULL);
}

static void
serve_ioloop (int ready_fd)
{
  IoLoop *loop = io_loop_new_with_backend ("epoll", NULL);
  GError *error = NULL;
  IoListener *listener = io_listener_new_tcp (loop, "127.0.0.1", 0, 1024,
                                              IO_LISTENER_FLAGS_NONE, io_accept_cb,
                                              NULL, NULL, &error);

  if (listener == NULL)
    {
      fprintf (stderr, "io_listener_new_tcp: %s\n", error->message);
      return;
    }
  stream_ready (ready_fd, io_listener_get_port (listener));
  io_loop_start (loop, NULL);
}
#endif

/* ------------------------------------------------------------- libevent */
#ifdef BENCH_WITH_LIBEVENT
static void
bev_read_cb (struct bufferevent *bev,
             void               *arg)
{
  evbuffer_add_buffer (bufferevent_get_output (bev), bufferevent_get_input (bev));
}

static void
bev_event_cb (struct bufferevent *bev,
              short               what,
              void               *arg)
{
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
    bufferevent_free (bev);
}

static void
bev_accept_cb (struct evconnlistener *listener,
               evutil_socket_t        fd,
               struct sockaddr       *addr,
               int                    len,
               void                  *base)
{
  struct bufferevent *bev = bufferevent_socket_new (base, fd, BEV_OPT_CLOSE_ON_FREE);

  set_nodelay (fd);
  bufferevent_setcb (bev, bev_read_cb, NULL, bev_event_cb, NULL);
  bufferevent_enable (bev, EV_READ | EV_WRITE);
}

static void
serve_libevent (int ready_fd)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  struct event_base *base;
  struct evconnlistener *listener;

  if (!BENCH_LIBEVENT_IS_REAL ())
    return;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  base = event_base_new ();
  listener = evconnlistener_new_bind (base, bev_accept_cb, base,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE
                                      | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                      (struct sockaddr *) &sa, sizeof sa);
  if (listener == NULL
      || getsockname (evconnlistener_get_fd (listener), (struct sockaddr *) &sa, &len) != 0)
    {
      perror ("evconnlistener_new_bind");
      return;
    }
  stream_ready (ready_fd, ntohs (sa.sin_port));
  event_base_dispatch (base);
}
#endif

/* ---------------------------------------------------------------- libuv */
#ifdef BENCH_WITH_LIBUV
static uv_loop_t uvl;

typedef struct
{
  uv_write_t req;
  uv_buf_t   buf;
} SuvWrite;

static void
suv_alloc_cb (uv_handle_t *handle,
              size_t       suggested,
              uv_buf_t    *buf)
{
  *buf = uv_buf_init (malloc (suggested), (unsigned) suggested);
}

static void
suv_close_cb (uv_handle_t *handle)
{
  free (handle);
}

static void
suv_write_cb (uv_write_t *req,
              int         status)
{
  SuvWrite *w = (SuvWrite *) req;

  free (w->buf.base);
  free (w);
}

static void
suv_read_cb (uv_stream_t    *stream,
             ssize_t         nread,
             const uv_buf_t *buf)
{
  if (nread > 0)
    {
      SuvWrite *w = malloc (sizeof *w);

      w->buf = uv_buf_init (buf->base, (unsigned) nread);
      uv_write (&w->req, stream, &w->buf, 1, suv_write_cb);
      return;
    }
  free (buf->base);
  if (nread < 0)
    uv_close ((uv_handle_t *) stream, suv_close_cb);
}

static void
suv_connection_cb (uv_stream_t *server,
                   int          status)
{
  uv_tcp_t *c = malloc (sizeof *c);

  uv_tcp_init (&uvl, c);
  if (uv_accept (server, (uv_stream_t *) c) == 0)
    {
      uv_tcp_nodelay (c, 1);
      uv_read_start ((uv_stream_t *) c, suv_alloc_cb, suv_read_cb);
    }
  else
    uv_close ((uv_handle_t *) c, suv_close_cb);
}

static void
serve_libuv (int ready_fd)
{
  struct sockaddr_in sa;
  int len = sizeof sa;
  uv_tcp_t server;
  int err;

  uv_loop_init (&uvl);
  uv_tcp_init (&uvl, &server);
  uv_ip4_addr ("127.0.0.1", 0, &sa);
  if ((err = uv_tcp_bind (&server, (struct sockaddr *) &sa, 0)) != 0
      || (err = uv_listen ((uv_stream_t *) &server, 1024, suv_connection_cb)) != 0
      || (err = uv_tcp_getsockname (&server, (struct sockaddr *) &sa, &len)) != 0)
    {
      fprintf (stderr, "uv_listen: %s\n", uv_strerror (err));
      return;
    }
  stream_ready (ready_fd, ntohs (sa.sin_port));
  uv_run (&uvl, UV_RUN_DEFAULT);
}
#endif

/* ----------------------------------------------------------------- main */

#define PEER(name, func) \
  static gboolean run_##name (gpointer ctx, BenchSample *out) { return measure (ctx, func, out); }

#ifdef BENCH_WITH_IOLOOP
PEER (ioloop, serve_ioloop)
#endif
#ifdef BENCH_WITH_LIBUV
PEER (libuv, serve_libuv)
#endif
#ifdef BENCH_WITH_LIBEVENT
PEER (libevent, serve_libevent)
#endif

static const BenchPeer peers[] = {
#ifdef BENCH_WITH_IOLOOP
  { "ioloop", run_ioloop },
#endif
#ifdef BENCH_WITH_LIBUV
  { "libuv", run_libuv },
#endif
#ifdef BENCH_WITH_LIBEVENT
  { "libevent", run_libevent },
#endif
};

/* BENCH_CASES=ping-pong,bulk: only these cases */
static gboolean
case_selected (const char *name)
{
  const char *env = g_getenv ("BENCH_CASES");
  gboolean found = FALSE;
  char **names;

  if (env == NULL || *env == '\0')
    return TRUE;
  names = g_strsplit (env, ",", -1);
  found = g_strv_contains ((const char * const *) names, name);
  g_strfreev (names);
  return found;
}

static void
run_case (EchoParams *params,
          const char *name,
          int         connections,
          int         msg_bytes)
{
  gboolean bulk = msg_bytes >= 4096;
  char *title, *pstr;

  if (!case_selected (name))
    return;
  params->connections = connections;
  params->msg_bytes = msg_bytes;
  if (bulk)
    title = g_strdup_printf ("1 load client process, %d connections, %d KiB messages, "
                             "%.1f s after %.2f s warm-up", connections, msg_bytes / 1024,
                             params->seconds, params->warmup);
  else
    title = g_strdup_printf ("1 load client process, %d connections, %d-byte messages, "
                             "%.1f s after %.2f s warm-up", connections, msg_bytes,
                             params->seconds, params->warmup);
  pstr = g_strdup_printf ("%s c=%d", name, connections);

  BenchCase c = {
    .workload = "stream",
    .title = title,
    .params = pstr,
    .metric = bulk ? "server CPU time per MiB echoed" : "server CPU time per round trip",
    .unit = "us",
    .higher_is_better = FALSE,
    .n_extra = 1,
    .extra_names = { bulk ? "throughput" : "round trips" },
    .extra_units = { bulk ? "MiB/s" : "1/s" },
    .maxrss_extra = -1,
  };

  bench_run_case (&c, peers, G_N_ELEMENTS (peers), params);
  g_free (title);
  g_free (pstr);
}

int
main (void)
{
  EchoParams params;
  char *client;

  bench_init ("bench-stream", "TCP echo through buffered streams on loopback");
  signal (SIGPIPE, SIG_IGN);
  params.client = client = echo_find_client ();
  params.warmup = bench_quick () ? 0.05 : 0.3;
  params.seconds = bench_quick () ? 0.2 : 2.0;
  if (!g_file_test (params.client, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-stream: load client %s not found (set BENCH_ECHO_CLIENT)\n",
               params.client);
      g_free (client);
      return 1;
    }
  run_case (&params, "ping-pong", 100, 32);
  run_case (&params, "bulk", 10, 64 * 1024);
  g_free (client);
  return bench_exit_status ();
}
