/* bench-timers.c: workload 2, timer churn
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 1,000,000 one-shot timers with random deadlines (uniform over the next
 * 500 ms) are added; every odd-numbered one is cancelled; the loop then runs
 * until the other half has fired. Reported: CPU time per operation (an add,
 * a cancel or a fire: 2,000,000 operations; CPU time so that the idle wait
 * for the deadlines does not count), heap bytes per pending timer (everything
 * allocated by adding the timers, including the caller's own struct where
 * the API wants one: ev_timer, uv_timer_t, struct event) and the child
 * process's peak RSS.
 */
#include "bench-timers.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef BENCH_WITH_IOLOOP
#include <ioloop/ioloop.h>
#endif
#ifdef BENCH_WITH_LIBEV
#include <ev.h>
#endif
#ifdef BENCH_WITH_LIBUV
#include <uv.h>
#endif

const TimerParams *tp;
int *delays_us;
int fired;

void
timers_prepare (const TimerParams *params)
{
  uint64_t seed = 0x9e3779b97f4a7c15u;

  tp = params;
  delays_us = g_new (int, tp->n_timers);
  for (int i = 0; i < tp->n_timers; i++)
    delays_us[i] = (int) (bench_rand (&seed) % (uint32_t) tp->spread_us);
}

void
timers_measure (const TimerOps *ops,
                BenchSample    *out)
{
  size_t heap0, heap1;
  uint64_t cpu0, cpu1, wall0, wall1;

  fired = 0;
  heap0 = bench_heap_bytes ();
  wall0 = bench_clock_ns ();
  cpu0 = bench_cpu_ns ();
  ops->add_all ();
  heap1 = bench_heap_bytes ();
  ops->cancel_half ();
  ops->run ();
  cpu1 = bench_cpu_ns ();
  wall1 = bench_clock_ns ();
  out->value = (double) (cpu1 - cpu0) / (2.0 * tp->n_timers);
  out->extra[0] = (double) (heap1 - heap0) / tp->n_timers;
  out->extra[1] = (double) (wall1 - wall0) / 1e6;
}

/* --------------------------------------------------------------- ioloop */
#ifdef BENCH_WITH_IOLOOP
static IoLoop *io;
static IoTimeout **io_timers;   /* allocated before the baseline */

static void
io_timer_cb (gpointer  user_data,
             GError  **error)
{
  if (++fired == tp->n_timers / 2)
    io_loop_stop (io);
}

static void
io_add_all (void)
{
  for (int i = 0; i < tp->n_timers; i++)
    {
      io_timers[i] = io_loop_call_later (io, delays_us[i] / 1e6, io_timer_cb,
                                         NULL, NULL, NULL);
      if (io_timers[i] == NULL)
        abort ();
    }
}

static void
io_cancel_half (void)
{
  for (int i = 1; i < tp->n_timers; i += 2)
    io_loop_remove_timeout (io, io_timers[i]);
}

static void
io_run (void)
{
  GError *error = NULL;

  if (!io_loop_start (io, &error))
    fprintf (stderr, "io_loop_start: %s\n", error->message);
}

static gboolean
run_ioloop (gpointer     ctx,
            BenchSample *out)
{
  static const TimerOps ops = { io_add_all, io_cancel_half, io_run };
  GError *error = NULL;

  timers_prepare (ctx);
  io = io_loop_new_with_backend ("epoll", &error);
  if (io == NULL)
    {
      fprintf (stderr, "io_loop_new_with_backend: %s\n", error->message);
      return FALSE;
    }
  io_timers = g_new (IoTimeout *, tp->n_timers);
  timers_measure (&ops, out);
  return fired == tp->n_timers / 2;
}
#endif

/* ---------------------------------------------------------------- libev */
#ifdef BENCH_WITH_LIBEV
static struct ev_loop *evl;
static ev_timer *lev_timers;   /* the caller's structs, counted */

static void
lev_timer_cb (struct ev_loop *loop,
              ev_timer       *w,
              int             revents)
{
  if (++fired == tp->n_timers / 2)
    ev_break (loop, EVBREAK_ALL);
}

static void
lev_add_all (void)
{
  lev_timers = g_new (ev_timer, tp->n_timers);
  for (int i = 0; i < tp->n_timers; i++)
    {
      ev_timer_init (&lev_timers[i], lev_timer_cb, delays_us[i] / 1e6, 0.);
      ev_timer_start (evl, &lev_timers[i]);
    }
}

static void
lev_cancel_half (void)
{
  for (int i = 1; i < tp->n_timers; i += 2)
    ev_timer_stop (evl, &lev_timers[i]);
}

static void
lev_run (void)
{
  ev_run (evl, 0);
}

