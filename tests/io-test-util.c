/* io-test-util.c: per-backend registration, watchdog, small helpers
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "io-test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>
#if defined (__has_include)
#  if __has_include (<valgrind/valgrind.h>)
#    include <valgrind/valgrind.h>
#  endif
#endif

/* ---- watchdog ----------------------------------------------------------
 * A thread that ends the program if one test runs for longer than
 * WATCHDOG_SECONDS (times IO_TEST_TIMEOUT_SCALE): a hang becomes a failure
 * that names the test. It blocks every signal, so that SIGALRM and SIGUSR1
 * tests see their signals on the threads they mean. */

#define WATCHDOG_SECONDS 120

static GMutex  watchdog_lock;
static GCond   watchdog_cond;
static gint64  watchdog_deadline;      /* monotonic µs; 0 while idle */
static char   *watchdog_test;

static gdouble
timeout_scale (void)
{
  const char *s = g_getenv ("IO_TEST_TIMEOUT_SCALE");
  gdouble scale = s != NULL ? g_ascii_strtod (s, NULL) : 1.0;

  return scale >= 1.0 ? scale : 1.0;
}

/* The whole-program alarm of the programs that test internals without a
 * loop (io_test_alarm_program()): its message is made before the alarm,
 * since the handler may only write(). */
static char alarm_message[256];

static void
alarm_fired (int sig)
{
  (void) !write (STDOUT_FILENO, alarm_message, strlen (alarm_message));
  _exit (1);
}

void
io_test_alarm_program (const char *program,
                       guint       seconds)
{
  g_snprintf (alarm_message, sizeof alarm_message,
              "Bail out! %s did not finish in time (watchdog)\n", program);
  signal (SIGALRM, alarm_fired);
  alarm ((guint) (seconds * timeout_scale ()));
}

static gpointer
watchdog_thread (gpointer data)
{
  g_mutex_lock (&watchdog_lock);
  for (;;)
    {
      if (watchdog_deadline == 0)
        g_cond_wait (&watchdog_cond, &watchdog_lock);
      else if (!g_cond_wait_until (&watchdog_cond, &watchdog_lock, watchdog_deadline)
               && watchdog_deadline != 0
               && g_get_monotonic_time () >= watchdog_deadline)
        {
          /* TAP: the driver reports this line as an error. */
          printf ("Bail out! %s did not finish within %d s (watchdog)\n",
                  watchdog_test, (int) (WATCHDOG_SECONDS * timeout_scale ()));
          fflush (stdout);
          _exit (99);
        }
    }
  return NULL;
}

static void
watchdog_start (void)
{
  sigset_t all, old;

  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  g_thread_unref (g_thread_new ("io-test-watchdog", watchdog_thread, NULL));
  pthread_sigmask (SIG_SETMASK, &old, NULL);
}

static void
watchdog_arm (const char *test)
{
  g_mutex_lock (&watchdog_lock);
  g_free (watchdog_test);
  watchdog_test = g_strdup (test);
  watchdog_deadline = g_get_monotonic_time ()
    + (gint64) (WATCHDOG_SECONDS * timeout_scale () * G_USEC_PER_SEC);
  g_cond_signal (&watchdog_cond);
  g_mutex_unlock (&watchdog_lock);
}

static void
watchdog_disarm (void)
{
  g_mutex_lock (&watchdog_lock);
  watchdog_deadline = 0;
  g_clear_pointer (&watchdog_test, g_free);
  g_cond_signal (&watchdog_cond);
  g_mutex_unlock (&watchdog_lock);
}

/* ---- registration ------------------------------------------------------ */

typedef struct
{
  char       *backend;
  char       *path;
  IoTestFunc  func;
} IoTestCase;

static GPtrArray *all_cases;

static void
io_test_case_free (gpointer data)
{
  IoTestCase *tc = data;

  g_free (tc->backend);
  g_free (tc->path);
  g_free (tc);
}

/* ---- one subprocess per test --------------------------------------------
 * By default every test runs in a child process (g_test_trap_subprocess):
 * a crash, an abort or a hang fails that test only, and the others still
 * run and report. IO_TEST_IN_PROCESS=1 (set automatically under valgrind)
 * runs them in this process instead. A child reports a skip through the
 * file named by IO_TEST_RESULT_FILE. */

