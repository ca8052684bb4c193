/* test-loop.c: creating, running, stopping and closing a loop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io-test-util.h"

/* ---- backends ---------------------------------------------------------- */

static void
test_new_with_backend_uses_that_backend (IoTest *t)
{
  g_assert_cmpstr (io_loop_get_backend (t->loop), ==, t->backend);
  g_assert_false (io_loop_is_running (t->loop));
  g_assert_false (io_loop_is_closed (t->loop));
}

static int
preference_rank (const char *name)
{
  static const char *order[] = { "epoll", "kqueue", "poll", "select" };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    if (strcmp (order[i], name) == 0)
      return i;
  return -1;
}

static void
test_list_backends_is_in_preference_order (IoTest *t)
{
  const char **backends = io_loop_list_backends ();
  gboolean has_poll = FALSE, has_select = FALSE, has_this = FALSE;
  int last = -1;

  g_assert_nonnull (backends);
  for (gsize i = 0; backends[i] != NULL; i++)
    {
      int rank = preference_rank (backends[i]);

      g_assert_cmpint (rank, >, last);      /* known, no duplicates, ordered */
      last = rank;
      has_poll |= strcmp (backends[i], "poll") == 0;
      has_select |= strcmp (backends[i], "select") == 0;
      has_this |= strcmp (backends[i], t->backend) == 0;
    }
  g_assert_true (has_poll);
  g_assert_true (has_select);
  g_assert_true (has_this);
}

static void
test_null_backend_uses_ioloop_backend_env (IoTest *t)
{
  GError *error = NULL;
  IoLoop *loop;

  setenv ("IOLOOP_BACKEND", t->backend, 1);
  loop = io_loop_new_with_backend (NULL, &error);
  unsetenv ("IOLOOP_BACKEND");
  g_assert_no_error (error);
  g_assert_cmpstr (io_loop_get_backend (loop), ==, t->backend);
  g_object_unref (loop);

  setenv ("IOLOOP_BACKEND", t->backend, 1);
  loop = io_loop_new ();
  unsetenv ("IOLOOP_BACKEND");
  g_assert_cmpstr (io_loop_get_backend (loop), ==, t->backend);
  g_object_unref (loop);
}

static void
test_null_backend_without_env_picks_best (IoTest *t)
{
  const char *best = io_loop_list_backends ()[0];
  GError *error = NULL;
  IoLoop *loop;

  unsetenv ("IOLOOP_BACKEND");
  loop = io_loop_new_with_backend (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (io_loop_get_backend (loop), ==, best);
  g_object_unref (loop);

  loop = io_loop_new ();
  g_assert_cmpstr (io_loop_get_backend (loop), ==, best);
  g_object_unref (loop);
}

static void
test_unknown_backend_fails_with_no_backend (IoTest *t)
{
  GError *error = NULL;
  IoLoop *loop;

  loop = io_loop_new_with_backend ("no-such-backend", &error);
  g_assert_null (loop);
  io_test_assert_error (error, IO_LOOP_ERROR_NO_BACKEND);

  loop = io_loop_new_with_backend ("EPOLL", &error);
  g_assert_null (loop);
  io_test_assert_error (error, IO_LOOP_ERROR_NO_BACKEND);
}

static void
test_unknown_env_backend_fails_with_no_backend (IoTest *t)
{
  GError *error = NULL;
  IoLoop *loop;

  setenv ("IOLOOP_BACKEND", "no-such-backend", 1);
  loop = io_loop_new_with_backend (NULL, &error);
  unsetenv ("IOLOOP_BACKEND");
  g_assert_null (loop);
  io_test_assert_error (error, IO_LOOP_ERROR_NO_BACKEND);
}

static void
test_new_warns_and_falls_back_on_unknown_env_backend (IoTest *t)
{
  IoLoop *loop;

  setenv ("IOLOOP_BACKEND", "no-such-backend", 1);
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_WARNING, "*no-such-backend*");
  loop = io_loop_new ();
  g_test_assert_expected_messages ();
  unsetenv ("IOLOOP_BACKEND");
  g_assert_nonnull (loop);
  g_assert_cmpstr (io_loop_get_backend (loop), ==, io_loop_list_backends ()[0]);
  g_object_unref (loop);
}

