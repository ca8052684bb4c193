/* test-timer-heap.c: the timer heap alone (internal: ioloop/io-timer-heap.h)
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The heap is pure data structure, the same whatever backend a loop
 * polls with, so these tests run once, not once per backend. Every check
 * compares the heap with a reference it cannot share a bug with: a linear
 * scan for the earliest (deadline, insertion order) pair, or a sorted copy.
 * Random sequences come from fixed seeds, so that a failure repeats; the
 * sizes are counts, never durations, and an alarm bounds the whole run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "io-test-util.h"
#include "ioloop/io-timer-heap.h"

/* An item the heap orders, with what the reference model knows of it. */
typedef struct
{
  IoTimerEntry entry;
  guint        id;
  gboolean     queued;     /* the model's idea of membership */
  gint64       deadline;   /* the model's deadline while queued */
  guint64      order;      /* the model's insertion order while queued */
} Item;

/* The heap's layout, which the checks below read: children of slot i are
 * 4i+1 .. 4i+4. */
#define PARENT(i) (((i) - 1) / 4)
#define FIRST_CHILD(i) ((i) * 4 + 1)

#define ITEM_OF(e) ((Item *) ((char *) (e) - G_STRUCT_OFFSET (Item, entry)))

typedef struct
{
  IoTimerHeap heap;
  Item       *items;
  guint       n_items;
  guint64     next_order;
} Fixture;

static void
fixture_init (Fixture *f,
              guint    n_items)
{
  guint i;

  _io_timer_heap_init (&f->heap);
  f->items = g_new0 (Item, n_items);
  f->n_items = n_items;
  f->next_order = 0;
  for (i = 0; i < n_items; i++)
    {
      _io_timer_entry_init (&f->items[i].entry);
      f->items[i].id = i;
    }
}

static void
fixture_clear (Fixture *f)
{
  _io_timer_heap_clear (&f->heap);
  g_free (f->items);
}

static void
push (Fixture *f,
      guint    id,
      gint64   deadline)
{
  Item *item = &f->items[id];

  g_assert_false (item->queued);
  _io_timer_heap_push (&f->heap, &item->entry, deadline);
  item->queued = TRUE;
  item->deadline = deadline;
  item->order = f->next_order++;
}

static void
remove_item (Fixture *f,
             guint    id)
{
  Item *item = &f->items[id];

  g_assert_true (item->queued);
  _io_timer_heap_remove (&f->heap, &item->entry);
  item->queued = FALSE;
  g_assert_cmpuint (item->entry.index, ==, IO_TIMER_HEAP_NO_INDEX);
  g_assert_false (_io_timer_entry_is_queued (&item->entry));
  g_assert_false (_io_timer_heap_contains (&f->heap, &item->entry));
}

/* A reschedule counts as a fresh insertion in the model too. */
static void
update (Fixture *f,
        guint    id,
        gint64   deadline)
{
  Item *item = &f->items[id];

  g_assert_true (item->queued);
  _io_timer_heap_update (&f->heap, &item->entry, deadline);
  item->deadline = deadline;
  item->order = f->next_order++;
  g_assert_cmpint (_io_timer_heap_get_deadline (&f->heap, &item->entry), ==, deadline);
}

static gboolean
model_before (const Item *a,
              const Item *b)
{
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;
  return a->order < b->order;
}

/* The model's next item: a linear scan, nothing like a heap. */
static Item *
model_first (Fixture *f)
{
  Item *best = NULL;
  guint i;

  for (i = 0; i < f->n_items; i++)
    if (f->items[i].queued && (best == NULL || model_before (&f->items[i], best)))
      best = &f->items[i];
  return best;
}

/* Pops one item and checks that it is the one the model expects. */
static void
pop_expected (Fixture *f)
{
  Item *expected = model_first (f);
  IoTimerEntry *entry;

  if (expected != NULL)
    g_assert_cmpint (_io_timer_heap_next_deadline (&f->heap), ==, expected->deadline);
  else
    g_assert_cmpint (_io_timer_heap_next_deadline (&f->heap), ==, G_MAXINT64);

  entry = _io_timer_heap_pop (&f->heap);
  if (expected == NULL)
    {
      g_assert_null (entry);
      return;
    }
  g_assert_nonnull (entry);
  g_assert_cmpuint (ITEM_OF (entry)->id, ==, expected->id);
  g_assert_cmpuint (entry->index, ==, IO_TIMER_HEAP_NO_INDEX);
  expected->queued = FALSE;
}

