/* test-signal.c: Unix signal handlers that run on the loop's thread
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "io-test-util.h"

/* What a signal handler saw. */
typedef struct _Seen Seen;

struct _Seen
{
  IoLoop   *loop;
  IoLoop   *stop;         /* stopped when the handler runs, if set */
  gint      calls;
  int       signum;
  GThread  *thread;
  gdouble   when;
  gint      notified;
  gint     *order;        /* appends its tag here */
  gint      tag;
  guint     remove_id;    /* removed from inside the handler */
  Seen     *removed;      /* what remove_id's handler saw */
  gint      removed_notified;   /* its notifies when removal returned */
  gboolean  fail;
};

static gint order_log[16];
static gint n_order;

static void
seen_handler (int signum, gpointer data, GError **error)
{
  Seen *seen = data;

  seen->calls++;
  seen->signum = signum;
  seen->thread = g_thread_self ();
  seen->when = io_test_now ();
  if (seen->order != NULL && n_order < (gint) G_N_ELEMENTS (order_log))
    order_log[n_order++] = seen->tag;
  if (seen->remove_id != 0)
    {
      g_assert_true (io_loop_remove_signal_handler (seen->loop, seen->remove_id));
      seen->remove_id = 0;
      if (seen->removed != NULL)
        seen->removed_notified = seen->removed->notified;
    }
  if (seen->stop != NULL)
    io_loop_stop (seen->stop);
  if (seen->fail)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "signal handler failed");
}

static void
seen_notify (gpointer data)
{
  ((Seen *) data)->notified++;
}

static guint
add_seen (IoLoop *loop, int signum, Seen *seen)
{
  GError *error = NULL;
  guint id;

  seen->loop = loop;
  id = io_loop_add_signal_handler (loop, signum, seen_handler, seen, seen_notify, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

/* Ends a test whose handlers point into its stack frame: closing the loop
 * runs their notifies now, not after the frame is gone. */
static void
close_loop (IoTest *t)
{
  io_loop_close (t->loop, FALSE);
}

/* Sends a signal to the process from another thread after a delay, while
 * the loop sleeps. */
typedef struct
{
  int     signum;
  gdouble delay;
  gdouble sent;
} Sender;

static gpointer
sender_thread (gpointer data)
{
  Sender *sender = data;
  sigset_t set;

  /* Threads inherit the mask of their creator: this one takes signals. */
  sigemptyset (&set);
  sigaddset (&set, sender->signum);
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);
  g_usleep ((gulong) (sender->delay * G_USEC_PER_SEC));
  sender->sent = io_test_now ();
  kill (getpid (), sender->signum);
  return NULL;
}

/* ---- delivery ------------------------------------------------------------ */

static void
test_handler_runs_on_loop_thread (IoTest *t)
{
  Seen seen = { 0 };
  Sender sender = { SIGUSR1, 0.05, 0 };
  sigset_t set, old;
  GThread *thread;
  guint id;

  id = add_seen (t->loop, SIGUSR1, &seen);
  seen.stop = t->loop;

  /* Blocked here, the signal is delivered to the sender thread: the
   * handler must run on the loop's thread all the same. */
  sigemptyset (&set);
  sigaddset (&set, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &set, &old);
  thread = g_thread_new ("sender", sender_thread, &sender);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  pthread_sigmask (SIG_SETMASK, &old, NULL);

  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.signum, ==, SIGUSR1);
  g_assert_true (seen.thread == g_thread_self ());
  g_assert_true (io_loop_remove_signal_handler (t->loop, id));
  g_assert_cmpint (seen.notified, ==, 1);
}

static void
test_signal_wakes_sleeping_loop_promptly (IoTest *t)
{
  Seen seen = { 0 };
  Sender sender = { SIGUSR2, 0.1, 0 };
  GThread *thread;

  add_seen (t->loop, SIGUSR2, &seen);
  seen.stop = t->loop;
  thread = g_thread_new ("sender", sender_thread, &sender);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);

  g_assert_cmpint (seen.calls, ==, 1);
  /* Woken by the signal, not by some timeout. */
  g_assert_cmpfloat (seen.when - sender.sent, <, 1.0);
  close_loop (t);
}

