/* test-timeout.c: io_loop_add_timeout(), io_loop_call_later(), IoTimeout
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "io-test-util.h"

/* ---- a wall clock the tests can step -------------------------------------
 * These definitions interpose glibc's for the whole process (GLib's
 * g_get_real_time() included): CLOCK_REALTIME is shifted by wall_skew
 * microseconds, the monotonic clock is left alone. */

static gint64 wall_skew;

int
clock_gettime (clockid_t id, struct timespec *ts)
{
  long r = syscall (SYS_clock_gettime, id, ts);

  if (r == 0 && id == CLOCK_REALTIME)
    {
      gint64 usec = ts->tv_sec * G_USEC_PER_SEC + ts->tv_nsec / 1000
                    + __atomic_load_n (&wall_skew, __ATOMIC_RELAXED);

      ts->tv_sec = usec / G_USEC_PER_SEC;
      ts->tv_nsec = (usec % G_USEC_PER_SEC) * 1000;
    }
  return (int) r;
}

int
gettimeofday (struct timeval *__restrict tv, void *__restrict tz)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

static void
step_wall_clock (gdouble seconds)
{
  __atomic_add_fetch (&wall_skew, (gint64) (seconds * G_USEC_PER_SEC), __ATOMIC_RELAXED);
}

typedef struct
{
  GArray *order;
  int     id;
} Fired;

static void
record_cb (gpointer data, GError **error)
{
  Fired *f = data;

  g_array_append_val (f->order, f->id);
}

static IoTimeout *
add_at (IoTest *t, gdouble deadline, IoCallback func, gpointer data, GDestroyNotify notify)
{
  GError *error = NULL;
  IoTimeout *timeout = io_loop_add_timeout (t->loop, deadline, func, data, notify, &error);

  g_assert_no_error (error);
  g_assert_nonnull (timeout);
  return timeout;
}

static IoTimeout *
add_later (IoTest *t, gdouble delay, IoCallback func, gpointer data, GDestroyNotify notify)
{
  GError *error = NULL;
  IoTimeout *timeout = io_loop_call_later (t->loop, delay, func, data, notify, &error);

  g_assert_no_error (error);
  g_assert_nonnull (timeout);
  return timeout;
}

/* ---- order ------------------------------------------------------------- */

static void
test_due_timeouts_fire_in_deadline_order (IoTest *t)
{
  static const int offsets[] = { 3, 1, 2, 5, 4 };   /* seconds in the past */
  static const int expected[] = { 3, 4, 0, 2, 1 };  /* oldest deadline first */
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  gdouble now = io_loop_time (t->loop);
  Fired f[G_N_ELEMENTS (offsets)];

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      f[i].order = order;
      f[i].id = i;
      add_at (t, now - offsets[i], record_cb, &f[i], NULL);
    }
  io_test_iterate (t);
  g_assert_cmpuint (order->len, ==, G_N_ELEMENTS (offsets));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (order, int, i), ==, expected[i]);
  g_array_unref (order);
}

static void
test_future_timeouts_fire_in_deadline_order (IoTest *t)
{
  static const gdouble delays[] = { 0.06, 0.02, 0.04 };
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  Fired f[G_N_ELEMENTS (delays)];

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      f[i].order = order;
      f[i].id = i;
      add_later (t, delays[i], record_cb, &f[i], NULL);
    }
  add_later (t, 0.08, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpuint (order->len, ==, 3);
  g_assert_cmpint (g_array_index (order, int, 0), ==, 1);
  g_assert_cmpint (g_array_index (order, int, 1), ==, 2);
  g_assert_cmpint (g_array_index (order, int, 2), ==, 0);
  g_array_unref (order);
}

