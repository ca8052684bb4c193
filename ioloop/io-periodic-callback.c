/* io-periodic-callback.c: a function called at a fixed interval
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "io-loop-private.h"
#include "io-periodic-callback.h"

/**
 * IoPeriodicCallback:
 *
 * Calls a function every #IoPeriodicCallback:interval milliseconds on a
 * loop, from io_periodic_callback_start() until
 * io_periodic_callback_stop(), like Tornado's `PeriodicCallback`.
 *
 * Runs are due on a fixed schedule. When the loop was too busy to make
 * one or more of them, those runs are skipped rather than made up in a
 * burst: the next run is the next point of the schedule still ahead.
 *
 * Since: 1.0
 */

struct _IoPeriodicCallback
{
  GObject         parent_instance;

  IoLoop         *loop;
  guint           interval_ms;
  IoCallback      func;
  gpointer        user_data;
  GDestroyNotify  notify;

  IoTimeout      *timeout;      /* pending run, while started */
  gint64          next_run;     /* monotonic, microseconds */
};

enum
{
  PROP_0,
  PROP_LOOP,
  PROP_INTERVAL,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (IoPeriodicCallback, io_periodic_callback, G_TYPE_OBJECT)

static void schedule_next (IoPeriodicCallback *self);

static void
drop_timeout (IoPeriodicCallback *self)
{
  IoTimeout *timeout = g_steal_pointer (&self->timeout);

  if (timeout != NULL)
    {
      io_loop_remove_timeout (self->loop, timeout);
      io_timeout_unref (timeout);
    }
}

static void
run (gpointer   data,
     GError   **error)
{
  IoPeriodicCallback *self = g_object_ref (data);

  g_clear_pointer (&self->timeout, io_timeout_unref);
  self->func (self->user_data, error);
  /* The callback may have stopped (and restarted) us. */
  if (self->timeout == NULL && self->next_run != 0)
    schedule_next (self);
  g_object_unref (self);
}

static void
schedule_next (IoPeriodicCallback *self)
{
  gint64 interval = (gint64) self->interval_ms * 1000;
  gint64 now = g_get_monotonic_time ();

  self->next_run += interval;
  if (self->next_run <= now)
    self->next_run += ((now - self->next_run) / interval + 1) * interval;

  if (io_loop_is_closed (self->loop))
    {
      self->next_run = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      return;
    }
  /* Our own reference: closing the loop drops the loop's. */
  self->timeout = io_timeout_ref (_io_loop_add_timeout_monotonic (self->loop,
                                                                  self->next_run,
                                                                  run, self, NULL));
}

/**
 * io_periodic_callback_new:
 * @loop: the loop to run on
 * @interval_ms: milliseconds between runs; more than 0
 * @func: (scope notified) (closure user_data) (destroy notify): the function
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data when the object is finalized
 *
 * Creates a periodic callback, stopped: call io_periodic_callback_start().
 * A zero @interval_ms is a programmer error.
 *
 * Returns: (transfer full): a new #IoPeriodicCallback
 *
 * Since: 1.0
 */
IoPeriodicCallback *
io_periodic_callback_new (IoLoop         *loop,
                          guint           interval_ms,
                          IoCallback      func,
                          gpointer        user_data,
                          GDestroyNotify  notify)
{
  IoPeriodicCallback *self;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (interval_ms > 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (IO_TYPE_PERIODIC_CALLBACK,
                       "loop", loop,
                       "interval", interval_ms,
                       NULL);
  self->func = func;
  self->user_data = user_data;
  self->notify = notify;
  return self;
}

/**
 * io_periodic_callback_start:
 * @self: an #IoPeriodicCallback
 *
 * Starts calling the function, first one interval from now. Starting a
 * started callback does nothing. On a closed loop it stays stopped.
 *
 * Since: 1.0
 */
void
io_periodic_callback_start (IoPeriodicCallback *self)
{
  g_return_if_fail (IO_IS_PERIODIC_CALLBACK (self));

  if (self->next_run != 0 || io_loop_is_closed (self->loop))
    return;
  self->next_run = g_get_monotonic_time ();
  schedule_next (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/**
 * io_periodic_callback_stop:
 * @self: an #IoPeriodicCallback
 *
 * Stops calling the function; safe from inside it. Stopping a stopped
 * callback does nothing.
 *
 * Since: 1.0
 */
void
io_periodic_callback_stop (IoPeriodicCallback *self)
{
  g_return_if_fail (IO_IS_PERIODIC_CALLBACK (self));

  if (self->next_run == 0)
    return;
  self->next_run = 0;
  drop_timeout (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/**
 * io_periodic_callback_is_running:
 * @self: an #IoPeriodicCallback
 *
 * Returns: %TRUE between io_periodic_callback_start() and
 *   io_periodic_callback_stop()
 *
 * Since: 1.0
 */
gboolean
io_periodic_callback_is_running (IoPeriodicCallback *self)
{
  g_return_val_if_fail (IO_IS_PERIODIC_CALLBACK (self), FALSE);

  return self->next_run != 0;
}

/**
 * io_periodic_callback_get_interval:
 * @self: an #IoPeriodicCallback
 *
 * Returns: the interval in milliseconds
 *
 * Since: 1.0
 */
guint
io_periodic_callback_get_interval (IoPeriodicCallback *self)
{
  g_return_val_if_fail (IO_IS_PERIODIC_CALLBACK (self), 0);

  return self->interval_ms;
}

/**
 * io_periodic_callback_get_loop:
 * @self: an #IoPeriodicCallback
 *
 * Returns: (transfer none): the loop @self runs on
 *
 * Since: 1.0
 */
IoLoop *
io_periodic_callback_get_loop (IoPeriodicCallback *self)
{
  g_return_val_if_fail (IO_IS_PERIODIC_CALLBACK (self), NULL);

  return self->loop;
}

static void
io_periodic_callback_dispose (GObject *object)
{
  IoPeriodicCallback *self = IO_PERIODIC_CALLBACK (object);

  if (self->loop != NULL)
    {
      self->next_run = 0;
      drop_timeout (self);
    }
  if (self->notify != NULL)
    g_steal_pointer (&self->notify) (self->user_data);
  g_clear_object (&self->loop);

  G_OBJECT_CLASS (io_periodic_callback_parent_class)->dispose (object);
}

static void
io_periodic_callback_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  IoPeriodicCallback *self = IO_PERIODIC_CALLBACK (object);

  switch (prop_id)
    {
    case PROP_LOOP:
      g_value_set_object (value, self->loop);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval_ms);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->next_run != 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
io_periodic_callback_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  IoPeriodicCallback *self = IO_PERIODIC_CALLBACK (object);

  switch (prop_id)
    {
    case PROP_LOOP:
      self->loop = g_value_dup_object (value);
      break;
    case PROP_INTERVAL:
      self->interval_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
io_periodic_callback_class_init (IoPeriodicCallbackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = io_periodic_callback_dispose;
  object_class->get_property = io_periodic_callback_get_property;
  object_class->set_property = io_periodic_callback_set_property;

  /**
   * IoPeriodicCallback:loop:
   *
   * The loop the callback runs on.
   *
   * Since: 1.0
   */
  properties[PROP_LOOP] =
    g_param_spec_object ("loop", NULL, NULL, IO_TYPE_LOOP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * IoPeriodicCallback:interval:
   *
   * Milliseconds between runs.
   *
   * Since: 1.0
   */
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 1, G_MAXUINT, 1000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * IoPeriodicCallback:running:
   *
   * Whether the callback is started.
   *
   * Since: 1.0
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
io_periodic_callback_init (IoPeriodicCallback *self)
{
}
