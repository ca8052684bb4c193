/* io-unix-address-private.h: Unix socket addresses from paths, for
 * connecting and listening alike
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>

G_BEGIN_DECLS

/* Fills @addr for @path; on Linux, a path that starts with '@' names the
 * rest in the abstract namespace (*@abstract is then TRUE). An empty
 * path, or one too long for sun_path, is G_IO_ERROR_INVALID_ARGUMENT. */
gboolean  _io_unix_address_init (struct sockaddr_un  *addr,
                                 socklen_t           *len,
                                 const char          *path,
                                 gboolean            *abstract,
                                 GError             **error);

G_END_DECLS
