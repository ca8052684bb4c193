/* bench-pipe.c: workload 1, libevent's classic pipe benchmark
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * N socketpairs, the read end of each watched for READ. 100 of them are
 * made readable; each readable event reads one byte and writes one byte to
 * the next pair, until 1,000 writes have been made and every byte read
 * (libevent's test/bench.c). One run is timed from the start of the
 * (optional) re-add phase to the last byte read; the loop is iterated
 * without blocking, as bench.c does (EVLOOP_ONCE | EVLOOP_NONBLOCK).
 *
 * Variant "kept": the watchers stay registered between runs.
 * Variant "re-added": before each run every watcher is removed and added
 * again with the peer's own API (this is what bench.c does before each
 * run, but here it is inside the timed region, so that it measures
 * add/remove cost: a loop that batches changes, like libev, makes no
 * syscall for a watcher removed and re-added with the same events).
 */
#include "bench-pipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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
#include <glib-unix.h>

/* state of the run in progress (each child process has its own) */
const PipeParams *pp;
int *pipes;
int count, writes, fired;

void
setup_pipes (const PipeParams *params)
{
  pp = params;
  pipes = g_new (int, 2 * (gsize) pp->n_pipes);
  for (int i = 0; i < pp->n_pipes; i++)
    if (socketpair (AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) != 0)
      {
        fprintf (stderr, "socketpair #%d: %s\n", i, g_strerror (errno));
        exit (2);
      }
}

static int iterations;

static double
one_run (const PipeOps *ops)
{
  int space = pp->n_pipes / pp->n_active * 2;
  uint64_t t0, t1;

  t0 = bench_clock_ns ();
  if (pp->readd)
    ops->readd_all ();
  fired = 0;
  for (int i = 0; i < pp->n_active; i++, fired++)
    if (send (pipes[i * space + 1], "e", 1, 0) != 1)
      abort ();
  count = 0;
  writes = pp->n_writes;
  iterations = 0;
  do
    {
      ops->iterate ();
      iterations++;
    }
  while (count != fired);
  t1 = bench_clock_ns ();
  return (double) (t1 - t0) / 1000.0;
}

void
timed_runs (const PipeOps *ops,
            BenchSample   *out)
{
  double t[256];
  int reps = MIN (pp->reps, 256);

  one_run (ops);
  one_run (ops);
  for (int i = 0; i < reps; i++)
    t[i] = one_run (ops);
  out->value = bench_median (t, reps);
  out->extra[0] = iterations;
}

/* ---------------------------------------------------------------- epoll */

static int epfd;

static void
epoll_add (int i)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t) i };

  if (epoll_ctl (epfd, EPOLL_CTL_ADD, pipes[2 * i], &ev) != 0)
    abort ();
}

/* a naive loop: one DEL and one ADD per watcher */
static void
epoll_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      if (epoll_ctl (epfd, EPOLL_CTL_DEL, pipes[2 * i], NULL) != 0)
        abort ();
      epoll_add (i);
    }
}

static void
epoll_iterate (void)
{
  struct epoll_event evs[256];
  int n = epoll_wait (epfd, evs, G_N_ELEMENTS (evs), 0);

  for (int i = 0; i < n; i++)
    read_cb ((int) evs[i].data.u32);
}

static gboolean
run_epoll (gpointer     ctx,
           BenchSample *out)
{
  static const PipeOps ops = { epoll_readd_all, epoll_iterate };

  setup_pipes (ctx);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  for (int i = 0; i < pp->n_pipes; i++)
    epoll_add (i);
  timed_runs (&ops, out);
  return TRUE;
}

/* --------------------------------------------------------------- ioloop */
#ifdef BENCH_WITH_IOLOOP
static IoLoop *io;

static void
io_read_cb (int       fd,
            IoEvents  events,
            gpointer  user_data,
            GError  **error)
{
  read_cb (GPOINTER_TO_INT (user_data));
}

static void
io_add (int i)
{
  GError *error = NULL;

  if (!io_loop_add_handler (io, pipes[2 * i], IO_EVENTS_READ, io_read_cb,
                            GINT_TO_POINTER (i), NULL, &error))
    {
      fprintf (stderr, "io_loop_add_handler: %s\n", error->message);
      exit (2);
    }
}

static void
io_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      io_loop_remove_handler (io, pipes[2 * i], NULL);
      io_add (i);
    }
}

static void
io_iterate (void)
{
  io_loop_iteration (io, FALSE, NULL);
}

static gboolean
run_ioloop (gpointer     ctx,
            BenchSample *out)
{
  static const PipeOps ops = { io_readd_all, io_iterate };
  GError *error = NULL;

  setup_pipes (ctx);
  io = io_loop_new_with_backend ("epoll", &error);
  if (io == NULL)
    {
      fprintf (stderr, "io_loop_new_with_backend: %s\n", error->message);
      return FALSE;
    }
  for (int i = 0; i < pp->n_pipes; i++)
    io_add (i);
  timed_runs (&ops, out);
  return TRUE;
}
#endif

/* ---------------------------------------------------------------- libev */
#ifdef BENCH_WITH_LIBEV
static struct ev_loop *evl;
static ev_io *lev_watchers;

static void
lev_read_cb (struct ev_loop *loop,
            ev_io          *w,
            int             revents)
{
  read_cb ((int) (w - lev_watchers));
}

static void
lev_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      ev_io_stop (evl, &lev_watchers[i]);
      ev_io_set (&lev_watchers[i], pipes[2 * i], EV_READ);
      ev_io_start (evl, &lev_watchers[i]);
    }
}

static void
lev_iterate (void)
{
  ev_run (evl, EVRUN_NOWAIT);
}

