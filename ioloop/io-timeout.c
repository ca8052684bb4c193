/* io-timeout.c: timeout handles, and how the loop adds, removes and runs them
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An IoTimeout is a source of the loop (io-source.h): its public
 * references are the source's. A pending timeout is queued in the loop's
 * timer heap (io-timer-heap.c), which holds the loop's reference. When its
 * deadline comes, the dispatcher moves it from the heap to the loop's
 * array of due timeouts and runs it from there, so that a callback may
 * remove any timeout, itself included, while others of the same batch
 * are still to run. A timeout fires once: it is destroyed as its callback
 * starts, so its notify runs when the callback returns.
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

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

struct _IoTimeout
{
  IoSource        source;
  /* Queued in the loop's heap while pending and not yet due. */
  IoTimerEntry    entry;
  /* Taken from the heap for this iteration's dispatch, not run yet: its
   * slot in the loop's due array, which holds the loop's reference. */
  gboolean        due;
  guint           due_index;
  IoCallback      func;
};

#define TIMEOUT_OF_ENTRY(e) \
  ((IoTimeout *) ((char *) (e) - G_STRUCT_OFFSET (IoTimeout, entry)))

G_DEFINE_BOXED_TYPE (IoTimeout, io_timeout, io_timeout_ref, io_timeout_unref)

static void
timeout_free (IoSource *source)
{
  IoTimeout *timeout = (IoTimeout *) source;

  g_assert (!_io_timer_entry_is_queued (&timeout->entry));
  g_assert (!timeout->due);
  g_free (timeout);
}

const IoSourceClass _io_timeout_source_class = { timeout_free, NULL };

/* The one reference it starts with is the loop's. */
static IoTimeout *
timeout_new (IoCallback      func,
             gpointer        user_data,
             GDestroyNotify  notify)
{
  IoTimeout *timeout = g_new (IoTimeout, 1);

  _io_source_init (&timeout->source, IO_SOURCE_TIMEOUT, user_data, notify);
  _io_timer_entry_init (&timeout->entry);
  timeout->due = FALSE;
  timeout->due_index = 0;
  timeout->func = func;

  return timeout;
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

  _io_source_ref (&timeout->source);
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

  _io_source_unref (&timeout->source);
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

  return _io_timer_entry_is_queued (&timeout->entry) || timeout->due;
}

/* ---- the loop's timeouts ---------------------------------------------- */

/**
 * io_loop_time:
 * @loop: an #IoLoop
 *
 * The loop's idea of the current time, in seconds since the Unix epoch, as
 * Python's `time.time()` returns it: what io_loop_add_timeout() takes.
 *
 * Timeouts themselves run on the monotonic clock: a deadline is turned into
 * a delay when it is added, so that a later change of the wall clock
 * neither fires nor delays them.
 *
 * Returns: seconds since the epoch
 *
 * Since: 1.0
 */
gdouble
io_loop_time (IoLoop *loop)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), 0.0);

  return g_get_real_time () / (gdouble) G_USEC_PER_SEC;
}

IoTimeout *
_io_loop_add_timeout_monotonic (IoLoop         *loop,
                                gint64          deadline,
                                IoCallback      func,
                                gpointer        user_data,
                                GDestroyNotify  notify)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  IoTimeout *timeout = timeout_new (func, user_data, notify);

  _io_timer_heap_push (&priv->timers, &timeout->entry, deadline);
  return timeout;
}


/* Delays beyond this (about 31 years) are clamped: they never fire anyway. */
#define MAX_DELAY_SECONDS 1e9

static IoTimeout *
add_timeout_after (IoLoop          *loop,
                   gdouble          delay,
                   IoCallback       func,
                   gpointer         user_data,
                   GDestroyNotify   notify,
                   GError         **error)
{
  gint64 now;

  if (!_io_loop_check_usable (loop, error))
    return NULL;
  if (!isfinite (delay))
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Timeout is not a finite number: %g"), delay);
      return NULL;
    }

  now = g_get_monotonic_time ();
  delay = CLAMP (delay, -MAX_DELAY_SECONDS, MAX_DELAY_SECONDS);
  return _io_loop_add_timeout_monotonic (loop,
                                         now + (gint64) ceil (delay * G_USEC_PER_SEC),
                                         func, user_data, notify);
}

/* Deadlines on the wall clock become monotonic ones through an offset
 * taken once per iteration: two timeouts added for the same instant stay
 * tied (and so fire in the order they were added). */
static IoTimeout *
add_timeout_at (IoLoop          *loop,
                gdouble          deadline,
                IoCallback       func,
                gpointer         user_data,
                GDestroyNotify   notify,
                GError         **error)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  gdouble when;

  if (!_io_loop_check_usable (loop, error))
    return NULL;
  if (!priv->wall_offset_valid)
    {
      priv->wall_offset = g_get_real_time () - g_get_monotonic_time ();
      priv->wall_offset_valid = TRUE;
    }

  when = deadline * G_USEC_PER_SEC - (gdouble) priv->wall_offset;
  when = CLAMP (when, (gdouble) G_MININT64 / 4, (gdouble) G_MAXINT64 / 4);
  return _io_loop_add_timeout_monotonic (loop, (gint64) ceil (when),
                                         func, user_data, notify);
}

