/* io-stream-connect.c: io_stream_connect_tcp() and io_stream_connect_unix(),
 * name resolution off the loop's thread, a non-blocking connect and a
 * deadline
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A host name is resolved by g_resolver_lookup_by_name() in a thread of
 * its own, which hands the result back through an IoAsync: a GResolver's
 * async calls would report to a GMainContext, which an IoLoop need not run.
 * The IoAsync's notify also tells us when the loop closes under us. The
 * addresses (native sockaddrs, one for a Unix path) are then tried in
 * order, each with a non-blocking connect whose completion the new
 * stream's handler sees (WRITE).
 *
 * A Unix socket whose listener's queue is full fails connect() with
 * EAGAIN instead of waiting, and tells no one when the queue has room
 * (the unconnected socket polls writable at once): the op tries again
 * after a pause, as a blocking connect() would wait.
 *
 * An op is referenced by its IoAsync (dropped by the async's notify, which
 * may run after the op has finished), by the resolver thread while it
 * runs, and while pending (dropped when the op finishes). Its timers hold
 * no reference: the op removes them when it finishes. A resolver thread
 * that outlives the op (a deadline, a closed loop) finds its lookup's
 * GCancellable cancelled; what it resolves anyway is freed with the op.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "io-async.h"
#include "io-stream-private.h"
#include "io-unix-address-private.h"

#define FIRST_RETRY_PAUSE 0.005
#define LAST_RETRY_PAUSE  1.0

struct _IoConnectOp
{
  gint                 ref_count;       /* atomic */
  IoLoop              *loop;
  char                *host;            /* TCP */
  guint16              port;
  char                *path;            /* Unix */
  IoStreamConnectFunc  func;
  gpointer             user_data;
  GDestroyNotify       notify;
  IoAsync             *async;
  GCancellable        *resolving;       /* the resolver thread's */

  GMutex               mutex;           /* the resolver thread's results */
  GList               *resolved;        /* GBytes: a native sockaddr */
  GError              *resolve_error;

  /* The loop's thread only. */
  gboolean             started;
  gboolean             done;
  GList               *addresses;       /* GBytes: a native sockaddr */
  GList               *next;
  GError              *last_error;
  IoStream            *stream;          /* connecting; the loop holds it */
  IoTimeout           *deadline;
  IoTimeout           *retry;
  gdouble              retry_pause;
};

static void
op_unref (IoConnectOp *op)
{
  if (!g_atomic_int_dec_and_test (&op->ref_count))
    return;
  g_list_free_full (op->resolved, (GDestroyNotify) g_bytes_unref);
  g_list_free_full (op->addresses, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&op->resolve_error);
  g_clear_error (&op->last_error);
  g_clear_pointer (&op->async, io_async_unref);
  g_clear_object (&op->resolving);
  g_mutex_clear (&op->mutex);
  g_free (op->host);
  g_free (op->path);
  g_object_unref (op->loop);
  g_free (op);
}

static void
op_drop_timer (IoConnectOp  *op,
               IoTimeout   **timer)
{
  IoTimeout *timeout = g_steal_pointer (timer);

  if (timeout != NULL)
    {
      io_loop_remove_timeout (op->loop, timeout);
      io_timeout_unref (timeout);
    }
}

static void
op_finish (IoConnectOp  *op,
           IoStream     *stream,
           const GError *error)
{
  op->done = TRUE;
  op_drop_timer (op, &op->deadline);
  op_drop_timer (op, &op->retry);
  g_cancellable_cancel (op->resolving);
  op->func (stream, error, op->user_data);
  if (op->notify != NULL)
    op->notify (op->user_data);
  if (op->async != NULL)        /* NULL: io_async_new() is still running */
    io_async_close (op->async);
  op_unref (op);
}

/* Finishes before a stream connected: drops the one connecting. */
static void
op_fail (IoConnectOp  *op,
         const GError *error)
{
  if (op->stream != NULL)
    _io_stream_abandon_connect (g_steal_pointer (&op->stream));
  op_finish (op, NULL, error);
}

static GError *
op_error_new (IoConnectOp *op,
              GQuark       domain,
              int          code,
              const char  *detail)
{
  if (op->path != NULL)
    return g_error_new (domain, code, _("Could not connect to %s: %s"), op->path, detail);
  return g_error_new (domain, code, _("Could not connect to %s port %u: %s"),
                      op->host, (guint) op->port, detail);
}

