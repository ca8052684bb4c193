/* test-wakeup.c: the loop's wake-up fd (internal hooks of
 * ioloop/io-loop-private.h: the wake fd, write and iteration counters)
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "io-test-util.h"
#include "ioloop/io-loop-private.h"

typedef struct
{
  IoLoop *loop;
  guint   delay_ms;
} Later;

static gpointer
add_stop_later_thread (gpointer data)
{
  Later *later = data;

  g_usleep (later->delay_ms * 1000);
  io_loop_add_callback (later->loop, io_test_stop_cb, later->loop, NULL);
  return NULL;
}

/* After the wake fd broke: an idle period must not spin, and a callback
 * from another thread must still wake the sleeping loop. */
static void
assert_no_spin_and_no_lost_wakeup (IoTest *t)
{
  GError *error = NULL;
  Later later = { t->loop, 50 };
  guint64 before, spins;
  GThread *thread;

  before = _io_loop_get_n_iterations (t->loop);
  g_assert_nonnull (io_loop_call_later (t->loop, 0.2, io_test_stop_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  spins = _io_loop_get_n_iterations (t->loop) - before;
  g_test_message ("%" G_GUINT64_FORMAT " iterations in 200 ms of idling", spins);
  g_assert_cmpuint (spins, <, 100);

  /* Nothing scheduled: only the wake-up can end this start(). */
  thread = g_thread_new ("adder", add_stop_later_thread, &later);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);

  /* And again, now that the loop had a chance to repair itself. */
  thread = g_thread_new ("adder", add_stop_later_thread, &later);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
}

static void
test_healthy_loop_idles_without_spinning (IoTest *t)
{
  io_test_iterate (t);
  assert_no_spin_and_no_lost_wakeup (t);
}

static void
test_wake_fd_closed_behind_loops_back_neither_spins_nor_loses_wakeups (IoTest *t)
{
  int fd;

  io_test_iterate (t);                     /* registered with the backend */
  fd = _io_loop_get_wakeup_fd (t->loop);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (close (fd), ==, 0);
  assert_no_spin_and_no_lost_wakeup (t);
}

static void
test_wake_fd_replaced_by_other_file_neither_spins_nor_loses_wakeups (IoTest *t)
{
  int fd, devnull;

  io_test_iterate (t);
  fd = _io_loop_get_wakeup_fd (t->loop);
  g_assert_cmpint (fd, >=, 0);
  /* The number now names /dev/null: always readable, reads end-of-file. */
  devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (devnull, >=, 0);
  g_assert_cmpint (dup2 (devnull, fd), ==, fd);
  close (devnull);
  assert_no_spin_and_no_lost_wakeup (t);
  /* The loop must not close what is ours now. */
  g_assert_true (io_test_fd_is_open (fd));
  io_loop_close (t->loop, FALSE);
  g_assert_true (io_test_fd_is_open (fd));
  close (fd);
}

/* ---- a wake-up fd that cannot be replaced -------------------------------- */

typedef struct
{
  IoLoop *loop;
  gint    ran;
} Sender;

static void
count_and_stop_cb (gpointer data, GError **error)
{
  Sender *sender = data;

  g_atomic_int_inc (&sender->ran);
  io_loop_stop (sender->loop);
}

static gpointer
send_later_thread (gpointer data)
{
  Sender *sender = data;

  g_usleep (100 * 1000);
  io_loop_add_callback (sender->loop, count_and_stop_cb, sender, NULL);
  return NULL;
}

/* The wake-up fd's number is taken over by another file while every fd
 * the process may open is in use: the loop can neither trust the old fd
 * nor open a new one. It must say so rather than crash, sleep through
 * cross-thread callbacks, or write into the other file; and it must
 * recover once an fd is free. */
static void
test_wake_fd_taken_over_at_fd_limit_fails_start_then_recovers (IoTest *t)
{
  GError *error = NULL;
  IoTestFdLimit limit;
  Sender sender = { t->loop, 0 };
  IoTimeout *guard;
  GThread *thread;
  int other[2], fd;

  g_assert_cmpint (pipe (other), ==, 0);
  g_assert_cmpint (fcntl (other[0], F_SETFL, O_NONBLOCK), ==, 0);
  io_test_iterate (t);
  fd = _io_loop_get_wakeup_fd (t->loop);
  g_assert_cmpint (fd, >=, 0);
  if (!io_test_fd_limit_reach (&limit))
    {
      close (other[0]);
      close (other[1]);
      io_test_skip ("cannot lower RLIMIT_NOFILE");
      return;
    }
  /* A wake-up written to the old number would land in our pipe. */
  g_assert_cmpint (dup2 (other[1], fd), ==, fd);

  /* Bounds a start() that would sleep. */
  guard = io_loop_call_later (t->loop, 2.0, io_test_stop_cb, t->loop, NULL, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("sender", send_later_thread, &sender);
  g_assert_false (io_loop_start (t->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FAILED);
  /* Again: nothing half-repaired from the first attempt. */
  g_assert_false (io_loop_iteration (t->loop, TRUE, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_FAILED);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&sender.ran), ==, 0);
  g_assert_cmpuint (io_test_drain (other[0]), ==, 0);

  /* An fd is free again: the loop replaces its wake-up fd, and the
   * callback sent meanwhile runs. */
  io_test_fd_limit_free_one (&limit);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (g_atomic_int_get (&sender.ran), ==, 1);
  io_loop_remove_timeout (t->loop, guard);

  /* Wake-ups work again, through the new fd. */
  thread = g_thread_new ("sender", send_later_thread, &sender);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&sender.ran), ==, 2);
  g_assert_cmpuint (io_test_drain (other[0]), ==, 0);

  io_test_fd_limit_restore (&limit);
  io_loop_close (t->loop, FALSE);
  /* The old number is the pipe's now: the loop must not close it. */
  g_assert_true (io_test_fd_is_open (fd));
  close (fd);
  close (other[0]);
  close (other[1]);
}

