/* io-wakeup.c: waking a sleeping loop, and the cross-thread callback queue
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * _io_wakeup_signal() is async-signal-safe: atomics and one write(), no
 * locks, no allocation. The fds are retired (on close, on replacement)
 * by counting the signals in flight, never under a lock. A burst of signals costs one write: the first one
 * after a drain sets `pending`, the others see it set. And no write at all
 * is needed while the loop is busy rather than blocked in poll.
 *
 * The callback queue (io-callback-queue.c) is lock-free and unbounded;
 * this file adds the wake-up to it: a push costs a write only when the
 * loop sleeps, and then once per burst.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#ifdef HAVE_EVENTFD
#include <sys/eventfd.h>
#endif

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"

static gboolean
set_cloexec_nonblock (int fd)
{
  int flags = fcntl (fd, F_GETFD);

  if (flags < 0 || fcntl (fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return FALSE;
  flags = fcntl (fd, F_GETFL);
  return flags >= 0 && fcntl (fd, F_SETFL, flags | O_NONBLOCK) >= 0;
}

static gboolean
open_fds (IoWakeup  *wakeup,
          GError   **error)
{
  int fds[2];
  int errsv;

#ifdef HAVE_EVENTFD
  fds[0] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fds[0] >= 0)
    {
      wakeup->read_fd = wakeup->write_fd = fds[0];
      wakeup->read_flags = fcntl (fds[0], F_GETFL);
      return TRUE;
    }
#endif

  if (pipe (fds) == 0)
    {
      if (set_cloexec_nonblock (fds[0]) && set_cloexec_nonblock (fds[1]))
        {
          wakeup->read_fd = fds[0];
          wakeup->write_fd = fds[1];
          wakeup->read_flags = fcntl (fds[0], F_GETFL);
          return TRUE;
        }
      errsv = errno;
      close (fds[0]);
      close (fds[1]);
    }
  else
    errsv = errno;

  g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
               _("Cannot create the wake-up file descriptor: %s"),
               g_strerror (errsv));
  return FALSE;
}

gboolean
_io_wakeup_init (IoWakeup  *wakeup,
                 GError   **error)
{
  wakeup->read_fd = wakeup->write_fd = -1;
  wakeup->pending = 0;
  wakeup->sleeping = 0;
  wakeup->senders = 0;
  wakeup->n_writes = 0;
  _io_callback_queue_init (&wakeup->queue);

  return open_fds (wakeup, error);
}

/* Whether the read fd is still the file we opened, as far as its status
 * flags tell: closed or replaced (say by dup2() onto its number) is not. */
gboolean
_io_wakeup_is_intact (IoWakeup *wakeup)
{
  int flags = fcntl (wakeup->read_fd, F_GETFL);

  return flags >= 0 && flags == wakeup->read_flags;
}

/* Stops every later signal from writing, and waits for the ones already
 * writing: afterwards nothing writes to the old fds. Senders never block
 * (the fd is non-blocking), so the wait is short. Async-signal-safe
 * senders rule out a lock here. */
static void
retire_fds (IoWakeup *wakeup)
{
  __atomic_store_n (&wakeup->write_fd, -1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n (&wakeup->senders, __ATOMIC_SEQ_CST) != 0)
    g_thread_yield ();
}

/* Closes the fds (once no signal can write to them any more); the queue
 * lives as long as the loop. */
void
_io_wakeup_clear (IoWakeup *wakeup)
{
  int write_fd = wakeup->write_fd;

  retire_fds (wakeup);
  if (write_fd >= 0 && write_fd != wakeup->read_fd)
    close (write_fd);
  if (wakeup->read_fd >= 0)
    close (wakeup->read_fd);
  wakeup->read_fd = -1;
}

/* For fds closed or replaced behind the loop's back: their numbers may
 * name someone else's files by now, so they are forgotten, not closed,
 * and never written to again. */
void
_io_wakeup_forget (IoWakeup *wakeup)
{
  retire_fds (wakeup);
  wakeup->read_fd = -1;
}

