/* bench-pipe-glib.c: the pipe benchmark inside a GLib main context
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The workload of bench-pipe.c (libevent's test/bench.c: N socketpairs,
 * 100 made readable, each readable event reads a byte and writes one to
 * the next pair until 1,000 writes; every iteration is non-blocking), run
 * the way a GNOME program would run it: from a GMainContext.
 *
 *   ioloop    an IoLoop (epoll) attached to the context with
 *             io_loop_attach(), iterated by g_main_context_iteration():
 *             the reference of the speed-up column
 *   io-alone  the same IoLoop iterated by io_loop_iteration(), no GLib
 *   glib-fd   GLib's own fd sources (g_unix_fd_source_new()), one per pair,
 *             iterated by g_main_context_iteration()
 *
 * GLib rebuilds its poll array on every iteration and polls every fd:
 * O(N) per iteration, and O(N) per source added or removed. The attached
 * IoLoop gives GLib one fd to poll, the epoll fd.
 *
 * Goals (issue 5): at the largest N, ioloop within 1.3x of io-alone (the
 * io-alone column >= 0.77) and >= 10x faster than glib-fd (its column
 * >= 10).
 */
#include "bench-pipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>
#include <ioloop/ioloop.h>

/* The run harness of bench-pipe.c (which holds its own main()). */
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

/* ------------------------------------------------------- ioloop handlers */

static IoLoop *io;
static GMainContext *gctx;

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

static gboolean
io_setup (const PipeParams *params)
{
  GError *error = NULL;

  setup_pipes (params);
  io = io_loop_new_with_backend ("epoll", &error);
  if (io == NULL)
    {
      fprintf (stderr, "io_loop_new_with_backend: %s\n", error->message);
      return FALSE;
    }
  for (int i = 0; i < pp->n_pipes; i++)
    io_add (i);
  return TRUE;
}

/* ---------------------------------------- ioloop attached to GLib context */

static void
attached_iterate (void)
{
  g_main_context_iteration (gctx, FALSE);
}

static gboolean
run_attached (gpointer     ctx,
              BenchSample *out)
{
  static const PipeOps ops = { io_readd_all, attached_iterate };
  GError *error = NULL;

  if (!io_setup (ctx))
    return FALSE;
  gctx = g_main_context_new ();
  if (io_loop_attach (io, gctx, &error) == 0)
    {
      fprintf (stderr, "io_loop_attach: %s\n", error->message);
      return FALSE;
    }
  timed_runs (&ops, out);
  return TRUE;
}

/* ---------------------------------------------------------- ioloop alone */

static void
alone_iterate (void)
{
  io_loop_iteration (io, FALSE, NULL);
}

static gboolean
run_alone (gpointer     ctx,
           BenchSample *out)
{
  static const PipeOps ops = { io_readd_all, alone_iterate };

  if (!io_setup (ctx))
    return FALSE;
  timed_runs (&ops, out);
  return TRUE;
}

/* ------------------------------------------------------ GLib's fd sources */

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
  { "ioloop", run_attached },
  { "io-alone", run_alone },
  { "glib-fd", run_glib },
};

int
main (void)
{
  int nofile, n_max;
  int sizes[5], n_sizes = 0;
  const int wanted[] = { 100, 1000, 10000 };

  bench_init ("bench-pipe-glib",
              "pipe benchmark inside a GMainContext: ioloop attached (io_loop_attach) "
              "vs ioloop alone vs GLib's own fd sources");
  nofile = bench_raise_nofile ();
  /* two fds per pair, plus a margin for stdio, epoll/eventfd/GLib's fds */
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
        char *title = g_strdup_printf ("inside a GMainContext, watchers %s, %d active, %d writes",
                                       params.readd ? "removed and re-added every run" : "kept",
                                       params.n_active, params.n_writes);
        char *pstr = g_strdup_printf ("%s N=%d", params.readd ? "re-added" : "kept",
                                      params.n_pipes);
        char *metric = g_strdup_printf ("time per run (median of %d runs)", params.reps);
        BenchCase c = {
          .workload = "pipe-glib",
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
