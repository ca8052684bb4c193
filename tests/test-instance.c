/* test-instance.c: the global loop, and loops on several threads
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>

#include <unistd.h>

#include <gio/gio.h>

#include "io-test-util.h"

/* Every test here starts and ends without a global loop; the global loop
 * is created on t->backend through IOLOOP_BACKEND. */
static void
instance_setup (IoTest *t)
{
  io_loop_clear_instance ();
  g_assert_false (io_loop_initialized ());
  setenv ("IOLOOP_BACKEND", t->backend, 1);
}

static void
instance_teardown (void)
{
  unsetenv ("IOLOOP_BACKEND");
  io_loop_clear_instance ();
  g_assert_false (io_loop_initialized ());
}

/* A subclass, as a program that installs its own loop class would have. */
typedef struct { IoLoop parent; } TestLoop;
typedef struct { IoLoopClass parent_class; } TestLoopClass;
static GType test_loop_get_type (void);
G_DEFINE_TYPE (TestLoop, test_loop, IO_TYPE_LOOP)
static void test_loop_class_init (TestLoopClass *klass) { }
static void test_loop_init (TestLoop *self) { }

static IoLoop *
new_test_loop (const char *backend)
{
  GError *error = NULL;
  IoLoop *loop;

  loop = g_initable_new (test_loop_get_type (), NULL, &error, "backend", backend, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (io_loop_get_backend (loop), ==, backend);
  return loop;
}

static void
test_instance_is_created_on_demand (IoTest *t)
{
  IoLoop *global;

  instance_setup (t);
  global = io_loop_instance ();
  g_assert_nonnull (global);
  g_assert_true (IO_IS_LOOP (global));
  g_assert_true (io_loop_initialized ());
  g_assert_true (io_loop_instance () == global);
  g_assert_false (global == t->loop);
  instance_teardown ();
}

static void
test_instance_uses_ioloop_backend_env (IoTest *t)
{
  instance_setup (t);
  g_assert_cmpstr (io_loop_get_backend (io_loop_instance ()), ==, t->backend);
  instance_teardown ();
}

static void
test_install_makes_loop_the_instance (IoTest *t)
{
  GError *error = NULL;

  instance_setup (t);
  g_assert_true (io_loop_install (t->loop, &error));
  g_assert_no_error (error);
  g_assert_true (io_loop_initialized ());
  g_assert_true (io_loop_instance () == t->loop);
  instance_teardown ();
}

static void
test_install_keeps_its_own_reference (IoTest *t)
{
  GError *error = NULL;
  IoLoop *loop = io_loop_new_with_backend (t->backend, &error);
  gpointer weak = loop;

  instance_setup (t);
  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (loop), &weak);
  g_assert_true (io_loop_install (loop, &error));
  g_assert_no_error (error);
  g_object_unref (loop);
  g_assert_nonnull (weak);
  g_assert_true (io_loop_instance () == weak);

  /* ...and clearing drops it. */
  instance_teardown ();
  g_assert_null (weak);
}

static void
test_install_refused_when_one_exists (IoTest *t)
{
  GError *error = NULL;
  IoLoop *global;

  instance_setup (t);
  global = io_loop_instance ();
  g_assert_false (io_loop_install (t->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_ALREADY_INSTALLED);
  g_assert_true (io_loop_instance () == global);

  /* Installing the same loop again is refused too. */
  g_assert_false (io_loop_install (global, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_ALREADY_INSTALLED);
  instance_teardown ();
}

static void
test_clear_instance_drops_and_finalizes_it (IoTest *t)
{
  gpointer weak;

  instance_setup (t);
  weak = io_loop_instance ();
  g_object_add_weak_pointer (G_OBJECT (weak), &weak);
  io_loop_clear_instance ();
  g_assert_false (io_loop_initialized ());
  g_assert_null (weak);

  /* A new one is made on demand again; clearing twice is harmless. */
  g_assert_nonnull (io_loop_instance ());
  instance_teardown ();
  io_loop_clear_instance ();
}

static void
test_install_subclass_is_returned_by_instance (IoTest *t)
{
  GError *error = NULL;
  IoLoop *loop;

  instance_setup (t);
  loop = new_test_loop (t->backend);
  g_assert_true (io_loop_install (loop, &error));
  g_assert_no_error (error);
  g_object_unref (loop);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (io_loop_instance (), test_loop_get_type ()));
  instance_teardown ();
}

#define N_RACERS 8

typedef struct
{
  gint    ready;
  gint    go;
  IoLoop *seen[N_RACERS];
} Race;

typedef struct
{
  Race *race;
  int   index;
} Racer;

static gpointer
race_instance (gpointer data)
{
  Racer *racer = data;

  g_atomic_int_inc (&racer->race->ready);
  /* Yield while waiting rather than spin: a pure spin starves the thread
   * that is to set go wherever threads share fewer cores than there are
   * racers, and valgrind runs one thread at a time, handing its lock back
   * to the spinner over and over (the test then took minutes, or never
   * ended). With cores to spare, sched_yield() returns at once, so the
   * racers still call io_loop_instance() together. */
  while (!g_atomic_int_get (&racer->race->go))
    g_thread_yield ();
  racer->race->seen[racer->index] = io_loop_instance ();
  return NULL;
}

static void
test_concurrent_first_calls_return_one_instance (IoTest *t)
{
  /* Several rounds: the window for a double creation is small. */
  for (int round = 0; round < 20; round++)
    {
      Race race = { 0 };
      Racer racers[N_RACERS];
      GThread *threads[N_RACERS];

      instance_setup (t);
      for (int i = 0; i < N_RACERS; i++)
        {
          racers[i].race = &race;
          racers[i].index = i;
          threads[i] = g_thread_new ("racer", race_instance, &racers[i]);
        }
      while (g_atomic_int_get (&race.ready) < N_RACERS)
        g_thread_yield ();
      g_atomic_int_set (&race.go, 1);
      for (int i = 0; i < N_RACERS; i++)
        g_thread_join (threads[i]);

      g_assert_nonnull (race.seen[0]);
      for (int i = 1; i < N_RACERS; i++)
        g_assert_true (race.seen[i] == race.seen[0]);
      g_assert_true (io_loop_instance () == race.seen[0]);
      instance_teardown ();
    }
}

/* ---- one loop per thread ------------------------------------------------ */

#define N_LOOP_THREADS 4
#define N_PINGS 200

typedef struct
{
  const char *backend;
  gint       *ready;
  IoLoop     *loop;
  int         fds[2];
  gint        pings;
  gint        timeouts;
  gint        callbacks;
  gboolean    ok;
} LoopThread;

static void
ping_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  LoopThread *lt = data;

  g_assert_true (events & IO_EVENTS_READ);
  io_test_drain (fd);
  if (++lt->pings < N_PINGS)
    io_test_write_byte (lt->fds[1]);
  else if (lt->timeouts > 0)
    io_loop_stop (lt->loop);
}

