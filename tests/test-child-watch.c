/* test-child-watch.c: child processes whose exit the loop reports
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test runs twice per backend: with pidfds (/child-watch/pidfd/...)
 * and with SIGCHLD, as on kernels without pidfd_open()
 * (/child-watch/sigchld/..., IOLOOP_NO_PIDFD set).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "io-test-util.h"

typedef struct
{
  IoLoop   *stop;          /* stopped after the report, if set */
  gint      calls;
  GPid      pid;
  int       status;
  GThread  *thread;
  gint      notified;
  gboolean  fail;
} Seen;

static void
seen_exit (GPid pid, int wait_status, gpointer data, GError **error)
{
  Seen *seen = data;

  seen->calls++;
  seen->pid = pid;
  seen->status = wait_status;
  seen->thread = g_thread_self ();
  /* The notify waits until we are done. */
  g_assert_cmpint (seen->notified, ==, 0);
  if (seen->stop != NULL)
    io_loop_stop (seen->stop);
  if (seen->fail)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "child function failed");
}

static void
seen_notify (gpointer data)
{
  ((Seen *) data)->notified++;
}

/* A child that exits with @code after @delay_ms, or waits for a signal if
 * @code is negative. It execs a shell, so that its exit status is its own
 * even under valgrind (which would check the forked copy of this program
 * for leaks at exit). */
static GPid
spawn_child (int code,
             int delay_ms)
{
  char script[64];
  pid_t pid;

  if (code < 0)
    g_snprintf (script, sizeof script, "exec sleep 1000");
  else
    g_snprintf (script, sizeof script, "exit %d", code);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (delay_ms > 0)
        usleep (delay_ms * 1000);
      execl ("/bin/sh", "sh", "-c", script, (char *) NULL);
      _exit (127);
    }
  return pid;
}

/* Blocks until @pid has exited, without reaping it. */
static void
wait_until_zombie (GPid pid)
{
  siginfo_t info;

  while (waitid (P_PID, pid, &info, WEXITED | WNOWAIT) != 0)
    g_assert_cmpint (errno, ==, EINTR);
}

static guint
add_seen (IoTest *t, GPid pid, Seen *seen)
{
  GError *error = NULL;
  guint id = io_loop_add_child_watch (t->loop, pid, seen_exit, seen, seen_notify, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

static gboolean
sigchld_is_default (void)
{
  struct sigaction now;

  sigaction (SIGCHLD, NULL, &now);
  return now.sa_handler == SIG_DFL;
}

/* ---- reports ------------------------------------------------------------- */

static void
test_exit_status_reported_once_on_loop_thread (IoTest *t)
{
  Seen seen = { t->loop };
  GPid pid = spawn_child (7, 50);

  add_seen (t, pid, &seen);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.pid, ==, pid);
  g_assert_true (WIFEXITED (seen.status));
  g_assert_cmpint (WEXITSTATUS (seen.status), ==, 7);
  g_assert_true (seen.thread == g_thread_self ());
  g_assert_cmpint (seen.notified, ==, 1);
  /* Reaped by the loop. */
  g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);

  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
}

static void
test_killed_child_reports_signal (IoTest *t)
{
  Seen seen = { t->loop };
  GPid pid = spawn_child (-1, 0);

  add_seen (t, pid, &seen);
  kill (pid, SIGKILL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_true (WIFSIGNALED (seen.status));
  g_assert_cmpint (WTERMSIG (seen.status), ==, SIGKILL);
}

static void
test_child_exited_before_watch_is_reported (IoTest *t)
{
  Seen seen = { t->loop };
  GPid pid = spawn_child (3, 0);

  wait_until_zombie (pid);
  add_seen (t, pid, &seen);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (WEXITSTATUS (seen.status), ==, 3);
}

typedef struct
{
  IoLoop *loop;
  gint    remaining;
  gint    codes[8];
  GPid    pids[8];
} Many;

static void
many_exit (GPid pid, int wait_status, gpointer data, GError **error)
{
  Many *many = data;

  for (int i = 0; i < 8; i++)
    if (many->pids[i] == pid)
      {
        g_assert_cmpint (many->codes[i], ==, -1);
        many->codes[i] = WEXITSTATUS (wait_status);
      }
  if (--many->remaining == 0)
    io_loop_stop (many->loop);
}

static void
test_several_children_are_each_reported (IoTest *t)
{
  Many many = { t->loop, 8 };
  GError *error = NULL;

  for (int i = 0; i < 8; i++)
    {
      many.codes[i] = -1;
      many.pids[i] = spawn_child (10 + i, 10 * (8 - i));
      g_assert_cmpuint (io_loop_add_child_watch (t->loop, many.pids[i], many_exit, &many,
                                                 NULL, &error), >, 0);
      g_assert_no_error (error);
    }
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  for (int i = 0; i < 8; i++)
    g_assert_cmpint (many.codes[i], ==, 10 + i);
}

/* ---- removal -------------------------------------------------------------- */

static void
test_removed_watch_is_not_called_and_child_not_reaped (IoTest *t)
{
  Seen seen = { 0 };
  GPid pid = spawn_child (5, 0);
  int status;
  guint id;

  id = add_seen (t, pid, &seen);
  g_assert_true (io_loop_remove_child_watch (t->loop, id));
  g_assert_cmpint (seen.notified, ==, 1);
  g_assert_false (io_loop_remove_child_watch (t->loop, id));

  wait_until_zombie (pid);
  for (int i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
  g_assert_cmpint (seen.notified, ==, 1);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_cmpint (WEXITSTATUS (status), ==, 5);
}

static void
test_closing_loop_drops_watches_with_notify (IoTest *t)
{
  Seen seen = { 0 };
  GPid pid = spawn_child (-1, 0);
  int status;

  add_seen (t, pid, &seen);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (seen.notified, ==, 1);
  g_assert_cmpint (seen.calls, ==, 0);
  g_assert_true (sigchld_is_default ());

  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
}

static void
test_notify_runs_once_at_finalize (IoTest *t)
{
  Seen seen = { 0 };
  GPid pid = spawn_child (-1, 0);

  add_seen (t, pid, &seen);
  g_clear_object (&t->loop);
  g_assert_cmpint (seen.notified, ==, 1);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
test_sigchld_disposition_is_left_as_it_was (IoTest *t)
{
  Seen seen = { t->loop };
  GPid pid = spawn_child (0, 20);

  g_assert_true (sigchld_is_default ());
  add_seen (t, pid, &seen);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_true (sigchld_is_default ());
}

/* ---- errors ------------------------------------------------------------- */

static void
count_exception (IoLoop *loop, GError *error, gpointer data)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  (*(gint *) data)++;
  g_signal_stop_emission_by_name (loop, "callback-exception");
}

static void
test_failing_function_is_reported (IoTest *t)
{
  Seen seen = { t->loop };
  GPid pid = spawn_child (0, 0);
  gint reported = 0;

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (count_exception), &reported);
  seen.fail = TRUE;
  add_seen (t, pid, &seen);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.notified, ==, 1);
  g_assert_cmpint (reported, ==, 1);
}

