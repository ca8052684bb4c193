/* io-stream.c: a buffered stream over a non-blocking fd
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One fd handler per stream, registered from io_stream_new() to the close,
 * whose interest follows what is pending: READ while a read waits for data,
 * WRITE while the write queue is not empty (or a connect is in progress).
 * The handler holds a reference on the stream, so an open stream lives as
 * long as its fd is watched, as Tornado's streams live through their
 * handlers.
 *
 * Every user callback runs from dispatch(), on the loop's thread: straight
 * from the fd handler, or, when an API call makes something ready (a read
 * the buffer already satisfies, a close), from a callback queued with
 * io_loop_add_callback(), so that no callback runs inside the call that
 * caused it. On a closed loop, that queued callback is dropped and its
 * notify runs at once: dispatch() runs from there, so nothing is lost.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-async.h"
#include "io-stream.h"
#include "io-stream-private.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* Tornado's read_chunk_size. */
#define READ_CHUNK_SIZE   (64 * 1024)
/* asyncio's defaults for the write buffer's marks. */
#define DEFAULT_HIGH_MARK (64 * 1024)
#define DEFAULT_LOW_MARK  (16 * 1024)
#define MAX_IOVECS        64
/* From this size on, a read that empties the buffer takes its storage. */
#define STEAL_MIN         (16 * 1024)

/**
 * IoStream:
 *
 * A buffered stream over a non-blocking file descriptor (a socket, a pipe,
 * a terminal) on an #IoLoop, after Tornado's `IOStream`.
 *
 * Reads take a callback: io_stream_read_until() a delimiter,
 * io_stream_read_bytes() a count, io_stream_read_until_close() everything,
 * and io_stream_read_chunks() hands over each piece as it comes. One read
 * is pending at a time; a second one fails with %G_IO_ERROR_PENDING (the
 * first is not disturbed). io_stream_write() queues #GBytes without copying
 * them, writing at once what the fd takes; io_stream_flush() says when
 * everything queued so far is written. The write buffer's size is visible
 * (io_stream_get_write_buffer_size()), and #IoStream:write-buffer-full
 * turns %TRUE above a high mark and %FALSE again at a low one, for
 * backpressure.
 *
 * Errors are #GErrors in the %G_IO_ERROR domain: system errors as
 * g_io_error_from_errno() maps their errno (a reset peer is
 * %G_IO_ERROR_CONNECTION_CLOSED, a refused connect
 * %G_IO_ERROR_CONNECTION_REFUSED), a read or write on a closed stream
 * %G_IO_ERROR_CLOSED, a read that cannot fit in #IoStream:max-buffer-size
 * %G_IO_ERROR_MESSAGE_TOO_LARGE, a second pending read %G_IO_ERROR_PENDING.
 * An I/O error closes the stream; it is reported once, to the close
 * callback (io_stream_set_close_callback()), and to the pending read and
 * flushes, and io_stream_get_error() returns it afterwards.
 *
 * The end of the input (the peer closed or shut down its side) fails a
 * pending read that it leaves unsatisfied and closes the stream once the
 * queued writes are written, unless io_stream_set_close_on_eof() leaves
 * the closing to the owner. io_stream_shutdown_write() ends the output
 * alone. Data read before the close stays readable:
 * reads on a closed stream are served from the buffer and fail with
 * %G_IO_ERROR_CLOSED only when it cannot satisfy them.
 *
 * The loop holds a reference on an open stream: it lives until it is
 * closed (by io_stream_close(), by the peer, by an error, or when its loop
 * closes), even after its creator drops its own reference.
 *
 * There is no TLS: IoStream moves bytes. (Python's asyncio runs its SSL
 * protocol over a transport.)
 *
 * All functions are for the loop's thread.
 *
 * Since: 1.2
 */

typedef enum
{
  READ_UNTIL,
  READ_BYTES,
  READ_UNTIL_CLOSE,
  READ_CHUNKS,
} ReadMode;

typedef struct
{
  ReadMode          mode;
  guint8           *delimiter;
  gsize             delimiter_len;
  gsize             max_bytes;          /* READ_UNTIL; 0: no limit */
  gsize             n_bytes;            /* READ_BYTES */
  gboolean          partial;
  IoStreamReadFunc  func;
  gpointer          user_data;
  GDestroyNotify    notify;
} ReadOp;

typedef struct
{
  guint64           mark;               /* done once written_total reaches it */
  IoStreamDoneFunc  func;
  gpointer          user_data;
  GDestroyNotify    notify;
} FlushOp;

struct _IoStream
{
  GObject           parent_instance;

  IoLoop           *loop;
  int               fd;                 /* -1 once closed */
  gboolean          is_socket;
  IoEvents          interest;
  gboolean          handler_attached;
  gboolean          closed;
  gboolean          read_eof;           /* no more input will come */
  gboolean          close_on_eof;
  gboolean          shutdown_wanted;    /* io_stream_shutdown_write() */
  gboolean          write_shut;         /* shutdown (SHUT_WR) done */
  guint             parked_hook;        /* parked: the loop's close hook */
  gboolean          dispatch_scheduled;
  GError           *error;              /* what closed the stream */

  GByteArray       *rbuf;
  gsize             rstart;             /* rbuf->data[rstart..len) is unread */
  gsize             scanned;            /* from rstart: no delimiter starts there */
  gsize             max_buffer_size;
  ReadOp           *read;
  ReadOp           *delivering;         /* the chunk reader being called */
  GQueue            rejected;           /* ReadOp: refused with PENDING */

  GQueue            wqueue;             /* GBytes, written in order */
  gsize             whead_offset;       /* written part of the head */
  gsize             wsize;
  guint64           queued_total;
  guint64           written_total;
  gsize             high_mark;
  gsize             low_mark;
  gboolean          wfull;
  GQueue            flushes;            /* FlushOp, by mark */

  IoStreamDoneFunc  close_func;
  gpointer          close_data;
  GDestroyNotify    close_notify;

  IoConnectOp      *connecting;
};

enum
{
  PROP_0,
  PROP_LOOP,
  PROP_FD,
  PROP_MAX_BUFFER_SIZE,
  PROP_WRITE_BUFFER_SIZE,
  PROP_WRITE_BUFFER_FULL,
  PROP_CLOSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (IoStream, io_stream, G_TYPE_OBJECT)

static void dispatch (IoStream *self);
static void update_interest (IoStream *self);
static void on_fd_events (int fd, IoEvents events, gpointer user_data, GError **error);
static void forget_parked_hook (IoStream *self);

/* ---- small helpers ----------------------------------------------------- */

static GError *
error_from_errno (int         errsv,
                  const char *what)
{
  return g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s",
                      what, g_strerror (errsv));
}

