/* test-periodic.c: IoPeriodicCallback
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "io-test-util.h"

#define MAX_RUNS 64

typedef struct
{
  IoLoop             *loop;
  IoPeriodicCallback *pc;
  gint                runs;
  gint                stop_loop_at;      /* stop the loop after this many runs */
  gint                stop_self_at;      /* stop the periodic callback after this many */
  gdouble             block_seconds;     /* the first run blocks the loop this long */
  gdouble             block_end;
  gdouble             times[MAX_RUNS];
} Ticks;

static void
tick_cb (gpointer data, GError **error)
{
  Ticks *t = data;

  if (t->runs < MAX_RUNS)
    t->times[t->runs] = io_test_now ();
  t->runs++;
  if (t->runs == 1 && t->block_seconds > 0)
    {
      io_test_busy_wait (t->block_seconds);
      t->block_end = io_test_now ();
    }
  if (t->runs == t->stop_self_at)
    {
      io_periodic_callback_stop (t->pc);
      g_assert_false (io_periodic_callback_is_running (t->pc));
    }
  if (t->runs == t->stop_loop_at)
    io_loop_stop (t->loop);
}

static IoPeriodicCallback *
new_ticks (IoTest *t, Ticks *ticks, guint interval_ms)
{
  ticks->loop = t->loop;
  ticks->pc = io_periodic_callback_new (t->loop, interval_ms, tick_cb, ticks, NULL);
  g_assert_nonnull (ticks->pc);
  return ticks->pc;
}

static void
test_runs_repeatedly (IoTest *t)
{
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 10);
  gdouble start;

  g_assert_false (io_periodic_callback_is_running (pc));
  g_assert_cmpuint (io_periodic_callback_get_interval (pc), ==, 10);
  g_assert_true (io_periodic_callback_get_loop (pc) == t->loop);

  ticks.stop_loop_at = 5;
  start = io_test_now ();
  io_periodic_callback_start (pc);
  g_assert_true (io_periodic_callback_is_running (pc));
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ticks.runs, ==, 5);
  /* The first run is one interval after start, not at once. */
  g_assert_cmpfloat (ticks.times[0] - start, >=, 0.010 - 0.001);
  /* Never more often than the interval allows. */
  g_assert_cmpfloat (ticks.times[4] - start, >=, 0.050 - 0.005);
  g_assert_true (io_periodic_callback_is_running (pc));
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
}

static void
test_stop_from_inside_callback_stops_it (IoTest *t)
{
  GError *error = NULL;
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 5);

  ticks.stop_self_at = 3;
  io_periodic_callback_start (pc);
  /* Long enough for many more runs, were it still started. */
  g_assert_nonnull (io_loop_call_later (t->loop, 0.2, io_test_stop_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ticks.runs, ==, 3);
  g_assert_false (io_periodic_callback_is_running (pc));
  g_object_unref (pc);
}

static void
test_stop_before_first_run_means_no_run (IoTest *t)
{
  GError *error = NULL;
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 5);

  io_periodic_callback_start (pc);
  io_periodic_callback_stop (pc);
  io_periodic_callback_stop (pc);             /* twice: harmless */
  g_assert_false (io_periodic_callback_is_running (pc));
  g_assert_nonnull (io_loop_call_later (t->loop, 0.05, io_test_stop_cb, t->loop, NULL, &error));
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ticks.runs, ==, 0);
  g_object_unref (pc);
}

static void
test_start_twice_schedules_once (IoTest *t)
{
  GError *error = NULL;
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 20);
  gdouble start = io_test_now ();

  io_periodic_callback_start (pc);
  io_periodic_callback_start (pc);
  /* Stop the loop shortly after the first run is due. */
  g_assert_nonnull (io_loop_call_later (t->loop, 0.03, io_test_stop_cb, t->loop, NULL, &error));
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  /* A second schedule would have made two runs at the first deadline;
   * one schedule makes one run per 20 ms elapsed at most. */
  g_assert_cmpint (ticks.runs, >=, 1);
  g_assert_cmpint (ticks.runs, <=, (int) ((io_test_now () - start + 1e-6) / 0.020));
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
}