static gboolean
run_libev (gpointer     ctx,
           BenchSample *out)
{
  static const TimerOps ops = { lev_add_all, lev_cancel_half, lev_run };

  timers_prepare (ctx);
  evl = ev_loop_new (EVBACKEND_EPOLL);
  timers_measure (&ops, out);
  return fired == tp->n_timers / 2;
}
#endif

/* ---------------------------------------------------------------- libuv */
#ifdef BENCH_WITH_LIBUV
static uv_loop_t uvl;
static uv_timer_t *luv_timers;   /* the caller's structs, counted */

static void
luv_timer_cb (uv_timer_t *handle)
{
  if (++fired == tp->n_timers / 2)
    uv_stop (&uvl);
}

static void
luv_add_all (void)
{
  luv_timers = g_new (uv_timer_t, tp->n_timers);
  for (int i = 0; i < tp->n_timers; i++)
    {
      uv_timer_init (&uvl, &luv_timers[i]);
      uv_timer_start (&luv_timers[i], luv_timer_cb, (uint64_t) delays_us[i] / 1000, 0);
    }
}

static void
luv_cancel_half (void)
{
  for (int i = 1; i < tp->n_timers; i += 2)
    uv_timer_stop (&luv_timers[i]);
}

static void
luv_run (void)
{
  uv_run (&uvl, UV_RUN_DEFAULT);
}

static gboolean
run_libuv (gpointer     ctx,
           BenchSample *out)
{
  static const TimerOps ops = { luv_add_all, luv_cancel_half, luv_run };

  timers_prepare (ctx);
  uv_loop_init (&uvl);
  timers_measure (&ops, out);
  return fired == tp->n_timers / 2;
}
#endif

/* ----------------------------------------------------------------- GLib */
static GMainContext *gctx;
static GSource **gtimers;   /* allocated before the baseline */

static gboolean
glib_timer_cb (gpointer user_data)
{
  fired++;
  return G_SOURCE_REMOVE;
}

static void
glib_add_all (void)
{
  for (int i = 0; i < tp->n_timers; i++)
    {
      GSource *s = g_timeout_source_new ((guint) delays_us[i] / 1000);

      g_source_set_callback (s, glib_timer_cb, NULL, NULL);
      g_source_attach (s, gctx);
      g_source_unref (s);   /* the context owns it while it is pending */
      gtimers[i] = s;
    }
}

static void
glib_cancel_half (void)
{
  for (int i = 1; i < tp->n_timers; i += 2)
    g_source_destroy (gtimers[i]);
}

static void
glib_run (void)
{
  while (fired < tp->n_timers / 2)
    g_main_context_iteration (gctx, TRUE);
}

static gboolean
run_glib (gpointer     ctx,
          BenchSample *out)
{
  static const TimerOps ops = { glib_add_all, glib_cancel_half, glib_run };

  timers_prepare (ctx);
  gctx = g_main_context_new ();
  gtimers = g_new (GSource *, tp->n_timers);
  timers_measure (&ops, out);
  return fired == tp->n_timers / 2;
}

/* ----------------------------------------------------------------- main */

static const BenchPeer peers[] = {
#ifdef BENCH_WITH_IOLOOP
  { "ioloop", run_ioloop },
#endif
#ifdef BENCH_WITH_LIBEV
  { "libev", run_libev },
#endif
#ifdef BENCH_WITH_LIBUV
  { "libuv", run_libuv },
#endif
#ifdef BENCH_WITH_LIBEVENT
  { "libevent", bench_timers_run_libevent },
#endif
  { "glib", run_glib },
};

int
main (void)
{
  TimerParams params;
  char *title, *pstr;

  bench_init ("bench-timers", "timer churn");
  params.n_timers = bench_quick () ? 20000 : 1000000;
  params.spread_us = bench_quick () ? 20000 : 500000;
  title = g_strdup_printf ("%d one-shot timers, random deadlines over %d ms, "
                           "half cancelled, half fired",
                           params.n_timers, params.spread_us / 1000);
  pstr = g_strdup_printf ("n=%d", params.n_timers);

  BenchCase c = {
    .workload = "timers",
    .title = title,
    .params = pstr,
    .metric = "CPU time per operation (add, cancel or fire)",
    .unit = "ns",
    .higher_is_better = FALSE,
    .n_extra = 3,
    .extra_names = { "bytes/timer", "wall", "peak RSS" },
    .extra_units = { "B", "ms", "MiB" },
    .maxrss_extra = 2,
  };

  bench_run_case (&c, peers, G_N_ELEMENTS (peers), &params);
  g_free (title);
  g_free (pstr);
  return bench_exit_status ();
}