static GError *
closed_error (IoStream *self)
{
  if (self->error != NULL)
    return g_error_copy (self->error);
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                              _("The stream is closed"));
}

static void
read_op_free (ReadOp *op)
{
  if (op->notify != NULL)
    op->notify (op->user_data);
  g_free (op->delimiter);
  g_free (op);
}

static void
flush_op_free (FlushOp *op)
{
  if (op->notify != NULL)
    op->notify (op->user_data);
  g_free (op);
}

static void
set_write_buffer_full (IoStream *self,
                       gboolean  full)
{
  if (self->wfull == full)
    return;
  self->wfull = full;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITE_BUFFER_FULL]);
}

static void
check_marks (IoStream *self)
{
  if (!self->wfull && self->wsize > self->high_mark)
    set_write_buffer_full (self, TRUE);
  else if (self->wfull && self->wsize <= self->low_mark)
    set_write_buffer_full (self, FALSE);
}

static void
dispatch_cb (gpointer   data,
             GError   **error)
{
  IoStream *self = data;

  if (self->dispatch_scheduled)
    dispatch (self);
}

/* Also the way a dropped callback (closed loop) still dispatches. */
static void
dispatch_notify (gpointer data)
{
  IoStream *self = data;

  if (self->dispatch_scheduled)
    dispatch (self);
  g_object_unref (self);
}

static void
schedule_dispatch (IoStream *self)
{
  if (self->dispatch_scheduled)
    return;
  self->dispatch_scheduled = TRUE;
  io_loop_add_callback (self->loop, dispatch_cb, g_object_ref (self),
                        dispatch_notify);
}

/* ---- closing ----------------------------------------------------------- */

/* Closes the fd and drops the queued writes; callbacks run in the next
 * dispatch(). Takes @error (nullable). The caller holds a reference. */
static void
close_internal (IoStream *self,
                GError   *error)
{
  IoConnectOp *op;

  if (self->closed)
    {
      g_clear_error (&error);
      return;
    }
  self->closed = TRUE;
  self->read_eof = TRUE;
  self->error = error;

  g_queue_clear_full (&self->wqueue, (GDestroyNotify) g_bytes_unref);
  self->whead_offset = 0;
  self->wsize = 0;

  if (self->handler_attached)
    {
      self->handler_attached = FALSE;
      io_loop_remove_handler (self->loop, self->fd, NULL);
    }
  if (self->parked_hook != 0)
    {
      forget_parked_hook (self);
      /* The caller's reference keeps the stream until it returns. */
      g_object_unref (self);
    }
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }

  set_write_buffer_full (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);

  op = g_steal_pointer (&self->connecting);
  if (op != NULL)
    _io_connect_op_stream_failed (op, self, error);
}

static void
close_with_errno (IoStream   *self,
                  int         errsv,
                  const char *what)
{
  close_internal (self, error_from_errno (errsv, what));
}

/* The loop's reference. Without io_stream_close() having detached the
 * handler first, this is the loop closing. If that was io_loop_close (loop,
 * TRUE), the loop closed the fd already (and says so), and its number may
 * be someone else's by now: the stream must not close it again. */
static void
handler_notify (gpointer data)
{
  IoStream *self = data;

  if (self->handler_attached)
    {
      self->handler_attached = FALSE;
      if (_io_loop_notify_fd_was_closed (self->loop, self->fd))
        self->fd = -1;
      close_internal (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                 _("The loop was closed")));
      schedule_dispatch (self);
    }
  g_object_unref (self);
}

/* ---- reading ----------------------------------------------------------- */

static gsize
read_buffered (IoStream *self)
{
  return self->rbuf->len - self->rstart;
}

static GBytes *
take_bytes (IoStream *self,
            gsize     n)
{
  GBytes *bytes;

  /* A large read that takes the whole buffer takes its storage too,
   * trimmed to size, rather than a copy: the next read allocates anew,
   * which costs what the copy's allocation did, without the copy. */
  if (self->rstart == 0 && n == self->rbuf->len && n >= STEAL_MIN)
    {
      guint8 *data = g_byte_array_free (g_steal_pointer (&self->rbuf), FALSE);

      self->rbuf = g_byte_array_new ();
      self->scanned = 0;
      return g_bytes_new_take (g_realloc (data, n), n);
    }
  bytes = g_bytes_new (self->rbuf->data + self->rstart, n);
  self->rstart += n;
  self->scanned = 0;
  if (self->rstart == self->rbuf->len)
    {
      self->rstart = 0;
      g_byte_array_set_size (self->rbuf, 0);
    }
  return bytes;
}

static const guint8 *
find_delimiter (const guint8 *hay,
                gsize         hay_len,
                const guint8 *delim,
                gsize         delim_len)
{
  const guint8 *end = hay + hay_len;

  while ((gsize) (end - hay) >= delim_len)
    {
      const guint8 *p = memchr (hay, delim[0], end - hay - delim_len + 1);

      if (p == NULL)
        return NULL;
      if (memcmp (p, delim, delim_len) == 0)
        return p;
      hay = p + 1;
    }
  return NULL;
}

typedef enum
{
  TRY_NEED_MORE,
  TRY_DONE,                     /* *out set (NULL: end of a chunk stream) */
  TRY_FAILED,                   /* *error set */
} TryResult;

static TryResult
fail_too_large (IoStream  *self,
                GError   **error,
                const char *message)
{
  GError *e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, message);

  *error = g_error_copy (e);
  close_internal (self, e);
  return TRY_FAILED;
}

