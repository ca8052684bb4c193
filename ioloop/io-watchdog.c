/* io-watchdog.c: SIGALRM when callbacks block the loop too long
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "io-loop-private.h"

static void
set_alarm (gdouble seconds)
{
  struct itimerval value = { { 0, 0 }, { 0, 0 } };

  if (seconds > 0)
    {
      value.it_value.tv_sec = (time_t) seconds;
      value.it_value.tv_usec = (suseconds_t) ((seconds - floor (seconds)) * 1e6);
      if (value.it_value.tv_sec == 0 && value.it_value.tv_usec == 0)
        value.it_value.tv_usec = 1;
    }
  setitimer (ITIMER_REAL, &value, NULL);
}

/**
 * io_loop_set_blocking_alarm:
 * @loop: an #IoLoop
 * @seconds: the threshold; 0 or less disables it
 *
 * Arms `SIGALRM` for @seconds each time the loop starts dispatching, and
 * disarms it before the loop polls again: the signal arrives when
 * callbacks block the loop for longer than @seconds. The disposition of
 * `SIGALRM` is left alone (see io_loop_set_blocking_signal_threshold()), so
 * that a language binding can install its own handler.
 *
 * The interval timer is process-wide: use this on one loop at a time.
 *
 * Since: 1.0
 */
void
io_loop_set_blocking_alarm (IoLoop  *loop,
                            gdouble  seconds)
{
  IoLoopPrivate *priv;

  g_return_if_fail (IO_IS_LOOP (loop));

  priv = _io_loop_get_private (loop);
  priv->alarm_seconds = isfinite (seconds) && seconds > 0 ? seconds : 0;
  if (priv->alarm_seconds == 0)
    _io_loop_disarm_alarm (priv);
}

/**
 * io_loop_get_blocking_alarm:
 * @loop: an #IoLoop
 *
 * Returns: the threshold of io_loop_set_blocking_alarm(), 0 if disabled
 *
 * Since: 1.0
 */
gdouble
io_loop_get_blocking_alarm (IoLoop *loop)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), 0);

  return ((IoLoopPrivate *) _io_loop_get_private (loop))->alarm_seconds;
}

/**
 * io_loop_set_blocking_signal_threshold: (skip)
 * @loop: an #IoLoop
 * @seconds: the threshold; 0 or less disables it
 * @action: (nullable): the `SIGALRM` handler; %NULL restores the default
 *   disposition, which kills the process
 *
 * Sends `SIGALRM` if the loop is blocked for more than @seconds, handled by
 * @action. With a %NULL @action, a callback that blocks too long kills the
 * process. See io_loop_set_blocking_alarm().
 *
 * Since: 1.0
 */
void
io_loop_set_blocking_signal_threshold (IoLoop         *loop,
                                       gdouble         seconds,
                                       IoSignalAction  action)
{
  struct sigaction sa;

  g_return_if_fail (IO_IS_LOOP (loop));

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = action != NULL ? action : SIG_DFL;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (SIGALRM, &sa, NULL);

  io_loop_set_blocking_alarm (loop, seconds);
}

/* Armed when the loop starts dispatching, disarmed before it polls: the
 * alarm measures how long callbacks keep the loop from polling. */
void
_io_loop_arm_alarm (IoLoopPrivate *priv)
{
  if (priv->alarm_seconds > 0)
    {
      set_alarm (priv->alarm_seconds);
      priv->alarm_armed = TRUE;
    }
}

void
_io_loop_disarm_alarm (IoLoopPrivate *priv)
{
  if (priv->alarm_armed)
    {
      set_alarm (0);
      priv->alarm_armed = FALSE;
    }
}