/* The heap property, every entry's index, the memory bound, and (if the
 * fixture tracks membership) that heap and model hold the same items. */
static void
check_heap (Fixture *f)
{
  const IoTimerHeap *heap = &f->heap;
  guint i, n_queued = 0;

  g_assert_cmpuint (heap->len, <=, heap->size);
  g_assert_cmpuint (_io_timer_heap_get_length (heap), ==, heap->len);
  g_assert_true (_io_timer_heap_is_empty (heap) == (heap->len == 0));
  /* At most four times the memory in use, past the floor. */
  g_assert_true (heap->size <= IO_TIMER_HEAP_MIN_SIZE || heap->len >= heap->size / 4);

  for (i = 0; i < heap->len; i++)
    {
      const IoTimerNode *node = &heap->nodes[i];

      g_assert_cmpuint (node->entry->index, ==, i);
      g_assert_true (_io_timer_heap_contains (heap, node->entry));
      if (i > 0)
        {
          const IoTimerNode *parent = &heap->nodes[PARENT (i)];

          g_assert_true (parent->deadline < node->deadline ||
                         (parent->deadline == node->deadline &&
                          parent->entry->seq < node->entry->seq));
        }
    }

  if (f->items == NULL)
    return;
  for (i = 0; i < f->n_items; i++)
    {
      Item *item = &f->items[i];

      g_assert_true (_io_timer_heap_contains (heap, &item->entry) == item->queued);
      g_assert_true (_io_timer_entry_is_queued (&item->entry) == item->queued);
      if (item->queued)
        {
          g_assert_cmpint (_io_timer_heap_get_deadline (heap, &item->entry), ==, item->deadline);
          n_queued++;
        }
    }
  g_assert_cmpuint (n_queued, ==, heap->len);
}