static void
test_restart_after_stop_runs_again (IoTest *t)
{
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 5);

  ticks.stop_self_at = 2;
  ticks.stop_loop_at = 2;
  io_periodic_callback_start (pc);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ticks.runs, ==, 2);

  ticks.stop_self_at = 4;
  ticks.stop_loop_at = 4;
  io_periodic_callback_start (pc);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ticks.runs, ==, 4);
  g_object_unref (pc);
}

static void
test_skips_missed_runs_instead_of_bursting (IoTest *t)
{
  const guint interval_ms = 20;
  const gdouble interval = interval_ms / 1000.0;
  GError *error = NULL;
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, interval_ms);
  int soon = 0, within_three = 0;

  /* The first run blocks the loop for ~7.5 intervals. */
  ticks.block_seconds = 7.5 * interval;
  io_periodic_callback_start (pc);
  g_assert_nonnull (io_loop_call_later (t->loop, interval + ticks.block_seconds + 6 * interval,
                                        io_test_stop_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpfloat (ticks.block_end, >, 0);

  /* A slow machine makes fewer runs, never more: bounds from above are
   * safe. A burst would make ~7 runs right after the block. */
  for (int i = 1; i < MIN (ticks.runs, MAX_RUNS); i++)
    {
      gdouble after = ticks.times[i] - ticks.block_end;

      if (after < interval)
        soon++;
      if (after < 3 * interval)
        within_three++;
    }
  g_test_message ("%d runs; %d within one interval after the block, %d within three",
                  ticks.runs, soon, within_three);
  g_assert_cmpint (soon, <=, 2);
  g_assert_cmpint (within_three, <=, 4);
  g_assert_true (io_periodic_callback_is_running (pc));
  g_assert_cmpint (ticks.runs, >=, 2);     /* it did go on after the block */
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
}

static void
test_start_on_closed_loop_stays_stopped (IoTest *t)
{
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 5);

  io_loop_close (t->loop, FALSE);
  io_periodic_callback_start (pc);
  g_assert_false (io_periodic_callback_is_running (pc));
  g_object_unref (pc);
  g_assert_cmpint (ticks.runs, ==, 0);
}

static void
test_loop_close_while_started_is_harmless (IoTest *t)
{
  Ticks ticks = { 0 };
  IoPeriodicCallback *pc = new_ticks (t, &ticks, 5);

  io_periodic_callback_start (pc);
  io_loop_close (t->loop, FALSE);
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
  g_assert_cmpint (ticks.runs, ==, 0);
}

static void
test_zero_interval_is_a_programmer_error (IoTest *t)
{
  Ticks ticks = { 0 };

  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_periodic_callback_new*assertion*");
  g_assert_null (io_periodic_callback_new (t->loop, 0, tick_cb, &ticks, NULL));
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/periodic/runs-repeatedly", test_runs_repeatedly);
  io_test_add ("/periodic/stop-from-inside-callback-stops-it", test_stop_from_inside_callback_stops_it);
  io_test_add ("/periodic/stop-before-first-run-means-no-run", test_stop_before_first_run_means_no_run);
  io_test_add ("/periodic/start-twice-schedules-once", test_start_twice_schedules_once);
  io_test_add ("/periodic/restart-after-stop-runs-again", test_restart_after_stop_runs_again);
  io_test_add ("/periodic/skips-missed-runs-instead-of-bursting", test_skips_missed_runs_instead_of_bursting);
  io_test_add ("/periodic/start-on-closed-loop-stays-stopped", test_start_on_closed_loop_stays_stopped);
  io_test_add ("/periodic/loop-close-while-started-is-harmless", test_loop_close_while_started_is_harmless);
  io_test_add ("/periodic/zero-interval-is-a-programmer-error", test_zero_interval_is_a_programmer_error);

  return io_test_run ();
}