static int
compare_by_deadline_then_id (gconstpointer a, gconstpointer b, gpointer data)
{
  const int *keys = data;
  int x = *(const int *) a, y = *(const int *) b;

  if (keys[x] != keys[y])
    return keys[x] < keys[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
test_equal_deadlines_fire_in_insertion_order (IoTest *t)
{
  enum { N = 1000 };
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  Fired *f = g_new (Fired, N);
  int keys[N], expected[N];
  /* A whole number of seconds, so that equal deadlines are equal doubles. */
  gdouble base = floor (io_loop_time (t->loop)) - 100.0;

  /* Few distinct deadlines, many ties, inserted in a scrambled order: the
   * heap is not stable by itself. */
  for (int i = 0; i < N; i++)
    {
      keys[i] = (i * 7919) % 13;
      expected[i] = i;
      f[i].order = order;
      f[i].id = i;
      add_at (t, base + keys[i], record_cb, &f[i], NULL);
    }
  g_qsort_with_data (expected, N, sizeof (int), compare_by_deadline_then_id, keys);

  io_test_iterate (t);
  g_assert_cmpuint (order->len, ==, N);
  for (int i = 0; i < N; i++)
    if (g_array_index (order, int, i) != expected[i])
      g_error ("position %d: timeout %d fired (deadline base+%d), expected %d (deadline base+%d)",
               i, g_array_index (order, int, i), keys[g_array_index (order, int, i)],
               expected[i], keys[expected[i]]);
  g_array_unref (order);
  g_free (f);
}

static void
test_equal_delays_fire_in_insertion_order (IoTest *t)
{
  enum { N = 100 };
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  Fired f[N];

  for (int i = 0; i < N; i++)
    {
      f[i].order = order;
      f[i].id = i;
      add_later (t, 0, record_cb, &f[i], NULL);
    }
  io_test_iterate (t);
  g_assert_cmpuint (order->len, ==, N);
  for (int i = 0; i < N; i++)
    g_assert_cmpint (g_array_index (order, int, i), ==, i);
  g_array_unref (order);
}

typedef struct
{
  gdouble when;
} Stamp;

static void
stamp_cb (gpointer data, GError **error)
{
  ((Stamp *) data)->when = io_test_now ();
}

static void
test_call_later_fires_no_earlier_than_delay (IoTest *t)
{
  Stamp stamp = { 0 };
  gdouble start = io_test_now ();

  add_later (t, 0.05, stamp_cb, &stamp, NULL);
  add_later (t, 0.05, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpfloat (stamp.when, >, 0);
  g_assert_cmpfloat (stamp.when - start, >=, 0.05 - 0.001);
}

static void
test_add_timeout_fires_no_earlier_than_deadline (IoTest *t)
{
  Stamp stamp = { 0 };
  gdouble start = io_test_now ();

  add_at (t, io_loop_time (t->loop) + 0.05, stamp_cb, &stamp, NULL);
  add_at (t, io_loop_time (t->loop) + 0.05, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpfloat (stamp.when, >, 0);
  /* 2 ms of slack for the wall clock's and the monotonic clock's reads. */
  g_assert_cmpfloat (stamp.when - start, >=, 0.05 - 0.002);
}

static void
test_negative_delay_fires_on_next_iteration (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = add_later (t, -5.0, io_test_counts_cb, &c, io_test_counts_notify);

  g_assert_true (io_timeout_is_pending (timeout));
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, 0);
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
}

/* ---- removal ----------------------------------------------------------- */

static void
test_removed_timeout_never_fires_and_notify_runs_at_once (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = add_later (t, -1.0, io_test_counts_cb, &c, io_test_counts_notify);

  io_loop_remove_timeout (t->loop, timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 0);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
}

static void
test_remove_twice_is_harmless (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 10.0, io_test_counts_cb, &c,
                                                  io_test_counts_notify));

  io_loop_remove_timeout (t->loop, timeout);
  g_assert_false (io_timeout_is_pending (timeout));
  io_loop_remove_timeout (t->loop, timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (c.runs, ==, 0);
  io_timeout_unref (timeout);
}

static void
test_remove_after_fired_is_harmless (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 0, io_test_counts_cb, &c,
                                                  io_test_counts_notify));

  g_assert_true (io_timeout_is_pending (timeout));
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_false (io_timeout_is_pending (timeout));
  io_loop_remove_timeout (t->loop, timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  io_timeout_unref (timeout);
}

static void
test_remove_after_loop_closed_is_harmless (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 10.0, io_test_counts_cb, &c,
                                                  io_test_counts_notify));

  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_false (io_timeout_is_pending (timeout));
  io_loop_remove_timeout (t->loop, timeout);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (c.runs, ==, 0);
  io_timeout_unref (timeout);
}

static void
test_timeout_outlives_finalized_loop (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 10.0, io_test_counts_cb, &c,
                                                  io_test_counts_notify));

  /* The handle stays valid and inert once its loop is gone (valgrind
   * checks that nothing touches the freed loop). */
  g_clear_object (&t->loop);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_false (io_timeout_is_pending (timeout));
  io_timeout_unref (timeout);
  g_assert_cmpint (c.runs, ==, 0);
}

