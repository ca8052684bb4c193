/* test-destroy-notify.c: every GDestroyNotify runs exactly once, as soon
 * as its callback is done or the thing is removed
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "io-test-util.h"

static void
nop_cb (gpointer data, GError **error)
{
}

static void
nop_handler (int fd, IoEvents events, gpointer data, GError **error)
{
}

static IoTimeout *
add_later (IoTest *t, gdouble delay, IoCallback func, gpointer data, GDestroyNotify notify)
{
  GError *error = NULL;
  IoTimeout *timeout = io_loop_call_later (t->loop, delay, func, data, notify, &error);

  g_assert_no_error (error);
  return timeout;
}

static void
add_handler (IoTest *t, int fd, gpointer data, GDestroyNotify notify)
{
  GError *error = NULL;

  g_assert_true (io_loop_add_handler (t->loop, fd, IO_EVENTS_READ, nop_handler, data,
                                      notify, &error));
  g_assert_no_error (error);
}

/* ---- one-shots: right after the callback returns ------------------------ */

typedef struct
{
  IoTestCounts first;
  gint         first_notifies_seen_by_first;
  gint         first_notifies_seen_by_second;
} Sequence;

static void
first_cb (gpointer data, GError **error)
{
  Sequence *s = data;

  s->first.runs++;
  s->first_notifies_seen_by_first = s->first.notifies;
}

static void
first_notify (gpointer data)
{
  ((Sequence *) data)->first.notifies++;
}

static void
second_cb (gpointer data, GError **error)
{
  Sequence *s = data;

  s->first_notifies_seen_by_second = s->first.notifies;
}

static void
test_callback_notify_runs_right_after_callback_returns (IoTest *t)
{
  Sequence s = { { 0 } };

  io_loop_add_callback (t->loop, first_cb, &s, first_notify);
  io_loop_add_callback (t->loop, second_cb, &s, NULL);
  io_test_iterate (t);
  g_assert_cmpint (s.first.runs, ==, 1);
  g_assert_cmpint (s.first_notifies_seen_by_first, ==, 0);
  g_assert_cmpint (s.first_notifies_seen_by_second, ==, 1);
  g_assert_cmpint (s.first.notifies, ==, 1);
}

static void
test_timeout_notify_runs_right_after_it_fires (IoTest *t)
{
  Sequence s = { { 0 } };
  gdouble now = io_loop_time (t->loop);
  GError *error = NULL;

  io_loop_add_timeout (t->loop, now - 2, first_cb, &s, first_notify, &error);
  io_loop_add_timeout (t->loop, now - 1, second_cb, &s, NULL, &error);
  g_assert_no_error (error);
  io_test_iterate (t);
  g_assert_cmpint (s.first.runs, ==, 1);
  g_assert_cmpint (s.first_notifies_seen_by_first, ==, 0);
  g_assert_cmpint (s.first_notifies_seen_by_second, ==, 1);
  g_assert_cmpint (s.first.notifies, ==, 1);
}

static void
test_timeout_notify_runs_before_next_iterations_callbacks (IoTest *t)
{
  Sequence s = { { 0 } };

  add_later (t, 0, first_cb, &s, first_notify);
  io_test_iterate (t);
  io_loop_add_callback (t->loop, second_cb, &s, NULL);
  io_test_iterate (t);
  g_assert_cmpint (s.first_notifies_seen_by_second, ==, 1);
}

/* Data held by a callback is released before the loop goes to sleep. */
typedef struct
{
  gpointer held;           /* weak pointer to the data object */
  gboolean held_at_wakeup;
  gint     woke;
} Sleeper;

static void
check_released_cb (gpointer data, GError **error)
{
  Sleeper *s = data;

  s->held_at_wakeup = s->held != NULL;
  s->woke = 1;
}

static void
test_callback_data_is_released_before_loop_sleeps (IoTest *t)
{
  Sleeper s = { 0 };
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  GObject *object2 = g_object_new (G_TYPE_OBJECT, NULL);
  gpointer held2 = object2;

  s.held = object;
  g_object_add_weak_pointer (object, &s.held);
  g_object_add_weak_pointer (object2, &held2);
  io_loop_add_callback (t->loop, nop_cb, object, g_object_unref);
  add_later (t, 0, nop_cb, object2, g_object_unref);
  /* The loop then sleeps until this one is due. */
  add_later (t, 0.05, check_released_cb, &s, NULL);
  io_test_iterate_until (t, &s.woke, IO_TEST_LOOP_TIMEOUT);
  g_assert_false (s.held_at_wakeup);
  g_assert_null (held2);
}

