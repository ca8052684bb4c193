/* io-glib-source.c: an IoLoop inside a GMainContext: io_loop_attach()
 * and io_loop_detach(), a GSource that runs non-blocking iterations of the
 * loop from GLib's main loop, polling the backend's fd or a mirror of the
 * loop's fds. The other direction, a GMainContext driven by the loop, is
 * io-glib-host.c.
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-glib.h"
#include "io-glib-private.h"

/* The source polls the backend's own fd (epoll, kqueue), which is readable
 * while the loop has events; for backends without one (poll, select) it
 * polls a mirror of the loop's fds, kept up to date by an fd observer. */
typedef struct
{
  GSource    source;
  IoLoop    *loop;               /* strong */
  gboolean   polling;            /* FALSE in a child before reinit */
  int        backend_fd;         /* -1 if the fds are mirrored */
  gpointer   backend_tag;
  guint      observer_id;
  gpointer  *tags;               /* mirrored fds: tag by fd */
  int        n_tags;
  gboolean   reported_fork;
} IoLoopSource;

static void
loop_source_fd_changed (gpointer  data,
                        int       fd,
                        IoEvents  events)
{
  IoLoopSource *ls = data;
  GIOCondition condition = events & (G_IO_IN | G_IO_OUT);

  if (g_source_is_destroyed (&ls->source))
    return;

  if (fd >= ls->n_tags)
    {
      int n = MAX (64, ls->n_tags);

      if (events == 0)
        return;
      while (n <= fd)
        n *= 2;
      ls->tags = g_renew (gpointer, ls->tags, n);
      memset (ls->tags + ls->n_tags, 0, (n - ls->n_tags) * sizeof (gpointer));
      ls->n_tags = n;
    }

  if (events == 0)
    {
      if (ls->tags[fd] != NULL)
        g_source_remove_unix_fd (&ls->source, ls->tags[fd]);
      ls->tags[fd] = NULL;
    }
  else if (ls->tags[fd] != NULL)
    g_source_modify_unix_fd (&ls->source, ls->tags[fd], condition);
  else
    ls->tags[fd] = g_source_add_unix_fd (&ls->source, fd, condition);
}

static void
loop_source_start_polling (IoLoopSource *ls)
{
  ls->backend_fd = io_loop_get_fd (ls->loop);
  if (ls->backend_fd >= 0)
    ls->backend_tag = g_source_add_unix_fd (&ls->source, ls->backend_fd, G_IO_IN);
  else
    ls->observer_id = _io_loop_add_fd_observer (ls->loop, loop_source_fd_changed, ls);
  ls->polling = TRUE;
}

static void
loop_source_stop_polling (IoLoopSource *ls)
{
  gboolean destroyed = g_source_is_destroyed (&ls->source);
  int fd;

  if (ls->backend_tag != NULL && !destroyed)
    g_source_remove_unix_fd (&ls->source, ls->backend_tag);
  ls->backend_tag = NULL;
  ls->backend_fd = -1;
  if (ls->observer_id != 0)
    _io_loop_remove_fd_observer (ls->loop, ls->observer_id);
  ls->observer_id = 0;
  for (fd = 0; fd < ls->n_tags; fd++)
    {
      if (ls->tags[fd] != NULL && !destroyed)
        g_source_remove_unix_fd (&ls->source, ls->tags[fd]);
      ls->tags[fd] = NULL;
    }
  ls->polling = FALSE;
}

/* FALSE if the loop cannot be iterated here: then nothing is polled, so
 * that a child process does not spin on its parent's ready fds. */
static gboolean
loop_source_usable (IoLoopSource *ls)
{
  GError *error = NULL;

  if (_io_loop_check_usable (ls->loop, &error))
    {
      if (!ls->polling)
        loop_source_start_polling (ls);
      else if (ls->backend_fd >= 0 && io_loop_get_fd (ls->loop) != ls->backend_fd)
        {
          /* The backend was replaced (io_loop_reinit_after_fork()). */
          loop_source_stop_polling (ls);
          loop_source_start_polling (ls);
        }
      ls->reported_fork = FALSE;
      return TRUE;
    }

  if (ls->polling)
    loop_source_stop_polling (ls);
  if (g_error_matches (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FORKED) && !ls->reported_fork)
    {
      ls->reported_fork = TRUE;
      _io_loop_report_and_free (ls->loop, error);
    }
  else
    g_error_free (error);
  return FALSE;
}

