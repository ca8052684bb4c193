/* bench-xthread.c: workload 3, cross-thread callbacks
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A producer thread posts 1,000,000 callbacks, as fast as it can, to a loop
 * running in the main thread; each callback counts, the last one stops the
 * loop. Reported: callbacks per second (first post to last callback) and
 * the producer thread's write() syscalls per 1,000 callbacks: every write
 * the producer makes here is a write to the loop's wake-up fd, and the
 * kernel counts them per thread (syscw in /proc/thread-self/io), so no
 * strace or LD_PRELOAD is needed and the count is the same for every peer.
 *
 * A second case pins both threads to one CPU (the measurement's child
 * process only): the producer outruns the loop for a whole scheduler
 * slice at a time, and the loop then has a long queue to empty.
 *
 * ioloop: io_loop_add_callback() from the producer thread.
 * GLib:   g_main_context_invoke() on a context owned by the loop thread.
 * libev:  mutex queue + ev_async_send(); libuv: mutex queue +
 *         uv_async_send(); libevent: mutex queue + event_active().
 */
#define _GNU_SOURCE 1  /* sched_setaffinity */
#include "bench-xthread.h"

#include <math.h>
#include <sched.h>
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

const XthreadParams *xp;
/* Written by the loop thread per callback: on a cache line of its own,
 * so that the producer's reads of xp and xops (and the peers' queue
 * lock) do not miss each time, which would charge every peer for the
 * benchmark's own false sharing. */
static struct
{
  int  n;
  char pad[64 - sizeof (int)];
} consumed_line __attribute__ ((aligned (64)));
#define consumed consumed_line.n
static uint64_t t_start, t_end;
static gint64 producer_writes;
static const XthreadOps *xops;

gboolean
xthread_consume (void)
{
  if (++consumed == xp->n_callbacks)
    {
      t_end = bench_clock_ns ();
      return TRUE;
    }
  return FALSE;
}

static void *
producer (void *data)
{
  gint64 w0, w1;

  w0 = bench_thread_syscw ();
  for (int i = 0; i < xp->n_callbacks; i++)
    xops->post ();
  w1 = bench_thread_syscw ();
  producer_writes = w0 < 0 || w1 < 0 ? -1 : w1 - w0;
  return NULL;
}

/* The first CPU this process may run on; the producer thread inherits
 * the mask. */
#ifdef CPU_SET
#define CAN_PIN TRUE
static void
pin_to_one_cpu (void)
{
  cpu_set_t set;
  int cpu;

  if (sched_getaffinity (0, sizeof set, &set) != 0)
    abort ();
  for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET (cpu, &set); cpu++)
    ;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) != 0)
    abort ();
}
#else
#define CAN_PIN FALSE
static void
pin_to_one_cpu (void)
{
}
#endif

void
xthread_measure (const XthreadParams *params,
                 const XthreadOps    *ops,
                 BenchSample         *out)
{
  pthread_t thread;

  xp = params;
  xops = ops;
  consumed = 0;
  if (params->one_cpu)
    pin_to_one_cpu ();
  t_start = bench_clock_ns ();
  if (pthread_create (&thread, NULL, producer, NULL) != 0)
    abort ();
  ops->run ();
  pthread_join (thread, NULL);
  if (consumed != xp->n_callbacks)
    {
      fprintf (stderr, "only %d of %d callbacks ran\n", consumed, xp->n_callbacks);
      exit (2);
    }
  out->value = xp->n_callbacks / ((double) (t_end - t_start) / 1e9);
  out->extra[0] = producer_writes < 0 ? NAN : producer_writes * 1000.0 / xp->n_callbacks;
}

/* ---------------------------------------------------------------- queue */

static pthread_mutex_t xq_lock = PTHREAD_MUTEX_INITIALIZER;
static XthreadItem *xq_items, *xq_spare;
static int xq_len, xq_cap, xq_spare_cap;
void (*xqueue_stop) (void);

void
xqueue_init (void)
{
  xq_cap = xq_spare_cap = 1024;
  xq_items = g_new (XthreadItem, xq_cap);
  xq_spare = g_new (XthreadItem, xq_spare_cap);
  xq_len = 0;
}

void
xqueue_push (void (*func) (void *data),
             void  *data)
{
  pthread_mutex_lock (&xq_lock);
  if (xq_len == xq_cap)
    {
      xq_cap *= 2;
      xq_items = g_renew (XthreadItem, xq_items, xq_cap);
    }
  xq_items[xq_len].func = func;
  xq_items[xq_len].data = data;
  xq_len++;
  pthread_mutex_unlock (&xq_lock);
}

void
xqueue_drain (void)
{
  XthreadItem *items;
  int n, cap;

  pthread_mutex_lock (&xq_lock);
  items = xq_items;
  n = xq_len;
  cap = xq_cap;
  xq_items = xq_spare;
  xq_cap = xq_spare_cap;
  xq_len = 0;
  pthread_mutex_unlock (&xq_lock);
  for (int i = 0; i < n; i++)
    items[i].func (items[i].data);
  xq_spare = items;
  xq_spare_cap = cap;
}