/* ---- removal ------------------------------------------------------------ */

static void
test_timeout_notify_runs_once_on_removal (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 10, io_test_counts_cb, &c,
                                                  io_test_counts_notify));

  io_loop_remove_timeout (t->loop, timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  io_loop_remove_timeout (t->loop, timeout);
  io_loop_close (t->loop, FALSE);
  io_timeout_unref (timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (c.runs, ==, 0);
}

static void
test_handler_notify_runs_once_on_removal_not_on_update (IoTest *t)
{
  GError *error = NULL;
  IoTestCounts c = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_handler (t, fds[0], &c, io_test_counts_notify);
  g_assert_true (io_loop_update_handler (t->loop, fds[0], IO_EVENTS_WRITE, &error));
  io_test_iterate (t);
  g_assert_cmpint (c.notifies, ==, 0);
  g_assert_true (io_loop_remove_handler (t->loop, fds[0], &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.notifies, ==, 1);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.notifies, ==, 1);
  close (fds[0]);
  close (fds[1]);
}

typedef struct
{
  IoLoop *loop;
  gint    notifies;
  gint    notifies_seen_inside;
} SelfRemove;

static void
self_removing_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  SelfRemove *s = data;

  io_loop_remove_handler (s->loop, fd, NULL);
  s->notifies_seen_inside = s->notifies;
}

static void
self_remove_notify (gpointer data)
{
  ((SelfRemove *) data)->notifies++;
}

static void
test_handler_removing_itself_gets_notify_after_it_returns (IoTest *t)
{
  GError *error = NULL;
  SelfRemove s = { t->loop };
  int fds[2];

  io_test_socketpair (fds);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_WRITE, self_removing_handler,
                                      &s, self_remove_notify, &error));
  io_test_iterate (t);
  g_assert_cmpint (s.notifies_seen_inside, ==, 0);
  g_assert_cmpint (s.notifies, ==, 1);
  close (fds[0]);
  close (fds[1]);
}

static void
self_closing_cb (gpointer data, GError **error)
{
  SelfRemove *s = data;

  io_loop_close (s->loop, FALSE);
  s->notifies_seen_inside = s->notifies;
}

static void
test_callback_closing_loop_gets_notify_after_it_returns (IoTest *t)
{
  SelfRemove s = { t->loop };
  GError *error = NULL;

  io_loop_add_callback (t->loop, self_closing_cb, &s, self_remove_notify);
  io_loop_iteration (t->loop, FALSE, &error);
  g_clear_error (&error);
  g_assert_cmpint (s.notifies_seen_inside, ==, 0);
  g_assert_cmpint (s.notifies, ==, 1);
}

static void
self_closing_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  SelfRemove *s = data;

  io_loop_close (s->loop, FALSE);
  s->notifies_seen_inside = s->notifies;
}

static void
test_handler_closing_loop_gets_notify_after_it_returns (IoTest *t)
{
  GError *error = NULL;
  SelfRemove s = { t->loop };
  int fds[2];

  io_test_socketpair (fds);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_WRITE, self_closing_handler,
                                      &s, self_remove_notify, &error));
  io_loop_iteration (t->loop, FALSE, &error);
  g_clear_error (&error);
  g_assert_cmpint (s.notifies_seen_inside, ==, 0);
  g_assert_cmpint (s.notifies, ==, 1);
  close (fds[0]);
  close (fds[1]);
}

/* ---- close and finalize ------------------------------------------------- */

typedef struct
{
  IoTestCounts callback;
  IoTestCounts timeout;
  IoTestCounts handler;
  IoTestCounts async;
  int          fds[2];
} Everything;

static void
add_everything (IoTest *t, Everything *e)
{
  io_test_socketpair (e->fds);
  io_loop_add_callback (t->loop, io_test_counts_cb, &e->callback, io_test_counts_notify);
  add_later (t, 10, io_test_counts_cb, &e->timeout, io_test_counts_notify);
  add_handler (t, e->fds[0], &e->handler, io_test_counts_notify);
  io_async_unref (io_async_new (t->loop, io_test_counts_cb, &e->async, io_test_counts_notify));
}

static void
assert_everything_notified_once (Everything *e)
{
  g_assert_cmpint (e->callback.notifies, ==, 1);
  g_assert_cmpint (e->timeout.notifies, ==, 1);
  g_assert_cmpint (e->handler.notifies, ==, 1);
  g_assert_cmpint (e->async.notifies, ==, 1);
  g_assert_cmpint (e->callback.runs + e->timeout.runs + e->handler.runs + e->async.runs, ==, 0);
  close (e->fds[0]);
  close (e->fds[1]);
}

