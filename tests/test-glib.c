/* test-glib.c: an IoLoop driven by a GMainContext, and a GMainContext
 * driven by an IoLoop, up to GDBus on a private bus next to a TCP server
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The D-Bus tests start their own bus: `dbus-daemon --session --nofork`,
 * a child of the test that dies with it (not GTestDBus, whose watcher
 * process is a fork() of the test without exec, unsafe in threaded
 * programs). They are skipped if dbus-daemon is missing.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "io-test-util.h"

static GSubprocess *bus_process;
static char *bus_address;

/* ---- helpers ----------------------------------------------------------- */

static gdouble
scaled (gdouble seconds)
{
  const char *s = g_getenv ("IO_TEST_TIMEOUT_SCALE");
  gdouble scale = s != NULL ? g_ascii_strtod (s, NULL) : 1.0;

  return seconds * MAX (scale, 1.0);
}

static gboolean
set_flag_source (gpointer data)
{
  g_atomic_int_set ((gint *) data, 1);
  return G_SOURCE_REMOVE;
}

static void
set_flag_cb (gpointer data, GError **error)
{
  g_atomic_int_set ((gint *) data, 1);
}

/* Iterates @context (blocking) until *@flag is set; fails after
 * @max_seconds. Returns the number of iterations. */
static guint
iterate_context_until (GMainContext *context,
                       const gint   *flag,
                       gdouble       max_seconds)
{
  gint expired = 0;
  GSource *guard = g_timeout_source_new ((guint) (scaled (max_seconds) * 1000));
  guint n = 0;

  g_source_set_callback (guard, set_flag_source, &expired, NULL);
  g_source_attach (guard, context);
  while (!g_atomic_int_get (flag))
    {
      if (g_atomic_int_get (&expired))
        g_error ("nothing happened within %g s", scaled (max_seconds));
      g_main_context_iteration (context, TRUE);
      n++;
    }
  g_source_destroy (guard);
  g_source_unref (guard);
  return n;
}

static guint
attach (IoTest *t, GMainContext *context)
{
  GError *error = NULL;
  guint id = io_loop_attach (t->loop, context, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

static void
host (IoTest *t, GMainContext *context)
{
  GError *error = NULL;

  g_assert_true (io_loop_add_main_context (t->loop, context, &error));
  g_assert_no_error (error);
}

/* A handler that drains its fd and sets a flag. */
typedef struct
{
  gint     calls;
  gint     flag;
  IoLoop  *stop;
} Ready;

static void
ready_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Ready *ready = data;

  ready->calls++;
  io_test_drain (fd);
  g_atomic_int_set (&ready->flag, 1);
  if (ready->stop != NULL)
    io_loop_stop (ready->stop);
}

static void
add_ready (IoTest *t, int fd, Ready *ready)
{
  GError *error = NULL;

  g_assert_true (io_loop_add_handler (t->loop, fd, IO_EVENTS_READ, ready_handler, ready,
                                      NULL, &error));
  g_assert_no_error (error);
}

/* ---- an ioloop TCP echo server ------------------------------------------- */

typedef struct
{
  IoLoop  *loop;
  int      listen_fd;
  int      port;
  GArray  *clients;
  GThread *thread;          /* where the handlers ran */
  gint     echoed;
} EchoServer;

static void
echo_client_ready (int fd, IoEvents events, gpointer data, GError **error)
{
  EchoServer *server = data;
  char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf);

  server->thread = g_thread_self ();
  if (n > 0)
    {
      g_assert_cmpint (write (fd, buf, n), ==, n);
      g_atomic_int_add (&server->echoed, (gint) n);
    }
  else if (n == 0 || (errno != EAGAIN && errno != EINTR))
    io_loop_remove_handler (server->loop, fd, NULL);
}

static void
echo_accept (int fd, IoEvents events, gpointer data, GError **error)
{
  EchoServer *server = data;
  int client = accept (fd, NULL, NULL);

  if (client < 0)
    return;
  g_assert_true (g_unix_set_fd_nonblocking (client, TRUE, NULL));
  g_array_append_val (server->clients, client);
  g_assert_true (io_loop_add_handler (server->loop, client, IO_EVENTS_READ, echo_client_ready,
                                      server, NULL, error));
}

