/* io-unix-address.c: Unix socket addresses from paths
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GUnixSocketAddress would need gio-unix, and it cuts a path that does
 * not fit sun_path short without a word, which would connect to (or
 * bind) another socket than the one asked for: a path that does not fit
 * is refused here instead.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "io-unix-address-private.h"

gboolean
_io_unix_address_init (struct sockaddr_un  *addr,
                       socklen_t           *len,
                       const char          *path,
                       gboolean            *abstract,
                       GError             **error)
{
  gsize path_len = strlen (path);
  gboolean is_abstract = FALSE;

#ifdef __linux__
  is_abstract = path[0] == '@';
#endif
  if (path_len == 0 || (is_abstract && path_len == 1))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A Unix socket path cannot be empty"));
      return FALSE;
    }
  /* Room for the NUL that ends a path or starts an abstract name. */
  if (path_len >= sizeof addr->sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The Unix socket path “%s” is longer than %u bytes"),
                   path, (guint) (sizeof addr->sun_path - 1));
      return FALSE;
    }
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (is_abstract)
    {
      /* sun_path[0] stays NUL; the name is not NUL-terminated. */
      memcpy (addr->sun_path + 1, path + 1, path_len - 1);
      *len = offsetof (struct sockaddr_un, sun_path) + path_len;
    }
  else
    {
      memcpy (addr->sun_path, path, path_len + 1);
      *len = offsetof (struct sockaddr_un, sun_path) + path_len + 1;
    }
  if (abstract != NULL)
    *abstract = is_abstract;
  return TRUE;
}