static void
test_signal_before_start_is_handled (IoTest *t)
{
  Seen seen = { 0 };

  add_seen (t->loop, SIGUSR1, &seen);
  seen.stop = t->loop;
  raise (SIGUSR1);
  g_assert_cmpint (seen.calls, ==, 0);       /* not in signal context */
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (seen.calls, ==, 1);
  close_loop (t);
}

static void
test_signals_before_dispatch_are_coalesced (IoTest *t)
{
  Seen seen = { 0 };

  add_seen (t->loop, SIGUSR1, &seen);
  raise (SIGUSR1);
  raise (SIGUSR1);
  raise (SIGUSR1);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);

  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 2);
  close_loop (t);
}

static void
test_several_handlers_for_one_signal_run_in_order (IoTest *t)
{
  Seen a = { 0 }, b = { 0 }, c = { 0 }, other = { 0 };

  n_order = 0;
  a.order = b.order = c.order = order_log;
  a.tag = 1;
  b.tag = 2;
  c.tag = 3;
  add_seen (t->loop, SIGUSR1, &a);
  add_seen (t->loop, SIGUSR1, &b);
  add_seen (t->loop, SIGUSR2, &other);
  add_seen (t->loop, SIGUSR1, &c);
  c.stop = t->loop;

  raise (SIGUSR1);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (a.calls, ==, 1);
  g_assert_cmpint (b.calls, ==, 1);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (other.calls, ==, 0);
  g_assert_cmpint (n_order, ==, 3);
  g_assert_cmpint (order_log[0], ==, 1);
  g_assert_cmpint (order_log[1], ==, 2);
  g_assert_cmpint (order_log[2], ==, 3);
  close_loop (t);
}

typedef struct
{
  const char *backend;
  IoLoop     *loop;
  Seen        seen;
  gint        ready;
} OtherLoop;

static void
mark_ready (gpointer data, GError **error)
{
  g_atomic_int_set (&((OtherLoop *) data)->ready, 1);
}

