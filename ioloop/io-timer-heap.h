/* io-timer-heap.h: the 4-ary min-heap of deadlines behind the loop's timeouts
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal: not installed, not exported, not part of the introspected API.
 *
 * The heap is intrusive: what it orders embeds an IoTimerEntry, and the
 * heap keeps pointers to those entries. So pushing allocates nothing per
 * entry, and an entry can be removed or rescheduled by its handle in
 * O(log n), through the index the heap keeps in it. The heap knows nothing
 * else of its users: it never frees, refs or calls anything, which is why
 * io-timeout.c can drop a timeout from it in the middle of a dispatch.
 *
 * Order: earliest deadline first; equal deadlines in the order they were
 * pushed (or last rescheduled), which is how timeouts added for the same
 * instant must fire.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An entry's index while it is in no heap. */
#define IO_TIMER_HEAP_NO_INDEX G_MAXUINT

/* The smallest array the heap keeps once it has grown: below it, shrinking
 * would only trade memory nobody misses for reallocations. */
#define IO_TIMER_HEAP_MIN_SIZE 16

typedef struct
{
  /* Slot in the heap's array while queued, else IO_TIMER_HEAP_NO_INDEX. */
  guint   index;
  /* Insertion order, the tie-break of equal deadlines. 64 bits so that it
   * never wraps: two entries for the same instant stay ordered however
   * many others were pushed between them. */
  guint64 seq;
} IoTimerEntry;

/* The deadline sits beside the pointer so that sifting compares without
 * touching the entries themselves (they are read only on a tie); four such
 * children fill one 64-byte cache line. */
typedef struct
{
  gint64        deadline;
  IoTimerEntry *entry;
} IoTimerNode;

typedef struct
{
  IoTimerNode *nodes;
  guint        len;
  guint        size;
  guint64      next_seq;
} IoTimerHeap;

void          _io_timer_heap_init          (IoTimerHeap        *heap);
void          _io_timer_heap_clear         (IoTimerHeap        *heap);

void          _io_timer_entry_init         (IoTimerEntry       *entry);

void          _io_timer_heap_push          (IoTimerHeap        *heap,
                                            IoTimerEntry       *entry,
                                            gint64              deadline);
void          _io_timer_heap_remove        (IoTimerHeap        *heap,
                                            IoTimerEntry       *entry);
void          _io_timer_heap_update        (IoTimerHeap        *heap,
                                            IoTimerEntry       *entry,
                                            gint64              deadline);
IoTimerEntry *_io_timer_heap_pop           (IoTimerHeap        *heap);
gboolean      _io_timer_heap_contains      (const IoTimerHeap  *heap,
                                            const IoTimerEntry *entry);
gint64        _io_timer_heap_get_deadline  (const IoTimerHeap  *heap,
                                            const IoTimerEntry *entry);

/* TRUE while @entry is in a heap (any heap: see _io_timer_heap_contains()
 * to ask about one in particular). */
static inline gboolean
_io_timer_entry_is_queued (const IoTimerEntry *entry)
{
  return entry->index != IO_TIMER_HEAP_NO_INDEX;
}

static inline guint
_io_timer_heap_get_length (const IoTimerHeap *heap)
{
  return heap->len;
}

static inline gboolean
_io_timer_heap_is_empty (const IoTimerHeap *heap)
{
  return heap->len == 0;
}

/* The earliest deadline, or G_MAXINT64 (never) when the heap is empty, so
 * that callers compare it with the clock without a special case. */
static inline gint64
_io_timer_heap_next_deadline (const IoTimerHeap *heap)
{
  return heap->len > 0 ? heap->nodes[0].deadline : G_MAXINT64;
}

G_END_DECLS
