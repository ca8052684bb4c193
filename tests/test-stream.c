/* test-stream.c: IoStream reads, writes, closes and errors over socket
 * pairs; connecting (timeouts included) and IoListener
 * over loopback TCP and Unix sockets
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "io-test-util.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct
{
  gint        calls;
  gint        notifies;
  gint        done;             /* flag for io_test_iterate_until() */
  gboolean    streaming;        /* chunks: done only at the end */
  GByteArray *data;             /* everything received */
  GPtrArray  *pieces;           /* GBytes, one per call with data */
  GError     *error;
  gboolean    end;              /* (NULL, NULL): end of a chunk stream */
} Reader;

static void
reader_init (Reader *r)
{
  memset (r, 0, sizeof *r);
  r->data = g_byte_array_new ();
  r->pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
reader_clear (Reader *r)
{
  g_byte_array_unref (r->data);
  g_ptr_array_unref (r->pieces);
  g_clear_error (&r->error);
}

static void
reader_cb (IoStream     *stream,
           GBytes       *data,
           const GError *error,
           gpointer      user_data)
{
  Reader *r = user_data;

  g_assert_true (IO_IS_STREAM (stream));
  r->calls++;
  if (data != NULL)
    {
      gsize size;
      const guint8 *p = g_bytes_get_data (data, &size);

      g_assert_null (error);
      g_byte_array_append (r->data, p, size);
      g_ptr_array_add (r->pieces, g_bytes_ref (data));
      if (!r->streaming)
        r->done = 1;
      return;
    }
  if (error != NULL)
    {
      g_clear_error (&r->error);
      r->error = g_error_copy (error);
    }
  else
    r->end = TRUE;
  r->done = 1;
}

static void
reader_notify (gpointer user_data)
{
  ((Reader *) user_data)->notifies++;
}

typedef struct
{
  gint    calls;
  gint    notifies;
  gint    done;
  GError *error;
  gsize   wsize_at_call;
} Done;

static void
done_cb (IoStream     *stream,
         const GError *error,
         gpointer      user_data)
{
  Done *d = user_data;

  d->calls++;
  d->done = 1;
  d->wsize_at_call = io_stream_get_write_buffer_size (stream);
  g_clear_error (&d->error);
  if (error != NULL)
    d->error = g_error_copy (error);
}

static void
done_clear (Done *d)
{
  g_clear_error (&d->error);
}

static void
done_notify (gpointer user_data)
{
  ((Done *) user_data)->notifies++;
}

static IoStream *
stream_pair (IoTest *t,
             int    *peer)
{
  GError *error = NULL;
  IoStream *stream;
  int fds[2];

  io_test_socketpair (fds);
  stream = io_stream_new (t->loop, fds[0], &error);
  g_assert_no_error (error);
  g_assert_nonnull (stream);
  g_assert_cmpint (io_stream_get_fd (stream), ==, fds[0]);
  *peer = fds[1];
  return stream;
}

/* Closes and drops a stream, running what its close dispatches. */
static void
stream_finish (IoTest   *t,
               IoStream *stream)
{
  io_stream_close (stream);
  io_test_iterate (t);
  io_test_iterate (t);
  g_object_unref (stream);
}

static void
peer_write (int         fd,
            const void *data,
            gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);

      if (w > 0)
        {
          p += w;
          len -= w;
        }
      else if (w < 0 && (errno == EAGAIN || errno == EINTR))
        {
          struct pollfd pfd = { fd, POLLOUT, 0 };

          poll (&pfd, 1, 100);
        }
      else
        g_assert_not_reached ();
    }
}

static void
peer_write_str (int         fd,
                const char *s)
{
  peer_write (fd, s, strlen (s));
}

static GBytes *
bytes_str (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static void
assert_piece (Reader     *r,
              guint       i,
              const char *expected)
{
  gsize size;
  const char *data;

  g_assert_cmpuint (r->pieces->len, >, i);
  data = g_bytes_get_data (g_ptr_array_index (r->pieces, i), &size);
  g_assert_cmpmem (data, size, expected, strlen (expected));
}

/* A TCP pair over loopback: returns the connected client; *server gets
 * the accepted end. Blocking fds. */
static int
tcp_pair (int *server)
{
  struct sockaddr_in sin = { 0 };
  socklen_t len = sizeof sin;
  int lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int cfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (lfd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (lfd, 1), ==, 0);
  g_assert_cmpint (getsockname (lfd, (struct sockaddr *) &sin, &len), ==, 0);
  g_assert_cmpint (connect (cfd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  *server = accept (lfd, NULL, NULL);
  g_assert_cmpint (*server, >=, 0);
  close (lfd);
  return cfd;
}

/* A loopback port nobody listens on (bound, then closed). */
static guint16
closed_port (void)
{
  struct sockaddr_in sin = { 0 };
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sin, &len), ==, 0);
  close (fd);
  return ntohs (sin.sin_port);
}

/* ---- reads --------------------------------------------------------------- */

static void
test_read_until_returns_data_through_delimiter (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader a, b;

  reader_init (&a);
  reader_init (&b);
  io_stream_read_until (stream, (const guint8 *) "\r\n", 2, 0, reader_cb, &a, reader_notify);
  g_assert_true (io_stream_is_reading (stream));
  peer_write_str (peer, "hello\r\nworld");
  io_test_iterate_until (t, &a.done, 10);
  g_assert_cmpint (a.calls, ==, 1);
  g_assert_cmpint (a.notifies, ==, 1);
  assert_piece (&a, 0, "hello\r\n");
  g_assert_cmpuint (io_stream_get_read_buffer_size (stream), ==, 5);

  /* What is left is served from the buffer, not from inside the call. */
  io_stream_read_bytes (stream, 5, FALSE, reader_cb, &b, reader_notify);
  g_assert_cmpint (b.calls, ==, 0);
  io_test_iterate_until (t, &b.done, 10);
  assert_piece (&b, 0, "world");
  g_assert_cmpint (b.notifies, ==, 1);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&a);
  reader_clear (&b);
}