static void
op_set_errno (IoConnectOp *op,
              int          errsv)
{
  g_clear_error (&op->last_error);
  op->last_error = op_error_new (op, G_IO_ERROR, g_io_error_from_errno (errsv),
                                 g_strerror (errsv));
}

static void op_try_next (IoConnectOp *op);

static void
on_retry (gpointer   data,
          GError   **error)
{
  IoConnectOp *op = data;

  g_clear_pointer (&op->retry, io_timeout_unref);
  op_try_next (op);
}

/* The listener's queue is full: the same address again, a little later. */
static gboolean
op_schedule_retry (IoConnectOp *op)
{
  GError *error = NULL;

  op->retry = io_loop_call_later (op->loop, op->retry_pause, on_retry, op, NULL, &error);
  if (op->retry == NULL)
    {
      g_clear_error (&op->last_error);
      op->last_error = error;
      return FALSE;
    }
  io_timeout_ref (op->retry);
  op->retry_pause = MIN (op->retry_pause * 2, LAST_RETRY_PAUSE);
  return TRUE;
}

static void
op_try_next (IoConnectOp *op)
{
  while (op->next != NULL)
    {
      GList *current = op->next;
      gsize native_len;
      const struct sockaddr *native = g_bytes_get_data (current->data, &native_len);
      IoStream *stream;
      GError *error = NULL;
      int fd, r;

      op->next = current->next;
      fd = socket (native->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          op_set_errno (op, errno);
          continue;
        }
      r = connect (fd, native, native_len);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          op_set_errno (op, errno);
          close (fd);
          if (op_schedule_retry (op))
            {
              op->next = current;
              return;
            }
          continue;
        }
      if (r < 0 && errno != EINPROGRESS && errno != EINTR)
        {
          op_set_errno (op, errno);
          close (fd);
          continue;
        }
      stream = io_stream_new (op->loop, fd, &error);
      if (stream == NULL)
        {
          close (fd);
          g_clear_error (&op->last_error);
          op->last_error = error;
          continue;
        }
      if (r == 0)
        {
          op_finish (op, stream, NULL);
          g_object_unref (stream);
          return;
        }
      op->stream = stream;
      _io_stream_set_connecting (stream, op);
      g_object_unref (stream);
      return;
    }

  if (op->last_error == NULL)
    op->last_error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                  _("No address to connect to for %s"), op->host);
  op_finish (op, NULL, op->last_error);
}

void
_io_connect_op_stream_connected (IoConnectOp *op,
                                 IoStream    *stream)
{
  op->stream = NULL;
  op_finish (op, stream, NULL);
}

void
_io_connect_op_stream_failed (IoConnectOp  *op,
                              IoStream     *stream,
                              const GError *error)
{
  op->stream = NULL;
  g_clear_error (&op->last_error);
  if (error != NULL)
    op->last_error = op_error_new (op, error->domain, error->code, error->message);
  else
    op->last_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                          _("The stream closed while connecting"));
  op_try_next (op);
}

/* The addresses are in (or the resolver failed). */
static void
on_async (gpointer   data,
          GError   **error)
{
  IoConnectOp *op = data;

  if (op->done || op->started)
    return;
  op->started = TRUE;
  g_mutex_lock (&op->mutex);
  op->addresses = g_steal_pointer (&op->resolved);
  op->last_error = g_steal_pointer (&op->resolve_error);
  g_mutex_unlock (&op->mutex);
  op->next = op->addresses;
  op_try_next (op);
}

/* The IoAsync closed: by op_finish(), or because the loop closed. */
static void
on_async_closed (gpointer data)
{
  IoConnectOp *op = data;
  GError *error;

  if (!op->done)
    {
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The loop was closed"));
      op_fail (op, error);
      g_error_free (error);
    }
  op_unref (op);
}

static void
on_deadline (gpointer   data,
             GError   **error)
{
  IoConnectOp *op = data;
  GError *timed_out;

  g_clear_pointer (&op->deadline, io_timeout_unref);
  timed_out = op_error_new (op, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("Connection timed out"));
  op_fail (op, timed_out);
  g_error_free (timed_out);
}

