/* io-backend.h: the one interface every polling backend implements
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal. The loop keeps the handlers and a change list, and tells a
 * backend exactly what to do with each fd (add, modify, remove,
 * invalidate); a backend only mirrors that interest set into the kernel
 * (or its own arrays) and waits. Below the class, the helpers that the
 * backends share (io-backend.c).
 */
#pragma once

#include <time.h>

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

/* The operations on the interest set are explicit: the loop's change list
 * (io-handler.c) alone decides, per fd, which one a change needs, from
 * what it last told the backend; a backend never works out on its own
 * whether an fd is new, changed or gone. It may still delay what it was
 * told until the next poll() (kqueue submits its changes with the wait),
 * as long as every guarantee below holds.
 *
 * In every operation @fd is one check_fd() accepted, and @events holds
 * IO_EVENTS_READ and IO_EVENTS_WRITE bits only: IO_EVENTS_ERROR (an error
 * or hang-up) is always reported for a registered fd, even when @events
 * is 0. An operation that fails sets @error (IO_LOOP_ERROR_BAD_FD for
 * EBADF, IO_LOOP_ERROR_UNSUPPORTED_FD for a file the kernel cannot watch,
 * EPERM on epoll, IO_LOOP_ERROR_FAILED for anything else) and leaves @fd
 * unregistered: a handler being added is then refused with @error, and
 * one already there hears IO_EVENTS_ERROR. A change that the backend
 * delays and that fails when submitted is reported by poll() as
 * IO_EVENTS_ERROR for its fd. */
struct _IoBackendClass
{
  const char *name;

  /* TRUE if the kernel keeps the registrations (epoll, kqueue): a fd
   * closed and its number reused by a new file goes unnoticed until the
   * fd is registered anew (invalidate()). FALSE if every poll reads the
   * fds afresh (poll, select). */
  gboolean    kernel_keeps_fds;

  /* TRUE if add() itself refuses an fd that is not open (BAD_FD) and a
   * regular file, directory or block device (UNSUPPORTED_FD), as epoll
   * does: the loop then skips its own fstat() for an fd whose slot
   * exists. */
  gboolean    add_refuses_files;

  /* Allocate the backend (epoll_create1, kqueue, ...), close-on-exec. */
  IoBackend *(*create)     (GError **error);
  /* Release everything create() made. Never closes watched fds. */
  void       (*destroy)    (IoBackend *backend);

  /* Refuse an fd this backend can never watch, before anything is
   * registered (select: fd >= FD_SETSIZE). _io_backend_check_fd_any() for
   * a backend that takes any open fd. */
  gboolean   (*check_fd)   (IoBackend *backend,
                            int        fd,
                            GError   **error);

  /* Watch @fd, which the backend does not watch, for @events. Reaches the
   * kernel before returning, so that a bad fd fails in the hands of the
   * caller that registers it. */
  gboolean   (*add)        (IoBackend *backend,
                            int        fd,
                            IoEvents   events,
                            GError   **error);

  /* Watch @fd, registered for @old_events by the last operation, for
   * @events (!= @old_events) instead. The file may have been closed since,
   * its number reused: then the new file is watched. */
  gboolean   (*modify)     (IoBackend *backend,
                            int        fd,
                            IoEvents   old_events,
                            IoEvents   events,
                            GError   **error);

  /* Stop watching @fd, registered for @old_events by the last operation.
   * Reaches the kernel before the next poll() at the latest, and before
   * returning if the kernel keys registrations by file rather than by
   * number (epoll), since the caller may close @fd and its number may be
   * reused at once. Cannot fail: removing an fd that is already closed is
   * not an error. */
  void       (*remove)     (IoBackend *backend,
                            int        fd,
                            IoEvents   old_events);

  /* Watch @fd for @events, trusting nothing the backend or the kernel
   * holds for that number: the fd may have been closed and the number
   * reused behind the loop's back, and the kernel may still hold the old
   * file's registration, or none (epoll: MOD, falling back to ADD on
   * ENOENT; kqueue: EV_DELETE before EV_ADD). */
  gboolean   (*invalidate) (IoBackend *backend,
                            int        fd,
                            IoEvents   events,
                            GError   **error);

  /* Wait at most @timeout_ms milliseconds (-1: no limit, 0: do not block)
   * and point *@events at the backend's own array of ready fds, valid until
   * the next call. Returns the number of entries; 0 on timeout or EINTR;
   * -1 with errno set on any other failure. Never allocates on the hot path
   * except to grow its array after it came back full. */
  int        (*poll)       (IoBackend    *backend,
                            int           timeout_ms,
                            IoPollEvent **events);

  /* A single fd that polls readable when poll() would return events, or
   * -1 if the backend has none (poll, select: _io_backend_get_no_fd()). */
  int        (*get_fd)     (IoBackend *backend);
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

/* The start of every backend's create(): @size bytes of zeros, the
 * backend's state, that begin with an IoBackend of @klass. */
gpointer _io_backend_alloc        (const IoBackendClass *klass,
                                   gsize                 size);

/* check_fd() of a backend that takes any open fd. */
gboolean _io_backend_check_fd_any (IoBackend  *backend,
                                   int         fd,
                                   GError    **error);
/* get_fd() of a backend without a pollable fd of its own. */
int      _io_backend_get_no_fd    (IoBackend  *backend);

/* @call is the system call's name without parentheses ("epoll_ctl");
 * @fd is the descriptor the call was about, or -1 if none (creating the
 * backend itself). */
void _io_backend_set_errno_error (GError     **error,
                                  int          errsv,
                                  const char  *call,
                                  int          fd);

/* The array of ready fds that poll() hands out, for the backends that
 * size it as they go (epoll, kqueue: after the kernel's array; poll: after
 * the number of fds). It moves only at the start of poll(), since the
 * caller reads it until then.
 *
 * The kernel-set backends take at most one array's worth of ready fds per
 * wait, the others waiting for the next: their arrays start at
 * IO_BACKEND_MIN_EVENTS and double, up to IO_BACKEND_MAX_EVENTS, after a
 * wait that filled them. */
#define IO_BACKEND_MIN_EVENTS  64
#define IO_BACKEND_MAX_EVENTS  4096

typedef struct
{
  IoPollEvent *events;
  guint        capacity;
  /* The last wait filled its array: grow before the next one. */
  gboolean     filled;
} IoBackendReady;

void  _io_backend_ready_init      (IoBackendReady *ready,
                                   guint           capacity);
void  _io_backend_ready_clear     (IoBackendReady *ready);
/* At the start of poll(): room for at least @needed entries, and more if
 * the last wait filled its array. Returns the capacity. */
guint _io_backend_ready_reserve   (IoBackendReady *ready,
                                   guint           needed);
/* After a wait for at most @room fds returned @n of them. */
void  _io_backend_ready_waited    (IoBackendReady *ready,
                                   int             n,
                                   guint           room);

/* The capacity after @capacity for an array that grows by doubling: at
 * least 16 and @needed, at most @limit. */
guint _io_backend_grow_capacity   (guint        capacity,
                                   guint        needed,
                                   guint        limit);

/* A poll timeout in milliseconds as a struct timespec (kevent, and
 * select's struct timeval after it). FALSE for -1, no limit. */
gboolean _io_backend_timeout_to_timespec (int              timeout_ms,
                                          struct timespec *ts);

G_END_DECLS
