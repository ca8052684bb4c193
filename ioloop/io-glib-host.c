/* io-glib-host.c: a GMainContext inside an IoLoop:
 * io_loop_add_main_context() and io_loop_remove_main_context(), which
 * iterate a GMainContext from the loop's prepare and check hooks, its fds
 * mirrored as internal handlers of the loop. A hosted context lives as
 * long as its hook (a source of the loop, io-source.h), whose notify
 * frees it. The other direction, the loop as a GSource of a context, is
 * io-glib-source.c.
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-glib.h"
#include "io-glib-private.h"

/* A hosted context's fd that the loop cannot watch (another handler has
 * it, or its number now names a file the loop refuses) is polled
 * separately, at least this often. */
#define UNWATCHED_POLL_MS 10

static GQuark
hosts_quark (void)
{
  return g_quark_from_static_string ("io-loop-glib-hosts");
}

/* Each iteration of the loop iterates the hosted context, as
 * g_main_context_iteration() would, from the loop's prepare and check
 * hooks: before the loop polls, the context is acquired, prepared and
 * queried; its poll fds are mirrored as internal handlers of the loop
 * (diffed against the previous iteration's, so that a stable set costs
 * no allocation) and its timeout lowers the loop's. After the loop has
 * dispatched its own handlers, the fds' events are handed to
 * g_main_context_check() and the ready sources dispatched.
 *
 * Another thread that adds a source wakes us: while we poll, the context
 * is acquired by our thread, so GLib writes its wake-up fd, which is one
 * of the mirrored fds. */

typedef struct _IoHostedContext IoHostedContext;

typedef struct
{
  IoHostedContext *host;
  int              fd;
  guint32          events;      /* what the internal handler watches */
  guint32          want;        /* what this iteration's poll fds ask */
  guint32          revents;     /* what this iteration's poll found */
  guint            seen;        /* the host's generation that queried it */
  gboolean         watched;     /* has an internal handler */
} IoHostedFd;

struct _IoHostedContext
{
  IoLoop        *loop;
  GMainContext  *context;
  guint          hook_id;
  guint          close_hook_id;
  gboolean       refresh;       /* the backend keeps per-fd kernel state */
  gboolean       acquired;
  gint           max_priority;
  GPollFD       *pollfds;
  IoHostedFd   **entries;       /* entries[i] is the fd of pollfds[i] */
  gint           n_pollfds;
  gint           size;
  GHashTable    *fds;           /* fd -> IoHostedFd */
  guint          generation;
  GPtrArray     *ready;         /* IoHostedFd with revents */
  guint          n_unwatched;
};

static GPtrArray *
get_hosts (IoLoop *loop)
{
  return g_object_get_qdata (G_OBJECT (loop), hosts_quark ());
}

static IoHostedContext *
find_host (IoLoop       *loop,
           GMainContext *context)
{
  GPtrArray *hosts = get_hosts (loop);
  guint i;

  for (i = 0; hosts != NULL && i < hosts->len; i++)
    {
      IoHostedContext *host = g_ptr_array_index (hosts, i);

      if (host->context == context)
        return host;
    }
  return NULL;
}

gboolean
_io_glib_hosts_context (IoLoop       *loop,
                        GMainContext *context)
{
  return find_host (loop, context) != NULL;
}

static guint32
io_events_from_condition (gushort condition)
{
  return ((condition & (G_IO_IN | G_IO_PRI)) ? IO_EVENTS_READ : 0) |
         ((condition & G_IO_OUT) ? IO_EVENTS_WRITE : 0);
}

static void
hosted_fd_ready (int        fd,
                 IoEvents   revents,
                 gpointer   user_data,
                 GError   **error)
{
  IoHostedFd *entry = user_data;

  if (entry->revents == 0)
    g_ptr_array_add (entry->host->ready, entry);
  entry->revents |= revents;
}

static void
hosted_fd_unwatch (IoHostedContext *host,
                   IoHostedFd      *entry)
{
  if (entry->watched)
    _io_loop_remove_internal_handler (host->loop, entry->fd);
  entry->watched = FALSE;
}

static void
hosted_fd_watch (IoHostedContext *host,
                 IoHostedFd      *entry)
{
  /* Fails if the fd has a handler already (the application's, or another
   * hosted context's) or is not open: then it is polled apart. */
  entry->watched = _io_loop_add_internal_handler (host->loop, entry->fd, entry->want,
                                                  hosted_fd_ready, entry, NULL);
  entry->events = entry->want;
}

