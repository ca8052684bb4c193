/* io-callback-queue.c: the queue behind io_loop_add_callback()
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See io-callback-queue.h for the layout. The orderings, in one place:
 * - a producer fills a cell's user_data and notify, then stores func with
 *   release; the consumer loads func with acquire and only then reads the
 *   rest;
 * - the producer that reserves a block's last cell links the next block
 *   (the old block's `next`, then tail_block, then the tail past the
 *   block's end) before it fills that cell: a consumer that has taken the
 *   last cell finds `next` set. `next` comes first so that, once the tail
 *   has moved on, the link is complete: only the block the tail is
 *   waiting at can be half linked, which keeps fork() repair simple;
 * - the consumer empties a cell's func as it takes it and hands the block
 *   back through the spare stack with release; the producer that takes it
 *   from there acquires, so that it sees every cell empty.
 * A block leaves the queue only once the consumer has taken all its cells,
 * and a producer touches a block only through a cell it reserved there or
 * as the one linking the next block in: no block is freed under anyone.
 */
#include "config.h"

#include "io-callback-queue.h"

#define LAP_MASK (IO_CALLBACK_LAP - 1)
#define CLOSED ((gsize) 1)

/* Emptied blocks kept for reuse: 8 blocks, about 4,000 callbacks and
 * 96 KiB. A producer that outruns the loop for longer gets fresh blocks
 * from malloc, and a big burst does not pin its memory for the life of
 * the loop. */
#define SPARE_MAX 8

/* A cell whose producer is gone (see _io_callback_queue_after_fork()):
 * skipped, never called. */
static void
cell_dropped (gpointer   user_data,
              GError   **error)
{
}

void
_io_callback_queue_init (IoCallbackQueue *queue)
{
  queue->tail = queue->head = 0;
  queue->spare = NULL;
  queue->n_spare = 0;
  /* Zeroed: lap 0, no next, every cell empty. */
  queue->head_block = queue->tail_block = g_new0 (IoCallbackBlock, 1);
}

static void
free_chain (IoCallbackBlock *block)
{
  while (block != NULL)
    {
      IoCallbackBlock *next = block->next;

      g_free (block);
      block = next;
    }
}

/* Frees every block: call once nothing can push any more and the
 * consumer has taken what it wants (closing drops the rest). The queue's
 * blocks and the spare ones are each a chain through `next`. */
void
_io_callback_queue_clear (IoCallbackQueue *queue)
{
  free_chain (queue->head_block);
  free_chain (queue->spare);
  queue->head_block = queue->tail_block = queue->spare = NULL;
  queue->n_spare = 0;
}

/* Only the producer that reserved a block's last cell calls this, and the
 * next such producer cannot reserve before it is done: a single popper. */
