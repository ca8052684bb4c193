/* test-callback.c: io_loop_add_callback()
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <unistd.h>

#include "io-test-util.h"

static void
test_callback_runs_on_next_iteration_once (IoTest *t)
{
  IoTestCounts c = { 0 };

  io_loop_add_callback (t->loop, io_test_counts_cb, &c, io_test_counts_notify);
  g_assert_cmpint (c.runs, ==, 0);              /* not from inside add */
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
}

typedef struct
{
  GArray *order;
  int     id;
} Order;

static void
record_cb (gpointer data, GError **error)
{
  Order *o = data;

  g_array_append_val (o->order, o->id);
}

static void
test_callbacks_run_in_order_added (IoTest *t)
{
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  Order o[20];

  for (int i = 0; i < 20; i++)
    {
      o[i].order = order;
      o[i].id = i;
      io_loop_add_callback (t->loop, record_cb, &o[i], NULL);
    }
  io_test_iterate (t);
  g_assert_cmpuint (order->len, ==, 20);
  for (int i = 0; i < 20; i++)
    g_assert_cmpint (g_array_index (order, int, i), ==, i);
  g_array_unref (order);
}

typedef struct
{
  IoLoop *loop;
  gint    outer;
  gint    inner;
} Nested;

static void
inner_cb (gpointer data, GError **error)
{
  ((Nested *) data)->inner++;
}

static void
outer_cb (gpointer data, GError **error)
{
  Nested *n = data;

  n->outer++;
  io_loop_add_callback (n->loop, inner_cb, n, NULL);
}

static void
test_callback_added_by_callback_runs_next_iteration (IoTest *t)
{
  Nested n = { t->loop };

  io_loop_add_callback (t->loop, outer_cb, &n, NULL);
  io_test_iterate (t);
  g_assert_cmpint (n.outer, ==, 1);
  g_assert_cmpint (n.inner, ==, 0);
  /* The queued callback keeps the next poll from blocking. */
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, 0);
  io_test_iterate (t);
  g_assert_cmpint (n.inner, ==, 1);
}

/* A callback that re-adds itself for ever must not keep an fd handler
 * from running. */
typedef struct
{
  IoLoop *loop;
  gint    spins;
  gint    handled;
  gboolean done;
} Starve;

static void
respawn_cb (gpointer data, GError **error)
{
  Starve *s = data;

  s->spins++;
  if (!s->done)
    io_loop_add_callback (s->loop, respawn_cb, s, NULL);
}

static void
stop_on_read (int fd, IoEvents events, gpointer data, GError **error)
{
  Starve *s = data;

  s->handled++;
  s->done = TRUE;
  io_test_drain (fd);
  io_loop_stop (s->loop);
}

static void
test_self_readding_callback_does_not_starve_io (IoTest *t)
{
  GError *error = NULL;
  Starve s = { t->loop };
  int fds[2];

  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, stop_on_read, &s,
                                      NULL, &error));
  g_assert_no_error (error);
  io_loop_add_callback (t->loop, respawn_cb, &s, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (s.handled, ==, 1);
  /* One respawn per iteration: the handler ran in the first poll. */
  g_assert_cmpint (s.spins, >=, 1);
  g_assert_cmpint (s.spins, <=, 2);

  /* The last re-added callback is still queued; it runs once more. */
  io_test_iterate (t);
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
  close (fds[1]);
}

static gpointer
add_stop_later (gpointer data)
{
  g_usleep (50 * 1000);
  io_loop_add_callback (data, io_test_stop_cb, data, NULL);
  return NULL;
}

static void
test_callback_from_other_thread_wakes_sleeping_loop (IoTest *t)
{
  /* Nothing else is scheduled: the loop sleeps in poll(-1). */
  GThread *thread = g_thread_new ("adder", add_stop_later, t->loop);

  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
}

/* ---- many threads ------------------------------------------------------ */

#define N_THREADS 4
#define N_PER_THREAD 100000

/* One state for the whole program: callbacks carry an index only. */
typedef struct
{
  IoLoop  *loop;
  guint    n_per_thread;
  guint    total;
  gint    *runs;
  gint    *notifies;
  gint     n_run;
  gint     started;
  gint     close_after;    /* close the loop once this many ran (0: never) */
  gint     closed;
} Flood;