static void
test_not_a_child_fails_with_invalid_argument (IoTest *t)
{
  const GPid bad[] = { 0, -1, 1, getpid () };
  Seen seen = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GError *error = NULL;

      g_assert_cmpuint (io_loop_add_child_watch (t->loop, bad[i], seen_exit, &seen,
                                                 seen_notify, &error), ==, 0);
      io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpint (seen.notified, ==, 0);
}

static void
test_second_watch_for_pid_fails_with_exists (IoTest *t)
{
  Seen seen = { t->loop }, second = { 0 };
  GPid pid = spawn_child (0, 20);
  GError *error = NULL;

  add_seen (t, pid, &seen);
  g_assert_cmpuint (io_loop_add_child_watch (t->loop, pid, seen_exit, &second,
                                             seen_notify, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (second.notified, ==, 0);
}

static void
test_closed_loop_fails_with_closed (IoTest *t)
{
  Seen seen = { 0 };
  GPid pid = spawn_child (0, 0);
  GError *error = NULL;

  io_loop_close (t->loop, FALSE);
  g_assert_cmpuint (io_loop_add_child_watch (t->loop, pid, seen_exit, &seen,
                                             seen_notify, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_cmpint (seen.notified, ==, 0);
  waitpid (pid, NULL, 0);
}

/* ---- registration: every test in both modes ------------------------------ */

typedef struct
{
  const char *path;
  IoTestFunc  func;
} Case;

static const Case cases[] = {
  { "/exit-status-reported-once-on-loop-thread", test_exit_status_reported_once_on_loop_thread },
  { "/killed-child-reports-signal", test_killed_child_reports_signal },
  { "/child-exited-before-watch-is-reported", test_child_exited_before_watch_is_reported },
  { "/several-children-are-each-reported", test_several_children_are_each_reported },
  { "/removed-watch-is-not-called-and-child-not-reaped", test_removed_watch_is_not_called_and_child_not_reaped },
  { "/closing-loop-drops-watches-with-notify", test_closing_loop_drops_watches_with_notify },
  { "/notify-runs-once-at-finalize", test_notify_runs_once_at_finalize },
  { "/sigchld-disposition-is-restored-afterwards", test_sigchld_disposition_is_left_as_it_was },
  { "/failing-function-is-reported", test_failing_function_is_reported },
  { "/not-a-child-fails-with-invalid-argument", test_not_a_child_fails_with_invalid_argument },
  { "/second-watch-for-pid-fails-with-exists", test_second_watch_for_pid_fails_with_exists },
  { "/closed-loop-fails-with-closed", test_closed_loop_fails_with_closed },
};

static const Case *
find_case (IoTest *t, const char *mode)
{
  const char *path = g_test_get_path ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (g_str_has_suffix (path, cases[i].path) && strstr (path, mode) != NULL)
      return &cases[i];
  g_assert_not_reached ();
}

static void
run_with_pidfd (IoTest *t)
{
#ifdef SYS_pidfd_open
  int fd = (int) syscall (SYS_pidfd_open, getpid (), 0);

  if (fd < 0)
    {
      io_test_skip ("pidfd_open() is not available here");
      return;
    }
  close (fd);
  unsetenv ("IOLOOP_NO_PIDFD");
  find_case (t, "/pidfd/")->func (t);
#else
  io_test_skip ("built without pidfd_open()");
#endif
}

static void
run_with_sigchld (IoTest *t)
{
  /* libc's: GLib's complains once threads exist (none reads it now). */
  setenv ("IOLOOP_NO_PIDFD", "1", 1);
  find_case (t, "/sigchld/")->func (t);
  unsetenv ("IOLOOP_NO_PIDFD");
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *pidfd = g_strconcat ("/child-watch/pidfd", cases[i].path, NULL);
      char *sigchld = g_strconcat ("/child-watch/sigchld", cases[i].path, NULL);

      io_test_add (pidfd, run_with_pidfd);
      io_test_add (sigchld, run_with_sigchld);
      g_free (pidfd);
      g_free (sigchld);
    }

  return io_test_run ();
}
