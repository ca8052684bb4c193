/* io-stream-connect.c: io_stream_connect_tcp(), name resolution off the
 * loop's thread and a non-blocking connect
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A host name is resolved by g_resolver_lookup_by_name() in a thread of
 * its own, which hands the result back through an IoAsync: a GResolver's
 * async calls would report to a GMainContext, which an IoLoop need not run.
 * The IoAsync's notify also tells us when the loop closes under us. The
 * addresses are then tried in order, each with a non-blocking connect
 * whose completion the new stream's handler sees (WRITE).
 *
 * An op is referenced by its IoAsync (dropped by the async's notify, which
 * may run after the op has finished), by the resolver thread while it
 * runs, and while pending (dropped when the op finishes).
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "io-async.h"
#include "io-stream-private.h"

struct _IoConnectOp
{
  gint                 ref_count;       /* atomic */
  IoLoop              *loop;
  char                *host;
  guint16              port;
  IoStreamConnectFunc  func;
  gpointer             user_data;
  GDestroyNotify       notify;
  IoAsync             *async;

  GMutex               mutex;           /* the resolver thread's results */
  GList               *resolved;        /* GInetAddress */
  GError              *resolve_error;

  /* The loop's thread only. */
  gboolean             started;
  gboolean             done;
  GList               *addresses;
  GList               *next;
  GError              *last_error;
  IoStream            *stream;          /* connecting; the loop holds it */
};

static void
op_unref (IoConnectOp *op)
{
  if (!g_atomic_int_dec_and_test (&op->ref_count))
    return;
  g_list_free_full (op->resolved, g_object_unref);
  g_list_free_full (op->addresses, g_object_unref);
  g_clear_error (&op->resolve_error);
  g_clear_error (&op->last_error);
  g_clear_pointer (&op->async, io_async_unref);
  g_mutex_clear (&op->mutex);
  g_free (op->host);
  g_object_unref (op->loop);
  g_free (op);
}

static void
op_finish (IoConnectOp  *op,
           IoStream     *stream,
           const GError *error)
{
  op->done = TRUE;
  op->func (stream, error, op->user_data);
  if (op->notify != NULL)
    op->notify (op->user_data);
  if (op->async != NULL)        /* NULL: io_async_new() is still running */
    io_async_close (op->async);
  op_unref (op);
}

static void
op_set_errno (IoConnectOp *op,
              int          errsv)
{
  g_clear_error (&op->last_error);
  op->last_error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                                _("Could not connect to %s port %u: %s"),
                                op->host, (guint) op->port, g_strerror (errsv));
}

static void
op_try_next (IoConnectOp *op)
{
  while (op->next != NULL)
    {
      GInetAddress *address = op->next->data;
      GSocketAddress *sa = g_inet_socket_address_new (address, op->port);
      struct sockaddr_storage native;
      socklen_t native_len = g_socket_address_get_native_size (sa);
      IoStream *stream;
      GError *error = NULL;
      int fd, r;

      op->next = op->next->next;
      if (!g_socket_address_to_native (sa, &native, sizeof native, &error))
        {
          g_object_unref (sa);
          g_clear_error (&op->last_error);
          op->last_error = error;
          continue;
        }
      g_object_unref (sa);

      fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          op_set_errno (op, errno);
          continue;
        }
      r = connect (fd, (struct sockaddr *) &native, native_len);
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
    op->last_error = g_error_new (error->domain, error->code,
                                  _("Could not connect to %s port %u: %s"),
                                  op->host, (guint) op->port, error->message);
  else
    op->last_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                          _("The stream closed while connecting"));
  op_try_next (op);
}

/* The addresses are in (or the resolver failed). */
static void
on_resolved (gpointer   data,
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
      if (op->stream != NULL)
        _io_stream_abandon_connect (g_steal_pointer (&op->stream));
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The loop was closed"));
      op_finish (op, NULL, error);
      g_error_free (error);
    }
  op_unref (op);
}

static gpointer
resolve_thread (gpointer data)
{
  IoConnectOp *op = data;
  GResolver *resolver = g_resolver_get_default ();
  GError *error = NULL;
  GList *addresses = g_resolver_lookup_by_name (resolver, op->host, NULL, &error);

  g_object_unref (resolver);
  g_mutex_lock (&op->mutex);
  op->resolved = addresses;
  op->resolve_error = error;
  g_mutex_unlock (&op->mutex);
  io_async_send (op->async);
  op_unref (op);
  return NULL;
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
 * Connects to @host on @port. A name is resolved in another thread
 * (GResolver), so the loop goes on meanwhile; each address is then tried
 * in turn with a non-blocking connect, and @func gets the first stream
 * that connects, or the last address's error (%G_IO_ERROR_CONNECTION_REFUSED,
 * a #GResolverError for a name that does not resolve, %G_IO_ERROR_CLOSED
 * if the loop closes first).
 *
 * @func runs on the loop's thread, never from inside this call, except on
 * a closed loop, where it gets %G_IO_ERROR_CLOSED at once. There is no
 * timeout other than the kernel's; a caller that wants one drops the
 * stream it gets late (io_stream_close()).
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
  IoConnectOp *op;
  GInetAddress *literal;
  GError *error = NULL;

  g_return_if_fail (IO_IS_LOOP (loop));
  g_return_if_fail (host != NULL);
  g_return_if_fail (func != NULL);

  op = g_new0 (IoConnectOp, 1);
  op->ref_count = 3;            /* pending, the IoAsync's, this call's */
  op->loop = g_object_ref (loop);
  op->host = g_strdup (host);
  op->port = port;
  op->func = func;
  op->user_data = user_data;
  op->notify = notify;
  g_mutex_init (&op->mutex);
  op->async = io_async_new (loop, on_resolved, op, on_async_closed);
  if (op->done)                 /* a closed loop: finished already */
    {
      op_unref (op);
      return;
    }

  literal = g_inet_address_new_from_string (host);
  if (literal != NULL)
    {
      op->resolved = g_list_append (NULL, literal);
      io_async_send (op->async);
    }
  else
    {
      GThread *thread;

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
    }
  op_unref (op);
}