static Flood flood;

static void
flood_cb (gpointer data, GError **error)
{
  guint i = GPOINTER_TO_UINT (data);
  gint n;

  g_atomic_int_inc (&flood.runs[i]);
  n = g_atomic_int_add (&flood.n_run, 1) + 1;
  if ((guint) n == flood.total)
    io_loop_stop (flood.loop);
  if (flood.close_after > 0 && n == flood.close_after)
    {
      io_loop_close (flood.loop, FALSE);
      g_atomic_int_set (&flood.closed, 1);
    }
}

static void
flood_notify (gpointer data)
{
  g_atomic_int_inc (&flood.notifies[GPOINTER_TO_UINT (data)]);
}

static gpointer
flood_thread (gpointer data)
{
  guint base = GPOINTER_TO_UINT (data) * flood.n_per_thread;

  g_atomic_int_inc (&flood.started);
  while (g_atomic_int_get (&flood.started) < N_THREADS)
    g_thread_yield ();
  for (guint i = 0; i < flood.n_per_thread; i++)
    {
      io_loop_add_callback (flood.loop, flood_cb, GUINT_TO_POINTER (base + i), flood_notify);
      /* Give the loop time to go to sleep now and then, so that the
       * wake-up path is exercised, not just the busy one. */
      if (i % 10000 == 9999)
        g_usleep (1000);
    }
  return NULL;
}

static void
flood_init (IoLoop *loop, guint n_per_thread, gint close_after)
{
  flood.loop = loop;
  flood.n_per_thread = n_per_thread;
  flood.total = N_THREADS * n_per_thread;
  flood.runs = g_new0 (gint, flood.total);
  flood.notifies = g_new0 (gint, flood.total);
  flood.n_run = 0;
  flood.started = 0;
  flood.close_after = close_after;
  flood.closed = 0;
}

static void
flood_clear (void)
{
  g_clear_pointer (&flood.runs, g_free);
  g_clear_pointer (&flood.notifies, g_free);
}

