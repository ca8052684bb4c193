/* io-loop.h: the event loop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <ioloop/io-types.h>
#include <ioloop/io-timeout.h>

G_BEGIN_DECLS

#define IO_TYPE_LOOP (io_loop_get_type ())

IO_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (IoLoop, io_loop, IO, LOOP, GObject)

/**
 * IoSignalAction:
 * @signum: the signal number (`SIGALRM`)
 *
 * A plain C signal handler, as given to `signal()`.
 *
 * Since: 1.0
 */
typedef void (*IoSignalAction) (int signum);

/**
 * IoLoopClass:
 * @parent_class: the parent class
 * @handle_callback_exception: class handler of #IoLoop::callback-exception:
 *   called when a callback, handler or timeout fails; the default logs the
 *   error with g_log() at %G_LOG_LEVEL_WARNING
 *
 * The class of #IoLoop. Subclasses override @handle_callback_exception to
 * report failing callbacks their own way.
 *
 * Since: 1.0
 */
struct _IoLoopClass
{
  GObjectClass parent_class;

  void (*handle_callback_exception) (IoLoop       *loop,
                                     const GError *error);

  /*< private >*/
  gpointer padding[12];
};

IO_AVAILABLE_IN_ALL
IoLoop         *io_loop_new                (void);
IO_AVAILABLE_IN_ALL
IoLoop         *io_loop_new_with_backend   (const char     *backend,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
const char     *io_loop_get_backend        (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
const char    **io_loop_list_backends      (void);

IO_AVAILABLE_IN_ALL
IoLoop         *io_loop_instance           (void);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_initialized        (void);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_install            (IoLoop         *loop,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
void            io_loop_clear_instance     (void);

IO_AVAILABLE_IN_ALL
gboolean        io_loop_start              (IoLoop         *loop,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
void            io_loop_stop               (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_is_running         (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_iteration          (IoLoop         *loop,
                                            gboolean        may_block,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
void            io_loop_close              (IoLoop         *loop,
                                            gboolean        all_fds);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_is_closed          (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_reinit_after_fork  (IoLoop         *loop,
                                            GError        **error);

IO_AVAILABLE_IN_ALL
gboolean        io_loop_add_handler        (IoLoop         *loop,
                                            int             fd,
                                            IoEvents        events,
                                            IoHandlerFunc   func,
                                            gpointer        user_data,
                                            GDestroyNotify  notify,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_update_handler     (IoLoop         *loop,
                                            int             fd,
                                            IoEvents        events,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_remove_handler     (IoLoop         *loop,
                                            int             fd,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_has_handler        (IoLoop         *loop,
                                            int             fd);

IO_AVAILABLE_IN_ALL
void            io_loop_add_callback       (IoLoop         *loop,
                                            IoCallback      func,
                                            gpointer        user_data,
                                            GDestroyNotify  notify);

IO_AVAILABLE_IN_ALL
gdouble         io_loop_time               (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
IoTimeout      *io_loop_add_timeout        (IoLoop         *loop,
                                            gdouble         deadline,
                                            IoCallback      func,
                                            gpointer        user_data,
                                            GDestroyNotify  notify,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
IoTimeout      *io_loop_call_later         (IoLoop         *loop,
                                            gdouble         delay,
                                            IoCallback      func,
                                            gpointer        user_data,
                                            GDestroyNotify  notify,
                                            GError        **error);
IO_AVAILABLE_IN_ALL
void            io_loop_remove_timeout     (IoLoop         *loop,
                                            IoTimeout      *timeout);

IO_AVAILABLE_IN_ALL
void            io_loop_set_blocking_signal_threshold (IoLoop         *loop,
                                                       gdouble         seconds,
                                                       IoSignalAction  action);
IO_AVAILABLE_IN_ALL
void            io_loop_set_blocking_alarm (IoLoop         *loop,
                                            gdouble         seconds);
IO_AVAILABLE_IN_ALL
gdouble         io_loop_get_blocking_alarm (IoLoop         *loop);

IO_AVAILABLE_IN_ALL
void            io_loop_report_exception   (IoLoop         *loop,
                                            const GError   *error);

IO_AVAILABLE_IN_ALL
int             io_loop_get_fd             (IoLoop         *loop);
IO_AVAILABLE_IN_ALL
int             io_loop_get_timeout_ms     (IoLoop         *loop);

G_END_DECLS
