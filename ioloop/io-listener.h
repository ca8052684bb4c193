/* io-listener.h: a listening TCP or Unix socket that makes streams
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <ioloop/io-types.h>
#include <ioloop/io-loop.h>
#include <ioloop/io-stream.h>

G_BEGIN_DECLS

#define IO_TYPE_LISTENER (io_listener_get_type ())

IO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (IoListener, io_listener, IO, LISTENER, GObject)

/**
 * IoListenerFlags:
 * @IO_LISTENER_FLAGS_NONE: no flag
 * @IO_LISTENER_FLAGS_REUSEPORT: set `SO_REUSEPORT`, so that several
 *   sockets (in several processes) listen on the same port and the kernel
 *   spreads the connections between them
 *
 * Options of io_listener_new_tcp().
 *
 * Since: 1.2
 */
typedef enum /*< flags >*/
{
  IO_LISTENER_FLAGS_NONE      = 0,
  IO_LISTENER_FLAGS_REUSEPORT = 1 << 0,
} IoListenerFlags;

/**
 * IoListenerAcceptFunc:
 * @listener: the listener
 * @stream: (nullable): the new connection, or %NULL on error
 * @error: (nullable): why accepting failed, or %NULL
 * @user_data: (closure): the data given to io_listener_new_tcp() or
 *   io_listener_new_unix()
 *
 * Receives each accepted connection as an open #IoStream, which the loop
 * holds until it is closed; or an error of accept() (the listener goes on).
 *
 * Since: 1.2
 */
typedef void (*IoListenerAcceptFunc) (IoListener   *listener,
                                      IoStream     *stream,
                                      const GError *error,
                                      gpointer      user_data);

IO_AVAILABLE_IN_ALL
IoListener *io_listener_new_tcp  (IoLoop               *loop,
                                  const char           *host,
                                  guint16               port,
                                  int                   backlog,
                                  IoListenerFlags       flags,
                                  IoListenerAcceptFunc  func,
                                  gpointer              user_data,
                                  GDestroyNotify        notify,
                                  GError              **error);
IO_AVAILABLE_IN_ALL
IoListener *io_listener_new_unix (IoLoop               *loop,
                                  const char           *path,
                                  int                   backlog,
                                  IoListenerAcceptFunc  func,
                                  gpointer              user_data,
                                  GDestroyNotify        notify,
                                  GError              **error);
IO_AVAILABLE_IN_ALL
guint16     io_listener_get_port (IoListener           *self);
IO_AVAILABLE_IN_ALL
int         io_listener_get_fd   (IoListener           *self);
IO_AVAILABLE_IN_ALL
void        io_listener_close    (IoListener           *self);
IO_AVAILABLE_IN_ALL
gboolean    io_listener_is_closed (IoListener          *self);

G_END_DECLS
