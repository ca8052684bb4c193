/* io-timeout.c: timeout handles and the 4-ary timer heap
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "io-loop-private.h"

/**
 * IoTimeout:
 *
 * A handle on a timeout added with io_loop_add_timeout() or
 * io_loop_call_later(), to pass to io_loop_remove_timeout().
 *
 * The loop owns the handle while the timeout is pending: the pointer that
 * io_loop_add_timeout() returns stays valid until the timeout fires or is
 * removed. Take a reference with io_timeout_ref() to keep it longer; after
 * that, removing it again is harmless.
 *
 * Since: 1.0
 */

G_DEFINE_BOXED_TYPE (IoTimeout, io_timeout, io_timeout_ref, io_timeout_unref)

IoTimeout *
_io_timeout_new (IoCallback      func,
                 gpointer        user_data,
                 GDestroyNotify  notify,
                 guint32         seq)
{
  IoTimeout *timeout = g_new (IoTimeout, 1);

  timeout->ref_count = 1;
  timeout->heap_index = IO_TIMEOUT_NOT_PENDING;
  timeout->seq = seq;
  timeout->flags = 0;
  timeout->func = func;
  timeout->user_data = user_data;
  timeout->notify = notify;

  return timeout;
}

/* Runs the notify once, and forgets the callback. */
void
_io_timeout_run_notify (IoTimeout *timeout)
{
  GDestroyNotify notify = timeout->notify;
  gpointer user_data = timeout->user_data;

  timeout->func = NULL;
  timeout->notify = NULL;
  timeout->user_data = NULL;
  if (notify != NULL)
    notify (user_data);
}

/**
 * io_timeout_ref:
 * @timeout: an #IoTimeout
 *
 * Takes a reference on @timeout. Thread-safe.
 *
 * Returns: (transfer full): @timeout
 *
 * Since: 1.0
 */
IoTimeout *
io_timeout_ref (IoTimeout *timeout)
{
  g_return_val_if_fail (timeout != NULL, NULL);

  g_atomic_int_inc (&timeout->ref_count);
  return timeout;
}

/**
 * io_timeout_unref:
 * @timeout: (transfer full): an #IoTimeout
 *
 * Drops a reference on @timeout. Dropping a reference never cancels the
 * timeout: the loop holds its own while the timeout is pending.
 * Thread-safe.
 *
 * Since: 1.0
 */
void
io_timeout_unref (IoTimeout *timeout)
{
  g_return_if_fail (timeout != NULL);

  if (g_atomic_int_dec_and_test (&timeout->ref_count))
    {
      g_assert (timeout->heap_index == IO_TIMEOUT_NOT_PENDING);
      g_free (timeout);
    }
}

/**
 * io_timeout_is_pending:
 * @timeout: an #IoTimeout
 *
 * Tells whether @timeout is still waiting to fire: %FALSE once it has fired
 * (or is firing), was removed, or its loop was closed.
 *
 * Returns: %TRUE if the timeout will still fire
 *
 * Since: 1.0
 */
gboolean
io_timeout_is_pending (IoTimeout *timeout)
{
  g_return_val_if_fail (timeout != NULL, FALSE);

  return timeout->heap_index != IO_TIMEOUT_NOT_PENDING &&
         !(timeout->flags & IO_TIMEOUT_FLAG_CANCELLED);
}

/* ---- the heap ------------------------------------------------------------
 *
 * A 4-ary min-heap rooted at 0: children of i are 4i+1 .. 4i+4. Four
 * children fit one or two cache lines, which halves the depth of a binary
 * heap for the same comparisons.
 */

#define HEAP_ARITY 4
#define HEAP_PARENT(i) (((i) - 1) / HEAP_ARITY)
#define HEAP_FIRST_CHILD(i) ((i) * HEAP_ARITY + 1)
#define HEAP_MIN_SIZE 16

static inline gboolean
node_before (const IoTimerNode *a,
             const IoTimerNode *b)
{
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;
  /* Wrap-safe: ties are between timeouts added close together. */
  return (gint32) (a->timeout->seq - b->timeout->seq) < 0;
}

