/* io-source.h: the record and lifetime rule of every source of the loop; lists of sources
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal: not installed, not exported, not part of the introspected API.
 *
 * Every kind of source (fd handlers, timeouts, IoAsync, signal handlers,
 * child watches, the loop's prepare, check and close hooks and its fd
 * observers) embeds an IoSource as its first member
 * and follows one rule:
 *
 *  - A source is refcounted (atomically: IoTimeout and IoAsync are public
 *    boxed types whose references any thread may take and drop). It
 *    starts with one reference; the kind says whose (the loop's for a
 *    handler or a timeout, the caller's for an IoAsync, which then gives
 *    the loop one of its own). While a source is attached, the loop holds
 *    a reference on it.
 *
 *  - Removing a source is _io_source_destroy(), after the kind has
 *    unlinked it from the loop's structures: it marks the source
 *    disconnected (its callback never runs again), runs the user's
 *    GDestroyNotify and drops the loop's reference. Destroying it again
 *    does nothing. Closing the loop destroys every source; a source that
 *    fires once (a timeout, a child watch) destroys itself as it fires.
 *
 *  - While a source is dispatched (between _io_source_begin_dispatch()
 *    and _io_source_end_dispatch(), on the loop's thread), destroying it
 *    only marks it: the notify runs and the loop's reference goes when the
 *    callback returns. So a callback may remove its own source, or close
 *    the loop, and its data stays alive until it has returned. Dispatch
 *    costs two stores and a test: the loop's reference covers the
 *    callback, no reference is taken per dispatch.
 *
 *  - The notify runs exactly once, from run_notify() (io-source.c) alone:
 *    on removal, on loop close (both through _io_source_destroy()), or,
 *    for a source that was never destroyed, when its last reference goes.
 *    Never while its callback is on the stack.
 *
 *  - The record is freed (IoSourceClass.free, or g_free()) when the last reference
 *    goes, which never happens while it is dispatched, since the loop's
 *    reference is dropped only after the callback returned.
 *
 * A kind that keeps its sources in an array and calls them in turn keeps
 * them in an IoSourceList: removing one during a walk leaves a hole (NULL)
 * rather than moving the others under the walker, and the holes are
 * filled when the last walk ends.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IoSource      IoSource;
typedef struct _IoSourceClass IoSourceClass;

/* A byte in each source rather than a class pointer, as in sd-event:
 * every timeout and handler carries it. */
typedef enum
{
  IO_SOURCE_HANDLER,
  IO_SOURCE_TIMEOUT,
  IO_SOURCE_ASYNC,
  IO_SOURCE_SIGNAL,
  IO_SOURCE_CHILD_WATCH,
  IO_SOURCE_HOOK,
  IO_SOURCE_N_KINDS
} IoSourceKind;

/* What a kind does differently; io-source.c's table holds one per kind,
 * and a kind without one is g_free()d and calls its notify plainly. */
struct _IoSourceClass
{
  /* Frees the record @source is the first member of. */
  void (*free)   (IoSource       *source);
  /* Optional: calls @notify (@user_data) with whatever the kind tells
   * its notify (a handler's says whether the loop closed its fd). */
  void (*notify) (IoSource       *source,
                  GDestroyNotify  notify,
                  gpointer        user_data);
};

extern const IoSourceClass _io_handler_source_class;    /* io-handler.c */
extern const IoSourceClass _io_timeout_source_class;    /* io-timeout.c */

struct _IoSource
{
  gpointer             user_data;
  GDestroyNotify       notify;        /* NULL once it ran */
  gint                 ref_count;     /* atomic */
  guint8               kind;          /* IoSourceKind */
  guint8               dispatching;   /* its callback is on the stack */
  guint8               disconnected;  /* destroyed: never called again */
};

void          _io_source_init      (IoSource            *source,
                                    IoSourceKind         kind,
                                    gpointer             user_data,
                                    GDestroyNotify       notify);
IoSource     *_io_source_ref       (IoSource            *source);
void          _io_source_unref     (IoSource            *source);
gboolean      _io_source_destroy   (IoSource            *source);
void          _io_source_finish_removal (IoSource      *source);

static inline gboolean
_io_source_is_disconnected (const IoSource *source)
{
  return source->disconnected;
}

/* On the loop's thread, around the source's callback. */
static inline void
_io_source_begin_dispatch (IoSource *source)
{
  source->dispatching = TRUE;
}

static inline void
_io_source_end_dispatch (IoSource *source)
{
  source->dispatching = FALSE;
  if (G_UNLIKELY (source->disconnected))
    _io_source_finish_removal (source);
}

typedef struct
{
  GPtrArray *sources;       /* IoSource *, in the order added; NULL: a hole */
  guint      walking;
  guint      holes;
} IoSourceList;

void          _io_source_list_init      (IoSourceList *list);
void          _io_source_list_clear     (IoSourceList *list);
void          _io_source_list_add       (IoSourceList *list,
                                         IoSource     *source);
gboolean      _io_source_list_remove    (IoSourceList *list,
                                         IoSource     *source);
void          _io_source_list_end_walk  (IoSourceList *list);

static inline void
_io_source_list_begin_walk (IoSourceList *list)
{
  list->walking++;
}

static inline guint
_io_source_list_get_length (const IoSourceList *list)
{
  return list->sources->len;
}

/* NULL for a source removed during the walk. */
static inline IoSource *
_io_source_list_get (const IoSourceList *list,
                     guint               i)
{
  return g_ptr_array_index (list->sources, i);
}

G_END_DECLS