/* TRUE while the loop is being iterated by someone else: io_loop_start(),
 * or an iteration that runs a nested iteration of the context. */
static gboolean
loop_source_busy (IoLoopSource *ls)
{
  return _io_loop_is_busy (_io_loop_get_private (ls->loop));
}

static gboolean
loop_source_prepare (GSource *source,
                     gint    *timeout)
{
  IoLoopSource *ls = (IoLoopSource *) source;
  int timeout_ms;

  *timeout = -1;
  if (io_loop_is_closed (ls->loop))
    return TRUE;                /* dispatch() removes the source */
  if (loop_source_busy (ls))
    {
      /* Its fds would stay ready while it cannot be dispatched: the
       * context would spin. They are polled again when it is free. */
      if (ls->polling)
        loop_source_stop_polling (ls);
      return FALSE;
    }
  if (!loop_source_usable (ls))
    return FALSE;

  /* Also registers the interest changes made since the last iteration,
   * so that the backend fd (or the mirror) reflects them. */
  timeout_ms = io_loop_get_timeout_ms (ls->loop);
  if (timeout_ms != 0 && !_io_loop_begin_external_wait (ls->loop))
    timeout_ms = 0;

  *timeout = timeout_ms;
  return timeout_ms == 0;
}

static gboolean
loop_source_check (GSource *source)
{
  IoLoopSource *ls = (IoLoopSource *) source;
  int fd;

  if (io_loop_is_closed (ls->loop))
    return TRUE;
  if (!ls->polling || loop_source_busy (ls))
    return FALSE;

  if (ls->backend_tag != NULL)
    {
      if (g_source_query_unix_fd (source, ls->backend_tag) != 0)
        return TRUE;
    }
  else
    {
      for (fd = 0; fd < ls->n_tags; fd++)
        if (ls->tags[fd] != NULL && g_source_query_unix_fd (source, ls->tags[fd]) != 0)
          return TRUE;
    }
  return io_loop_get_timeout_ms (ls->loop) == 0;
}

static gboolean
loop_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  IoLoopSource *ls = (IoLoopSource *) source;
  GError *error = NULL;

  if (!io_loop_is_closed (ls->loop))
    io_loop_iteration (ls->loop, FALSE, &error);
  if (error != NULL)
    {
      /* A failing poll, say: the loop's owner hears of it. A loop that is
       * busy elsewhere or was closed meanwhile is no failure. */
      if (!g_error_matches (error, IO_LOOP_ERROR, IO_LOOP_ERROR_RUNNING) &&
          !g_error_matches (error, IO_LOOP_ERROR, IO_LOOP_ERROR_CLOSED))
        _io_loop_report_and_free (ls->loop, error);
      else
        g_error_free (error);
    }

  return io_loop_is_closed (ls->loop) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
loop_source_finalize (GSource *source)
{
  IoLoopSource *ls = (IoLoopSource *) source;

  if (g_object_get_qdata (G_OBJECT (ls->loop), _io_glib_source_quark ()) == ls)
    g_object_set_qdata (G_OBJECT (ls->loop), _io_glib_source_quark (), NULL);
  if (ls->observer_id != 0)
    _io_loop_remove_fd_observer (ls->loop, ls->observer_id);
  g_free (ls->tags);
  g_object_unref (ls->loop);
}

static GSourceFuncs loop_source_funcs = {
  loop_source_prepare,
  loop_source_check,
  loop_source_dispatch,
  loop_source_finalize,
  NULL, NULL
};

