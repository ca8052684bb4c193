/* io-periodic-callback.h: a function called at a fixed interval
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__IOLOOP_H_INSIDE__) && !defined (IOLOOP_COMPILATION)
#error "Only <ioloop/ioloop.h> can be included directly."
#endif

#include <ioloop/io-types.h>
#include <ioloop/io-loop.h>

G_BEGIN_DECLS

#define IO_TYPE_PERIODIC_CALLBACK (io_periodic_callback_get_type ())

IO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (IoPeriodicCallback, io_periodic_callback, IO, PERIODIC_CALLBACK, GObject)

IO_AVAILABLE_IN_ALL
IoPeriodicCallback *io_periodic_callback_new          (IoLoop             *loop,
                                                       guint               interval_ms,
                                                       IoCallback          func,
                                                       gpointer            user_data,
                                                       GDestroyNotify      notify);
IO_AVAILABLE_IN_ALL
void                io_periodic_callback_start        (IoPeriodicCallback *self);
IO_AVAILABLE_IN_ALL
void                io_periodic_callback_stop         (IoPeriodicCallback *self);
IO_AVAILABLE_IN_ALL
gboolean            io_periodic_callback_is_running   (IoPeriodicCallback *self);
IO_AVAILABLE_IN_ALL
guint               io_periodic_callback_get_interval (IoPeriodicCallback *self);
IO_AVAILABLE_IN_ALL
IoLoop             *io_periodic_callback_get_loop     (IoPeriodicCallback *self);

G_END_DECLS