static IoCallbackBlock *
take_spare (IoCallbackQueue *queue)
{
  IoCallbackBlock *block = __atomic_load_n (&queue->spare, __ATOMIC_ACQUIRE);

  while (block != NULL &&
         !__atomic_compare_exchange_n (&queue->spare, &block, block->next, TRUE,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    ;
  if (block == NULL)
    return g_new0 (IoCallbackBlock, 1);
  __atomic_sub_fetch (&queue->n_spare, 1, __ATOMIC_RELAXED);
  block->next = NULL;
  return block;
}

static void
give_spare (IoCallbackQueue *queue,
            IoCallbackBlock *block)
{
  if (__atomic_load_n (&queue->n_spare, __ATOMIC_RELAXED) >= SPARE_MAX)
    {
      g_free (block);
      return;
    }
  __atomic_add_fetch (&queue->n_spare, 1, __ATOMIC_RELAXED);
  block->next = __atomic_load_n (&queue->spare, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n (&queue->spare, &block->next, block, TRUE,
                                       __ATOMIC_RELEASE, __ATOMIC_RELAXED))
    ;
}

/* Called by the producer that reserved @block's last cell, before it
 * fills that cell (and by fork() repair). The tail moves with an add, not
 * a store: a close that came in between keeps its bit. */
static void
link_next_block (IoCallbackQueue *queue,
                 IoCallbackBlock *block)
{
  IoCallbackBlock *next = block->next;

  if (next == NULL)
    {
      next = take_spare (queue);
      next->lap = block->lap + 1;
      __atomic_store_n (&block->next, next, __ATOMIC_RELEASE);
    }
  __atomic_store_n (&queue->tail_block, next, __ATOMIC_RELEASE);
  __atomic_add_fetch (&queue->tail, 2, __ATOMIC_RELEASE);
}

/* Returns FALSE, keeping nothing, once the queue is closed. */
gboolean
_io_callback_queue_push (IoCallbackQueue      *queue,
                         const IoCallbackItem *item)
{
  gsize tail = __atomic_load_n (&queue->tail, __ATOMIC_ACQUIRE);
  IoCallbackBlock *block = __atomic_load_n (&queue->tail_block, __ATOMIC_ACQUIRE);
  IoCallbackItem *cell;
  gsize offset;

  for (;;)
    {
      if (G_UNLIKELY (tail & CLOSED))
        return FALSE;
      offset = (tail >> 1) & LAP_MASK;
      if (G_UNLIKELY (offset == IO_CALLBACK_BLOCK_CELLS))
        {
          /* Another producer is linking the next block in: a few stores
           * away, unless it was preempted. */
          g_thread_yield ();
          tail = __atomic_load_n (&queue->tail, __ATOMIC_ACQUIRE);
          block = __atomic_load_n (&queue->tail_block, __ATOMIC_ACQUIRE);
          continue;
        }
      /* Seq-cst: see _io_callback_queue_end(). Success means the tail did
       * not move since we read it, so `block`, read after it, is its
       * block (the tail only grows, so there is no ABA). */
      if (__atomic_compare_exchange_n (&queue->tail, &tail, tail + 2, TRUE,
                                       __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
        break;
      block = __atomic_load_n (&queue->tail_block, __ATOMIC_ACQUIRE);
    }

  if (G_UNLIKELY (offset + 1 == IO_CALLBACK_BLOCK_CELLS))
    link_next_block (queue, block);
  cell = &block->cells[offset];
  cell->user_data = item->user_data;
  cell->notify = item->notify;
  __atomic_store_n (&cell->func, item->func, __ATOMIC_RELEASE);
  return TRUE;
}

/* Refuses later pushes; cells reserved before stay to be taken. */
void
_io_callback_queue_close (IoCallbackQueue *queue)
{
  __atomic_fetch_or (&queue->tail, CLOSED, __ATOMIC_SEQ_CST);
}

/* Takes the oldest callback before @end (from _io_callback_queue_end();
 * a close that took everything since may have left the head past it).
 * FALSE when there is none: the queue is empty up to @end, or the oldest
 * cell is reserved and still not filled after @max_yields yields of the
 * processor. Its producer is between two of its own stores, so a yield
 * or two is enough, unless that producer was preempted on the one CPU
 * both threads share; G_MAXUINT waits for as long as it takes. */
gboolean
_io_callback_queue_pop (IoCallbackQueue *queue,
                        gsize            end,
                        guint            max_yields,
                        IoCallbackItem  *item)
{
  guint yields = 0;

  for (;;)
    {
      gsize pos = queue->head;
      IoCallbackBlock *block = queue->head_block;
      gsize offset = pos & LAP_MASK;
      IoCallbackItem *cell;
      IoCallback func;

      if (pos >= end)
        return FALSE;
      cell = &block->cells[offset];
      func = __atomic_load_n (&cell->func, __ATOMIC_ACQUIRE);
      if (func == NULL)
        {
          if (yields == max_yields)
            return FALSE;
          if (max_yields != G_MAXUINT)
            yields++;
          g_thread_yield ();
          continue;
        }
      item->func = func;
      item->user_data = cell->user_data;
      item->notify = cell->notify;
      __atomic_store_n (&cell->func, NULL, __ATOMIC_RELAXED);

      if (G_UNLIKELY (offset + 1 == IO_CALLBACK_BLOCK_CELLS))
        {
          /* Linked before this cell was filled, so visible now. */
          queue->head_block = __atomic_load_n (&block->next, __ATOMIC_ACQUIRE);
          g_assert (queue->head_block != NULL);
          give_spare (queue, block);
          pos += 2;
        }
      else
        pos++;
      queue->head = pos;

      if (G_LIKELY (func != cell_dropped))
        return TRUE;
    }
}

/* In a child of fork(), only the thread that forked exists: any other
 * producer that was pushing left its cell reserved and never filled, and
 * perhaps the next block half linked in; the consumer, if it was another
 * thread, may have been moving to the next block. Finishes the link and
 * the move, and marks the unfilled cells dropped, so that the consumer
 * neither waits for them nor stops at them. Call it in the child while
 * nothing else can push; it changes nothing if no push was caught. */
void
_io_callback_queue_after_fork (IoCallbackQueue *queue)
{
  IoCallbackBlock *block;
  gsize pos, end;

  if (queue->head_block == NULL)
    return;         /* never initialized */

  /* The consumer moves head_block before head. */
  if (queue->head_block->lap != queue->head / IO_CALLBACK_LAP)
    queue->head = queue->head_block->lap * IO_CALLBACK_LAP;

  pos = queue->tail >> 1;
  if ((pos & LAP_MASK) == IO_CALLBACK_BLOCK_CELLS)
    {
      /* Caught linking the block after the one the tail waits at; every
       * block before it is linked. */
      for (block = queue->head_block; block->lap != pos / IO_CALLBACK_LAP; block = block->next)
        ;
      link_next_block (queue, block);
    }

  end = _io_callback_queue_end (queue);
  for (pos = queue->head, block = queue->head_block; pos < end; )
    {
      gsize offset = pos & LAP_MASK;

      if (block->cells[offset].func == NULL)
        block->cells[offset].func = cell_dropped;
      if (offset + 1 == IO_CALLBACK_BLOCK_CELLS)
        {
          block = block->next;
          pos += 2;
        }
      else
        pos++;
    }
}