/**
 * io_loop_attach:
 * @loop: an #IoLoop
 * @context: (nullable): a #GMainContext, or %NULL for the global default
 *   context
 * @error: return location for a #GError
 *
 * Lets GLib drive @loop: attaches to @context a #GSource that runs one
 * non-blocking iteration of @loop (io_loop_iteration()) whenever the loop
 * has something to do. While `g_main_loop_run()`, `g_application_run()`
 * or GJS's main loop iterate @context, the handlers, callbacks and
 * timeouts of @loop run on time, and a sleeping @context wakes for them
 * (also for io_loop_add_callback() from other threads).
 *
 * The source polls the backend's own file descriptor (epoll, kqueue), so
 * that the cost of an iteration of @context does not grow with the number
 * of handlers; with the poll and select backends it polls a copy of the
 * loop's file descriptors. It has the priority %G_PRIORITY_DEFAULT and
 * keeps a reference on @loop until it is removed.
 *
 * A loop is attached to at most one context at a time, and is then not
 * run with io_loop_start() (the source does nothing while it is). The
 * source removes itself once the loop is closed. In a child process after
 * fork(), it polls nothing until io_loop_reinit_after_fork() is called,
 * and reports %IO_LOOP_ERROR_FORKED once through
 * #IoLoop::callback-exception.
 *
 * Fails with %IO_LOOP_ERROR_EXISTS if @loop is attached already,
 * %IO_LOOP_ERROR_RUNNING if io_loop_start() runs it,
 * %IO_LOOP_ERROR_INVALID_ARGUMENT if @loop hosts @context
 * (io_loop_add_main_context()), and %IO_LOOP_ERROR_CLOSED or
 * %IO_LOOP_ERROR_FORKED if @loop cannot be used.
 *
 * Call it from the thread that iterates @context.
 *
 * Returns: the ID of the source in @context (see g_main_context_find_source_by_id()),
 *   or 0 on failure
 *
 * Since: 1.0
 */
guint
io_loop_attach (IoLoop        *loop,
                GMainContext  *context,
                GError       **error)
{
  IoLoopSource *ls;
  guint id;

  g_return_val_if_fail (IO_IS_LOOP (loop), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!_io_loop_check_usable (loop, error))
    return 0;
  if (context == NULL)
    context = g_main_context_default ();
  if (g_object_get_qdata (G_OBJECT (loop), _io_glib_source_quark ()) != NULL)
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_EXISTS,
                           _("The loop is already attached to a main context"));
      return 0;
    }
  if (io_loop_is_running (loop))
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_RUNNING,
                           _("The loop is running: it cannot be driven by a main context too"));
      return 0;
    }
  if (_io_glib_hosts_context (loop, context))
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                           _("The loop hosts this main context: it cannot also be driven by it"));
      return 0;
    }

  ls = (IoLoopSource *) g_source_new (&loop_source_funcs, sizeof (IoLoopSource));
  ls->loop = g_object_ref (loop);
  ls->backend_fd = -1;
  g_source_set_static_name (&ls->source, "IoLoop");
  g_source_set_can_recurse (&ls->source, FALSE);
  loop_source_start_polling (ls);

  g_object_set_qdata (G_OBJECT (loop), _io_glib_source_quark (), ls);
  id = g_source_attach (&ls->source, context);
  g_source_unref (&ls->source);
  return id;
}

/**
 * io_loop_detach:
 * @loop: an #IoLoop
 *
 * Removes the source io_loop_attach() added: GLib no longer drives @loop.
 * Safe to call from a handler or callback of @loop while the source runs
 * it. Call it from the thread that iterates the context.
 *
 * Returns: %TRUE if @loop was attached
 *
 * Since: 1.0
 */
gboolean
io_loop_detach (IoLoop *loop)
{
  IoLoopSource *ls;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  ls = g_object_steal_qdata (G_OBJECT (loop), _io_glib_source_quark ());
  if (ls == NULL)
    return FALSE;
  /* The context drops its reference: finalize unrefs the loop, now or
   * after the running dispatch returns. */
  g_source_destroy (&ls->source);
  return TRUE;
}