static void
echo_server_start (EchoServer *server, IoLoop *loop)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  GError *error = NULL;

  server->loop = loop;
  server->clients = g_array_new (FALSE, FALSE, sizeof (int));
  server->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert_cmpint (server->listen_fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (server->listen_fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (server->listen_fd, 16), ==, 0);
  g_assert_cmpint (getsockname (server->listen_fd, (struct sockaddr *) &addr, &len), ==, 0);
  server->port = ntohs (addr.sin_port);
  g_assert_true (io_loop_add_handler (loop, server->listen_fd, IO_EVENTS_READ, echo_accept,
                                      server, NULL, &error));
  g_assert_no_error (error);
}

static void
echo_server_stop (EchoServer *server)
{
  for (guint i = 0; i < server->clients->len; i++)
    {
      int fd = g_array_index (server->clients, int, i);

      io_loop_remove_handler (server->loop, fd, NULL);
      close (fd);
    }
  g_array_unref (server->clients);
  io_loop_remove_handler (server->loop, server->listen_fd, NULL);
  close (server->listen_fd);
}

/* A blocking TCP client, for other threads: echoes @text once. */
static void
tcp_echo (int port, const char *text)
{
  struct sockaddr_in addr = { 0 };
  size_t len = strlen (text), got = 0;
  char buf[256];
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons (port);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (write (fd, text, len), ==, (ssize_t) len);
  while (got < len)
    {
      ssize_t n = read (fd, buf + got, sizeof buf - got);

      g_assert_cmpint (n, >, 0);
      got += n;
    }
  g_assert_cmpmem (buf, got, text, len);
  close (fd);
}

/* ==== ioloop inside GLib: io_loop_attach() ================================ */

static void
test_attach_handler_runs_under_g_main_context (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  Ready ready = { 0 };
  int fds[2];

  io_test_socketpair (fds);
  add_ready (t, fds[0], &ready);
  attach (t, context);
  io_test_write_byte (fds[1]);
  iterate_context_until (context, &ready.flag, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ready.calls, ==, 1);

  g_assert_true (io_loop_detach (t->loop));
  g_assert_false (io_loop_detach (t->loop));
  close (fds[0]);
  close (fds[1]);
  g_main_context_unref (context);
}

