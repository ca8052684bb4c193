/* io-signal.c: Unix signals, handled on the loop's thread
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process-wide sigaction() handler per signal in use. In signal
 * context it only sets a per-loop, per-signal atomic flag and calls
 * io_async_send() (no locks, no allocation) for every loop with a handler
 * for that signal; the loop's thread then runs the handlers, each a
 * source of the loop (io-source.h) whose reference the loop's list holds.
 *
 * The signal handler walks an immutable snapshot of the loops that use
 * signals. Writers (under `lock`) publish a new snapshot and wait until no
 * signal handler runs before they free the old one, so that a loop's state
 * is never freed under a signal handler that is still looking at it.
 *
 * A sigaction() handler rather than signalfd: signalfd needs the signal
 * blocked in every thread, which a library cannot promise (GLib and
 * others start threads of their own, where a blocked-nowhere SIGTERM
 * would still kill the process).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-signal.h"

typedef struct _IoSignalLoop IoSignalLoop;

typedef struct
{
  IoSource        source;
  guint           id;
  int             signum;
  IoSignalFunc    func;
} IoSignalHandler;

struct _IoSignalLoop
{
  IoLoop     *loop;            /* not owned: the state dies with the loop */
  IoAsync    *async;           /* wakes the loop for a signal; its notify
                                 * frees this, after any dispatch of it */
  GPtrArray  *handlers;        /* IoSignalHandler, in the order added */
  gint        wanted[NSIG];    /* handlers per signal; read in signal context */
  gint        pending[NSIG];   /* set in signal context */
};

typedef struct
{
  guint         len;
  IoSignalLoop *loops[];
} IoSignalSnapshot;

static GMutex             lock;
static GPtrArray         *all_loops;             /* under lock */
static IoSignalSnapshot  *snapshot;              /* read in signal context */
static gint               in_signal_handler;     /* signal handlers running */
static guint              n_handlers[NSIG];      /* process-wide, under lock */
static struct sigaction   previous_action[NSIG]; /* under lock */
static guint              last_id;               /* under lock */

static GQuark
signal_loop_quark (void)
{
  return g_quark_from_static_string ("io-signal-loop");
}

/* ---- signal context ---------------------------------------------------- */

static void
on_signal (int signum)
{
  int errsv = errno;
  IoSignalSnapshot *snap;
  guint i;

  __atomic_add_fetch (&in_signal_handler, 1, __ATOMIC_SEQ_CST);
  snap = __atomic_load_n (&snapshot, __ATOMIC_SEQ_CST);
  if (snap != NULL && signum > 0 && signum < NSIG)
    for (i = 0; i < snap->len; i++)
      {
        IoSignalLoop *sl = snap->loops[i];

        if (__atomic_load_n (&sl->wanted[signum], __ATOMIC_RELAXED) > 0)
          {
            __atomic_store_n (&sl->pending[signum], 1, __ATOMIC_RELEASE);
            io_async_send (sl->async);
          }
      }
  __atomic_sub_fetch (&in_signal_handler, 1, __ATOMIC_SEQ_CST);
  errno = errsv;
}

/* Under lock: makes the signal handler see all_loops. The old snapshot
 * (and whatever left all_loops) is only freed once no signal handler can
 * still be reading it. */
static void
publish_loops (void)
{
  IoSignalSnapshot *snap, *old;

  snap = g_malloc (sizeof (IoSignalSnapshot) + all_loops->len * sizeof (IoSignalLoop *));
  snap->len = all_loops->len;
  if (all_loops->len > 0)
    memcpy (snap->loops, all_loops->pdata, all_loops->len * sizeof (IoSignalLoop *));

  old = __atomic_exchange_n (&snapshot, snap, __ATOMIC_SEQ_CST);
  while (__atomic_load_n (&in_signal_handler, __ATOMIC_SEQ_CST) != 0)
    g_thread_yield ();
  g_free (old);
}

/* ---- handlers ---------------------------------------------------------- */

/* Under lock: installs our sigaction() for @signum if it is the first
 * handler in the process. */
static gboolean
signal_use (int       signum,
            GError  **error)
{
  struct sigaction action;

  if (n_handlers[signum] == 0)
    {
      memset (&action, 0, sizeof action);
      action.sa_handler = on_signal;
      sigemptyset (&action.sa_mask);
      /* Interrupted system calls of other code restart. */
      action.sa_flags = SA_RESTART;
      if (sigaction (signum, &action, &previous_action[signum]) != 0)
        {
          int errsv = errno;

          g_set_error (error, IO_LOOP_ERROR,
                       errsv == EINVAL ? IO_LOOP_ERROR_INVALID_ARGUMENT : IO_LOOP_ERROR_FAILED,
                       _("Cannot handle signal %d (%s): %s"),
                       signum, g_strsignal (signum), g_strerror (errsv));
          return FALSE;
        }
    }
  n_handlers[signum]++;
  return TRUE;
}