/* Pops everything, each against the model, then checks the heap is empty. */
static void
drain_expected (Fixture *f)
{
  while (!_io_timer_heap_is_empty (&f->heap))
    pop_expected (f);
  pop_expected (f);
  check_heap (f);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_empty (void)
{
  IoTimerHeap heap;
  IoTimerEntry entry;

  _io_timer_heap_init (&heap);
  _io_timer_entry_init (&entry);

  g_assert_true (_io_timer_heap_is_empty (&heap));
  g_assert_cmpuint (_io_timer_heap_get_length (&heap), ==, 0);
  g_assert_cmpint (_io_timer_heap_next_deadline (&heap), ==, G_MAXINT64);
  g_assert_null (_io_timer_heap_pop (&heap));
  g_assert_false (_io_timer_heap_contains (&heap, &entry));
  g_assert_false (_io_timer_entry_is_queued (&entry));

  /* Emptied again, it is as good as new. */
  _io_timer_heap_push (&heap, &entry, 5);
  g_assert_false (_io_timer_heap_is_empty (&heap));
  g_assert_cmpint (_io_timer_heap_next_deadline (&heap), ==, 5);
  g_assert_true (_io_timer_heap_pop (&heap) == &entry);
  g_assert_true (_io_timer_heap_is_empty (&heap));
  g_assert_null (_io_timer_heap_pop (&heap));
  g_assert_cmpint (_io_timer_heap_next_deadline (&heap), ==, G_MAXINT64);

  _io_timer_heap_clear (&heap);
  _io_timer_heap_clear (&heap);
  g_assert_null (heap.nodes);
  g_assert_cmpuint (heap.size, ==, 0);
}

static void
test_pops_in_deadline_order (void)
{
  GRand *rand = g_rand_new_with_seed (20260101);
  Fixture f;
  guint i;

  fixture_init (&f, 300);
  for (i = 0; i < f.n_items; i++)
    push (&f, i, g_rand_int_range (rand, -1000000, 1000000));
  check_heap (&f);
  drain_expected (&f);

  fixture_clear (&f);
  g_rand_free (rand);
}

/* The extremes of gint64 are ordered like any other deadline: the heap
 * compares, it never subtracts. */
static void
test_extreme_deadlines (void)
{
  static const gint64 deadlines[] = {
    0, G_MAXINT64, G_MININT64, -1, 1, G_MAXINT64 - 1, G_MININT64 + 1, G_MAXINT64, G_MININT64,
  };
  Fixture f;
  guint i;

  fixture_init (&f, G_N_ELEMENTS (deadlines));
  for (i = 0; i < f.n_items; i++)
    push (&f, i, deadlines[i]);
  check_heap (&f);
  drain_expected (&f);
  fixture_clear (&f);
}

/* Equal deadlines come out in push order, whatever sits around them, and a
 * rescheduled item goes behind those already waiting at its deadline. */
static void
test_ties_pop_in_insertion_order (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  Fixture f;
  guint i;

  fixture_init (&f, 400);
  for (i = 0; i < f.n_items; i++)
    push (&f, i, i % 3 == 0 ? 100 : g_rand_int_range (rand, 0, 200));
  check_heap (&f);

  /* A third of them tie at 100; rescheduling two of those at 100 moves
   * them behind the rest of that tie. */
  update (&f, 0, 100);
  update (&f, 3, 100);
  check_heap (&f);
  drain_expected (&f);

  /* All tied: the order is exactly the push order, 0 .. n-1, with the two
   * rescheduled ones last. */
  for (i = 0; i < f.n_items; i++)
    push (&f, i, 42);
  update (&f, 0, 42);
  update (&f, 1, 42);
  for (i = 2; i < f.n_items; i++)
    g_assert_cmpuint (ITEM_OF (_io_timer_heap_pop (&f.heap))->id, ==, i);
  g_assert_cmpuint (ITEM_OF (_io_timer_heap_pop (&f.heap))->id, ==, 0);
  g_assert_cmpuint (ITEM_OF (_io_timer_heap_pop (&f.heap))->id, ==, 1);
  g_assert_null (_io_timer_heap_pop (&f.heap));
  for (i = 0; i < f.n_items; i++)
    f.items[i].queued = FALSE;
  check_heap (&f);

  fixture_clear (&f);
  g_rand_free (rand);
}

/* The sequence numbers are 64-bit: a tie still holds across 2^32. */
static void
test_ties_hold_across_32_bit_sequence_wrap (void)
{
  Fixture f;
  guint i;

  fixture_init (&f, 8);
  f.heap.next_seq = G_MAXUINT32 - 3;
  for (i = 0; i < f.n_items; i++)
    push (&f, i, 9);
  for (i = 0; i < f.n_items; i++)
    g_assert_cmpuint (ITEM_OF (_io_timer_heap_pop (&f.heap))->id, ==, i);
  for (i = 0; i < f.n_items; i++)
    f.items[i].queued = FALSE;
  check_heap (&f);
  fixture_clear (&f);
}

static Item *
item_at (Fixture *f,
         guint    index)
{
  g_assert_cmpuint (index, <, f->heap.len);
  return ITEM_OF (f->heap.nodes[index].entry);
}

static void
fill_distinct (Fixture *f,
               guint32  seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint i;

  for (i = 0; i < f->n_items; i++)
    push (f, i, (gint64) g_rand_int_range (rand, 0, 1 << 20) * 1000 + i);
  g_rand_free (rand);
  check_heap (f);
}

static void
test_remove_root (void)
{
  Fixture f;

  fixture_init (&f, 200);
  fill_distinct (&f, 11);
  while (f.heap.len > 0)
    {
      remove_item (&f, item_at (&f, 0)->id);
      check_heap (&f);
    }
  fixture_clear (&f);
}

/* The last slot (nothing moves) and other leaves (the last node moves in
 * and may have to go up: its subtree is not the leaf's). */
static void
test_remove_leaf (void)
{
  Fixture f;
  guint first_leaf;

  fixture_init (&f, 200);
  fill_distinct (&f, 12);

  remove_item (&f, item_at (&f, f.heap.len - 1)->id);
  check_heap (&f);

  first_leaf = (f.heap.len - 2) / 4 + 1;
  g_assert_cmpuint (FIRST_CHILD (first_leaf), >=, f.heap.len);
  remove_item (&f, item_at (&f, first_leaf)->id);
  check_heap (&f);
  remove_item (&f, item_at (&f, f.heap.len / 2 + 1)->id);
  check_heap (&f);

  drain_expected (&f);
  fixture_clear (&f);
}

/* A slot with a parent and children: the node moved in may go either way. */
static void
test_remove_middle (void)
{
  Fixture f;
  guint round;

  fixture_init (&f, 400);
  fill_distinct (&f, 13);
  for (round = 0; round < 50; round++)
    {
      guint i = 1 + round % 20;

      g_assert_cmpuint (FIRST_CHILD (i), <, f.heap.len);
      remove_item (&f, item_at (&f, i)->id);
      check_heap (&f);
    }
  drain_expected (&f);
  fixture_clear (&f);
}

/* Removing an item whose replacement belongs above it: the last node is
 * earlier than the removed leaf's parent, so it must sift up. */
static void
test_remove_leaf_sifts_replacement_up (void)
{
  Fixture f;
  guint i;

  /* Slots 1..4 are children of the root; 5..8 of slot 1; 9..12 of slot 2.
   * Filled in order, a large value under slot 1 and small ones under slot
   * 2 mean that removing slot 5 moves the last node (small) under slot 1,
   * whose value is larger. */
  static const gint64 deadlines[] = {
    0, 1000, 10, 20, 30, 2000, 2001, 2002, 2003, 11, 12, 13, 14,
  };

  fixture_init (&f, G_N_ELEMENTS (deadlines));
  for (i = 0; i < f.n_items; i++)
    push (&f, i, deadlines[i]);
  check_heap (&f);
  g_assert_cmpuint (f.items[5].entry.index, ==, 5);
  g_assert_cmpuint (f.items[12].entry.index, ==, 12);

  remove_item (&f, 5);
  check_heap (&f);
  g_assert_cmpuint (f.items[12].entry.index, ==, 1);
  drain_expected (&f);
  fixture_clear (&f);
}

static void
test_update_deadline_up_and_down (void)
{
  GRand *rand = g_rand_new_with_seed (99);
  Fixture f;
  guint i;

  fixture_init (&f, 300);
  fill_distinct (&f, 14);

  /* Earlier than everything: it becomes the root. */
  update (&f, 150, -1);
  check_heap (&f);
  g_assert_cmpuint (item_at (&f, 0)->id, ==, 150);

  /* The root later than everything: it sinks to a leaf. */
  update (&f, 150, G_MAXINT64);
  check_heap (&f);
  g_assert_cmpuint (FIRST_CHILD (f.items[150].entry.index), >=, f.heap.len);

  update (&f, 150, 500);
  check_heap (&f);

  /* Unchanged: it stays put but counts as rescheduled. */
  i = item_at (&f, 7)->id;
  update (&f, i, f.items[i].deadline);
  check_heap (&f);

  for (i = 0; i < 2000; i++)
    {
      guint id = g_rand_int_range (rand, 0, f.n_items);
      gint64 d = f.items[id].deadline;

      update (&f, id, g_rand_boolean (rand) ? d + g_rand_int_range (rand, 0, 1 << 24)
                                            : d - g_rand_int_range (rand, 0, 1 << 24));
      check_heap (&f);
    }
  drain_expected (&f);

  fixture_clear (&f);
  g_rand_free (rand);
}

/* An entry's index is reset by every way out of the heap, and the entry can
 * go back in. */
static void
test_index_reset_on_removal (void)
{
  Fixture f;
  guint i;

  fixture_init (&f, 50);
  fill_distinct (&f, 15);

  remove_item (&f, 10);
  pop_expected (&f);
  for (i = 0; i < f.n_items; i++)
    if (!f.items[i].queued)
      {
        g_assert_cmpuint (f.items[i].entry.index, ==, IO_TIMER_HEAP_NO_INDEX);
        push (&f, i, 5);
      }
  check_heap (&f);

  /* Clearing detaches what is left, so that each entry could be reused. */
  _io_timer_heap_clear (&f.heap);
  for (i = 0; i < f.n_items; i++)
    {
      g_assert_cmpuint (f.items[i].entry.index, ==, IO_TIMER_HEAP_NO_INDEX);
      f.items[i].queued = FALSE;
    }
  g_assert_true (_io_timer_heap_is_empty (&f.heap));
  g_assert_null (f.heap.nodes);
  push (&f, 3, 1);
  check_heap (&f);
  drain_expected (&f);

  fixture_clear (&f);
}

/* Two loops, two heaps: an entry queued in one is not in the other, even
 * where the other has a node at that index. */
static void
test_contains_tells_heaps_apart (void)
{
  IoTimerHeap a, b;
  IoTimerEntry ea[4], eb[4];
  guint i;

  _io_timer_heap_init (&a);
  _io_timer_heap_init (&b);
  for (i = 0; i < 4; i++)
    {
      _io_timer_entry_init (&ea[i]);
      _io_timer_entry_init (&eb[i]);
      _io_timer_heap_push (&a, &ea[i], i);
      _io_timer_heap_push (&b, &eb[i], i);
    }
  for (i = 0; i < 4; i++)
    {
      g_assert_true (_io_timer_heap_contains (&a, &ea[i]));
      g_assert_false (_io_timer_heap_contains (&b, &ea[i]));
      g_assert_false (_io_timer_heap_contains (&a, &eb[i]));
    }
  _io_timer_heap_clear (&a);
  _io_timer_heap_clear (&b);
}

/* Random push, pop, remove and update against the linear-scan model, with
 * narrow deadline ranges so that ties are common. */
static void
random_operations (guint32 seed,
                   guint   n_items,
                   gint    deadline_range)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint n_ops = io_test_scale (60000);
  guint op, counts[4] = { 0 };
  Fixture f;

  g_test_message ("seed %u, %u items, deadlines in [0, %d), %u operations",
                  seed, n_items, deadline_range, n_ops);
  fixture_init (&f, n_items);
  for (op = 0; op < n_ops; op++)
    {
      guint id = g_rand_int_range (rand, 0, n_items);
      gint64 deadline = g_rand_int_range (rand, 0, deadline_range);
      guint kind = g_rand_int_range (rand, 0, 4);

      counts[kind]++;
      switch (kind)
        {
        case 0:
          if (!f.items[id].queued)
            push (&f, id, deadline);
          else
            update (&f, id, deadline);
          break;
        case 1:
          pop_expected (&f);
          break;
        case 2:
          if (f.items[id].queued)
            remove_item (&f, id);
          else
            push (&f, id, deadline);
          break;
        default:
          if (f.items[id].queued)
            update (&f, id, deadline);
          else
            push (&f, id, deadline);
          break;
        }
      /* A full check is O(n): often on small heaps, periodically on big. */
      if (n_items <= 64 || op % 64 == 0)
        check_heap (&f);
    }
  g_test_message ("operations: %u push/update, %u pop, %u remove/push, %u update/push",
                  counts[0], counts[1], counts[2], counts[3]);
  drain_expected (&f);

  fixture_clear (&f);
  g_rand_free (rand);
}