typedef struct
{
  IoLoop    *loop;
  IoTimeout *victim;
  IoTestCounts victim_counts;
} Cancel;

static void
cancel_victim_cb (gpointer data, GError **error)
{
  Cancel *c = data;

  io_loop_remove_timeout (c->loop, c->victim);
  g_assert_cmpint (c->victim_counts.notifies, ==, 1);
}

static void
test_due_timeout_removed_by_earlier_timeout_never_fires (IoTest *t)
{
  Cancel c = { t->loop };
  gdouble now = io_loop_time (t->loop);

  add_at (t, now - 2, cancel_victim_cb, &c, NULL);
  c.victim = add_at (t, now - 1, io_test_counts_cb, &c.victim_counts, io_test_counts_notify);
  io_test_iterate (t);
  io_test_iterate (t);
  g_assert_cmpint (c.victim_counts.runs, ==, 0);
  g_assert_cmpint (c.victim_counts.notifies, ==, 1);
}

typedef struct
{
  IoLoop    *loop;
  IoTimeout *self;
  gint       runs;
  gint       notifies;
  gint       notifies_seen_inside;
} SelfRemove;

static void
self_remove_cb (gpointer data, GError **error)
{
  SelfRemove *s = data;

  s->runs++;
  io_loop_remove_timeout (s->loop, s->self);
  s->notifies_seen_inside = s->notifies;
}

static void
self_remove_notify (gpointer data)
{
  ((SelfRemove *) data)->notifies++;
}

static void
test_timeout_removing_itself_gets_one_notify_after_return (IoTest *t)
{
  SelfRemove s = { t->loop };

  s.self = io_timeout_ref (add_later (t, 0, self_remove_cb, &s, self_remove_notify));
  io_test_iterate (t);
  g_assert_cmpint (s.runs, ==, 1);
  g_assert_cmpint (s.notifies_seen_inside, ==, 0);
  g_assert_cmpint (s.notifies, ==, 1);
  io_timeout_unref (s.self);
}

/* ---- bad input --------------------------------------------------------- */

static void
test_non_finite_deadline_fails_with_invalid_argument (IoTest *t)
{
  const gdouble bad[] = { NAN, INFINITY, -INFINITY };
  IoTestCounts c = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GError *error = NULL;

      g_assert_null (io_loop_add_timeout (t->loop, bad[i], io_test_counts_cb, &c,
                                          io_test_counts_notify, &error));
      io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
      g_assert_null (io_loop_call_later (t->loop, bad[i], io_test_counts_cb, &c,
                                         io_test_counts_notify, &error));
      io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
    }
  /* Nothing was taken: no notify, nothing scheduled. */
  g_assert_cmpint (c.notifies, ==, 0);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
  io_test_iterate (t);
  g_assert_cmpint (c.runs, ==, 0);
}

static void
test_null_func_is_a_programmer_error (IoTest *t)
{
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_add_timeout*assertion*");
  g_assert_null (io_loop_add_timeout (t->loop, 0, NULL, NULL, NULL, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("IoLoop", G_LOG_LEVEL_CRITICAL, "*io_loop_call_later*assertion*");
  g_assert_null (io_loop_call_later (t->loop, 0, NULL, NULL, NULL, NULL));
  g_test_assert_expected_messages ();
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
}

/* ---- timeouts adding timeouts ------------------------------------------ */

typedef struct
{
  IoTest  *t;
  gint     outer;
  gint     inner;
} Chain;

static void
chain_inner_cb (gpointer data, GError **error)
{
  ((Chain *) data)->inner++;
}

static void
chain_outer_cb (gpointer data, GError **error)
{
  Chain *c = data;

  c->outer++;
  add_at (c->t, io_loop_time (c->t->loop) - 10, chain_inner_cb, c, NULL);
}

static void
test_due_timeout_added_by_timeout_waits_for_next_iteration (IoTest *t)
{
  Chain c = { t };

  add_later (t, -1, chain_outer_cb, &c, NULL);
  io_test_iterate (t);
  g_assert_cmpint (c.outer, ==, 1);
  g_assert_cmpint (c.inner, ==, 0);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, 0);
  io_test_iterate (t);
  g_assert_cmpint (c.inner, ==, 1);
}

typedef struct
{
  IoTest   *t;
  gint      spins;
  gint      extra;
  gint      handled;
  gboolean  done;
} Respawn;

static void
respawn_timeout_cb (gpointer data, GError **error)
{
  Respawn *r = data;

  r->spins++;
  if (!r->done)
    {
      /* Two already-due timeouts per run: a naive loop would never end. */
      add_at (r->t, io_loop_time (r->t->loop) - 1, respawn_timeout_cb, r, NULL);
      add_later (r->t, 0, io_test_count_cb, &r->extra, NULL);
    }
}

static void
stop_on_read (int fd, IoEvents events, gpointer data, GError **error)
{
  Respawn *r = data;

  r->handled++;
  r->done = TRUE;
  io_test_drain (fd);
  io_loop_stop (r->t->loop);
}

static void
test_self_readding_due_timeout_does_not_starve_io (IoTest *t)
{
  GError *error = NULL;
  Respawn r = { t };
  int fds[2];

  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, stop_on_read, &r,
                                      NULL, &error));
  g_assert_no_error (error);
  add_later (t, 0, respawn_timeout_cb, &r, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (r.handled, ==, 1);
  g_assert_cmpint (r.spins, >=, 1);
  g_assert_cmpint (r.spins, <=, 2);
  io_loop_close (t->loop, FALSE);
  close (fds[0]);
  close (fds[1]);
}

