/* io-signal.h: Unix signals, handled on the loop's thread
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <ioloop/io-types.h>

G_BEGIN_DECLS

/**
 * IoSignalFunc:
 * @signum: the signal that arrived
 * @user_data: (closure): the data given to io_loop_add_signal_handler()
 * @error: return location for a #GError: a handler that fails sets it, and
 *   the loop reports it through #IoLoop::callback-exception
 *
 * A signal handler that runs on the loop's thread, in an ordinary
 * iteration of the loop rather than in signal context: it may do anything
 * any other callback does.
 *
 * Since: 1.0
 */
typedef void (*IoSignalFunc) (int        signum,
                              gpointer   user_data,
                              GError   **error);

IO_AVAILABLE_IN_ALL
guint     io_loop_add_signal_handler    (IoLoop         *loop,
                                         int             signum,
                                         IoSignalFunc    func,
                                         gpointer        user_data,
                                         GDestroyNotify  notify,
                                         GError        **error);
IO_AVAILABLE_IN_ALL
gboolean  io_loop_remove_signal_handler (IoLoop         *loop,
                                         guint           id);

G_END_DECLS
