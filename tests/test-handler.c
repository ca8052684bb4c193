/* test-handler.c: file-descriptor handlers
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "io-test-util.h"

/* What a handler saw. */
typedef struct
{
  IoLoop   *loop;
  int       fd;
  gint      calls;
  IoEvents  last;
  IoEvents  all;
  gboolean  drain;        /* read what is there when called */
  gboolean  remove_self;
  gint      notified;
} Seen;

static void
seen_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Seen *seen = data;
  GError *local = NULL;

  g_assert_cmpint (fd, ==, seen->fd);
  seen->calls++;
  seen->last = events;
  seen->all |= events;
  if (seen->drain)
    io_test_drain (fd);
  if (seen->remove_self)
    {
      g_assert_true (io_loop_remove_handler (seen->loop, fd, &local));
      g_assert_no_error (local);
      /* Removed while running: the notify waits until we return. */
      g_assert_cmpint (seen->notified, ==, 0);
    }
}

static void
seen_notify (gpointer data)
{
  ((Seen *) data)->notified++;
}

static void
add_seen_notify (IoTest *t, Seen *seen, int fd, IoEvents events)
{
  GError *error = NULL;

  seen->loop = t->loop;
  seen->fd = fd;
  g_assert_true (io_loop_add_handler (t->loop, fd, events, seen_handler, seen,
                                      seen_notify, &error));
  g_assert_no_error (error);
}

static void
close_pair (int fds[2])
{
  close (fds[0]);
  close (fds[1]);
}

/* ---- readiness --------------------------------------------------------- */

static void
test_read_reported_when_data_arrives (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  g_assert_true (io_loop_has_handler (t->loop, fds[0]));

  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);

  io_test_write_byte (fds[1]);
  seen.drain = TRUE;
  g_assert_true (io_test_iterate (t));
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_READ);

  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (seen.notified, ==, 1);
  close_pair (fds);
}

static void
test_write_reported_on_writable_socket (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_WRITE);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_WRITE);
  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_readable_fd_reported_again_until_read (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  io_test_write_byte (fds[1]);

  for (int i = 1; i <= 3; i++)
    {
      io_test_iterate (t);
      g_assert_cmpint (seen.calls, ==, i);
    }

  seen.drain = TRUE;
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 4);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 4);

  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_events_limited_to_requested_plus_error (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  /* Readable and writable; only READ asked for. */
  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 2);
  g_assert_cmpint (seen.all, ==, IO_EVENTS_READ);
  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_read_and_write_reported_together (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ | IO_EVENTS_WRITE);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);   /* one call, both conditions */
  g_assert_cmpint (seen.last, ==, IO_EVENTS_READ | IO_EVENTS_WRITE);
  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_update_handler_changes_events (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);        /* writable, but not asked */

  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_WRITE, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_WRITE);

  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_NONE, &error));
  g_assert_no_error (error);
  io_test_write_byte (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);        /* nothing asked, no error */

  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_READ, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 2);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_READ);

  /* Updating changes events only: the handler and its notify stay. */
  g_assert_cmpint (seen.notified, ==, 0);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (seen.notified, ==, 1);
  close_pair (fds);
}

static void
test_update_twice_before_poll_uses_last_events (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  /* Batched changes must not lose or reorder updates. */
  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_WRITE);
  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_READ, &error));
  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_NONE, &error));
  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_WRITE, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_WRITE);
  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_error_reported_when_peer_closes (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  close (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last & (IO_EVENTS_READ | IO_EVENTS_ERROR), !=, 0);
  g_assert_cmpint (seen.last & IO_EVENTS_WRITE, ==, 0);
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
}

/* select() has no way to report a hang-up on an fd in none of its sets. */
static void
test_error_reported_without_asking (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_NONE);
  io_test_write_byte (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);        /* readable is not an error */

  close (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last & IO_EVENTS_ERROR, !=, 0);
  g_assert_cmpint (seen.last & ~IO_EVENTS_ERROR, ==, 0);
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
}