/* Brings the internal handlers in line with the fds just queried. */
static void
hosted_sync_fds (IoHostedContext *host)
{
  GHashTableIter iter;
  IoHostedFd *entry;
  gint i;

  host->generation++;
  for (i = 0; i < host->n_pollfds; i++)
    {
      int fd = host->pollfds[i].fd;

      entry = g_hash_table_lookup (host->fds, GINT_TO_POINTER (fd));
      if (entry == NULL)
        {
          entry = g_new0 (IoHostedFd, 1);
          entry->host = host;
          entry->fd = fd;
          g_hash_table_insert (host->fds, GINT_TO_POINTER (fd), entry);
        }
      if (entry->seen != host->generation)
        {
          entry->seen = host->generation;
          entry->want = 0;
        }
      entry->want |= io_events_from_condition (host->pollfds[i].events);
      host->entries[i] = entry;
    }

  host->n_unwatched = 0;
  g_hash_table_iter_init (&iter, host->fds);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->seen != host->generation)
        {
          hosted_fd_unwatch (host, entry);
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (!entry->watched)
        hosted_fd_watch (host, entry);
      else if (entry->want != entry->events)
        {
          _io_loop_update_internal_handler (host->loop, entry->fd, entry->want);
          entry->events = entry->want;
        }
      else if (host->refresh &&
               !_io_loop_refresh_internal_handler (host->loop, entry->fd))
        {
          /* The fd may have been closed and its number reused by a new
           * file since the last poll, which epoll and kqueue would not
           * notice: the refresh registered it anew (one epoll_ctl). Now
           * it cannot be watched: it is polled apart. */
          hosted_fd_unwatch (host, entry);
        }
      if (!entry->watched)
        host->n_unwatched++;
    }
}

static void
hosted_clear_ready (IoHostedContext *host)
{
  guint i;

  for (i = 0; i < host->ready->len; i++)
    ((IoHostedFd *) g_ptr_array_index (host->ready, i))->revents = 0;
  g_ptr_array_set_size (host->ready, 0);
}

static void
hosted_release (IoHostedContext *host)
{
  if (host->acquired)
    g_main_context_release (host->context);
  host->acquired = FALSE;
}

static void
hosted_prepare (gpointer  data,
                int      *timeout_ms)
{
  IoHostedContext *host = data;
  gint timeout = -1;

  hosted_clear_ready (host);
  host->n_pollfds = 0;
  if (!host->acquired)
    {
      /* Another thread iterates the context right now: its business. */
      if (!g_main_context_acquire (host->context))
        return;
      host->acquired = TRUE;
    }

  if (g_main_context_prepare (host->context, &host->max_priority))
    *timeout_ms = 0;

  for (;;)
    {
      gint n = g_main_context_query (host->context, host->max_priority, &timeout,
                                     host->pollfds, host->size);

      if (n <= host->size)
        {
          host->n_pollfds = n;
          break;
        }
      host->size = MAX (n, 2 * host->size);
      host->pollfds = g_renew (GPollFD, host->pollfds, host->size);
      host->entries = g_renew (IoHostedFd *, host->entries, host->size);
    }

  hosted_sync_fds (host);
  if (host->n_unwatched > 0 && (timeout < 0 || timeout > UNWATCHED_POLL_MS))
    timeout = UNWATCHED_POLL_MS;
  if (timeout >= 0 && (*timeout_ms < 0 || timeout < *timeout_ms))
    *timeout_ms = timeout;
}

/* The fds the loop could not watch, polled without waiting. */
static void
hosted_poll_unwatched (IoHostedContext *host)
{
  GPollFD *fds = g_newa (GPollFD, host->n_pollfds);
  gint n = 0, i, j;

  for (i = 0; i < host->n_pollfds; i++)
    if (!host->entries[i]->watched)
      fds[n++] = host->pollfds[i];
  if (n == 0 || g_poll (fds, n, 0) <= 0)
    return;
  for (i = 0, j = 0; i < host->n_pollfds && j < n; i++)
    if (!host->entries[i]->watched)
      host->pollfds[i].revents = fds[j++].revents;
}

static void hosted_free (IoHostedContext *host);

static void
hosted_check (gpointer data)
{
  IoHostedContext *host = data;
  gint i;

  if (!host->acquired)
    return;

  for (i = 0; i < host->n_pollfds; i++)
    {
      GPollFD *pollfd = &host->pollfds[i];

      pollfd->revents = host->entries[i]->revents &
                        (pollfd->events | G_IO_ERR | G_IO_HUP | G_IO_NVAL);
    }
  if (host->n_unwatched > 0)
    hosted_poll_unwatched (host);
  hosted_clear_ready (host);

  if (g_main_context_check (host->context, host->max_priority,
                            host->pollfds, host->n_pollfds))
    g_main_context_dispatch (host->context);

  hosted_release (host);
}

static void
hosted_free (IoHostedContext *host)
{
  hosted_release (host);
  g_hash_table_unref (host->fds);
  g_ptr_array_unref (host->ready);
  g_free (host->pollfds);
  g_free (host->entries);
  g_main_context_unref (host->context);
  g_free (host);
}

/* Stops hosting. Removing the hook frees @host (hosted_free() is its
 * notify), now or, if a GLib callback in its check is running, once that
 * returned. */
