/* io-stream.h: a buffered stream over a non-blocking fd
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <gio/gio.h>
#include <ioloop/io-types.h>
#include <ioloop/io-loop.h>

G_BEGIN_DECLS

#define IO_TYPE_STREAM (io_stream_get_type ())

IO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (IoStream, io_stream, IO, STREAM, GObject)

/**
 * IO_STREAM_DEFAULT_MAX_BUFFER_SIZE:
 *
 * The default of #IoStream:max-buffer-size: 100 MiB, as Tornado's.
 *
 * Since: 1.2
 */
#define IO_STREAM_DEFAULT_MAX_BUFFER_SIZE (100 * 1024 * 1024)

/**
 * IoStreamReadFunc:
 * @stream: the stream
 * @data: (nullable): the data read, %NULL on error (and at the end of a
 *   chunk stream)
 * @error: (nullable): why the read failed, or %NULL
 * @user_data: (closure): the data given with the callback
 *
 * Receives the result of a read. Exactly one of @data and @error is set,
 * except at the end of io_stream_read_chunks(), where both are %NULL.
 *
 * Since: 1.2
 */
typedef void (*IoStreamReadFunc) (IoStream     *stream,
                                  GBytes       *data,
                                  const GError *error,
                                  gpointer      user_data);

/**
 * IoStreamDoneFunc:
 * @stream: the stream
 * @error: (nullable): the error, or %NULL when all went well
 * @user_data: (closure): the data given with the callback
 *
 * Told that a flush finished or that the stream closed.
 *
 * Since: 1.2
 */
typedef void (*IoStreamDoneFunc) (IoStream     *stream,
                                  const GError *error,
                                  gpointer      user_data);

/**
 * IoStreamConnectFunc:
 * @stream: (nullable): the connected stream, or %NULL on error
 * @error: (nullable): why the connection failed, or %NULL
 * @user_data: (closure): the data given to io_stream_connect_tcp() or
 *   io_stream_connect_unix()
 *
 * Receives the result of a connect. The stream stays open (the
 * loop holds it) until it is closed; take a reference to keep using it
 * after it has closed.
 *
 * Since: 1.2
 */
typedef void (*IoStreamConnectFunc) (IoStream     *stream,
                                     const GError *error,
                                     gpointer      user_data);

IO_AVAILABLE_IN_ALL
IoStream     *io_stream_new                    (IoLoop              *loop,
                                                int                  fd,
                                                GError             **error);
IO_AVAILABLE_IN_ALL
void          io_stream_connect_tcp             (IoLoop              *loop,
                                                const char          *host,
                                                guint16              port,
                                                IoStreamConnectFunc  func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_connect_tcp_full       (IoLoop              *loop,
                                                const char          *host,
                                                guint16              port,
                                                gdouble              timeout,
                                                IoStreamConnectFunc  func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_connect_unix           (IoLoop              *loop,
                                                const char          *path,
                                                IoStreamConnectFunc  func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_connect_unix_full      (IoLoop              *loop,
                                                const char          *path,
                                                gdouble              timeout,
                                                IoStreamConnectFunc  func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);

IO_AVAILABLE_IN_ALL
IoLoop       *io_stream_get_loop               (IoStream            *self);
IO_AVAILABLE_IN_ALL
int           io_stream_get_fd                 (IoStream            *self);

IO_AVAILABLE_IN_ALL
void          io_stream_set_max_buffer_size    (IoStream            *self,
                                                gsize                size);
IO_AVAILABLE_IN_ALL
gsize         io_stream_get_max_buffer_size    (IoStream            *self);
IO_AVAILABLE_IN_ALL
gsize         io_stream_get_read_buffer_size   (IoStream            *self);

IO_AVAILABLE_IN_ALL
void          io_stream_read_until             (IoStream            *self,
                                                const guint8        *delimiter,
                                                gsize                delimiter_len,
                                                gsize                max_bytes,
                                                IoStreamReadFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_read_bytes             (IoStream            *self,
                                                gsize                n_bytes,
                                                gboolean             partial,
                                                IoStreamReadFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_read_until_close       (IoStream            *self,
                                                IoStreamReadFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
void          io_stream_read_chunks            (IoStream            *self,
                                                IoStreamReadFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_cancel_read            (IoStream            *self);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_is_reading             (IoStream            *self);

IO_AVAILABLE_IN_ALL
gboolean      io_stream_write                  (IoStream            *self,
                                                GBytes              *data,
                                                GError             **error);
IO_AVAILABLE_IN_ALL
void          io_stream_flush                  (IoStream            *self,
                                                IoStreamDoneFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
gsize         io_stream_get_write_buffer_size  (IoStream            *self);
IO_AVAILABLE_IN_ALL
void          io_stream_set_write_buffer_limits (IoStream           *self,
                                                 gsize               high,
                                                 gsize               low);
IO_AVAILABLE_IN_ALL
void          io_stream_get_write_buffer_limits (IoStream           *self,
                                                 gsize              *high,
                                                 gsize              *low);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_get_write_buffer_full  (IoStream            *self);

IO_AVAILABLE_IN_ALL
void          io_stream_close                  (IoStream            *self);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_is_closed              (IoStream            *self);
IO_AVAILABLE_IN_ALL
void          io_stream_set_close_callback     (IoStream            *self,
                                                IoStreamDoneFunc     func,
                                                gpointer             user_data,
                                                GDestroyNotify       notify);
IO_AVAILABLE_IN_ALL
const GError *io_stream_get_error              (IoStream            *self);

IO_AVAILABLE_IN_ALL
gboolean      io_stream_shutdown_write          (IoStream            *self,
                                                 GError             **error);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_is_write_shut_down      (IoStream            *self);
IO_AVAILABLE_IN_ALL
void          io_stream_set_close_on_eof        (IoStream            *self,
                                                 gboolean             close_on_eof);
IO_AVAILABLE_IN_ALL
gboolean      io_stream_get_close_on_eof        (IoStream            *self);

G_END_DECLS