static gpointer
other_loop_thread (gpointer data)
{
  OtherLoop *other = data;
  GError *error = NULL;

  io_loop_add_callback (other->loop, mark_ready, other, NULL);
  g_assert_true (io_loop_start (other->loop, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
test_several_loops_all_get_the_signal (IoTest *t)
{
  OtherLoop other = { t->backend };
  Seen seen = { 0 };
  GError *error = NULL;
  GThread *thread;

  other.loop = io_loop_new_with_backend (t->backend, &error);
  g_assert_no_error (error);
  add_seen (other.loop, SIGUSR2, &other.seen);
  other.seen.stop = other.loop;
  add_seen (t->loop, SIGUSR2, &seen);
  seen.stop = t->loop;

  thread = g_thread_new ("other-loop", other_loop_thread, &other);
  while (!g_atomic_int_get (&other.ready))
    g_usleep (1000);
  kill (getpid (), SIGUSR2);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);

  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (other.seen.calls, ==, 1);
  g_assert_true (other.seen.thread == thread);
  g_assert_true (seen.thread == g_thread_self ());

  g_object_unref (other.loop);
  g_assert_cmpint (other.seen.notified, ==, 1);
  close_loop (t);
}

/* ---- dispositions ------------------------------------------------------- */

static void
custom_action (int signum)
{
}

static void
test_removing_last_handler_restores_previous_disposition (IoTest *t)
{
  struct sigaction custom, now, saved;
  Seen a = { 0 }, b = { 0 };
  guint id_a, id_b;

  memset (&custom, 0, sizeof custom);
  custom.sa_handler = custom_action;
  sigemptyset (&custom.sa_mask);
  g_assert_cmpint (sigaction (SIGUSR2, &custom, &saved), ==, 0);

  id_a = add_seen (t->loop, SIGUSR2, &a);
  id_b = add_seen (t->loop, SIGUSR2, &b);
  sigaction (SIGUSR2, NULL, &now);
  g_assert_true (now.sa_handler != custom_action);

  g_assert_true (io_loop_remove_signal_handler (t->loop, id_a));
  sigaction (SIGUSR2, NULL, &now);
  g_assert_true (now.sa_handler != custom_action);   /* b still needs it */

  g_assert_true (io_loop_remove_signal_handler (t->loop, id_b));
  sigaction (SIGUSR2, NULL, &now);
  g_assert_true (now.sa_handler == custom_action);

  sigaction (SIGUSR2, &saved, NULL);
}

static void
test_default_disposition_is_restored (IoTest *t)
{
  struct sigaction now;
  Seen seen = { 0 };
  guint id;

  signal (SIGUSR1, SIG_DFL);
  id = add_seen (t->loop, SIGUSR1, &seen);
  g_assert_true (io_loop_remove_signal_handler (t->loop, id));
  sigaction (SIGUSR1, NULL, &now);
  g_assert_true (now.sa_handler == SIG_DFL);
}

static void
test_closing_loop_restores_disposition (IoTest *t)
{
  struct sigaction now;
  Seen seen = { 0 };

  signal (SIGUSR1, SIG_DFL);
  add_seen (t->loop, SIGUSR1, &seen);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (seen.notified, ==, 1);
  sigaction (SIGUSR1, NULL, &now);
  g_assert_true (now.sa_handler == SIG_DFL);
}

/* ---- removal and notifies ----------------------------------------------- */

static void
test_handler_removing_itself_runs_once (IoTest *t)
{
  Seen seen = { 0 };
  guint id;

  id = add_seen (t->loop, SIGUSR1, &seen);
  seen.remove_id = id;
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.notified, ==, 1);
  g_assert_false (io_loop_remove_signal_handler (t->loop, id));
}

static void
test_handler_removed_by_earlier_handler_is_not_called (IoTest *t)
{
  Seen first = { 0 }, second = { 0 };

  add_seen (t->loop, SIGUSR1, &first);
  first.remove_id = add_seen (t->loop, SIGUSR1, &second);
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (first.calls, ==, 1);
  g_assert_cmpint (second.calls, ==, 0);
  g_assert_cmpint (second.notified, ==, 1);
  close_loop (t);
}

/* Its notify runs as the removal returns, as for any handler that is not
 * running, not once the dispatch that had picked it ends. */
static void
test_handler_removed_by_earlier_handler_is_notified_at_once (IoTest *t)
{
  Seen first = { 0 }, second = { 0 };

  add_seen (t->loop, SIGUSR1, &first);
  first.remove_id = add_seen (t->loop, SIGUSR1, &second);
  first.removed = &second;
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (first.calls, ==, 1);
  g_assert_cmpint (first.removed_notified, ==, 1);
  g_assert_cmpint (second.notified, ==, 1);
  close_loop (t);
}

static void
test_removed_handler_is_not_called (IoTest *t)
{
  Seen seen = { 0 }, keeper = { 0 };
  guint id;

  add_seen (t->loop, SIGUSR1, &keeper);
  id = add_seen (t->loop, SIGUSR1, &seen);
  raise (SIGUSR1);
  g_assert_true (io_loop_remove_signal_handler (t->loop, id));
  g_assert_cmpint (seen.notified, ==, 1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
  g_assert_cmpint (keeper.calls, ==, 1);
  g_assert_false (io_loop_remove_signal_handler (t->loop, id));
  g_assert_cmpint (seen.notified, ==, 1);
  close_loop (t);
}

static void
test_notify_runs_once_at_finalize (IoTest *t)
{
  Seen seen = { 0 };

  add_seen (t->loop, SIGUSR1, &seen);
  g_clear_object (&t->loop);
  g_assert_cmpint (seen.notified, ==, 1);
}

static void
test_unknown_id_is_not_removed (IoTest *t)
{
  g_assert_false (io_loop_remove_signal_handler (t->loop, 0));
  g_assert_false (io_loop_remove_signal_handler (t->loop, 123456));
}

/* ---- errors ------------------------------------------------------------- */

static void
count_exception (IoLoop *loop, GError *error, gpointer data)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  (*(gint *) data)++;
  /* RUN_LAST: stopping here keeps the default handler from logging. */
  g_signal_stop_emission_by_name (loop, "callback-exception");
}

static void
test_failing_handler_is_reported (IoTest *t)
{
  Seen seen = { 0 };
  gint reported = 0;

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (count_exception), &reported);
  add_seen (t->loop, SIGUSR1, &seen);
  seen.fail = TRUE;
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (reported, ==, 1);

  /* The loop and the handler go on. */
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 2);
  close_loop (t);
}