static void
test_four_threads_add_100000_each_all_run_exactly_once (IoTest *t)
{
  GThread *threads[N_THREADS];

  flood_init (t->loop, io_test_scale (N_PER_THREAD), 0);
  for (int i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("flood", flood_thread, GUINT_TO_POINTER (i));

  io_test_run_loop (t, 120.0);
  for (int i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (flood.n_run, ==, flood.total);
  for (guint i = 0; i < flood.total; i++)
    {
      if (flood.runs[i] != 1 || flood.notifies[i] != 1)
        g_error ("callback %u ran %d times, notified %d times", i,
                 flood.runs[i], flood.notifies[i]);
    }
  flood_clear ();
}

static void
test_add_callback_racing_with_close_runs_or_notifies_each (IoTest *t)
{
  /* Several rounds, each with a fresh loop closed from a callback while
   * four threads are still adding. */
  for (int round = 0; round < 10; round++)
    {
      GError *error = NULL;
      GThread *threads[N_THREADS];
      IoLoop *loop = io_loop_new_with_backend (t->backend, &error);
      guint n = io_test_scale (20000);

      g_assert_no_error (error);
      flood_init (loop, n, 1 + g_test_rand_int_range (0, n));
      for (int i = 0; i < N_THREADS; i++)
        threads[i] = g_thread_new ("flood", flood_thread, GUINT_TO_POINTER (i));

      /* Returns when flood_cb closes the loop. */
      io_loop_start (loop, &error);
      g_clear_error (&error);
      for (int i = 0; i < N_THREADS; i++)
        g_thread_join (threads[i]);

      g_assert_true (flood.closed);
      g_assert_true (io_loop_is_closed (loop));
      for (guint i = 0; i < flood.total; i++)
        {
          if (flood.runs[i] > 1 || flood.notifies[i] != 1)
            g_error ("round %d: callback %u ran %d times, notified %d times", round, i,
                     flood.runs[i], flood.notifies[i]);
        }
      g_object_unref (loop);
      flood_clear ();
    }
}

static void
test_add_callback_on_closed_loop_drops_it_and_runs_notify (IoTest *t)
{
  IoTestCounts c = { 0 };

  io_loop_close (t->loop, FALSE);
  io_loop_add_callback (t->loop, io_test_counts_cb, &c, io_test_counts_notify);
  g_assert_cmpint (c.notifies, ==, 1);      /* at once */
  g_assert_false (io_loop_iteration (t->loop, FALSE, NULL));
  g_assert_cmpint (c.runs, ==, 0);
}

static void
test_pending_callbacks_are_dropped_with_notify_on_close (IoTest *t)
{
  IoTestCounts c = { 0 };

  for (int i = 0; i < 5; i++)
    io_loop_add_callback (t->loop, io_test_counts_cb, &c, io_test_counts_notify);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.notifies, ==, 5);
  g_assert_cmpint (c.runs, ==, 0);
}

static void
test_null_callback_is_a_programmer_error (IoTest *t)
{
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_add_callback*assertion*");
  io_loop_add_callback (t->loop, NULL, NULL, NULL);
  g_test_assert_expected_messages ();
  io_test_iterate (t);
}

/* A loop whose construction failed (a GObject made with g_object_new(),
 * so that no GInitable caught the error) refuses callbacks like every
 * other call: the notify runs at once rather than when the loop is
 * finalized. */
static void
assert_failed_loop_refuses_callbacks (IoLoop *loop, gint code)
{
  GError *error = NULL;
  IoTestCounts counts = { 0 };

  g_assert_false (io_loop_iteration (loop, FALSE, &error));
  io_test_assert_error (error, code);
  io_loop_add_callback (loop, io_test_counts_cb, &counts, io_test_counts_notify);
  g_assert_cmpint (counts.notifies, ==, 1);
  g_assert_false (io_loop_iteration (loop, FALSE, &error));
  io_test_assert_error (error, code);
  g_assert_cmpint (counts.runs, ==, 0);
  g_object_unref (loop);
  g_assert_cmpint (counts.notifies, ==, 1);
}

static void
test_add_on_loop_whose_construction_failed_runs_notify_at_once (IoTest *t)
{
  IoTestFdLimit limit;
  IoLoop *loop;

  loop = g_object_new (IO_TYPE_LOOP, "backend", "no-such-backend", NULL);
  assert_failed_loop_refuses_callbacks (loop, IO_LOOP_ERROR_NO_BACKEND);

  /* No fd left for the backend or the wake-up fd. */
  if (!io_test_fd_limit_reach (&limit))
    {
      io_test_skip ("cannot lower RLIMIT_NOFILE");
      return;
    }
  loop = g_object_new (IO_TYPE_LOOP, "backend", t->backend, NULL);
  io_test_fd_limit_restore (&limit);
  assert_failed_loop_refuses_callbacks (loop, IO_LOOP_ERROR_FAILED);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/callback/runs-on-next-iteration-once", test_callback_runs_on_next_iteration_once);
  io_test_add ("/callback/callbacks-run-in-order-added", test_callbacks_run_in_order_added);
  io_test_add ("/callback/callback-added-by-callback-runs-next-iteration", test_callback_added_by_callback_runs_next_iteration);
  io_test_add ("/callback/self-readding-callback-does-not-starve-io", test_self_readding_callback_does_not_starve_io);
  io_test_add ("/callback/callback-from-other-thread-wakes-sleeping-loop", test_callback_from_other_thread_wakes_sleeping_loop);
  io_test_add ("/callback/four-threads-add-100000-each-all-run-exactly-once",
               test_four_threads_add_100000_each_all_run_exactly_once);
  io_test_add ("/callback/add-racing-with-close-runs-or-notifies-each",
               test_add_callback_racing_with_close_runs_or_notifies_each);
  io_test_add ("/callback/add-on-closed-loop-drops-it-and-runs-notify", test_add_callback_on_closed_loop_drops_it_and_runs_notify);
  io_test_add ("/callback/pending-callbacks-are-dropped-with-notify-on-close",
               test_pending_callbacks_are_dropped_with_notify_on_close);
  io_test_add ("/callback/add-on-loop-whose-construction-failed-runs-notify-at-once",
               test_add_on_loop_whose_construction_failed_runs_notify_at_once);
  io_test_add ("/callback/null-callback-is-a-programmer-error", test_null_callback_is_a_programmer_error);

  return io_test_run ();
}
