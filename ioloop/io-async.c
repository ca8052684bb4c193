/* io-async.c: wake-ups that are safe to send from signal handlers
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An IoAsync is a source of the loop (io-source.h): its public references
 * are the source's, and the loop's list of handles holds one of them
 * until the handle is closed. Sending touches only the `pending` flags
 * and the wake-up fd, never the source's lifetime.
 */
#include "config.h"

#include "io-loop-private.h"

/**
 * IoAsync:
 *
 * A handle that wakes its loop from any thread or from a signal handler,
 * like libev's `ev_async` or libuv's `uv_async_t`.
 *
 * io_async_send() takes no lock and allocates nothing, so it is
 * async-signal-safe. The callback runs on the loop's thread, once per
 * burst: sends that arrive before the callback ran are coalesced.
 *
 * The loop keeps the handle until io_async_close() or io_loop_close().
 *
 * Since: 1.0
 */

struct _IoAsync
{
  IoSource        source;
  gint            pending;
  IoLoop         *loop;         /* NULL once closed; read from any thread */
  IoCallback      func;
};

G_DEFINE_BOXED_TYPE (IoAsync, io_async, io_async_ref, io_async_unref)

/**
 * io_async_new:
 * @loop: an #IoLoop
 * @func: (scope notified) (closure user_data) (destroy notify): called on the
 *   loop's thread after io_async_send()
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data when the handle is closed
 *
 * Creates a wake-up handle on @loop. On a closed loop the handle is closed
 * from the start (@notify runs at once, sends do nothing).
 *
 * Returns: (transfer full): a new #IoAsync
 *
 * Since: 1.0
 */
IoAsync *
io_async_new (IoLoop         *loop,
              IoCallback      func,
              gpointer        user_data,
              GDestroyNotify  notify)
{
  IoLoopPrivate *priv;
  IoAsync *async;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  priv = _io_loop_get_private (loop);
  async = g_new (IoAsync, 1);
  /* The caller's reference, then the loop's. */
  _io_source_init (&async->source, IO_SOURCE_ASYNC, user_data, notify);
  _io_source_ref (&async->source);
  async->pending = 0;
  async->loop = NULL;
  async->func = func;

  if (io_loop_is_closed (loop) || priv->init_error != NULL)
    {
      _io_source_destroy (&async->source);
      return async;
    }

  async->loop = loop;
  _io_source_list_add (&priv->asyncs, &async->source);
  return async;
}

/**
 * io_async_ref:
 * @async: an #IoAsync
 *
 * Returns: (transfer full): @async
 *
 * Since: 1.0
 */
IoAsync *
io_async_ref (IoAsync *async)
{
  g_return_val_if_fail (async != NULL, NULL);

  _io_source_ref (&async->source);
  return async;
}

/**
 * io_async_unref:
 * @async: (transfer full): an #IoAsync
 *
 * Drops a reference. The loop holds its own until the handle is closed, so
 * this never closes it.
 *
 * Since: 1.0
 */
void
io_async_unref (IoAsync *async)
{
  g_return_if_fail (async != NULL);

  _io_source_unref (&async->source);
}

/**
 * io_async_send:
 * @async: an #IoAsync
 *
 * Makes the callback of @async run on its loop's next iteration, waking
 * the loop if it sleeps. Safe from any thread and from a signal handler;
 * does nothing once the handle is closed. It may race with
 * io_async_close() and io_loop_close() (the send then does nothing, and
 * writes to no released fd), but not with the finalization of the loop.
 * A %NULL @async is a programmer error.
 *
 * Since: 1.0
 */
void
io_async_send (IoAsync *async)
{
  IoLoop *loop;
  IoLoopPrivate *priv;

  g_return_if_fail (async != NULL);

  loop = __atomic_load_n (&async->loop, __ATOMIC_ACQUIRE);
  if (loop == NULL)
    return;
  if (__atomic_load_n (&async->pending, __ATOMIC_RELAXED) ||
      __atomic_exchange_n (&async->pending, 1, __ATOMIC_ACQ_REL))
    return;

  priv = _io_loop_get_private (loop);
  __atomic_store_n (&priv->async_pending, 1, __ATOMIC_RELEASE);
  _io_wakeup_signal (&priv->wakeup);
}

static void
detach (IoAsync       *async,
        IoLoopPrivate *priv)
{
  __atomic_store_n (&async->loop, NULL, __ATOMIC_RELEASE);
  _io_source_list_remove (&priv->asyncs, &async->source);
  _io_source_destroy (&async->source);
}

/**
 * io_async_close:
 * @async: an #IoAsync
 *
 * Detaches @async from its loop: later sends do nothing and the notify
 * runs (after the callback returns, if it is running). Closing twice does
 * nothing. Call it from the loop's thread.
 *
 * Since: 1.0
 */
void
io_async_close (IoAsync *async)
{
  IoLoop *loop;

  g_return_if_fail (async != NULL);

  loop = async->loop;
  if (loop == NULL)
    return;
  detach (async, _io_loop_get_private (loop));
}

/**
 * io_async_is_closed:
 * @async: an #IoAsync
 *
 * Returns: %TRUE once @async was closed, by io_async_close() or by closing
 *   its loop
 *
 * Since: 1.0
 */
gboolean
io_async_is_closed (IoAsync *async)
{
  g_return_val_if_fail (async != NULL, TRUE);

  return _io_source_is_disconnected (&async->source);
}

void
_io_async_dispatch_all (IoLoop *loop)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  guint i;

  if (!__atomic_exchange_n (&priv->async_pending, 0, __ATOMIC_ACQ_REL))
    return;

  _io_source_list_begin_walk (&priv->asyncs);
  for (i = 0; i < _io_source_list_get_length (&priv->asyncs) && !io_loop_is_closed (loop); i++)
    {
      IoAsync *async = (IoAsync *) _io_source_list_get (&priv->asyncs, i);
      GError *error = NULL;

      if (async == NULL || !__atomic_exchange_n (&async->pending, 0, __ATOMIC_ACQ_REL))
        continue;

      /* The loop's reference keeps it through the callback. */
      _io_source_begin_dispatch (&async->source);
      priv->n_dispatched++;
      async->func (async->source.user_data, &error);
      _io_source_end_dispatch (&async->source);

      if (G_UNLIKELY (error != NULL))
        _io_loop_report_and_free (loop, error);
    }
  _io_source_list_end_walk (&priv->asyncs);
}

void
_io_async_detach_all (IoLoop *loop)
{
  IoLoopPrivate *priv = _io_loop_get_private (loop);
  guint i = _io_source_list_get_length (&priv->asyncs);

  /* Newest first; a notify may close other handles meanwhile. */
  while (i-- > 0)
    {
      IoAsync *async;

      if (i >= _io_source_list_get_length (&priv->asyncs))
        continue;
      async = (IoAsync *) _io_source_list_get (&priv->asyncs, i);
      if (async != NULL)
        detach (async, priv);
    }
}