static void
test_only_registered_fds_among_many_are_reported (IoTest *t)
{
  enum { N = 200 };
  GError *error = NULL;
  Seen *seen = g_new0 (Seen, N);
  struct { int fd[2]; } *pairs = g_malloc_n (N, sizeof *pairs);

  for (int i = 0; i < N; i++)
    {
      io_test_socketpair (pairs[i].fd);
      io_test_write_byte (pairs[i].fd[1]);
      add_seen_notify (t, &seen[i], pairs[i].fd[0], IO_EVENTS_READ);
    }
  for (int i = 1; i < N; i += 2)
    {
      g_assert_true (io_loop_remove_handler (t->loop, pairs[i].fd[0], &error));
      g_assert_no_error (error);
      g_assert_cmpint (seen[i].notified, ==, 1);
    }
  /* A backend may report a bounded number of fds per poll (and grow its
   * array): the rest come in the next polls, being still readable. */
  for (int round = 0; round < 10; round++)
    {
      gboolean all = TRUE;

      io_test_iterate (t);
      for (int i = 0; i < N; i += 2)
        all &= seen[i].calls > 0;
      if (all)
        break;
    }
  for (int i = 0; i < N; i++)
    {
      if (i % 2 == 0)
        g_assert_cmpint (seen[i].calls, >, 0);
      else
        g_assert_cmpint (seen[i].calls, ==, 0);
    }

  io_loop_close (t->loop, FALSE);
  for (int i = 0; i < N; i++)
    {
      g_assert_cmpint (seen[i].notified, ==, 1);
      close_pair (pairs[i].fd);
    }
  g_free (seen);
  g_free (pairs);
}

/* ---- removal ----------------------------------------------------------- */

static void
test_removed_handler_gets_no_events (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ | IO_EVENTS_WRITE);
  io_test_write_byte (fds[1]);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  g_assert_false (io_loop_has_handler (t->loop, fds[0]));
  g_assert_cmpint (seen.notified, ==, 1);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
  g_assert_cmpint (seen.notified, ==, 1);
  close_pair (fds);
}

static void
test_handler_removing_itself_is_not_called_again (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);            /* stays readable */
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  seen.remove_self = TRUE;
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.notified, ==, 1);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_false (io_loop_has_handler (t->loop, fds[0]));
  close_pair (fds);
}

/* Two readable fds whose handlers each remove the other one: whichever
 * runs first, the other is never called with the events it had pending. */
typedef struct
{
  IoLoop *loop;
  int     fd[2];
  gint    calls[2];
  gint    notified[2];
} Pair;

static void
pair_notify0 (gpointer data) { ((Pair *) data)->notified[0]++; }
static void
pair_notify1 (gpointer data) { ((Pair *) data)->notified[1]++; }

static void
remove_other_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Pair *p = data;
  int me = fd == p->fd[0] ? 0 : 1;
  int other = 1 - me;

  p->calls[me]++;
  if (io_loop_has_handler (p->loop, p->fd[other]))
    {
      GError *local = NULL;

      g_assert_true (io_loop_remove_handler (p->loop, p->fd[other], &local));
      g_assert_no_error (local);
      /* Not running: its notify runs at once. */
      g_assert_cmpint (p->notified[other], ==, 1);
    }
}

static void
test_handler_removed_by_another_with_pending_events_is_never_called (IoTest *t)
{
  GError *error = NULL;
  Pair p = { t->loop };
  int a[2], b[2];

  io_test_socketpair (a);
  io_test_socketpair (b);
  p.fd[0] = a[0];
  p.fd[1] = b[0];
  io_test_write_byte (a[1]);
  io_test_write_byte (b[1]);
  g_assert_true (io_loop_add_handler (t->loop, a[0], IO_EVENTS_READ, remove_other_handler,
                                      &p, pair_notify0, &error));
  g_assert_true (io_loop_add_handler (t->loop, b[0], IO_EVENTS_READ, remove_other_handler,
                                      &p, pair_notify1, &error));
  g_assert_no_error (error);

  for (int i = 0; i < 3; i++)
    io_test_iterate (t);

  /* Exactly one ran (three times: still readable), the other never. */
  g_assert_cmpint (MIN (p.calls[0], p.calls[1]), ==, 0);
  g_assert_cmpint (MAX (p.calls[0], p.calls[1]), ==, 3);
  g_assert_cmpint (p.notified[0] + p.notified[1], ==, 1);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (p.notified[0], ==, 1);
  g_assert_cmpint (p.notified[1], ==, 1);
  close_pair (a);
  close_pair (b);
}

/* Two readable fds; whichever handler runs first removes the other's
 * handler and registers a fresh one for the other fd number: after
 * @reopen, that number is a new, empty socket (closed and dup2()ed over
 * within the iteration). The fresh handler must get nothing from the poll
 * that returned before it existed. */