static void
test_get_timeout_ms_tracks_next_deadline (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *far, *near;
  int ms;

  far = add_later (t, 100.0, io_test_counts_cb, &c, NULL);
  near = add_later (t, 10.0, io_test_counts_cb, &c, NULL);
  ms = io_loop_get_timeout_ms (t->loop);
  g_assert_cmpint (ms, >, 0);
  g_assert_cmpint (ms, <=, 10000 + 1);
  io_loop_remove_timeout (t->loop, near);
  ms = io_loop_get_timeout_ms (t->loop);
  g_assert_cmpint (ms, >, 10000 + 1);
  g_assert_cmpint (ms, <=, 100000 + 1);
  io_loop_remove_timeout (t->loop, far);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);
}

static void
test_is_pending_until_fired (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = io_timeout_ref (add_later (t, 0.01, io_test_counts_cb, &c, NULL));

  g_assert_true (io_timeout_is_pending (timeout));
  io_test_iterate_until (t, &c.runs, IO_TEST_LOOP_TIMEOUT);
  g_assert_false (io_timeout_is_pending (timeout));
  io_timeout_unref (timeout);
}

static void
test_timeout_is_a_boxed_type (IoTest *t)
{
  IoTestCounts c = { 0 };
  IoTimeout *timeout = add_later (t, 10, io_test_counts_cb, &c, NULL);
  IoTimeout *copy;

  g_assert_true (G_TYPE_IS_BOXED (IO_TYPE_TIMEOUT));
  copy = g_boxed_copy (IO_TYPE_TIMEOUT, timeout);
  g_assert_true (copy == timeout);
  g_boxed_free (IO_TYPE_TIMEOUT, copy);
  g_assert_true (io_timeout_is_pending (timeout));
}

/* ---- wall-clock steps ---------------------------------------------------- */

static void
test_wall_clock_step_is_seen_by_loop_time (IoTest *t)
{
  gdouble before = io_loop_time (t->loop);

  step_wall_clock (3600);
  g_assert_cmpfloat (io_loop_time (t->loop) - before, >=, 3600 - 1);
  step_wall_clock (-3600);
  g_assert_cmpfloat (fabs (io_loop_time (t->loop) - before), <, 60);
}

static void
test_wall_clock_step_forward_does_not_fire_pending_timeouts (IoTest *t)
{
  IoTestCounts relative = { 0 }, absolute = { 0 };
  gint stopped = 0;

  add_later (t, 0.3, io_test_counts_cb, &relative, NULL);
  add_at (t, io_loop_time (t->loop) + 0.3, io_test_counts_cb, &absolute, NULL);
  io_test_iterate (t);
  step_wall_clock (3600);
  add_later (t, 0.05, io_test_count_cb, &stopped, NULL);
  io_test_iterate_until (t, &stopped, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (relative.runs, ==, 0);
  g_assert_cmpint (absolute.runs, ==, 0);

  /* They still fire when their time comes. */
  io_test_iterate_until (t, &absolute.runs, IO_TEST_LOOP_TIMEOUT);
  io_test_iterate_until (t, &relative.runs, IO_TEST_LOOP_TIMEOUT);
  step_wall_clock (-3600);
}

static void
test_wall_clock_step_backward_does_not_stall_pending_timeouts (IoTest *t)
{
  IoTestCounts relative = { 0 }, absolute = { 0 };

  add_later (t, 0.05, io_test_counts_cb, &relative, NULL);
  add_at (t, io_loop_time (t->loop) + 0.05, io_test_counts_cb, &absolute, NULL);
  io_test_iterate (t);
  step_wall_clock (-3600);
  /* An hour late would trip the (monotonic) guard. */
  io_test_iterate_until (t, &relative.runs, IO_TEST_LOOP_TIMEOUT);
  io_test_iterate_until (t, &absolute.runs, IO_TEST_LOOP_TIMEOUT);
  step_wall_clock (3600);
}

/* ---- memory ------------------------------------------------------------ */

#if defined (__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define HAVE_MALLINFO2 1

static gsize
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return mi.uordblks + mi.hblkhd;
}