void
_io_wakeup_signal (IoWakeup *wakeup)
{
  static const guint64 one = 1;
  int errsv;
  int fd;

  /* Pairs with the fence in the loop between setting `sleeping` and
   * looking at the queue: either the loop sees our work, or we see it
   * sleeping. */
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
  if (!__atomic_load_n (&wakeup->sleeping, __ATOMIC_RELAXED))
    return;
  /* A plain look first: while it is set, a burst costs no write to it. */
  if (__atomic_load_n (&wakeup->pending, __ATOMIC_RELAXED) != 0 ||
      __atomic_exchange_n (&wakeup->pending, 1, __ATOMIC_ACQ_REL) != 0)
    return;

  /* Counted in flight before reading the fd: whoever retires the fd
   * stores -1 first and then waits for the count to drop, so that no
   * write can reach the number once it is closed (and maybe reused). */
  __atomic_add_fetch (&wakeup->senders, 1, __ATOMIC_SEQ_CST);
  fd = __atomic_load_n (&wakeup->write_fd, __ATOMIC_SEQ_CST);
  if (fd >= 0)
    {
      ssize_t r;

      errsv = errno;
      /* An eventfd takes 8 bytes; a pipe takes any of them. */
      do
        r = write (fd, &one, sizeof one);
      while (r < 0 && errno == EINTR);
      __atomic_add_fetch (&wakeup->n_writes, 1, __ATOMIC_RELAXED);
      errno = errsv;
    }
  __atomic_sub_fetch (&wakeup->senders, 1, __ATOMIC_SEQ_CST);
}

/* Empties the fd. Returns FALSE if it is broken (an error other than
 * "empty", or end-of-file): the loop then replaces it rather than spin on
 * an fd that stays readable. */
gboolean
_io_wakeup_drain (IoWakeup *wakeup)
{
  char buf[64];
  gboolean ok = TRUE;

  for (;;)
    {
      ssize_t r = read (wakeup->read_fd, buf, sizeof buf);

      if (r > 0 && wakeup->read_fd == wakeup->write_fd)
        break;          /* one read resets an eventfd */
      if (r > 0)
        continue;
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      ok = FALSE;
      break;
    }

  __atomic_store_n (&wakeup->pending, 0, __ATOMIC_RELEASE);
  return ok;
}

/* Opens new fds and only then closes the current ones (if any are still
 * ours): on failure nothing changed. */
gboolean
_io_wakeup_replace (IoWakeup  *wakeup,
                    GError   **error)
{
  IoWakeup fresh;

  if (!open_fds (&fresh, error))
    return FALSE;
  _io_wakeup_clear (wakeup);
  wakeup->read_fd = fresh.read_fd;
  wakeup->read_flags = fresh.read_flags;
  __atomic_store_n (&wakeup->pending, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n (&wakeup->write_fd, fresh.write_fd, __ATOMIC_SEQ_CST);
  return TRUE;
}

/* In a child of fork(), the threads that were signalling or pushing are
 * gone: their count in flight would make retiring the fds wait forever,
 * and their cells would hold up the queue. Call it in the child before
 * anything else uses the wake-up. */
void
_io_wakeup_after_fork (IoWakeup *wakeup)
{
  __atomic_store_n (&wakeup->senders, 0, __ATOMIC_SEQ_CST);
  _io_callback_queue_after_fork (&wakeup->queue);
}

/* Returns FALSE, keeping nothing, if the loop is closed. */
gboolean
_io_wakeup_push (IoWakeup       *wakeup,
                 IoCallback      func,
                 gpointer        user_data,
                 GDestroyNotify  notify)
{
  IoCallbackItem item = { func, user_data, notify };

  if (!_io_callback_queue_push (&wakeup->queue, &item))
    return FALSE;
  /* The push's compare-and-swap is seq-cst, so this load is ordered after
   * it: either the loop's last look before sleeping sees our callback, or
   * we see the loop sleeping. A busy loop costs no more than this load;
   * _io_wakeup_signal() writes once per drain. */
  if (__atomic_load_n (&wakeup->sleeping, __ATOMIC_SEQ_CST))
    _io_wakeup_signal (wakeup);
  return TRUE;
}
