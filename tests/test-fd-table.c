/* test-fd-table.c: the loop's fd-indexed handler table (internal: reads
 * the table's size from ioloop/io-loop-private.h)
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The table grows to the highest fd that has a handler. An fd that is
 * refused must not make it grow: not a number that is not open, however
 * large, nor one that the backend cannot watch.
 */
#include "config.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "io-test-util.h"
#include "ioloop/io-loop-private.h"

static void
handler_cb (int fd, IoEvents events, gpointer data, GError **error)
{
}

static int
n_slots (IoTest *t)
{
  return _io_loop_get_private (t->loop)->n_fds;
}

static void
assert_refused (IoTest *t, int fd, gint code)
{
  GError *error = NULL;
  gint notified = 0;

  g_assert_false (io_loop_add_handler (t->loop, fd, IO_EVENTS_READ, handler_cb, &notified,
                                       io_test_count_notify, &error));
  io_test_assert_error (error, code);
  g_assert_cmpint (notified, ==, 0);
  g_assert_false (io_loop_has_handler (t->loop, fd));
  g_assert_false (io_loop_update_handler (t->loop, fd, IO_EVENTS_WRITE, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
  g_assert_false (io_loop_remove_handler (t->loop, fd, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
}

static void
test_unopened_huge_fds_fail_with_bad_fd_and_grow_nothing (IoTest *t)
{
  static const int numbers[] = { G_MAXINT, G_MAXINT - 1, 1 << 30, 1 << 26, (1 << 26) + 1 };
  int before = n_slots (t);

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_assert_false (io_test_fd_is_open (numbers[i]));
      assert_refused (t, numbers[i], IO_LOOP_ERROR_BAD_FD);
      g_assert_cmpint (n_slots (t), ==, before);
    }
  /* The loop still works. */
  io_test_iterate (t);
}

static void
test_closed_fd_above_table_fails_with_bad_fd_and_grows_nothing (IoTest *t)
{
  int before = n_slots (t);
  int fds[2];

  io_test_socketpair (fds);
  close (fds[0]);
  close (fds[1]);
  /* Not open, and above the table but within what the process may open. */
  if (before + 10 < 1024)
    assert_refused (t, before + 10, IO_LOOP_ERROR_BAD_FD);
  assert_refused (t, fds[0], IO_LOOP_ERROR_BAD_FD);
  g_assert_cmpint (n_slots (t), ==, before);
}

/* Raises the soft fd limit above @fd; FALSE if the hard limit forbids it. */
static gboolean
allow_fd (int fd)
{
  struct rlimit rl;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  if (rl.rlim_cur > (rlim_t) fd)
    return TRUE;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t) fd)
    return FALSE;
  rl.rlim_cur = fd + 64;
  return setrlimit (RLIMIT_NOFILE, &rl) == 0;
}

#define HIGH_FD 1100
G_STATIC_ASSERT (HIGH_FD > FD_SETSIZE);

static void
test_open_high_fd_grows_table_within_fd_limit (IoTest *t)
{
  GError *error = NULL;
  struct rlimit rl;
  int fds[2];

  if (!allow_fd (HIGH_FD))
    {
      io_test_skip ("RLIMIT_NOFILE hard limit is below " G_STRINGIFY (HIGH_FD));
      return;
    }
  io_test_socketpair (fds);
  g_assert_cmpint (dup2 (fds[0], HIGH_FD), ==, HIGH_FD);

  if (g_strcmp0 (t->backend, "select") == 0)
    {
      /* Refused by the backend: the table must not grow for it either. */
      int before = n_slots (t);

      assert_refused (t, HIGH_FD, IO_LOOP_ERROR_UNSUPPORTED_FD);
      g_assert_cmpint (n_slots (t), ==, before);
    }
  else
    {
      g_assert_true (io_loop_add_handler (t->loop, HIGH_FD, IO_EVENTS_READ, handler_cb, NULL,
                                          NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (n_slots (t), >, HIGH_FD);
      /* Doubling stops at the number of fds the process may open. */
      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
      g_assert_cmpint (n_slots (t), <=, MAX ((rlim_t) HIGH_FD + 1, rl.rlim_cur));
      g_assert_true (io_loop_remove_handler (t->loop, HIGH_FD, &error));
      g_assert_no_error (error);
    }
  close (HIGH_FD);
  close (fds[0]);
  close (fds[1]);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/fd-table/unopened-huge-fds-fail-with-bad-fd-and-grow-nothing",
               test_unopened_huge_fds_fail_with_bad_fd_and_grow_nothing);
  io_test_add ("/fd-table/closed-fd-above-table-fails-with-bad-fd-and-grows-nothing",
               test_closed_fd_above_table_fails_with_bad_fd_and_grows_nothing);
  io_test_add ("/fd-table/open-high-fd-grows-table-within-fd-limit",
               test_open_high_fd_grows_table_within_fd_limit);

  return io_test_run ();
}
