/* io-handler.c: the fd handler table and the change list
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One slot per fd number, for O(1) lookup, holding what the backend was
 * last told about the fd; each handler is a source of the loop
 * (io-source.h), kept in its slot's spare once freed so that re-adding a
 * handler allocates nothing. sync_slot() is the one place that turns a
 * handler's interest into the backend's add(), modify(), remove() or
 * invalidate(). Interest updates are queued and flushed just before the
 * next poll, each fd once, so that a handler updated several times costs
 * at most one call into the kernel; registration and removal reach the
 * backend at once (see _io_loop_detach_handler()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"

#define ALL_EVENTS (IO_EVENTS_READ | IO_EVENTS_WRITE | IO_EVENTS_ERROR)

/* ---- fd observers (hooks of the loop, io-loop.c) ----------------------- */

static void
notify_fd_observers (IoLoopPrivate *priv,
                     int            fd,
                     gboolean       registered,
                     guint32        events)
{
  if (G_LIKELY (_io_source_list_get_length (&priv->fd_observers) == 0))
    return;
  _io_loop_run_fd_observers (priv, fd, registered ? events | IO_EVENTS_ERROR : 0);
}

/* Tells the observers that the backend watches nothing any more. */
void
_io_loop_forget_kernel_registrations (IoLoopPrivate *priv)
{
  int fd;

  for (fd = 0; fd < priv->n_fds; fd++)
    if (priv->fds[fd].kernel_registered)
      {
        priv->fds[fd].kernel_registered = FALSE;
        priv->fds[fd].kernel_events = 0;
        notify_fd_observers (priv, fd, FALSE, 0);
      }
}

/* ---- the handler table and change list -------------------------------- */

/* Doubling amortizes growth, but never past the number of fds the
 * process may open (an fd is below RLIMIT_NOFILE when it is opened), and
 * never for an fd that is not open: callers check that first. */
static gboolean
ensure_fd_slot (IoLoopPrivate  *priv,
                int             fd,
                GError        **error)
{
  struct rlimit rl;
  guint64 n;
  IoFdSlot *fds;

  if (G_LIKELY (fd < priv->n_fds))
    return TRUE;

  n = MAX (64, (guint64) priv->n_fds);
  while (n <= (guint64) fd)
    n *= 2;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      (guint64) rl.rlim_cur < n)
    n = MAX ((guint64) rl.rlim_cur, (guint64) fd + 1);
  n = MIN (n, (guint64) G_MAXINT);

  fds = n <= G_MAXSIZE / sizeof (IoFdSlot) ? g_try_renew (IoFdSlot, priv->fds, n) : NULL;
  if (fds == NULL)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                   _("Cannot watch file descriptor %d: out of memory"), fd);
      return FALSE;
    }
  memset (fds + priv->n_fds, 0, (n - priv->n_fds) * sizeof (IoFdSlot));
  priv->fds = fds;
  priv->n_fds = (int) n;
  return TRUE;
}

/* Refuses, before anything is kept, an fd that is not open and a file
 * that is always ready (which a level-triggered loop would report on
 * every iteration: epoll refuses those itself, and so does the loop for
 * every other backend), then what the backend cannot watch. Without
 * @probe_file, the first two are left to a backend whose add() refuses
 * them (add_refuses_files). */
static gboolean
check_watchable (IoLoopPrivate  *priv,
                 int             fd,
                 gboolean        probe_file,
                 GError        **error)
{
  struct stat st;

  if (!probe_file)
    return priv->backend_class->check_fd (priv->backend, fd, error);
  if (fstat (fd, &st) < 0)
    {
      _io_backend_set_errno_error (error, errno, "fstat", fd);
      return FALSE;
    }
  if (S_ISREG (st.st_mode) || S_ISDIR (st.st_mode) || S_ISBLK (st.st_mode))
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_UNSUPPORTED_FD,
                   _("Cannot watch file descriptor %d: regular files, directories and "
                     "block devices are always ready"), fd);
      return FALSE;
    }
  return priv->backend_class->check_fd (priv->backend, fd, error);
}

/* Interest updates wait here until the next poll, so that a handler
 * updated several times costs at most one call into the kernel. */
void
_io_loop_queue_change (IoLoopPrivate *priv,
                       int            fd)
{
  IoFdSlot *slot = &priv->fds[fd];

  if (slot->dirty)
    return;
  slot->dirty = TRUE;
  if (priv->n_changes == priv->changes_size)
    {
      priv->changes_size = MAX (64, priv->changes_size * 2);
      priv->changes = g_renew (int, priv->changes, priv->changes_size);
    }
  priv->changes[priv->n_changes++] = fd;
}

