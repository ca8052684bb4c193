/* io-child-watch.h: child processes that exit
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
 * IoChildFunc:
 * @pid: the child process that exited
 * @wait_status: its status as waitpid() reports it: inspect it with
 *   `WIFEXITED()`, `WEXITSTATUS()`, `WIFSIGNALED()` and `WTERMSIG()`, or
 *   with g_spawn_check_wait_status()
 * @user_data: (closure): the data given to io_loop_add_child_watch()
 * @error: return location for a #GError: a function that fails sets it,
 *   and the loop reports it through #IoLoop::callback-exception
 *
 * Called once, on the loop's thread, when a watched child process has
 * exited (the child is reaped by then).
 *
 * Since: 1.0
 */
typedef void (*IoChildFunc) (GPid       pid,
                             int        wait_status,
                             gpointer   user_data,
                             GError   **error);

IO_AVAILABLE_IN_ALL
guint     io_loop_add_child_watch    (IoLoop         *loop,
                                      GPid            pid,
                                      IoChildFunc     func,
                                      gpointer        user_data,
                                      GDestroyNotify  notify,
                                      GError        **error);
IO_AVAILABLE_IN_ALL
gboolean  io_loop_remove_child_watch (IoLoop         *loop,
                                      guint           id);

G_END_DECLS
