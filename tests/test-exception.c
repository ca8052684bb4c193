/* test-exception.c: failing callbacks and IoLoop::callback-exception
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <unistd.h>

#include <gio/gio.h>

#include "io-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("io-test-error"))
#define TEST_CODE 42

/* What a callback-exception handler saw. */
typedef struct
{
  gint    count;
  GQuark  domain;
  gint    code;
  char   *message;
} Caught;

static void
caught_clear (Caught *c)
{
  g_clear_pointer (&c->message, g_free);
}

static void
record (Caught *c, const GError *error)
{
  g_assert_nonnull (error);
  c->count++;
  c->domain = error->domain;
  c->code = error->code;
  g_free (c->message);
  c->message = g_strdup (error->message);
}

static void
on_callback_exception (IoLoop *loop, GError *error, gpointer data)
{
  record (data, error);
}

static void
on_callback_exception_stop_emission (IoLoop *loop, GError *error, gpointer data)
{
  record (data, error);
  /* RUN_LAST: stopping here keeps the default handler from logging. */
  g_signal_stop_emission_by_name (loop, "callback-exception");
}

static void
fail_cb (gpointer data, GError **error)
{
  g_set_error (error, TEST_ERROR, TEST_CODE, "boom from %s", (const char *) data);
}

static void
fail_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  io_test_drain (fd);
  g_set_error (error, TEST_ERROR, TEST_CODE, "boom from %s", (const char *) data);
}

static void
assert_caught (Caught *c, const char *what)
{
  char *expected = g_strdup_printf ("boom from %s", what);

  g_assert_cmpint (c->count, ==, 1);
  g_assert_true (c->domain == TEST_ERROR);
  g_assert_cmpint (c->code, ==, TEST_CODE);
  g_assert_cmpstr (c->message, ==, expected);
  g_free (expected);
  caught_clear (c);
  c->count = 0;
}

/* ---- every kind of callback reports through the signal ----------------- */

static void
test_failing_callback_emits_callback_exception_with_its_error (IoTest *t)
{
  Caught c = { 0 };
  IoTestCounts after = { 0 };

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  io_loop_add_callback (t->loop, io_test_counts_cb, &after, NULL);
  io_test_iterate (t);
  assert_caught (&c, "callback");
  /* The loop went on with the next callback. */
  g_assert_cmpint (after.runs, ==, 1);
}

static void
test_failing_timeout_emits_callback_exception_with_its_error (IoTest *t)
{
  GError *error = NULL;
  Caught c = { 0 };

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  g_assert_nonnull (io_loop_call_later (t->loop, 0, fail_cb, "timeout", NULL, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  assert_caught (&c, "timeout");
}

static void
test_failing_handler_emits_callback_exception_with_its_error (IoTest *t)
{
  GError *error = NULL;
  Caught c = { 0 };
  int fds[2];

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, fail_handler, "handler",
                                      NULL, &error));
  g_assert_no_error (error);
  io_test_iterate (t);
  assert_caught (&c, "handler");
  /* The handler stays registered. */
  g_assert_true (io_loop_has_handler (t->loop, fds[0]));
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
  close (fds[1]);
}

static void
test_failing_async_emits_callback_exception_with_its_error (IoTest *t)
{
  Caught c = { 0 };
  IoAsync *async;

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  async = io_async_new (t->loop, fail_cb, "async", NULL);
  io_async_send (async);
  for (int i = 0; i < 5 && c.count == 0; i++)
    io_test_iterate (t);
  assert_caught (&c, "async");
  io_async_close (async);
  io_async_unref (async);
}

static void
test_failing_periodic_callback_emits_callback_exception_and_keeps_running (IoTest *t)
{
  Caught c = { 0 };
  IoPeriodicCallback *pc;

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  pc = io_periodic_callback_new (t->loop, 5, fail_cb, "periodic", NULL);
  io_periodic_callback_start (pc);
  io_test_iterate_until (t, &c.count, IO_TEST_LOOP_TIMEOUT);
  g_assert_true (c.domain == TEST_ERROR);
  g_assert_cmpstr (c.message, ==, "boom from periodic");
  g_assert_true (io_periodic_callback_is_running (pc));
  c.count = 0;
  io_test_iterate_until (t, &c.count, IO_TEST_LOOP_TIMEOUT);   /* fails again */
  caught_clear (&c);
  io_periodic_callback_stop (pc);
  g_object_unref (pc);
}

/* ---- the loop goes on --------------------------------------------------- */