/* The one place that decides what the backend is told about @fd: to
 * watch it (@want) for @events, or not at all, given what it was told
 * last (slot->kernel_registered, slot->kernel_events) and whether the fd
 * may be a new file since (@stale: then whatever the kernel holds for the
 * number is not trusted). Removal cannot fail; any other failure leaves
 * the fd unregistered. */
static gboolean
sync_slot (IoLoopPrivate  *priv,
           int             fd,
           gboolean        want,
           guint32         events,
           gboolean        stale,
           GError        **error)
{
  const IoBackendClass *klass = priv->backend_class;
  IoFdSlot *slot = &priv->fds[fd];
  gboolean ok = TRUE;

  if (!want)
    {
      if (!slot->kernel_registered)
        return TRUE;
      klass->remove (priv->backend, fd, slot->kernel_events);
    }
  else if (stale)
    ok = klass->invalidate (priv->backend, fd, events, error);
  else if (!slot->kernel_registered)
    ok = klass->add (priv->backend, fd, events, error);
  else if (events != slot->kernel_events)
    ok = klass->modify (priv->backend, fd, slot->kernel_events, events, error);
  else
    return TRUE;

  if (ok && want)
    {
      slot->kernel_registered = TRUE;
      slot->kernel_events = events;
      notify_fd_observers (priv, fd, TRUE, events);
    }
  else if (slot->kernel_registered)
    {
      slot->kernel_registered = FALSE;
      slot->kernel_events = 0;
      notify_fd_observers (priv, fd, FALSE, 0);
    }
  return ok;
}

void
_io_loop_flush_changes (IoLoopPrivate *priv)
{
  guint i;

  for (i = 0; i < priv->n_changes; i++)
    {
      int fd = priv->changes[i];
      IoFdSlot *slot = &priv->fds[fd];
      IoHandler *handler = slot->handler;
      guint32 events = handler != NULL ? handler->events & ~IO_EVENTS_ERROR : 0;

      slot->dirty = FALSE;
      /* The handler hears of a failure as an error condition, as it would
       * from poll() for a closed fd. */
      if (!sync_slot (priv, fd, handler != NULL, events, FALSE, NULL))
        g_array_append_val (priv->failed_fds, fd);
    }
  priv->n_changes = 0;
}

/* ---- handlers as sources (io-source.h) --------------------------------- */

/* Tells the notify, through _io_loop_notify_fd_was_closed(), whether the
 * loop closed the fd itself. */
static void
handler_notify (IoSource       *source,
                GDestroyNotify  notify,
                gpointer        user_data)
{
  IoHandler *handler = (IoHandler *) source;
  IoLoopPrivate *priv = handler->priv;
  int outer = priv->notify_closed_fd;

  priv->notify_closed_fd = handler->fd_closed ? handler->fd : -1;
  notify (user_data);
  priv->notify_closed_fd = outer;
}

/* The memory is kept in the fd's slot for the next handler, so that
 * removing and re-adding a watcher allocates nothing. */
static void
handler_free (IoSource *source)
{
  IoHandler *handler = (IoHandler *) source;
  IoLoopPrivate *priv = handler->priv;

  if (priv->fds[handler->fd].spare == NULL)
    priv->fds[handler->fd].spare = handler;
  else
    g_free (handler);
}

const IoSourceClass _io_handler_source_class = { handler_free, handler_notify };

/* Detaches the handler of @fd and destroys it (io-source.h): its notify
 * runs now, or after its callback returns if it is running.
 *
 * The backend forgets a removed fd now, not at the next flush: the caller
 * may close the fd the moment removal returns, and then the number is
 * anyone's (another thread's socket, a dup2() target), so a late removal
 * by number would touch a file that is not ours, and miss ours if it
 * lives on in a dup or a child (epoll would go on reporting it). A
 * closing loop leaves the kernel alone, as it drops the whole backend
 * next, and so does a forked child, whose kernel set is the parent's
 * until re-init rebuilds it. */
void
_io_loop_detach_handler (IoLoopPrivate *priv,
                         int            fd)
{
  IoHandler *handler = priv->fds[fd].handler;

  priv->fds[fd].handler = NULL;
  if (!_io_loop_is_closed_priv (priv) && !_io_loop_is_forked (priv))
    sync_slot (priv, fd, FALSE, 0, FALSE, NULL);
  _io_source_destroy (&handler->source);
}