static void
hosted_detach (IoHostedContext *host,
               gboolean         loop_closed)
{
  GHashTableIter iter;
  IoHostedFd *entry;

  g_ptr_array_remove (get_hosts (host->loop), host);

  /* io_loop_close() has removed the handlers already. */
  g_hash_table_iter_init (&iter, host->fds);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!loop_closed)
      hosted_fd_unwatch (host, entry);
  g_hash_table_remove_all (host->fds);
  g_ptr_array_set_size (host->ready, 0);
  host->n_pollfds = 0;
  host->n_unwatched = 0;

  _io_loop_remove_close_hook (host->loop, host->close_hook_id);
  _io_loop_remove_hook (host->loop, host->hook_id);
}

/* The loop's close hook. */
static void
hosted_loop_closed (gpointer data)
{
  hosted_detach (data, TRUE);
}

/**
 * io_loop_add_main_context:
 * @loop: an #IoLoop
 * @context: (nullable): the #GMainContext to host, or %NULL for the global
 *   default context
 * @error: return location for a #GError
 *
 * Lets @loop drive GLib: from now on, each iteration of @loop also
 * iterates @context, so that while io_loop_start() runs, the sources
 * attached to @context (GDBus method calls and signals, GIO asynchronous
 * operations, g_timeout_add() and g_idle_add() on the default context)
 * are dispatched on the loop's thread, with their own priorities and
 * timings. Another thread that attaches a source to @context or calls
 * g_main_context_wakeup() wakes the loop.
 *
 * The file descriptors of @context are watched by @loop itself: one that
 * already has a handler in @loop is polled separately, every 10
 * milliseconds at least, rather than not at all; better not share fds
 * between the two.
 *
 * @context is acquired (g_main_context_acquire()) for the duration of
 * each iteration: while another thread iterates it, @loop skips it. Call
 * this, and io_loop_remove_main_context(), from the loop's thread. A loop
 * hosts any number of contexts; closing the loop stops hosting them.
 *
 * Fails with %IO_LOOP_ERROR_EXISTS if @loop hosts @context already,
 * %IO_LOOP_ERROR_INVALID_ARGUMENT if @loop is attached to @context
 * (io_loop_attach()), and %IO_LOOP_ERROR_CLOSED or %IO_LOOP_ERROR_FORKED
 * if @loop cannot be used.
 *
 * Returns: %TRUE if @context is now hosted
 *
 * Since: 1.0
 */
gboolean
io_loop_add_main_context (IoLoop        *loop,
                          GMainContext  *context,
                          GError       **error)
{
  static const IoLoopHookFuncs funcs = { hosted_prepare, hosted_check };
  GSource *attached;
  IoHostedContext *host;
  GPtrArray *hosts;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_io_loop_check_usable (loop, error))
    return FALSE;
  if (context == NULL)
    context = g_main_context_default ();
  if (find_host (loop, context) != NULL)
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_EXISTS,
                           _("The loop hosts this main context already"));
      return FALSE;
    }
  attached = g_object_get_qdata (G_OBJECT (loop), _io_glib_source_quark ());
  if (attached != NULL && g_source_get_context (attached) == context)
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                           _("The loop is attached to this main context: it cannot also host it"));
      return FALSE;
    }

  hosts = get_hosts (loop);
  if (hosts == NULL)
    {
      hosts = g_ptr_array_new ();
      g_object_set_qdata_full (G_OBJECT (loop), hosts_quark (), hosts,
                               (GDestroyNotify) g_ptr_array_unref);
    }

  host = g_new0 (IoHostedContext, 1);
  host->loop = loop;
  host->context = g_main_context_ref (context);
  host->refresh = _io_loop_kernel_keeps_fds (loop);
  host->fds = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  host->ready = g_ptr_array_new ();
  host->size = 16;
  host->pollfds = g_new (GPollFD, host->size);
  host->entries = g_new (IoHostedFd *, host->size);
  host->close_hook_id = _io_loop_add_close_hook (loop, hosted_loop_closed, host);
  host->hook_id = _io_loop_add_hook (loop, &funcs, host, (GDestroyNotify) hosted_free);
  g_ptr_array_add (hosts, host);
  return TRUE;
}

/**
 * io_loop_remove_main_context:
 * @loop: an #IoLoop
 * @context: (nullable): a hosted #GMainContext, or %NULL for the global
 *   default context
 *
 * Stops hosting @context (see io_loop_add_main_context()). Safe to call
 * from a source of @context that @loop is dispatching: the context is
 * released once that source returns.
 *
 * Returns: %TRUE if @loop hosted @context
 *
 * Since: 1.0
 */
gboolean
io_loop_remove_main_context (IoLoop       *loop,
                             GMainContext *context)
{
  IoHostedContext *host;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  if (context == NULL)
    context = g_main_context_default ();
  host = find_host (loop, context);
  if (host == NULL)
    return FALSE;
  hosted_detach (host, io_loop_is_closed (loop));
  return TRUE;
}