static void
test_loop_keeps_running_after_failing_callback (IoTest *t)
{
  GError *error = NULL;
  Caught c = { 0 };

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  g_assert_nonnull (io_loop_call_later (t->loop, 0.01, fail_cb, "timeout", NULL, &error));
  g_assert_nonnull (io_loop_call_later (t->loop, 0.05, io_test_stop_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (c.count, ==, 3);
  g_assert_cmpstr (c.message, ==, "boom from timeout");
  caught_clear (&c);
}

static void
failing_counted_cb (gpointer data, GError **error)
{
  ((IoTestCounts *) data)->runs++;
  g_set_error_literal (error, TEST_ERROR, TEST_CODE, "boom");
}

static void
test_failing_callback_notify_still_runs_once (IoTest *t)
{
  Caught c = { 0 };
  IoTestCounts counts = { 0 };

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  io_loop_add_callback (t->loop, failing_counted_cb, &counts, io_test_counts_notify);
  io_test_iterate (t);
  g_assert_cmpint (counts.runs, ==, 1);
  g_assert_cmpint (counts.notifies, ==, 1);
  g_assert_cmpint (c.count, ==, 1);
  caught_clear (&c);
}

/* ---- default handler, subclasses, bindings ------------------------------ */

static void
test_default_handler_logs_warning (IoTest *t)
{
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_WARNING, "*Exception in callback*boom from callback*");
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  io_test_iterate (t);
  g_test_assert_expected_messages ();
}

static void
test_connected_handler_runs_before_default_handler (IoTest *t)
{
  Caught c = { 0 };

  /* Not stopping the emission: both run, the default one logs. */
  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception), &c);
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_WARNING, "*Exception in callback*boom from callback*");
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  io_test_iterate (t);
  g_test_assert_expected_messages ();
  assert_caught (&c, "callback");
}

typedef struct
{
  IoLoop  parent;
  Caught  caught;
} TestLoop;

typedef struct
{
  IoLoopClass parent_class;
} TestLoopClass;

static GType test_loop_get_type (void);
G_DEFINE_TYPE (TestLoop, test_loop, IO_TYPE_LOOP)

static void
test_loop_handle_callback_exception (IoLoop *loop, const GError *error)
{
  record (&((TestLoop *) loop)->caught, error);
}

static void
test_loop_class_init (TestLoopClass *klass)
{
  IO_LOOP_CLASS (klass)->handle_callback_exception = test_loop_handle_callback_exception;
}

static void
test_loop_init (TestLoop *self)
{
}

static void
test_subclass_override_replaces_default_handler (IoTest *t)
{
  GError *error = NULL;
  TestLoop *loop = g_initable_new (test_loop_get_type (), NULL, &error,
                                   "backend", t->backend, NULL);
  int fds[2];

  g_assert_no_error (error);
  g_assert_cmpstr (io_loop_get_backend (IO_LOOP (loop)), ==, t->backend);

  /* No warning may be logged (it would be fatal here). */
  io_loop_add_callback (IO_LOOP (loop), fail_cb, "callback", NULL);
  io_loop_iteration (IO_LOOP (loop), FALSE, &error);
  g_assert_no_error (error);
  assert_caught (&loop->caught, "callback");

  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  g_assert_true (io_loop_add_handler (IO_LOOP (loop), fds[0], IO_EVENTS_READ, fail_handler,
                                      "handler", NULL, &error));
  io_loop_iteration (IO_LOOP (loop), FALSE, &error);
  g_assert_no_error (error);
  assert_caught (&loop->caught, "handler");

  io_loop_close (IO_LOOP (loop), TRUE);
  close (fds[1]);
  g_object_unref (loop);
}

static void
test_report_exception_emits_signal (IoTest *t)
{
  Caught c = { 0 };
  GError *error = g_error_new (TEST_ERROR, TEST_CODE, "boom from %s", "binding");

  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception_stop_emission), &c);
  io_loop_report_exception (t->loop, error);
  assert_caught (&c, "binding");
  g_error_free (error);
}

static void
test_callback_exception_signal_carries_a_gerror (IoTest *t)
{
  guint id = g_signal_lookup ("callback-exception", IO_TYPE_LOOP);
  GSignalQuery query;

  g_assert_cmpuint (id, !=, 0);
  g_signal_query (id, &query);
  g_assert_cmpuint (query.n_params, ==, 1);
  g_assert_true ((query.param_types[0] & ~G_SIGNAL_TYPE_STATIC_SCOPE) == G_TYPE_ERROR);
  g_assert_true (query.signal_flags & G_SIGNAL_RUN_LAST);
  g_assert_true (query.return_type == G_TYPE_NONE);
}

/* ---- IoLoop::handle-exception ------------------------------------------ */

typedef struct
{
  Caught    caught;
  gboolean  handled;      /* what the handler returns */
} Handler;

static gboolean
on_handle_exception (IoLoop *loop, GError *error, gpointer data)
{
  Handler *h = data;

  record (&h->caught, error);
  return h->handled;
}