static void
thread_timeout_cb (gpointer data, GError **error)
{
  LoopThread *lt = data;

  lt->timeouts++;
  if (lt->pings >= N_PINGS)
    io_loop_stop (lt->loop);
}

static gpointer
loop_thread (gpointer data)
{
  LoopThread *lt = data;
  GError *error = NULL;

  lt->loop = io_loop_new_with_backend (lt->backend, &error);
  g_assert_no_error (error);
  io_test_socketpair (lt->fds);
  g_assert_true (io_loop_add_handler (lt->loop, lt->fds[0], IO_EVENTS_READ,
                                      ping_handler, lt, NULL, &error));
  g_assert_nonnull (io_loop_call_later (lt->loop, 0.01, thread_timeout_cb, lt, NULL, &error));
  io_loop_add_callback (lt->loop, io_test_count_cb, &lt->callbacks, NULL);
  g_assert_no_error (error);

  /* Start all the loops at about the same time. */
  g_atomic_int_inc (lt->ready);
  while (g_atomic_int_get (lt->ready) < N_LOOP_THREADS)
    g_thread_yield ();

  io_test_write_byte (lt->fds[1]);
  lt->ok = io_loop_start (lt->loop, &error);
  g_assert_no_error (error);

  io_loop_close (lt->loop, TRUE);
  close (lt->fds[1]);
  g_object_unref (lt->loop);
  return NULL;
}

static void
test_one_loop_per_thread_run_at_once (IoTest *t)
{
  LoopThread lts[N_LOOP_THREADS] = { { 0 } };
  GThread *threads[N_LOOP_THREADS];
  gint ready = 0;

  for (int i = 0; i < N_LOOP_THREADS; i++)
    {
      lts[i].backend = t->backend;
      lts[i].ready = &ready;
      threads[i] = g_thread_new ("loop", loop_thread, &lts[i]);
    }
  for (int i = 0; i < N_LOOP_THREADS; i++)
    g_thread_join (threads[i]);

  for (int i = 0; i < N_LOOP_THREADS; i++)
    {
      g_assert_true (lts[i].ok);
      g_assert_cmpint (lts[i].pings, ==, N_PINGS);
      g_assert_cmpint (lts[i].timeouts, ==, 1);
      g_assert_cmpint (lts[i].callbacks, ==, 1);
    }
  /* The threads' loops are not the global one. */
  g_assert_false (io_loop_initialized ());
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/instance/is-created-on-demand", test_instance_is_created_on_demand);
  io_test_add ("/instance/uses-ioloop-backend-env", test_instance_uses_ioloop_backend_env);
  io_test_add ("/instance/install-makes-loop-the-instance", test_install_makes_loop_the_instance);
  io_test_add ("/instance/install-keeps-its-own-reference", test_install_keeps_its_own_reference);
  io_test_add ("/instance/install-refused-when-one-exists", test_install_refused_when_one_exists);
  io_test_add ("/instance/clear-drops-and-finalizes-it", test_clear_instance_drops_and_finalizes_it);
  io_test_add ("/instance/install-subclass-is-returned-by-instance", test_install_subclass_is_returned_by_instance);
  io_test_add ("/instance/concurrent-first-calls-return-one-instance", test_concurrent_first_calls_return_one_instance);
  io_test_add ("/instance/one-loop-per-thread-run-at-once", test_one_loop_per_thread_run_at_once);

  return io_test_run ();
}