/* Under lock: the last handler of @signum in the process restores the
 * disposition that was there before the first. */
static void
signal_release (int signum)
{
  if (--n_handlers[signum] == 0)
    sigaction (signum, &previous_action[signum], NULL);
}

/* Under lock: unlinks @handler from @sl; the caller destroys it outside
 * the lock (the notify may call back into us). */
static void
detach_handler (IoSignalLoop    *sl,
                IoSignalHandler *handler)
{
  __atomic_sub_fetch (&sl->wanted[handler->signum], 1, __ATOMIC_RELAXED);
  signal_release (handler->signum);
  g_ptr_array_remove (sl->handlers, handler);
}

/* ---- dispatch on the loop's thread --------------------------------------- */

static void
dispatch_signal (IoSignalLoop *sl,
                 int           signum)
{
  GPtrArray *batch = g_ptr_array_new ();
  guint i;

  /* The handlers present now; each is skipped if removed meanwhile. */
  g_mutex_lock (&lock);
  for (i = 0; i < sl->handlers->len; i++)
    {
      IoSignalHandler *handler = g_ptr_array_index (sl->handlers, i);

      if (handler->signum == signum)
        g_ptr_array_add (batch, _io_source_ref (&handler->source));
    }
  g_mutex_unlock (&lock);

  for (i = 0; i < batch->len; i++)
    {
      IoSignalHandler *handler = g_ptr_array_index (batch, i);
      GError *error = NULL;

      if (!_io_source_is_disconnected (&handler->source) && !io_loop_is_closed (sl->loop))
        {
          _io_source_begin_dispatch (&handler->source);
          handler->func (signum, handler->source.user_data, &error);
          _io_source_end_dispatch (&handler->source);
          if (G_UNLIKELY (error != NULL))
            _io_loop_report_and_free (sl->loop, error);
        }
      _io_source_unref (&handler->source);
    }
  g_ptr_array_unref (batch);
}

static void
dispatch_signals (gpointer   data,
                  GError   **error)
{
  IoSignalLoop *sl = data;
  int signum;

  for (signum = 1; signum < NSIG; signum++)
    if (__atomic_load_n (&sl->pending[signum], __ATOMIC_RELAXED) &&
        __atomic_exchange_n (&sl->pending[signum], 0, __ATOMIC_ACQ_REL))
      dispatch_signal (sl, signum);
}

/* The notify of sl->async, once io_loop_close() closed it and no
 * dispatch of it runs: dispatch_signals() reads @sl to the end. */
static void
signal_loop_free (gpointer data)
{
  IoSignalLoop *sl = data;

  g_ptr_array_unref (sl->handlers);
  io_async_unref (sl->async);
  g_free (sl);
}

/* The loop's close hook: io_loop_close() ran (or dispose). Every handler
 * goes, each notify running once. */
static void
signal_loop_closed (gpointer data)
{
  IoSignalLoop *sl = data;
  GPtrArray *handlers;

  g_mutex_lock (&lock);
  handlers = g_steal_pointer (&sl->handlers);
  sl->handlers = g_ptr_array_new ();
  for (guint i = 0; i < handlers->len; i++)
    {
      IoSignalHandler *handler = g_ptr_array_index (handlers, i);

      __atomic_sub_fetch (&sl->wanted[handler->signum], 1, __ATOMIC_RELAXED);
      signal_release (handler->signum);
    }
  g_ptr_array_remove (all_loops, sl);
  publish_loops ();
  if (g_object_get_qdata (G_OBJECT (sl->loop), signal_loop_quark ()) == sl)
    g_object_set_qdata (G_OBJECT (sl->loop), signal_loop_quark (), NULL);
  g_mutex_unlock (&lock);

  for (guint i = 0; i < handlers->len; i++)
    _io_source_destroy (g_ptr_array_index (handlers, i));
  g_ptr_array_unref (handlers);
  io_async_close (sl->async);
}

/* Under lock. The state lives until the loop is closed. */
static IoSignalLoop *
get_signal_loop (IoLoop *loop)
{
  IoSignalLoop *sl = g_object_get_qdata (G_OBJECT (loop), signal_loop_quark ());

  if (sl != NULL)
    return sl;

  sl = g_new0 (IoSignalLoop, 1);
  sl->loop = loop;
  sl->handlers = g_ptr_array_new ();
  sl->async = io_async_new (loop, dispatch_signals, sl, signal_loop_free);
  _io_loop_add_close_hook (loop, signal_loop_closed, sl);
  g_object_set_qdata (G_OBJECT (loop), signal_loop_quark (), sl);
  if (all_loops == NULL)
    all_loops = g_ptr_array_new ();
  g_ptr_array_add (all_loops, sl);
  publish_loops ();
  return sl;
}

