/* io-callback-queue.h: the queue behind io_loop_add_callback()
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal: not installed, not exported, not part of the introspected API.
 *
 * Many threads push, one (the loop's) pops. The queue is unbounded: a
 * list of fixed-size blocks, each a run of cells. A producer reserves the
 * next cell with one compare-and-swap on the tail and fills it without a
 * lock; the consumer takes cells in order and runs them straight from the
 * block, copying nothing into a batch. The producer that reserves a
 * block's last cell links the next block in, and the consumer hands
 * emptied blocks back for that, so steady traffic allocates nothing
 * however far producers get ahead of the loop. (After crossbeam's
 * SegQueue, with a single consumer.)
 *
 * Positions count cells from the queue's start; each block spans LAP
 * positions, of which the last names no cell: a tail there means "the
 * next block is being linked in", and producers wait for that. The tail
 * word holds the position shifted by one, and bit 0 is set once the queue
 * is closed, so that a producer learns of the close in the same
 * compare-and-swap that would have reserved its cell.
 *
 * Pushing is not async-signal-safe (linking a block in may allocate): a
 * signal handler uses an IoAsync.
 */
#pragma once

#include <glib.h>

#include "io-types.h"

G_BEGIN_DECLS

typedef struct
{
  IoCallback      func;       /* set last: non-NULL means "filled" */
  gpointer        user_data;
  GDestroyNotify  notify;
} IoCallbackItem;

/* 511 cells of 24 bytes: a block is 12 KiB, and LAP, the positions per
 * block, is a power of two, so that a cell's offset is a mask. */
#define IO_CALLBACK_LAP 512
#define IO_CALLBACK_BLOCK_CELLS (IO_CALLBACK_LAP - 1)

typedef struct _IoCallbackBlock IoCallbackBlock;

struct _IoCallbackBlock
{
  /* The next block of the queue, linked by the producer that reserved
   * this one's last cell; while the block is spare, the next spare one. */
  IoCallbackBlock *next;
  /* Which block of the queue this is: its cells are the positions from
   * lap * IO_CALLBACK_LAP on. Only fork() repair reads it. */
  gsize            lap;
  IoCallbackItem   cells[IO_CALLBACK_BLOCK_CELLS];
};

/* The queue lives inside the loop's private data, aligned only to 16
 * bytes: a full line of padding around each group of fields keeps the
 * groups, and the fields around the queue, off each other's lines. */
#define IO_CACHE_LINE 64

typedef struct
{
  char             pad0[IO_CACHE_LINE];

  /* Producers' line: the tail (position << 1 | closed) and its block. */
  gsize            tail;
  IoCallbackBlock *tail_block;
  char             pad1[IO_CACHE_LINE];

  /* The consumer's line: the next position to take, and its block. */
  gsize            head;
  IoCallbackBlock *head_block;
  /* Emptied blocks, a stack: pushed by the consumer, popped only by the
   * producer linking a block in (one at a time, so no ABA). */
  IoCallbackBlock *spare;
  gint             n_spare;
  char             pad2[IO_CACHE_LINE];
} IoCallbackQueue;

void      _io_callback_queue_init       (IoCallbackQueue      *queue);
void      _io_callback_queue_clear      (IoCallbackQueue      *queue);
gboolean  _io_callback_queue_push       (IoCallbackQueue      *queue,
                                         const IoCallbackItem *item);
void      _io_callback_queue_close      (IoCallbackQueue      *queue);
gboolean  _io_callback_queue_pop        (IoCallbackQueue      *queue,
                                         gsize                 end,
                                         guint                 max_yields,
                                         IoCallbackItem       *item);
void      _io_callback_queue_after_fork (IoCallbackQueue      *queue);

/* The position after the last cell reserved so far: what the consumer
 * may take up to. A tail on a block's last position (the next block is
 * being linked in) ends the queue where that next block starts. Seq-cst,
 * as the producers' compare-and-swap: the loop's look before sleeping
 * either sees a producer's cell or that producer sees the loop sleeping. */
static inline gsize
_io_callback_queue_end (IoCallbackQueue *queue)
{
  gsize pos = __atomic_load_n (&queue->tail, __ATOMIC_SEQ_CST) >> 1;

  if ((pos & (IO_CALLBACK_LAP - 1)) == IO_CALLBACK_BLOCK_CELLS)
    pos++;
  return pos;
}

/* Whether cells were reserved that the consumer has not taken, filled or
 * not: the loop then polls without blocking until they are. */
static inline gboolean
_io_callback_queue_has_items (IoCallbackQueue *queue)
{
  return _io_callback_queue_end (queue) != queue->head;
}

G_END_DECLS
