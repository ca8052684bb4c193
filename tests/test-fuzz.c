/* test-fuzz.c: a seeded fuzzer of API call sequences
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Makes random sequences of calls, from the main loop body and from inside
 * the callbacks themselves, as a hostile user would: handlers added,
 * updated and removed on real pipes and socket pairs whose fds are closed,
 * shut down or dup2()'d over behind the loop's back; timeouts removed
 * before, inside and after their callbacks; callbacks added from callbacks
 * and from another thread; a periodic callback started and stopped inside
 * its own callback; nested io_loop_iteration() and io_loop_start() (which
 * must fail cleanly), io_loop_stop() and start again; callbacks that fail
 * with a GError; and loops closed with work still pending.
 *
 * Invariants, checked as it goes and at the end of every round (one round
 * is one loop, from creation to finalization):
 * - every notify of something the loop took runs exactly once, and never
 *   for something it refused;
 * - no callback runs after its removal, a timeout or a callback runs at
 *   most once, a handler only sees the events it asked for plus ERROR;
 * - a removed timeout's notify runs at once;
 * - every failing callback is reported once, as IoLoop::callback-exception;
 * - no sanitizer report (the ASan and TSan builds run this too).
 *
 * The seed is printed; IO_FUZZ_SEED=N repeats a run (the thread and the
 * clock make a repeat follow the same calls, not always the same
 * interleaving). IO_FUZZ_SECONDS is the time per backend (default 2, a
 * quarter of that with IO_TEST_QUICK); `make fuzz SECONDS=600` runs long.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "io-test-util.h"

#define N_PAIRS        6
#define MAX_ITEMS      3000     /* per round: bounds callback chains */
#define MAX_DEPTH      3        /* of calls made from inside callbacks */
#define ROUND_SECONDS  0.25

#define FUZZ_ERROR (g_quark_from_static_string ("io-fuzz-error"))

typedef enum
{
  KIND_HANDLER,
  KIND_TIMEOUT,
  KIND_CALLBACK,
  KIND_THREAD_CALLBACK,
  KIND_PERIODIC,
} Kind;

typedef struct _Fuzz Fuzz;

/* One thing given to the loop (or offered to it and refused). */
typedef struct
{
  Fuzz      *fz;
  Kind       kind;
  guint      id;
  gboolean   taken;     /* the loop accepted it: its notify must run once */
  gboolean   removed;   /* removed, or ran (timeouts, callbacks) */
  gint       runs;      /* atomic for thread callbacks */
  gint       notifies;  /* atomic for thread callbacks */
  gboolean   fail;      /* sets a GError when it runs */
  int        fd;        /* handlers */
  IoEvents   events;
  IoTimeout *timeout;   /* timeouts: a valid handle, or NULL */
  gboolean   has_ref;   /* we hold a reference on @timeout */
  gboolean   guard;     /* a timeout the round needs: never removed at random */
} Item;

typedef struct
{
  int      fds[2];
  gboolean pipe;        /* fds[0] the read end, fds[1] the write end */
} Pair;

struct _Fuzz
{
  const char         *backend;
  IoLoop             *loop;
  GRand              *rand;
  guint               round;
  GPtrArray          *items;          /* of Item, owned */
  GPtrArray          *thread_items;   /* of Item, owned; the thread's */
  Pair                pairs[N_PAIRS];
  Item               *handler_of[N_PAIRS][2];
  IoPeriodicCallback *periodic;
  Item               *periodic_item;
  gboolean            periodic_running;
  gint                depth;
  int                 closed_slot;    /* its fds are closed now, or -1 */
  gint                expected_exceptions;
  gint                exceptions;
  gboolean            in_start;
  GThread            *thread;
  gint                stop_thread;    /* atomic */
  guint32             thread_seed;
  guint64             ops;
};

static gboolean
chance (Fuzz *fz, gdouble p)
{
  return g_rand_double (fz->rand) < p;
}

static int
pick (Fuzz *fz, int n)
{
  return g_rand_int_range (fz->rand, 0, n);
}

