/* io-backend.c: the table of built backends and what they share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The backends in order of preference; the allocation every create()
 * starts with; the default check_fd() and get_fd(); errno to GError; the
 * array of ready fds that epoll, kqueue and poll size as they go; and the
 * timeout conversion of kqueue and select.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "io-backend.h"

/* Best first: the kernel-side interest sets scale with the number of
 * ready fds, poll() and select() with the number of watched ones. */
static const IoBackendClass * const backends[] =
{
#ifdef HAVE_EPOLL
  &_io_backend_epoll,
#endif
#ifdef HAVE_KQUEUE
  &_io_backend_kqueue,
#endif
  &_io_backend_poll,
  &_io_backend_select,
  NULL
};

const IoBackendClass * const *
_io_backend_list (void)
{
  return backends;
}

const IoBackendClass *
_io_backend_lookup (const char *name)
{
  gsize i;

  if (name == NULL)
    return NULL;

  for (i = 0; backends[i] != NULL; i++)
    {
      if (strcmp (backends[i]->name, name) == 0)
        return backends[i];
    }

  return NULL;
}

gpointer
_io_backend_alloc (const IoBackendClass *klass,
                   gsize                 size)
{
  IoBackend *backend = g_malloc0 (size);

  backend->klass = klass;
  return backend;
}

gboolean
_io_backend_check_fd_any (IoBackend  *backend,
                          int         fd,
                          GError    **error)
{
  return TRUE;
}

int
_io_backend_get_no_fd (IoBackend *backend)
{
  return -1;
}

static IoLoopError
error_code_from_errno (int errsv)
{
  switch (errsv)
    {
    case EBADF:
      return IO_LOOP_ERROR_BAD_FD;
    /* Only epoll_ctl() says EPERM for an fd: the file (a regular file,
     * a directory) has no poll support at all. */
    case EPERM:
      return IO_LOOP_ERROR_UNSUPPORTED_FD;
    default:
      return IO_LOOP_ERROR_FAILED;
    }
}

void
_io_backend_set_errno_error (GError     **error,
                             int          errsv,
                             const char  *call,
                             int          fd)
{
  IoLoopError code = error_code_from_errno (errsv);

  if (fd < 0)
    {
      /* Translators: the first %s is a system call, such as "epoll_create1",
       * the second one the system's error message. */
      g_set_error (error, IO_LOOP_ERROR, code, _("%s() failed: %s"),
                   call, g_strerror (errsv));
    }
  else if (code == IO_LOOP_ERROR_UNSUPPORTED_FD)
    {
      /* strerror (EPERM) ("Operation not permitted") would mislead here. */
      /* Translators: %d is a file descriptor, %s a system call, such as
       * "epoll_ctl". */
      g_set_error (error, IO_LOOP_ERROR, code,
                   _("Cannot watch file descriptor %d: %s() does not support this kind of file"),
                   fd, call);
    }
  else if (code == IO_LOOP_ERROR_BAD_FD)
    {
      /* Translators: %d is a file descriptor, %s the system's error
       * message. */
      g_set_error (error, IO_LOOP_ERROR, code,
                   _("Cannot watch file descriptor %d: %s"),
                   fd, g_strerror (errsv));
    }
  else
    {
      /* Translators: %d is a file descriptor, the first %s a system call,
       * such as "epoll_ctl", the second one the system's error message. */
      g_set_error (error, IO_LOOP_ERROR, code,
                   _("Cannot watch file descriptor %d: %s() failed: %s"),
                   fd, call, g_strerror (errsv));
    }
}

guint
_io_backend_grow_capacity (guint capacity,
                           guint needed,
                           guint limit)
{
  guint next = capacity > G_MAXUINT / 2 ? G_MAXUINT : capacity * 2;

  next = MAX (next, 16);
  next = MAX (next, needed);
  return MIN (next, limit);
}

gboolean
_io_backend_timeout_to_timespec (int              timeout_ms,
                                 struct timespec *ts)
{
  if (timeout_ms < 0)
    return FALSE;

  ts->tv_sec = timeout_ms / 1000;
  ts->tv_nsec = (long) (timeout_ms % 1000) * 1000000L;
  return TRUE;
}

void
_io_backend_ready_init (IoBackendReady *ready,
                        guint           capacity)
{
  ready->events = capacity > 0 ? g_new (IoPollEvent, capacity) : NULL;
  ready->capacity = capacity;
  ready->filled = FALSE;
}

void
_io_backend_ready_clear (IoBackendReady *ready)
{
  g_clear_pointer (&ready->events, g_free);
  ready->capacity = 0;
}

guint
_io_backend_ready_reserve (IoBackendReady *ready,
                           guint           needed)
{
  guint capacity = ready->capacity;

  if (G_UNLIKELY (ready->filled))
    {
      capacity = _io_backend_grow_capacity (capacity, 0, IO_BACKEND_MAX_EVENTS);
      ready->filled = FALSE;
    }
  capacity = MAX (capacity, needed);

  if (G_UNLIKELY (capacity > ready->capacity))
    {
      /* Nothing in it is read any more: no need to copy. */
      g_free (ready->events);
      ready->events = g_new (IoPollEvent, capacity);
      ready->capacity = capacity;
    }

  return ready->capacity;
}

void
_io_backend_ready_waited (IoBackendReady *ready,
                          int             n,
                          guint           room)
{
  if (n > 0 && (guint) n == room && ready->capacity < IO_BACKEND_MAX_EVENTS)
    ready->filled = TRUE;
}
