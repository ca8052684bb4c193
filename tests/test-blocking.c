/* test-blocking.c: io_loop_set_blocking_signal_threshold(), the SIGALRM
 * watchdog for callbacks that block the loop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io-test-util.h"

static volatile sig_atomic_t alarms;

static void
count_sigalrm (int signum)
{
  alarms++;
}

typedef struct
{
  IoLoop  *loop;
  gdouble  block_seconds;
  int      fds[2];
} Blocker;

/* Blocks the loop from an fd handler, i.e. after a poll returned. */
static void
blocking_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Blocker *b = data;

  io_test_drain (fd);
  io_test_busy_wait (b->block_seconds);
  io_loop_stop (b->loop);
}

static void
blocker_start (IoTest *t, Blocker *b, gdouble block_seconds)
{
  GError *error = NULL;

  b->loop = t->loop;
  b->block_seconds = block_seconds;
  io_test_socketpair (b->fds);
  io_test_write_byte (b->fds[1]);
  g_assert_true (io_loop_add_handler (t->loop, b->fds[0], IO_EVENTS_READ, blocking_handler, b,
                                      NULL, &error));
  g_assert_no_error (error);
}

static void
blocker_finish (IoTest *t, Blocker *b)
{
  io_loop_close (t->loop, FALSE);
  close (b->fds[0]);
  close (b->fds[1]);
}

static struct sigaction saved_sigalrm;

static void
save_sigalrm (void)
{
  alarms = 0;
  sigaction (SIGALRM, NULL, &saved_sigalrm);
}

static void
restore_sigalrm (void)
{
  sigaction (SIGALRM, &saved_sigalrm, NULL);
}

static void
test_blocking_handler_gets_sigalrm (IoTest *t)
{
  Blocker b;

  save_sigalrm ();
  io_loop_set_blocking_signal_threshold (t->loop, 0.05, count_sigalrm);
  blocker_start (t, &b, 0.5);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (alarms, >=, 1);
  blocker_finish (t, &b);
  restore_sigalrm ();
}

typedef struct
{
  IoLoop *loop;
  gint    runs;
} Slow;

static void
blocking_timeout_cb (gpointer data, GError **error)
{
  io_test_busy_wait (0.5);
  io_loop_stop (data);
}