static TryResult
try_read (IoStream  *self,
          ReadOp    *op,
          GBytes   **out,
          GError   **error)
{
  gsize avail = read_buffered (self);
  const guint8 *data = self->rbuf->data + self->rstart;

  switch (op->mode)
    {
    case READ_UNTIL:
      {
        gsize from = MIN (self->scanned, avail);
        const guint8 *hit = find_delimiter (data + from, avail - from,
                                            op->delimiter, op->delimiter_len);

        if (hit != NULL)
          {
            gsize total = hit - data + op->delimiter_len;

            if (op->max_bytes != 0 && total > op->max_bytes)
              return fail_too_large (self, error,
                                     _("The delimiter is not within the maximum number of bytes to read"));
            *out = take_bytes (self, total);
            return TRY_DONE;
          }
        self->scanned = avail >= op->delimiter_len ? avail - op->delimiter_len + 1 : 0;
        if (op->max_bytes != 0 && avail >= op->max_bytes)
          return fail_too_large (self, error,
                                 _("The delimiter is not within the maximum number of bytes to read"));
        if (avail >= self->max_buffer_size && !self->read_eof)
          return fail_too_large (self, error,
                                 _("The read buffer reached its maximum size before the delimiter arrived"));
      }
      break;

    case READ_BYTES:
      if (avail >= op->n_bytes)
        {
          *out = take_bytes (self, op->n_bytes);
          return TRY_DONE;
        }
      if (op->partial && avail > 0)
        {
          *out = take_bytes (self, avail);
          return TRY_DONE;
        }
      if (op->n_bytes > self->max_buffer_size && !self->read_eof)
        return fail_too_large (self, error,
                               _("The read is larger than the maximum read buffer size"));
      break;

    case READ_UNTIL_CLOSE:
      if (self->read_eof && self->error == NULL)
        {
          *out = take_bytes (self, avail);
          return TRY_DONE;
        }
      if (avail >= self->max_buffer_size && !self->read_eof)
        return fail_too_large (self, error,
                               _("The read buffer reached its maximum size before the end of the stream"));
      break;

    case READ_CHUNKS:
      if (avail > 0)
        {
          *out = take_bytes (self, avail);
          return TRY_DONE;
        }
      if (self->read_eof && self->error == NULL)
        {
          *out = NULL;
          return TRY_DONE;
        }
      break;
    }

  if (self->read_eof)
    {
      *error = closed_error (self);
      return TRY_FAILED;
    }
  return TRY_NEED_MORE;
}

/* Runs the pending read while the buffer satisfies it. */
static void
run_reads (IoStream *self)
{
  while (self->read != NULL)
    {
      ReadOp *op = self->read;
      GBytes *bytes = NULL;
      GError *error = NULL;
      TryResult result = try_read (self, op, &bytes, &error);

      if (result == TRY_NEED_MORE)
        return;

      /* try_read() may have closed the stream and so cancelled... nothing:
       * only io_stream_cancel_read() takes self->read away. */
      if (op->mode == READ_CHUNKS && bytes != NULL)
        {
          self->delivering = op;
          op->func (self, bytes, NULL, op->user_data);
          self->delivering = NULL;
          g_bytes_unref (bytes);
          if (self->read != op)         /* cancelled from the callback */
            read_op_free (op);
          continue;
        }

      self->read = NULL;
      op->func (self, bytes, error, op->user_data);
      g_clear_pointer (&bytes, g_bytes_unref);
      g_clear_error (&error);
      read_op_free (op);
    }
}

static void
fail_rejected_reads (IoStream *self)
{
  ReadOp *op;

  while ((op = g_queue_pop_head (&self->rejected)) != NULL)
    {
      GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PENDING,
                                           _("Another read is pending on the stream"));

      op->func (self, NULL, error, op->user_data);
      g_error_free (error);
      read_op_free (op);
    }
}

/* Reads what the fd has into the buffer: once, or after a hang-up or an
 * error condition (@hangup) until the end, so that the condition, which
 * the loop reports until it is dealt with, is dealt with (unless a reader
 * deals with it, of a stream that does not close at the end of its
 * input). */
static void
fill_buffer (IoStream *self,
             gboolean  hangup)
{
  while (!self->closed && !self->read_eof)
    {
      gsize len = self->rbuf->len;
      gsize avail = read_buffered (self);
      gsize room = self->max_buffer_size > avail ? self->max_buffer_size - avail : 0;
      ssize_t r;

      if (room == 0)
        {
          /* A pending read fails in dispatch(); without one, stop here
           * rather than come back for the hang-up forever. */
          if (hangup && self->read == NULL)
            close_internal (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                                       _("The read buffer reached its maximum size")));
          return;
        }
      if (self->rstart > 0 && self->rstart >= len / 2)
        {
          memmove (self->rbuf->data, self->rbuf->data + self->rstart, avail);
          self->rstart = 0;
          len = avail;
        }
      g_byte_array_set_size (self->rbuf, len + MIN (room, READ_CHUNK_SIZE));
      r = read (self->fd, self->rbuf->data + len, MIN (room, READ_CHUNK_SIZE));
      g_byte_array_set_size (self->rbuf, len + MAX (r, 0));
      if (r > 0)
        {
          /* A reader makes progress on each report of the hang-up; one
           * kept past the end of the input gets that end in the next
           * iteration, as from a socket that did not hang up. */
          if (!hangup || (self->read != NULL && !self->close_on_eof))
            return;
        }
      else if (r == 0)
        self->read_eof = TRUE;
      else if (errno == EINTR)
        continue;
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        {
          int err = 0;
          socklen_t err_len = sizeof err;

          if (!hangup)
            return;
          if (self->is_socket &&
              getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err != 0)
            close_with_errno (self, err, _("Error on the stream"));
          else if (self->wsize == 0)
            close_with_errno (self, EPIPE, _("The stream hung up"));
          return;
        }
      else if (hangup && (errno == EBADF || errno == EINVAL))
        close_with_errno (self, EPIPE, _("The stream hung up"));     /* a write-only fd */
      else
        close_with_errno (self, errno, _("Error reading from the stream"));
    }
}

/* ---- writing ----------------------------------------------------------- */

/* writev() that turns SIGPIPE into EPIPE, for pipes and terminals: the
 * signal is blocked for the call, and one it raised is taken back. */
static ssize_t
writev_no_sigpipe (int                 fd,
                   const struct iovec *iov,
                   int                 n)
{
  sigset_t pipe_set, old_set, pending;
  gboolean was_pending;
  ssize_t w;
  int errsv;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  w = writev (fd, iov, n);
  errsv = errno;
  if (w < 0 && errsv == EPIPE && !was_pending)
    {
      const struct timespec zero = { 0, 0 };

      while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);
  errno = errsv;
  return w;
}

static ssize_t
write_iov (IoStream           *self,
           const struct iovec *iov,
           int                 n)
{
  if (self->is_socket)
    {
      struct msghdr msg = { 0 };

      msg.msg_iov = (struct iovec *) iov;
      msg.msg_iovlen = n;
      return sendmsg (self->fd, &msg, MSG_NOSIGNAL);
    }
  return writev_no_sigpipe (self->fd, iov, n);
}