static GBytes *
native_from_inet (GInetAddress *address,
                  guint16       port)
{
  GSocketAddress *sa = g_inet_socket_address_new (address, port);
  gsize size = g_socket_address_get_native_size (sa);
  gpointer native = g_malloc (size);

  if (!g_socket_address_to_native (sa, native, size, NULL))
    g_clear_pointer (&native, g_free);
  g_object_unref (sa);
  return native != NULL ? g_bytes_new_take (native, size) : NULL;
}

static GList *
natives_from_inet (GList   *addresses,
                   guint16  port)
{
  GList *natives = NULL, *l;

  for (l = addresses; l != NULL; l = l->next)
    {
      GBytes *native = native_from_inet (l->data, port);

      if (native != NULL)
        natives = g_list_prepend (natives, native);
    }
  return g_list_reverse (natives);
}

static gpointer
resolve_thread (gpointer data)
{
  IoConnectOp *op = data;
  GResolver *resolver = g_resolver_get_default ();
  GError *error = NULL;
  GList *addresses = g_resolver_lookup_by_name (resolver, op->host, op->resolving, &error);
  GList *natives = natives_from_inet (addresses, op->port);

  g_resolver_free_addresses (addresses);
  g_object_unref (resolver);
  g_mutex_lock (&op->mutex);
  op->resolved = natives;
  op->resolve_error = error;
  g_mutex_unlock (&op->mutex);
  io_async_send (op->async);
  op_unref (op);
  return NULL;
}

/* For @host and @port, or @path. Returns NULL when the op is finished
 * already (a closed loop), or on a programmer error. */
static IoConnectOp *
op_start (IoLoop              *loop,
          const char          *host,
          guint16              port,
          const char          *path,
          gdouble              timeout,
          IoStreamConnectFunc  func,
          gpointer             user_data,
          GDestroyNotify       notify)
{
  IoConnectOp *op;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  op = g_new0 (IoConnectOp, 1);
  op->ref_count = 3;            /* pending, the IoAsync's, the caller's */
  op->loop = g_object_ref (loop);
  op->host = g_strdup (host);
  op->port = port;
  op->path = g_strdup (path);
  op->func = func;
  op->user_data = user_data;
  op->notify = notify;
  op->retry_pause = FIRST_RETRY_PAUSE;
  op->resolving = g_cancellable_new ();
  g_mutex_init (&op->mutex);
  op->async = io_async_new (loop, on_async, op, on_async_closed);
  if (op->done)                 /* a closed loop: finished already */
    {
      op_unref (op);
      return NULL;
    }
  if (timeout > 0)
    {
      op->deadline = io_loop_call_later (loop, timeout, on_deadline, op, NULL, NULL);
      if (op->deadline != NULL)
        io_timeout_ref (op->deadline);
    }
  return op;
}

/* The addresses to try are in op->resolved (or the error): go. */
static void
op_resolved (IoConnectOp *op)
{
  io_async_send (op->async);
  op_unref (op);
}

/**
 * io_stream_connect_tcp:
 * @loop: the loop the stream will run on
 * @host: a host name or a literal IPv4 or IPv6 address
 * @port: the TCP port
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the connected stream or an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Connects to @host on @port, without a timeout other than the kernel's:
 * io_stream_connect_tcp_full() with a @timeout of 0.
 *
 * Since: 1.2
 */
void
io_stream_connect_tcp (IoLoop              *loop,
                       const char          *host,
                       guint16              port,
                       IoStreamConnectFunc  func,
                       gpointer             user_data,
                       GDestroyNotify       notify)
{
  io_stream_connect_tcp_full (loop, host, port, 0, func, user_data, notify);
}

/**
 * io_stream_connect_tcp_full:
 * @loop: the loop the stream will run on
 * @host: a host name or a literal IPv4 or IPv6 address
 * @port: the TCP port
 * @timeout: seconds the whole connect may take, name resolution included;
 *   0 or less for no timeout (as #GSocketClient:timeout)
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the connected stream or an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Connects to @host on @port. A name is resolved in another thread
 * (GResolver), so the loop goes on meanwhile; each address is then tried
 * in turn with a non-blocking connect, and @func gets the first stream
 * that connects, or the last address's error (%G_IO_ERROR_CONNECTION_REFUSED,
 * a #GResolverError for a name that does not resolve).
 *
 * The connect fails with %G_IO_ERROR_TIMED_OUT when no address has
 * connected @timeout seconds after this call, wherever it is: still
 * resolving, or waiting for an address's connect (one deadline for all,
 * as Tornado's `TCPClient.connect(timeout=)`); with %G_IO_ERROR_CLOSED
 * when the loop closes first. A resolver thread still running then goes
 * on alone (its lookup is cancelled) and its result is dropped.
 *
 * @func runs on the loop's thread, exactly once, never from inside this
 * call, except on a closed loop, where it gets %G_IO_ERROR_CLOSED at once;
 * @notify runs once, after it.
 *
 * Since: 1.2
 */
