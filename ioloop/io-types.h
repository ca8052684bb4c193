/* io-types.h: shared types of the ioloop API
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <glib-object.h>
#include <ioloop/io-visibility.h>

G_BEGIN_DECLS

/**
 * IoEvents:
 * @IO_EVENTS_NONE: no event
 * @IO_EVENTS_READ: the file descriptor is readable (or a listening socket has a
 *   pending connection); the same value as `POLLIN`
 * @IO_EVENTS_WRITE: the file descriptor is writable; the same value as `POLLOUT`
 * @IO_EVENTS_ERROR: an error or hang-up condition (`POLLERR | POLLHUP`); always
 *   reported, whether asked for or not
 *
 * The I/O conditions a handler asks for and is told about. The values are
 * those of Tornado's `IOLoop.READ`, `IOLoop.WRITE` and `IOLoop.ERROR`.
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/
{
  IO_EVENTS_NONE  = 0,
  IO_EVENTS_READ  = 0x001,
  IO_EVENTS_WRITE = 0x004,
  IO_EVENTS_ERROR = 0x018,
} IoEvents;

/**
 * IO_LOOP_ERROR:
 *
 * The error domain of ioloop: errors in this domain are from the
 * #IoLoopError enumeration.
 *
 * Since: 1.0
 */
#define IO_LOOP_ERROR (io_loop_error_quark ())

/**
 * IoLoopError:
 * @IO_LOOP_ERROR_FAILED: a system call failed; the message says which and why
 * @IO_LOOP_ERROR_INVALID_ARGUMENT: an argument is out of range (a negative
 *   file descriptor, a deadline that is not a finite number, events outside
 *   #IoEvents)
 * @IO_LOOP_ERROR_BAD_FD: the file descriptor is not open
 * @IO_LOOP_ERROR_UNSUPPORTED_FD: this file descriptor cannot be watched (a
 *   regular file, directory or block device on every backend, a descriptor
 *   at or above `FD_SETSIZE` with select)
 * @IO_LOOP_ERROR_EXISTS: the file descriptor already has a handler
 * @IO_LOOP_ERROR_NOT_FOUND: the file descriptor has no handler
 * @IO_LOOP_ERROR_CLOSED: the loop has been closed with io_loop_close()
 * @IO_LOOP_ERROR_RUNNING: the loop is already running (io_loop_start() is not
 *   re-entrant)
 * @IO_LOOP_ERROR_NO_BACKEND: the requested backend is unknown or not built
 * @IO_LOOP_ERROR_ALREADY_INSTALLED: a global loop already exists
 * @IO_LOOP_ERROR_FORKED: the loop was created in another process
 *
 * Error codes in the %IO_LOOP_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum
{
  IO_LOOP_ERROR_FAILED,
  IO_LOOP_ERROR_INVALID_ARGUMENT,
  IO_LOOP_ERROR_BAD_FD,
  IO_LOOP_ERROR_UNSUPPORTED_FD,
  IO_LOOP_ERROR_EXISTS,
  IO_LOOP_ERROR_NOT_FOUND,
  IO_LOOP_ERROR_CLOSED,
  IO_LOOP_ERROR_RUNNING,
  IO_LOOP_ERROR_NO_BACKEND,
  IO_LOOP_ERROR_ALREADY_INSTALLED,
  IO_LOOP_ERROR_FORKED,
} IoLoopError;

IO_AVAILABLE_IN_ALL
GQuark io_loop_error_quark (void);

/**
 * IoCallback:
 * @user_data: (closure): the data given when the callback was added
 * @error: return location for a #GError: a callback that fails sets it, and
 *   the loop reports it through #IoLoop::callback-exception
 *
 * A function the loop calls: for io_loop_add_callback(), a timeout, an
 * #IoAsync wake-up or an #IoPeriodicCallback.
 *
 * Since: 1.0
 */
typedef void (*IoCallback) (gpointer   user_data,
                            GError   **error);

/**
 * IoHandlerFunc:
 * @fd: the file descriptor the handler watches
 * @events: (type guint): the conditions that hold for @fd, as #IoEvents
 *   bits (a subset of the events the handler asked for, plus
 *   %IO_EVENTS_ERROR); a plain integer for language bindings, which is
 *   cheaper to pass on every event than a flags object
 * @user_data: (closure): the data given to io_loop_add_handler()
 * @error: return location for a #GError: a handler that fails sets it, and
 *   the loop reports it through #IoLoop::callback-exception
 *
 * A file-descriptor handler: called on every loop iteration in which @fd is
 * ready (level-triggered).
 *
 * Since: 1.0
 */
typedef void (*IoHandlerFunc) (int        fd,
                               IoEvents   events,
                               gpointer   user_data,
                               GError   **error);

typedef struct _IoLoop IoLoop;
typedef struct _IoTimeout IoTimeout;
typedef struct _IoAsync IoAsync;

G_END_DECLS