static void
test_everything_pending_is_notified_once_on_close (IoTest *t)
{
  Everything e = { { 0 } };

  add_everything (t, &e);
  io_loop_close (t->loop, FALSE);
  assert_everything_notified_once (&e);
  io_loop_close (t->loop, FALSE);
  g_clear_object (&t->loop);
  assert_everything_notified_once (&e);
}

static void
test_everything_pending_is_notified_once_on_finalize (IoTest *t)
{
  Everything e = { { 0 } };

  add_everything (t, &e);
  g_clear_object (&t->loop);
  assert_everything_notified_once (&e);
}

static void
test_async_notify_runs_once_on_close_not_on_unref (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoAsync *async = io_async_new (t->loop, io_test_counts_cb, &c, io_test_counts_notify);
  IoAsync *extra = io_async_ref (async);

  io_async_unref (extra);
  g_assert_cmpint (c.notifies, ==, 0);
  io_async_close (async);
  g_assert_cmpint (c.notifies, ==, 1);
  io_async_close (async);
  io_async_unref (async);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.notifies, ==, 1);
}

static void
test_periodic_callback_notify_runs_once_at_finalize (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoPeriodicCallback *pc = io_periodic_callback_new (t->loop, 1000, io_test_counts_cb, &c,
                                                     io_test_counts_notify);

  io_periodic_callback_start (pc);
  io_periodic_callback_stop (pc);
  io_test_iterate (t);
  g_assert_cmpint (c.notifies, ==, 0);
  g_object_unref (pc);
  g_assert_cmpint (c.notifies, ==, 1);
}

static void
test_failed_adds_take_nothing (IoTest *t)
{
  IoTestCounts c = { 0 };
  GError *error = NULL;

  g_assert_null (io_loop_call_later (t->loop, NAN, io_test_counts_cb, &c,
                                     io_test_counts_notify, &error));
  g_clear_error (&error);
  g_assert_false (io_loop_add_handler (t->loop, -1, IO_EVENTS_READ, nop_handler, &c,
                                       io_test_counts_notify, &error));
  g_clear_error (&error);
  g_assert_cmpint (c.notifies, ==, 0);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.notifies, ==, 0);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/destroy-notify/callback-notify-runs-right-after-callback-returns",
               test_callback_notify_runs_right_after_callback_returns);
  io_test_add ("/destroy-notify/timeout-notify-runs-right-after-it-fires",
               test_timeout_notify_runs_right_after_it_fires);
  io_test_add ("/destroy-notify/timeout-notify-runs-before-next-iterations-callbacks",
               test_timeout_notify_runs_before_next_iterations_callbacks);
  io_test_add ("/destroy-notify/callback-data-is-released-before-loop-sleeps",
               test_callback_data_is_released_before_loop_sleeps);
  io_test_add ("/destroy-notify/timeout-notify-runs-once-on-removal", test_timeout_notify_runs_once_on_removal);
  io_test_add ("/destroy-notify/handler-notify-runs-once-on-removal-not-on-update",
               test_handler_notify_runs_once_on_removal_not_on_update);
  io_test_add ("/destroy-notify/handler-removing-itself-gets-notify-after-it-returns",
               test_handler_removing_itself_gets_notify_after_it_returns);
  io_test_add ("/destroy-notify/callback-closing-loop-gets-notify-after-it-returns",
               test_callback_closing_loop_gets_notify_after_it_returns);
  io_test_add ("/destroy-notify/handler-closing-loop-gets-notify-after-it-returns",
               test_handler_closing_loop_gets_notify_after_it_returns);
  io_test_add ("/destroy-notify/everything-pending-is-notified-once-on-close",
               test_everything_pending_is_notified_once_on_close);
  io_test_add ("/destroy-notify/everything-pending-is-notified-once-on-finalize",
               test_everything_pending_is_notified_once_on_finalize);
  io_test_add ("/destroy-notify/async-notify-runs-once-on-close-not-on-unref",
               test_async_notify_runs_once_on_close_not_on_unref);
  io_test_add ("/destroy-notify/periodic-callback-notify-runs-once-at-finalize",
               test_periodic_callback_notify_runs_once_at_finalize);
  io_test_add ("/destroy-notify/failed-adds-take-nothing", test_failed_adds_take_nothing);

  return io_test_run ();
}