gboolean
_io_loop_attach_handler (IoLoopPrivate  *priv,
                         int             fd,
                         IoEvents        events,
                         IoHandlerFunc   func,
                         gpointer        user_data,
                         GDestroyNotify  notify,
                         gboolean        internal,
                         GError        **error)
{
  IoFdSlot *slot = fd < priv->n_fds ? &priv->fds[fd] : NULL;
  IoHandler *handler;
  GError *local = NULL;
  gboolean probe_file;

  if (slot != NULL && slot->handler != NULL)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_EXISTS,
                   _("File descriptor %d already has a handler"), fd);
      return FALSE;
    }
  /* The fstat() stays in front of growing the table, so that an fd that
   * is not open allocates nothing; once the slot exists, a backend that
   * refuses such fds itself saves re-adding a handler a system call. */
  probe_file = slot == NULL || !priv->backend_class->add_refuses_files;
  if (!check_watchable (priv, fd, probe_file, error) || !ensure_fd_slot (priv, fd, error))
    return FALSE;
  slot = &priv->fds[fd];

  /* A slot without a handler is never registered (removal unregisters at
   * once), so this is a first registration, made now, so that a bad fd is
   * refused here rather than found out at the next poll. */
  if (!sync_slot (priv, fd, TRUE, events & ~IO_EVENTS_ERROR, FALSE, &local))
    {
      GError *precise = NULL;

      /* The loop's own message where it has one ("always ready"). */
      if (!probe_file && !check_watchable (priv, fd, TRUE, &precise))
        {
          g_clear_error (&local);
          local = precise;
        }
      g_propagate_error (error, local);
      return FALSE;
    }

  handler = slot->spare != NULL ? g_steal_pointer (&slot->spare) : g_new (IoHandler, 1);
  _io_source_init (&handler->source, IO_SOURCE_HANDLER, user_data, notify);
  handler->func = func;
  handler->priv = priv;
  handler->fd = fd;
  handler->events = events;
  handler->poll_gen = priv->poll_gen;
  handler->internal = internal;
  handler->fd_closed = FALSE;
  slot->handler = handler;
  return TRUE;
}

static gboolean
check_fd_arg (int       fd,
              IoEvents  events,
              GError  **error)
{
  if (fd < 0)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Invalid file descriptor %d"), fd);
      return FALSE;
    }
  if ((events & ~ALL_EVENTS) != 0)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Invalid events 0x%x for file descriptor %d"),
                   (guint) events, fd);
      return FALSE;
    }
  return TRUE;
}

static IoHandler *
lookup_user_handler (IoLoopPrivate  *priv,
                     int             fd,
                     GError        **error)
{
  IoHandler *handler = NULL;

  if (fd >= 0 && fd < priv->n_fds)
    handler = priv->fds[fd].handler;
  if (handler == NULL || handler->internal)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_NOT_FOUND,
                   _("File descriptor %d has no handler"), fd);
      return NULL;
    }
  return handler;
}

/**
 * io_loop_add_handler:
 * @loop: an #IoLoop
 * @fd: the file descriptor to watch
 * @events: the conditions to watch for; %IO_EVENTS_ERROR is always watched
 * @func: (scope notified) (closure user_data) (destroy notify): the handler
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data once the handler is removed
 * @error: return location for a #GError
 *
 * Calls @func on every iteration in which @fd is ready for one of @events
 * (level-triggered: a readable fd whose handler does not read it is
 * reported again). The handler stays until io_loop_remove_handler() or
 * io_loop_close().
 *
 * Fails with %IO_LOOP_ERROR_INVALID_ARGUMENT for a negative @fd,
 * %IO_LOOP_ERROR_BAD_FD if @fd is not open, %IO_LOOP_ERROR_EXISTS if @fd
 * already has a handler, %IO_LOOP_ERROR_UNSUPPORTED_FD if @fd cannot be
 * watched, and %IO_LOOP_ERROR_CLOSED on a closed loop. On failure nothing
 * is kept and @notify is not called. A %NULL @func is a programmer error.
 *
 * Regular files, directories and block devices are refused with
 * %IO_LOOP_ERROR_UNSUPPORTED_FD on every backend: they are always ready
 * for reading and writing, so a level-triggered loop would report them on
 * every iteration (epoll cannot watch them at all). Read such files
 * directly, or in a thread. A backend may refuse more: select() refuses an
 * fd at or above `FD_SETSIZE`, and epoll other files without poll support,
 * such as `/dev/null`.
 *
 * Returns: %TRUE if the handler was added
 *
 * Since: 1.0
 */
