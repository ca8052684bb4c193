/* io-child-watch.c: child processes that exit
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each watched child gets a pidfd (pidfd_open(), Linux 5.3), which polls
 * readable once the child has exited: an internal handler of the loop,
 * like any other fd. Where there is no pidfd (older kernels, seccomp
 * filters, a backend that cannot watch the fd), the loop handles SIGCHLD
 * (io_loop_add_signal_handler()) and tries waitpid(pid, WNOHANG) for
 * every such child when it arrives. Either way only the watched pids are
 * reaped, never "any child", so that other code's children are left to
 * it. A watch is a source of the loop (io-source.h) that fires once: the
 * loop's list of watches holds its reference.
 *
 * Setting the environment variable IOLOOP_NO_PIDFD (for tests) makes new
 * watches use SIGCHLD.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-signal.h"
#include "io-child-watch.h"

typedef struct _IoChildLoop IoChildLoop;

typedef struct
{
  IoSource        source;
  guint           id;
  GPid            pid;
  int             pidfd;        /* -1: watched through SIGCHLD */
  IoChildFunc     func;
  IoChildLoop    *cl;
} IoChildWatch;

struct _IoChildLoop
{
  IoLoop     *loop;             /* not owned: the state dies with the loop */
  IoAsync    *async;            /* checks the SIGCHLD children; its notify
                                 * frees this, after any dispatch of it */
  GPtrArray  *watches;          /* IoChildWatch */
  guint       n_sigchld;        /* watches without a pidfd */
  guint       sigchld_id;
};

static gint last_id;            /* loops run on several threads: atomic */

static GQuark
child_loop_quark (void)
{
  return g_quark_from_static_string ("io-child-loop");
}

static void
sigchld_release (IoChildLoop *cl)
{
  if (--cl->n_sigchld == 0)
    {
      io_loop_remove_signal_handler (cl->loop, cl->sigchld_id);
      cl->sigchld_id = 0;
    }
}

/* Stops watching, and destroys the watch: its notify runs now, or once
 * its function returned if it is reporting. */
static void
watch_detach (IoChildWatch *watch)
{
  IoChildLoop *cl = watch->cl;

  g_ptr_array_remove (cl->watches, watch);
  if (watch->pidfd >= 0)
    {
      _io_loop_remove_internal_handler (cl->loop, watch->pidfd);
      close (watch->pidfd);
      watch->pidfd = -1;
    }
  else
    sigchld_release (cl);
  _io_source_destroy (&watch->source);
}

/* Reaps the child if it has exited, then reports it and drops the watch.
 * Returns FALSE if the child is still running. */
static gboolean
watch_try_reap (IoChildWatch *watch)
{
  IoLoop *loop = watch->cl->loop;
  GError *error = NULL;
  int status = 0;
  pid_t r;

  do
    r = waitpid (watch->pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return FALSE;

  g_object_ref (loop);
  _io_source_begin_dispatch (&watch->source);
  watch_detach (watch);
  if (r == watch->pid)
    watch->func (watch->pid, status, watch->source.user_data, &error);
  else
    {
      int errsv = errno;

      g_set_error (&error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                   _("Child process %d was reaped by someone else, its exit status is lost: %s"),
                   (int) watch->pid, g_strerror (errsv));
    }
  _io_source_end_dispatch (&watch->source);
  if (G_UNLIKELY (error != NULL))
    _io_loop_report_and_free (loop, error);
  g_object_unref (loop);
  return TRUE;
}

static void
pidfd_ready (int        fd,
             IoEvents   events,
             gpointer   user_data,
             GError   **error)
{
  watch_try_reap (user_data);
}

/* SIGCHLD arrived, or a watch without a pidfd was added. */
static void
check_sigchld_watches (IoChildLoop *cl)
{
  GPtrArray *batch;
  guint i;

  if (cl->n_sigchld == 0)
    return;
  batch = g_ptr_array_new ();
  for (i = 0; i < cl->watches->len; i++)
    {
      IoChildWatch *watch = g_ptr_array_index (cl->watches, i);

      if (watch->pidfd < 0)
        g_ptr_array_add (batch, _io_source_ref (&watch->source));
    }
  for (i = 0; i < batch->len; i++)
    {
      IoChildWatch *watch = g_ptr_array_index (batch, i);

      if (!_io_source_is_disconnected (&watch->source) && !io_loop_is_closed (cl->loop))
        watch_try_reap (watch);
      _io_source_unref (&watch->source);
    }
  g_ptr_array_unref (batch);
}

static void
on_sigchld (int        signum,
            gpointer   user_data,
            GError   **error)
{
  check_sigchld_watches (user_data);
}

static void
on_async (gpointer   user_data,
          GError   **error)
{
  check_sigchld_watches (user_data);
}

/* The notify of cl->async, once io_loop_close() closed it and no
 * dispatch of it runs. */
static void
child_loop_free (gpointer data)
{
  IoChildLoop *cl = data;

  g_ptr_array_unref (cl->watches);
  io_async_unref (cl->async);
  g_free (cl);
}

/* The loop's close hook: io_loop_close() ran (or dispose). Every watch
 * goes, without a report, each notify running once. */
static void
child_loop_closed (gpointer data)
{
  IoChildLoop *cl = data;

  g_object_set_qdata (G_OBJECT (cl->loop), child_loop_quark (), NULL);
  while (cl->watches->len > 0)
    watch_detach (g_ptr_array_index (cl->watches, cl->watches->len - 1));
  io_async_close (cl->async);
}

static IoChildLoop *
get_child_loop (IoLoop *loop)
{
  IoChildLoop *cl = g_object_get_qdata (G_OBJECT (loop), child_loop_quark ());

  if (cl == NULL)
    {
      cl = g_new0 (IoChildLoop, 1);
      cl->loop = loop;
      cl->watches = g_ptr_array_new ();
      cl->async = io_async_new (loop, on_async, cl, child_loop_free);
      _io_loop_add_close_hook (loop, child_loop_closed, cl);
      g_object_set_qdata (G_OBJECT (loop), child_loop_quark (), cl);
    }
  return cl;
}

static int
open_pidfd (GPid pid)
{
#ifdef SYS_pidfd_open
  if (g_getenv ("IOLOOP_NO_PIDFD") == NULL)
    return (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);   /* close-on-exec */
#endif
  return -1;
}

static gboolean
check_child (IoLoop  *loop,
             GPid     pid,
             GError **error)
{
  IoChildLoop *cl = g_object_get_qdata (G_OBJECT (loop), child_loop_quark ());
  siginfo_t info;
  guint i;

  if (pid <= 0)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Invalid process ID %d"), (int) pid);
      return FALSE;
    }
  /* Looks without reaping. */
  if (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Process %d is not a child of this process"), (int) pid);
      return FALSE;
    }
  for (i = 0; cl != NULL && i < cl->watches->len; i++)
    if (((IoChildWatch *) g_ptr_array_index (cl->watches, i))->pid == pid)
      {
        g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_EXISTS,
                     _("Child process %d is watched already"), (int) pid);
        return FALSE;
      }
  return TRUE;
}