static void
test_invalid_signals_fail_with_invalid_argument (IoTest *t)
{
  const int bad[] = { 0, -1, NSIG, 1000, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE };
  Seen seen = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GError *error = NULL;
      guint id = io_loop_add_signal_handler (t->loop, bad[i], seen_handler, &seen,
                                             seen_notify, &error);

      g_assert_cmpuint (id, ==, 0);
      io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpint (seen.notified, ==, 0);
}

static void
test_closed_loop_fails_with_closed (IoTest *t)
{
  Seen seen = { 0 };
  GError *error = NULL;

  io_loop_close (t->loop, FALSE);
  g_assert_cmpuint (io_loop_add_signal_handler (t->loop, SIGUSR1, seen_handler, &seen,
                                                seen_notify, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_cmpint (seen.notified, ==, 0);
}

static void
test_null_func_is_a_programmer_error (IoTest *t)
{
  GError *error = NULL;

  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_add_signal_handler*assertion*");
  g_assert_cmpuint (io_loop_add_signal_handler (t->loop, SIGUSR1, NULL, NULL, NULL, &error), ==, 0);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/signal/handler-runs-on-loop-thread", test_handler_runs_on_loop_thread);
  io_test_add ("/signal/signal-wakes-sleeping-loop-promptly", test_signal_wakes_sleeping_loop_promptly);
  io_test_add ("/signal/signal-before-start-is-handled", test_signal_before_start_is_handled);
  io_test_add ("/signal/signals-before-dispatch-are-coalesced", test_signals_before_dispatch_are_coalesced);
  io_test_add ("/signal/several-handlers-for-one-signal-run-in-order",
               test_several_handlers_for_one_signal_run_in_order);
  io_test_add ("/signal/several-loops-all-get-the-signal", test_several_loops_all_get_the_signal);

  io_test_add ("/signal/removing-last-handler-restores-previous-disposition",
               test_removing_last_handler_restores_previous_disposition);
  io_test_add ("/signal/default-disposition-is-restored", test_default_disposition_is_restored);
  io_test_add ("/signal/closing-loop-restores-disposition", test_closing_loop_restores_disposition);

  io_test_add ("/signal/handler-removing-itself-runs-once", test_handler_removing_itself_runs_once);
  io_test_add ("/signal/handler-removed-by-earlier-handler-is-not-called",
               test_handler_removed_by_earlier_handler_is_not_called);
  io_test_add ("/signal/handler-removed-by-earlier-handler-is-notified-at-once",
               test_handler_removed_by_earlier_handler_is_notified_at_once);
  io_test_add ("/signal/removed-handler-is-not-called", test_removed_handler_is_not_called);
  io_test_add ("/signal/notify-runs-once-at-finalize", test_notify_runs_once_at_finalize);
  io_test_add ("/signal/unknown-id-is-not-removed", test_unknown_id_is_not_removed);

  io_test_add ("/signal/failing-handler-is-reported", test_failing_handler_is_reported);
  io_test_add ("/signal/invalid-signals-fail-with-invalid-argument",
               test_invalid_signals_fail_with_invalid_argument);
  io_test_add ("/signal/closed-loop-fails-with-closed", test_closed_loop_fails_with_closed);
  io_test_add ("/signal/null-func-is-a-programmer-error", test_null_func_is_a_programmer_error);

  return io_test_run ();
}