static Item *
item_new (Fuzz *fz, Kind kind)
{
  Item *item = g_new0 (Item, 1);

  item->fz = fz;
  item->kind = kind;
  item->id = fz->items->len;
  item->fd = -1;
  item->fail = chance (fz, 0.1);
  g_ptr_array_add (fz->items, item);
  return item;
}

static void
item_notify (gpointer data)
{
  Item *item = data;

  if (g_atomic_int_add (&item->notifies, 1) != 0)
    g_error ("round %u: notify of item %u (kind %d) ran twice", item->fz->round,
             item->id, item->kind);
  if (!item->taken)
    g_error ("round %u: notify of item %u (kind %d) ran, but the loop refused it",
             item->fz->round, item->id, item->kind);
}

static void
maybe_fail (Item *item, GError **error)
{
  if (item->fail)
    {
      item->fz->expected_exceptions++;
      g_set_error (error, FUZZ_ERROR, 1, "item %u fails on purpose", item->id);
    }
}

/* Counted, and kept from the default handler, which would log them. */
static void
on_callback_exception (IoLoop *loop, const GError *error, gpointer data)
{
  Fuzz *fz = data;

  g_assert_true (g_error_matches (error, FUZZ_ERROR, 1));
  fz->exceptions++;
  g_signal_stop_emission_by_name (loop, "callback-exception");
}

static void fuzz_step (Fuzz *fz);

/* ---- fds --------------------------------------------------------------- */

static void
pair_open (Pair *pair, gboolean pipe_pair)
{
  GError *error = NULL;

  pair->pipe = pipe_pair;
  if (pipe_pair)
    {
      g_assert_true (g_unix_open_pipe (pair->fds, FD_CLOEXEC, &error));
      g_assert_no_error (error);
      g_assert_true (g_unix_set_fd_nonblocking (pair->fds[0], TRUE, NULL));
      g_assert_true (g_unix_set_fd_nonblocking (pair->fds[1], TRUE, NULL));
    }
  else
    io_test_socketpair (pair->fds);
}

/* The fds of @slot become a new pair, with the same numbers, behind the
 * loop's back. With @leave_closed, one non-blocking iteration runs while
 * the old fds are closed and the numbers free. */
static void
pair_replace (Fuzz *fz, int slot, gboolean leave_closed)
{
  Pair *pair = &fz->pairs[slot];
  Pair fresh;

  /* Opened while the old numbers are taken, so that none is reused. */
  pair_open (&fresh, chance (fz, 0.5));
  if (leave_closed && fz->depth == 0)
    {
      GError *error = NULL;

      close (pair->fds[0]);
      close (pair->fds[1]);
      fz->closed_slot = slot;
      if (!io_loop_iteration (fz->loop, FALSE, &error))
        g_assert_no_error (error);
      fz->closed_slot = -1;
    }
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpint (dup2 (fresh.fds[i], pair->fds[i]), ==, pair->fds[i]);
      close (fresh.fds[i]);
    }
  pair->pipe = fresh.pipe;
}

static void
poke (Fuzz *fz)
{
  int slot = pick (fz, N_PAIRS);
  Pair *pair = &fz->pairs[slot];
  char byte = 'x';
  ssize_t n;

  if (slot == fz->closed_slot)
    return;
  /* No SIGPIPE from a socket whose peer was shut down. */
  if (pair->pipe)
    n = write (pair->fds[1], &byte, 1);
  else
    n = send (pair->fds[pick (fz, 2)], &byte, 1, MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EPIPE && errno != ECONNRESET && errno != ENOTCONN)
    g_error ("write to a pair: %s", g_strerror (errno));
}

static void
drain (int fd)
{
  char buf[4096];

  for (int i = 0; i < 4; i++)
    if (read (fd, buf, sizeof buf) <= 0)
      break;
}

/* ---- handlers ---------------------------------------------------------- */

