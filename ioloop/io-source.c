/* io-source.c: references, removal and notify of every source of the loop; lists of sources
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The rule these functions keep is written once, in io-source.h.
 */
#include "config.h"

#include "io-source.h"

static const IoSourceClass *const classes[IO_SOURCE_N_KINDS] = {
  [IO_SOURCE_HANDLER] = &_io_handler_source_class,
  [IO_SOURCE_TIMEOUT] = &_io_timeout_source_class,
};

void
_io_source_init (IoSource            *source,
                 IoSourceKind         kind,
                 gpointer             user_data,
                 GDestroyNotify       notify)
{
  source->kind = kind;
  source->ref_count = 1;
  source->dispatching = FALSE;
  source->disconnected = FALSE;
  source->user_data = user_data;
  source->notify = notify;
}

IoSource *
_io_source_ref (IoSource *source)
{
  g_atomic_int_inc (&source->ref_count);
  return source;
}

/* The one place a source's notify runs. It is forgotten before the call,
 * so that whatever the notify does (remove its source again, close the
 * loop, drop references) it runs once. */
static void
run_notify (IoSource *source)
{
  GDestroyNotify notify = source->notify;
  gpointer user_data = source->user_data;
  const IoSourceClass *klass = classes[source->kind];

  source->notify = NULL;
  source->user_data = NULL;
  if (notify == NULL)
    return;
  if (klass != NULL && klass->notify != NULL)
    klass->notify (source, notify, user_data);
  else
    notify (user_data);
}

void
_io_source_unref (IoSource *source)
{
  const IoSourceClass *klass;

  if (!g_atomic_int_dec_and_test (&source->ref_count))
    return;
  /* The loop's reference covers a dispatch: this is never on the stack
   * of the source's own callback. */
  g_assert (!source->dispatching);
  run_notify (source);
  klass = classes[source->kind];
  if (klass != NULL && klass->free != NULL)
    klass->free (source);
  else
    g_free (source);
}

/* Destroyed while dispatched: the rest of _io_source_destroy(), now that
 * the callback returned. */
void
_io_source_finish_removal (IoSource *source)
{
  run_notify (source);
  _io_source_unref (source);
}

gboolean
_io_source_destroy (IoSource *source)
{
  if (source->disconnected)
    return FALSE;
  source->disconnected = TRUE;
  if (!source->dispatching)
    _io_source_finish_removal (source);
  return TRUE;
}

/* ---- lists of sources --------------------------------------------------- */

void
_io_source_list_init (IoSourceList *list)
{
  list->sources = g_ptr_array_new ();
  list->walking = 0;
  list->holes = 0;
}

/* The sources must be gone: this frees the array only. */
void
_io_source_list_clear (IoSourceList *list)
{
  g_clear_pointer (&list->sources, g_ptr_array_unref);
}

void
_io_source_list_add (IoSourceList *list,
                     IoSource     *source)
{
  g_ptr_array_add (list->sources, source);
}

/* Unlinks @source, which keeps its reference (the caller destroys it).
 * Returns FALSE if it is not in @list. */
gboolean
_io_source_list_remove (IoSourceList *list,
                        IoSource     *source)
{
  guint i;

  if (!g_ptr_array_find (list->sources, source, &i))
    return FALSE;
  if (list->walking > 0)
    {
      g_ptr_array_index (list->sources, i) = NULL;
      list->holes++;
    }
  else
    g_ptr_array_remove_index (list->sources, i);
  return TRUE;
}

void
_io_source_list_end_walk (IoSourceList *list)
{
  guint i, j = 0;

  if (--list->walking > 0 || list->holes == 0)
    return;
  list->holes = 0;
  for (i = 0; i < list->sources->len; i++)
    if (g_ptr_array_index (list->sources, i) != NULL)
      g_ptr_array_index (list->sources, j++) = g_ptr_array_index (list->sources, i);
  g_ptr_array_set_size (list->sources, j);
}