static gboolean
shutdown_now (IoStream  *self,
              GError   **error)
{
  self->write_shut = TRUE;
  if (shutdown (self->fd, SHUT_WR) < 0)
    {
      int errsv = errno;

      g_propagate_error (error, error_from_errno (errsv, _("Could not shut the stream down for writing")));
      return FALSE;
    }
  return TRUE;
}

/* Writes queued data until the fd takes no more. */
static void
flush_queue (IoStream *self)
{
  while (self->wsize > 0 && !self->closed)
    {
      struct iovec iov[MAX_IOVECS];
      gsize offset = self->whead_offset;
      GList *l;
      int n = 0;
      ssize_t w;

      for (l = self->wqueue.head; l != NULL && n < MAX_IOVECS; l = l->next)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (l->data, &size);

          iov[n].iov_base = (guint8 *) data + offset;
          iov[n].iov_len = size - offset;
          offset = 0;
          n++;
        }
      w = write_iov (self, iov, n);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            close_with_errno (self, errno, _("Error writing to the stream"));
          break;
        }
      self->wsize -= w;
      self->written_total += w;
      while (w > 0)
        {
          gsize size = g_bytes_get_size (g_queue_peek_head (&self->wqueue));
          gsize left = size - self->whead_offset;

          if ((gsize) w < left)
            {
              self->whead_offset += w;
              break;
            }
          w -= left;
          self->whead_offset = 0;
          g_bytes_unref (g_queue_pop_head (&self->wqueue));
        }
    }
  if (!self->closed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITE_BUFFER_SIZE]);
  check_marks (self);
  if (self->wsize == 0 && self->shutdown_wanted && !self->write_shut && !self->closed)
    {
      GError *error = NULL;

      if (!shutdown_now (self, &error))
        close_internal (self, error);
    }
}

static void
run_flushes (IoStream *self)
{
  FlushOp *op;

  while ((op = g_queue_peek_head (&self->flushes)) != NULL)
    {
      GError *error = NULL;

      if (self->written_total < op->mark)
        {
          if (!self->closed)
            return;
          error = closed_error (self);
        }
      g_queue_pop_head (&self->flushes);
      op->func (self, error, op->user_data);
      g_clear_error (&error);
      flush_op_free (op);
    }
}

/* ---- the handler and dispatch ------------------------------------------ */

static void
report_close (IoStream *self)
{
  IoStreamDoneFunc func = g_steal_pointer (&self->close_func);
  GDestroyNotify notify = g_steal_pointer (&self->close_notify);
  gpointer data = g_steal_pointer (&self->close_data);

  if (func != NULL)
    func (self, self->error, data);
  if (notify != NULL)
    notify (data);
}

static void
dispatch (IoStream *self)
{
  g_object_ref (self);
  self->dispatch_scheduled = FALSE;

  fail_rejected_reads (self);
  run_reads (self);
  /* The input ended: close once what was queued is written, unless the
   * owner closes (io_stream_set_close_on_eof()). */
  if (self->read_eof && self->close_on_eof && !self->closed && self->wsize == 0 &&
      self->connecting == NULL)
    close_internal (self, NULL);
  run_flushes (self);
  if (self->closed)
    {
      run_reads (self);
      fail_rejected_reads (self);
      if (self->close_func != NULL || self->close_notify != NULL)
        report_close (self);
    }
  update_interest (self);

  g_object_unref (self);
}

/* The loop closing closes a parked stream, as it closes the others
 * through their handlers' notifies. */
static void
parked_loop_closed (gpointer data)
{
  IoStream *self = data;

  self->parked_hook = 0;
  close_internal (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                             _("The loop was closed")));
  schedule_dispatch (self);
  g_object_unref (self);
}

/* A stream kept open past the end of its input with nothing to write
 * waits for nothing: it leaves the loop, which would otherwise report the
 * peer's hang-up (kqueue: its shutdown) at every iteration. A reference
 * and a close hook stand for the handler meanwhile. */
static void
park (IoStream *self)
{
  g_object_ref (self);
  self->parked_hook = _io_loop_add_close_hook (self->loop, parked_loop_closed, self);
  self->handler_attached = FALSE;
  self->interest = IO_EVENTS_NONE;
  io_loop_remove_handler (self->loop, self->fd, NULL);
}

static void
forget_parked_hook (IoStream *self)
{
  guint hook = self->parked_hook;

  self->parked_hook = 0;
  _io_loop_remove_close_hook (self->loop, hook);
}

/* Back on the loop, for a write that waits. */
static void
unpark (IoStream *self)
{
  GError *error = NULL;

  forget_parked_hook (self);
  if (io_loop_add_handler (self->loop, self->fd, IO_EVENTS_NONE, on_fd_events,
                           g_object_ref (self), handler_notify, &error))
    self->handler_attached = TRUE;
  else
    {
      g_object_unref (self);    /* a refused handler's notify does not run */
      close_internal (self, error);
      schedule_dispatch (self);
    }
}

static void
update_interest (IoStream *self)
{
  IoEvents want = IO_EVENTS_NONE;

  if (self->parked_hook != 0 && !self->closed && self->wsize > 0)
    {
      gboolean attached;

      unpark (self);
      attached = self->handler_attached;
      /* The parked reference, after what unpark() may have scheduled. */
      g_object_unref (self);
      if (!attached)
        return;
    }
  if (self->handler_attached && !self->close_on_eof && self->read_eof && !self->closed &&
      self->wsize == 0 && self->connecting == NULL)
    {
      park (self);
      return;
    }
  if (!self->handler_attached)
    return;
  if (self->connecting != NULL)
    want = IO_EVENTS_WRITE;
  else
    {
      if (self->read != NULL && !self->read_eof)
        want |= IO_EVENTS_READ;
      if (self->wsize > 0)
        want |= IO_EVENTS_WRITE;
    }
  if (want != self->interest)
    {
      self->interest = want;
      io_loop_update_handler (self->loop, self->fd, want, NULL);
    }
}