void
xqueue_item_cb (void *data)
{
  if (xthread_consume ())
    xqueue_stop ();
}

/* --------------------------------------------------------------- ioloop */
#ifdef BENCH_WITH_IOLOOP
static IoLoop *io;

static void
io_cb (gpointer  user_data,
       GError  **error)
{
  if (xthread_consume ())
    io_loop_stop (io);
}

static void
io_post (void)
{
  io_loop_add_callback (io, io_cb, NULL, NULL);
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
  static const XthreadOps ops = { io_post, io_run };
  GError *error = NULL;

  io = io_loop_new_with_backend ("epoll", &error);
  if (io == NULL)
    {
      fprintf (stderr, "io_loop_new_with_backend: %s\n", error->message);
      return FALSE;
    }
  xthread_measure (ctx, &ops, out);
  return TRUE;
}
#endif

/* ---------------------------------------------------------------- libev */
#ifdef BENCH_WITH_LIBEV
static struct ev_loop *evl;
static ev_async lev_async;

static void
lev_async_cb (struct ev_loop *loop,
              ev_async       *w,
              int             revents)
{
  xqueue_drain ();
}

static void
lev_stop (void)
{
  ev_break (evl, EVBREAK_ALL);
}

static void
lev_post (void)
{
  xqueue_push (xqueue_item_cb, NULL);
  ev_async_send (evl, &lev_async);
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
  static const XthreadOps ops = { lev_post, lev_run };

  evl = ev_loop_new (EVBACKEND_EPOLL);
  ev_async_init (&lev_async, lev_async_cb);
  ev_async_start (evl, &lev_async);
  xqueue_init ();
  xqueue_stop = lev_stop;
  xthread_measure (ctx, &ops, out);
  return TRUE;
}
#endif

/* ---------------------------------------------------------------- libuv */
#ifdef BENCH_WITH_LIBUV
static uv_loop_t uvl;
static uv_async_t luv_async;

static void
luv_async_cb (uv_async_t *handle)
{
  xqueue_drain ();
}

static void
luv_stop (void)
{
  uv_stop (&uvl);
}

static void
luv_post (void)
{
  xqueue_push (xqueue_item_cb, NULL);
  uv_async_send (&luv_async);
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
  static const XthreadOps ops = { luv_post, luv_run };

  uv_loop_init (&uvl);
  uv_async_init (&uvl, &luv_async, luv_async_cb);
  xqueue_init ();
  xqueue_stop = luv_stop;
  xthread_measure (ctx, &ops, out);
  return TRUE;
}
#endif

/* ----------------------------------------------------------------- GLib */
static GMainContext *gctx;
static GMainLoop *gloop;

static gboolean
glib_cb (gpointer user_data)
{
  if (xthread_consume ())
    g_main_loop_quit (gloop);
  return G_SOURCE_REMOVE;
}

static void
glib_post (void)
{
  g_main_context_invoke (gctx, glib_cb, NULL);
}

static void
glib_run (void)
{
  g_main_loop_run (gloop);
}

static gboolean
run_glib (gpointer     ctx,
          BenchSample *out)
{
  static const XthreadOps ops = { glib_post, glib_run };

  gctx = g_main_context_new ();
  gloop = g_main_loop_new (gctx, FALSE);
  /* own the context from the start, so that no early invoke() from the
   * producer runs the callback in the producer thread */
  g_main_context_acquire (gctx);
  xthread_measure (ctx, &ops, out);
  return TRUE;
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
  { "libevent", bench_xthread_run_libevent },
#endif
  { "glib", run_glib },
};

int
main (void)
{
  XthreadParams params;
  int one_cpu;

  bench_init ("bench-xthread", "cross-thread callbacks");
  params.n_callbacks = bench_quick () ? 20000 : 1000000;
  for (one_cpu = 0; one_cpu <= (CAN_PIN ? 1 : 0); one_cpu++)
    {
      char *title, *pstr;

      params.one_cpu = one_cpu;
      title = g_strdup_printf ("a producer thread posts %d callbacks to the loop thread%s",
                               params.n_callbacks,
                               one_cpu ? ", both pinned to one CPU" : "");
      pstr = g_strdup_printf ("n=%d%s", params.n_callbacks, one_cpu ? " one-cpu" : "");

      BenchCase c = {
        .workload = "xthread",
        .title = title,
        .params = pstr,
        .metric = "callbacks per second",
        .unit = "1/s",
        .higher_is_better = TRUE,
        .n_extra = 1,
        .extra_names = { "wake writes/1000" },
        .extra_units = { "n" },
        .maxrss_extra = -1,
      };

      bench_run_case (&c, peers, G_N_ELEMENTS (peers), &params);
      g_free (title);
      g_free (pstr);
    }
  return bench_exit_status ();
}