void
io_stream_connect_tcp_full (IoLoop              *loop,
                            const char          *host,
                            guint16              port,
                            gdouble              timeout,
                            IoStreamConnectFunc  func,
                            gpointer             user_data,
                            GDestroyNotify       notify)
{
  IoConnectOp *op;
  GInetAddress *literal;
  GThread *thread;
  GError *error = NULL;

  g_return_if_fail (host != NULL);

  op = op_start (loop, host, port, NULL, timeout, func, user_data, notify);
  if (op == NULL)
    return;

  literal = g_inet_address_new_from_string (host);
  if (literal != NULL)
    {
      GList one = { literal, NULL, NULL };

      op->resolved = natives_from_inet (&one, port);
      g_object_unref (literal);
      op_resolved (op);
      return;
    }

  g_atomic_int_inc (&op->ref_count);
  thread = g_thread_try_new ("io-resolver", resolve_thread, op, &error);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    {
      g_atomic_int_add (&op->ref_count, -1);
      op->resolve_error = error;
      io_async_send (op->async);
    }
  op_unref (op);
}

/**
 * io_stream_connect_unix:
 * @loop: the loop the stream will run on
 * @path: the path of a Unix stream socket; on Linux, `@name` for the
 *   socket "name" of the abstract namespace
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the connected stream or an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Connects to the Unix socket at @path, without a timeout:
 * io_stream_connect_unix_full() with a @timeout of 0.
 *
 * Since: 1.2
 */
void
io_stream_connect_unix (IoLoop              *loop,
                        const char          *path,
                        IoStreamConnectFunc  func,
                        gpointer             user_data,
                        GDestroyNotify       notify)
{
  io_stream_connect_unix_full (loop, path, 0, func, user_data, notify);
}

/**
 * io_stream_connect_unix_full:
 * @loop: the loop the stream will run on
 * @path: the path of a Unix stream socket; on Linux, `@name` for the
 *   socket "name" of the abstract namespace
 * @timeout: seconds the connect may take; 0 or less for no timeout
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the connected stream or an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Connects to the Unix stream socket at @path with a non-blocking
 * connect. Errors are %G_IO_ERROR errors from the `errno` of connect():
 * %G_IO_ERROR_NOT_FOUND for a path where there is nothing,
 * %G_IO_ERROR_CONNECTION_REFUSED for a socket nobody listens on,
 * %G_IO_ERROR_PERMISSION_DENIED; an empty @path, or one longer than a
 * `sun_path` holds (107 bytes on Linux), is %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * When the listener's queue is full, connect() would block, and a
 * non-blocking one fails at once (`EAGAIN`) without telling when there is
 * room: the connect is then tried again after a pause (5 ms, doubling up
 * to 1 s) for as long as the queue stays full, as a blocking connect()
 * waits, until @timeout. The timeout, a closing loop and the callback's
 * rules are those of io_stream_connect_tcp_full().
 *
 * Since: 1.2
 */
void
io_stream_connect_unix_full (IoLoop              *loop,
                             const char          *path,
                             gdouble              timeout,
                             IoStreamConnectFunc  func,
                             gpointer             user_data,
                             GDestroyNotify       notify)
{
  IoConnectOp *op;
  struct sockaddr_un addr;
  socklen_t len;
  GError *error = NULL;

  g_return_if_fail (path != NULL);

  op = op_start (loop, NULL, 0, path, timeout, func, user_data, notify);
  if (op == NULL)
    return;
  if (_io_unix_address_init (&addr, &len, path, NULL, &error))
    op->resolved = g_list_append (NULL, g_bytes_new (&addr, len));
  else
    op->resolve_error = error;
  op_resolved (op);
}
