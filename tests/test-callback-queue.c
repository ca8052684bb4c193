/* test-callback-queue.c: the cross-thread callback queue alone (internal:
 * ioloop/io-callback-queue.h)
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The queue is a data structure with no loop and no fd, so these tests
 * run once, not once per backend. Every item carries its producer and its
 * number, so that a test checks what came out against what went in: each
 * producer's items exactly once and in order. The pushes that fork() can
 * catch half done are made by hand, one store at a time, as the producer
 * would have left them. Sizes are counts, never durations, and an alarm
 * bounds the whole run.
 */
#include "config.h"

#include "io-test-util.h"
#include "ioloop/io-callback-queue.h"

#define CELLS IO_CALLBACK_BLOCK_CELLS

/* An item's identity, packed into user_data: producer and number. */
#define ITEM_DATA(producer, n) GSIZE_TO_POINTER (((gsize) (producer) << 32) | (gsize) (n))
#define ITEM_PRODUCER(data) ((guint) (GPOINTER_TO_SIZE (data) >> 32))
#define ITEM_NUMBER(data) ((guint) (GPOINTER_TO_SIZE (data) & 0xffffffffu))

static void
item_func (gpointer data, GError **error)
{
}

static void
item_notify (gpointer data)
{
}

static gboolean
push (IoCallbackQueue *queue,
      guint            producer,
      guint            n)
{
  IoCallbackItem item = { item_func, ITEM_DATA (producer, n), item_notify };

  return _io_callback_queue_push (queue, &item);
}

/* Pops one item, which must exist, and checks it is (@producer, @n). */
static void
assert_pop (IoCallbackQueue *queue,
            guint            producer,
            guint            n)
{
  IoCallbackItem item;

  g_assert_true (_io_callback_queue_pop (queue, _io_callback_queue_end (queue), 0, &item));
  g_assert_true (item.func == item_func);
  g_assert_true (item.notify == item_notify);
  g_assert_cmpuint (ITEM_PRODUCER (item.user_data), ==, producer);
  g_assert_cmpuint (ITEM_NUMBER (item.user_data), ==, n);
}

static void
assert_empty (IoCallbackQueue *queue)
{
  IoCallbackItem item;

  g_assert_false (_io_callback_queue_has_items (queue));
  g_assert_false (_io_callback_queue_pop (queue, _io_callback_queue_end (queue), 0, &item));
}

/* Reserves the next cell as a producer's compare-and-swap would, and
 * fills nothing: a producer stopped right after it. Returns the cell's
 * position. */
static gsize
reserve_only (IoCallbackQueue *queue)
{
  gsize pos = queue->tail >> 1;

  g_assert_cmpuint (pos % IO_CALLBACK_LAP, <, CELLS);
  queue->tail += 2;
  return pos;
}

/* ---- one thread -------------------------------------------------------- */