typedef struct
{
  IoLoop   *loop;
  gboolean  reopen;
  int       fd[2];
  int       peer[2];
  gint      old_calls[2];
  gint      fresh_calls;
  gint      swapped;       /* 1 + index of the fd that was swapped */
  gint      iteration;
  gint      swap_iteration;
  gint      fresh_iterations_called[8];
} Swap;

static void
fresh_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Swap *s = data;

  g_assert_cmpint (fd, ==, s->fd[s->swapped - 1]);
  s->fresh_calls++;
  s->fresh_iterations_called[s->iteration]++;
}

static void
swap_other_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Swap *s = data;
  int me = fd == s->fd[0] ? 0 : 1;
  int other = 1 - me;
  GError *local = NULL;

  s->old_calls[me]++;
  if (s->swapped)
    return;

  g_assert_true (io_loop_remove_handler (s->loop, s->fd[other], &local));
  g_assert_no_error (local);
  if (s->reopen)
    {
      int fresh[2];

      /* Same fd number, new socket with nothing to read. */
      io_test_socketpair (fresh);
      close (s->fd[other]);
      close (s->peer[other]);
      g_assert_cmpint (dup2 (fresh[0], s->fd[other]), ==, s->fd[other]);
      close (fresh[0]);
      s->peer[other] = fresh[1];
    }
  g_assert_true (io_loop_add_handler (s->loop, s->fd[other], IO_EVENTS_READ, fresh_handler,
                                      s, NULL, &local));
  g_assert_no_error (local);
  s->swapped = other + 1;
  s->swap_iteration = s->iteration;
}

static void
run_swap (IoTest *t, gboolean reopen)
{
  GError *error = NULL;
  Swap s = { t->loop, reopen };
  int a[2], b[2];

  io_test_socketpair (a);
  io_test_socketpair (b);
  s.fd[0] = a[0];
  s.fd[1] = b[0];
  s.peer[0] = a[1];
  s.peer[1] = b[1];
  io_test_write_byte (a[1]);
  io_test_write_byte (b[1]);
  g_assert_true (io_loop_add_handler (t->loop, a[0], IO_EVENTS_READ, swap_other_handler,
                                      &s, NULL, &error));
  g_assert_true (io_loop_add_handler (t->loop, b[0], IO_EVENTS_READ, swap_other_handler,
                                      &s, NULL, &error));
  g_assert_no_error (error);

  s.iteration = 0;
  io_test_iterate (t);
  g_assert_cmpint (s.swapped, !=, 0);
  g_assert_cmpint (s.old_calls[s.swapped - 1], ==, 0);   /* removed before its turn */
  g_assert_cmpint (s.fresh_iterations_called[0], ==, 0);  /* no stale events */

  s.iteration = 1;
  io_test_iterate (t);
  s.iteration = 2;
  io_test_iterate (t);
  if (reopen)
    {
      /* The new socket is empty: never readable until written to. */
      g_assert_cmpint (s.fresh_calls, ==, 0);
      io_test_write_byte (s.peer[s.swapped - 1]);
      s.iteration = 3;
      io_test_iterate (t);
      g_assert_cmpint (s.fresh_iterations_called[3], ==, 1);
    }
  else
    {
      /* The same socket, still readable: reported from the next poll on. */
      g_assert_cmpint (s.fresh_iterations_called[1], ==, 1);
      g_assert_cmpint (s.fresh_iterations_called[2], ==, 1);
    }
  g_assert_cmpint (s.old_calls[s.swapped - 1], ==, 0);

  io_loop_close (t->loop, FALSE);
  for (int i = 0; i < 2; i++)
    {
      close (s.fd[i]);
      close (s.peer[i]);
    }
}

static void
test_handler_readded_during_iteration_gets_no_events_from_earlier_poll (IoTest *t)
{
  run_swap (t, FALSE);
}

static void
test_fd_closed_and_reregistered_in_one_iteration_gets_no_stale_events (IoTest *t)
{
  run_swap (t, TRUE);
}

static void
test_remove_after_fd_closed_succeeds (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  io_test_iterate (t);                  /* registered with the kernel */
  close (fds[0]);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  g_assert_cmpint (seen.notified, ==, 1);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
  close (fds[1]);
}

/* epoll keys its set by (fd, file): if the kernel heard of a removal
 * only at the next poll, by number, after the caller closed or dup2()'d
 * that number, the old file would stay registered while a dup keeps it
 * alive, and its readiness would come back under the number. */