static void
connect_ready (IoStream *self)
{
  IoConnectOp *op = self->connecting;
  int err = 0;
  socklen_t len = sizeof err;
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof peer;

  if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    err = errno;
  /* libkqueue reads SO_ERROR itself, leaving 0: a socket without a peer
   * did not connect. */
  if (err == 0 && getpeername (self->fd, (struct sockaddr *) &peer, &peer_len) < 0)
    {
      char c;

      err = errno;
      if (recv (self->fd, &c, 1, MSG_PEEK) < 0 && errno != EAGAIN && errno != ENOTCONN)
        err = errno;
    }
  if (err != 0)
    {
      close_internal (self, error_from_errno (err, _("Could not connect")));
      return;
    }
  self->connecting = NULL;
  update_interest (self);
  _io_connect_op_stream_connected (op, self);
}

static void
on_fd_events (int        fd,
              IoEvents   events,
              gpointer   user_data,
              GError   **error)
{
  IoStream *self = g_object_ref (user_data);

  if (self->connecting != NULL)
    connect_ready (self);
  else
    {
      if ((events & IO_EVENTS_WRITE) || ((events & IO_EVENTS_ERROR) && self->wsize > 0))
        flush_queue (self);
      if (events & (IO_EVENTS_READ | IO_EVENTS_ERROR))
        fill_buffer (self, (events & IO_EVENTS_ERROR) != 0);
      dispatch (self);
    }
  g_object_unref (self);
}

/* ---- internal API for connect ------------------------------------------ */

void
_io_stream_set_connecting (IoStream    *self,
                           IoConnectOp *op)
{
  self->connecting = op;
  update_interest (self);
}

void
_io_stream_abandon_connect (IoStream *self)
{
  self->connecting = NULL;
  g_object_ref (self);
  close_internal (self, NULL);
  g_object_unref (self);
}

/* ---- public API -------------------------------------------------------- */

/**
 * io_stream_new:
 * @loop: the loop to run on
 * @fd: an open file descriptor: a socket, pipe or terminal
 * @error: return location for a #GError
 *
 * Makes a stream of @fd, which it sets non-blocking and from now on owns:
 * the stream closes it. On failure (@fd cannot be watched by @loop's
 * backend, or @loop is closed) @fd is left open and the caller keeps it.
 *
 * The loop holds a reference on the stream until it is closed: dropping
 * the returned reference does not close it.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 *
 * Since: 1.2
 */
IoStream *
io_stream_new (IoLoop  *loop,
               int      fd,
               GError **error)
{
  IoStream *self;
  struct stat st;
  int flags;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (fd < 0 || fstat (fd, &st) < 0 || (flags = fcntl (fd, F_GETFL)) < 0)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_BAD_FD,
                   _("File descriptor %d is not open"), fd);
      return NULL;
    }
  if (!(flags & O_NONBLOCK) && fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0)
    {
      int errsv = errno;

      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                   _("Could not make file descriptor %d non-blocking: %s"),
                   fd, g_strerror (errsv));
      return NULL;
    }

  self = g_object_new (IO_TYPE_STREAM, "loop", loop, NULL);
  self->is_socket = S_ISSOCK (st.st_mode);
  if (!io_loop_add_handler (loop, fd, IO_EVENTS_NONE, on_fd_events,
                            g_object_ref (self), handler_notify, error))
    {
      /* A refused handler's notify does not run. */
      self->closed = TRUE;
      self->read_eof = TRUE;
      g_object_unref (self);
      g_object_unref (self);
      return NULL;
    }
  self->fd = fd;
  self->handler_attached = TRUE;
#if defined (SO_NOSIGPIPE)
  if (self->is_socket)
    {
      int one = 1;

      setsockopt (fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
  return self;
}

/**
 * io_stream_get_loop:
 * @self: an #IoStream
 *
 * Returns: (transfer none): the loop @self runs on
 *
 * Since: 1.2
 */
IoLoop *
io_stream_get_loop (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), NULL);

  return self->loop;
}

/**
 * io_stream_get_fd:
 * @self: an #IoStream
 *
 * Returns: the stream's file descriptor, or -1 once it is closed
 *
 * Since: 1.2
 */
int
io_stream_get_fd (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), -1);

  return self->fd;
}

/**
 * io_stream_set_max_buffer_size:
 * @self: an #IoStream
 * @size: the most bytes the read buffer may hold; more than 0
 *
 * Sets #IoStream:max-buffer-size. A read that cannot be satisfied within
 * it fails with %G_IO_ERROR_MESSAGE_TOO_LARGE and closes the stream.
 *
 * Since: 1.2
 */
void
io_stream_set_max_buffer_size (IoStream *self,
                               gsize     size)
{
  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (size > 0);

  if (self->max_buffer_size == size)
    return;
  self->max_buffer_size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BUFFER_SIZE]);
}

/**
 * io_stream_get_max_buffer_size:
 * @self: an #IoStream
 *
 * Returns: #IoStream:max-buffer-size
 *
 * Since: 1.2
 */
gsize
io_stream_get_max_buffer_size (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), 0);

  return self->max_buffer_size;
}

/**
 * io_stream_get_read_buffer_size:
 * @self: an #IoStream
 *
 * Returns: the number of bytes read from the fd that no read has taken yet
 *
 * Since: 1.2
 */
gsize
io_stream_get_read_buffer_size (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), 0);

  return read_buffered (self);
}

static void
start_read (IoStream *self,
            ReadOp   *op)
{
  if (self->read != NULL)
    {
      g_queue_push_tail (&self->rejected, op);
      schedule_dispatch (self);
      return;
    }
  self->read = op;
  self->scanned = 0;
  /* The buffer may hold the answer, or the stream has closed: tell in a
   * moment, not from inside this call. Otherwise wait for the fd. */
  if (read_buffered (self) > 0 || self->read_eof ||
      (op->mode == READ_BYTES &&
       (op->n_bytes == 0 || (!op->partial && op->n_bytes > self->max_buffer_size))))
    schedule_dispatch (self);
  else
    update_interest (self);
}

static ReadOp *
read_op_new (ReadMode          mode,
             IoStreamReadFunc  func,
             gpointer          user_data,
             GDestroyNotify    notify)
{
  ReadOp *op = g_new0 (ReadOp, 1);

  op->mode = mode;
  op->func = func;
  op->user_data = user_data;
  op->notify = notify;
  return op;
}