/**
 * io_loop_add_child_watch:
 * @loop: an #IoLoop
 * @pid: a child process of this process (from fork() or g_spawn_async()
 *   with %G_SPAWN_DO_NOT_REAP_CHILD)
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   when the child has exited
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data once the watch is gone
 * @error: return location for a #GError
 *
 * Reports the exit of @pid: once it has exited, @loop reaps it and calls
 * @func with its wait status, once, on the loop's thread; then the watch
 * is removed and @notify runs. A child that exited before this call is
 * reported too.
 *
 * The child is watched through a pidfd where the kernel has them (Linux
 * 5.3 and later), else through `SIGCHLD` (see
 * io_loop_add_signal_handler()), which the loop then handles while such
 * watches exist. Only @pid is reaped: do not reap it elsewhere (with
 * `waitpid (-1, ...)`, a `SIGCHLD` disposition of `SIG_IGN` or a GLib
 * child watch), or the watch reports an error through
 * #IoLoop::callback-exception instead of calling @func.
 *
 * Fails with %IO_LOOP_ERROR_INVALID_ARGUMENT if @pid is not a child of
 * this process, %IO_LOOP_ERROR_EXISTS if @loop watches @pid already, and
 * %IO_LOOP_ERROR_CLOSED or %IO_LOOP_ERROR_FORKED if @loop cannot be used.
 * On failure, @notify is not called. Call this from the loop's thread.
 *
 * Returns: an ID for io_loop_remove_child_watch(), or 0 on failure
 *
 * Since: 1.0
 */
guint
io_loop_add_child_watch (IoLoop          *loop,
                         GPid             pid,
                         IoChildFunc      func,
                         gpointer         user_data,
                         GDestroyNotify   notify,
                         GError         **error)
{
  IoChildLoop *cl;
  IoChildWatch *watch;

  g_return_val_if_fail (IO_IS_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!_io_loop_check_usable (loop, error) || !check_child (loop, pid, error))
    return 0;

  cl = get_child_loop (loop);
  /* Its one reference is the list's. */
  watch = g_new (IoChildWatch, 1);
  _io_source_init (&watch->source, IO_SOURCE_CHILD_WATCH, user_data, notify);
  watch->id = 0;
  watch->pid = pid;
  watch->func = func;
  watch->cl = cl;

  watch->pidfd = open_pidfd (pid);
  if (watch->pidfd >= 0 &&
      !_io_loop_add_internal_handler (loop, watch->pidfd, IO_EVENTS_READ,
                                      pidfd_ready, watch, NULL))
    {
      /* Say, a pidfd beyond FD_SETSIZE on the select backend. */
      close (watch->pidfd);
      watch->pidfd = -1;
    }

  if (watch->pidfd < 0)
    {
      if (cl->n_sigchld == 0)
        {
          cl->sigchld_id = io_loop_add_signal_handler (loop, SIGCHLD, on_sigchld, cl,
                                                       NULL, error);
          if (cl->sigchld_id == 0)
            {
              g_free (watch);     /* never attached: no notify */
              return 0;
            }
        }
      cl->n_sigchld++;
      /* The child may have exited before SIGCHLD was handled. */
      io_async_send (cl->async);
    }

  do
    watch->id = (guint) g_atomic_int_add (&last_id, 1) + 1;
  while (watch->id == 0);
  g_ptr_array_add (cl->watches, watch);
  return watch->id;
}

/**
 * io_loop_remove_child_watch:
 * @loop: an #IoLoop
 * @id: an ID from io_loop_add_child_watch()
 *
 * Stops watching a child: its function is not called, its notify runs
 * now, and the child is not reaped (reap it yourself, or it stays a
 * zombie). Removing a watch that fired already, twice, or after the loop
 * was closed does nothing.
 *
 * Returns: %TRUE if a watch was removed
 *
 * Since: 1.0
 */
gboolean
io_loop_remove_child_watch (IoLoop *loop,
                            guint   id)
{
  IoChildLoop *cl;
  guint i;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  cl = g_object_get_qdata (G_OBJECT (loop), child_loop_quark ());
  for (i = 0; cl != NULL && i < cl->watches->len; i++)
    {
      IoChildWatch *watch = g_ptr_array_index (cl->watches, i);

      if (watch->id == id)
        {
          watch_detach (watch);
          return TRUE;
        }
    }
  return FALSE;
}