static void
test_handle_exception_returning_true_silences_default_handler (IoTest *t)
{
  Handler h = { { 0 }, TRUE };
  Caught c = { 0 };

  g_signal_connect (t->loop, "handle-exception", G_CALLBACK (on_handle_exception), &h);
  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception), &c);
  /* A warning would be fatal here. */
  io_loop_add_callback (t->loop, fail_cb, "callback", NULL);
  io_test_iterate (t);
  assert_caught (&h.caught, "callback");
  /* Handled: callback-exception is not emitted at all. */
  g_assert_cmpint (c.count, ==, 0);

  /* The same for an error reported by a binding. */
  {
    GError *error = g_error_new (TEST_ERROR, TEST_CODE, "boom from %s", "binding");

    io_loop_report_exception (t->loop, error);
    g_error_free (error);
    assert_caught (&h.caught, "binding");
    g_assert_cmpint (c.count, ==, 0);
  }
}

static void
test_handle_exception_returning_false_leaves_it_to_callback_exception (IoTest *t)
{
  Handler h = { { 0 }, FALSE };
  Caught c = { 0 };

  g_signal_connect (t->loop, "handle-exception", G_CALLBACK (on_handle_exception), &h);
  g_signal_connect (t->loop, "callback-exception", G_CALLBACK (on_callback_exception), &c);
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_WARNING, "*Exception in callback*boom from timeout*");
  g_assert_nonnull (io_loop_call_later (t->loop, 0, fail_cb, "timeout", NULL, NULL));
  io_test_iterate (t);
  g_test_assert_expected_messages ();
  assert_caught (&h.caught, "timeout");
  assert_caught (&c, "timeout");
}

static void
test_first_handle_exception_handler_returning_true_stops_emission (IoTest *t)
{
  Handler declines = { { 0 }, FALSE }, takes = { { 0 }, TRUE }, after = { { 0 }, TRUE };
  int fds[2];

  g_signal_connect (t->loop, "handle-exception", G_CALLBACK (on_handle_exception), &declines);
  g_signal_connect (t->loop, "handle-exception", G_CALLBACK (on_handle_exception), &takes);
  g_signal_connect (t->loop, "handle-exception", G_CALLBACK (on_handle_exception), &after);
  io_test_socketpair (fds);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, fail_handler, "handler",
                                      NULL, NULL));
  io_test_write_byte (fds[1]);
  io_test_iterate (t);
  assert_caught (&declines.caught, "handler");
  assert_caught (&takes.caught, "handler");
  g_assert_cmpint (after.caught.count, ==, 0);
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
  close (fds[1]);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/exception/failing-callback-emits-callback-exception-with-its-error",
               test_failing_callback_emits_callback_exception_with_its_error);
  io_test_add ("/exception/failing-timeout-emits-callback-exception-with-its-error",
               test_failing_timeout_emits_callback_exception_with_its_error);
  io_test_add ("/exception/failing-handler-emits-callback-exception-with-its-error",
               test_failing_handler_emits_callback_exception_with_its_error);
  io_test_add ("/exception/failing-async-emits-callback-exception-with-its-error",
               test_failing_async_emits_callback_exception_with_its_error);
  io_test_add ("/exception/failing-periodic-callback-emits-callback-exception-and-keeps-running",
               test_failing_periodic_callback_emits_callback_exception_and_keeps_running);
  io_test_add ("/exception/loop-keeps-running-after-failing-callback", test_loop_keeps_running_after_failing_callback);
  io_test_add ("/exception/failing-callback-notify-still-runs-once", test_failing_callback_notify_still_runs_once);
  io_test_add ("/exception/default-handler-logs-warning", test_default_handler_logs_warning);
  io_test_add ("/exception/connected-handler-runs-before-default-handler",
               test_connected_handler_runs_before_default_handler);
  io_test_add ("/exception/subclass-override-replaces-default-handler",
               test_subclass_override_replaces_default_handler);
  io_test_add ("/exception/handle-exception-returning-true-silences-default-handler",
               test_handle_exception_returning_true_silences_default_handler);
  io_test_add ("/exception/handle-exception-returning-false-leaves-it-to-callback-exception",
               test_handle_exception_returning_false_leaves_it_to_callback_exception);
  io_test_add ("/exception/first-handle-exception-handler-returning-true-stops-emission",
               test_first_handle_exception_handler_returning_true_stops_emission);
  io_test_add ("/exception/report-exception-emits-signal", test_report_exception_emits_signal);
  io_test_add ("/exception/callback-exception-signal-carries-a-gerror",
               test_callback_exception_signal_carries_a_gerror);

  return io_test_run ();
}
