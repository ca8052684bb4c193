/* test-fork.c: a loop used across fork()
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The child runs its part and exits with 0 only if every assertion held
 * (a failed assertion aborts it); the parent checks the exit status, and
 * that its own loop, and its kernel event set, are as they were.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io-test-util.h"

typedef void (*ChildFunc) (IoTest *t, gpointer data);

/* Runs @func in a child process; asserts that it got to the end. The
 * child says so through a pipe rather than its exit status, which
 * valgrind replaces when it finds leaks in the child at exit. */
static void
run_in_child (IoTest    *t,
              ChildFunc  func,
              gpointer   data)
{
  char done = 0;
  int status, fds[2];
  pid_t pid;

  g_assert_cmpint (pipe (fds), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      func (t, data);
      if (write (fds[1], "y", 1) != 1)
        _exit (2);
      _exit (0);
    }
  close (fds[1]);
  while (read (fds[0], &done, 1) < 0 && errno == EINTR)
    ;
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  if (WIFSIGNALED (status))
    g_error ("the child was killed by signal %d (a failed assertion?)", WTERMSIG (status));
  g_assert_cmpint (done, ==, 'y');
}

/* The fds in the kernel event set of an epoll loop ("" otherwise). */
static char *
kernel_set (IoLoop *loop)
{
  GString *set = g_string_new (NULL);
  int fd = io_loop_get_fd (loop);
  char *path, *text = NULL;
  char **lines;

  if (fd < 0 || g_strcmp0 (io_loop_get_backend (loop), "epoll") != 0)
    return g_string_free (set, FALSE);
  path = g_strdup_printf ("/proc/self/fdinfo/%d", fd);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "tfd:"))
      {
        int tfd = -1;

        sscanf (*l, "tfd: %d", &tfd);
        g_string_append_printf (set, "%d ", tfd);
      }
  g_strfreev (lines);
  g_free (text);
  g_free (path);
  return g_string_free (set, FALSE);
}

/* A handler that reads a byte and stops the loop. */
typedef struct
{
  IoLoop *loop;
  int     fds[2];
  gint    calls;
} Pair;

static void
pair_ready (int fd, IoEvents events, gpointer data, GError **error)
{
  Pair *pair = data;

  pair->calls++;
  io_test_drain (fd);
  io_loop_stop (pair->loop);
}

static void
pair_add (IoTest *t, Pair *pair)
{
  GError *error = NULL;

  pair->loop = t->loop;
  io_test_socketpair (pair->fds);
  g_assert_true (io_loop_add_handler (t->loop, pair->fds[0], IO_EVENTS_READ, pair_ready,
                                      pair, NULL, &error));
  g_assert_no_error (error);
  /* Registered with the kernel now, not at the next poll. */
  io_test_iterate (t);
}

static void
pair_close (Pair *pair)
{
  close (pair->fds[0]);
  close (pair->fds[1]);
}

