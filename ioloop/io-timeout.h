/* io-timeout.h: timeout handles
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

#define IO_TYPE_TIMEOUT (io_timeout_get_type ())

IO_AVAILABLE_IN_ALL
GType       io_timeout_get_type   (void) G_GNUC_CONST;
IO_AVAILABLE_IN_ALL
IoTimeout  *io_timeout_ref        (IoTimeout *timeout);
IO_AVAILABLE_IN_ALL
void        io_timeout_unref      (IoTimeout *timeout);
IO_AVAILABLE_IN_ALL
gboolean    io_timeout_is_pending (IoTimeout *timeout);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IoTimeout, io_timeout_unref)

G_END_DECLS
