/* stream-echo.c: a line echo server on IoStream and IoListener
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   stream-echo [PORT]       listen on 127.0.0.1:PORT (default 8888; 0 picks one)
 *   nc 127.0.0.1 PORT        every line comes back
 *
 * Each connection reads a line (at most 64 KiB), writes it back and reads
 * the next; a client that does not read its echoes makes the server wait
 * (a flush) before it reads more, so that nothing grows without bound.
 */
#include <stdio.h>
#include <stdlib.h>

#include <ioloop/ioloop.h>

#define MAX_LINE (64 * 1024)

static void read_line (IoStream *stream);

static void
on_flushed (IoStream     *stream,
            const GError *error,
            gpointer      user_data)
{
  if (error == NULL)
    read_line (stream);
}

static void
on_line (IoStream     *stream,
         GBytes       *line,
         const GError *error,
         gpointer      user_data)
{
  if (error != NULL)
    {
      /* The client left (G_IO_ERROR_CLOSED) or sent too long a line. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
        g_printerr ("connection: %s\n", error->message);
      io_stream_close (stream);
      return;
    }
  if (!io_stream_write (stream, line, NULL))
    return;
  if (io_stream_get_write_buffer_full (stream))
    io_stream_flush (stream, on_flushed, NULL, NULL);
  else
    read_line (stream);
}

static void
read_line (IoStream *stream)
{
  io_stream_read_until (stream, (const guint8 *) "\n", 1, MAX_LINE,
                        on_line, NULL, NULL);
}

static void
on_accept (IoListener   *listener,
           IoStream     *stream,
           const GError *error,
           gpointer      user_data)
{
  if (error != NULL)
    {
      g_printerr ("accept: %s\n", error->message);
      return;
    }
  /* The loop holds the stream until it closes: no reference to keep. */
  read_line (stream);
}

int
main (int argc, char **argv)
{
  IoLoop *loop = io_loop_instance ();
  guint16 port = argc > 1 ? (guint16) atoi (argv[1]) : 8888;
  GError *error = NULL;
  IoListener *listener;

  listener = io_listener_new_tcp (loop, "127.0.0.1", port, 128, IO_LISTENER_FLAGS_NONE,
                                  on_accept, NULL, NULL, &error);
  if (listener == NULL)
    {
      g_printerr ("stream-echo: %s\n", error->message);
      return 1;
    }
  printf ("stream-echo listening on 127.0.0.1:%u (backend %s)\n",
          (unsigned) io_listener_get_port (listener), io_loop_get_backend (loop));
  fflush (stdout);
  if (!io_loop_start (loop, &error))
    {
      g_printerr ("stream-echo: %s\n", error->message);
      return 1;
    }
  g_object_unref (listener);
  return 0;
}