/**
 * io_stream_read_until:
 * @self: an #IoStream
 * @delimiter: (array length=delimiter_len): the bytes that end the read
 * @delimiter_len: the length of @delimiter; at least 1
 * @max_bytes: the most bytes the result (delimiter included) may have;
 *   0 for #IoStream:max-buffer-size only
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the data up to and including the first @delimiter, or with
 *   an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Reads until @delimiter. When it does not arrive within @max_bytes, or
 * before the read buffer is full, @func gets %G_IO_ERROR_MESSAGE_TOO_LARGE
 * and the stream closes; when the stream ends first, the error is
 * %G_IO_ERROR_CLOSED (or the error that closed it).
 *
 * Since: 1.2
 */
void
io_stream_read_until (IoStream         *self,
                      const guint8     *delimiter,
                      gsize             delimiter_len,
                      gsize             max_bytes,
                      IoStreamReadFunc  func,
                      gpointer          user_data,
                      GDestroyNotify    notify)
{
  ReadOp *op;

  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (delimiter != NULL && delimiter_len > 0);
  g_return_if_fail (func != NULL);

  op = read_op_new (READ_UNTIL, func, user_data, notify);
  op->delimiter = g_memdup2 (delimiter, delimiter_len);
  op->delimiter_len = delimiter_len;
  op->max_bytes = max_bytes;
  start_read (self, op);
}

/**
 * io_stream_read_bytes:
 * @self: an #IoStream
 * @n_bytes: how many bytes to read
 * @partial: whether fewer (but at least one) will do: then @func gets
 *   what arrives first, up to @n_bytes
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with the data or with an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Reads @n_bytes bytes (with @partial, 1 to @n_bytes). A full read of more
 * than #IoStream:max-buffer-size fails with %G_IO_ERROR_MESSAGE_TOO_LARGE
 * and closes the stream; a stream that ends first fails it with
 * %G_IO_ERROR_CLOSED, the bytes read so far staying in the buffer.
 *
 * Since: 1.2
 */
void
io_stream_read_bytes (IoStream         *self,
                      gsize             n_bytes,
                      gboolean          partial,
                      IoStreamReadFunc  func,
                      gpointer          user_data,
                      GDestroyNotify    notify)
{
  ReadOp *op;

  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (func != NULL);

  op = read_op_new (READ_BYTES, func, user_data, notify);
  op->n_bytes = n_bytes;
  op->partial = partial;
  start_read (self, op);
}

/**
 * io_stream_read_until_close:
 * @self: an #IoStream
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, with everything up to the end of the stream, or with an error
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Reads until the stream ends (or is closed with io_stream_close()). More
 * than #IoStream:max-buffer-size fails with %G_IO_ERROR_MESSAGE_TOO_LARGE
 * and closes the stream; use io_stream_read_chunks() for unbounded input.
 *
 * Since: 1.2
 */
void
io_stream_read_until_close (IoStream         *self,
                            IoStreamReadFunc  func,
                            gpointer          user_data,
                            GDestroyNotify    notify)
{
  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (func != NULL);

  start_read (self, read_op_new (READ_UNTIL_CLOSE, func, user_data, notify));
}

/**
 * io_stream_read_chunks:
 * @self: an #IoStream
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   with each chunk as it is read; at the end with @data and @error both
 *   %NULL, or with the error that closed the stream
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after the last call of @func,
 *   or when io_stream_cancel_read() stops the reading
 *
 * Hands over the input as it arrives (what is buffered first), each piece
 * at most 64 KiB, until the stream ends or io_stream_cancel_read(). The read
 * buffer does not grow: the input is as fast as @func takes it.
 *
 * Since: 1.2
 */
void
io_stream_read_chunks (IoStream         *self,
                       IoStreamReadFunc  func,
                       gpointer          user_data,
                       GDestroyNotify    notify)
{
  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (func != NULL);

  start_read (self, read_op_new (READ_CHUNKS, func, user_data, notify));
}

/**
 * io_stream_cancel_read:
 * @self: an #IoStream
 *
 * Drops the pending read, whatever its kind, without calling its callback;
 * its notify runs (after the callback returns, when called from it). Data
 * already read stays buffered for the next read.
 *
 * Returns: %TRUE if a read was pending
 *
 * Since: 1.2
 */
gboolean
io_stream_cancel_read (IoStream *self)
{
  ReadOp *op;

  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);

  op = g_steal_pointer (&self->read);
  if (op == NULL)
    return FALSE;
  if (op != self->delivering)
    read_op_free (op);
  update_interest (self);
  return TRUE;
}

/**
 * io_stream_is_reading:
 * @self: an #IoStream
 *
 * Returns: %TRUE while a read is pending
 *
 * Since: 1.2
 */
gboolean
io_stream_is_reading (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);

  return self->read != NULL;
}

/**
 * io_stream_write:
 * @self: an #IoStream
 * @data: the bytes to write
 * @error: return location for a #GError
 *
 * Writes @data: what the fd takes now is written at once, the rest is
 * queued, without a copy (the stream keeps a reference on @data until it
 * is written), and written as the fd takes it.
 *
 * Only a stream that is already closed fails, with %G_IO_ERROR_CLOSED. An
 * error while writing closes the stream and is reported once, to the
 * close callback and to pending flushes, not here.
 *
 * Returns: %TRUE if @data was written or queued
 *
 * Since: 1.2
 */
gboolean
io_stream_write (IoStream  *self,
                 GBytes    *data,
                 GError   **error)
{
  gsize size, offset = 0;
  const guint8 *bytes;

  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("Cannot write to a closed stream"));
      return FALSE;
    }
  if (self->shutdown_wanted)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("Cannot write to a stream shut down for writing"));
      return FALSE;
    }
  bytes = g_bytes_get_data (data, &size);
  if (size == 0)
    return TRUE;

  if (self->wsize == 0 && self->connecting == NULL)
    {
      struct iovec iov = { (void *) bytes, size };
      ssize_t w;

      do
        w = write_iov (self, &iov, 1);
      while (w < 0 && errno == EINTR);
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        {
          g_object_ref (self);
          close_with_errno (self, errno, _("Error writing to the stream"));
          schedule_dispatch (self);
          g_object_unref (self);
          return TRUE;
        }
      offset = MAX (w, 0);
      self->queued_total += offset;
      self->written_total += offset;
      if (offset == size)
        return TRUE;
    }

  if (g_queue_is_empty (&self->wqueue))
    self->whead_offset = offset;
  g_queue_push_tail (&self->wqueue, g_bytes_ref (data));
  self->queued_total += size - offset;
  self->wsize += size - offset;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITE_BUFFER_SIZE]);
  check_marks (self);
  update_interest (self);
  return TRUE;
}