static void
test_random_small_with_many_ties (void)
{
  random_operations (1, 16, 4);
}

static void
test_random_medium (void)
{
  random_operations (2, 500, 1000);
}

static void
test_random_sparse_deadlines (void)
{
  random_operations (3, 200, G_MAXINT32);
}

/* ---- growth and shrinking ------------------------------------------------ */

typedef struct
{
  gint64 deadline;
  guint  id;     /* push order */
} Expected;

static int
compare_expected (gconstpointer pa,
                  gconstpointer pb)
{
  const Expected *a = pa, *b = pb;

  if (a->deadline != b->deadline)
    return a->deadline < b->deadline ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

/* To a large size and back, by pops (in order, against a sorted copy) and
 * then by removals in random order: the array follows the size both ways. */
static void
test_grows_large_and_shrinks_back (void)
{
  GRand *rand = g_rand_new_with_seed (424242);
  guint n = io_test_scale (1000000);
  IoTimerHeap heap;
  IoTimerEntry *entries = g_new (IoTimerEntry, n);
  Expected *expected = g_new (Expected, n);
  guint *perm = g_new (guint, n);
  guint i, peak_size;

  _io_timer_heap_init (&heap);
  for (i = 0; i < n; i++)
    {
      /* Fewer distinct deadlines than entries: many ties. */
      expected[i].deadline = g_rand_int_range (rand, 0, n / 4 + 1);
      expected[i].id = i;
      _io_timer_entry_init (&entries[i]);
      _io_timer_heap_push (&heap, &entries[i], expected[i].deadline);
      g_assert_cmpuint (heap.len, <=, heap.size);
    }
  g_assert_cmpuint (heap.len, ==, n);
  peak_size = heap.size;
  /* Doubling: never more than twice what is used. */
  g_assert_cmpuint (peak_size, <, 2 * n);
  {
    Fixture f = { .heap = heap };
    check_heap (&f);
  }

  qsort (expected, n, sizeof *expected, compare_expected);
  for (i = 0; i < n; i++)
    {
      IoTimerEntry *entry = _io_timer_heap_pop (&heap);

      g_assert_true (entry == &entries[expected[i].id]);
      g_assert_cmpuint (entry->index, ==, IO_TIMER_HEAP_NO_INDEX);
      g_assert_true (heap.size <= IO_TIMER_HEAP_MIN_SIZE || heap.len >= heap.size / 4);
    }
  g_assert_true (_io_timer_heap_is_empty (&heap));
  g_assert_cmpuint (heap.size, ==, IO_TIMER_HEAP_MIN_SIZE);

  /* Again, emptied by removals in random order. */
  for (i = 0; i < n; i++)
    {
      _io_timer_heap_push (&heap, &entries[i], g_rand_int_range (rand, 0, G_MAXINT32));
      perm[i] = i;
    }
  g_assert_cmpuint (heap.size, ==, peak_size);
  for (i = n - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1), t = perm[i];

      perm[i] = perm[j];
      perm[j] = t;
    }
  for (i = 0; i < n; i++)
    {
      _io_timer_heap_remove (&heap, &entries[perm[i]]);
      g_assert_cmpuint (entries[perm[i]].index, ==, IO_TIMER_HEAP_NO_INDEX);
      if (i % (n / 8 + 1) == 0)
        {
          Fixture f = { .heap = heap };
          check_heap (&f);
        }
      g_assert_true (heap.size <= IO_TIMER_HEAP_MIN_SIZE || heap.len >= heap.size / 4);
    }
  g_assert_true (_io_timer_heap_is_empty (&heap));
  g_assert_cmpuint (heap.size, ==, IO_TIMER_HEAP_MIN_SIZE);
  for (i = 0; i < n; i++)
    g_assert_false (_io_timer_entry_is_queued (&entries[i]));

  _io_timer_heap_clear (&heap);
  g_free (perm);
  g_free (expected);
  g_free (entries);
  g_rand_free (rand);
}