/**
 * io_loop_add_timeout:
 * @loop: an #IoLoop
 * @deadline: when to call @func, in seconds since the Unix epoch (see
 *   io_loop_time())
 * @func: (scope notified) (closure user_data) (destroy notify): the callback
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run or the
 *   timeout is removed
 * @error: return location for a #GError
 *
 * Calls @func at @deadline, a non-blocking alternative to sleeping. Due
 * timeouts run in deadline order, ties in the order they were added; a
 * deadline in the past is due on the next iteration.
 *
 * Fails with %IO_LOOP_ERROR_INVALID_ARGUMENT if @deadline is NaN or
 * infinite and with %IO_LOOP_ERROR_CLOSED on a closed loop; then nothing is
 * kept and @notify is not called. Not thread-safe: from another thread, use
 * io_loop_add_callback() to add the timeout from the loop's thread.
 *
 * Returns: (transfer none) (nullable): a handle for io_loop_remove_timeout(),
 *   owned by the loop until the timeout fires or is removed
 *
 * Since: 1.0
 */
IoTimeout *
io_loop_add_timeout (IoLoop         *loop,
                     gdouble         deadline,
                     IoCallback      func,
                     gpointer        user_data,
                     GDestroyNotify  notify,
                     GError        **error)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!isfinite (deadline))
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Deadline is not a finite number: %g"), deadline);
      return NULL;
    }
  return add_timeout_at (loop, deadline, func, user_data, notify, error);
}

/**
 * io_loop_call_later:
 * @loop: an #IoLoop
 * @delay: seconds from now
 * @func: (scope notified) (closure user_data) (destroy notify): the callback
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run or the
 *   timeout is removed
 * @error: return location for a #GError
 *
 * Like io_loop_add_timeout(), with a deadline @delay seconds from now.
 *
 * Returns: (transfer none) (nullable): a handle for io_loop_remove_timeout(),
 *   owned by the loop until the timeout fires or is removed
 *
 * Since: 1.0
 */
IoTimeout *
io_loop_call_later (IoLoop         *loop,
                    gdouble         delay,
                    IoCallback      func,
                    gpointer        user_data,
                    GDestroyNotify  notify,
                    GError        **error)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return add_timeout_after (loop, delay, func, user_data, notify, error);
}

/* Takes @timeout out of this iteration's due array: the dispatcher skips
 * its slot. */
static void
timeout_undue (IoLoopPrivate *priv,
               IoTimeout     *timeout)
{
  priv->due[timeout->due_index] = NULL;
  timeout->due = FALSE;
}

/**
 * io_loop_remove_timeout:
 * @loop: an #IoLoop
 * @timeout: a handle from io_loop_add_timeout() or io_loop_call_later()
 *
 * Cancels @timeout: its callback will not run, and its notify runs now.
 * Removing a timeout that already fired, was removed, or belongs to a loop
 * that was closed does nothing (keep a reference with io_timeout_ref() to
 * use the handle after that).
 *
 * Since: 1.0
 */
void
io_loop_remove_timeout (IoLoop    *loop,
                        IoTimeout *timeout)
{
  IoLoopPrivate *priv;

  g_return_if_fail (IO_IS_LOOP (loop));
  g_return_if_fail (timeout != NULL);

  priv = _io_loop_get_private (loop);
  if (_io_timer_heap_contains (&priv->timers, &timeout->entry))
    _io_timer_heap_remove (&priv->timers, &timeout->entry);
  else if (timeout->due && timeout->due_index < priv->n_due &&
           priv->due[timeout->due_index] == timeout)
    timeout_undue (priv, timeout);
  else
    return;
  _io_source_destroy (&timeout->source);
}

static void
due_reserve (IoLoopPrivate *priv)
{
  if (priv->n_due == priv->due_size)
    {
      priv->due_size = MAX (16, priv->due_size * 2);
      priv->due = g_renew (IoTimeout *, priv->due, priv->due_size);
    }
}

void
_io_loop_run_timeouts (IoLoop        *loop,
                       IoLoopPrivate *priv)
{
  gint64 now;
  guint i;

  if (_io_timer_heap_is_empty (&priv->timers))
    return;
  now = g_get_monotonic_time ();
  if (_io_timer_heap_next_deadline (&priv->timers) > now)
    return;

  /* Take every due timeout first: the ones their callbacks add wait for
   * the next iteration, even when already due, so I/O is never starved. */
  while (_io_timer_heap_next_deadline (&priv->timers) <= now)
    {
      IoTimeout *timeout = TIMEOUT_OF_ENTRY (_io_timer_heap_pop (&priv->timers));

      due_reserve (priv);
      timeout->due = TRUE;
      timeout->due_index = priv->n_due;
      priv->due[priv->n_due++] = timeout;
    }

  /* A callback that closes the loop empties the array under us. */
  for (i = 0; i < priv->n_due; i++)
    {
      IoTimeout *timeout = priv->due[i];
      GError *error = NULL;

      if (timeout == NULL)
        continue;
      /* It fires once: destroyed now, its notify runs once it returned. */
      timeout_undue (priv, timeout);
      _io_source_begin_dispatch (&timeout->source);
      _io_source_destroy (&timeout->source);
      priv->n_dispatched++;
      timeout->func (timeout->source.user_data, &error);
      _io_source_end_dispatch (&timeout->source);
      if (G_UNLIKELY (error != NULL))
        _io_loop_report_and_free (loop, error);
    }
  priv->n_due = 0;

  if (priv->due_size > 4096)
    {
      g_clear_pointer (&priv->due, g_free);
      priv->due_size = 0;
    }
}

void
_io_loop_cancel_timeouts (IoLoopPrivate *priv)
{
  IoTimerEntry *entry;
  guint i;

  while ((entry = _io_timer_heap_pop (&priv->timers)) != NULL)
    _io_source_destroy (&TIMEOUT_OF_ENTRY (entry)->source);
  _io_timer_heap_clear (&priv->timers);

  /* A notify may remove due ones meanwhile: their slots go NULL. */
  for (i = 0; i < priv->n_due; i++)
    {
      IoTimeout *timeout = priv->due[i];

      if (timeout != NULL)
        {
          timeout_undue (priv, timeout);
          _io_source_destroy (&timeout->source);
        }
    }
}