/**
 * io_stream_flush:
 * @self: an #IoStream
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   once, when everything written so far has reached the fd, or with the
 *   error that closed the stream first
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run
 *
 * Tells when the writes made so far are done. With nothing queued, @func
 * runs soon (never from inside this call). On a closed stream it gets
 * %G_IO_ERROR_CLOSED, or the error that closed it, unless everything had
 * been written.
 *
 * Since: 1.2
 */
void
io_stream_flush (IoStream         *self,
                 IoStreamDoneFunc  func,
                 gpointer          user_data,
                 GDestroyNotify    notify)
{
  FlushOp *op;

  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (func != NULL);

  op = g_new0 (FlushOp, 1);
  op->mark = self->queued_total;
  op->func = func;
  op->user_data = user_data;
  op->notify = notify;
  g_queue_push_tail (&self->flushes, op);
  if (self->wsize == 0 || self->closed)
    schedule_dispatch (self);
}

/**
 * io_stream_get_write_buffer_size:
 * @self: an #IoStream
 *
 * Returns: the number of bytes queued and not written yet
 *
 * Since: 1.2
 */
gsize
io_stream_get_write_buffer_size (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), 0);

  return self->wsize;
}

/**
 * io_stream_set_write_buffer_limits:
 * @self: an #IoStream
 * @high: #IoStream:write-buffer-full turns %TRUE when more than this many
 *   bytes are queued
 * @low: and %FALSE again when the queue shrinks to this many; at most @high
 *
 * Sets the write buffer's marks, for backpressure: stop producing when
 * #IoStream:write-buffer-full turns %TRUE, go on when it turns %FALSE
 * (connect to `notify::write-buffer-full`). The defaults are asyncio's,
 * 64 KiB and 16 KiB. Writes are never refused for being over the mark.
 *
 * Since: 1.2
 */
void
io_stream_set_write_buffer_limits (IoStream *self,
                                   gsize     high,
                                   gsize     low)
{
  g_return_if_fail (IO_IS_STREAM (self));
  g_return_if_fail (low <= high);

  self->high_mark = high;
  self->low_mark = low;
  if (self->wfull && self->wsize <= low)
    set_write_buffer_full (self, FALSE);
  else if (!self->wfull && self->wsize > high)
    set_write_buffer_full (self, TRUE);
}

/**
 * io_stream_get_write_buffer_limits:
 * @self: an #IoStream
 * @high: (out) (optional): the high mark
 * @low: (out) (optional): the low mark
 *
 * Gets the marks io_stream_set_write_buffer_limits() set.
 *
 * Since: 1.2
 */
void
io_stream_get_write_buffer_limits (IoStream *self,
                                   gsize    *high,
                                   gsize    *low)
{
  g_return_if_fail (IO_IS_STREAM (self));

  if (high != NULL)
    *high = self->high_mark;
  if (low != NULL)
    *low = self->low_mark;
}

/**
 * io_stream_get_write_buffer_full:
 * @self: an #IoStream
 *
 * Returns: #IoStream:write-buffer-full
 *
 * Since: 1.2
 */
gboolean
io_stream_get_write_buffer_full (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);

  return self->wfull;
}

/**
 * io_stream_close:
 * @self: an #IoStream
 *
 * Closes the stream and its fd at once, dropping the writes still queued.
 * Then, soon (not from inside this call), the pending read gets what the
 * buffer can give it or %G_IO_ERROR_CLOSED, pending flushes fail, and the
 * close callback runs. Closing twice does nothing.
 *
 * Since: 1.2
 */
void
io_stream_close (IoStream *self)
{
  g_return_if_fail (IO_IS_STREAM (self));

  if (self->closed)
    return;
  g_object_ref (self);
  close_internal (self, NULL);
  schedule_dispatch (self);
  g_object_unref (self);
}

/**
 * io_stream_is_closed:
 * @self: an #IoStream
 *
 * Returns: %TRUE once the stream is closed
 *
 * Since: 1.2
 */
gboolean
io_stream_is_closed (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), TRUE);

  return self->closed;
}

/**
 * io_stream_set_close_callback:
 * @self: an #IoStream
 * @func: (nullable) (scope notified) (closure user_data) (destroy notify):
 *   called once, when the stream has closed, with the error that closed it
 *   or %NULL
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run, or when
 *   another close callback replaces it
 *
 * Sets the function told when the stream closes, replacing the previous
 * one (which is not called; its notify runs). On a closed stream @func
 * runs soon, not from inside this call.
 *
 * Since: 1.2
 */
void
io_stream_set_close_callback (IoStream         *self,
                              IoStreamDoneFunc  func,
                              gpointer          user_data,
                              GDestroyNotify    notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (IO_IS_STREAM (self));

  old_notify = g_steal_pointer (&self->close_notify);
  old_data = self->close_data;
  self->close_func = func;
  self->close_data = user_data;
  self->close_notify = notify;
  if (old_notify != NULL)
    old_notify (old_data);
  if (self->closed && (func != NULL || notify != NULL))
    schedule_dispatch (self);
}

/**
 * io_stream_get_error:
 * @self: an #IoStream
 *
 * Returns: (nullable) (transfer none): the error that closed the stream,
 *   or %NULL (open, or closed without an error)
 *
 * Since: 1.2
 */
const GError *
io_stream_get_error (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), NULL);

  return self->error;
}

/**
 * io_stream_shutdown_write:
 * @self: an #IoStream
 * @error: return location for a #GError
 *
 * Ends the output, keeping the input: once the writes queued so far are
 * written (at once if none are), the socket is shut down for writing
 * (`shutdown (fd, SHUT_WR)`), so that the peer reads the end of its input.
 * Later writes fail with %G_IO_ERROR_CLOSED; reads go on. A second call
 * does nothing.
 *
 * Fails with %G_IO_ERROR_CLOSED on a closed stream, with
 * %G_IO_ERROR_NOT_SUPPORTED when the fd is not a socket, and with the
 * error of `shutdown()` when it runs at once (%G_IO_ERROR_NOT_CONNECTED
 * for a socket whose peer is gone). A `shutdown()` that fails after the
 * queue drained closes the stream with its error.
 *
 * Returns: %TRUE if the output ends or is to end once written
 *
 * Since: 1.2
 */
