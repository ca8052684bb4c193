/* io-async.h: async-signal-safe wake-ups
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

#define IO_TYPE_ASYNC (io_async_get_type ())

IO_AVAILABLE_IN_ALL
GType     io_async_get_type (void) G_GNUC_CONST;
IO_AVAILABLE_IN_ALL
IoAsync  *io_async_new      (IoLoop         *loop,
                             IoCallback      func,
                             gpointer        user_data,
                             GDestroyNotify  notify);
IO_AVAILABLE_IN_ALL
IoAsync  *io_async_ref      (IoAsync        *async);
IO_AVAILABLE_IN_ALL
void      io_async_unref    (IoAsync        *async);
IO_AVAILABLE_IN_ALL
void      io_async_send     (IoAsync        *async);
IO_AVAILABLE_IN_ALL
void      io_async_close    (IoAsync        *async);
IO_AVAILABLE_IN_ALL
gboolean  io_async_is_closed (IoAsync       *async);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IoAsync, io_async_unref)

G_END_DECLS
