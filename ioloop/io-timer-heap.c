/* io-timer-heap.c: the 4-ary min-heap of deadlines behind the loop's timeouts
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal (see io-timer-heap.h for the contract). The heap is rooted at
 * 0: the children of slot i are 4i+1 .. 4i+4. Four children per node
 * halve the depth of a binary heap, and the extra comparisons per level
 * read one cache line, so a sift touches fewer lines overall (the libev
 * layout). Every move of a node writes its new slot into its entry, which
 * is what makes removal by handle O(log n).
 */
#include "config.h"

#include "io-timer-heap.h"

#define HEAP_ARITY 4
#define HEAP_PARENT(i) (((i) - 1) / HEAP_ARITY)
#define HEAP_FIRST_CHILD(i) ((i) * HEAP_ARITY + 1)

/* Keeps every child index of a queued slot, and the array size, below
 * IO_TIMER_HEAP_NO_INDEX. At 16 bytes a node that is about 16 GiB of
 * array, more than the entries themselves would leave room for. */
#define HEAP_MAX_LEN ((G_MAXUINT - HEAP_ARITY) / HEAP_ARITY)

static inline gboolean
node_before (const IoTimerNode *a,
             const IoTimerNode *b)
{
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;
  return a->entry->seq < b->entry->seq;
}

static inline void
heap_place (IoTimerHeap *heap,
            guint        i,
            IoTimerNode  node)
{
  heap->nodes[i] = node;
  node.entry->index = i;
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

/* After slot i received a node from elsewhere, only one direction can
 * restore the order: up if it now beats its parent, else down. */
static void
heap_restore (IoTimerHeap *heap,
              guint        i)
{
  if (i > 0 && node_before (&heap->nodes[i], &heap->nodes[HEAP_PARENT (i)]))
    heap_sift_up (heap, i);
  else
    heap_sift_down (heap, i);
}

static void
heap_resize (IoTimerHeap *heap,
             guint        size)
{
  heap->nodes = g_renew (IoTimerNode, heap->nodes, size);
  heap->size = size;
}

static void
heap_grow (IoTimerHeap *heap)
{
  guint64 size = MAX (IO_TIMER_HEAP_MIN_SIZE, (guint64) heap->size * 2);

  /* Only reachable past what memory holds; GLib aborts on a failed
   * allocation just the same. */
  if (G_UNLIKELY (heap->len >= HEAP_MAX_LEN))
    g_error ("Too many timers: %u", heap->len);
  heap_resize (heap, (guint) MIN (size, (guint64) HEAP_MAX_LEN));
}

/* Memory of removed entries goes back soon: the array halves when it is
 * three-quarters empty, which keeps a shrink and the next growth at least
 * size/4 operations apart. */
static void
heap_maybe_shrink (IoTimerHeap *heap)
{
  if (heap->size > IO_TIMER_HEAP_MIN_SIZE && heap->len < heap->size / 4)
    heap_resize (heap, MAX (IO_TIMER_HEAP_MIN_SIZE, heap->size / 2));
}

void
_io_timer_heap_init (IoTimerHeap *heap)
{
  heap->nodes = NULL;
  heap->len = 0;
  heap->size = 0;
  heap->next_seq = 0;
}

/* Frees the array. Entries still queued are detached, not freed: they
 * belong to the caller, who normally pops them first to release them. */
void
_io_timer_heap_clear (IoTimerHeap *heap)
{
  guint i;

  for (i = 0; i < heap->len; i++)
    heap->nodes[i].entry->index = IO_TIMER_HEAP_NO_INDEX;
  g_clear_pointer (&heap->nodes, g_free);
  heap->len = 0;
  heap->size = 0;
}

void
_io_timer_entry_init (IoTimerEntry *entry)
{
  entry->index = IO_TIMER_HEAP_NO_INDEX;
  entry->seq = 0;
}

/* Queues @entry, which must be in no heap, for @deadline. */
void
_io_timer_heap_push (IoTimerHeap  *heap,
                     IoTimerEntry *entry,
                     gint64        deadline)
{
  g_assert (!_io_timer_entry_is_queued (entry));

  if (heap->len == heap->size)
    heap_grow (heap);

  entry->seq = heap->next_seq++;
  heap->nodes[heap->len].deadline = deadline;
  heap->nodes[heap->len].entry = entry;
  heap->len++;
  heap_sift_up (heap, heap->len - 1);
}

/* TRUE if @entry is queued in this very heap: an entry of another heap
 * (another loop's timeout) has an index too, but not our node there. */
gboolean
_io_timer_heap_contains (const IoTimerHeap  *heap,
                         const IoTimerEntry *entry)
{
  guint i = entry->index;

  return i < heap->len && heap->nodes[i].entry == entry;
}

gint64
_io_timer_heap_get_deadline (const IoTimerHeap  *heap,
                             const IoTimerEntry *entry)
{
  g_assert (_io_timer_heap_contains (heap, entry));

  return heap->nodes[entry->index].deadline;
}

/* Takes @entry, which must be in @heap, out of it; its index is reset, so
 * that it can be pushed again. */
void
_io_timer_heap_remove (IoTimerHeap  *heap,
                       IoTimerEntry *entry)
{
  guint i = entry->index;

  g_assert (_io_timer_heap_contains (heap, entry));

  entry->index = IO_TIMER_HEAP_NO_INDEX;
  heap->len--;
  if (i != heap->len)
    {
      heap_place (heap, i, heap->nodes[heap->len]);
      heap_restore (heap, i);
    }
  heap_maybe_shrink (heap);
}

/* Moves @entry, which must be in @heap, to @deadline in place, without
 * the array churn of a remove and a push. It counts as pushed now: among
 * equal deadlines it comes after those already queued. */
void
_io_timer_heap_update (IoTimerHeap  *heap,
                       IoTimerEntry *entry,
                       gint64        deadline)
{
  g_assert (_io_timer_heap_contains (heap, entry));

  entry->seq = heap->next_seq++;
  heap->nodes[entry->index].deadline = deadline;
  heap_restore (heap, entry->index);
}

/* Removes and returns the entry with the earliest deadline (the first
 * pushed of those tied), or NULL if the heap is empty. */
IoTimerEntry *
_io_timer_heap_pop (IoTimerHeap *heap)
{
  IoTimerEntry *entry;

  if (heap->len == 0)
    return NULL;

  entry = heap->nodes[0].entry;
  _io_timer_heap_remove (heap, entry);
  return entry;
}