static void
test_read_until_delimiter_split_across_many_small_writes (IoTest *t)
{
  const char *message = "a line split byte by byte<END>";
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;
  gsize i;

  reader_init (&r);
  io_stream_read_until (stream, (const guint8 *) "<END>", 5, 0, reader_cb, &r, reader_notify);
  for (i = 0; message[i] != '\0'; i++)
    {
      peer_write (peer, message + i, 1);
      while (io_stream_get_read_buffer_size (stream) < i + 1 && r.calls == 0)
        io_test_iterate (t);
      if (message[i + 1] != '\0')
        g_assert_cmpint (r.calls, ==, 0);
    }
  io_test_iterate_until (t, &r.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  assert_piece (&r, 0, message);
  g_assert_cmpint (r.notifies, ==, 1);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

static void
test_read_until_delimiter_spanning_chunk_boundary (IoTest *t)
{
  /* The stream reads 64 KiB at a time: the delimiter's first byte ends the
   * first read, the rest starts the second. */
  gsize before = 64 * 1024 - 1;
  guint8 *payload = g_malloc (before + 3);
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;

  memset (payload, 'x', before);
  memcpy (payload + before, "\r\n!", 3);
  reader_init (&r);
  peer_write (peer, payload, before + 3);
  io_stream_read_until (stream, (const guint8 *) "\r\n", 2, 0, reader_cb, &r, reader_notify);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpmem (r.data->data, r.data->len, payload, before + 2);
  g_assert_cmpuint (io_stream_get_read_buffer_size (stream), ==, 1);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
  g_free (payload);
}

static void
test_read_bytes_waits_for_all_bytes (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;
  int i;

  reader_init (&r);
  io_stream_read_bytes (stream, 6, FALSE, reader_cb, &r, reader_notify);
  peer_write_str (peer, "abc");
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (r.calls, ==, 0);
  peer_write_str (peer, "defgh");
  io_test_iterate_until (t, &r.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  assert_piece (&r, 0, "abcdef");
  g_assert_cmpuint (io_stream_get_read_buffer_size (stream), ==, 2);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

static void
test_read_bytes_partial_returns_what_arrived (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;

  reader_init (&r);
  io_stream_read_bytes (stream, 100, TRUE, reader_cb, &r, reader_notify);
  peer_write_str (peer, "abc");
  io_test_iterate_until (t, &r.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  assert_piece (&r, 0, "abc");

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

static void
test_read_until_close_returns_everything (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;
  Done c = { 0 };

  reader_init (&r);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_until_close (stream, reader_cb, &r, reader_notify);
  peer_write_str (peer, "first ");
  io_test_iterate (t);
  peer_write_str (peer, "second");
  close (peer);
  io_test_iterate_until (t, &c.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  assert_piece (&r, 0, "first second");
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_no_error (c.error);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_true (io_stream_is_closed (stream));
  g_assert_cmpint (io_stream_get_fd (stream), ==, -1);

  stream_finish (t, stream);
  g_assert_cmpint (r.notifies, ==, 1);
  g_assert_cmpint (c.calls, ==, 1);
  reader_clear (&r);
  done_clear (&c);
}

static void
test_read_chunks_streams_until_end (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;

  reader_init (&r);
  r.streaming = TRUE;
  peer_write_str (peer, "one,");
  io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
  while (r.data->len < 4)
    io_test_iterate (t);
  peer_write_str (peer, "two,");
  while (r.data->len < 8)
    io_test_iterate (t);
  peer_write_str (peer, "three");
  close (peer);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_true (r.end);
  g_assert_no_error (r.error);
  g_assert_cmpmem (r.data->data, r.data->len, "one,two,three", 13);
  g_assert_cmpint (r.calls, ==, (int) r.pieces->len + 1);
  g_assert_cmpuint (r.pieces->len, >=, 3);
  g_assert_cmpint (r.notifies, ==, 1);
  g_assert_false (io_stream_is_reading (stream));

  stream_finish (t, stream);
  g_assert_cmpint (r.notifies, ==, 1);
  reader_clear (&r);
}

static void
cancel_in_chunk_cb (IoStream     *stream,
                    GBytes       *data,
                    const GError *error,
                    gpointer      user_data)
{
  Reader *r = user_data;

  reader_cb (stream, data, error, user_data);
  g_assert_true (io_stream_cancel_read (stream));
  r->done = 1;
}

static void
test_read_chunks_cancelled_from_callback_runs_notify_once (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r, next;
  int i;

  reader_init (&r);
  reader_init (&next);
  r.streaming = TRUE;
  io_stream_read_chunks (stream, cancel_in_chunk_cb, &r, reader_notify);
  peer_write_str (peer, "chunk");
  io_test_iterate_until (t, &r.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpint (r.notifies, ==, 1);
  g_assert_false (io_stream_cancel_read (stream));

  /* Later input waits for the next read. */
  peer_write_str (peer, "more");
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (r.calls, ==, 1);
  io_stream_read_bytes (stream, 4, FALSE, reader_cb, &next, reader_notify);
  io_test_iterate_until (t, &next.done, 10);
  assert_piece (&next, 0, "more");

  stream_finish (t, stream);
  close (peer);
  g_assert_cmpint (r.notifies, ==, 1);
  reader_clear (&r);
  reader_clear (&next);
}

static void
test_second_read_fails_with_pending (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader first, second;

  reader_init (&first);
  reader_init (&second);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &first, reader_notify);
  io_stream_read_bytes (stream, 1, FALSE, reader_cb, &second, reader_notify);
  g_assert_cmpint (second.calls, ==, 0);
  io_test_iterate_until (t, &second.done, 10);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_assert_cmpint (second.notifies, ==, 1);
  g_assert_cmpint (first.calls, ==, 0);
  g_assert_false (io_stream_is_closed (stream));

  peer_write_str (peer, "line\n");
  io_test_iterate_until (t, &first.done, 10);
  assert_piece (&first, 0, "line\n");

  stream_finish (t, stream);
  close (peer);
  reader_clear (&first);
  reader_clear (&second);
}

static void
test_read_on_closed_stream_is_served_from_buffer_then_fails (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader a, b;
  Done c = { 0 };

  reader_init (&a);
  reader_init (&b);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &a, reader_notify);
  peer_write_str (peer, "one\ntwo\nthr");
  close (peer);
  io_test_iterate_until (t, &a.done, 10);
  assert_piece (&a, 0, "one\n");

  a.done = 0;
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &a, reader_notify);
  io_test_iterate_until (t, &a.done, 10);
  assert_piece (&a, 1, "two\n");
  /* The end of the input fails the read the buffer cannot satisfy, and
   * closes the stream; the rest stays buffered. */
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &b, reader_notify);
  io_test_iterate_until (t, &b.done, 10);
  g_assert_error (b.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  io_test_iterate_until (t, &c.done, 10);
  g_assert_true (io_stream_is_closed (stream));
  g_assert_no_error (c.error);
  g_assert_cmpuint (io_stream_get_read_buffer_size (stream), ==, 3);

  /* On the closed stream, reads are still served from the buffer. */
  a.done = 0;
  io_stream_read_bytes (stream, 3, FALSE, reader_cb, &a, reader_notify);
  io_test_iterate_until (t, &a.done, 10);
  assert_piece (&a, 2, "thr");
  g_assert_cmpint (c.calls, ==, 1);

  stream_finish (t, stream);
  g_assert_cmpint (a.notifies, ==, 3);
  g_assert_cmpint (b.notifies, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  reader_clear (&a);
  reader_clear (&b);
  done_clear (&c);
}

/* ---- limits ---------------------------------------------------------------- */

static void
test_delimiter_past_max_buffer_size_fails_and_closes (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  char junk[4096];
  Reader r;
  Done c = { 0 };

  memset (junk, 'j', sizeof junk);
  reader_init (&r);
  io_stream_set_max_buffer_size (stream, 1024);
  g_assert_cmpuint (io_stream_get_max_buffer_size (stream), ==, 1024);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &r, reader_notify);
  peer_write (peer, junk, sizeof junk);
  io_test_iterate_until (t, &c.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_true (io_stream_is_closed (stream));
  g_assert_error ((GError *) io_stream_get_error (stream), G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (io_stream_get_read_buffer_size (stream), <=, 1024);

  stream_finish (t, stream);
  close (peer);
  g_assert_cmpint (r.notifies, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  reader_clear (&r);
  done_clear (&c);
}

static void
test_delimiter_past_max_bytes_fails_and_closes (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;

  reader_init (&r);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 8, reader_cb, &r, reader_notify);
  peer_write_str (peer, "123456789\n");
  io_test_iterate_until (t, &r.done, 10);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_true (io_stream_is_closed (stream));

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

static void
test_read_bytes_larger_than_max_buffer_fails (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;

  reader_init (&r);
  io_stream_set_max_buffer_size (stream, 100);
  io_stream_read_bytes (stream, 101, FALSE, reader_cb, &r, reader_notify);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_true (io_stream_is_closed (stream));

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

/* ---- writes ---------------------------------------------------------------- */

static void
count_free (gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
}

#define BIG (4 * 1024 * 1024)

static guint8 *
pattern (gsize n)
{
  guint8 *p = g_malloc (n);
  gsize i;

  for (i = 0; i < n; i++)
    p[i] = (guint8) (i * 7 + i / 251);
  return p;
}

static void
test_write_queues_bytes_without_copying (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  guint8 *payload = pattern (BIG);
  gint freed = 0;
  GBytes *bytes = g_bytes_new_with_free_func (payload, BIG, count_free, &freed);
  GError *error = NULL;
  GByteArray *got = g_byte_array_new ();
  gsize queued;

  g_assert_true (io_stream_write (stream, bytes, &error));
  g_assert_no_error (error);
  g_bytes_unref (bytes);
  /* The socket took part of it; the rest is held, not copied: our
   * buffer is still alive and the queue counts what is left of it. */
  queued = io_stream_get_write_buffer_size (stream);
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (queued, <, BIG);
  g_assert_cmpint (freed, ==, 0);

  while (got->len < BIG)
    {
      guint8 buf[65536];
      ssize_t r = read (peer, buf, sizeof buf);

      if (r > 0)
        g_byte_array_append (got, buf, r);
      io_test_iterate (t);
    }
  g_assert_cmpuint (io_stream_get_write_buffer_size (stream), ==, 0);
  g_assert_cmpint (freed, ==, 1);
  g_assert_cmpmem (got->data, got->len, payload, BIG);

  g_free (payload);
  g_byte_array_unref (got);
  stream_finish (t, stream);
  close (peer);
}

static void
test_big_write_reaches_a_stream_reader_intact (IoTest *t)
{
  gsize n = 3 * BIG / 2;
  guint8 *payload = pattern (n);
  GError *error = NULL;
  IoStream *writer, *reader;
  Reader r;
  Done f = { 0 };
  int fds[2];
  guint i;

  io_test_socketpair (fds);
  writer = io_stream_new (t->loop, fds[0], &error);
  g_assert_no_error (error);
  reader = io_stream_new (t->loop, fds[1], &error);
  g_assert_no_error (error);
  reader_init (&r);

  /* In pieces of 100 KB, through writev when several are queued. */
  for (i = 0; i < n; i += 100000)
    {
      GBytes *piece = g_bytes_new_static (payload + i, MIN (100000, n - i));

      g_assert_true (io_stream_write (writer, piece, &error));
      g_bytes_unref (piece);
    }
  io_stream_flush (writer, done_cb, &f, done_notify);
  io_stream_read_bytes (reader, n, FALSE, reader_cb, &r, reader_notify);
  io_test_iterate_until (t, &r.done, 30);
  io_test_iterate_until (t, &f.done, 10);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpmem (r.data->data, r.data->len, payload, n);
  g_assert_cmpint (f.calls, ==, 1);
  g_assert_no_error (f.error);
  g_assert_cmpuint (f.wsize_at_call, ==, 0);

  stream_finish (t, writer);
  stream_finish (t, reader);
  g_assert_cmpint (f.notifies, ==, 1);
  g_assert_cmpint (r.notifies, ==, 1);
  reader_clear (&r);
  g_free (payload);
  done_clear (&f);
}

static void
test_flush_runs_once_everything_is_written (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  guint8 *payload = pattern (BIG);
  GBytes *bytes = g_bytes_new_take (payload, BIG);
  Done f = { 0 }, empty = { 0 };
  gsize drained = 0;
  int i;

  io_stream_flush (stream, done_cb, &empty, done_notify);
  g_assert_cmpint (empty.calls, ==, 0);        /* never from inside the call */
  io_test_iterate_until (t, &empty.done, 10);
  g_assert_no_error (empty.error);

  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  io_stream_flush (stream, done_cb, &f, done_notify);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (f.calls, ==, 0);
  while (!f.done)
    {
      drained += io_test_drain (peer);
      io_test_iterate (t);
    }
  drained += io_test_drain (peer);
  g_assert_cmpuint (drained, ==, BIG);
  g_assert_cmpint (f.calls, ==, 1);
  g_assert_no_error (f.error);

  stream_finish (t, stream);
  close (peer);
  g_assert_cmpint (f.notifies, ==, 1);
  g_assert_cmpint (empty.notifies, ==, 1);
  done_clear (&f);
  done_clear (&empty);
}

typedef struct
{
  gint      changes;
  gboolean  full;
  gsize     size_at_change;
} Marks;

static void
on_full_changed (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  Marks *m = user_data;
  IoStream *stream = IO_STREAM (object);

  m->changes++;
  m->full = io_stream_get_write_buffer_full (stream);
  m->size_at_change = io_stream_get_write_buffer_size (stream);
}

static void
test_write_buffer_full_follows_high_and_low_marks (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  guint8 *payload = pattern (BIG);
  GBytes *bytes = g_bytes_new_take (payload, BIG);
  Marks m = { 0 };
  gsize high, low;

  io_stream_set_write_buffer_limits (stream, 200000, 50000);
  io_stream_get_write_buffer_limits (stream, &high, &low);
  g_assert_cmpuint (high, ==, 200000);
  g_assert_cmpuint (low, ==, 50000);
  g_signal_connect (stream, "notify::write-buffer-full", G_CALLBACK (on_full_changed), &m);

  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  g_assert_cmpint (m.changes, ==, 1);
  g_assert_true (m.full);
  g_assert_cmpuint (m.size_at_change, >, 200000);

  while (m.changes < 2)
    {
      io_test_drain (peer);
      io_test_iterate (t);
    }
  g_assert_cmpint (m.changes, ==, 2);
  g_assert_false (m.full);
  g_assert_cmpuint (m.size_at_change, <=, 50000);

  stream_finish (t, stream);
  close (peer);
}

static void
test_write_after_close_fails_with_closed (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes = bytes_str ("late");
  GError *error = NULL;

  io_stream_close (stream);
  io_stream_close (stream);
  g_assert_true (io_stream_is_closed (stream));
  g_assert_false (io_stream_write (stream, bytes, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpuint (io_stream_get_write_buffer_size (stream), ==, 0);
  /* The peer sees the close. */
  {
    char c;

    g_assert_cmpint (read (peer, &c, 1), ==, 0);
  }

  g_bytes_unref (bytes);
  stream_finish (t, stream);
  close (peer);
}

static void
test_close_callback_runs_exactly_once (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Done first = { 0 }, replaced = { 0 }, late = { 0 };
  Reader r;
  int i;

  reader_init (&r);
  io_stream_set_close_callback (stream, done_cb, &replaced, done_notify);
  io_stream_set_close_callback (stream, done_cb, &first, done_notify);
  g_assert_cmpint (replaced.notifies, ==, 1);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &r, reader_notify);
  io_stream_close (stream);
  g_assert_cmpint (first.calls, ==, 0);
  io_stream_close (stream);
  close (peer);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (first.calls, ==, 1);
  g_assert_no_error (first.error);
  g_assert_cmpint (first.notifies, ==, 1);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  /* Set on a closed stream: runs once, soon. */
  io_stream_set_close_callback (stream, done_cb, &late, done_notify);
  g_assert_cmpint (late.calls, ==, 0);
  io_test_iterate_until (t, &late.done, 10);

  stream_finish (t, stream);
  g_assert_cmpint (replaced.calls, ==, 0);
  g_assert_cmpint (first.calls, ==, 1);
  g_assert_cmpint (late.calls, ==, 1);
  g_assert_cmpint (late.notifies, ==, 1);
  g_assert_cmpint (r.notifies, ==, 1);
  reader_clear (&r);
  done_clear (&first);
  done_clear (&replaced);
  done_clear (&late);
}

static void
test_peer_reset_mid_write_reports_one_error (IoTest *t)
{
  int server;
  int client = tcp_pair (&server);
  struct linger lin = { 1, 0 };
  GError *error = NULL;
  IoStream *stream = io_stream_new (t->loop, client, &error);
  GBytes *bytes = g_bytes_new_take (pattern (BIG), BIG);
  Done c = { 0 }, f = { 0 };
  GBytes *after;

  g_assert_no_error (error);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  g_assert_cmpuint (io_stream_get_write_buffer_size (stream), >, 0);
  io_stream_flush (stream, done_cb, &f, done_notify);

  g_assert_cmpint (setsockopt (server, SOL_SOCKET, SO_LINGER, &lin, sizeof lin), ==, 0);
  close (server);                       /* RST */
  io_test_iterate_until (t, &c.done, 10);
  io_test_iterate_until (t, &f.done, 10);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_nonnull (c.error);
  g_assert_true (g_error_matches (c.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                 g_error_matches (c.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
  g_assert_cmpint (f.calls, ==, 1);
  g_assert_true (g_error_matches (f.error, c.error->domain, c.error->code));
  g_assert_true (io_stream_is_closed (stream));

  after = bytes_str ("x");
  g_assert_false (io_stream_write (stream, after, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_bytes_unref (after);

  stream_finish (t, stream);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (f.notifies, ==, 1);
  done_clear (&c);
  done_clear (&f);
}

static void
test_write_to_pipe_without_reader_is_an_error_not_sigpipe (IoTest *t)
{
  int fds[2];
  GError *error = NULL;
  IoStream *stream;
  GBytes *bytes = bytes_str ("nobody reads this");
  Done c = { 0 };

  g_assert_cmpint (pipe (fds), ==, 0);
  close (fds[0]);
  stream = io_stream_new (t->loop, fds[1], &error);
  g_assert_no_error (error);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  g_assert_true (io_stream_write (stream, bytes, &error));
  g_assert_no_error (error);
  io_test_iterate_until (t, &c.done, 10);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);

  g_bytes_unref (bytes);
  stream_finish (t, stream);
  g_assert_cmpint (c.notifies, ==, 1);
  done_clear (&c);
}

static void
test_end_of_input_flushes_queued_writes_then_closes (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes = g_bytes_new_take (pattern (BIG), BIG);
  Reader r;
  Done c = { 0 };
  gsize drained = 0;
  int i;

  reader_init (&r);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  io_stream_read_until_close (stream, reader_cb, &r, reader_notify);
  shutdown (peer, SHUT_WR);
  io_test_iterate_until (t, &r.done, 10);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_false (io_stream_is_closed (stream));        /* still writing */
  while (!c.done)
    {
      drained += io_test_drain (peer);
      io_test_iterate (t);
    }
  drained += io_test_drain (peer);
  g_assert_cmpuint (drained, ==, BIG);
  g_assert_no_error (c.error);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
  done_clear (&c);
}

/* ---- half close -------------------------------------------------------- */

/* The peer reads everything queued, then the end of its input, and can
 * still write back. */
static void
test_shutdown_write_after_queued_writes_keeps_reading (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes = g_bytes_new_take (pattern (BIG), BIG);
  GError *error = NULL;
  Reader r;
  gsize drained = 0;
  gboolean peer_eof = FALSE;
  char buf[65536];

  reader_init (&r);
  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  g_assert_cmpuint (io_stream_get_write_buffer_size (stream), >, 0);
  g_assert_true (io_stream_shutdown_write (stream, &error));
  g_assert_no_error (error);
  g_assert_true (io_stream_is_write_shut_down (stream));
  g_assert_true (io_stream_shutdown_write (stream, &error));    /* twice: nothing */

  bytes = g_bytes_new_static ("late", 4);
  g_assert_false (io_stream_write (stream, bytes, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_bytes_unref (bytes);

  while (!peer_eof)
    {
      ssize_t n = read (peer, buf, sizeof buf);

      if (n > 0)
        drained += n;
      else if (n == 0)
        peer_eof = TRUE;
      else
        {
          g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
          io_test_iterate (t);
        }
    }
  g_assert_cmpuint (drained, ==, BIG);
  g_assert_false (io_stream_is_closed (stream));

  io_stream_read_bytes (stream, 5, FALSE, reader_cb, &r, reader_notify);
  peer_write (peer, "reply", 5);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_no_error (r.error);
  g_assert_cmpmem (r.data->data, r.data->len, "reply", 5);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
}

static void
test_shutdown_write_refuses_pipe_and_closed_stream (IoTest *t)
{
  GError *error = NULL;
  IoStream *stream;
  int peer, fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  stream = io_stream_new (t->loop, fds[1], &error);
  g_assert_no_error (error);
  g_assert_false (io_stream_shutdown_write (stream, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (io_stream_is_write_shut_down (stream));
  stream_finish (t, stream);
  close (fds[0]);

  stream = stream_pair (t, &peer);
  io_stream_close (stream);
  g_assert_false (io_stream_shutdown_write (stream, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  stream_finish (t, stream);
  close (peer);
}

/* Without close-on-eof, the end of the input ends a chunk reader and
 * leaves the stream open for writing until its owner closes it. */
static void
test_end_of_input_without_close_on_eof_keeps_stream_open (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes;
  Reader r;
  Done c = { 0 };
  char buf[16];
  int i;

  reader_init (&r);
  r.streaming = TRUE;
  g_assert_true (io_stream_get_close_on_eof (stream));
  io_stream_set_close_on_eof (stream, FALSE);
  g_assert_false (io_stream_get_close_on_eof (stream));
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
  peer_write (peer, "last", 4);
  shutdown (peer, SHUT_WR);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_true (r.end);
  g_assert_no_error (r.error);
  g_assert_cmpmem (r.data->data, r.data->len, "last", 4);
  g_assert_cmpint (r.notifies, ==, 1);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_false (io_stream_is_closed (stream));
  g_assert_cmpint (c.calls, ==, 0);

  bytes = g_bytes_new_static ("after", 5);
  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  g_assert_cmpint (read (peer, buf, sizeof buf), ==, 5);
  g_assert_cmpmem (buf, 5, "after", 5);

  io_stream_close (stream);
  io_test_iterate_until (t, &c.done, 10);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_no_error (c.error);
  g_assert_cmpint (read (peer, buf, sizeof buf), ==, 0);

  stream_finish (t, stream);
  close (peer);
  reader_clear (&r);
  done_clear (&c);
}

/* Kept open past its input with nothing to write, a stream waits for
 * nothing: a peer that then goes away altogether (a hang-up, which the
 * loop would report at every iteration) is found by the next write, which
 * fails once. */
static void
test_hang_up_without_close_on_eof_is_found_by_next_write (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes;
  Reader r;
  Done c = { 0 };
  int i;

  reader_init (&r);
  r.streaming = TRUE;
  io_stream_set_close_on_eof (stream, FALSE);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
  close (peer);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_true (r.end);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  for (i = 0; i < 20; i++)
    g_assert_false (io_test_iterate (t));       /* nothing to dispatch */
  g_assert_false (io_stream_is_closed (stream));
  g_assert_cmpint (c.calls, ==, 0);

  bytes = g_bytes_new_static ("x", 1);
  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  io_test_iterate_until (t, &c.done, 10);
  for (i = 0; i < 5; i++)
    io_test_iterate (t);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_true (io_stream_is_closed (stream));

  stream_finish (t, stream);
  reader_clear (&r);
  done_clear (&c);
}

/* A stream waiting past its input still closes with its loop, once, and
 * a write that must wait brings it back to the loop. */
static void
test_stream_kept_past_its_input_closes_with_loop_once (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  GBytes *bytes = g_bytes_new_take (pattern (BIG), BIG);
  Reader r;
  Done c = { 0 }, f = { 0 };
  gsize drained = 0;

  reader_init (&r);
  r.streaming = TRUE;
  io_stream_set_close_on_eof (stream, FALSE);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
  shutdown (peer, SHUT_WR);
  io_test_iterate_until (t, &r.done, 10);
  g_assert_true (r.end);
  io_test_iterate (t);

  g_assert_true (io_stream_write (stream, bytes, NULL));
  g_bytes_unref (bytes);
  io_stream_flush (stream, done_cb, &f, done_notify);
  while (!f.done)
    {
      drained += io_test_drain (peer);
      io_test_iterate (t);
    }
  drained += io_test_drain (peer);
  g_assert_no_error (f.error);
  g_assert_cmpuint (drained, ==, BIG);
  io_test_iterate (t);
  g_assert_false (io_stream_is_closed (stream));

  io_loop_close (t->loop, FALSE);
  g_assert_true (io_stream_is_closed (stream));
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  g_object_unref (stream);
  close (peer);
  reader_clear (&r);
  done_clear (&c);
  done_clear (&f);
}

/* Reading paused and resumed by io_stream_cancel_read() and a new chunk
 * reader loses and reorders nothing. */
static void
test_chunks_cancelled_and_restarted_lose_nothing (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  Reader r;
  GByteArray *sent = g_byte_array_new ();
  int round;

  reader_init (&r);
  r.streaming = TRUE;
  for (round = 0; round < 20; round++)
    {
      guint8 piece[3000];
      gsize i;

      for (i = 0; i < sizeof piece; i++)
        piece[i] = (guint8) (round * 31 + i);
      peer_write (peer, piece, sizeof piece);
      g_byte_array_append (sent, piece, sizeof piece);
      io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
      if (round % 2 == 0)
        io_test_iterate (t);
      io_stream_cancel_read (stream);
    }
  io_stream_read_chunks (stream, reader_cb, &r, reader_notify);
  while (r.data->len < sent->len)
    io_test_iterate (t);
  g_assert_cmpmem (r.data->data, r.data->len, sent->data, sent->len);

  stream_finish (t, stream);
  close (peer);
  g_byte_array_unref (sent);
  reader_clear (&r);
}

/* ---- the loop closing -------------------------------------------------- */

static void
loop_close_closes_streams (IoTest   *t,
                           gboolean  all_fds)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  int fd = io_stream_get_fd (stream);
  Reader r;
  Done c = { 0 };
  char ch;

  reader_init (&r);
  io_stream_set_close_callback (stream, done_cb, &c, done_notify);
  io_stream_read_until (stream, (const guint8 *) "\n", 1, 0, reader_cb, &r, reader_notify);
  g_object_unref (stream);              /* the loop holds it */
  io_loop_close (t->loop, all_fds);
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (r.notifies, ==, 1);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (read (peer, &ch, 1), ==, 0);
  g_assert_false (io_test_fd_is_open (fd));
  close (peer);
  reader_clear (&r);
  done_clear (&c);
}

static void
test_loop_close_closes_open_streams_once (IoTest *t)
{
  loop_close_closes_streams (t, FALSE);
}

static void
test_loop_close_all_fds_closes_stream_fd_once (IoTest *t)
{
  loop_close_closes_streams (t, TRUE);
}

/* io_loop_close (loop, TRUE) from the stream's own read callback: the loop
 * closes the fd at once, but the stream hears of it only when its handler's
 * notify runs after the callback, by which time the number may be another
 * file's (here one put there with dup2()). The stream must leave it. */
typedef struct
{
  IoLoop *loop;
  int     fd;
  int     reused;
  gint    calls;
} CloseInRead;

static void
close_loop_in_read_cb (IoStream     *stream,
                       GBytes       *data,
                       const GError *error,
                       gpointer      user_data)
{
  CloseInRead *c = user_data;
  int other;

  if (c->calls++ > 0)
    return;
  g_assert_nonnull (data);
  io_loop_close (c->loop, TRUE);
  g_assert_false (io_test_fd_is_open (c->fd));
  other = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (other, >=, 0);
  g_assert_cmpint (dup2 (other, c->fd), ==, c->fd);
  close (other);
  c->reused = TRUE;
}

static void
test_loop_close_all_fds_in_callback_spares_reused_fd (IoTest *t)
{
  int peer;
  IoStream *stream = stream_pair (t, &peer);
  CloseInRead c = { t->loop, io_stream_get_fd (stream), FALSE, 0 };

  io_stream_read_bytes (stream, 1, TRUE, close_loop_in_read_cb, &c, NULL);
  g_object_unref (stream);              /* the loop holds it */
  g_assert_cmpint (write (peer, "x", 1), ==, 1);
  while (!c.reused)
    io_test_iterate (t);
  /* The stream is gone, and the file now at its old number is open. */
  g_assert_true (io_test_fd_is_open (c.fd));
  close (c.fd);
  close (peer);
}

/* ---- connect and listen -------------------------------------------------- */

typedef struct
{
  gint       calls;
  gint       notifies;
  gint       done;
  IoStream  *stream;
  GError    *error;
} Connect;

static void
connect_cb (IoStream     *stream,
            const GError *error,
            gpointer      user_data)
{
  Connect *c = user_data;

  c->calls++;
  c->done = 1;
  g_assert_true ((stream == NULL) != (error == NULL));
  if (stream != NULL)
    c->stream = g_object_ref (stream);
  if (error != NULL)
    c->error = g_error_copy (error);
}

static void
connect_notify (gpointer user_data)
{
  ((Connect *) user_data)->notifies++;
}

typedef struct
{
  gint       accepted;
  gint       errors;
  gint       errors_before_first;
  gint       notifies;
  GPtrArray *streams;
  GError    *error;
  IoTestFdLimit *limit;         /* free one fd at the first error */
} Accept;

static void
accept_cb (IoListener   *listener,
           IoStream     *stream,
           const GError *error,
           gpointer      user_data)
{
  Accept *a = user_data;

  g_assert_true (IO_IS_LISTENER (listener));
  g_assert_true ((stream == NULL) != (error == NULL));
  if (stream != NULL)
    {
      if (a->accepted++ == 0)
        a->errors_before_first = a->errors;
      g_ptr_array_add (a->streams, g_object_ref (stream));
      return;
    }
  a->errors++;
  g_test_message ("accept error: %s", error->message);

  g_clear_error (&a->error);
  a->error = g_error_copy (error);
  if (a->limit != NULL && a->errors == 1)
    io_test_fd_limit_free_one (a->limit);
}

static void
accept_notify (gpointer user_data)
{
  ((Accept *) user_data)->notifies++;
}

static void
accept_init (Accept *a)
{
  memset (a, 0, sizeof *a);
  a->streams = g_ptr_array_new_with_free_func (g_object_unref);
}

static IoListener *
listener_new (IoTest     *t,
              const char *host,
              Accept     *a)
{
  GError *error = NULL;
  IoListener *listener;

  accept_init (a);
  listener = io_listener_new_tcp (t->loop, host, 0, 0, IO_LISTENER_FLAGS_REUSEPORT,
                                  accept_cb, a, accept_notify, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (io_listener_get_port (listener), >, 0);
  return listener;
}

static void
listener_finish (IoTest     *t,
                 IoListener *listener,
                 Accept     *a)
{
  guint i;

  io_listener_close (listener);
  io_listener_close (listener);
  g_assert_true (io_listener_is_closed (listener));
  g_assert_cmpint (a->notifies, ==, 1);
  g_object_unref (listener);
  for (i = 0; i < a->streams->len; i++)
    io_stream_close (g_ptr_array_index (a->streams, i));
  io_test_iterate (t);
  g_ptr_array_unref (a->streams);
  g_clear_error (&a->error);
}

/* The resolver thread holds the loop until it has handed its result
 * over; the fixture wants the loop back unshared. */
static void
wait_for_resolver_thread (IoTest *t)
{
  while (g_atomic_int_get (&G_OBJECT (t->loop)->ref_count) > 1)
    g_usleep (1000);
}

static void
exchange_line (IoTest   *t,
               IoStream *from,
               IoStream *to)
{
  GBytes *line = bytes_str ("ping\n");
  Reader r;

  reader_init (&r);
  io_stream_read_until (to, (const guint8 *) "\n", 1, 0, reader_cb, &r, reader_notify);
  g_assert_true (io_stream_write (from, line, NULL));
  io_test_iterate_until (t, &r.done, 10);
  assert_piece (&r, 0, "ping\n");
  g_bytes_unref (line);
  reader_clear (&r);
}

/* A connect started with connect_cb(): it connects, and the stream and
 * the one @a accepted for it exchange a line each way. */
static void
connected_exchange (IoTest  *t,
                    Accept  *a,
                    Connect *c)
{
  gint accepted = a->accepted;

  g_assert_cmpint (c->calls, ==, 0);
  io_test_iterate_until (t, &c->done, 20);
  g_assert_no_error (c->error);
  g_assert_cmpint (c->calls, ==, 1);
  g_assert_cmpint (c->notifies, ==, 1);
  while (a->accepted <= accepted)
    io_test_iterate (t);
  exchange_line (t, c->stream, g_ptr_array_index (a->streams, accepted));
  exchange_line (t, g_ptr_array_index (a->streams, accepted), c->stream);
  stream_finish (t, c->stream);
}

static void
connect_and_exchange (IoTest     *t,
                      const char *listen_host,
                      const char *connect_host)
{
  Accept a;
  IoListener *listener = listener_new (t, listen_host, &a);
  Connect c = { 0 };

  io_stream_connect_tcp (t->loop, connect_host, io_listener_get_port (listener),
                         connect_cb, &c, connect_notify);
  connected_exchange (t, &a, &c);
  listener_finish (t, listener, &a);
  wait_for_resolver_thread (t);
}

static void
test_connect_to_listener_on_127_0_0_1 (IoTest *t)
{
  connect_and_exchange (t, "127.0.0.1", "127.0.0.1");
}

static void
test_connect_resolves_localhost (IoTest *t)
{
  /* localhost may resolve to ::1 first: that one is refused, and the
   * next address, 127.0.0.1, connects. */
  connect_and_exchange (t, "127.0.0.1", "localhost");
}

static void
test_connect_to_closed_port_fails_with_refused (IoTest *t)
{
  Connect c = { 0 };

  io_stream_connect_tcp (t->loop, "127.0.0.1", closed_port (), connect_cb, &c, connect_notify);
  io_test_iterate_until (t, &c.done, 20);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_null (c.stream);
#ifdef HAVE_LIBKQUEUE
  /* libkqueue reads SO_ERROR itself: the cause may be lost. */
  g_assert_nonnull (c.error);
#else
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
#endif
  g_assert_nonnull (strstr (c.error->message, "127.0.0.1"));
  io_test_iterate (t);
  g_assert_cmpint (c.notifies, ==, 1);
  g_clear_error (&c.error);
}

static void
test_connect_to_unknown_name_fails_with_resolver_error (IoTest *t)
{
  Connect c = { 0 };

  io_stream_connect_tcp (t->loop, "no-such-host.invalid", 80, connect_cb, &c, connect_notify);
  io_test_iterate_until (t, &c.done, 20);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_nonnull (c.error);
  g_assert_true (c.error->domain == G_RESOLVER_ERROR);
  g_assert_cmpint (c.notifies, ==, 1);
  g_clear_error (&c.error);
  wait_for_resolver_thread (t);
}

static void
test_connect_pending_when_loop_closes_gets_closed_once (IoTest *t)
{
  Accept a;
  IoListener *listener = listener_new (t, "127.0.0.1", &a);
  Connect c = { 0 };

  io_stream_connect_tcp (t->loop, "127.0.0.1", io_listener_get_port (listener),
                         connect_cb, &c, connect_notify);
  io_loop_close (t->loop, FALSE);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_cmpint (a.notifies, ==, 1);          /* the loop closed it too */
  g_clear_error (&c.error);

  /* On a closed loop: at once, with the same error. */
  io_stream_connect_tcp (t->loop, "127.0.0.1", 1, connect_cb, &c, connect_notify);
  g_assert_cmpint (c.calls, ==, 2);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpint (c.notifies, ==, 2);
  g_clear_error (&c.error);
  g_object_unref (listener);
  g_ptr_array_unref (a.streams);
}

static void
test_listener_accepts_every_pending_connection (IoTest *t)
{
  Accept a;
  IoListener *listener = listener_new (t, "127.0.0.1", &a);
  struct sockaddr_in sin = { 0 };
  int clients[5];
  guint i;

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  sin.sin_port = htons (io_listener_get_port (listener));
  for (i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      clients[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert_cmpint (connect (clients[i], (struct sockaddr *) &sin, sizeof sin), ==, 0);
    }
  while (a.accepted < (gint) G_N_ELEMENTS (clients))
    io_test_iterate (t);
  g_assert_cmpint (a.accepted, ==, G_N_ELEMENTS (clients));
  g_assert_cmpint (a.errors, ==, 0);
  for (i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      IoStream *s = g_ptr_array_index (a.streams, i);

      g_assert_false (io_stream_is_closed (s));
      close (clients[i]);
    }
  listener_finish (t, listener, &a);
}

/* @client has connected to @listener, which has not accepted it yet;
 * closes both. */
static void
listener_out_of_fds (IoTest     *t,
                     IoListener *listener,
                     Accept     *a,
                     int         client)
{
  IoTestFdLimit limit;

  if (io_test_under_valgrind ())
    {
      /* valgrind keeps fds of its own near the limit. */
      close (client);
      listener_finish (t, listener, a);
      io_test_skip ("valgrind's own fds defeat the fd limit");
      return;
    }
  if (!io_test_fd_limit_reach (&limit))
    {
      close (client);
      listener_finish (t, listener, a);
      io_test_skip ("cannot lower RLIMIT_NOFILE");
      return;
    }
  a->limit = &limit;
  while (a->accepted < 1)
    io_test_iterate (t);
  /* One report: the listener paused instead of spinning on EMFILE, and
   * took the connection once an fd was free. (Linux fails accept() with
   * EMFILE before it looks at the queue, so taking the last fd is
   * followed by one more report.) */
  g_assert_cmpint (a->errors_before_first, ==, 1);
  g_assert_error (a->error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
  io_test_fd_limit_restore (&limit);
  close (client);
  listener_finish (t, listener, a);
}

static void
test_listener_out_of_fds_reports_error_and_pauses (IoTest *t)
{
  Accept a;
  IoListener *listener = listener_new (t, "127.0.0.1", &a);
  struct sockaddr_in sin = { 0 };
  int client;

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  sin.sin_port = htons (io_listener_get_port (listener));
  client = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (connect (client, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  listener_out_of_fds (t, listener, &a, client);
}

/* ---- Unix sockets, timeouts ----------------------------------------------- */

/* The @n-th result of connect_cb() was the error @code, and the last. */
static void
connect_assert_failed (Connect *c,
                       gint     code,
                       gint     n)
{
  g_assert_cmpint (c->calls, ==, n);
  g_assert_null (c->stream);
  g_assert_error (c->error, G_IO_ERROR, code);
  g_assert_cmpint (c->notifies, ==, n);
  g_clear_error (&c->error);
}

/* A fresh directory for socket files; removed by unix_dir_free(). */
static char *
unix_dir_new (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("ioloop-unix-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
unix_dir_free (char *dir)
{
  g_assert_cmpint (g_rmdir (dir), ==, 0);       /* empty: nothing left behind */
  g_free (dir);
}

static IoListener *
unix_listener_new (IoTest     *t,
                   const char *path,
                   Accept     *a)
{
  GError *error = NULL;
  IoListener *listener;

  accept_init (a);
  listener = io_listener_new_unix (t->loop, path, 0, accept_cb, a, accept_notify, &error);
  g_assert_no_error (error);
  g_assert_true (IO_IS_LISTENER (listener));
  g_assert_cmpuint (io_listener_get_port (listener), ==, 0);
  return listener;
}

static void
sockaddr_un_init (struct sockaddr_un *sun,
                  const char         *path)
{
  memset (sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  g_assert_cmpuint (strlen (path), <, sizeof sun->sun_path);
  strcpy (sun->sun_path, path);
}

/* A socket file at @path that nobody listens on. */
static void
make_stale_socket_file (const char *path)
{
  struct sockaddr_un sun;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sockaddr_un_init (&sun, path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sun, sizeof sun), ==, 0);
  close (fd);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Connects a client to the listener of @a at @path, and exchanges. */
static void
unix_connect_through (IoTest     *t,
                      Accept     *a,
                      const char *path)
{
  Connect c = { 0 };

  io_stream_connect_unix (t->loop, path, connect_cb, &c, connect_notify);
  connected_exchange (t, a, &c);
}

static void
unix_connect_and_exchange (IoTest     *t,
                           const char *path)
{
  Accept a;
  IoListener *listener = unix_listener_new (t, path, &a);

  unix_connect_through (t, &a, path);
  listener_finish (t, listener, &a);
}

static void
test_unix_connect_exchanges_lines_and_close_removes_the_file (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "echo.sock", NULL);

  unix_connect_and_exchange (t, path);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_abstract_socket_exchanges_lines (IoTest *t)
{
#ifdef __linux__
  char *name = g_strdup_printf ("@ioloop-test-%d-%u", (int) getpid (), g_random_int ());

  unix_connect_and_exchange (t, name);
  g_free (name);
#else
  io_test_skip ("the abstract namespace is Linux's");
#endif
}

static void
assert_unix_connect_fails (IoTest     *t,
                           const char *path,
                           gint        code)
{
  Connect c = { 0 };

  io_stream_connect_unix (t->loop, path, connect_cb, &c, connect_notify);
  g_assert_cmpint (c.calls, ==, 0);             /* never from inside the call */
  io_test_iterate_until (t, &c.done, 20);
  connect_assert_failed (&c, code, 1);
}

static void
test_unix_connect_to_missing_path_fails_with_not_found (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "nobody.sock", NULL);

  assert_unix_connect_fails (t, path, G_IO_ERROR_NOT_FOUND);
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_connect_to_socket_without_listener_is_refused (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "stale.sock", NULL);

  make_stale_socket_file (path);
  assert_unix_connect_fails (t, path, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_path_too_long_is_invalid_argument (IoTest *t)
{
  struct sockaddr_un sun;
  char *path = g_strnfill (sizeof sun.sun_path, 'x');
  GError *error = NULL;
  Accept a = { 0 };

  char *much_longer = g_strnfill (4 * sizeof sun.sun_path, 'y');

  assert_unix_connect_fails (t, path, G_IO_ERROR_INVALID_ARGUMENT);
  assert_unix_connect_fails (t, much_longer, G_IO_ERROR_INVALID_ARGUMENT);
  assert_unix_connect_fails (t, "", G_IO_ERROR_INVALID_ARGUMENT);
  g_free (much_longer);
  g_assert_null (io_listener_new_unix (t->loop, path, 0, accept_cb, &a, accept_notify, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (a.notifies, ==, 0);
  g_clear_error (&error);
  /* One byte shorter fits (and, in the current directory, is not found). */
  path[sizeof sun.sun_path - 1] = '\0';
  assert_unix_connect_fails (t, path, G_IO_ERROR_NOT_FOUND);
  g_free (path);
}

static void
test_unix_listener_replaces_stale_file_not_live_socket_or_other_file (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "server.sock", NULL);
  char *plain = g_build_filename (dir, "plain", NULL);
  char *contents = NULL;
  GError *error = NULL;
  IoListener *listener;
  Accept a, b = { 0 };

  make_stale_socket_file (path);
  listener = unix_listener_new (t, path, &a);

  /* A live one stays. */
  g_assert_null (io_listener_new_unix (t->loop, path, 0, accept_cb, &b, accept_notify, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_cmpint (b.notifies, ==, 0);
  g_clear_error (&error);
  /* It found the server there by connecting to it. */
  while (a.accepted < 1)
    io_test_iterate (t);
  unix_connect_through (t, &a, path);

  /* A file that is not a socket stays. */
  g_assert_true (g_file_set_contents (plain, "data", -1, NULL));
  g_assert_null (io_listener_new_unix (t->loop, plain, 0, accept_cb, &b, accept_notify, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (plain, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "data");
  g_free (contents);
  g_assert_cmpint (g_unlink (plain), ==, 0);

  listener_finish (t, listener, &a);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (plain);
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_listener_leaves_a_file_that_replaced_its_socket (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "server.sock", NULL);
  Accept a;
  IoListener *listener = unix_listener_new (t, path, &a);

  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_true (g_file_set_contents (path, "someone else's", -1, NULL));
  listener_finish (t, listener, &a);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_listener_out_of_fds_reports_error_and_pauses (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "server.sock", NULL);
  Accept a;
  IoListener *listener = unix_listener_new (t, path, &a);
  struct sockaddr_un sun;
  int client = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sockaddr_un_init (&sun, path);
  g_assert_cmpint (connect (client, (struct sockaddr *) &sun, sizeof sun), ==, 0);
  listener_out_of_fds (t, listener, &a, client);
  g_free (path);
  unix_dir_free (dir);
}

/* A Unix listener that never accepts, its queue full: connect() fails
 * with EAGAIN until there is room. */
typedef struct
{
  char  *dir;
  char  *path;
  int    fd;
  int    queued[64];
  guint  n_queued;
} FullQueue;

static void
full_queue_init (FullQueue *q)
{
  struct sockaddr_un sun;

  memset (q, 0, sizeof *q);
  q->dir = unix_dir_new ();
  q->path = g_build_filename (q->dir, "full.sock", NULL);
  sockaddr_un_init (&sun, q->path);
  q->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert_cmpint (bind (q->fd, (struct sockaddr *) &sun, sizeof sun), ==, 0);
  g_assert_cmpint (listen (q->fd, 0), ==, 0);
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

      if (connect (fd, (struct sockaddr *) &sun, sizeof sun) < 0)
        {
          g_assert_cmpint (errno, ==, EAGAIN);
          close (fd);
          break;
        }
      g_assert_cmpuint (q->n_queued, <, G_N_ELEMENTS (q->queued));
      q->queued[q->n_queued++] = fd;
    }
  g_assert_cmpuint (q->n_queued, >, 0);
}

/* Makes room for one. */
static void
full_queue_accept_one (FullQueue *q)
{
  int fd = accept (q->fd, NULL, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

static void
full_queue_clear (FullQueue *q)
{
  guint i;

  for (i = 0; i < q->n_queued; i++)
    close (q->queued[i]);
  close (q->fd);
  g_assert_cmpint (g_unlink (q->path), ==, 0);
  g_free (q->path);
  unix_dir_free (q->dir);
}

/* Runs the loop for about @seconds. */
static void
iterate_for (IoTest  *t,
             gdouble  seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    {
      io_test_iterate (t);
      g_usleep (1000);
    }
}

/* A connect to a full queue, waiting: it has tried and will try again. */
static void
full_queue_connect (IoTest    *t,
                    FullQueue *q,
                    Connect   *c)
{
  full_queue_init (q);
  io_stream_connect_unix_full (t->loop, q->path, 20, connect_cb, c, connect_notify);
  iterate_for (t, 0.05);
  g_assert_cmpint (c->calls, ==, 0);
}

static void
test_unix_connect_to_full_queue_times_out (IoTest *t)
{
  FullQueue q;
  Connect c = { 0 };

  full_queue_init (&q);
  io_stream_connect_unix_full (t->loop, q.path, 0.1, connect_cb, &c, connect_notify);
  io_test_iterate_until (t, &c.done, 20);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_null (c.stream);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (c.error->message, q.path));
  g_assert_cmpint (c.notifies, ==, 1);
  /* The retries stopped with it. */
  full_queue_accept_one (&q);
  iterate_for (t, 0.05);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_clear_error (&c.error);
  full_queue_clear (&q);
}

static void
test_unix_connect_waits_for_room_in_full_queue (IoTest *t)
{
  FullQueue q;
  Connect c = { 0 };

  full_queue_connect (t, &q, &c);
  full_queue_accept_one (&q);
  io_test_iterate_until (t, &c.done, 20);
  g_assert_no_error (c.error);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_false (io_stream_is_closed (c.stream));
  stream_finish (t, c.stream);
  full_queue_clear (&q);
}

static void
test_connect_within_timeout_is_not_timed_out_later (IoTest *t)
{
  char *dir = unix_dir_new ();
  char *path = g_build_filename (dir, "quick.sock", NULL);
  Accept a;
  IoListener *listener = unix_listener_new (t, path, &a);
  Connect c = { 0 };

  io_stream_connect_unix_full (t->loop, path, 0.05, connect_cb, &c, connect_notify);
  io_test_iterate_until (t, &c.done, 20);
  g_assert_no_error (c.error);
  iterate_for (t, 0.1);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);
  g_assert_false (io_stream_is_closed (c.stream));
  stream_finish (t, c.stream);
  listener_finish (t, listener, &a);
  g_free (path);
  unix_dir_free (dir);
}

static void
test_unix_connect_pending_when_loop_closes_gets_closed_once (IoTest *t)
{
  FullQueue q;
  Connect c = { 0 };

  full_queue_connect (t, &q, &c);
  io_loop_close (t->loop, FALSE);
  connect_assert_failed (&c, G_IO_ERROR_CLOSED, 1);

  io_stream_connect_unix (t->loop, q.path, connect_cb, &c, connect_notify);
  connect_assert_failed (&c, G_IO_ERROR_CLOSED, 2);
  full_queue_clear (&q);
}

/* A resolver whose lookups wait until the test lets them answer (with
 * 127.0.0.1), whatever their cancellable says. */
typedef struct
{
  GResolver  parent_instance;
  GMutex     mutex;
  GCond      cond;
  gboolean   waiting;
  gboolean   released;
  gboolean   saw_cancelled;
} BlockingResolver;

typedef GResolverClass BlockingResolverClass;

static GType blocking_resolver_get_type (void);
G_DEFINE_TYPE (BlockingResolver, blocking_resolver, G_TYPE_RESOLVER)

static GList *
blocking_resolver_lookup_by_name (GResolver     *resolver,
                                  const gchar   *hostname,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  BlockingResolver *self = (BlockingResolver *) resolver;

  g_mutex_lock (&self->mutex);
  self->waiting = TRUE;
  g_cond_broadcast (&self->cond);
  while (!self->released)
    g_cond_wait (&self->cond, &self->mutex);
  self->saw_cancelled = g_cancellable_is_cancelled (cancellable);
  g_mutex_unlock (&self->mutex);
  return g_list_append (NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static void
blocking_resolver_finalize (GObject *object)
{
  BlockingResolver *self = (BlockingResolver *) object;

  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (blocking_resolver_parent_class)->finalize (object);
}

static void
blocking_resolver_class_init (BlockingResolverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = blocking_resolver_finalize;
  klass->lookup_by_name = blocking_resolver_lookup_by_name;
}

static void
blocking_resolver_init (BlockingResolver *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

static void
blocking_resolver_wait_for_lookup (BlockingResolver *self)
{
  g_mutex_lock (&self->mutex);
  while (!self->waiting)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
}

/* Under the lock: the thread that wrote it may still be running. */
static gboolean
blocking_resolver_saw_cancelled (BlockingResolver *self)
{
  gboolean saw;

  g_mutex_lock (&self->mutex);
  saw = self->saw_cancelled;
  g_mutex_unlock (&self->mutex);
  return saw;
}

static void
blocking_resolver_release (BlockingResolver *self)
{
  g_mutex_lock (&self->mutex);
  self->released = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/* The op ends (deadline or closed loop) while its resolver thread waits;
 * the thread's answer, which comes later, must change nothing. */
static void
connect_ends_while_resolving (IoTest   *t,
                              gboolean  close_loop)
{
  GResolver *old = g_resolver_get_default ();
  BlockingResolver *resolver = g_object_new (blocking_resolver_get_type (), NULL);
  Accept a;
  IoListener *listener = listener_new (t, "127.0.0.1", &a);
  Connect c = { 0 };
  gint code = close_loop ? G_IO_ERROR_CLOSED : G_IO_ERROR_TIMED_OUT;

  g_resolver_set_default (G_RESOLVER (resolver));
  io_stream_connect_tcp_full (t->loop, "resolver.test", io_listener_get_port (listener),
                              close_loop ? 0 : 0.05, connect_cb, &c, connect_notify);
  blocking_resolver_wait_for_lookup (resolver);
  if (close_loop)
    io_loop_close (t->loop, FALSE);
  else
    io_test_iterate_until (t, &c.done, 20);
  connect_assert_failed (&c, code, 1);

  blocking_resolver_release (resolver);
  if (close_loop)
    {
      g_object_unref (listener);
      g_ptr_array_unref (a.streams);
    }
  else
    listener_finish (t, listener, &a);
  wait_for_resolver_thread (t);
  g_assert_true (blocking_resolver_saw_cancelled (resolver));
  if (!close_loop)
    iterate_for (t, 0.02);
  g_assert_cmpint (c.calls, ==, 1);
  g_assert_cmpint (c.notifies, ==, 1);

  g_resolver_set_default (old);
  g_object_unref (old);
  g_object_unref (resolver);
}

static void
test_connect_times_out_while_resolving (IoTest *t)
{
  connect_ends_while_resolving (t, FALSE);
}

static void
test_loop_closes_while_resolving (IoTest *t)
{
  connect_ends_while_resolving (t, TRUE);
}

static void
test_bad_fd_is_refused (IoTest *t)
{
  GError *error = NULL;

  g_assert_null (io_stream_new (t->loop, -1, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_BAD_FD);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/stream/read-until-returns-data-through-delimiter",
               test_read_until_returns_data_through_delimiter);
  io_test_add ("/stream/read-until-delimiter-split-across-many-small-writes",
               test_read_until_delimiter_split_across_many_small_writes);
  io_test_add ("/stream/read-until-delimiter-spanning-chunk-boundary",
               test_read_until_delimiter_spanning_chunk_boundary);
  io_test_add ("/stream/read-bytes-waits-for-all-bytes", test_read_bytes_waits_for_all_bytes);
  io_test_add ("/stream/read-bytes-partial-returns-what-arrived",
               test_read_bytes_partial_returns_what_arrived);
  io_test_add ("/stream/read-until-close-returns-everything", test_read_until_close_returns_everything);
  io_test_add ("/stream/read-chunks-streams-until-end", test_read_chunks_streams_until_end);
  io_test_add ("/stream/read-chunks-cancelled-from-callback-runs-notify-once",
               test_read_chunks_cancelled_from_callback_runs_notify_once);
  io_test_add ("/stream/second-read-fails-with-pending", test_second_read_fails_with_pending);
  io_test_add ("/stream/read-on-closed-stream-is-served-from-buffer-then-fails",
               test_read_on_closed_stream_is_served_from_buffer_then_fails);
  io_test_add ("/stream/delimiter-past-max-buffer-size-fails-and-closes",
               test_delimiter_past_max_buffer_size_fails_and_closes);
  io_test_add ("/stream/delimiter-past-max-bytes-fails-and-closes",
               test_delimiter_past_max_bytes_fails_and_closes);
  io_test_add ("/stream/read-bytes-larger-than-max-buffer-fails",
               test_read_bytes_larger_than_max_buffer_fails);
  io_test_add ("/stream/write-queues-bytes-without-copying", test_write_queues_bytes_without_copying);
  io_test_add ("/stream/big-write-reaches-a-stream-reader-intact",
               test_big_write_reaches_a_stream_reader_intact);
  io_test_add ("/stream/flush-runs-once-everything-is-written", test_flush_runs_once_everything_is_written);
  io_test_add ("/stream/write-buffer-full-follows-high-and-low-marks",
               test_write_buffer_full_follows_high_and_low_marks);
  io_test_add ("/stream/write-after-close-fails-with-closed", test_write_after_close_fails_with_closed);
  io_test_add ("/stream/close-callback-runs-exactly-once", test_close_callback_runs_exactly_once);
  io_test_add ("/stream/peer-reset-mid-write-reports-one-error",
               test_peer_reset_mid_write_reports_one_error);
  io_test_add ("/stream/write-to-pipe-without-reader-is-an-error-not-sigpipe",
               test_write_to_pipe_without_reader_is_an_error_not_sigpipe);
  io_test_add ("/stream/end-of-input-flushes-queued-writes-then-closes",
               test_end_of_input_flushes_queued_writes_then_closes);
  io_test_add ("/stream/shutdown-write-after-queued-writes-keeps-reading",
               test_shutdown_write_after_queued_writes_keeps_reading);
  io_test_add ("/stream/shutdown-write-refuses-pipe-and-closed-stream",
               test_shutdown_write_refuses_pipe_and_closed_stream);
  io_test_add ("/stream/end-of-input-without-close-on-eof-keeps-stream-open",
               test_end_of_input_without_close_on_eof_keeps_stream_open);
  io_test_add ("/stream/hang-up-without-close-on-eof-is-found-by-next-write",
               test_hang_up_without_close_on_eof_is_found_by_next_write);
  io_test_add ("/stream/stream-kept-past-its-input-closes-with-loop-once",
               test_stream_kept_past_its_input_closes_with_loop_once);
  io_test_add ("/stream/chunks-cancelled-and-restarted-lose-nothing",
               test_chunks_cancelled_and_restarted_lose_nothing);
  io_test_add ("/stream/loop-close-closes-open-streams-once", test_loop_close_closes_open_streams_once);
  io_test_add ("/stream/loop-close-all-fds-closes-stream-fd-once",
               test_loop_close_all_fds_closes_stream_fd_once);
  io_test_add ("/stream/loop-close-all-fds-in-callback-spares-reused-fd",
               test_loop_close_all_fds_in_callback_spares_reused_fd);
  io_test_add ("/stream/connect-to-listener-on-127-0-0-1", test_connect_to_listener_on_127_0_0_1);
  io_test_add ("/stream/connect-resolves-localhost", test_connect_resolves_localhost);
  io_test_add ("/stream/connect-to-closed-port-fails-with-refused",
               test_connect_to_closed_port_fails_with_refused);
  io_test_add ("/stream/connect-to-unknown-name-fails-with-resolver-error",
               test_connect_to_unknown_name_fails_with_resolver_error);
  io_test_add ("/stream/connect-pending-when-loop-closes-gets-closed-once",
               test_connect_pending_when_loop_closes_gets_closed_once);
  io_test_add ("/stream/listener-accepts-every-pending-connection",
               test_listener_accepts_every_pending_connection);
  io_test_add ("/stream/listener-out-of-fds-reports-error-and-pauses",
               test_listener_out_of_fds_reports_error_and_pauses);
  io_test_add ("/stream/unix-connect-exchanges-lines-and-close-removes-the-file",
               test_unix_connect_exchanges_lines_and_close_removes_the_file);
  io_test_add ("/stream/unix-abstract-socket-exchanges-lines",
               test_unix_abstract_socket_exchanges_lines);
  io_test_add ("/stream/unix-connect-to-missing-path-fails-with-not-found",
               test_unix_connect_to_missing_path_fails_with_not_found);
  io_test_add ("/stream/unix-connect-to-socket-without-listener-is-refused",
               test_unix_connect_to_socket_without_listener_is_refused);
  io_test_add ("/stream/unix-path-too-long-is-invalid-argument",
               test_unix_path_too_long_is_invalid_argument);
  io_test_add ("/stream/unix-listener-replaces-stale-file-not-live-socket-or-other-file",
               test_unix_listener_replaces_stale_file_not_live_socket_or_other_file);
  io_test_add ("/stream/unix-listener-leaves-a-file-that-replaced-its-socket",
               test_unix_listener_leaves_a_file_that_replaced_its_socket);
  io_test_add ("/stream/unix-listener-out-of-fds-reports-error-and-pauses",
               test_unix_listener_out_of_fds_reports_error_and_pauses);
  io_test_add ("/stream/unix-connect-to-full-queue-times-out",
               test_unix_connect_to_full_queue_times_out);
  io_test_add ("/stream/unix-connect-waits-for-room-in-full-queue",
               test_unix_connect_waits_for_room_in_full_queue);
  io_test_add ("/stream/connect-within-timeout-is-not-timed-out-later",
               test_connect_within_timeout_is_not_timed_out_later);
  io_test_add ("/stream/unix-connect-pending-when-loop-closes-gets-closed-once",
               test_unix_connect_pending_when_loop_closes_gets_closed_once);
  io_test_add ("/stream/connect-times-out-while-resolving", test_connect_times_out_while_resolving);
  io_test_add ("/stream/loop-closes-while-resolving", test_loop_closes_while_resolving);
  io_test_add ("/stream/bad-fd-is-refused", test_bad_fd_is_refused);

  return io_test_run ();
}