static void
test_removed_fd_whose_file_lives_on_reports_nothing_under_its_number (IoTest *t)
{
  GError *error = NULL;
  Seen old = { 0 }, fresh = { 0 };
  struct pollfd pfd = { 0 };
  int fds[2], other[2];

  io_test_socketpair (fds);
  io_test_socketpair (other);
  add_seen_notify (t, &old, fds[0], IO_EVENTS_READ);
  io_test_iterate (t);                  /* registered with the kernel */
  pfd.fd = dup (fds[0]);
  g_assert_cmpint (pfd.fd, >=, 0);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  /* The number now names another, idle socket, watched anew. */
  g_assert_cmpint (dup2 (other[0], fds[0]), ==, fds[0]);
  add_seen_notify (t, &fresh, fds[0], IO_EVENTS_READ);

  io_test_write_byte (fds[1]);          /* the old file becomes readable */
  pfd.events = POLLIN;
  g_assert_cmpint (poll (&pfd, 1, 0), ==, 1);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (old.calls, ==, 0);
  g_assert_cmpint (fresh.calls, ==, 0);

  io_test_write_byte (other[1]);        /* the new file still works */
  io_test_iterate (t);
  g_assert_cmpint (fresh.calls, ==, 1);
  g_assert_cmpint (fresh.last, ==, IO_EVENTS_READ);

  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  close (pfd.fd);
  close_pair (fds);
  close_pair (other);
}

/* ---- bad input --------------------------------------------------------- */