gboolean
io_test_under_valgrind (void)
{
#ifdef RUNNING_ON_VALGRIND
  if (RUNNING_ON_VALGRIND)
    return TRUE;
#endif
  return g_getenv ("IO_TEST_VALGRIND") != NULL;
}

void
io_test_forked_child (void)
{
#if defined (RUNNING_ON_VALGRIND) && defined (VALGRIND_CLO_CHANGE)
  if (RUNNING_ON_VALGRIND)
    VALGRIND_CLO_CHANGE ("--leak-check=no");
#endif
}

static gboolean
use_subprocesses (void)
{
  if (io_test_under_valgrind ())
    return FALSE;
  return g_getenv ("IO_TEST_IN_PROCESS") == NULL;
}

static void
run_in_subprocess (const IoTestCase *tc)
{
  const char *result_file = g_getenv ("IO_TEST_RESULT_FILE");
  guint64 limit = (guint64) ((WATCHDOG_SECONDS + 10) * timeout_scale () * G_USEC_PER_SEC);
  char *skipped = NULL;

  g_assert_nonnull (result_file);
  g_assert_true (g_file_set_contents (result_file, "", 0, NULL));
  g_test_trap_subprocess (NULL, limit, G_TEST_SUBPROCESS_INHERIT_STDERR);

  /* A skipped child exits with 77, which is not "passed". */
  if (g_file_get_contents (result_file, &skipped, NULL, NULL) && skipped[0] != '\0')
    g_test_skip (skipped);
  else if (g_test_trap_has_passed ())
    ;
  else if (g_test_trap_reached_timeout ())
    g_test_fail_printf ("%s: killed after %" G_GUINT64_FORMAT " s", tc->path,
                        limit / G_USEC_PER_SEC);
  else
    g_test_fail_printf ("%s: failed in its subprocess (its messages are above)", tc->path);
  g_free (skipped);
}

void
io_test_skip (const char *reason)
{
  const char *result_file = g_getenv ("IO_TEST_RESULT_FILE");

  if (g_test_subprocess () && result_file != NULL)
    g_file_set_contents (result_file, reason, -1, NULL);
  g_test_skip (reason);
}

static void
io_test_case_run (gconstpointer data)
{
  const IoTestCase *tc = data;
  IoTest t = { tc->backend, NULL };
  GError *error = NULL;

  if (use_subprocesses () && !g_test_subprocess ())
    {
      run_in_subprocess (tc);
      return;
    }

  watchdog_arm (tc->path);

  t.loop = io_loop_new_with_backend (tc->backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t.loop);
  g_assert_cmpstr (io_loop_get_backend (t.loop), ==, tc->backend);

  tc->func (&t);

  if (t.loop != NULL)
    {
      gpointer weak = t.loop;

      /* Nothing the library keeps may hold the loop alive. */
      g_object_add_weak_pointer (G_OBJECT (t.loop), &weak);
      g_object_unref (t.loop);
      if (weak != NULL)
        g_error ("%s: the loop was not finalized by its last known unref", tc->path);
    }

  watchdog_disarm ();
}

static void
add_case (const char *backend,
          const char *path,
          IoTestFunc  func)
{
  IoTestCase *tc = g_new0 (IoTestCase, 1);

  g_assert (path[0] == '/');
  tc->backend = g_strdup (backend);
  tc->path = g_strdup_printf ("/%s%s", backend, path);
  tc->func = func;
  /* Freed by io_test_run(): GTest does not free the data of tests it
   * skipped (-s). */
  if (all_cases == NULL)
    all_cases = g_ptr_array_new_with_free_func (io_test_case_free);
  g_ptr_array_add (all_cases, tc);
  g_test_add_data_func (tc->path, tc, io_test_case_run);
}

void
io_test_add (const char *path,
             IoTestFunc  func)
{
  const char **backends = io_loop_list_backends ();

  for (gsize i = 0; backends[i] != NULL; i++)
    add_case (backends[i], path, func);
}

void
io_test_add_only (const char *backend,
                  const char *path,
                  IoTestFunc  func)
{
  const char **backends = io_loop_list_backends ();

  for (gsize i = 0; backends[i] != NULL; i++)
    if (strcmp (backends[i], backend) == 0)
      add_case (backends[i], path, func);
}

void
io_test_add_except (const char *backend,
                    const char *path,
                    IoTestFunc  func)
{
  const char **backends = io_loop_list_backends ();

  for (gsize i = 0; backends[i] != NULL; i++)
    if (strcmp (backends[i], backend) != 0)
      add_case (backends[i], path, func);
}