static void
test_empty_queue_pops_nothing (void)
{
  IoCallbackQueue queue;

  _io_callback_queue_init (&queue);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

static void
test_pops_in_push_order_across_blocks (void)
{
  IoCallbackQueue queue;
  guint i, n = 5 * CELLS + 7;

  _io_callback_queue_init (&queue);
  /* Interleaved pushes and pops, so that blocks are both linked in and
   * handed back for reuse while others are still full. */
  for (i = 0; i < n; i++)
    {
      g_assert_true (push (&queue, 0, i));
      if (i % 3 == 2)
        assert_pop (&queue, 0, i / 3);
    }
  for (i = n / 3; i < n; i++)
    assert_pop (&queue, 0, i);
  assert_empty (&queue);

  /* Spare blocks come back into use with their cells empty. */
  for (i = 0; i < 3 * CELLS; i++)
    g_assert_true (push (&queue, 1, i));
  for (i = 0; i < 3 * CELLS; i++)
    assert_pop (&queue, 1, i);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

static void
test_pop_stops_at_the_end_it_was_given (void)
{
  IoCallbackQueue queue;
  IoCallbackItem item;
  gsize end;
  guint i;

  _io_callback_queue_init (&queue);
  /* An end on a block's boundary, and one inside a block. */
  for (i = 0; i < CELLS; i++)
    push (&queue, 0, i);
  end = _io_callback_queue_end (&queue);
  push (&queue, 0, CELLS);
  for (i = 0; i < CELLS; i++)
    g_assert_true (_io_callback_queue_pop (&queue, end, 0, &item));
  g_assert_false (_io_callback_queue_pop (&queue, end, 0, &item));
  g_assert_true (_io_callback_queue_has_items (&queue));
  assert_pop (&queue, 0, CELLS);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

static void
test_closed_queue_refuses_pushes_and_keeps_earlier_ones (void)
{
  IoCallbackQueue queue;
  guint i;

  _io_callback_queue_init (&queue);
  for (i = 0; i < CELLS + 2; i++)
    g_assert_true (push (&queue, 0, i));
  _io_callback_queue_close (&queue);
  g_assert_false (push (&queue, 0, 999));
  for (i = 0; i < CELLS + 2; i++)
    assert_pop (&queue, 0, i);
  assert_empty (&queue);
  g_assert_false (push (&queue, 0, 1000));
  _io_callback_queue_clear (&queue);
}

/* ---- pushes that fork() caught half done ------------------------------- */

static void
test_cell_reserved_and_never_filled_is_dropped_after_fork (void)
{
  IoCallbackQueue queue;
  IoCallbackItem item;

  _io_callback_queue_init (&queue);
  push (&queue, 0, 0);
  reserve_only (&queue);
  push (&queue, 0, 2);

  assert_pop (&queue, 0, 0);
  /* The reserved cell holds the queue up, however long one waits... */
  g_assert_false (_io_callback_queue_pop (&queue, _io_callback_queue_end (&queue), 3, &item));
  g_assert_true (_io_callback_queue_has_items (&queue));

  /* ...until the child knows its producer is gone. */
  _io_callback_queue_after_fork (&queue);
  assert_pop (&queue, 0, 2);
  assert_empty (&queue);
  g_assert_true (push (&queue, 0, 3));
  assert_pop (&queue, 0, 3);
  _io_callback_queue_clear (&queue);
}

/* How far the producer that reserved a block's last cell got before the
 * fork: the steps of link_next_block(), in order, and then the fill. */
typedef enum
{
  LINK_RESERVED,          /* its compare-and-swap only */
  LINK_NEXT,              /* + block->next = next */
  LINK_TAIL_BLOCK,        /* + tail_block = next */
  LINK_DONE,              /* + the tail moved past the block's end; then
                           * other producers filled the next block and
                           * linked the one after: the cell stays empty */
} LinkStep;

static void
check_half_linked_block_is_finished_after_fork (LinkStep step)
{
  IoCallbackQueue queue;
  IoCallbackBlock *block, *next;
  guint i, others = 0;

  _io_callback_queue_init (&queue);
  for (i = 0; i < CELLS - 1; i++)
    push (&queue, 0, i);
  block = queue.tail_block;
  reserve_only (&queue);
  next = g_new0 (IoCallbackBlock, 1);
  next->lap = block->lap + 1;
  if (step >= LINK_NEXT)
    block->next = next;
  else
    g_free (next);
  if (step >= LINK_TAIL_BLOCK)
    queue.tail_block = next;
  if (step >= LINK_DONE)
    {
      queue.tail += 2;
      for (; others < CELLS + 10; others++)
        push (&queue, 1, others);
    }

  _io_callback_queue_after_fork (&queue);

  /* The child's own pushes go on where the queue was. */
  for (i = others; i < others + 2 * CELLS; i++)
    g_assert_true (push (&queue, 1, i));
  for (i = 0; i < CELLS - 1; i++)
    assert_pop (&queue, 0, i);
  for (i = 0; i < others + 2 * CELLS; i++)
    assert_pop (&queue, 1, i);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

static void
test_block_link_caught_after_reserving (void)
{
  check_half_linked_block_is_finished_after_fork (LINK_RESERVED);
}

static void
test_block_link_caught_after_linking_next (void)
{
  check_half_linked_block_is_finished_after_fork (LINK_NEXT);
}

static void
test_block_link_caught_after_publishing_block (void)
{
  check_half_linked_block_is_finished_after_fork (LINK_TAIL_BLOCK);
}

static void
test_block_link_caught_before_filling_cell (void)
{
  check_half_linked_block_is_finished_after_fork (LINK_DONE);
}

/* The consumer (a thread other than the one that forked) had moved to the
 * next block but not yet its position: the callback it had taken is
 * gone with it, and the child goes on from the next one. */
static void
test_consumer_caught_between_blocks_goes_on_after_fork (void)
{
  IoCallbackQueue queue;
  guint i;

  _io_callback_queue_init (&queue);
  for (i = 0; i < CELLS + 3; i++)
    push (&queue, 0, i);
  for (i = 0; i < CELLS; i++)
    assert_pop (&queue, 0, i);
  /* Where pop() was between its two stores. */
  queue.head -= 2;

  _io_callback_queue_after_fork (&queue);
  for (i = CELLS; i < CELLS + 3; i++)
    assert_pop (&queue, 0, i);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

static void
test_after_fork_without_caught_pushes_changes_nothing (void)
{
  IoCallbackQueue queue;
  guint i;

  _io_callback_queue_init (&queue);
  for (i = 0; i < CELLS + 5; i++)
    push (&queue, 0, i);
  for (i = 0; i < 3; i++)
    assert_pop (&queue, 0, i);
  _io_callback_queue_after_fork (&queue);
  _io_callback_queue_after_fork (&queue);
  for (i = 3; i < CELLS + 5; i++)
    assert_pop (&queue, 0, i);
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

/* ---- threads ------------------------------------------------------------ */

#define N_PRODUCERS 4

typedef struct
{
  IoCallbackQueue *queue;
  guint            id;
  guint            count;      /* to push, unless refused first */
  guint            pushed;     /* out */
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;

  for (p->pushed = 0; p->pushed < p->count; p->pushed++)
    if (!push (p->queue, p->id, p->pushed))
      break;
  return NULL;
}

/* Pops until @total items came out (or, with @until_closed, until the
 * queue is closed and empty), checking that each producer's items come
 * in order, each once. Returns how many came out. */
static guint
consume (IoCallbackQueue *queue,
         guint            total,
         guint            next[N_PRODUCERS],
         const gint      *closed)
{
  IoCallbackItem item;
  guint taken = 0;

  for (;;)
    {
      gboolean was_closed = closed != NULL && g_atomic_int_get (closed);
      gsize end = _io_callback_queue_end (queue);
      guint producer;

      if (!_io_callback_queue_pop (queue, end, was_closed ? G_MAXUINT : 1, &item))
        {
          if (closed == NULL ? taken == total : was_closed && !_io_callback_queue_has_items (queue))
            return taken;
          g_thread_yield ();
          continue;
        }
      producer = ITEM_PRODUCER (item.user_data);
      g_assert_cmpuint (producer, <, N_PRODUCERS);
      g_assert_cmpuint (ITEM_NUMBER (item.user_data), ==, next[producer]);
      next[producer]++;
      taken++;
    }
}

static void
test_producers_items_come_out_once_each_in_their_order (void)
{
  IoCallbackQueue queue;
  Producer producers[N_PRODUCERS];
  GThread *threads[N_PRODUCERS];
  guint next[N_PRODUCERS] = { 0 };
  guint i, count = 200000;

  _io_callback_queue_init (&queue);
  for (i = 0; i < N_PRODUCERS; i++)
    {
      producers[i] = (Producer) { &queue, i, count, 0 };
      threads[i] = g_thread_new ("producer", producer_thread, &producers[i]);
    }
  g_assert_cmpuint (consume (&queue, N_PRODUCERS * count, next, NULL), ==, N_PRODUCERS * count);
  for (i = 0; i < N_PRODUCERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (next[i], ==, count);
    }
  assert_empty (&queue);
  _io_callback_queue_clear (&queue);
}

typedef struct
{
  IoCallbackQueue *queue;
  gint             closed;    /* set once the close is done */
} Closer;

static gpointer
close_after_a_while (gpointer data)
{
  Closer *c = data;

  /* A count, not a time: some blocks into the producers' run. */
  while (_io_callback_queue_end (c->queue) < 10 * IO_CALLBACK_LAP)
    g_thread_yield ();
  _io_callback_queue_close (c->queue);
  g_atomic_int_set (&c->closed, 1);
  return NULL;
}

/* Every push either is refused or comes out: none is lost to the close,
 * whatever it raced with (a reservation, a block being linked in, the
 * consumer). */
static void
test_close_racing_with_producers_loses_nothing (void)
{
  /* Bounded, so that a producer that outruns everything (valgrind runs
   * one thread at a time) stops by itself; the close still comes after
   * some ten blocks, well before that. */
  guint round, rounds = io_test_scale (20), count = io_test_scale (100000);

  for (round = 0; round < rounds; round++)
    {
      IoCallbackQueue queue;
      Producer producers[N_PRODUCERS];
      GThread *threads[N_PRODUCERS], *closer;
      guint next[N_PRODUCERS] = { 0 };
      guint i, pushed = 0, taken;
      Closer c = { &queue, 0 };

      _io_callback_queue_init (&queue);
      for (i = 0; i < N_PRODUCERS; i++)
        {
          producers[i] = (Producer) { &queue, i, count, 0 };
          threads[i] = g_thread_new ("producer", producer_thread, &producers[i]);
        }
      closer = g_thread_new ("closer", close_after_a_while, &c);
      taken = consume (&queue, 0, next, &c.closed);
      g_thread_join (closer);
      for (i = 0; i < N_PRODUCERS; i++)
        {
          g_thread_join (threads[i]);
          pushed += producers[i].pushed;
          g_assert_cmpuint (next[i], ==, producers[i].pushed);
        }
      g_assert_cmpuint (taken, ==, pushed);
      _io_callback_queue_clear (&queue);
    }
}

/* ---- main -------------------------------------------------------------- */

/* The bound of the whole run: generous, so that only a hang, never a
 * slow machine, reaches it. */
#define WATCHDOG_SECONDS 300

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io_test_alarm_program ("test-callback-queue", WATCHDOG_SECONDS);

  g_test_add_func ("/callback-queue/empty-queue-pops-nothing", test_empty_queue_pops_nothing);
  g_test_add_func ("/callback-queue/pops-in-push-order-across-blocks",
                   test_pops_in_push_order_across_blocks);
  g_test_add_func ("/callback-queue/pop-stops-at-the-end-it-was-given",
                   test_pop_stops_at_the_end_it_was_given);
  g_test_add_func ("/callback-queue/closed-queue-refuses-pushes-and-keeps-earlier-ones",
                   test_closed_queue_refuses_pushes_and_keeps_earlier_ones);
  g_test_add_func ("/callback-queue/fork/cell-reserved-and-never-filled-is-dropped",
                   test_cell_reserved_and_never_filled_is_dropped_after_fork);
  g_test_add_func ("/callback-queue/fork/block-link-caught-after-reserving",
                   test_block_link_caught_after_reserving);
  g_test_add_func ("/callback-queue/fork/block-link-caught-after-linking-next",
                   test_block_link_caught_after_linking_next);
  g_test_add_func ("/callback-queue/fork/block-link-caught-after-publishing-block",
                   test_block_link_caught_after_publishing_block);
  g_test_add_func ("/callback-queue/fork/block-link-caught-before-filling-cell",
                   test_block_link_caught_before_filling_cell);
  g_test_add_func ("/callback-queue/fork/consumer-caught-between-blocks-goes-on",
                   test_consumer_caught_between_blocks_goes_on_after_fork);
  g_test_add_func ("/callback-queue/fork/no-caught-push-changes-nothing",
                   test_after_fork_without_caught_pushes_changes_nothing);
  g_test_add_func ("/callback-queue/threads/producers-items-come-out-once-each-in-order",
                   test_producers_items_come_out_once_each_in_their_order);
  g_test_add_func ("/callback-queue/threads/close-racing-with-producers-loses-nothing",
                   test_close_racing_with_producers_loses_nothing);

  return g_test_run ();
}