/* ---- main -------------------------------------------------------------- */

/* The bound of the whole run: generous, so that only a hang, never a
 * slow machine, reaches it. */
#define WATCHDOG_SECONDS 300

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io_test_alarm_program ("test-timer-heap", WATCHDOG_SECONDS);

  g_test_add_func ("/timer-heap/empty-heap-pops-nothing-and-never-expires", test_empty);
  g_test_add_func ("/timer-heap/pops-in-deadline-order", test_pops_in_deadline_order);
  g_test_add_func ("/timer-heap/extreme-deadlines-are-ordered", test_extreme_deadlines);
  g_test_add_func ("/timer-heap/ties-pop-in-insertion-order", test_ties_pop_in_insertion_order);
  g_test_add_func ("/timer-heap/ties-hold-across-32-bit-sequence-wrap",
                   test_ties_hold_across_32_bit_sequence_wrap);
  g_test_add_func ("/timer-heap/remove-root", test_remove_root);
  g_test_add_func ("/timer-heap/remove-leaf", test_remove_leaf);
  g_test_add_func ("/timer-heap/remove-middle", test_remove_middle);
  g_test_add_func ("/timer-heap/remove-leaf-sifts-replacement-up",
                   test_remove_leaf_sifts_replacement_up);
  g_test_add_func ("/timer-heap/update-deadline-up-and-down", test_update_deadline_up_and_down);
  g_test_add_func ("/timer-heap/removed-entries-have-their-index-reset",
                   test_index_reset_on_removal);
  g_test_add_func ("/timer-heap/contains-tells-heaps-apart", test_contains_tells_heaps_apart);
  g_test_add_func ("/timer-heap/random-operations/small-with-many-ties",
                   test_random_small_with_many_ties);
  g_test_add_func ("/timer-heap/random-operations/medium", test_random_medium);
  g_test_add_func ("/timer-heap/random-operations/sparse-deadlines",
                   test_random_sparse_deadlines);
  g_test_add_func ("/timer-heap/grows-to-a-million-and-shrinks-back",
                   test_grows_large_and_shrinks_back);

  return g_test_run ();
}