static char *result_file_owned;
static char **args;
static char *program_path;

const char *
io_test_get_program (void)
{
  if (program_path != NULL && strchr (program_path, '/') != NULL)
    return program_path;
  return "/proc/self/exe";
}

void
io_test_init (int    *argc,
              char ***argv)
{
  /* --keep-going: a failed test must not hide the results of the next
   * ones (each runs in its own subprocess anyway). */
  int n = *argc;

  program_path = g_strdup ((*argv)[0]);
  args = g_new0 (char *, n + 2);
  memcpy (args, *argv, n * sizeof (char *));
  args[n++] = (char *) "--keep-going";
  *argc = n;
  *argv = args;

  g_test_init (argc, argv, NULL);
  /* Peers close sockets in several tests: EPIPE, not death. */
  signal (SIGPIPE, SIG_IGN);

  /* Before any thread exists: setenv() is not thread-safe. */
  if (!g_test_subprocess () && use_subprocesses ())
    {
      GError *error = NULL;
      int fd = g_file_open_tmp ("ioloop-test-result-XXXXXX", &result_file_owned, &error);

      g_assert_no_error (error);
      close (fd);
      setenv ("IO_TEST_RESULT_FILE", result_file_owned, 1);
    }
  watchdog_start ();
}

int
io_test_run (void)
{
  int status = g_test_run ();

  if (result_file_owned != NULL)
    {
      g_unlink (result_file_owned);
      g_clear_pointer (&result_file_owned, g_free);
    }
  g_clear_pointer (&all_cases, g_ptr_array_unref);
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&program_path, g_free);
  return status;
}

/* ---- running loops ----------------------------------------------------- */

typedef struct
{
  IoLoop   *loop;
  gboolean  fired;
} Guard;

static void
guard_cb (gpointer  data,
          GError  **error)
{
  Guard *guard = data;

  guard->fired = TRUE;
  io_loop_stop (guard->loop);
}

static IoTimeout *
guard_add (IoTest  *t,
           Guard   *guard,
           gdouble  max_seconds)
{
  GError *error = NULL;
  IoTimeout *timeout;

  guard->loop = t->loop;
  guard->fired = FALSE;
  timeout = io_loop_call_later (t->loop, max_seconds * timeout_scale (),
                                guard_cb, guard, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (timeout);
  return io_timeout_ref (timeout);
}

static void
guard_remove (IoTest     *t,
              Guard      *guard,
              IoTimeout  *timeout,
              gdouble     max_seconds)
{
  io_loop_remove_timeout (t->loop, timeout);
  io_timeout_unref (timeout);
  if (guard->fired)
    g_error ("the loop did not stop within %g s", max_seconds * timeout_scale ());
}

void
io_test_run_loop (IoTest  *t,
                  gdouble  max_seconds)
{
  GError *error = NULL;
  Guard guard;
  IoTimeout *timeout = guard_add (t, &guard, max_seconds);
  gboolean ok;

  ok = io_loop_start (t->loop, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_false (io_loop_is_running (t->loop));
  guard_remove (t, &guard, timeout, max_seconds);
}

/* A timeout that re-adds itself every few milliseconds while a test waits
 * in io_test_iterate_until(): a blocking iteration that ran what the test
 * waits for would otherwise go on to sleep until the next deadline. */
typedef struct
{
  IoLoop    *loop;
  IoTimeout *timeout;
} Ticker;

static void
ticker_cb (gpointer  data,
           GError  **error)
{
  Ticker *ticker = data;

  io_timeout_unref (ticker->timeout);
  ticker->timeout = io_timeout_ref (io_loop_call_later (ticker->loop, 0.005, ticker_cb,
                                                        ticker, NULL, NULL));
}

void
io_test_iterate_until (IoTest     *t,
                       const gint *flag,
                       gdouble     max_seconds)
{
  Guard guard;
  IoTimeout *timeout = guard_add (t, &guard, max_seconds);
  Ticker ticker = { t->loop, NULL };

  ticker.timeout = io_timeout_ref (io_loop_call_later (t->loop, 0.005, ticker_cb, &ticker,
                                                       NULL, NULL));
  while (!g_atomic_int_get (flag) && !guard.fired)
    {
      GError *error = NULL;

      io_loop_iteration (t->loop, TRUE, &error);
      g_assert_no_error (error);
    }
  io_loop_remove_timeout (t->loop, ticker.timeout);
  io_timeout_unref (ticker.timeout);
  guard_remove (t, &guard, timeout, max_seconds);
}

gboolean
io_test_iterate (IoTest *t)
{
  GError *error = NULL;
  gboolean dispatched = io_loop_iteration (t->loop, FALSE, &error);

  g_assert_no_error (error);
  return dispatched;
}

guint
io_test_scale (guint n)
{
  if (g_getenv ("IO_TEST_QUICK") == NULL)
    return n;
  return MAX (n / 50, MIN (n, 1000));
}

/* ---- fds --------------------------------------------------------------- */

void
io_test_socketpair (int fds[2])
{
  int r = socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);

  g_assert_cmpint (r, ==, 0);
}

void
io_test_write_byte (int fd)
{
  ssize_t r;

  do
    r = write (fd, "x", 1);
  while (r < 0 && errno == EINTR);
  g_assert_cmpint (r, ==, 1);
}

gsize
io_test_drain (int fd)
{
  char buf[4096];
  gsize total = 0;

  for (;;)
    {
      ssize_t r = read (fd, buf, sizeof buf);

      if (r > 0)
        total += r;
      else if (r < 0 && errno == EINTR)
        continue;
      else
        return total;
    }
}

gboolean
io_test_fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0 || errno != EBADF;
}