gboolean
io_stream_shutdown_write (IoStream  *self,
                          GError   **error)
{
  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("The stream is closed"));
      return FALSE;
    }
  if (!self->is_socket)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Only a socket can be shut down for writing"));
      return FALSE;
    }
  if (self->shutdown_wanted)
    return TRUE;
  self->shutdown_wanted = TRUE;
  if (self->wsize > 0 || self->connecting != NULL)
    return TRUE;
  return shutdown_now (self, error);
}

/**
 * io_stream_is_write_shut_down:
 * @self: an #IoStream
 *
 * Returns: %TRUE once io_stream_shutdown_write() was called
 *
 * Since: 1.2
 */
gboolean
io_stream_is_write_shut_down (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), FALSE);

  return self->shutdown_wanted;
}

/**
 * io_stream_set_close_on_eof:
 * @self: an #IoStream
 * @close_on_eof: whether the end of the input closes the stream
 *
 * Says what the end of the input (the peer closed or shut down its side)
 * does. By default (%TRUE) the stream closes once the queued writes are
 * written. With %FALSE it stays open, for writing: a chunk reader gets its
 * end as usual (both @data and @error %NULL), and the owner closes the
 * stream when it is done, as a half-closed socket's owner does. A hang-up
 * (both directions ended, or an error on the socket) still closes it, with
 * the socket's error if it has one.
 *
 * Since: 1.2
 */
void
io_stream_set_close_on_eof (IoStream *self,
                            gboolean  close_on_eof)
{
  g_return_if_fail (IO_IS_STREAM (self));

  close_on_eof = !!close_on_eof;
  if (self->close_on_eof == close_on_eof)
    return;
  self->close_on_eof = close_on_eof;
  if (close_on_eof && self->read_eof && !self->closed)
    schedule_dispatch (self);
}

/**
 * io_stream_get_close_on_eof:
 * @self: an #IoStream
 *
 * Returns: what io_stream_set_close_on_eof() set, %TRUE by default
 *
 * Since: 1.2
 */
gboolean
io_stream_get_close_on_eof (IoStream *self)
{
  g_return_val_if_fail (IO_IS_STREAM (self), TRUE);

  return self->close_on_eof;
}

/* ---- GObject ----------------------------------------------------------- */

static void
io_stream_dispose (GObject *object)
{
  IoStream *self = IO_STREAM (object);
  ReadOp *rop;
  FlushOp *fop;

  /* Reached only closed (the loop holds an open stream): what is left
   * never ran, as its loop was gone; the notifies still run once. */
  if (!self->closed)
    close_internal (self, NULL);
  g_clear_pointer (&self->read, read_op_free);
  while ((rop = g_queue_pop_head (&self->rejected)) != NULL)
    read_op_free (rop);
  while ((fop = g_queue_pop_head (&self->flushes)) != NULL)
    flush_op_free (fop);
  self->close_func = NULL;
  if (self->close_notify != NULL)
    g_steal_pointer (&self->close_notify) (self->close_data);
  g_clear_object (&self->loop);

  G_OBJECT_CLASS (io_stream_parent_class)->dispose (object);
}

static void
io_stream_finalize (GObject *object)
{
  IoStream *self = IO_STREAM (object);

  g_byte_array_unref (self->rbuf);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (io_stream_parent_class)->finalize (object);
}

static void
io_stream_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  IoStream *self = IO_STREAM (object);

  switch (prop_id)
    {
    case PROP_LOOP:
      g_value_set_object (value, self->loop);
      break;
    case PROP_FD:
      g_value_set_int (value, self->fd);
      break;
    case PROP_MAX_BUFFER_SIZE:
      g_value_set_uint64 (value, self->max_buffer_size);
      break;
    case PROP_WRITE_BUFFER_SIZE:
      g_value_set_uint64 (value, self->wsize);
      break;
    case PROP_WRITE_BUFFER_FULL:
      g_value_set_boolean (value, self->wfull);
      break;
    case PROP_CLOSED:
      g_value_set_boolean (value, self->closed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
io_stream_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  IoStream *self = IO_STREAM (object);

  switch (prop_id)
    {
    case PROP_LOOP:
      self->loop = g_value_dup_object (value);
      break;
    case PROP_MAX_BUFFER_SIZE:
      io_stream_set_max_buffer_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
io_stream_class_init (IoStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = io_stream_dispose;
  object_class->finalize = io_stream_finalize;
  object_class->get_property = io_stream_get_property;
  object_class->set_property = io_stream_set_property;

  /**
   * IoStream:loop:
   *
   * The loop the stream runs on.
   *
   * Since: 1.2
   */
  properties[PROP_LOOP] =
    g_param_spec_object ("loop", NULL, NULL, IO_TYPE_LOOP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * IoStream:fd:
   *
   * The file descriptor, -1 once the stream is closed.
   *
   * Since: 1.2
   */
  properties[PROP_FD] =
    g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * IoStream:max-buffer-size:
   *
   * The most bytes the read buffer holds. A read it cannot satisfy fails
   * with %G_IO_ERROR_MESSAGE_TOO_LARGE and closes the stream.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_BUFFER_SIZE] =
    g_param_spec_uint64 ("max-buffer-size", NULL, NULL, 1, G_MAXSIZE,
                         IO_STREAM_DEFAULT_MAX_BUFFER_SIZE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * IoStream:write-buffer-size:
   *
   * The number of bytes queued and not written yet.
   *
   * Since: 1.2
   */
  properties[PROP_WRITE_BUFFER_SIZE] =
    g_param_spec_uint64 ("write-buffer-size", NULL, NULL, 0, G_MAXSIZE, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * IoStream:write-buffer-full:
   *
   * %TRUE from when more than the high mark is queued until the queue is
   * down to the low mark (io_stream_set_write_buffer_limits()).
   *
   * Since: 1.2
   */
  properties[PROP_WRITE_BUFFER_FULL] =
    g_param_spec_boolean ("write-buffer-full", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * IoStream:closed:
   *
   * Whether the stream is closed.
   *
   * Since: 1.2
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
io_stream_init (IoStream *self)
{
  self->fd = -1;
  self->rbuf = g_byte_array_new ();
  self->max_buffer_size = IO_STREAM_DEFAULT_MAX_BUFFER_SIZE;
  self->close_on_eof = TRUE;
  self->high_mark = DEFAULT_HIGH_MARK;
  self->low_mark = DEFAULT_LOW_MARK;
  g_queue_init (&self->rejected);
  g_queue_init (&self->wqueue);
  g_queue_init (&self->flushes);
}
