/* io-instance.c: the global loop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"

static GMutex instance_lock;
static IoLoop *instance;

/**
 * io_loop_instance:
 *
 * Returns the global loop, creating it with io_loop_new() on first use.
 *
 * Most single-threaded programs have a single, global loop: use this rather
 * than passing loops around. Classes that depend on a loop can take an
 * optional one and fall back to this, so that programs with several loops
 * remain possible. Thread-safe.
 *
 * Returns: (transfer none): the global #IoLoop
 *
 * Since: 1.0
 */
IoLoop *
io_loop_instance (void)
{
  IoLoop *loop;

  g_mutex_lock (&instance_lock);
  if (instance == NULL)
    instance = io_loop_new ();
  loop = instance;
  g_mutex_unlock (&instance_lock);

  return loop;
}

/**
 * io_loop_initialized:
 *
 * Returns: %TRUE if the global loop exists
 *
 * Since: 1.0
 */
gboolean
io_loop_initialized (void)
{
  gboolean exists;

  g_mutex_lock (&instance_lock);
  exists = instance != NULL;
  g_mutex_unlock (&instance_lock);

  return exists;
}

/**
 * io_loop_install:
 * @loop: an #IoLoop
 * @error: return location for a #GError
 *
 * Makes @loop the global loop that io_loop_instance() returns: for a
 * subclass of #IoLoop, say. Fails with %IO_LOOP_ERROR_ALREADY_INSTALLED if a
 * global loop exists already (io_loop_instance() creates one on demand).
 *
 * Returns: %TRUE if @loop is now the global loop
 *
 * Since: 1.0
 */
gboolean
io_loop_install (IoLoop  *loop,
                 GError **error)
{
  gboolean ok;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&instance_lock);
  ok = instance == NULL;
  if (ok)
    instance = g_object_ref (loop);
  g_mutex_unlock (&instance_lock);

  if (!ok)
    g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_ALREADY_INSTALLED,
                         _("A global loop is already installed"));
  return ok;
}

/**
 * io_loop_clear_instance:
 *
 * Forgets the global loop (dropping the reference it held), so that the
 * next io_loop_instance() creates a new one or io_loop_install() can
 * install another. For tests and for programs shutting down.
 *
 * Since: 1.0
 */
void
io_loop_clear_instance (void)
{
  IoLoop *loop;

  g_mutex_lock (&instance_lock);
  loop = instance;
  instance = NULL;
  g_mutex_unlock (&instance_lock);

  g_clear_object (&loop);
}