static gboolean
check_signum (int       signum,
              GError  **error)
{
  if (signum <= 0 || signum >= NSIG)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Invalid signal number %d"), signum);
      return FALSE;
    }
  if (signum == SIGKILL || signum == SIGSTOP)
    {
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Signal %d (%s) cannot be caught"), signum, g_strsignal (signum));
      return FALSE;
    }
  if (signum == SIGSEGV || signum == SIGBUS || signum == SIGILL || signum == SIGFPE)
    {
      /* The faulting instruction would run again, and fault again, before
       * the loop got a chance to run the handler. */
      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_INVALID_ARGUMENT,
                   _("Signal %d (%s) reports a fault of the thread that raised it: "
                     "it cannot be handled later by a loop"),
                   signum, g_strsignal (signum));
      return FALSE;
    }
  return TRUE;
}

/**
 * io_loop_add_signal_handler:
 * @loop: an #IoLoop
 * @signum: the signal to handle, such as `SIGTERM` or `SIGINT`
 * @func: (scope notified) (closure user_data) (destroy notify): the handler
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data once the handler is removed
 * @error: return location for a #GError
 *
 * Calls @func on the loop's thread, in the next iteration of @loop, each
 * time @signum arrives. Signals that arrive before the handlers ran are
 * coalesced: @func runs once for them. A signal that arrives while the
 * loop sleeps wakes it.
 *
 * A signal may have several handlers, in one loop or in several: each of
 * them runs, in the order they were added. While a signal has handlers,
 * ioloop owns its disposition (with `sigaction()`, `SA_RESTART`): when
 * the last of them is removed, the disposition from before the first one
 * is restored. The signal mask is not changed: a signal blocked in every
 * thread never arrives.
 *
 * Fails with %IO_LOOP_ERROR_INVALID_ARGUMENT for a number that is not a
 * signal, for `SIGKILL` and `SIGSTOP`, which cannot be caught, and for
 * `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE`, which report a fault of the
 * thread that raised them and must be handled there; fails with
 * %IO_LOOP_ERROR_CLOSED or %IO_LOOP_ERROR_FORKED if @loop cannot be used.
 * On failure, @notify is not called. Call this from the loop's thread.
 *
 * Returns: an ID for io_loop_remove_signal_handler(), or 0 on failure
 *
 * Since: 1.0
 */
guint
io_loop_add_signal_handler (IoLoop          *loop,
                            int              signum,
                            IoSignalFunc     func,
                            gpointer         user_data,
                            GDestroyNotify   notify,
                            GError         **error)
{
  IoSignalLoop *sl;
  IoSignalHandler *handler;

  g_return_val_if_fail (IO_IS_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!check_signum (signum, error) || !_io_loop_check_usable (loop, error))
    return 0;

  g_mutex_lock (&lock);
  sl = get_signal_loop (loop);
  if (!signal_use (signum, error))
    {
      g_mutex_unlock (&lock);
      return 0;
    }

  /* Its one reference is the list's. */
  handler = g_new (IoSignalHandler, 1);
  _io_source_init (&handler->source, IO_SOURCE_SIGNAL, user_data, notify);
  handler->signum = signum;
  handler->func = func;
  do
    handler->id = ++last_id;
  while (handler->id == 0);
  g_ptr_array_add (sl->handlers, handler);
  __atomic_add_fetch (&sl->wanted[signum], 1, __ATOMIC_RELAXED);
  g_mutex_unlock (&lock);

  return handler->id;
}

/**
 * io_loop_remove_signal_handler:
 * @loop: an #IoLoop
 * @id: an ID from io_loop_add_signal_handler()
 *
 * Removes a signal handler: it is not called again, and its notify runs
 * now (or, if it is running, once it returns). Removing the last handler
 * of a signal restores the disposition the signal had before. Removing a
 * handler twice, or after the loop was closed, does nothing. Call this
 * from the loop's thread.
 *
 * Returns: %TRUE if a handler was removed
 *
 * Since: 1.0
 */
gboolean
io_loop_remove_signal_handler (IoLoop *loop,
                               guint   id)
{
  IoSignalHandler *handler = NULL;
  IoSignalLoop *sl;
  guint i;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  g_mutex_lock (&lock);
  sl = g_object_get_qdata (G_OBJECT (loop), signal_loop_quark ());
  for (i = 0; sl != NULL && i < sl->handlers->len; i++)
    if (((IoSignalHandler *) g_ptr_array_index (sl->handlers, i))->id == id)
      {
        handler = g_ptr_array_index (sl->handlers, i);
        detach_handler (sl, handler);
        break;
      }
  g_mutex_unlock (&lock);

  if (handler == NULL)
    return FALSE;
  _io_source_destroy (&handler->source);
  return TRUE;
}