static IoEvents
random_events (Fuzz *fz)
{
  static const IoEvents choices[] = {
    IO_EVENTS_NONE, IO_EVENTS_READ, IO_EVENTS_WRITE, IO_EVENTS_READ | IO_EVENTS_WRITE,
    IO_EVENTS_READ | IO_EVENTS_ERROR, IO_EVENTS_READ,
  };

  return choices[pick (fz, G_N_ELEMENTS (choices))];
}

static void handler_add (Fuzz *fz, int slot, int end);

static void
handler_remove (Fuzz *fz, int slot, int end)
{
  Item *item = fz->handler_of[slot][end];
  GError *error = NULL;
  gboolean ok;

  ok = io_loop_remove_handler (fz->loop, fz->pairs[slot].fds[end], &error);
  if (item == NULL)
    {
      g_assert_false (ok);
      io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  item->removed = TRUE;
  fz->handler_of[slot][end] = NULL;
}

static void
handler_cb (int fd, IoEvents events, gpointer data, GError **error)
{
  Item *item = data;
  Fuzz *fz = item->fz;
  int slot = -1, end = -1;

  if (item->removed)
    g_error ("round %u: handler %u on fd %d ran after its removal", fz->round, item->id, fd);
  g_assert_cmpint (fd, ==, item->fd);
  if ((events & ~(item->events | IO_EVENTS_ERROR)) != 0)
    g_error ("round %u: handler %u for events 0x%x was given 0x%x", fz->round, item->id,
             item->events, events);
  item->runs++;

  for (int s = 0; s < N_PAIRS; s++)
    for (int e = 0; e < 2; e++)
      if (fz->handler_of[s][e] == item)
        slot = s, end = e;
  g_assert_cmpint (slot, >=, 0);

  if (events & IO_EVENTS_READ)
    drain (fd);

  fz->depth++;
  if (fz->depth <= MAX_DEPTH && chance (fz, 0.3))
    fuzz_step (fz);
  fz->depth--;

  /* fuzz_step() may have removed us: only a live handler acts on itself. */
  if (fz->handler_of[slot][end] == item)
    {
      /* Hang-ups stay: most handlers go away then, as real ones do. */
      if ((events & IO_EVENTS_ERROR) ? chance (fz, 0.7) : chance (fz, 0.1))
        {
          handler_remove (fz, slot, end);
          if (chance (fz, 0.3))
            handler_add (fz, slot, end);
        }
      else if (chance (fz, 0.1))
        {
          IoEvents new_events = random_events (fz);
          GError *local = NULL;

          if (io_loop_update_handler (fz->loop, fd, new_events, &local))
            item->events = new_events;
          else
            {
              g_assert_cmpint (slot, ==, fz->closed_slot);
              io_test_assert_error (local, IO_LOOP_ERROR_BAD_FD);
            }
        }
    }
  maybe_fail (item, error);
}

static void
handler_add (Fuzz *fz, int slot, int end)
{
  int fd = fz->pairs[slot].fds[end];
  Item *item = item_new (fz, KIND_HANDLER);
  GError *error = NULL;
  gboolean ok;

  item->fd = fd;
  item->events = random_events (fz);
  ok = io_loop_add_handler (fz->loop, fd, item->events, handler_cb, item, item_notify, &error);
  if (fz->handler_of[slot][end] != NULL)
    {
      g_assert_false (ok);
      io_test_assert_error (error, IO_LOOP_ERROR_EXISTS);
      item->removed = TRUE;
      return;
    }
  /* A closed fd is refused, except that a number whose handler was
   * removed since the last poll is not checked again until that poll,
   * which then reports it as ERROR. */
  if (slot == fz->closed_slot && !ok)
    {
      io_test_assert_error (error, IO_LOOP_ERROR_BAD_FD);
      item->removed = TRUE;
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  item->taken = TRUE;
  fz->handler_of[slot][end] = item;
}

static void
handler_update (Fuzz *fz, int slot, int end)
{
  Item *item = fz->handler_of[slot][end];
  IoEvents events = random_events (fz);
  GError *error = NULL;
  gboolean ok;

  ok = io_loop_update_handler (fz->loop, fz->pairs[slot].fds[end], events, &error);
  if (item == NULL)
    {
      g_assert_false (ok);
      io_test_assert_error (error, IO_LOOP_ERROR_NOT_FOUND);
      return;
    }
  /* A closed fd may be refused now or reported as ERROR later. */
  if (slot == fz->closed_slot && !ok)
    {
      io_test_assert_error (error, IO_LOOP_ERROR_BAD_FD);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  item->events = events;
}

/* ---- timeouts and callbacks -------------------------------------------- */

static void timeout_add (Fuzz *fz);
static void callback_add (Fuzz *fz);

static void
timeout_cb (gpointer data, GError **error)
{
  Item *item = data;
  Fuzz *fz = item->fz;

  if (item->removed)
    g_error ("round %u: timeout %u ran after its removal", fz->round, item->id);
  g_assert_cmpint (item->runs, ==, 0);
  item->runs++;
  item->removed = TRUE;

  /* Removing a timeout inside its own callback does nothing; it can only
   * be named while we hold a reference. */
  if (item->has_ref && chance (fz, 0.5))
    {
      io_loop_remove_timeout (fz->loop, item->timeout);
      g_assert_cmpint (item->notifies, ==, 0);
    }
  if (!item->has_ref)
    item->timeout = NULL;

  fz->depth++;
  if (fz->depth <= MAX_DEPTH && chance (fz, 0.4))
    fuzz_step (fz);
  fz->depth--;
  maybe_fail (item, error);
}

static void
stop_cb (gpointer data, GError **error)
{
  Item *item = data;

  if (item->removed)
    g_error ("round %u: stop timeout %u ran after its removal", item->fz->round, item->id);
  item->runs++;
  item->removed = TRUE;
  item->timeout = NULL;
  io_loop_stop (item->fz->loop);
}

static Item *
timeout_add_full (Fuzz *fz, gdouble delay, IoCallback func, gboolean guard)
{
  Item *item = item_new (fz, KIND_TIMEOUT);
  GError *error = NULL;

  if (func == stop_cb)
    item->fail = FALSE;
  if (chance (fz, 0.5))
    item->timeout = io_loop_call_later (fz->loop, delay, func, item, item_notify, &error);
  else
    item->timeout = io_loop_add_timeout (fz->loop, io_loop_time (fz->loop) + delay,
                                         func, item, item_notify, &error);
  g_assert_no_error (error);
  g_assert_nonnull (item->timeout);
  item->taken = TRUE;
  item->guard = guard;
  if (!guard && chance (fz, 0.3))
    {
      io_timeout_ref (item->timeout);
      item->has_ref = TRUE;
    }
  return item;
}

static void
timeout_add (Fuzz *fz)
{
  /* Some are due already (negative delays are in the past). */
  timeout_add_full (fz, g_rand_double_range (fz->rand, -0.001, 0.004), timeout_cb, FALSE);
}

/* Removes a random timeout: pending (its notify runs now), fired (with a
 * reference: nothing happens) or already removed. */
static void
timeout_remove_random (Fuzz *fz)
{
  for (int tries = 0; tries < 8; tries++)
    {
      Item *item = g_ptr_array_index (fz->items, pick (fz, fz->items->len));
      gboolean pending;

      if (item->kind != KIND_TIMEOUT || item->timeout == NULL || item->guard)
        continue;
      pending = !item->removed;
      io_loop_remove_timeout (fz->loop, item->timeout);
      if (pending)
        {
          item->removed = TRUE;
          if (g_atomic_int_get (&item->notifies) != 1)
            g_error ("round %u: notify of removed timeout %u did not run at once", fz->round,
                     item->id);
        }
      if (item->has_ref && chance (fz, 0.5))
        {
          io_timeout_unref (item->timeout);
          item->has_ref = FALSE;
        }
      if (!item->has_ref)
        item->timeout = NULL;
      return;
    }
}

static void
callback_cb (gpointer data, GError **error)
{
  Item *item = data;
  Fuzz *fz = item->fz;

  if (item->runs != 0)
    g_error ("round %u: callback %u ran twice", fz->round, item->id);
  item->runs++;
  item->removed = TRUE;

  /* Chains of callbacks that add callbacks, and nested loop calls. */
  fz->depth++;
  if (fz->depth <= MAX_DEPTH)
    {
      if (chance (fz, 0.3))
        callback_add (fz);
      if (chance (fz, 0.3))
        fuzz_step (fz);
    }
  fz->depth--;
  maybe_fail (item, error);
}

static void
callback_add (Fuzz *fz)
{
  Item *item = item_new (fz, KIND_CALLBACK);

  item->taken = TRUE;
  io_loop_add_callback (fz->loop, callback_cb, item, item_notify);
}

/* ---- the periodic callback --------------------------------------------- */

static void
periodic_cb (gpointer data, GError **error)
{
  Item *item = data;
  Fuzz *fz = item->fz;

  if (!fz->periodic_running)
    g_error ("round %u: the periodic callback ran while stopped", fz->round);
  item->runs++;

  /* Stopped, and maybe started again, from inside its own callback. */
  if (chance (fz, 0.3))
    {
      io_periodic_callback_stop (fz->periodic);
      fz->periodic_running = FALSE;
      if (chance (fz, 0.5))
        {
          io_periodic_callback_start (fz->periodic);
          fz->periodic_running = TRUE;
        }
    }
  g_assert_cmpint (io_periodic_callback_is_running (fz->periodic), ==, fz->periodic_running);
  if (chance (fz, 0.05))
    {
      fz->expected_exceptions++;
      g_set_error (error, FUZZ_ERROR, 1, "the periodic callback fails");
    }
}

static void
periodic_toggle (Fuzz *fz)
{
  if (fz->periodic_running)
    io_periodic_callback_stop (fz->periodic);
  else
    io_periodic_callback_start (fz->periodic);
  fz->periodic_running = !fz->periodic_running;
}

/* ---- nesting ----------------------------------------------------------- */

/* From inside a callback: the loop is not re-entrant, and says so. */
static void
nested_calls (Fuzz *fz)
{
  GError *error = NULL;

  g_assert_false (io_loop_iteration (fz->loop, chance (fz, 0.5), &error));
  io_test_assert_error (error, IO_LOOP_ERROR_RUNNING);
  g_assert_false (io_loop_start (fz->loop, &error));
  io_test_assert_error (error, IO_LOOP_ERROR_RUNNING);
}

/* ---- the other thread -------------------------------------------------- */

static void
thread_callback_cb (gpointer data, GError **error)
{
  Item *item = data;

  if (g_atomic_int_add (&item->runs, 1) != 0)
    g_error ("round %u: thread callback %u ran twice", item->fz->round, item->id);
  if (item->fail)
    {
      item->fz->expected_exceptions++;
      g_set_error (error, FUZZ_ERROR, 1, "thread item fails on purpose");
    }
}

static gpointer
thread_main (gpointer data)
{
  Fuzz *fz = data;
  IoLoop *loop = g_object_ref (fz->loop);
  GRand *rand = g_rand_new_with_seed (fz->thread_seed);

  while (!g_atomic_int_get (&fz->stop_thread))
    {
      Item *item = g_new0 (Item, 1);

      item->fz = fz;
      item->kind = KIND_THREAD_CALLBACK;
      item->id = fz->thread_items->len;
      item->fd = -1;
      item->taken = TRUE;
      item->fail = g_rand_double (rand) < 0.05;
      g_ptr_array_add (fz->thread_items, item);
      io_loop_add_callback (loop, thread_callback_cb, item, item_notify);
      if (fz->thread_items->len >= MAX_ITEMS)
        break;
      g_usleep (g_rand_int_range (rand, 0, 400));
    }
  g_rand_free (rand);
  g_object_unref (loop);
  return NULL;
}

/* ---- one step ---------------------------------------------------------- */

static void
fuzz_step (Fuzz *fz)
{
  int slot = pick (fz, N_PAIRS), end = pick (fz, 2);

  if (fz->items->len >= MAX_ITEMS)
    return;
  fz->ops++;
  switch (pick (fz, 14))
    {
    case 0:
    case 1:
      handler_add (fz, slot, end);
      break;
    case 2:
      handler_update (fz, slot, end);
      break;
    case 3:
      handler_remove (fz, slot, end);
      break;
    case 4:
      /* Closed or dup2()'d over behind the loop's back, with or without
       * an iteration while the numbers are free. */
      if (fz->closed_slot < 0)
        pair_replace (fz, slot, chance (fz, 0.3));
      break;
    case 5:
      if (!fz->pairs[slot].pipe && slot != fz->closed_slot)
        shutdown (fz->pairs[slot].fds[end], chance (fz, 0.5) ? SHUT_WR : SHUT_RDWR);
      break;
    case 6:
    case 7:
      poke (fz);
      break;
    case 8:
      timeout_add (fz);
      break;
    case 9:
      timeout_remove_random (fz);
      break;
    case 10:
      callback_add (fz);
      break;
    case 11:
      periodic_toggle (fz);
      break;
    case 12:
      if (fz->depth > 0)
        nested_calls (fz);
      break;
    case 13:
      if (fz->depth > 0 && chance (fz, 0.3))
        io_loop_stop (fz->loop);
      break;
    }
}

/* ---- one round: a loop from creation to finalization -------------------- */

static void
fuzz_round (Fuzz *fz, gdouble seconds)
{
  GError *error = NULL;
  gdouble end;
  gpointer weak;
  Item *pitem;

  fz->items = g_ptr_array_new_with_free_func (g_free);
  fz->thread_items = g_ptr_array_new_with_free_func (g_free);
  fz->expected_exceptions = fz->exceptions = 0;
  fz->depth = 0;
  fz->closed_slot = -1;
  memset (fz->handler_of, 0, sizeof fz->handler_of);
  for (int i = 0; i < N_PAIRS; i++)
    pair_open (&fz->pairs[i], chance (fz, 0.5));

  fz->loop = io_loop_new_with_backend (fz->backend, &error);
  g_assert_no_error (error);
  weak = fz->loop;
  g_object_add_weak_pointer (G_OBJECT (fz->loop), &weak);
  g_signal_connect (fz->loop, "callback-exception", G_CALLBACK (on_callback_exception), fz);

  pitem = item_new (fz, KIND_PERIODIC);
  pitem->taken = TRUE;
  fz->periodic_item = pitem;
  fz->periodic = io_periodic_callback_new (fz->loop, 1 + pick (fz, 3), periodic_cb, pitem,
                                           item_notify);
  fz->periodic_running = FALSE;

  fz->stop_thread = 0;
  fz->thread_seed = g_rand_int (fz->rand);
  fz->thread = g_thread_new ("fuzz-producer", thread_main, fz);

  end = io_test_now () + seconds;
  while (io_test_now () < end && fz->items->len < MAX_ITEMS)
    {
      for (int i = pick (fz, 4); i > 0; i--)
        fuzz_step (fz);

      if (chance (fz, 0.2))
        {
          /* Run until a timeout stops us (or a callback does first). */
          Item *stopper = timeout_add_full (fz, g_rand_double_range (fz->rand, 0, 0.003),
                                            stop_cb, TRUE);

          fz->in_start = TRUE;
          g_assert_true (io_loop_start (fz->loop, &error));
          g_assert_no_error (error);
          fz->in_start = FALSE;
          if (!stopper->removed)
            {
              io_loop_remove_timeout (fz->loop, stopper->timeout);
              stopper->removed = TRUE;
              stopper->timeout = NULL;
            }
        }
      else
        {
          gboolean may_block = chance (fz, 0.3);

          /* Never blocks for long: a timeout is always due soon. */
          if (may_block)
            timeout_add_full (fz, 0.001, timeout_cb, TRUE);
          if (!io_loop_iteration (fz->loop, may_block, &error))
            g_assert_no_error (error);
        }
    }

  /* The end: closed with work pending, or finalized by the last unref. */
  if (chance (fz, 0.5))
    io_loop_close (fz->loop, FALSE);
  g_atomic_int_set (&fz->stop_thread, 1);
  g_thread_join (fz->thread);

  for (guint i = 0; i < fz->items->len; i++)
    {
      Item *item = g_ptr_array_index (fz->items, i);

      if (item->has_ref)
        io_timeout_unref (item->timeout);
      item->has_ref = FALSE;
      item->timeout = NULL;
    }
  g_clear_object (&fz->periodic);
  g_object_unref (fz->loop);
  if (weak != NULL)
    g_error ("round %u: the loop was not finalized", fz->round);
  fz->loop = NULL;

  for (guint i = 0; i < fz->items->len; i++)
    {
      Item *item = g_ptr_array_index (fz->items, i);

      if (item->notifies != (item->taken ? 1 : 0))
        g_error ("round %u: item %u (kind %d, %s) notified %d times", fz->round, item->id,
                 item->kind, item->taken ? "taken" : "refused", item->notifies);
    }
  for (guint i = 0; i < fz->thread_items->len; i++)
    {
      Item *item = g_ptr_array_index (fz->thread_items, i);

      if (item->notifies != 1)
        g_error ("round %u: thread callback %u notified %d times", fz->round, item->id,
                 item->notifies);
    }
  if (fz->exceptions != fz->expected_exceptions)
    g_error ("round %u: %d failing callbacks, %d reported", fz->round,
             fz->expected_exceptions, fz->exceptions);

  for (int i = 0; i < N_PAIRS; i++)
    {
      close (fz->pairs[i].fds[0]);
      close (fz->pairs[i].fds[1]);
    }
  g_clear_pointer (&fz->items, g_ptr_array_unref);
  g_clear_pointer (&fz->thread_items, g_ptr_array_unref);
}

static gdouble
fuzz_seconds (void)
{
  const char *s = g_getenv ("IO_FUZZ_SECONDS");
  gdouble seconds = s != NULL ? g_ascii_strtod (s, NULL) : 2.0;

  if (s == NULL && g_getenv ("IO_TEST_QUICK") != NULL)
    seconds /= 4;
  return seconds > 0 ? seconds : 2.0;
}

static void
test_fuzz_api_sequences (IoTest *t)
{
  const char *s = g_getenv ("IO_FUZZ_SEED");
  guint32 seed = s != NULL ? (guint32) g_ascii_strtoull (s, NULL, 10)
                           : (guint32) g_random_int ();
  gdouble seconds = fuzz_seconds (), start = io_test_now ();
  Fuzz fz = { .backend = t->backend };

  /* Printed first, so that a crash still tells how to repeat it. */
  g_printerr ("# fuzz %s: IO_FUZZ_SEED=%u IO_FUZZ_SECONDS=%g\n", t->backend, seed, seconds);
  g_test_message ("fuzz %s: IO_FUZZ_SEED=%u", t->backend, seed);
  fz.rand = g_rand_new_with_seed (seed);

  /* At least one round, however short the time. */
  do
    {
      fuzz_round (&fz, MIN (ROUND_SECONDS, seconds));
      fz.round++;
    }
  while (io_test_now () - start < seconds);

  g_test_message ("fuzz %s: %u rounds, %" G_GUINT64_FORMAT " operations in %.1f s",
                  t->backend, fz.round, fz.ops, io_test_now () - start);
  g_printerr ("# fuzz %s: %u rounds, %" G_GUINT64_FORMAT " operations in %.1f s\n",
              t->backend, fz.round, fz.ops, io_test_now () - start);
  g_rand_free (fz.rand);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);
  io_test_add ("/fuzz/api-sequences", test_fuzz_api_sequences);
  return io_test_run ();
}