/* FALSE when valgrind or a sanitizer replaced malloc: mallinfo2() then
 * reports on glibc's idle allocator. */
static gboolean
heap_in_use_works (void)
{
  gsize before = heap_in_use ();
  volatile char *probe = g_malloc (4 * 1024 * 1024);
  gboolean works;

  probe[0] = 1;
  works = heap_in_use () >= before + 4 * 1024 * 1024;
  g_free ((gpointer) probe);
  return works;
}
#endif

static void
never_cb (gpointer data, GError **error)
{
  g_assert_not_reached ();
}

static void
test_million_cancelled_timeouts_free_memory_at_once (IoTest *t)
{
#ifdef HAVE_MALLINFO2
  guint n = io_test_scale (1000000);
  IoTimeout **handles;

  if (!heap_in_use_works ())
    {
      io_test_skip ("mallinfo2() does not see this process's allocations "
                    "(valgrind or a sanitizer replaced malloc)");
      return;
    }
  handles = g_new0 (IoTimeout *, n);
  gint notified = 0;
  gsize base, peak, after, grown, left, slots;

  /* Warm up whatever the loop allocates lazily, then measure. */
  io_loop_remove_timeout (t->loop, add_later (t, 1, never_cb, NULL, NULL));
  base = heap_in_use ();

  for (guint i = 0; i < n; i++)
    handles[i] = add_later (t, 3600.0 + (i % 1000) * 0.001, never_cb, &notified,
                            io_test_count_notify);
  peak = heap_in_use ();
  if (peak <= base)
    {
      io_test_skip ("mallinfo2() does not see this process's allocations "
                   "(valgrind or a sanitizer replaced malloc)");
      for (guint i = 0; i < n; i++)
        io_loop_remove_timeout (t->loop, handles[i]);
      g_free (handles);
      return;
    }

  /* Cancel from the middle of the heap, not just its top. */
  for (guint i = 1; i < n; i += 2)
    io_loop_remove_timeout (t->loop, handles[i]);
  for (guint i = 0; i < n; i += 2)
    io_loop_remove_timeout (t->loop, handles[i]);
  after = heap_in_use ();      /* no iteration: "at once" */

  g_assert_cmpint (notified, ==, n);
  g_assert_cmpint (io_loop_get_timeout_ms (t->loop), ==, -1);

  grown = peak - base;
  left = after > base ? after - base : 0;
  /* What may stay: the heap's array of (deadline, pointer) slots, grown by
   * doubling, and 1 MiB of allocator slack. */
  slots = (gsize) n * 2 * (sizeof (gint64) + sizeof (gpointer)) + 1024 * 1024;
  g_test_message ("%u pending timeouts: %.1f bytes each; after cancelling all: "
                  "%" G_GSIZE_FORMAT " bytes still in use (%.1f%% of the growth)",
                  n, grown / (gdouble) n, left, 100.0 * left / grown);
  g_assert_cmpfloat (grown / (gdouble) n, <, 512.0);
  g_assert_cmpuint (left, <=, slots);
  g_assert_cmpuint (left, <, grown / 2);
  g_free (handles);
#else
  io_test_skip ("needs glibc's mallinfo2()");
#endif
}