gboolean
io_loop_add_handler (IoLoop         *loop,
                     int             fd,
                     IoEvents        events,
                     IoHandlerFunc   func,
                     gpointer        user_data,
                     GDestroyNotify  notify,
                     GError        **error)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = _io_loop_get_private (loop);
  if (!_io_loop_check_usable (loop, error) || !check_fd_arg (fd, events, error))
    return FALSE;

  return _io_loop_attach_handler (priv, fd, events, func, user_data, notify, FALSE, error);
}

/**
 * io_loop_update_handler:
 * @loop: an #IoLoop
 * @fd: a file descriptor with a handler
 * @events: the conditions to watch for from now on
 * @error: return location for a #GError
 *
 * Changes the events the handler of @fd is called for. Events of the
 * current iteration that the handler no longer asks for are not delivered.
 *
 * Fails with %IO_LOOP_ERROR_NOT_FOUND if @fd has no handler.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
io_loop_update_handler (IoLoop    *loop,
                        int        fd,
                        IoEvents   events,
                        GError   **error)
{
  IoLoopPrivate *priv;
  IoHandler *handler;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = _io_loop_get_private (loop);
  if (!_io_loop_check_usable (loop, error) || !check_fd_arg (fd, events, error))
    return FALSE;
  handler = lookup_user_handler (priv, fd, error);
  if (handler == NULL)
    return FALSE;

  if (handler->events != (guint32) events)
    {
      handler->events = events;
      _io_loop_queue_change (priv, fd);
    }
  return TRUE;
}

/**
 * io_loop_remove_handler:
 * @loop: an #IoLoop
 * @fd: a file descriptor with a handler
 * @error: return location for a #GError
 *
 * Stops watching @fd. The handler is never called again, not even for
 * events of the current iteration, and its notify runs now (or, if the
 * handler is running, as soon as it returns). @fd is not closed.
 *
 * Fails with %IO_LOOP_ERROR_NOT_FOUND if @fd has no handler.
 *
 * Returns: %TRUE if a handler was removed
 *
 * Since: 1.0
 */
gboolean
io_loop_remove_handler (IoLoop  *loop,
                        int      fd,
                        GError **error)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = _io_loop_get_private (loop);
  if (_io_loop_is_closed_priv (priv) || priv->init_error != NULL)
    return _io_loop_check_usable (loop, error);
  if (lookup_user_handler (priv, fd, error) == NULL)
    return FALSE;

  _io_loop_detach_handler (priv, fd);
  return TRUE;
}

/**
 * io_loop_has_handler:
 * @loop: an #IoLoop
 * @fd: a file descriptor
 *
 * Returns: %TRUE if @fd has a handler in @loop
 *
 * Since: 1.0
 */
gboolean
io_loop_has_handler (IoLoop *loop,
                     int     fd)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  priv = _io_loop_get_private (loop);
  return fd >= 0 && fd < priv->n_fds && priv->fds[fd].handler != NULL &&
         !priv->fds[fd].handler->internal;
}

/* ---- internal handlers ------------------------------------------------ */

gboolean
_io_loop_add_internal_handler (IoLoop         *loop,
                               int             fd,
                               IoEvents        events,
                               IoHandlerFunc   func,
                               gpointer        user_data,
                               GError        **error)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);

  if (!_io_loop_check_usable (loop, error) || !check_fd_arg (fd, events, error))
    return FALSE;
  return _io_loop_attach_handler (priv, fd, events, func, user_data, NULL, TRUE, error);
}

void
_io_loop_update_internal_handler (IoLoop   *loop,
                                  int       fd,
                                  IoEvents  events)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  IoHandler *handler = fd >= 0 && fd < priv->n_fds ? priv->fds[fd].handler : NULL;

  if (handler != NULL && handler->internal && handler->events != (guint32) events)
    {
      handler->events = events;
      _io_loop_queue_change (priv, fd);
    }
}

gboolean
_io_loop_refresh_internal_handler (IoLoop *loop,
                                   int     fd)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  IoHandler *handler = fd >= 0 && fd < priv->n_fds ? priv->fds[fd].handler : NULL;

  if (handler == NULL || !handler->internal)
    return FALSE;
  /* As for a new handler: the number may name a file the loop refuses. */
  return check_watchable (priv, fd, TRUE, NULL) &&
         sync_slot (priv, fd, TRUE, handler->events & ~IO_EVENTS_ERROR, TRUE, NULL);
}

void
_io_loop_remove_internal_handler (IoLoop *loop,
                                  int     fd)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  IoHandler *handler = fd >= 0 && fd < priv->n_fds ? priv->fds[fd].handler : NULL;

  if (handler != NULL && handler->internal)
    _io_loop_detach_handler (priv, fd);
}