static void
test_negative_fd_fails_with_invalid_argument (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };

  g_assert_false (io_loop_add_handler (t->loop, -1, IO_EVENTS_READ, seen_handler, &seen,
                                       seen_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (seen.notified, ==, 0);     /* nothing was taken */
  g_assert_false (io_loop_has_handler (t->loop, -1));
}

static int
closed_fd_number (void)
{
  int fd = dup (0 /* any open fd */);

  if (fd < 0)
    fd = dup (2);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  return fd;
}

static void
test_closed_fd_fails_with_bad_fd (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fd = closed_fd_number ();

  g_assert_false (io_loop_add_handler (t->loop, fd, IO_EVENTS_READ, seen_handler, &seen,
                                       seen_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_BAD_FD);
  g_assert_cmpint (seen.notified, ==, 0);
  g_assert_false (io_loop_has_handler (t->loop, fd));
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
}

static void
test_second_handler_for_fd_fails_with_exists (IoTest *t)
{
  GError *error = NULL;
  Seen first = { 0 }, second = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_seen_notify (t, &first, fds[0], IO_EVENTS_READ);
  g_assert_false (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_WRITE, seen_handler, &second,
                                       seen_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
  g_assert_cmpint (second.notified, ==, 0);

  /* The first handler is untouched: same events, same data. */
  io_test_iterate (t);
  g_assert_cmpint (first.calls, ==, 0);        /* writable, but READ only */
  io_test_write_byte (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (first.calls, ==, 1);
  g_assert_cmpint (second.calls, ==, 0);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (first.notified, ==, 1);
  g_assert_cmpint (second.notified, ==, 0);
  close_pair (fds);
}

static void
test_update_unknown_fd_fails_with_not_found (IoTest *t)
{
  GError *error = NULL;
  int fds[2];

  io_test_socketpair (fds);
  g_assert_false (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_READ, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
  g_assert_false (io_loop_update_handler (t->loop, 100000, IO_EVENTS_READ, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
  close_pair (fds);
}

static void
test_remove_unknown_fd_fails_with_not_found (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  g_assert_false (io_loop_remove_handler (t->loop, fds[0], &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
  g_assert_false (io_loop_remove_handler (t->loop, 100000, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);

  /* Removing twice: the second one finds nothing, the notify ran once. */
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  g_assert_false (io_loop_remove_handler (t->loop, fds[0], &error));
  io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
  g_assert_cmpint (seen.notified, ==, 1);
  close_pair (fds);
}

static void
test_unknown_event_bits_fail_with_invalid_argument (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  g_assert_false (io_loop_add_handler (t->loop, fds[0], 0x100, seen_handler, &seen,
                                       seen_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (seen.notified, ==, 0);
  g_assert_false (io_loop_has_handler (t->loop, fds[0]));

  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  g_assert_false (io_loop_update_handler (t->loop, fds[0], 0x100 | IO_EVENTS_READ, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
  io_loop_close (t->loop, FALSE);
  close_pair (fds);
}

static void
test_null_func_is_a_programmer_error (IoTest *t)
{
  GError *error = NULL;
  int fds[2];

  io_test_socketpair (fds);
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_add_handler*assertion*");
  g_assert_false (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, NULL, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_false (io_loop_has_handler (t->loop, fds[0]));

  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_add_handler*assertion*");
  g_assert_false (io_loop_add_handler (NULL, fds[0], IO_EVENTS_READ, seen_handler, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  close_pair (fds);
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
test_select_refuses_fd_at_or_above_fd_setsize (IoTest *t)
{
  static const int numbers[] = { FD_SETSIZE, HIGH_FD };
  GError *error = NULL;
  int fds[2];

  if (!allow_fd (HIGH_FD))
    {
      io_test_skip ("RLIMIT_NOFILE hard limit is below " G_STRINGIFY (HIGH_FD));
      return;
    }
  io_test_socketpair (fds);
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      Seen seen = { 0 };
      int high = numbers[i];

      g_assert_cmpint (dup2 (fds[0], high), ==, high);
      g_assert_false (io_loop_add_handler (t->loop, high, IO_EVENTS_READ, seen_handler, &seen,
                                           seen_notify, &error));
      io_test_assert_error (error, IO_LOOP_ERROR_UNSUPPORTED_FD);
      g_assert_cmpint (seen.notified, ==, 0);
      g_assert_false (io_loop_has_handler (t->loop, high));
      g_assert_false (io_loop_update_handler (t->loop, high, IO_EVENTS_READ, &error));
      io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);

      io_test_write_byte (fds[1]);
      io_test_iterate (t);                  /* nothing out of bounds */
      g_assert_cmpint (seen.calls, ==, 0);
      io_test_drain (fds[0]);
      close (high);
    }

  /* The loop still works for ordinary fds. */
  {
    Seen seen = { 0 };

    add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
    io_test_write_byte (fds[1]);
    io_test_iterate (t);
    g_assert_cmpint (seen.calls, ==, 1);
    io_loop_close (t->loop, FALSE);
  }
  close_pair (fds);
}

static void
test_fd_above_fd_setsize_is_watched (IoTest *t)
{
  Seen seen = { 0 };
  int fds[2];

  if (!allow_fd (HIGH_FD))
    {
      io_test_skip ("RLIMIT_NOFILE hard limit is below " G_STRINGIFY (HIGH_FD));
      return;
    }
  io_test_socketpair (fds);
  g_assert_cmpint (dup2 (fds[0], HIGH_FD), ==, HIGH_FD);
  add_seen_notify (t, &seen, HIGH_FD, IO_EVENTS_READ);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
  io_test_write_byte (fds[1]);
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 1);
  g_assert_cmpint (seen.last, ==, IO_EVENTS_READ);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (seen.notified, ==, 1);
  close (HIGH_FD);
  close_pair (fds);
}

static int
open_regular_file (char **path)
{
  GError *error = NULL;
  int fd = g_file_open_tmp ("ioloop-test-XXXXXX", path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "data", 4), ==, 4);
  g_assert_cmpint (lseek (fd, 0, SEEK_SET), ==, 0);
  return fd;
}

/* Such files are always ready, which a level-triggered loop would report
 * forever: every backend refuses them, as epoll must. */
static void
assert_unsupported (IoTest *t, int fd)
{
  GError *error = NULL;
  Seen seen = { 0 };

  g_assert_false (io_loop_add_handler (t->loop, fd, IO_EVENTS_READ, seen_handler, &seen,
                                       seen_notify, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_UNSUPPORTED_FD);
  g_assert_cmpint (seen.notified, ==, 0);
  g_assert_false (io_loop_has_handler (t->loop, fd));
  io_test_iterate (t);
  g_assert_cmpint (seen.calls, ==, 0);
}

static void
test_regular_file_fails_with_unsupported_fd (IoTest *t)
{
  char *path;
  int fd = open_regular_file (&path);

  assert_unsupported (t, fd);
  close (fd);
  g_unlink (path);
  g_free (path);
}

static void
test_directory_fails_with_unsupported_fd (IoTest *t)
{
  int fd = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  assert_unsupported (t, fd);
  close (fd);
}

/* A regular file that takes the number of a watched socket, behind the
 * loop's back, is refused on the next add too. */
static void
test_regular_file_reusing_removed_fd_fails_with_unsupported_fd (IoTest *t)
{
  GError *error = NULL;
  Seen seen = { 0 };
  char *path;
  int fds[2], file;

  io_test_socketpair (fds);
  add_seen_notify (t, &seen, fds[0], IO_EVENTS_READ);
  io_test_iterate (t);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  file = open_regular_file (&path);
  g_assert_cmpint (dup2 (file, fds[0]), ==, fds[0]);
  close (file);
  assert_unsupported (t, fds[0]);
  close_pair (fds);
  g_unlink (path);
  g_free (path);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/handler/read-reported-when-data-arrives", test_read_reported_when_data_arrives);
  io_test_add ("/handler/write-reported-on-writable-socket", test_write_reported_on_writable_socket);
  io_test_add ("/handler/readable-fd-reported-again-until-read", test_readable_fd_reported_again_until_read);
  io_test_add ("/handler/events-limited-to-requested-plus-error", test_events_limited_to_requested_plus_error);
  io_test_add ("/handler/read-and-write-reported-together", test_read_and_write_reported_together);
  io_test_add ("/handler/update-handler-changes-events", test_update_handler_changes_events);
  io_test_add ("/handler/update-twice-before-poll-uses-last-events", test_update_twice_before_poll_uses_last_events);
  io_test_add ("/handler/error-reported-when-peer-closes", test_error_reported_when_peer_closes);
  io_test_add_except ("select", "/handler/error-reported-without-asking", test_error_reported_without_asking);
  io_test_add ("/handler/only-registered-fds-among-many-are-reported", test_only_registered_fds_among_many_are_reported);

  io_test_add ("/handler/removed-handler-gets-no-events", test_removed_handler_gets_no_events);
  io_test_add ("/handler/handler-removing-itself-is-not-called-again", test_handler_removing_itself_is_not_called_again);
  io_test_add ("/handler/handler-removed-by-another-with-pending-events-is-never-called",
               test_handler_removed_by_another_with_pending_events_is_never_called);
  io_test_add ("/handler/handler-readded-during-iteration-gets-no-events-from-earlier-poll",
               test_handler_readded_during_iteration_gets_no_events_from_earlier_poll);
  io_test_add ("/handler/fd-closed-and-reregistered-in-one-iteration-gets-no-stale-events",
               test_fd_closed_and_reregistered_in_one_iteration_gets_no_stale_events);
  io_test_add ("/handler/remove-after-fd-closed-succeeds", test_remove_after_fd_closed_succeeds);
  io_test_add ("/handler/removed-fd-whose-file-lives-on-reports-nothing-under-its-number",
               test_removed_fd_whose_file_lives_on_reports_nothing_under_its_number);

  io_test_add ("/handler/negative-fd-fails-with-invalid-argument", test_negative_fd_fails_with_invalid_argument);
  io_test_add ("/handler/closed-fd-fails-with-bad-fd", test_closed_fd_fails_with_bad_fd);
  io_test_add ("/handler/second-handler-for-fd-fails-with-exists", test_second_handler_for_fd_fails_with_exists);
  io_test_add ("/handler/update-unknown-fd-fails-with-not-found", test_update_unknown_fd_fails_with_not_found);
  io_test_add ("/handler/remove-unknown-fd-fails-with-not-found", test_remove_unknown_fd_fails_with_not_found);
  io_test_add ("/handler/unknown-event-bits-fail-with-invalid-argument", test_unknown_event_bits_fail_with_invalid_argument);
  io_test_add ("/handler/null-func-is-a-programmer-error", test_null_func_is_a_programmer_error);
  io_test_add_only ("select", "/handler/select-refuses-fd-at-or-above-fd-setsize",
                    test_select_refuses_fd_at_or_above_fd_setsize);
  io_test_add_except ("select", "/handler/fd-above-fd-setsize-is-watched", test_fd_above_fd_setsize_is_watched);
  io_test_add ("/handler/regular-file-fails-with-unsupported-fd",
               test_regular_file_fails_with_unsupported_fd);
  io_test_add ("/handler/directory-fails-with-unsupported-fd",
               test_directory_fails_with_unsupported_fd);
  io_test_add ("/handler/regular-file-reusing-removed-fd-fails-with-unsupported-fd",
               test_regular_file_reusing_removed_fd_fails_with_unsupported_fd);

  return io_test_run ();
}
