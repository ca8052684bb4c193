/* io-backend-epoll.c: the Linux epoll backend
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Level-triggered epoll. Every operation is one epoll_ctl(), or two when
 * the kernel's view of the fd turns out to differ from the loop's (a file
 * closed, or kept alive by a dup), so that failures surface in the call
 * that caused them; the loop already batches its changes and skips the
 * ones that cancel out.
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

  /* epoll_wait() fills @kevents, translated into @ready, which is at
   * least as large. */
  struct epoll_event *kevents;
  guint               kevents_capacity;
  IoBackendReady      ready;
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

  self = _io_backend_alloc (&_io_backend_epoll, sizeof (IoBackendEpoll));
  self->epfd = epfd;
  self->kevents_capacity = IO_BACKEND_MIN_EVENTS;
  self->kevents = g_new (struct epoll_event, self->kevents_capacity);
  _io_backend_ready_init (&self->ready, self->kevents_capacity);

  return &self->parent;
}

static void
epoll_backend_destroy (IoBackend *backend)
{
  IoBackendEpoll *self = (IoBackendEpoll *) backend;

  close (self->epfd);
  g_free (self->kevents);
  _io_backend_ready_clear (&self->ready);
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

static int
epoll_backend_poll (IoBackend    *backend,
                    int           timeout_ms,
                    IoPollEvent **events)
{
  IoBackendEpoll *self = (IoBackendEpoll *) backend;
  guint room = _io_backend_ready_reserve (&self->ready, 0);
  int n, i;

  if (G_UNLIKELY (room > self->kevents_capacity))
    {
      self->kevents = g_renew (struct epoll_event, self->kevents, room);
      self->kevents_capacity = room;
    }

  *events = self->ready.events;

  n = epoll_wait (self->epfd, self->kevents, (int) room, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -1;

  for (i = 0; i < n; i++)
    {
      self->ready.events[i].fd = self->kevents[i].data.fd;
      self->ready.events[i].revents = self->kevents[i].events & REPORTED_MASK;
    }

  _io_backend_ready_waited (&self->ready, n, room);
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
  .add_refuses_files = TRUE,
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
