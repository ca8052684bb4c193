/* io-glib.c: an IoLoop inside a GMainContext, and a GMainContext inside an
 * IoLoop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-glib.h"

/* IoEvents has the values of poll(), and so of GIOCondition. */
G_STATIC_ASSERT ((int) IO_EVENTS_READ == (int) G_IO_IN);
G_STATIC_ASSERT ((int) IO_EVENTS_WRITE == (int) G_IO_OUT);
G_STATIC_ASSERT ((int) IO_EVENTS_ERROR == (int) (G_IO_ERR | G_IO_HUP));

/* A hosted context's fd that the loop cannot watch (another handler has
 * it) is polled separately, at least this often. */
#define UNWATCHED_POLL_MS 10

static GQuark
source_quark (void)
{
  return g_quark_from_static_string ("io-loop-glib-source");
}

static GQuark
hosts_quark (void)
{
  return g_quark_from_static_string ("io-loop-glib-hosts");
}

/* ==== an IoLoop inside a GMainContext ==================================== */

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
      io_loop_report_exception (ls->loop, error);
    }
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
        io_loop_report_exception (ls->loop, error);
      g_clear_error (&error);
    }

  return io_loop_is_closed (ls->loop) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
loop_source_finalize (GSource *source)
{
  IoLoopSource *ls = (IoLoopSource *) source;

  if (g_object_get_qdata (G_OBJECT (ls->loop), source_quark ()) == ls)
    g_object_set_qdata (G_OBJECT (ls->loop), source_quark (), NULL);
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

static gboolean hosts_context (IoLoop       *loop,
                               GMainContext *context);

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
  if (g_object_get_qdata (G_OBJECT (loop), source_quark ()) != NULL)
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
  if (hosts_context (loop, context))
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

  g_object_set_qdata (G_OBJECT (loop), source_quark (), ls);
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

  ls = g_object_steal_qdata (G_OBJECT (loop), source_quark ());
  if (ls == NULL)
    return FALSE;
  /* The context drops its reference: finalize unrefs the loop, now or
   * after the running dispatch returns. */
  g_source_destroy (&ls->source);
  return TRUE;
}

/* ==== a GMainContext inside an IoLoop ==================================== */

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
  gboolean       in_check;
  gboolean       detached;
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

static gboolean
hosts_context (IoLoop       *loop,
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
      else if (host->refresh)
        {
          /* The fd may have been closed and its number reused by a new
           * file since the last poll, which epoll and kqueue would not
           * notice: adding the handler again makes the loop register the
           * fd anew (one epoll_ctl, batched with the other changes). */
          hosted_fd_unwatch (host, entry);
          hosted_fd_watch (host, entry);
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

  host->in_check = TRUE;
  if (g_main_context_check (host->context, host->max_priority,
                            host->pollfds, host->n_pollfds))
    g_main_context_dispatch (host->context);
  host->in_check = FALSE;

  hosted_release (host);
  if (host->detached)
    hosted_free (host);
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

/* Stops hosting; frees @host unless a GLib callback of it is running. */
static void
hosted_detach (IoHostedContext *host,
               gboolean         loop_closed)
{
  GHashTableIter iter;
  IoHostedFd *entry;

  host->detached = TRUE;
  g_ptr_array_remove (get_hosts (host->loop), host);
  _io_loop_remove_hook (host->loop, host->hook_id);

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

  if (!host->in_check)
    hosted_free (host);
}

/* The loop's close hook. */
static void
hosted_loop_closed (gpointer data)
{
  IoHostedContext *host = data;

  if (!host->detached)
    hosted_detach (host, TRUE);
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
  IoLoopSource *attached;
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
  attached = g_object_get_qdata (G_OBJECT (loop), source_quark ());
  if (attached != NULL && g_source_get_context (&attached->source) == context)
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
  host->hook_id = _io_loop_add_hook (loop, &funcs, host);
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