/* What a program that never calls setlocale() prints for an unknown
 * IOLOOP_BACKEND: GLib converts messages to the locale's charset, which
 * is ASCII in the "C" locale, so the message must read well in ASCII. */
static char *
unknown_backend_output_in_c_locale (void)
{
  GString *out = g_string_new (NULL);
  int fds[2], status;
  char buf[256];
  ssize_t r;
  pid_t pid;

  g_assert_cmpint (pipe (fds), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      GError *error = NULL;
      IoLoop *loop;

      io_test_forked_child ();
      dup2 (fds[1], STDERR_FILENO);
      setlocale (LC_ALL, "C");
      setenv ("IOLOOP_BACKEND", "no-such-backend", 1);
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      loop = io_loop_new ();
      g_object_unref (loop);
      g_assert_null (io_loop_new_with_backend ("no-such-backend", &error));
      g_printerr ("%s\n", error->message);
      _exit (0);
    }
  close (fds[1]);
  while ((r = read (fds[0], buf, sizeof buf)) != 0)
    {
      if (r < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (r, >, 0);
      g_string_append_len (out, buf, r);
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  return g_string_free (out, FALSE);
}

static void
test_unknown_backend_message_reads_well_without_setlocale (IoTest *t)
{
  char *out = unknown_backend_output_in_c_locale ();
  const char *p = out;
  guint found = 0;

  g_test_message ("%s", out);
  while ((p = strstr (p, "no-such-backend")) != NULL)
    {
      /* Quoted, not "?no-such-backend?". */
      g_assert_cmpint (p[-1], ==, '"');
      g_assert_cmpint (p[strlen ("no-such-backend")], ==, '"');
      p++;
      found++;
    }
  g_assert_cmpuint (found, ==, 2);
  g_assert_null (strchr (out, '?'));
  g_free (out);
}

/* ---- start / stop ------------------------------------------------------ */

static void
test_stop_from_callback_returns_from_start (IoTest *t)
{
  gint ran = 0;

  io_loop_add_callback (t->loop, io_test_count_cb, &ran, NULL);
  io_loop_add_callback (t->loop, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ran, ==, 1);
  g_assert_false (io_loop_is_running (t->loop));
}

typedef struct
{
  IoLoop   *loop;
  gboolean  was_running;
} RunningProbe;

static void
probe_running_cb (gpointer data, GError **error)
{
  RunningProbe *probe = data;

  probe->was_running = io_loop_is_running (probe->loop);
  io_loop_stop (probe->loop);
}

static void
test_is_running_only_inside_start (IoTest *t)
{
  RunningProbe probe = { t->loop, FALSE };

  g_assert_false (io_loop_is_running (t->loop));
  io_loop_add_callback (t->loop, probe_running_cb, &probe, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_true (probe.was_running);
  g_assert_false (io_loop_is_running (t->loop));
}

static void
test_stop_before_start_makes_start_return_at_once (IoTest *t)
{
  GError *error = NULL;

  /* Nothing is scheduled: without the pending stop, start() would block
   * until the watchdog fires. */
  io_loop_stop (t->loop);
  g_assert_true (io_loop_start (t->loop, &error));
  g_assert_no_error (error);
  g_assert_false (io_loop_is_running (t->loop));
}

static void
test_stop_before_start_is_consumed_by_one_start (IoTest *t)
{
  GError *error = NULL;
  gint ran = 0;

  io_loop_stop (t->loop);
  g_assert_true (io_loop_start (t->loop, &error));
  g_assert_no_error (error);

  /* The second start() runs normally: the callbacks run. */
  io_loop_add_callback (t->loop, io_test_count_cb, &ran, NULL);
  io_loop_add_callback (t->loop, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ran, ==, 1);
}

typedef struct
{
  IoLoop   *loop;
  gboolean  returned;
  gboolean  result;
  GError   *error;
} NestedStart;

static void
nested_start_cb (gpointer data, GError **error)
{
  NestedStart *n = data;

  n->result = io_loop_start (n->loop, &n->error);
  n->returned = TRUE;
  /* Still running the outer start(). */
  g_assert_true (io_loop_is_running (n->loop));
  io_loop_stop (n->loop);
}

static void
test_nested_start_fails_with_running (IoTest *t)
{
  NestedStart n = { t->loop, FALSE, TRUE, NULL };

  io_loop_add_callback (t->loop, nested_start_cb, &n, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_true (n.returned);
  g_assert_false (n.result);
  io_test_assert_error (n.error, IO_LOOP_ERROR_RUNNING);
}

static gpointer
start_from_thread (gpointer data)
{
  NestedStart *n = data;

  n->result = io_loop_start (n->loop, &n->error);
  n->returned = TRUE;
  return NULL;
}

static void
start_in_thread_cb (gpointer data, GError **error)
{
  NestedStart *n = data;

  g_thread_join (g_thread_new ("start", start_from_thread, n));
  io_loop_stop (n->loop);
}

static void
test_start_from_other_thread_while_running_fails_with_running (IoTest *t)
{
  NestedStart n = { t->loop, FALSE, TRUE, NULL };

  io_loop_add_callback (t->loop, start_in_thread_cb, &n, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_true (n.returned);
  g_assert_false (n.result);
  io_test_assert_error (n.error, IO_LOOP_ERROR_RUNNING);
}

static gpointer
stop_later_thread (gpointer data)
{
  g_usleep (50 * 1000);
  io_loop_stop (data);
  return NULL;
}

static void
test_stop_from_other_thread_wakes_and_stops_loop (IoTest *t)
{
  GThread *thread;

  /* Nothing scheduled: the loop sleeps in poll until stop() wakes it. */
  thread = g_thread_new ("stop", stop_later_thread, t->loop);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
}

static void
test_start_after_stop_runs_again (IoTest *t)
{
  gint ran = 0;

  for (int i = 0; i < 3; i++)
    {
      io_loop_add_callback (t->loop, io_test_count_cb, &ran, NULL);
      io_loop_add_callback (t->loop, io_test_stop_cb, t->loop, NULL);
      io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
      g_assert_cmpint (ran, ==, i + 1);
    }
}

/* ---- close ------------------------------------------------------------- */

static void
test_start_on_closed_loop_fails_with_closed (IoTest *t)
{
  GError *error = NULL;

  io_loop_close (t->loop, FALSE);
  g_assert_true (io_loop_is_closed (t->loop));
  g_assert_false (io_loop_start (t->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
}

static void
test_iteration_on_closed_loop_fails_with_closed (IoTest *t)
{
  GError *error = NULL;

  io_loop_close (t->loop, FALSE);
  g_assert_false (io_loop_iteration (t->loop, FALSE, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
}

static void
dummy_handler (int fd, IoEvents events, gpointer data, GError **error)
{
}

static void
dummy_callback (gpointer data, GError **error)
{
}

static void
test_add_handler_on_closed_loop_fails_with_closed (IoTest *t)
{
  GError *error = NULL;
  gint notified = 0;
  int fds[2];

  io_test_socketpair (fds);
  io_loop_close (t->loop, FALSE);
  g_assert_false (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ,
                                       dummy_handler, &notified,
                                       io_test_count_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_false (io_loop_has_handler (t->loop, fds[0]));
  close (fds[0]);
  close (fds[1]);
}

static void
test_add_timeout_on_closed_loop_fails_with_closed (IoTest *t)
{
  GError *error = NULL;
  gint ran = 0;

  io_loop_close (t->loop, FALSE);
  g_assert_null (io_loop_call_later (t->loop, 0, io_test_count_cb, &ran, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_null (io_loop_add_timeout (t->loop, io_loop_time (t->loop), io_test_count_cb,
                                      &ran, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_cmpint (ran, ==, 0);
}

static void
test_close_twice_is_harmless (IoTest *t)
{
  gint notified = 0;

  io_loop_add_callback (t->loop, dummy_callback, &notified, io_test_count_notify);
  io_loop_close (t->loop, FALSE);
  io_loop_close (t->loop, TRUE);
  g_assert_true (io_loop_is_closed (t->loop));
  g_assert_cmpint (notified, ==, 1);
}

static void
test_close_all_fds_closes_registered_fds (IoTest *t)
{
  GError *error = NULL;
  int a[2], b[2];

  io_test_socketpair (a);
  io_test_socketpair (b);
  g_assert_true (io_loop_add_handler (t->loop, a[0], IO_EVENTS_READ, dummy_handler,
                                      NULL, NULL, &error));
  g_assert_true (io_loop_add_handler (t->loop, b[0], IO_EVENTS_WRITE, dummy_handler,
                                      NULL, NULL, &error));
  g_assert_no_error (error);
  io_test_iterate (t);

  io_loop_close (t->loop, TRUE);
  g_assert_false (io_test_fd_is_open (a[0]));
  g_assert_false (io_test_fd_is_open (b[0]));
  g_assert_true (io_test_fd_is_open (a[1]));   /* not registered: left alone */
  close (a[1]);
  close (b[1]);
}

static void
test_close_without_all_fds_leaves_fds_open (IoTest *t)
{
  GError *error = NULL;
  int a[2];

  io_test_socketpair (a);
  g_assert_true (io_loop_add_handler (t->loop, a[0], IO_EVENTS_READ, dummy_handler,
                                      NULL, NULL, &error));
  g_assert_no_error (error);
  io_loop_close (t->loop, FALSE);
  g_assert_false (io_loop_has_handler (t->loop, a[0]));
  g_assert_true (io_test_fd_is_open (a[0]));
  close (a[0]);
  close (a[1]);
}

typedef struct
{
  IoLoop *loop;
  gint    later_ran;
  gint    later_notified;
} CloseInside;

static void
close_inside_cb (gpointer data, GError **error)
{
  CloseInside *c = data;

  /* Queued for the next iteration: dropped by close, with its notify. */
  io_loop_add_callback (c->loop, io_test_count_cb, &c->later_ran, NULL);
  io_loop_add_callback (c->loop, dummy_callback, &c->later_notified, io_test_count_notify);
  io_loop_close (c->loop, FALSE);
  g_assert_true (io_loop_is_closed (c->loop));
}

static void
test_close_from_inside_callback_ends_start (IoTest *t)
{
  CloseInside c = { t->loop, 0, 0 };
  GError *error = NULL;

  io_loop_add_callback (t->loop, close_inside_cb, &c, NULL);
  /* Must return (the watchdog says if it does not); whether closing is
   * reported as an error is not specified. */
  io_loop_start (t->loop, &error);
  g_clear_error (&error);
  g_assert_true (io_loop_is_closed (t->loop));
  g_assert_false (io_loop_is_running (t->loop));
  g_assert_cmpint (c.later_ran, ==, 0);
  g_assert_cmpint (c.later_notified, ==, 1);
}

/* ---- io_loop_iteration ------------------------------------------------- */

static void
test_iteration_with_nothing_to_do_returns_false (IoTest *t)
{
  g_assert_false (io_test_iterate (t));
}

static void
test_iteration_runs_pending_callback_and_returns_true (IoTest *t)
{
  gint ran = 0;

  io_loop_add_callback (t->loop, io_test_count_cb, &ran, NULL);
  g_assert_true (io_test_iterate (t));
  g_assert_cmpint (ran, ==, 1);
  g_assert_false (io_test_iterate (t));
  g_assert_cmpint (ran, ==, 1);
}

static void
test_blocking_iteration_waits_for_timeout (IoTest *t)
{
  GError *error = NULL;
  gint fired = 0;

  g_assert_nonnull (io_loop_call_later (t->loop, 0.02, io_test_count_cb, &fired, NULL, &error));
  g_assert_no_error (error);
  io_test_iterate_until (t, &fired, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (fired, ==, 1);
}

/* ---- embedding --------------------------------------------------------- */

static void
test_get_timeout_ms_reflects_pending_work (IoTest *t)
{
  GError *error = NULL;
  gint ran = 0;
  int ms;

  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);

  g_assert_nonnull (io_loop_call_later (t->loop, 10.0, io_test_count_cb, &ran, NULL, &error));
  g_assert_no_error (error);
  ms = io_loop_get_timeout_ms (t->loop);
  g_assert_cmpint (ms, >, 0);
  g_assert_cmpint (ms, <=, 10000 + 1);

  io_loop_add_callback (t->loop, io_test_count_cb, &ran, NULL);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, 0);
  io_test_iterate (t);
  g_assert_cmpint (ran, ==, 1);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), >, 0);
}

static void
count_handler_calls (int fd, IoEvents events, gpointer data, GError **error)
{
  (void) fd;
  (void) events;
  (void) error;
  ++*(guint *) data;
  io_test_drain (fd);
}

static void
test_get_fd_is_backend_fd_or_minus_one (IoTest *t)
{
  int fd = io_loop_get_fd (t->loop);
  gboolean has_fd = strcmp (t->backend, "epoll") == 0;

#ifndef HAVE_LIBKQUEUE
  /* libkqueue's kqueue fd never polls readable: it must not be offered. */
  has_fd = has_fd || strcmp (t->backend, "kqueue") == 0;
#endif
  if (has_fd)
    {
      int fds[2];
      struct pollfd pfd = { 0, POLLIN, 0 };
      guint n_calls = 0;

      g_assert_cmpint (fd, >=, 0);
      g_assert_true (io_test_fd_is_open (fd));
      g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, !=, 0);

      /* What it is for: it polls readable once the loop has an event. */
      pfd.fd = fd;
      g_assert_cmpint (poll (&pfd, 1, 0), ==, 0);
      io_test_socketpair (fds);
      g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ,
                                          count_handler_calls, &n_calls,
                                          NULL, NULL));
      g_assert_cmpint (io_loop_get_fd (t->loop), ==, fd);
      io_test_write_byte (fds[1]);
      /* No time limit but the test's watchdog: a loop that never wakes. */
      g_assert_cmpint (poll (&pfd, 1, -1), ==, 1);
      g_assert_true (io_loop_iteration (t->loop, FALSE, NULL));
      g_assert_cmpuint (n_calls, ==, 1);
      g_assert_true (io_loop_remove_handler (t->loop, fds[0], NULL));
      close (fds[0]);
      close (fds[1]);
    }
  else
    g_assert_cmpint (fd, ==, -1);

  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (io_loop_get_fd (t->loop), ==, -1);
}

/* Driving the loop from outside: get_timeout_ms() before each poll of the
 * fd hands the backend the changes made since the last iteration (epoll
 * and kqueue batch them), so that a handler's new interest wakes the poll. */
static void
test_get_timeout_ms_makes_the_fd_reflect_changes (IoTest *t)
{
  int fd = io_loop_get_fd (t->loop);
  int fds[2];
  struct pollfd pfd = { 0, POLLIN, 0 };
  guint n_calls = 0;

  if (fd < 0)
    {
      io_test_skip ("the backend has no fd of its own");
      return;
    }
  pfd.fd = fd;
  io_test_socketpair (fds);
  /* Registered for nothing, then (batched) for WRITE, which holds. */
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_NONE,
                                      count_handler_calls, &n_calls, NULL, NULL));
  g_assert_false (io_loop_iteration (t->loop, FALSE, NULL));
  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_WRITE, NULL));
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
  /* No time limit but the test's watchdog: a loop that never wakes. */
  g_assert_cmpint (poll (&pfd, 1, -1), ==, 1);
  g_assert_true (io_loop_iteration (t->loop, FALSE, NULL));
  g_assert_cmpuint (n_calls, ==, 1);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], NULL));
  close (fds[0]);
  close (fds[1]);
}

static void
test_time_is_wall_clock (IoTest *t)
{
  gdouble now = g_get_real_time () / (gdouble) G_USEC_PER_SEC;

  g_assert_cmpfloat (fabs (io_loop_time (t->loop) - now), <, 60.0);
}

static void
test_loop_is_a_derivable_gobject (IoTest *t)
{
  g_assert_true (G_TYPE_IS_DERIVABLE (IO_TYPE_LOOP));
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (t->loop, IO_TYPE_LOOP));
  g_assert_true (G_TYPE_IS_FLAGS (io_events_get_type ()));
  g_assert_cmpint (IO_EVENTS_READ, ==, 0x001);
  g_assert_cmpint (IO_EVENTS_WRITE, ==, 0x004);
  g_assert_cmpint (IO_EVENTS_ERROR, ==, 0x018);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/loop/new-with-backend-uses-that-backend", test_new_with_backend_uses_that_backend);
  io_test_add ("/loop/list-backends-is-in-preference-order", test_list_backends_is_in_preference_order);
  io_test_add ("/loop/null-backend-uses-ioloop-backend-env", test_null_backend_uses_ioloop_backend_env);
  io_test_add ("/loop/null-backend-without-env-picks-best", test_null_backend_without_env_picks_best);
  io_test_add ("/loop/unknown-backend-fails-with-no-backend", test_unknown_backend_fails_with_no_backend);
  io_test_add ("/loop/unknown-env-backend-fails-with-no-backend", test_unknown_env_backend_fails_with_no_backend);
  io_test_add ("/loop/new-warns-and-falls-back-on-unknown-env-backend", test_new_warns_and_falls_back_on_unknown_env_backend);
  io_test_add ("/loop/unknown-backend-message-reads-well-without-setlocale",
               test_unknown_backend_message_reads_well_without_setlocale);
  io_test_add ("/loop/is-a-derivable-gobject", test_loop_is_a_derivable_gobject);

  io_test_add ("/loop/stop-from-callback-returns-from-start", test_stop_from_callback_returns_from_start);
  io_test_add ("/loop/is-running-only-inside-start", test_is_running_only_inside_start);
  io_test_add ("/loop/stop-before-start-makes-start-return-at-once", test_stop_before_start_makes_start_return_at_once);
  io_test_add ("/loop/stop-before-start-is-consumed-by-one-start", test_stop_before_start_is_consumed_by_one_start);
  io_test_add ("/loop/nested-start-fails-with-running", test_nested_start_fails_with_running);
  io_test_add ("/loop/start-from-other-thread-while-running-fails-with-running", test_start_from_other_thread_while_running_fails_with_running);
  io_test_add ("/loop/stop-from-other-thread-wakes-and-stops-loop", test_stop_from_other_thread_wakes_and_stops_loop);
  io_test_add ("/loop/start-after-stop-runs-again", test_start_after_stop_runs_again);

  io_test_add ("/loop/start-on-closed-loop-fails-with-closed", test_start_on_closed_loop_fails_with_closed);
  io_test_add ("/loop/iteration-on-closed-loop-fails-with-closed", test_iteration_on_closed_loop_fails_with_closed);
  io_test_add ("/loop/add-handler-on-closed-loop-fails-with-closed", test_add_handler_on_closed_loop_fails_with_closed);
  io_test_add ("/loop/add-timeout-on-closed-loop-fails-with-closed", test_add_timeout_on_closed_loop_fails_with_closed);
  io_test_add ("/loop/close-twice-is-harmless", test_close_twice_is_harmless);
  io_test_add ("/loop/close-all-fds-closes-registered-fds", test_close_all_fds_closes_registered_fds);
  io_test_add ("/loop/close-without-all-fds-leaves-fds-open", test_close_without_all_fds_leaves_fds_open);
  io_test_add ("/loop/close-from-inside-callback-ends-start", test_close_from_inside_callback_ends_start);

  io_test_add ("/loop/iteration-with-nothing-to-do-returns-false", test_iteration_with_nothing_to_do_returns_false);
  io_test_add ("/loop/iteration-runs-pending-callback-and-returns-true", test_iteration_runs_pending_callback_and_returns_true);
  io_test_add ("/loop/blocking-iteration-waits-for-timeout", test_blocking_iteration_waits_for_timeout);
  io_test_add ("/loop/get-timeout-ms-reflects-pending-work", test_get_timeout_ms_reflects_pending_work);
  io_test_add ("/loop/get-fd-is-backend-fd-or-minus-one", test_get_fd_is_backend_fd_or_minus_one);
  io_test_add ("/loop/get-timeout-ms-makes-the-fd-reflect-changes",
               test_get_timeout_ms_makes_the_fd_reflect_changes);
  io_test_add ("/loop/time-is-wall-clock", test_time_is_wall_clock);

  return io_test_run ();
}