static void
test_blocking_timeout_gets_sigalrm (IoTest *t)
{
  GError *error = NULL;

  save_sigalrm ();
  io_loop_set_blocking_signal_threshold (t->loop, 0.05, count_sigalrm);
  /* Fires after a poll that slept: the alarm is armed when it runs. */
  g_assert_nonnull (io_loop_call_later (t->loop, 0.01, blocking_timeout_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (alarms, >=, 1);
  restore_sigalrm ();
}

static void
test_sleeping_longer_than_threshold_gets_no_sigalrm (IoTest *t)
{
  GError *error = NULL;

  save_sigalrm ();
  io_loop_set_blocking_signal_threshold (t->loop, 0.5, count_sigalrm);
  /* The loop sleeps in poll for 3 thresholds: waiting is not blocking.
   * (The threshold is generous: only a loaded machine's scheduling may
   * come between a poll and the next.) */
  g_assert_nonnull (io_loop_call_later (t->loop, 1.5, io_test_stop_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (alarms, ==, 0);
  /* Nothing stays armed after start() returned. */
  g_usleep (700 * 1000);
  g_assert_cmpint (alarms, ==, 0);
  restore_sigalrm ();
}

static void
quick_tick_cb (gpointer data, GError **error)
{
  Slow *s = data;

  if (++s->runs == 20)
    io_loop_stop (s->loop);
}

static void
test_quick_loop_gets_no_sigalrm (IoTest *t)
{
  Slow s = { t->loop };
  IoPeriodicCallback *pc;

  save_sigalrm ();
  io_loop_set_blocking_signal_threshold (t->loop, 2.0, count_sigalrm);
  pc = io_periodic_callback_new (t->loop, 10, quick_tick_cb, &s, NULL);
  io_periodic_callback_start (pc);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
  g_assert_cmpint (s.runs, ==, 20);
  g_assert_cmpint (alarms, ==, 0);
  restore_sigalrm ();
}

static void
test_zero_or_negative_seconds_disables (IoTest *t)
{
  static const gdouble off[] = { 0.0, -1.0 };

  save_sigalrm ();
  for (guint i = 0; i < G_N_ELEMENTS (off); i++)
    {
      GError *error = NULL;
      IoLoop *loop = io_loop_new_with_backend (t->backend, &error);
      IoTest sub = { t->backend, loop };
      Blocker b;

      g_assert_no_error (error);
      io_loop_set_blocking_signal_threshold (loop, 0.05, count_sigalrm);
      g_assert_cmpfloat (io_loop_get_blocking_alarm (loop), ==, 0.05);
      io_loop_set_blocking_signal_threshold (loop, off[i], count_sigalrm);
      g_assert_cmpfloat (io_loop_get_blocking_alarm (loop), <=, 0.0);
      blocker_start (&sub, &b, 0.3);
      io_test_run_loop (&sub, IO_TEST_LOOP_TIMEOUT);
      g_assert_cmpint (alarms, ==, 0);
      blocker_finish (&sub, &b);
      g_object_unref (loop);
    }
  restore_sigalrm ();
}

static void
test_set_blocking_alarm_arms_timer_for_own_handler (IoTest *t)
{
  struct sigaction sa, now;
  Blocker b;

  /* A binding installs its own handler and lets the loop arm the timer. */
  save_sigalrm ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = count_sigalrm;
  sigemptyset (&sa.sa_mask);
  g_assert_cmpint (sigaction (SIGALRM, &sa, NULL), ==, 0);

  io_loop_set_blocking_alarm (t->loop, 0.05);
  g_assert_cmpfloat (io_loop_get_blocking_alarm (t->loop), ==, 0.05);
  blocker_start (t, &b, 0.5);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (alarms, >=, 1);

  /* Our handler is still the one installed. */
  g_assert_cmpint (sigaction (SIGALRM, NULL, &now), ==, 0);
  g_assert_true (now.sa_handler == count_sigalrm);
  blocker_finish (t, &b);
  restore_sigalrm ();
}

/* Runs this same test in a child process; returns its wait status. */
static int
run_self_as_child (void)
{
  GError *error = NULL;
  char *argv[] = { (char *) io_test_get_program (), (char *) "-q", (char *) "-p",
                   (char *) g_test_get_path (), NULL };
  char **envp = g_environ_setenv (g_get_environ (), "IO_TEST_CHILD", "1", TRUE);

  /* The child runs the test itself, not in a further subprocess. */
  envp = g_environ_setenv (envp, "IO_TEST_IN_PROCESS", "1", TRUE);
  int status = 0;

  g_spawn_sync (NULL, argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_strfreev (envp);
  return status;
}

static void
test_null_action_kills_blocked_process_by_sigalrm (IoTest *t)
{
  int status;

  if (g_getenv ("IO_TEST_CHILD") != NULL)
    {
      Blocker b;

      signal (SIGALRM, SIG_IGN);       /* NULL must restore the default */
      io_loop_set_blocking_signal_threshold (t->loop, 0.05, NULL);
      blocker_start (t, &b, 3.0);
      io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
      /* Still alive: the parent sees a normal exit and fails. */
      exit (0);
    }

  status = run_self_as_child ();
  if (!WIFSIGNALED (status))
    g_error ("the blocked child was not killed by a signal (wait status %#x)", status);
  g_assert_cmpint (WTERMSIG (status), ==, SIGALRM);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/blocking/blocking-handler-gets-sigalrm", test_blocking_handler_gets_sigalrm);
  io_test_add ("/blocking/blocking-timeout-gets-sigalrm", test_blocking_timeout_gets_sigalrm);
  io_test_add ("/blocking/sleeping-longer-than-threshold-gets-no-sigalrm",
               test_sleeping_longer_than_threshold_gets_no_sigalrm);
  io_test_add ("/blocking/quick-loop-gets-no-sigalrm", test_quick_loop_gets_no_sigalrm);
  io_test_add ("/blocking/zero-or-negative-seconds-disables", test_zero_or_negative_seconds_disables);
  io_test_add ("/blocking/set-blocking-alarm-arms-timer-for-own-handler",
               test_set_blocking_alarm_arms_timer_for_own_handler);
  io_test_add ("/blocking/null-action-kills-blocked-process-by-sigalrm",
               test_null_action_kills_blocked_process_by_sigalrm);

  return io_test_run ();
}
