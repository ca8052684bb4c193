/* io-backend.h: the one interface every polling backend implements
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal. The loop keeps the handlers and a change list; a backend only
 * mirrors the interest set into the kernel (or its own arrays) and waits.
 */
#pragma once

#include "io-types.h"

G_BEGIN_DECLS

typedef struct _IoBackend IoBackend;
typedef struct _IoBackendClass IoBackendClass;

/* One ready file descriptor, as the backend reports it. @revents uses
 * IoEvents bits; POLLNVAL-like conditions are reported as IO_EVENTS_ERROR.
 * A backend reports each fd at most once per poll (kqueue merges its
 * read and write filters). */
typedef struct
{
  int      fd;
  guint32  revents;
} IoPollEvent;

/* Every backend's state starts with this. */
struct _IoBackend
{
  const IoBackendClass *klass;
};

struct _IoBackendClass
{
  const char *name;

  /* TRUE if the kernel keeps the registrations (epoll, kqueue): a fd
   * closed and its number reused by a new file goes unnoticed until the
   * fd is registered anew (apply() with @reset). FALSE if every poll reads
   * the fds afresh (poll, select). The loop checks every fd itself before
   * its first apply(), whatever this says. */
  gboolean    kernel_keeps_fds;

  /* Allocate the backend (epoll_create1, kqueue, ...), close-on-exec. */
  IoBackend *(*create)   (GError **error);
  /* Release everything create() made. Never closes watched fds. */
  void       (*destroy)  (IoBackend *backend);

  /* Refuse an fd this backend can never watch, before anything is
   * registered (select: fd >= FD_SETSIZE). May be NULL. */
  gboolean   (*check_fd) (IoBackend *backend,
                          int        fd,
                          GError   **error);

  /* Make the backend's interest in @fd equal @events.
   * @was_registered/@old_events: what the last successful apply() left
   * (FALSE/0 if never registered or removed since).
   * @registered: FALSE removes @fd (then @events is 0); TRUE watches it
   *   for @events (ERROR is always reported, even when @events is 0).
   * @reset: the fd may have been closed and reopened since the last apply:
   *   do not trust @was_registered (epoll: MOD, falling back to ADD on
   *   ENOENT; kqueue: re-add both filters).
   * Removing an fd that is already closed is not an error.
   * On failure, set @error (IO_LOOP_ERROR_BAD_FD for EBADF,
   * IO_LOOP_ERROR_UNSUPPORTED_FD for EPERM on epoll, else FAILED) and leave
   * the fd unregistered. */
  gboolean   (*apply)    (IoBackend *backend,
                          int        fd,
                          gboolean   was_registered,
                          IoEvents   old_events,
                          gboolean   registered,
                          IoEvents   events,
                          gboolean   reset,
                          GError   **error);

  /* Wait at most @timeout_ms milliseconds (-1: no limit, 0: do not block)
   * and point *@events at the backend's own array of ready fds, valid until
   * the next call. Returns the number of entries; 0 on timeout or EINTR;
   * -1 with errno set on any other failure. Never allocates on the hot path
   * except to grow its array after it came back full. */
  int        (*poll)     (IoBackend    *backend,
                          int           timeout_ms,
                          IoPollEvent **events);

  /* A single fd that polls readable when poll() would return events, or
   * -1 if the backend has none (poll, select). */
  int        (*get_fd)   (IoBackend *backend);
};

#ifdef HAVE_EPOLL
extern const IoBackendClass _io_backend_epoll;
#endif
#ifdef HAVE_KQUEUE
extern const IoBackendClass _io_backend_kqueue;
#endif
extern const IoBackendClass _io_backend_poll;
extern const IoBackendClass _io_backend_select;

/* Backends in order of preference, NULL-terminated. */
const IoBackendClass * const *_io_backend_list (void);
const IoBackendClass         *_io_backend_lookup (const char *name);

/* Helpers shared by the backends. */
void _io_backend_set_errno_error (GError     **error,
                                  int          errsv,
                                  const char  *call,
                                  int          fd);

/* The event arrays of the kernel-set backends (epoll, kqueue): they start
 * at IO_BACKEND_MIN_EVENTS and double, up to IO_BACKEND_MAX_EVENTS, after
 * a poll that filled them; the ready fds beyond one poll's room wait for
 * the next. */
#define IO_BACKEND_MIN_EVENTS  64
#define IO_BACKEND_MAX_EVENTS  4096

/* The capacity after @capacity for an array that grows by doubling: at
 * least 16 and @needed, at most @limit. */
guint _io_backend_grow_capacity   (guint        capacity,
                                   guint        needed,
                                   guint        limit);

/* Splits a poll timeout in milliseconds (>= 0) into seconds and
 * nanoseconds, for struct timespec (kevent) and struct timeval (select). */
void  _io_backend_split_timeout   (int          timeout_ms,
                                   gint64      *seconds,
                                   long        *nanoseconds);

G_END_DECLS
