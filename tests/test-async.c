/* test-async.c: IoAsync, the async-signal-safe wake-up
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "io-test-util.h"

typedef struct
{
  IoLoop  *loop;
  IoAsync *async;
  gint     runs;
  gint     done;          /* set by the sender after its last send but one */
  guint    sends;
} Burst;

static void
stop_cb (gpointer data, GError **error)
{
  Burst *b = data;

  b->runs++;
  io_loop_stop (b->loop);
}

static gpointer
send_later_thread (gpointer data)
{
  Burst *b = data;

  g_usleep (50 * 1000);
  io_async_send (b->async);
  return NULL;
}

static void
test_send_from_thread_wakes_sleeping_loop (IoTest *t)
{
  Burst b = { t->loop };
  GThread *thread;

  b.async = io_async_new (t->loop, stop_cb, &b, NULL);
  thread = g_thread_new ("sender", send_later_thread, &b);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  g_assert_cmpint (b.runs, ==, 1);
  io_async_close (b.async);
  io_async_unref (b.async);
}

/* ---- from a signal handler ---------------------------------------------- */

static IoAsync *signal_async;
static volatile sig_atomic_t signal_count;

static void
on_sigusr1 (int signum)
{
  signal_count++;
  io_async_send (signal_async);
}

typedef struct
{
  pthread_t target;
} Kicker;

static gpointer
kill_later_thread (gpointer data)
{
  Kicker *k = data;
  sigset_t set;

  /* Only the loop's thread may take the signal. */
  sigemptyset (&set);
  sigaddset (&set, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
  g_usleep (50 * 1000);
  pthread_kill (k->target, SIGUSR1);
  return NULL;
}

static void
install_sigusr1 (struct sigaction *old)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_sigusr1;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = 0;                  /* no SA_RESTART: poll sees EINTR */
  g_assert_cmpint (sigaction (SIGUSR1, &sa, old), ==, 0);
}

static void
test_send_from_signal_handler_wakes_sleeping_loop (IoTest *t)
{
  Burst b = { t->loop };
  struct sigaction old;
  Kicker k = { pthread_self () };
  GThread *thread;

  b.async = io_async_new (t->loop, stop_cb, &b, NULL);
  signal_async = b.async;
  signal_count = 0;
  install_sigusr1 (&old);

  /* The loop sleeps in poll(-1); the signal interrupts it on this thread. */
  thread = g_thread_new ("kicker", kill_later_thread, &k);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);

  sigaction (SIGUSR1, &old, NULL);
  g_assert_cmpint (signal_count, ==, 1);
  g_assert_cmpint (b.runs, ==, 1);
  signal_async = NULL;
  io_async_close (b.async);
  io_async_unref (b.async);
}

static void
raise_cb (gpointer data, GError **error)
{
  raise (SIGUSR1);
}

static void
test_send_from_signal_raised_on_loop_thread_runs_callback (IoTest *t)
{
  Burst b = { t->loop };
  struct sigaction old;

  b.async = io_async_new (t->loop, stop_cb, &b, NULL);
  signal_async = b.async;
  signal_count = 0;
  install_sigusr1 (&old);

  io_loop_add_callback (t->loop, raise_cb, NULL, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  sigaction (SIGUSR1, &old, NULL);
  g_assert_cmpint (signal_count, ==, 1);
  g_assert_cmpint (b.runs, ==, 1);
  signal_async = NULL;
  io_async_close (b.async);
  io_async_unref (b.async);
}

/* ---- coalescing --------------------------------------------------------- */

static void
test_sends_before_dispatch_coalesce_into_one_run (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async = io_async_new (t->loop, io_test_counts_cb, &c, NULL);

  for (int i = 0; i < 10000; i++)
    io_async_send (async);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 1);

  /* A later send is a new burst. */
  io_async_send (async);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 2);
  io_async_close (async);
  io_async_unref (async);
}

static void
burst_cb (gpointer data, GError **error)
{
  Burst *b = data;

  b->runs++;
  if (g_atomic_int_get (&b->done))
    io_loop_stop (b->loop);
}

static gpointer
burst_thread (gpointer data)
{
  Burst *b = data;

  for (guint i = 0; i < b->sends - 1; i++)
    io_async_send (b->async);
  g_atomic_int_set (&b->done, 1);
  /* A send after `done`: its run is the one that sees it. */
  io_async_send (b->async);
  return NULL;
}

static void
test_burst_from_thread_coalesces_and_last_send_is_not_lost (IoTest *t)
{
  Burst b = { t->loop };
  GThread *thread;

  b.sends = 10000;
  b.async = io_async_new (t->loop, burst_cb, &b, NULL);
  thread = g_thread_new ("burst", burst_thread, &b);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  g_test_message ("%u sends, %d runs", b.sends, b.runs);
  g_assert_cmpint (b.runs, >=, 1);
  g_assert_cmpint (b.runs, <=, b.sends);
  io_async_close (b.async);
  io_async_unref (b.async);
}