/* Asserts that the parent's loop still works: its handler hears a byte. */
static void
assert_parent_loop_works (IoTest *t, Pair *pair)
{
  gint before = pair->calls;

  io_test_write_byte (pair->fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (pair->calls, ==, before + 1);
}

/* ---- refusal ------------------------------------------------------------- */

static void
nop_cb (gpointer data, GError **error)
{
}

static void
nop_handler (int fd, IoEvents events, gpointer data, GError **error)
{
}

static void
nop_signal (int signum, gpointer data, GError **error)
{
}

static void
child_uses_parents_loop (IoTest *t, gpointer data)
{
  GError *error = NULL;
  int fds[2];

  g_assert_false (io_loop_start (t->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  g_assert_false (io_loop_iteration (t->loop, FALSE, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);

  io_test_socketpair (fds);
  g_assert_false (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, nop_handler,
                                       NULL, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  g_assert_null (io_loop_call_later (t->loop, 0.01, nop_cb, NULL, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  g_assert_cmpuint (io_loop_add_signal_handler (t->loop, SIGUSR1, nop_signal, NULL, NULL,
                                                &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  g_assert_cmpuint (io_loop_attach (t->loop, NULL, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  g_assert_false (io_loop_add_main_context (t->loop, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
}

static void
test_child_using_parents_loop_fails_with_forked (IoTest *t)
{
  Pair pair = { 0 };
  char *before, *after;

  pair_add (t, &pair);
  before = kernel_set (t->loop);
  run_in_child (t, child_uses_parents_loop, NULL);
  after = kernel_set (t->loop);
  g_assert_cmpstr (before, ==, after);
  assert_parent_loop_works (t, &pair);
  pair_close (&pair);
  g_free (before);
  g_free (after);
}

static void
child_changes_loop_before_reinit (IoTest *t, gpointer data)
{
  Pair *pair = data;
  GError *error = NULL;

  /* Whatever the child does to the loop before reinit, the parent's
   * kernel set must not change. */
  io_loop_remove_handler (t->loop, pair->fds[0], &error);
  g_clear_error (&error);
  io_loop_get_fd (t->loop);
  io_loop_get_timeout_ms (t->loop);
  io_loop_iteration (t->loop, FALSE, &error);
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
  close (pair->fds[0]);
}

static void
test_child_changes_before_reinit_leave_parent_alone (IoTest *t)
{
  Pair pair = { 0 };
  char *before, *after;

  pair_add (t, &pair);
  before = kernel_set (t->loop);
  run_in_child (t, child_changes_loop_before_reinit, &pair);
  after = kernel_set (t->loop);
  g_assert_cmpstr (before, ==, after);
  assert_parent_loop_works (t, &pair);
  pair_close (&pair);
  g_free (before);
  g_free (after);
}

/* ---- re-initialization --------------------------------------------------- */

static void
count_signal (int signum, gpointer data, GError **error)
{
  (*(gint *) data)++;
}

static void
child_reinits_loop (IoTest *t, gpointer data)
{
  Pair *pair = data, fresh = { 0 };
  IoTestCounts timeout = { 0 };
  GError *error = NULL;
  gint signals = 0;

  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  g_assert_no_error (error);

  /* The inherited handler works in the child's own set. */
  io_test_write_byte (pair->fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (pair->calls, ==, 1);

  /* So do new handlers, timeouts and signal handlers. */
  pair_add (t, &fresh);
  io_test_write_byte (fresh.fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (fresh.calls, ==, 1);

  g_assert_nonnull (io_loop_call_later (t->loop, 0.01, io_test_counts_cb, &timeout,
                                        io_test_counts_notify, &error));
  g_assert_no_error (error);
  g_assert_nonnull (io_loop_call_later (t->loop, 0.02, io_test_stop_cb, t->loop, NULL, &error));
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (timeout.runs, ==, 1);
  g_assert_cmpint (timeout.notifies, ==, 1);

  g_assert_cmpuint (io_loop_add_signal_handler (t->loop, SIGUSR1, count_signal, &signals,
                                                NULL, &error), >, 0);
  g_assert_no_error (error);
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (signals, ==, 1);
}

static void
test_reinit_in_child_makes_handlers_and_timeouts_work (IoTest *t)
{
  Pair pair = { 0 };
  char *before, *after;

  pair_add (t, &pair);
  before = kernel_set (t->loop);
  run_in_child (t, child_reinits_loop, &pair);
  after = kernel_set (t->loop);
  g_assert_cmpstr (before, ==, after);

  /* The child read its own byte; the parent's handler was not called. */
  g_assert_cmpint (pair.calls, ==, 0);
  assert_parent_loop_works (t, &pair);
  g_assert_cmpint (pair.calls, ==, 1);
  pair_close (&pair);
  g_free (before);
  g_free (after);
}

static void
child_signal_handler_after_reinit (IoTest *t, gpointer data)
{
  gint *parent_count = data;
  GError *error = NULL;

  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  raise (SIGUSR1);
  io_test_iterate (t);
  g_assert_cmpint (*parent_count, ==, 1);
}

static void
test_signal_handler_from_parent_works_in_child_after_reinit (IoTest *t)
{
  GError *error = NULL;
  gint count = 0;
  guint id;

  id = io_loop_add_signal_handler (t->loop, SIGUSR1, count_signal, &count, NULL, &error);
  g_assert_no_error (error);
  run_in_child (t, child_signal_handler_after_reinit, &count);
  g_assert_cmpint (count, ==, 0);
  io_loop_remove_signal_handler (t->loop, id);
}

/* ---- re-initialization that fails ---------------------------------------- */

/* One of each kind of thing the loop holds, each counting its notify. */
typedef struct
{
  Pair          pair;
  gint          handler_notifies;
  IoTestCounts  timeout;
  IoTestCounts  callback;
  IoTestCounts  async;
  IoAsync      *handle;
} Held;

static void
held_ready (int fd, IoEvents events, gpointer data, GError **error)
{
  Held *held = data;

  pair_ready (fd, events, &held->pair, error);
}

static void
held_handler_notify (gpointer data)
{
  ((Held *) data)->handler_notifies++;
}

static void
held_add (IoTest *t, Held *held)
{
  GError *error = NULL;

  held->pair.loop = t->loop;
  io_test_socketpair (held->pair.fds);
  g_assert_true (io_loop_add_handler (t->loop, held->pair.fds[0], IO_EVENTS_READ, held_ready,
                                      held, held_handler_notify, &error));
  g_assert_no_error (error);
  g_assert_nonnull (io_loop_call_later (t->loop, 60.0, io_test_counts_cb, &held->timeout,
                                        io_test_counts_notify, &error));
  g_assert_no_error (error);
  held->handle = io_async_new (t->loop, io_test_counts_cb, &held->async, io_test_counts_notify);
  io_test_iterate (t);
  io_loop_add_callback (t->loop, io_test_counts_cb, &held->callback, io_test_counts_notify);
}

static void
held_assert_notified (Held *held, gint times)
{
  g_assert_cmpint (held->handler_notifies, ==, times);
  g_assert_cmpint (held->timeout.notifies, ==, times);
  g_assert_cmpint (held->callback.notifies, ==, times);
  g_assert_cmpint (held->async.notifies, ==, times);
  g_assert_cmpint (held->pair.calls + held->timeout.runs + held->callback.runs +
                   held->async.runs, ==, 0);
}

static void
held_clear (Held *held)
{
  io_async_unref (held->handle);
  pair_close (&held->pair);
}

/* Fails a re-init by leaving the child no fd to open. */
static void
child_reinit_fails_at_fd_limit (IoTest *t, IoTestFdLimit *limit)
{
  GError *error = NULL;

  g_assert_true (io_test_fd_limit_reach (limit));
  g_assert_false (io_loop_reinit_after_fork (t->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FAILED);
  /* Still refused as a child's, not half re-initialized. */
  g_assert_false (io_loop_iteration (t->loop, FALSE, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FORKED);
}

static void
child_closes_after_failed_reinit (IoTest *t, gpointer data)
{
  Held *held = data;
  IoTestFdLimit limit;

  child_reinit_fails_at_fd_limit (t, &limit);
  held_assert_notified (held, 0);
  io_loop_close (t->loop, FALSE);
  held_assert_notified (held, 1);
  g_assert_true (io_async_is_closed (held->handle));
  io_loop_close (t->loop, FALSE);
  held_assert_notified (held, 1);
  io_test_fd_limit_restore (&limit);
}

static void
test_failed_reinit_leaves_close_to_run_every_notify_once (IoTest *t)
{
  Held held = { 0 };

  held_add (t, &held);
  run_in_child (t, child_closes_after_failed_reinit, &held);
  /* The parent's loop is untouched and still holds everything. */
  held_assert_notified (&held, 0);
  io_loop_close (t->loop, FALSE);
  held_assert_notified (&held, 1);
  held_clear (&held);
}

static void
child_retries_reinit_after_fds_free_up (IoTest *t, gpointer data)
{
  Held *held = data;
  GError *error = NULL;
  IoTestFdLimit limit;

  child_reinit_fails_at_fd_limit (t, &limit);
  io_test_fd_limit_restore (&limit);
  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  g_assert_no_error (error);

  /* Everything survived the failed attempt. */
  io_test_write_byte (held->pair.fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (held->pair.calls, ==, 1);
  g_assert_cmpint (held->callback.runs, ==, 1);
  io_async_send (held->handle);
  io_test_iterate (t);
  g_assert_cmpint (held->async.runs, ==, 1);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (held->handler_notifies, ==, 1);
  g_assert_cmpint (held->timeout.notifies, ==, 1);
  g_assert_cmpint (held->async.notifies, ==, 1);
}

static void
test_failed_reinit_can_be_retried_once_fds_free_up (IoTest *t)
{
  Held held = { 0 };

  held_add (t, &held);
  run_in_child (t, child_retries_reinit_after_fds_free_up, &held);
  io_loop_close (t->loop, FALSE);
  held_assert_notified (&held, 1);
  held_clear (&held);
}

static void
child_adds_callback_before_reinit (IoTest *t, gpointer data)
{
  IoTestCounts counts = { 0 };
  GError *error = NULL;

  io_loop_add_callback (t->loop, io_test_counts_cb, &counts, io_test_counts_notify);
  g_assert_cmpint (counts.notifies, ==, 1);
  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  g_assert_cmpint (counts.runs, ==, 0);
  g_assert_cmpint (counts.notifies, ==, 1);
}

static void
test_add_callback_in_child_before_reinit_is_refused_with_notify (IoTest *t)
{
  io_test_iterate (t);
  run_in_child (t, child_adds_callback_before_reinit, NULL);
}

static void
test_reinit_without_fork_does_nothing (IoTest *t)
{
  Pair pair = { 0 };
  GError *error = NULL;
  int fd;

  pair_add (t, &pair);
  fd = io_loop_get_fd (t->loop);
  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  g_assert_no_error (error);
  g_assert_cmpint (io_loop_get_fd (t->loop), ==, fd);
  assert_parent_loop_works (t, &pair);
  pair_close (&pair);
}

/* ---- producers caught by fork() ------------------------------------------ */

/* A thread that adds callbacks to the loop, and sends to an IoAsync, as
 * fast as it can until told to stop, keeping at most a few thousand
 * callbacks queued. */
typedef struct
{
  IoLoop  *loop;
  IoAsync *handle;
  gint     stop;
  gint     ran;
} Producer;

static void
producer_cb (gpointer data, GError **error)
{
  Producer *p = data;

  g_atomic_int_inc (&p->ran);
}

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;
  gint pushed = 0;

  while (!g_atomic_int_get (&p->stop))
    {
      if (pushed - g_atomic_int_get (&p->ran) > 5000)
        {
          g_thread_yield ();
          continue;
        }
      io_loop_add_callback (p->loop, producer_cb, p, NULL);
      pushed++;
      io_async_send (p->handle);
    }
  return NULL;
}

/* The test's watchdog thread does not survive fork(): a child that hangs
 * is ended by SIGALRM instead, and the parent sees it killed. */
static void
child_bound_time (void)
{
  signal (SIGALRM, SIG_DFL);
  alarm ((guint) (3 * IO_TEST_LOOP_TIMEOUT));
}

static void
child_uses_loop_its_producer_left_behind (IoTest *t, gpointer data)
{
  IoTestCounts counts = { 0 };
  GError *error = NULL;

  io_test_forked_child ();
  child_bound_time ();
  g_assert_true (io_loop_reinit_after_fork (t->loop, &error));
  g_assert_no_error (error);
  io_loop_add_callback (t->loop, io_test_counts_cb, &counts, io_test_counts_notify);
  io_test_iterate_until (t, &counts.runs, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (counts.notifies, ==, 1);
  /* Blocks for real: no callback or slot is left that keeps it busy. */
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
  io_loop_close (t->loop, FALSE);
}

static void
child_closes_loop_its_producer_left_behind (IoTest *t, gpointer data)
{
  io_test_forked_child ();
  child_bound_time ();
  io_loop_close (t->loop, FALSE);
  g_assert_true (io_loop_is_closed (t->loop));
}

/* fork() copies the queue in whatever state the producer thread had it:
 * a slot reserved and not filled yet, a block of the queue half added, a
 * wake-up write under way. None of those threads exist in the child, so
 * nothing there may wait for them. Each round forks while the producer
 * runs, so some rounds catch it mid-push. */
/* ThreadSanitizer's runtime takes spin locks of its own inside every
 * atomic operation and free(): a fork() that catches the producer holding
 * one leaves the child stuck in the runtime, whatever the code under test
 * does. */
#if defined (__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined (__has_feature)
#if __has_feature (thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

static void
run_forks_during_pushes (IoTest *t, ChildFunc func)
{
  Producer p = { t->loop, NULL, 0, 0 };
  GThread *thread;
  guint i, rounds = io_test_scale (60);

#ifdef UNDER_TSAN
  io_test_skip ("ThreadSanitizer's runtime can deadlock in a child forked while "
                "another thread is inside it");
  return;
#endif

  p.handle = io_async_new (t->loop, nop_cb, NULL, NULL);
  thread = g_thread_new ("producer", producer_thread, &p);
  for (i = 0; i < rounds; i++)
    {
      run_in_child (t, func, NULL);
      io_test_iterate (t);
    }
  g_atomic_int_set (&p.stop, 1);
  g_thread_join (thread);
  io_async_unref (p.handle);
}

static void
test_child_reinits_loop_forked_during_pushes (IoTest *t)
{
  run_forks_during_pushes (t, child_uses_loop_its_producer_left_behind);
}

static void
test_child_closes_loop_forked_during_pushes (IoTest *t)
{
  run_forks_during_pushes (t, child_closes_loop_its_producer_left_behind);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/fork/child-using-parents-loop-fails-with-forked",
               test_child_using_parents_loop_fails_with_forked);
  io_test_add ("/fork/child-changes-before-reinit-leave-parent-alone",
               test_child_changes_before_reinit_leave_parent_alone);
  io_test_add ("/fork/reinit-in-child-makes-handlers-and-timeouts-work",
               test_reinit_in_child_makes_handlers_and_timeouts_work);
  io_test_add ("/fork/signal-handler-from-parent-works-in-child-after-reinit",
               test_signal_handler_from_parent_works_in_child_after_reinit);
  io_test_add ("/fork/failed-reinit-leaves-close-to-run-every-notify-once",
               test_failed_reinit_leaves_close_to_run_every_notify_once);
  io_test_add ("/fork/failed-reinit-can-be-retried-once-fds-free-up",
               test_failed_reinit_can_be_retried_once_fds_free_up);
  io_test_add ("/fork/add-callback-in-child-before-reinit-is-refused-with-notify",
               test_add_callback_in_child_before_reinit_is_refused_with_notify);
  io_test_add ("/fork/reinit-without-fork-does-nothing", test_reinit_without_fork_does_nothing);
  io_test_add ("/fork/child-reinits-loop-forked-during-pushes",
               test_child_reinits_loop_forked_during_pushes);
  io_test_add ("/fork/child-closes-loop-forked-during-pushes",
               test_child_closes_loop_forked_during_pushes);

  return io_test_run ();
}
