/* io-glib.h: living with GLib's main loop, both ways
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

IO_AVAILABLE_IN_ALL
guint           io_loop_attach              (IoLoop        *loop,
                                             GMainContext  *context,
                                             GError       **error);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_detach              (IoLoop        *loop);

IO_AVAILABLE_IN_ALL
gboolean        io_loop_add_main_context    (IoLoop        *loop,
                                             GMainContext  *context,
                                             GError       **error);
IO_AVAILABLE_IN_ALL
gboolean        io_loop_remove_main_context (IoLoop        *loop,
                                             GMainContext  *context);

G_END_DECLS
