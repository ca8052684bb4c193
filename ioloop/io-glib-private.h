/* io-glib-private.h: what the two GLib integrations share:
 * io-glib-source.c (the loop inside a GMainContext) and io-glib-host.c (a
 * GMainContext inside the loop) refuse to drive each other in a circle.
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "io-loop.h"

G_BEGIN_DECLS

/* IoEvents has the values of poll(), and so of GIOCondition. */
G_STATIC_ASSERT ((int) IO_EVENTS_READ == (int) G_IO_IN);
G_STATIC_ASSERT ((int) IO_EVENTS_WRITE == (int) G_IO_OUT);
G_STATIC_ASSERT ((int) IO_EVENTS_ERROR == (int) (G_IO_ERR | G_IO_HUP));

/* The qdata of a loop that holds its io_loop_attach() source: a GSource,
 * attached to the context the loop is a source of. */
static inline GQuark
_io_glib_source_quark (void)
{
  return g_quark_from_static_string ("io-loop-glib-source");
}

/* TRUE if @loop hosts @context (io_loop_add_main_context()). */
gboolean _io_glib_hosts_context (IoLoop       *loop,
                                 GMainContext *context);

G_END_DECLS
