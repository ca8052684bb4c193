/* io-backend-epoll.c: the Linux epoll backend
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Level-triggered epoll. Every apply() is one epoll_ctl() at most, so that
 * failures surface in the call that caused them; the loop already batches
 * its changes and skips the ones that cancel out.
 */
#include "config.h"

#ifdef HAVE_EPOLL

#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "io-backend.h"

/* IoEvents took poll()'s values, which epoll shares: no translation. */
G_STATIC_ASSERT ((int) IO_EVENTS_READ == (int) EPOLLIN);
G_STATIC_ASSERT ((int) IO_EVENTS_WRITE == (int) EPOLLOUT);
G_STATIC_ASSERT ((int) IO_EVENTS_ERROR == (EPOLLERR | EPOLLHUP));

#define INTEREST_MASK  (EPOLLIN | EPOLLOUT)
#define REPORTED_MASK  (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP)


typedef struct
{
  IoBackend           parent;

  int                 epfd;

  /* Both arrays have @capacity entries. */
  struct epoll_event *kevents;
  IoPollEvent        *events;
  int                 capacity;
  /* The last epoll_wait() filled the array: there may be more ready fds
   * than we can take at once, so grow before the next wait. */
  gboolean            grow;
} IoBackendEpoll;

static IoBackend *
epoll_backend_create (GError **error)
{
  IoBackendEpoll *self;
  int epfd;

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    {
      _io_backend_set_errno_error (error, errno, "epoll_create1", -1);
      return NULL;
    }

  self = g_new0 (IoBackendEpoll, 1);
  self->parent.klass = &_io_backend_epoll;
  self->epfd = epfd;
  self->capacity = IO_BACKEND_MIN_EVENTS;
  self->kevents = g_new (struct epoll_event, self->capacity);
  self->events = g_new (IoPollEvent, self->capacity);

  return &self->parent;
}

static void
epoll_backend_destroy (IoBackend *backend)
{
  IoBackendEpoll *self = (IoBackendEpoll *) backend;

  close (self->epfd);
  g_free (self->kevents);
  g_free (self->events);
  g_free (self);
}

/* Returns 0 or an errno value. */
static int
epoll_backend_ctl (IoBackendEpoll *self,
                   int             op,
                   int             fd,
                   IoEvents        events)
{
  struct epoll_event ev = { 0, };

  ev.events = events & INTEREST_MASK;
  ev.data.fd = fd;

  if (epoll_ctl (self->epfd, op, fd, &ev) < 0)
    return errno;

  return 0;
}

/* @op, then @fallback if @op fails with @fallback_errno: the kernel's
 * view of the fd differs from the loop's in the one way that @op cannot
 * know about. On failure the fd is left unregistered, even when it was a
 * MOD that failed on a registration that is still there. */
static gboolean
epoll_backend_register (IoBackendEpoll  *self,
                        int              op,
                        int              fallback_errno,
                        int              fallback,
                        int              fd,
                        IoEvents         events,
                        GError         **error)
{
  int errsv = epoll_backend_ctl (self, op, fd, events);

  if (errsv == fallback_errno)
    errsv = epoll_backend_ctl (self, fallback, fd, events);
  if (errsv == 0)
    return TRUE;

  epoll_backend_ctl (self, EPOLL_CTL_DEL, fd, 0);
  _io_backend_set_errno_error (error, errsv, "epoll_ctl", fd);
  return FALSE;
}

static gboolean
epoll_backend_add (IoBackend  *backend,
                   int         fd,
                   IoEvents    events,
                   GError    **error)
{
  /* EEXIST: still in the interest set under the same file, which a dup
   * of the fd kept alive through an earlier removal. */
  return epoll_backend_register ((IoBackendEpoll *) backend, EPOLL_CTL_ADD,
                                 EEXIST, EPOLL_CTL_MOD, fd, events, error);
}

static gboolean
epoll_backend_invalidate (IoBackend  *backend,
                          int         fd,
                          IoEvents    events,
                          GError    **error)
{
  /* MOD is the cheap probe: it succeeds while the same file is registered
   * (the common case), and ENOENT means the kernel dropped the closed
   * file's registration, so the number is a new file to add. */
  return epoll_backend_register ((IoBackendEpoll *) backend, EPOLL_CTL_MOD,
                                 ENOENT, EPOLL_CTL_ADD, fd, events, error);
}

static gboolean
epoll_backend_modify (IoBackend  *backend,
                      int         fd,
                      IoEvents    old_events,
                      IoEvents    events,
                      GError    **error)
{
  /* The fd may have been closed and reopened meanwhile: as invalidate(). */
  return epoll_backend_invalidate (backend, fd, events, error);
}

static void
epoll_backend_remove (IoBackend *backend,
                      int        fd,
                      IoEvents   old_events)
{
  /* Fails only for an fd closed already (EBADF), or closed and reopened
   * so that the kernel dropped our registration with the old file
   * (ENOENT): nothing is left to remove either way. */
  epoll_backend_ctl ((IoBackendEpoll *) backend, EPOLL_CTL_DEL, fd, 0);
}

static void
epoll_backend_grow (IoBackendEpoll *self)
{
  self->capacity = _io_backend_grow_capacity (self->capacity, 0, IO_BACKEND_MAX_EVENTS);
  self->kevents = g_renew (struct epoll_event, self->kevents, self->capacity);
  self->events = g_renew (IoPollEvent, self->events, self->capacity);
  self->grow = FALSE;
}

static int
epoll_backend_poll (IoBackend    *backend,
                    int           timeout_ms,
                    IoPollEvent **events)
{
  IoBackendEpoll *self = (IoBackendEpoll *) backend;
  int n, i;

  /* Grow here rather than after the full wait: the caller was still
   * reading the old array until now. */
  if (self->grow)
    epoll_backend_grow (self);

  *events = self->events;

  n = epoll_wait (self->epfd, self->kevents, self->capacity, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -1;

  for (i = 0; i < n; i++)
    {
      self->events[i].fd = self->kevents[i].data.fd;
      self->events[i].revents = self->kevents[i].events & REPORTED_MASK;
    }

  if (n == self->capacity && self->capacity < IO_BACKEND_MAX_EVENTS)
    self->grow = TRUE;

  return n;
}

static int
epoll_backend_get_fd (IoBackend *backend)
{
  return ((IoBackendEpoll *) backend)->epfd;
}

const IoBackendClass _io_backend_epoll =
{
  .name             = "epoll",
  .kernel_keeps_fds = TRUE,
  .create           = epoll_backend_create,
  .destroy          = epoll_backend_destroy,
  .check_fd         = _io_backend_check_fd_any,
  .add              = epoll_backend_add,
  .modify           = epoll_backend_modify,
  .remove           = epoll_backend_remove,
  .invalidate       = epoll_backend_invalidate,
  .poll             = epoll_backend_poll,
  .get_fd           = epoll_backend_get_fd,
};

#endif /* HAVE_EPOLL */