static gboolean
run_libev (gpointer     ctx,
           BenchSample *out)
{
  static const PipeOps ops = { lev_readd_all, lev_iterate };

  setup_pipes (ctx);
  evl = ev_loop_new (EVBACKEND_EPOLL);
  lev_watchers = g_new0 (ev_io, pp->n_pipes);
  for (int i = 0; i < pp->n_pipes; i++)
    {
      ev_io_init (&lev_watchers[i], lev_read_cb, pipes[2 * i], EV_READ);
      ev_io_start (evl, &lev_watchers[i]);
    }
  timed_runs (&ops, out);
  return TRUE;
}
#endif

/* ---------------------------------------------------------------- libuv */
#ifdef BENCH_WITH_LIBUV
static uv_loop_t uvl;
static uv_poll_t *luv_polls;

static void
luv_read_cb (uv_poll_t *handle,
            int        status,
            int        events)
{
  read_cb ((int) (handle - luv_polls));
}

static void
luv_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      uv_poll_stop (&luv_polls[i]);
      uv_poll_start (&luv_polls[i], UV_READABLE, luv_read_cb);
    }
}

static void
luv_iterate (void)
{
  uv_run (&uvl, UV_RUN_NOWAIT);
}

static gboolean
run_libuv (gpointer     ctx,
           BenchSample *out)
{
  static const PipeOps ops = { luv_readd_all, luv_iterate };

  setup_pipes (ctx);
  uv_loop_init (&uvl);
  luv_polls = g_new0 (uv_poll_t, pp->n_pipes);
  for (int i = 0; i < pp->n_pipes; i++)
    {
      uv_poll_init (&uvl, &luv_polls[i], pipes[2 * i]);
      uv_poll_start (&luv_polls[i], UV_READABLE, luv_read_cb);
    }
  timed_runs (&ops, out);
  return TRUE;
}
#endif

/* ----------------------------------------------------------------- GLib */
static GMainContext *gctx;
static GSource **gsources;

static gboolean
glib_read_cb (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  read_cb (GPOINTER_TO_INT (user_data));
  return G_SOURCE_CONTINUE;
}

static void
glib_add (int i)
{
  GSource *s = g_unix_fd_source_new (pipes[2 * i], G_IO_IN);

  g_source_set_callback (s, G_SOURCE_FUNC (glib_read_cb), GINT_TO_POINTER (i), NULL);
  g_source_attach (s, gctx);
  gsources[i] = s;
}

static void
glib_readd_all (void)
{
  for (int i = 0; i < pp->n_pipes; i++)
    {
      g_source_destroy (gsources[i]);
      g_source_unref (gsources[i]);
      glib_add (i);
    }
}

static void
glib_iterate (void)
{
  g_main_context_iteration (gctx, FALSE);
}

static gboolean
run_glib (gpointer     ctx,
          BenchSample *out)
{
  static const PipeOps ops = { glib_readd_all, glib_iterate };

  setup_pipes (ctx);
  gctx = g_main_context_new ();
  gsources = g_new0 (GSource *, pp->n_pipes);
  for (int i = 0; i < pp->n_pipes; i++)
    glib_add (i);
  timed_runs (&ops, out);
  return TRUE;
}

/* ----------------------------------------------------------------- main */

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
  { "libevent", bench_pipe_run_libevent },
#endif
  { "glib", run_glib },
};

int
main (void)
{
  int nofile, n_max;
  int sizes[5], n_sizes = 0;
  const int wanted[] = { 100, 1000, 10000 };

  bench_init ("bench-pipe", "pipe benchmark (libevent's test/bench.c method)");
  nofile = bench_raise_nofile ();
  /* two fds per pair, plus a margin for stdio, epoll/eventfd/signal fds */
  n_max = (nofile - 40) / 2 / 10 * 10;
  printf ("# RLIMIT_NOFILE soft raised to hard = %d: largest N = %d socketpairs (%d fds)\n",
          nofile, n_max, 2 * n_max);

  if (bench_quick ())
    {
      sizes[n_sizes++] = 100;
      sizes[n_sizes++] = MIN (1000, n_max);
    }
  else
    {
      for (unsigned i = 0; i < G_N_ELEMENTS (wanted); i++)
        if (wanted[i] < n_max)
          sizes[n_sizes++] = wanted[i];
        else
          printf ("# N=%d needs %d fds, more than the limit allows: skipped\n",
                  wanted[i], 2 * wanted[i] + 40);
      sizes[n_sizes++] = n_max;
    }

  for (int v = 0; v < 2; v++)
    for (int s = 0; s < n_sizes; s++)
      {
        PipeParams params = {
          .n_pipes = sizes[s],
          .n_active = bench_quick () ? 10 : 100,
          .n_writes = bench_quick () ? 100 : 1000,
          .readd = v == 1,
          .reps = bench_quick () ? 3 : 15,
        };
        char *title = g_strdup_printf ("watchers %s, %d active, %d writes",
                                       params.readd ? "removed and re-added every run" : "kept",
                                       params.n_active, params.n_writes);
        char *pstr = g_strdup_printf ("%s N=%d", params.readd ? "re-added" : "kept",
                                      params.n_pipes);
        char *metric = g_strdup_printf ("time per run (median of %d runs)", params.reps);
        BenchCase c = {
          .workload = "pipe",
          .title = title,
          .params = pstr,
          .metric = metric,
          .unit = "us",
          .higher_is_better = FALSE,
          .n_extra = 1,
          .extra_names = { "iterations" },
          .extra_units = { "n" },
          .maxrss_extra = -1,
        };

        bench_run_case (&c, peers, G_N_ELEMENTS (peers), &params);
        g_free (title);
        g_free (pstr);
        g_free (metric);
      }
  return bench_exit_status ();
}