static void
test_timeout_churn_does_not_grow_memory (IoTest *t)
{
#ifdef HAVE_MALLINFO2
  guint n = io_test_scale (1000000);
  gsize base, after;
  IoTimeout *keep;

  if (!heap_in_use_works ())
    {
      io_test_skip ("mallinfo2() does not see this process's allocations "
                    "(valgrind or a sanitizer replaced malloc)");
      return;
    }
  keep = add_later (t, 7200, never_cb, NULL, NULL);

  /* Tornado's failure mode: cancelled timeouts stay in the heap as
   * garbage until they would have fired. */
  io_loop_remove_timeout (t->loop, add_later (t, 3600, never_cb, NULL, NULL));
  base = heap_in_use ();
  for (guint i = 0; i < n; i++)
    io_loop_remove_timeout (t->loop, add_later (t, 3600 + i * 1e-6, never_cb, NULL, NULL));
  after = heap_in_use ();
  g_test_message ("%u added and cancelled: %" G_GSSIZE_FORMAT " bytes more in use",
                  n, (gssize) (after - base));
  g_assert_cmpint ((gssize) (after - base), <, 1024 * 1024);
  io_loop_remove_timeout (t->loop, keep);
#else
  io_test_skip ("needs glibc's mallinfo2()");
#endif
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/timeout/due-timeouts-fire-in-deadline-order", test_due_timeouts_fire_in_deadline_order);
  io_test_add ("/timeout/future-timeouts-fire-in-deadline-order", test_future_timeouts_fire_in_deadline_order);
  io_test_add ("/timeout/equal-deadlines-fire-in-insertion-order", test_equal_deadlines_fire_in_insertion_order);
  io_test_add ("/timeout/equal-delays-fire-in-insertion-order", test_equal_delays_fire_in_insertion_order);
  io_test_add ("/timeout/call-later-fires-no-earlier-than-delay", test_call_later_fires_no_earlier_than_delay);
  io_test_add ("/timeout/add-timeout-fires-no-earlier-than-deadline", test_add_timeout_fires_no_earlier_than_deadline);
  io_test_add ("/timeout/negative-delay-fires-on-next-iteration", test_negative_delay_fires_on_next_iteration);
  io_test_add ("/timeout/is-pending-until-fired", test_is_pending_until_fired);
  io_test_add ("/timeout/is-a-boxed-type", test_timeout_is_a_boxed_type);
  io_test_add ("/timeout/get-timeout-ms-tracks-next-deadline", test_get_timeout_ms_tracks_next_deadline);

  io_test_add ("/timeout/removed-timeout-never-fires-and-notify-runs-at-once",
               test_removed_timeout_never_fires_and_notify_runs_at_once);
  io_test_add ("/timeout/remove-twice-is-harmless", test_remove_twice_is_harmless);
  io_test_add ("/timeout/remove-after-fired-is-harmless", test_remove_after_fired_is_harmless);
  io_test_add ("/timeout/remove-after-loop-closed-is-harmless", test_remove_after_loop_closed_is_harmless);
  io_test_add ("/timeout/timeout-outlives-finalized-loop", test_timeout_outlives_finalized_loop);
  io_test_add ("/timeout/due-timeout-removed-by-earlier-timeout-never-fires",
               test_due_timeout_removed_by_earlier_timeout_never_fires);
  io_test_add ("/timeout/timeout-removing-itself-gets-one-notify-after-return",
               test_timeout_removing_itself_gets_one_notify_after_return);

  io_test_add ("/timeout/non-finite-deadline-fails-with-invalid-argument",
               test_non_finite_deadline_fails_with_invalid_argument);
  io_test_add ("/timeout/null-func-is-a-programmer-error", test_null_func_is_a_programmer_error);

  io_test_add ("/timeout/due-timeout-added-by-timeout-waits-for-next-iteration",
               test_due_timeout_added_by_timeout_waits_for_next_iteration);
  io_test_add ("/timeout/self-readding-due-timeout-does-not-starve-io",
               test_self_readding_due_timeout_does_not_starve_io);

  io_test_add ("/timeout/wall-clock-step-is-seen-by-loop-time", test_wall_clock_step_is_seen_by_loop_time);
  io_test_add ("/timeout/wall-clock-step-forward-does-not-fire-pending-timeouts",
               test_wall_clock_step_forward_does_not_fire_pending_timeouts);
  io_test_add ("/timeout/wall-clock-step-backward-does-not-stall-pending-timeouts",
               test_wall_clock_step_backward_does_not_stall_pending_timeouts);

  io_test_add ("/timeout/million-cancelled-timeouts-free-memory-at-once",
               test_million_cancelled_timeouts_free_memory_at_once);
  io_test_add ("/timeout/timeout-churn-does-not-grow-memory", test_timeout_churn_does_not_grow_memory);

  return io_test_run ();
}