/* ---- closing releases the wake-up fd ------------------------------------ */

static void
test_close_releases_every_fd_the_loop_opened (IoTest *t)
{
  GError *error = NULL;
  guint before = io_test_count_open_fds ();
  IoTestCounts counts = { 0 };
  IoLoop *loop;

  loop = io_loop_new_with_backend (t->backend, &error);
  g_assert_no_error (error);
  io_loop_add_callback (loop, io_test_counts_cb, &counts, io_test_counts_notify);
  g_assert_true (io_loop_iteration (loop, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (io_test_count_open_fds (), >, before);

  io_loop_close (loop, FALSE);
#ifdef HAVE_LIBKQUEUE
  /* libkqueue's monitoring thread releases the fds behind a closed kqueue
   * (its epoll fd, eventfd and pipe) a moment after close(2); the test's
   * watchdog bounds the wait. */
  if (strcmp (t->backend, "kqueue") == 0)
    while (io_test_count_open_fds () > before)
      g_usleep (1000);
#endif
  g_assert_cmpuint (io_test_count_open_fds (), ==, before);

  /* Refused without writing anywhere. */
  io_loop_add_callback (loop, io_test_counts_cb, &counts, io_test_counts_notify);
  io_loop_stop (loop);
  g_assert_cmpint (counts.runs, ==, 1);
  g_assert_cmpint (counts.notifies, ==, 2);
  g_object_unref (loop);
  g_assert_cmpuint (io_test_count_open_fds (), ==, before);
}

typedef struct
{
  IoLoop       *loop;
  IoAsync      *async;
  gint          quit;
  gint          adds;
  IoTestCounts  counts;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *r = data;

  while (!g_atomic_int_get (&r->quit))
    {
      g_atomic_int_inc (&r->adds);
      io_loop_add_callback (r->loop, io_test_counts_cb, &r->counts, io_test_counts_notify);
      io_async_send (r->async);
      io_loop_stop (r->loop);
    }
  return NULL;
}

static void
async_noop_cb (gpointer data, GError **error)
{
}

static void
close_cb (gpointer loop, GError **error)
{
  io_loop_close (loop, FALSE);
}

/* Senders on other threads race with io_loop_close(), which closes the
 * wake-up fd: none may write once the fd is closed, even when its number
 * is reused at once. */
static void
test_close_racing_with_senders_writes_nothing_to_reused_fd (IoTest *t)
{
  GError *error = NULL;
  Racer r = { t->loop };
  GThread *threads[3];
  int other[2], fd;

  io_test_iterate (t);
  fd = _io_loop_get_wakeup_fd (t->loop);
  r.async = io_async_new (t->loop, async_noop_cb, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("racer", racer_thread, &r);
  g_assert_nonnull (io_loop_call_later (t->loop, 0.05, close_cb, t->loop, NULL, &error));
  g_assert_no_error (error);
  while (!io_loop_is_closed (t->loop))
    {
      io_loop_iteration (t->loop, TRUE, &error);
      g_assert_no_error (error);
    }
  g_assert_false (io_test_fd_is_open (fd));

  /* The number names our pipe now, while the senders go on. */
  g_assert_cmpint (pipe (other), ==, 0);
  g_assert_cmpint (fcntl (other[0], F_SETFL, O_NONBLOCK), ==, 0);
  g_assert_cmpint (dup2 (other[1], fd), ==, fd);
  g_usleep (50 * 1000);
  g_atomic_int_set (&r.quit, 1);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (io_test_drain (other[0]), ==, 0);
  /* Each callback ran or was refused, and was notified once either way. */
  g_assert_cmpint (r.counts.notifies, ==, r.adds);
  g_assert_cmpint (r.counts.runs, <=, r.adds);
  io_async_unref (r.async);
  close (fd);
  close (other[0]);
  close (other[1]);
}

/* ---- wake-ups cost at most one write per iteration ----------------------- */

#define N_BURST 100000

typedef struct
{
  IoLoop  *loop;
  guint    total;
  gint     runs;
  gint     adding;
} Burst;

static void
burst_cb (gpointer data, GError **error)
{
  Burst *b = data;

  if ((guint) g_atomic_int_add (&b->runs, 1) + 1 == b->total)
    io_loop_stop (b->loop);
}

static gpointer
burst_thread (gpointer data)
{
  Burst *b = data;

  for (guint i = 0; i < b->total; i++)
    io_loop_add_callback (b->loop, burst_cb, b, NULL);
  return NULL;
}

static void
test_callback_burst_costs_at_most_one_write_per_iteration (IoTest *t)
{
  Burst b = { t->loop, io_test_scale (N_BURST) };
  guint64 writes, iterations;
  GThread *thread;

  io_test_iterate (t);
  writes = _io_loop_get_n_wakeup_writes (t->loop);
  iterations = _io_loop_get_n_iterations (t->loop);
  thread = g_thread_new ("burst", burst_thread, &b);
  io_test_run_loop (t, 120.0);
  g_thread_join (thread);
  writes = _io_loop_get_n_wakeup_writes (t->loop) - writes;
  iterations = _io_loop_get_n_iterations (t->loop) - iterations;
  g_test_message ("%u callbacks: %" G_GUINT64_FORMAT " wake-up writes, %" G_GUINT64_FORMAT
                  " iterations", b.total, writes, iterations);
  g_assert_cmpint (b.runs, ==, b.total);
  g_assert_cmpuint (writes, <=, iterations + 1);
}

static void
add_many_cb (gpointer data, GError **error)
{
  Burst *b = data;

  for (guint i = 0; i < b->total; i++)
    io_loop_add_callback (b->loop, burst_cb, b, NULL);
}

static void
test_callbacks_added_on_loop_thread_cost_no_write (IoTest *t)
{
  Burst b = { t->loop, 1000 };
  guint64 writes;

  io_test_iterate (t);
  writes = _io_loop_get_n_wakeup_writes (t->loop);
  io_loop_add_callback (t->loop, add_many_cb, &b, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (b.runs, ==, b.total);
  g_assert_cmpuint (_io_loop_get_n_wakeup_writes (t->loop) - writes, ==, 0);
}

typedef struct
{
  IoLoop  *loop;
  IoAsync *async;
  gint     done;
  gint     runs;
} AsyncBurst;

static void
async_burst_cb (gpointer data, GError **error)
{
  AsyncBurst *a = data;

  a->runs++;
  if (g_atomic_int_get (&a->done))
    io_loop_stop (a->loop);
}

static gpointer
async_burst_thread (gpointer data)
{
  AsyncBurst *a = data;

  for (int i = 0; i < 10000; i++)
    io_async_send (a->async);
  g_atomic_int_set (&a->done, 1);
  io_async_send (a->async);
  return NULL;
}

static void
test_async_burst_costs_at_most_one_write_per_iteration (IoTest *t)
{
  AsyncBurst a = { t->loop };
  guint64 writes, iterations;
  GThread *thread;

  a.async = io_async_new (t->loop, async_burst_cb, &a, NULL);
  io_test_iterate (t);
  writes = _io_loop_get_n_wakeup_writes (t->loop);
  iterations = _io_loop_get_n_iterations (t->loop);
  thread = g_thread_new ("async-burst", async_burst_thread, &a);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  writes = _io_loop_get_n_wakeup_writes (t->loop) - writes;
  iterations = _io_loop_get_n_iterations (t->loop) - iterations;
  g_test_message ("10001 sends: %d runs, %" G_GUINT64_FORMAT " writes, %" G_GUINT64_FORMAT
                  " iterations", a.runs, writes, iterations);
  g_assert_cmpuint (writes, <=, iterations + 1);
  io_async_close (a.async);
  io_async_unref (a.async);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/wakeup/healthy-loop-idles-without-spinning", test_healthy_loop_idles_without_spinning);
  io_test_add ("/wakeup/wake-fd-closed-behind-loops-back-neither-spins-nor-loses-wakeups",
               test_wake_fd_closed_behind_loops_back_neither_spins_nor_loses_wakeups);
  io_test_add ("/wakeup/wake-fd-replaced-by-other-file-neither-spins-nor-loses-wakeups",
               test_wake_fd_replaced_by_other_file_neither_spins_nor_loses_wakeups);
  io_test_add ("/wakeup/wake-fd-taken-over-at-fd-limit-fails-start-then-recovers",
               test_wake_fd_taken_over_at_fd_limit_fails_start_then_recovers);
  io_test_add ("/wakeup/close-releases-every-fd-the-loop-opened",
               test_close_releases_every_fd_the_loop_opened);
  io_test_add ("/wakeup/close-racing-with-senders-writes-nothing-to-reused-fd",
               test_close_racing_with_senders_writes_nothing_to_reused_fd);
  io_test_add ("/wakeup/callback-burst-costs-at-most-one-write-per-iteration",
               test_callback_burst_costs_at_most_one_write_per_iteration);
  io_test_add ("/wakeup/callbacks-added-on-loop-thread-cost-no-write",
               test_callbacks_added_on_loop_thread_cost_no_write);
  io_test_add ("/wakeup/async-burst-costs-at-most-one-write-per-iteration",
               test_async_burst_costs_at_most_one_write_per_iteration);

  return io_test_run ();
}