static void
test_attach_handler_added_later_is_polled (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  Ready ready = { 0 };
  int fds[2];

  attach (t, context);
  g_main_context_iteration (context, FALSE);
  /* Added between two iterations of the context, as from a GLib
   * callback: the next one must poll it. */
  io_test_socketpair (fds);
  io_test_write_byte (fds[1]);
  add_ready (t, fds[0], &ready);
  iterate_context_until (context, &ready.flag, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (ready.calls, ==, 1);

  io_loop_detach (t->loop);
  close (fds[0]);
  close (fds[1]);
  g_main_context_unref (context);
}

typedef struct
{
  gint    fired;
  gdouble when;
} Fired;

static void
fired_cb (gpointer data, GError **error)
{
  Fired *fired = data;

  fired->when = io_test_now ();
  g_atomic_int_set (&fired->fired, 1);
}

static void
test_attach_timeout_fires_on_time_without_spinning (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  GError *error = NULL;
  Fired fired = { 0 };
  int fds[2];
  Ready idle = { 0 };
  gdouble start;
  guint n;

  /* An fd that never becomes ready must not make the context spin. */
  io_test_socketpair (fds);
  add_ready (t, fds[0], &idle);
  attach (t, context);
  g_main_context_iteration (context, FALSE);

  start = io_test_now ();
  g_assert_nonnull (io_loop_call_later (t->loop, 0.3, fired_cb, &fired, NULL, &error));
  g_assert_no_error (error);
  n = iterate_context_until (context, &fired.fired, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpfloat (fired.when - start, >=, 0.3);
  g_assert_cmpfloat (fired.when - start, <, 0.3 + scaled (0.1));
  /* One blocking iteration, give or take one. */
  g_assert_cmpuint (n, <=, 3);
  g_assert_cmpint (idle.calls, ==, 0);

  io_loop_detach (t->loop);
  close (fds[0]);
  close (fds[1]);
  g_main_context_unref (context);
}

typedef struct
{
  IoLoop  *loop;
  gint     flag;
  gdouble  sent;
} CrossThread;

static gpointer
add_callback_later (gpointer data)
{
  CrossThread *ct = data;

  g_usleep (50000);
  ct->sent = io_test_now ();
  io_loop_add_callback (ct->loop, set_flag_cb, &ct->flag, NULL);
  return NULL;
}

static void
test_attach_callback_from_other_thread_wakes_context (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  CrossThread ct = { t->loop };
  GThread *thread;
  guint n;

  attach (t, context);
  g_main_context_iteration (context, FALSE);
  thread = g_thread_new ("adder", add_callback_later, &ct);
  n = iterate_context_until (context, &ct.flag, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpfloat (io_test_now () - ct.sent, <, scaled (1.0));
  g_assert_cmpuint (n, <=, 3);
  g_thread_join (thread);

  io_loop_detach (t->loop);
  g_main_context_unref (context);
}

static void
detach_cb (gpointer data, GError **error)
{
  IoLoop *loop = data;

  g_assert_true (io_loop_detach (loop));
}

static void
test_attach_detach_from_own_callback (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  gint ran = 0;
  guint id;

  id = attach (t, context);
  io_loop_add_callback (t->loop, detach_cb, t->loop, NULL);
  io_loop_add_callback (t->loop, set_flag_cb, &ran, NULL);
  iterate_context_until (context, &ran, IO_TEST_LOOP_TIMEOUT);
  g_main_context_iteration (context, FALSE);
  g_assert_null (g_main_context_find_source_by_id (context, id));
  g_main_context_unref (context);
}

static void
close_cb (gpointer data, GError **error)
{
  io_loop_close (data, FALSE);
}

static void
test_attach_closing_loop_removes_source (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  guint id;

  id = attach (t, context);
  io_loop_add_callback (t->loop, close_cb, t->loop, NULL);
  for (int i = 0; i < 5 && g_main_context_find_source_by_id (context, id) != NULL; i++)
    g_main_context_iteration (context, FALSE);
  g_assert_null (g_main_context_find_source_by_id (context, id));
  g_assert_true (io_loop_is_closed (t->loop));
  g_main_context_unref (context);
}

static void
test_attach_twice_fails_with_exists (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  GError *error = NULL;

  attach (t, context);
  g_assert_cmpuint (io_loop_attach (t->loop, context, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
  g_assert_cmpuint (io_loop_attach (t->loop, NULL, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
  /* Driving and hosting one context at once makes no sense. */
  g_assert_false (io_loop_add_main_context (t->loop, context, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
  io_loop_detach (t->loop);
  g_main_context_unref (context);
}

static void
try_attach_cb (gpointer data, GError **error)
{
  GError **out = data;

  g_assert_cmpuint (io_loop_attach (io_loop_instance (), NULL, out), ==, 0);
}

static void
test_attach_while_running_fails_with_running (IoTest *t)
{
  GError *error = NULL;

  io_loop_clear_instance ();
  g_assert_true (io_loop_install (t->loop, &error));
  io_loop_add_callback (t->loop, try_attach_cb, &error, NULL);
  io_loop_add_callback (t->loop, io_test_stop_cb, t->loop, NULL);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  io_test_assert_error (error, IO_LOOP_ERROR_RUNNING);
  io_loop_clear_instance ();
}

static void
test_attach_closed_loop_fails_with_closed (IoTest *t)
{
  GError *error = NULL;

  io_loop_close (t->loop, FALSE);
  g_assert_cmpuint (io_loop_attach (t->loop, NULL, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
  g_assert_false (io_loop_add_main_context (t->loop, NULL, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_CLOSED);
}

/* ==== GLib inside ioloop: io_loop_add_main_context() ===================== */

typedef struct
{
  IoLoop  *loop;
  gint     calls;
  gdouble  when;
} Stopper;

static gboolean
stopper_source (gpointer data)
{
  Stopper *s = data;

  s->calls++;
  s->when = io_test_now ();
  io_loop_stop (s->loop);
  return G_SOURCE_REMOVE;
}

static void
test_host_g_timeout_fires_on_time_during_start (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  Stopper s = { t->loop };
  GSource *source = g_timeout_source_new (200);
  gdouble start = io_test_now ();

  host (t, context);
  g_source_set_callback (source, stopper_source, &s, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (s.calls, ==, 1);
  g_assert_cmpfloat (s.when - start, >=, 0.2);
  g_assert_cmpfloat (s.when - start, <, 0.2 + scaled (0.1));
  g_assert_true (io_loop_remove_main_context (t->loop, context));
  g_assert_false (io_loop_remove_main_context (t->loop, context));
  g_main_context_unref (context);
}

static void
test_host_default_context_runs_g_idle_add (IoTest *t)
{
  Stopper s = { t->loop };

  host (t, NULL);
  g_idle_add (stopper_source, &s);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (s.calls, ==, 1);
  g_assert_true (io_loop_remove_main_context (t->loop, NULL));
}

static void
test_host_idle_loop_does_not_spin (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  GSource *source = g_timeout_source_new (300);
  gint fired = 0;
  guint n = 0;

  host (t, context);
  g_source_set_callback (source, set_flag_source, &fired, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
  while (!fired && n < 100)
    {
      GError *error = NULL;

      io_loop_iteration (t->loop, TRUE, &error);
      g_assert_no_error (error);
      n++;
    }
  g_assert_true (fired);
  g_assert_cmpuint (n, <=, 3);
  io_loop_remove_main_context (t->loop, context);
  g_main_context_unref (context);
}

typedef struct
{
  GMainContext *context;
  Stopper      *stopper;
  gdouble       sent;
} Attacher;

static gpointer
attach_idle_later (gpointer data)
{
  Attacher *a = data;
  GSource *source = g_idle_source_new ();

  g_usleep (50000);
  a->sent = io_test_now ();
  g_source_set_callback (source, stopper_source, a->stopper, NULL);
  g_source_attach (source, a->context);
  g_source_unref (source);
  return NULL;
}

static void
test_host_source_from_other_thread_wakes_loop (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  Stopper s = { t->loop };
  Attacher a = { context, &s };
  GThread *thread;

  host (t, context);
  thread = g_thread_new ("attacher", attach_idle_later, &a);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);
  g_assert_cmpint (s.calls, ==, 1);
  g_assert_cmpfloat (s.when - a.sent, <, scaled (1.0));
  io_loop_remove_main_context (t->loop, context);
  g_main_context_unref (context);
}

typedef struct
{
  IoLoop       *loop;
  GMainContext *context;
  int           fds[2];
  gint          first;
  gint          second;
  gboolean      reused;
} Reuse;

static gboolean
reuse_second (gint fd, GIOCondition condition, gpointer data)
{
  Reuse *r = data;

  r->second++;
  io_test_drain (fd);
  io_loop_stop (r->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
reuse_first (gint fd, GIOCondition condition, gpointer data)
{
  Reuse *r = data;
  int old[2] = { r->fds[0], r->fds[1] };
  GSource *source;

  r->first++;
  /* Close the fd and open a new file with the same number, watched for
   * the same events, all before the loop polls again. */
  close (r->fds[0]);
  close (r->fds[1]);
  io_test_socketpair (r->fds);
  r->reused = r->fds[0] == old[0];
  source = g_unix_fd_source_new (r->fds[0], G_IO_IN);
  g_source_set_callback (source, G_SOURCE_FUNC (reuse_second), r, NULL);
  g_source_attach (source, r->context);
  g_source_unref (source);
  io_test_write_byte (r->fds[1]);
  return G_SOURCE_REMOVE;
}

static void
test_host_fd_closed_and_reused_between_iterations_is_polled (IoTest *t)
{
  Reuse r = { t->loop, g_main_context_new () };
  GSource *source;

  host (t, r.context);
  io_test_socketpair (r.fds);
  source = g_unix_fd_source_new (r.fds[0], G_IO_IN);
  g_source_set_callback (source, G_SOURCE_FUNC (reuse_first), &r, NULL);
  g_source_attach (source, r.context);
  g_source_unref (source);
  io_test_write_byte (r.fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (r.first, ==, 1);
  g_assert_cmpint (r.second, ==, 1);
  if (!r.reused)
    g_test_message ("the fd number was not reused: the test proves less");
  close (r.fds[0]);
  close (r.fds[1]);
  io_loop_remove_main_context (t->loop, r.context);
  g_main_context_unref (r.context);
}

/* The first dispatch puts a regular file under the watched fd number,
 * behind the loop's back; the loop cannot watch that file (it refuses
 * regular files), but GLib's poll can: the source must still fire. */
typedef struct
{
  IoLoop *loop;
  gint    calls;
  char   *path;
} FileSwap;

static gboolean
swap_in_file_source (gint fd, GIOCondition condition, gpointer data)
{
  FileSwap *f = data;
  GError *error = NULL;

  if (++f->calls > 1)
    {
      g_assert_true (condition & G_IO_IN);
      io_loop_stop (f->loop);
      return G_SOURCE_REMOVE;
    }

  {
    int file = g_file_open_tmp ("ioloop-test-XXXXXX", &f->path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (dup2 (file, fd), ==, fd);
    close (file);
  }
  return G_SOURCE_CONTINUE;
}

static void
test_host_fd_reused_by_unwatchable_file_is_polled_apart (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  FileSwap f = { t->loop };
  GSource *source;
  int fds[2];

  host (t, context);
  io_test_socketpair (fds);
  source = g_unix_fd_source_new (fds[0], G_IO_IN);
  g_source_set_callback (source, G_SOURCE_FUNC (swap_in_file_source), &f, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
  io_test_write_byte (fds[1]);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (f.calls, ==, 2);
  io_loop_remove_main_context (t->loop, context);
  g_main_context_unref (context);
  close (fds[0]);
  close (fds[1]);
  g_unlink (f.path);
  g_free (f.path);
}

static gboolean
writable_source (gint fd, GIOCondition condition, gpointer data)
{
  Stopper *s = data;

  g_assert_true (condition & G_IO_OUT);
  return stopper_source (s);
}

static void
test_host_fd_shared_with_loop_handler_is_still_dispatched (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  Stopper s = { t->loop };
  Ready ready = { 0 };
  GSource *source;
  GError *error = NULL;
  int fds[2];

  /* The application watches fds[0] for READ in the loop; a GLib source
   * wants it writable. */
  io_test_socketpair (fds);
  g_assert_true (io_loop_add_handler (t->loop, fds[0], IO_EVENTS_READ, ready_handler, &ready,
                                      NULL, &error));
  host (t, context);
  source = g_unix_fd_source_new (fds[0], G_IO_OUT);
  g_source_set_callback (source, G_SOURCE_FUNC (writable_source), &s, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);

  g_assert_cmpint (s.calls, ==, 1);
  g_assert_cmpint (ready.calls, ==, 0);
  io_loop_remove_main_context (t->loop, context);
  io_loop_remove_handler (t->loop, fds[0], NULL);
  close (fds[0]);
  close (fds[1]);
  g_main_context_unref (context);
}

typedef struct
{
  IoLoop       *loop;
  GMainContext *context;
  gint          calls;
  gboolean      close_loop;
} Remover;

static gboolean
remove_context_source (gpointer data)
{
  Remover *r = data;

  r->calls++;
  if (r->close_loop)
    io_loop_close (r->loop, FALSE);
  else
    g_assert_true (io_loop_remove_main_context (r->loop, r->context));
  /* Still ours while this runs. */
  g_assert_true (g_main_context_is_owner (r->context));
  io_loop_stop (r->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
try_acquire (gpointer data)
{
  GMainContext *context = data;
  gboolean ok = g_main_context_acquire (context);

  if (ok)
    g_main_context_release (context);
  return GINT_TO_POINTER (ok);
}

static void
run_remover (IoTest *t, gboolean close_loop)
{
  Remover r = { t->loop, g_main_context_new (), 0, close_loop };
  GSource *source = g_idle_source_new ();
  GError *error = NULL;

  host (t, r.context);
  g_source_set_callback (source, remove_context_source, &r, NULL);
  g_source_attach (source, r.context);
  g_source_unref (source);
  if (close_loop)
    {
      io_loop_iteration (t->loop, FALSE, &error);
      g_assert_no_error (error);
    }
  else
    io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_cmpint (r.calls, ==, 1);

  /* Released: another thread can take the context. */
  g_assert_true (GPOINTER_TO_INT (g_thread_join (g_thread_new ("acquire", try_acquire, r.context))));
  g_assert_false (io_loop_remove_main_context (t->loop, r.context));
  g_main_context_unref (r.context);
}

static void
test_host_remove_context_from_its_own_source (IoTest *t)
{
  run_remover (t, FALSE);
}

static void
test_host_close_loop_from_hosted_source_releases_context (IoTest *t)
{
  run_remover (t, TRUE);
}

/* The check of the context hosted after it still runs in the iteration
 * that removes the first from its own source, and releases its context. */
static void
test_host_removing_a_context_keeps_the_next_in_the_iteration (IoTest *t)
{
  Remover r = { t->loop, g_main_context_new (), 0, FALSE };
  GMainContext *next = g_main_context_new ();
  GSource *source;
  gint ran = 0;
  GError *error = NULL;

  host (t, r.context);
  host (t, next);
  source = g_idle_source_new ();
  g_source_set_callback (source, remove_context_source, &r, NULL);
  g_source_attach (source, r.context);
  g_source_unref (source);
  source = g_idle_source_new ();
  g_source_set_callback (source, set_flag_source, &ran, NULL);
  g_source_attach (source, next);
  g_source_unref (source);

  io_loop_iteration (t->loop, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpint (g_atomic_int_get (&ran), ==, 1);
  g_assert_true (GPOINTER_TO_INT (g_thread_join (g_thread_new ("acquire", try_acquire, next))));

  g_assert_true (io_loop_remove_main_context (t->loop, next));
  g_main_context_unref (next);
  g_main_context_unref (r.context);
}

static void
test_host_twice_fails_with_exists (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  GError *error = NULL;

  host (t, context);
  g_assert_false (io_loop_add_main_context (t->loop, context, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
  g_assert_cmpuint (io_loop_attach (t->loop, context, &error), ==, 0);
  io_test_assert_error (error, IO_LOOP_ERROR_INVALID_ARGUMENT);
  g_assert_true (io_loop_remove_main_context (t->loop, context));
  g_main_context_unref (context);
}

/* GIO's asynchronous socket API, in the hosted context, against the
 * loop's own echo server in the same thread. */
typedef struct
{
  IoLoop        *loop;
  GSocketClient *client;
  GSocketConnection *connection;
  char           buf[6];
  gboolean       done;
} GioClient;

static void
gio_read_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GioClient *c = data;
  GError *error = NULL;
  gsize n = 0;

  g_assert_true (g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (c->buf, n, "hello", 5);
  c->done = TRUE;
  io_loop_stop (c->loop);
}

static void
gio_write_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GioClient *c = data;
  GError *error = NULL;

  g_assert_true (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error));
  g_assert_no_error (error);
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (c->connection)),
                                 c->buf, 5, G_PRIORITY_DEFAULT, NULL, gio_read_done, c);
}

static void
gio_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  GioClient *c = data;
  GError *error = NULL;

  c->connection = g_socket_client_connect_to_host_finish (c->client, result, &error);
  g_assert_no_error (error);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (c->connection)),
                                   "hello", 5, G_PRIORITY_DEFAULT, NULL, gio_write_done, c);
}

static void
test_host_gio_async_client_talks_to_loop_server (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  EchoServer server = { 0 };
  GioClient c = { t->loop };
  char *address;

  echo_server_start (&server, t->loop);
  host (t, context);
  g_main_context_push_thread_default (context);
  c.client = g_socket_client_new ();
  address = g_strdup_printf ("127.0.0.1:%d", server.port);
  g_socket_client_connect_to_host_async (c.client, address, 0, NULL, gio_connected, &c);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_assert_true (c.done);
  g_assert_cmpint (server.echoed, ==, 5);

  g_io_stream_close (G_IO_STREAM (c.connection), NULL, NULL);
  g_object_unref (c.connection);
  g_object_unref (c.client);
  g_main_context_pop_thread_default (context);
  g_free (address);
  echo_server_stop (&server);
  io_loop_remove_main_context (t->loop, context);
  /* Let GIO's idle clean-ups in the context run. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_unref (context);
}

/* ==== GDBus and a TCP server in one thread, both ways ===================== */

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.ioloop.Test'>"
  "    <method name='Echo'>"
  "      <arg type='s' name='text' direction='in'/>"
  "      <arg type='s' name='reply' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  GDBusConnection *connection;
  guint            registration;
  GThread         *thread;        /* where the method calls ran */
  gint             calls;
} DBusService;

static void
service_method_call (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *path,
                     const char            *interface,
                     const char            *method,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               data)
{
  DBusService *service = data;
  const char *text;

  service->thread = g_thread_self ();
  service->calls++;
  g_variant_get (parameters, "(&s)", &text);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", text));
}

static const GDBusInterfaceVTable service_vtable = { service_method_call, NULL, NULL, { 0 } };

/* Exports the object; method calls are dispatched in @context. */
static void
dbus_service_start (DBusService *service, GMainContext *context)
{
  GDBusNodeInfo *info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  GError *error = NULL;

  service->connection = g_dbus_connection_new_for_address_sync (
      bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_main_context_push_thread_default (context);
  service->registration = g_dbus_connection_register_object (service->connection, "/org/ioloop/Test",
                                                             info->interfaces[0], &service_vtable,
                                                             service, NULL, &error);
  g_main_context_pop_thread_default (context);
  g_assert_no_error (error);
  g_dbus_node_info_unref (info);
}

static void
dbus_service_stop (DBusService *service)
{
  g_dbus_connection_unregister_object (service->connection, service->registration);
  g_dbus_connection_close_sync (service->connection, NULL, NULL);
  g_object_unref (service->connection);
}

/* The clients, in another thread: D-Bus calls and TCP echoes, turn
 * about, then @done. */
typedef struct
{
  const char *bus_name;
  int         port;
  gint        rounds;
  void      (*done) (gpointer data);
  gpointer    done_data;
} Clients;

static gpointer
clients_thread (gpointer data)
{
  Clients *c = data;
  GError *error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (
      bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);

  for (int i = 0; i < c->rounds; i++)
    {
      char *text = g_strdup_printf ("round %d", i);
      const char *reply;
      GVariant *result;

      result = g_dbus_connection_call_sync (connection, c->bus_name, "/org/ioloop/Test",
                                            "org.ioloop.Test", "Echo", g_variant_new ("(s)", text),
                                            G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                            (int) (scaled (10) * 1000), NULL, &error);
      g_assert_no_error (error);
      g_variant_get (result, "(&s)", &reply);
      g_assert_cmpstr (reply, ==, text);
      g_variant_unref (result);

      tcp_echo (c->port, text);
      g_free (text);
    }

  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_object_unref (connection);
  c->done (c->done_data);
  return NULL;
}

#define DBUS_ROUNDS 20

/* In the bus daemon, between fork() and exec(): it dies with the test. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts the private bus on first use (each test may run in a process of
 * its own). */
static gboolean
need_bus (void)
{
  GSubprocessLauncher *launcher;
  GDataInputStream *out;
  GError *error = NULL;
  char *daemon;

  if (bus_address != NULL)
    return TRUE;
  daemon = g_find_program_in_path ("dbus-daemon");
  if (daemon == NULL)
    {
      io_test_skip ("no dbus-daemon to run a private bus (Debian package dbus)");
      return FALSE;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus_process = g_subprocess_launcher_spawn (launcher, &error, daemon, "--session", "--nofork",
                                             "--print-address=1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus_process));
  bus_address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bus_address);
  g_object_unref (out);
  g_object_unref (launcher);
  g_free (daemon);
  return TRUE;
}

static void
stop_bus (void)
{
  if (bus_process == NULL)
    return;
  g_subprocess_force_exit (bus_process);
  g_subprocess_wait (bus_process, NULL, NULL);
  g_clear_object (&bus_process);
  g_clear_pointer (&bus_address, g_free);
}

static void
stop_loop_from_thread (gpointer data)
{
  io_loop_stop (data);
}

static void
test_dbus_service_and_tcp_server_with_loop_hosting_glib (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  DBusService service = { 0 };
  EchoServer server = { 0 };
  Clients clients = { 0 };
  GThread *thread;

  if (!need_bus ())
    return;
  host (t, context);
  dbus_service_start (&service, context);
  echo_server_start (&server, t->loop);

  clients.bus_name = g_dbus_connection_get_unique_name (service.connection);
  clients.port = server.port;
  clients.rounds = DBUS_ROUNDS;
  clients.done = stop_loop_from_thread;
  clients.done_data = t->loop;
  thread = g_thread_new ("clients", clients_thread, &clients);
  io_test_run_loop (t, IO_TEST_LOOP_TIMEOUT);
  g_thread_join (thread);

  g_assert_cmpint (service.calls, ==, DBUS_ROUNDS);
  g_assert_true (service.thread == g_thread_self ());
  g_assert_true (server.thread == g_thread_self ());
  g_assert_cmpint (server.echoed, >, 0);

  dbus_service_stop (&service);
  echo_server_stop (&server);
  while (g_main_context_iteration (context, FALSE))
    ;
  io_loop_remove_main_context (t->loop, context);
  g_main_context_unref (context);
}

static void
quit_main_loop_from_thread (gpointer data)
{
  g_main_loop_quit (data);
}

static void
test_dbus_service_and_tcp_server_with_glib_driving_loop (IoTest *t)
{
  GMainContext *context = g_main_context_new ();
  GMainLoop *main_loop = g_main_loop_new (context, FALSE);
  DBusService service = { 0 };
  EchoServer server = { 0 };
  Clients clients = { 0 };
  GThread *thread;

  if (!need_bus ())
    return;
  attach (t, context);
  dbus_service_start (&service, context);
  echo_server_start (&server, t->loop);

  clients.bus_name = g_dbus_connection_get_unique_name (service.connection);
  clients.port = server.port;
  clients.rounds = DBUS_ROUNDS;
  clients.done = quit_main_loop_from_thread;
  clients.done_data = main_loop;
  thread = g_thread_new ("clients", clients_thread, &clients);
  g_main_loop_run (main_loop);
  g_thread_join (thread);

  g_assert_cmpint (service.calls, ==, DBUS_ROUNDS);
  g_assert_true (service.thread == g_thread_self ());
  g_assert_true (server.thread == g_thread_self ());
  g_assert_cmpint (server.echoed, >, 0);

  dbus_service_stop (&service);
  echo_server_stop (&server);
  io_loop_detach (t->loop);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_loop_unref (main_loop);
  g_main_context_unref (context);
}

int
main (int argc, char **argv)
{
  int status;

  io_test_init (&argc, &argv);

  io_test_add ("/glib/attach/handler-runs-under-g-main-context",
               test_attach_handler_runs_under_g_main_context);
  io_test_add ("/glib/attach/handler-added-later-is-polled", test_attach_handler_added_later_is_polled);
  io_test_add ("/glib/attach/timeout-fires-on-time-without-spinning",
               test_attach_timeout_fires_on_time_without_spinning);
  io_test_add ("/glib/attach/callback-from-other-thread-wakes-context",
               test_attach_callback_from_other_thread_wakes_context);
  io_test_add ("/glib/attach/detach-from-own-callback", test_attach_detach_from_own_callback);
  io_test_add ("/glib/attach/closing-loop-removes-source", test_attach_closing_loop_removes_source);
  io_test_add ("/glib/attach/twice-fails-with-exists", test_attach_twice_fails_with_exists);
  io_test_add ("/glib/attach/while-running-fails-with-running", test_attach_while_running_fails_with_running);
  io_test_add ("/glib/attach/closed-loop-fails-with-closed", test_attach_closed_loop_fails_with_closed);

  io_test_add ("/glib/host/g-timeout-fires-on-time-during-start",
               test_host_g_timeout_fires_on_time_during_start);
  io_test_add ("/glib/host/default-context-runs-g-idle-add", test_host_default_context_runs_g_idle_add);
  io_test_add ("/glib/host/idle-loop-does-not-spin", test_host_idle_loop_does_not_spin);
  io_test_add ("/glib/host/source-from-other-thread-wakes-loop",
               test_host_source_from_other_thread_wakes_loop);
  io_test_add ("/glib/host/fd-closed-and-reused-between-iterations-is-polled",
               test_host_fd_closed_and_reused_between_iterations_is_polled);
  io_test_add ("/glib/host/fd-reused-by-unwatchable-file-is-polled-apart",
               test_host_fd_reused_by_unwatchable_file_is_polled_apart);
  io_test_add ("/glib/host/fd-shared-with-loop-handler-is-still-dispatched",
               test_host_fd_shared_with_loop_handler_is_still_dispatched);
  io_test_add ("/glib/host/remove-context-from-its-own-source",
               test_host_remove_context_from_its_own_source);
  io_test_add ("/glib/host/close-loop-from-hosted-source-releases-context",
               test_host_close_loop_from_hosted_source_releases_context);
  io_test_add ("/glib/host/removing-a-context-keeps-the-next-in-the-iteration",
               test_host_removing_a_context_keeps_the_next_in_the_iteration);
  io_test_add ("/glib/host/twice-fails-with-exists", test_host_twice_fails_with_exists);
  io_test_add ("/glib/host/gio-async-client-talks-to-loop-server",
               test_host_gio_async_client_talks_to_loop_server);

  io_test_add ("/glib/dbus/service-and-tcp-server-with-loop-hosting-glib",
               test_dbus_service_and_tcp_server_with_loop_hosting_glib);
  io_test_add ("/glib/dbus/service-and-tcp-server-with-glib-driving-loop",
               test_dbus_service_and_tcp_server_with_glib_driving_loop);

  status = io_test_run ();
  stop_bus ();
  return status;
}