static inline void
heap_place (IoTimerHeap *heap,
            guint        i,
            IoTimerNode  node)
{
  heap->nodes[i] = node;
  node.timeout->heap_index = i;
}

static void
heap_sift_up (IoTimerHeap *heap,
              guint        i)
{
  IoTimerNode node = heap->nodes[i];

  while (i > 0)
    {
      guint parent = HEAP_PARENT (i);

      if (!node_before (&node, &heap->nodes[parent]))
        break;
      heap_place (heap, i, heap->nodes[parent]);
      i = parent;
    }
  heap_place (heap, i, node);
}

static void
heap_sift_down (IoTimerHeap *heap,
                guint        i)
{
  IoTimerNode node = heap->nodes[i];

  for (;;)
    {
      guint first = HEAP_FIRST_CHILD (i);
      guint last, best, c;

      if (first >= heap->len)
        break;
      last = MIN (first + HEAP_ARITY, heap->len);
      best = first;
      for (c = first + 1; c < last; c++)
        if (node_before (&heap->nodes[c], &heap->nodes[best]))
          best = c;
      if (!node_before (&heap->nodes[best], &node))
        break;
      heap_place (heap, i, heap->nodes[best]);
      i = best;
    }
  heap_place (heap, i, node);
}

static void
heap_resize (IoTimerHeap *heap,
             guint        size)
{
  heap->nodes = g_renew (IoTimerNode, heap->nodes, size);
  heap->size = size;
}

void
_io_timer_heap_init (IoTimerHeap *heap)
{
  heap->nodes = NULL;
  heap->len = 0;
  heap->size = 0;
}

void
_io_timer_heap_push (IoTimerHeap *heap,
                     IoTimeout   *timeout,
                     gint64       deadline)
{
  if (heap->len == heap->size)
    heap_resize (heap, MAX (HEAP_MIN_SIZE, heap->size * 2));

  heap->nodes[heap->len].deadline = deadline;
  heap->nodes[heap->len].timeout = timeout;
  heap->len++;
  heap_sift_up (heap, heap->len - 1);
}

gboolean
_io_timer_heap_contains (IoTimerHeap *heap,
                         IoTimeout   *timeout)
{
  guint i = timeout->heap_index;

  return !(timeout->flags & IO_TIMEOUT_FLAG_DUE) &&
         i < heap->len && heap->nodes[i].timeout == timeout;
}

/* Memory of cancelled timeouts goes back at once: the array shrinks when
 * it is three-quarters empty. */
static void
heap_maybe_shrink (IoTimerHeap *heap)
{
  if (heap->size > HEAP_MIN_SIZE && heap->len < heap->size / 4)
    heap_resize (heap, MAX (HEAP_MIN_SIZE, heap->size / 2));
}

void
_io_timer_heap_remove (IoTimerHeap *heap,
                       IoTimeout   *timeout)
{
  guint i = timeout->heap_index;

  g_assert (_io_timer_heap_contains (heap, timeout));

  timeout->heap_index = IO_TIMEOUT_NOT_PENDING;
  heap->len--;
  if (i != heap->len)
    {
      heap->nodes[i] = heap->nodes[heap->len];
      heap->nodes[i].timeout->heap_index = i;
      if (i > 0 && node_before (&heap->nodes[i], &heap->nodes[HEAP_PARENT (i)]))
        heap_sift_up (heap, i);
      else
        heap_sift_down (heap, i);
    }
  heap_maybe_shrink (heap);
}

IoTimeout *
_io_timer_heap_pop (IoTimerHeap *heap)
{
  IoTimeout *timeout;

  if (heap->len == 0)
    return NULL;

  timeout = heap->nodes[0].timeout;
  _io_timer_heap_remove (heap, timeout);
  return timeout;
}

gint64
_io_timer_heap_get_deadline (IoTimerHeap *heap,
                             IoTimeout   *timeout)
{
  if (!_io_timer_heap_contains (heap, timeout))
    return G_MAXINT64;
  return heap->nodes[timeout->heap_index].deadline;
}