static void
test_each_async_runs_its_own_callback (IoTest *t)
{
  IoTestCounts a = { 0 }, b = { 0 };
  IoAsync *async_a = io_async_new (t->loop, io_test_counts_cb, &a, NULL);
  IoAsync *async_b = io_async_new (t->loop, io_test_counts_cb, &b, NULL);

  io_async_send (async_b);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (a.runs, ==, 0);
  g_assert_cmpint (b.runs, ==, 1);
  io_async_send (async_a);
  io_async_send (async_b);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (a.runs, ==, 1);
  g_assert_cmpint (b.runs, ==, 2);
  io_async_unref (async_a);
  io_async_unref (async_b);
}

/* ---- closing ------------------------------------------------------------ */

static void
test_close_makes_send_a_no_op (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async = io_async_new (t->loop, io_test_counts_cb, &c, io_test_counts_notify);

  g_assert_false (io_async_is_closed (async));
  io_async_send (async);             /* pending, then closed: dropped */
  io_async_close (async);
  g_assert_true (io_async_is_closed (async));
  g_assert_cmpint (c.notifies, ==, 1);
  io_async_send (async);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 0);
  io_async_unref (async);
}

static void
test_loop_close_closes_async (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async = io_async_new (t->loop, io_test_counts_cb, &c, io_test_counts_notify);

  io_loop_close (t->loop, FALSE);
  g_assert_true (io_async_is_closed (async));
  g_assert_cmpint (c.notifies, ==, 1);
  io_async_send (async);
  io_async_close (async);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (c.runs, ==, 0);
  io_async_unref (async);
}

static void
test_async_outlives_finalized_loop (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async = io_async_new (t->loop, io_test_counts_cb, &c, io_test_counts_notify);

  /* The async does not keep the loop alive, and is inert without it. */
  g_clear_object (&t->loop);
  g_assert_true (io_async_is_closed (async));
  g_assert_cmpint (c.notifies, ==, 1);
  io_async_send (async);
  io_async_unref (async);
  g_assert_cmpint (c.runs, ==, 0);
}

static void
test_async_on_closed_loop_is_closed_from_start (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async;

  io_loop_close (t->loop, FALSE);
  async = io_async_new (t->loop, io_test_counts_cb, &c, io_test_counts_notify);
  g_assert_nonnull (async);
  g_assert_true (io_async_is_closed (async));
  g_assert_cmpint (c.notifies, ==, 1);
  io_async_send (async);
  io_async_unref (async);
  g_assert_cmpint (c.runs, ==, 0);
}

typedef struct
{
  IoAsync *async;
  gint     runs;
  gint     notifies;
  gint     notifies_seen_inside;
} SelfClose;

static void
self_closing_cb (gpointer data, GError **error)
{
  SelfClose *s = data;

  s->runs++;
  io_async_close (s->async);
  s->notifies_seen_inside = s->notifies;
}

static void
self_close_notify (gpointer data)
{
  ((SelfClose *) data)->notifies++;
}

static void
test_async_closing_itself_gets_notify_after_callback (IoTest *t)
{
  SelfClose s = { 0 };

  s.async = io_async_new (t->loop, self_closing_cb, &s, self_close_notify);
  io_async_send (s.async);
  io_async_unref (s.async);          /* the loop keeps it until closed */
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (s.runs, ==, 1);
  g_assert_cmpint (s.notifies_seen_inside, ==, 0);
  g_assert_cmpint (s.notifies, ==, 1);
}

static void
test_null_async_is_a_programmer_error (IoTest *t)
{
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_async_send*assertion*");
  io_async_send (NULL);
  g_test_assert_expected_messages ();
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_async_close*assertion*");
  io_async_close (NULL);
  g_test_assert_expected_messages ();
  io_test_iterate (t);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/async/null-async-is-a-programmer-error", test_null_async_is_a_programmer_error);
  io_test_add ("/async/send-from-thread-wakes-sleeping-loop", test_send_from_thread_wakes_sleeping_loop);
  io_test_add ("/async/send-from-signal-handler-wakes-sleeping-loop", test_send_from_signal_handler_wakes_sleeping_loop);
  io_test_add ("/async/send-from-signal-raised-on-loop-thread-runs-callback",
               test_send_from_signal_raised_on_loop_thread_runs_callback);
  io_test_add ("/async/sends-before-dispatch-coalesce-into-one-run", test_sends_before_dispatch_coalesce_into_one_run);
  io_test_add ("/async/burst-from-thread-coalesces-and-last-send-is-not-lost",
               test_burst_from_thread_coalesces_and_last_send_is_not_lost);
  io_test_add ("/async/each-async-runs-its-own-callback", test_each_async_runs_its_own_callback);
  io_test_add ("/async/close-makes-send-a-no-op", test_close_makes_send_a_no_op);
  io_test_add ("/async/loop-close-closes-async", test_loop_close_closes_async);
  io_test_add ("/async/async-outlives-finalized-loop", test_async_outlives_finalized_loop);
  io_test_add ("/async/async-on-closed-loop-is-closed-from-start", test_async_on_closed_loop_is_closed_from_start);
  io_test_add ("/async/async-closing-itself-gets-notify-after-callback",
               test_async_closing_itself_gets_notify_after_callback);

  return io_test_run ();
}
