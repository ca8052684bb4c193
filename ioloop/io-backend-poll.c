/* io-backend-poll.c: the portable poll() backend
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The interest set lives in a dense struct pollfd array, handed to poll()
 * as is. An fd -> slot map makes add, modify and remove O(1): a removal
 * moves the last slot into the hole, so the array never has gaps.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>

#include "io-backend.h"

/* The two halves of IO_EVENTS_ERROR, which is POLLERR | POLLHUP on the
 * systems we know but need not be elsewhere. */
#define EVENT_ERR  0x08
#define EVENT_HUP  0x10
G_STATIC_ASSERT ((EVENT_ERR | EVENT_HUP) == IO_EVENTS_ERROR);

typedef struct
{
  IoBackend      parent;

  struct pollfd *pfds;
  guint          n_pfds;
  guint          pfds_capacity;

  /* slot_of_fd[fd] is the index of @fd in @pfds, or -1. */
  int           *slot_of_fd;
  guint          n_slot_of_fd;

  /* As large as @pfds. */
  IoBackendReady ready;
} IoBackendPoll;

static IoBackend *
poll_backend_create (GError **error)
{
  IoBackendPoll *self = _io_backend_alloc (&_io_backend_poll, sizeof (IoBackendPoll));

  _io_backend_ready_init (&self->ready, 0);
  return &self->parent;
}

static void
poll_backend_destroy (IoBackend *backend)
{
  IoBackendPoll *self = (IoBackendPoll *) backend;

  g_free (self->pfds);
  g_free (self->slot_of_fd);
  _io_backend_ready_clear (&self->ready);
  g_free (self);
}

static int
poll_backend_slot (IoBackendPoll *self,
                   int            fd)
{
  if ((guint) fd >= self->n_slot_of_fd)
    return -1;

  return self->slot_of_fd[fd];
}

static short
poll_events_from_io_events (IoEvents events)
{
  short pevents = 0;

  if (events & IO_EVENTS_READ)
    pevents |= POLLIN;
  if (events & IO_EVENTS_WRITE)
    pevents |= POLLOUT;

  return pevents;
}

static guint32
io_events_from_poll_revents (short revents)
{
  guint32 events = 0;

  if (revents & POLLIN)
    events |= IO_EVENTS_READ;
  if (revents & POLLOUT)
    events |= IO_EVENTS_WRITE;
  /* A closed fd (POLLNVAL) is an error to its handler, who must hear of
   * it: the loop cannot sleep while poll() keeps returning at once. */
  if (revents & (POLLERR | POLLNVAL))
    events |= EVENT_ERR;
  if (revents & POLLHUP)
    events |= EVENT_HUP;

  return events;
}

static void
poll_backend_remove (IoBackend *backend,
                     int        fd,
                     IoEvents   old_events)
{
  IoBackendPoll *self = (IoBackendPoll *) backend;
  int slot = poll_backend_slot (self, fd);
  guint last;

  if (slot < 0)
    return;

  last = --self->n_pfds;
  if ((guint) slot != last)
    {
      self->pfds[slot] = self->pfds[last];
      self->slot_of_fd[self->pfds[slot].fd] = slot;
    }
  self->slot_of_fd[fd] = -1;
}

/* -1 (with @error set) if memory runs out. */
static int
poll_backend_new_slot (IoBackendPoll  *self,
                  int             fd,
                  GError        **error)
{
  int slot;

  if ((guint) fd >= self->n_slot_of_fd)
    {
      guint old_size = self->n_slot_of_fd;
      /* The loop passes open fds only: growing to fd + 1 at least, twice
       * the old size at most, stays below the fd limit's order. */
      guint size = MAX ((guint) fd + 1, MIN (old_size * 2, (guint) G_MAXINT));
      int *slots = g_try_renew (int, self->slot_of_fd, size);
      guint i;

      if (slots == NULL)
        {
          _io_backend_set_errno_error (error, ENOMEM, "poll", fd);
          return -1;
        }
      for (i = old_size; i < size; i++)
        slots[i] = -1;
      self->slot_of_fd = slots;
      self->n_slot_of_fd = size;
    }

  if (self->n_pfds == self->pfds_capacity)
    {
      guint capacity = _io_backend_grow_capacity (self->pfds_capacity, 0, G_MAXUINT);
      struct pollfd *pfds = g_try_renew (struct pollfd, self->pfds, capacity);

      if (pfds == NULL)
        {
          _io_backend_set_errno_error (error, ENOMEM, "poll", fd);
          return -1;
        }
      self->pfds = pfds;
      self->pfds_capacity = capacity;
    }

  slot = self->n_pfds++;
  self->pfds[slot].fd = fd;
  self->pfds[slot].revents = 0;
  self->slot_of_fd[fd] = slot;

  return slot;
}

/* add(), modify() and invalidate() alike: keyed by number, not by file,
 * the array needs nothing special for a new file, and a closed fd is the
 * loop's to refuse (or poll()'s to report as POLLNVAL). */
static gboolean
poll_backend_watch (IoBackend  *backend,
                    int         fd,
                    IoEvents    events,
                    GError    **error)
{
  IoBackendPoll *self = (IoBackendPoll *) backend;
  int slot = poll_backend_slot (self, fd);

  if (slot < 0)
    slot = poll_backend_new_slot (self, fd, error);
  if (slot < 0)
    return FALSE;

  self->pfds[slot].events = poll_events_from_io_events (events);

  return TRUE;
}

static gboolean
poll_backend_modify (IoBackend  *backend,
                     int         fd,
                     IoEvents    old_events,
                     IoEvents    events,
                     GError    **error)
{
  return poll_backend_watch (backend, fd, events, error);
}

static int
poll_backend_poll (IoBackend    *backend,
                   int           timeout_ms,
                   IoPollEvent **events)
{
  IoBackendPoll *self = (IoBackendPoll *) backend;
  guint i;
  int n, n_out = 0;

  /* Grown here, not in add(): the caller may still be reading it. */
  _io_backend_ready_reserve (&self->ready, self->pfds_capacity);
  *events = self->ready.events;

  n = poll (self->pfds, self->n_pfds, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -1;

  for (i = 0; i < self->n_pfds && n_out < n; i++)
    {
      const struct pollfd *pfd = &self->pfds[i];

      if (pfd->revents == 0)
        continue;

      self->ready.events[n_out].fd = pfd->fd;
      self->ready.events[n_out].revents = io_events_from_poll_revents (pfd->revents);
      n_out++;
    }

  return n_out;
}

const IoBackendClass _io_backend_poll =
{
  .name             = "poll",
  /* poll() takes any number; a closed fd shows up later as POLLNVAL. */
  .kernel_keeps_fds = FALSE,
  .create           = poll_backend_create,
  .destroy          = poll_backend_destroy,
  .check_fd         = _io_backend_check_fd_any,
  .add              = poll_backend_watch,
  .modify           = poll_backend_modify,
  .remove           = poll_backend_remove,
  .invalidate       = poll_backend_watch,
  .poll             = poll_backend_poll,
  .get_fd           = _io_backend_get_no_fd,
};