guint
io_test_count_open_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir != NULL)
    {
      while (g_dir_read_name (dir) != NULL)
        n++;
      g_dir_close (dir);
      return n - 1;             /* the directory's own fd */
    }
  for (int fd = 0; fd < 65536; fd++)
    if (io_test_fd_is_open (fd))
      n++;
  return n;
}

static int
highest_open_fd (void)
{
  struct rlimit rl;
  int fd, top;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 : (int) rl.rlim_cur;
  for (fd = top - 1; fd >= 0; fd--)
    if (io_test_fd_is_open (fd))
      return fd;
  return -1;
}

gboolean
io_test_fd_limit_reach (IoTestFdLimit *limit)
{
  struct rlimit rl;
  guint64 saved;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  saved = rl.rlim_cur;
  /* Headroom for a few fds, so that filling costs little. */
  rl.rlim_cur = highest_open_fd () + 1 + 8;
  if (rl.rlim_cur > saved || setrlimit (RLIMIT_NOFILE, &rl) != 0)
    return FALSE;

  limit->saved_cur = saved;
  limit->fillers = g_array_new (FALSE, FALSE, sizeof (int));
  for (;;)
    {
      int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

      if (fd < 0)
        {
          g_assert_cmpint (errno, ==, EMFILE);
          break;
        }
      g_array_append_val (limit->fillers, fd);
    }
  return TRUE;
}

void
io_test_fd_limit_free_one (IoTestFdLimit *limit)
{
  g_assert_cmpuint (limit->fillers->len, >, 0);
  close (g_array_index (limit->fillers, int, limit->fillers->len - 1));
  g_array_set_size (limit->fillers, limit->fillers->len - 1);
}

void
io_test_fd_limit_restore (IoTestFdLimit *limit)
{
  struct rlimit rl;

  while (limit->fillers->len > 0)
    io_test_fd_limit_free_one (limit);
  g_clear_pointer (&limit->fillers, g_array_unref);
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  rl.rlim_cur = limit->saved_cur;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);
}

/* ---- time -------------------------------------------------------------- */

gdouble
io_test_now (void)
{
  return g_get_monotonic_time () / (gdouble) G_USEC_PER_SEC;
}

void
io_test_busy_wait (gdouble seconds)
{
  gdouble end = io_test_now () + seconds;

  while (io_test_now () < end)
    ;
}

/* ---- counting callbacks ------------------------------------------------ */

void
io_test_count_notify (gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
}

void
io_test_stop_cb (gpointer   loop,
                 GError   **error)
{
  io_loop_stop (loop);
}

void
io_test_count_cb (gpointer   counter,
                  GError   **error)
{
  g_atomic_int_inc ((gint *) counter);
}

void
io_test_counts_cb (gpointer   counts,
                   GError   **error)
{
  g_atomic_int_inc (&((IoTestCounts *) counts)->runs);
}

void
io_test_counts_notify (gpointer counts)
{
  g_atomic_int_inc (&((IoTestCounts *) counts)->notifies);
}
