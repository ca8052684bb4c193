/* io-backend-select.c: the select() backend, the last resort
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Master fd_sets copied before each select(), and a compact list of the
 * watched fds so that collecting the ready ones costs the number of fds we
 * watch, not FD_SETSIZE. Everything is sized by FD_SETSIZE up front: this
 * backend never allocates after create().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/select.h>
#include <sys/time.h>

#include <glib/gi18n-lib.h>

#include "io-backend.h"

/* The half of IO_EVENTS_ERROR that poll() calls POLLERR/POLLNVAL. */
#define EVENT_ERR  0x08
G_STATIC_ASSERT ((EVENT_ERR & IO_EVENTS_ERROR) == EVENT_ERR);

typedef struct
{
  IoBackend   parent;

  fd_set      read_set;
  fd_set      write_set;
  /* Highest watched fd, -1 if none: select()'s nfds - 1. */
  int         max_fd;

  /* Every watched fd, also those watched for ERROR only, which are in
   * neither set but must still be found when select() says EBADF. */
  int         fds[FD_SETSIZE];
  guint       n_fds;
  /* slot_of_fd[fd] is the index of @fd in @fds, or -1. */
  int         slot_of_fd[FD_SETSIZE];

  IoPollEvent events[FD_SETSIZE];
} IoBackendSelect;

static IoBackend *
select_backend_create (GError **error)
{
  IoBackendSelect *self = _io_backend_alloc (&_io_backend_select, sizeof (IoBackendSelect));
  int i;

  FD_ZERO (&self->read_set);
  FD_ZERO (&self->write_set);
  self->max_fd = -1;
  for (i = 0; i < FD_SETSIZE; i++)
    self->slot_of_fd[i] = -1;

  return &self->parent;
}

static void
select_backend_destroy (IoBackend *backend)
{
  g_free (backend);
}

static gboolean
select_backend_check_fd (IoBackend  *backend,
                         int         fd,
                         GError    **error)
{
  /* FD_SET() past FD_SETSIZE writes out of the fd_set's bounds. */
  if (fd >= 0 && fd < FD_SETSIZE)
    return TRUE;

  /* Translators: %d are a file descriptor and the limit, such as 1024. */
  g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_UNSUPPORTED_FD,
               _("Cannot watch file descriptor %d: select() only handles descriptors below %d"),
               fd, FD_SETSIZE);
  return FALSE;
}

static void
select_backend_remove (IoBackend *backend,
                       int        fd,
                       IoEvents   old_events)
{
  IoBackendSelect *self = (IoBackendSelect *) backend;
  int slot = self->slot_of_fd[fd];
  guint i;

  if (slot < 0)
    return;

  FD_CLR (fd, &self->read_set);
  FD_CLR (fd, &self->write_set);

  self->n_fds--;
  if ((guint) slot != self->n_fds)
    {
      self->fds[slot] = self->fds[self->n_fds];
      self->slot_of_fd[self->fds[slot]] = slot;
    }
  self->slot_of_fd[fd] = -1;

  if (fd == self->max_fd)
    {
      self->max_fd = -1;
      for (i = 0; i < self->n_fds; i++)
        self->max_fd = MAX (self->max_fd, self->fds[i]);
    }
}

/* add(), modify() and invalidate() alike: keyed by number, not by file,
 * the sets need nothing special for a new file, and a closed fd is the
 * loop's to refuse (or select()'s to fail on, see report_bad_fds()). */
static gboolean
select_backend_watch (IoBackend  *backend,
                      int         fd,
                      IoEvents    events,
                      GError    **error)
{
  IoBackendSelect *self = (IoBackendSelect *) backend;

  if (self->slot_of_fd[fd] < 0)
    {
      self->slot_of_fd[fd] = self->n_fds;
      self->fds[self->n_fds++] = fd;
      self->max_fd = MAX (self->max_fd, fd);
    }

  if (events & IO_EVENTS_READ)
    FD_SET (fd, &self->read_set);
  else
    FD_CLR (fd, &self->read_set);

  if (events & IO_EVENTS_WRITE)
    FD_SET (fd, &self->write_set);
  else
    FD_CLR (fd, &self->write_set);

  return TRUE;
}

static gboolean
select_backend_modify (IoBackend  *backend,
                       int         fd,
                       IoEvents    old_events,
                       IoEvents    events,
                       GError    **error)
{
  return select_backend_watch (backend, fd, events, error);
}

/* One of our fds was closed under us: select() refuses the whole set.
 * Tell the owners of the closed ones, so that they can remove them, rather
 * than failing every iteration from now on. */
static int
select_backend_report_bad_fds (IoBackendSelect *self)
{
  guint i;
  int n_out = 0;

  for (i = 0; i < self->n_fds; i++)
    {
      int fd = self->fds[i];

      if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
        {
          self->events[n_out].fd = fd;
          self->events[n_out].revents = EVENT_ERR;
          n_out++;
        }
    }

  return n_out;
}

static int
select_backend_poll (IoBackend    *backend,
                     int           timeout_ms,
                     IoPollEvent **events)
{
  IoBackendSelect *self = (IoBackendSelect *) backend;
  fd_set read_ready = self->read_set;
  fd_set write_ready = self->write_set;
  struct timespec ts;
  struct timeval tv, *tvp = NULL;
  guint i;
  int n, n_out = 0;

  *events = self->events;

  if (_io_backend_timeout_to_timespec (timeout_ms, &ts))
    {
      tv.tv_sec = ts.tv_sec;
      tv.tv_usec = (suseconds_t) (ts.tv_nsec / 1000);
      tvp = &tv;
    }

  n = select (self->max_fd + 1, &read_ready, &write_ready, NULL, tvp);
  if (n < 0)
    {
      if (errno == EINTR)
        return 0;
      if (errno == EBADF)
        return select_backend_report_bad_fds (self);
      return -1;
    }

  /* @n counts bits, so an fd both readable and writable counts twice. */
  for (i = 0; i < self->n_fds && n > 0; i++)
    {
      int fd = self->fds[i];
      guint32 revents = 0;

      if (FD_ISSET (fd, &read_ready))
        {
          revents |= IO_EVENTS_READ;
          n--;
        }
      if (FD_ISSET (fd, &write_ready))
        {
          revents |= IO_EVENTS_WRITE;
          n--;
        }
      if (revents == 0)
        continue;

      self->events[n_out].fd = fd;
      self->events[n_out].revents = revents;
      n_out++;
    }

  return n_out;
}

const IoBackendClass _io_backend_select =
{
  .name             = "select",
  /* select() fails as a whole, later, for a closed fd. */
  .kernel_keeps_fds = FALSE,
  .create           = select_backend_create,
  .destroy          = select_backend_destroy,
  .check_fd         = select_backend_check_fd,
  .add              = select_backend_watch,
  .modify           = select_backend_modify,
  .remove           = select_backend_remove,
  .invalidate       = select_backend_watch,
  .poll             = select_backend_poll,
  .get_fd           = _io_backend_get_no_fd,
};
