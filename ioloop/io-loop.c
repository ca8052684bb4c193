/* io-loop.c: the loop object, its hooks and its iteration
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GObject, its state and checks, its hooks (prepare, check and close),
 * the iteration (queued callbacks, timeouts, poll, dispatch of the ready
 * handlers), closing, fork re-init, the choice of backend, and
 * _io_loop_report_and_free(), the one report of every failed callback.
 * The handler table and the change list are in io-handler.c, the
 * timeouts in io-timeout.c; every source of the loop, hooks included,
 * lives by the rule of io-source.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "io-loop-private.h"
#include "io-enum-types.h"

/**
 * IoLoop:
 *
 * A level-triggered I/O event loop for non-blocking sockets.
 *
 * Typical applications use a single loop, the global one that
 * io_loop_instance() returns, and call io_loop_start() at the end of
 * `main()`. Atypical applications may use more than one loop, such as one
 * loop per thread, or per unit test.
 *
 * Besides I/O events (io_loop_add_handler()), a loop runs callbacks on its
 * next iteration (io_loop_add_callback(), the one call that is safe from any
 * thread) and at a given time (io_loop_add_timeout(), io_loop_call_later()).
 *
 * Each iteration runs, in this order: the callbacks queued before it began,
 * the timeouts that are due, a poll of the file descriptors (which does not
 * block while callbacks are pending, and otherwise blocks until the next
 * deadline) and the handlers of the ready file descriptors.
 *
 * A callback, handler or timeout fails by setting its #GError; the loop
 * then emits #IoLoop::callback-exception and goes on.
 *
 * Since: 1.0
 */

enum
{
  PROP_0,
  PROP_BACKEND,
  N_PROPS
};

enum
{
  CALLBACK_EXCEPTION,
  HANDLE_EXCEPTION,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Bumped in every child after fork(): a loop made before it refuses to run
 * rather than share its kernel objects with the parent. */
static gint fork_generation;

static void io_loop_initable_iface_init (GInitableIface *iface);

G_DEFINE_TYPE_WITH_CODE (IoLoop, io_loop, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (IoLoop)
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                io_loop_initable_iface_init))

G_DEFINE_QUARK (io-loop-error-quark, io_loop_error)

IoLoopPrivate *
_io_loop_get_private (IoLoop *loop)
{
  return io_loop_get_instance_private (loop);
}

/* ---- errors and exceptions ----------------------------------------------- */

static void
io_loop_real_handle_callback_exception (IoLoop       *loop,
                                        const GError *error)
{
  g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
         "Exception in callback: %s (%s, %d)", error->message,
         g_quark_to_string (error->domain), error->code);
}

/**
 * io_loop_report_exception:
 * @loop: an #IoLoop
 * @error: what went wrong
 *
 * Reports @error as the loop does when a callback fails: emits
 * #IoLoop::handle-exception and then, unless a handler of that returned
 * %TRUE, #IoLoop::callback-exception. For language bindings that catch
 * their own exceptions.
 *
 * Since: 1.0
 */
void
io_loop_report_exception (IoLoop       *loop,
                          const GError *error)
{
  g_return_if_fail (IO_IS_LOOP (loop));
  g_return_if_fail (error != NULL);

  _io_loop_report_and_free (loop, g_error_copy (error));
}

/* The one place that emits #IoLoop::handle-exception and
 * #IoLoop::callback-exception, for every kind of callback and for the
 * loop's own failures that have no caller to return them to. Takes
 * @error and frees it once both signals ran. The loop is kept alive
 * meanwhile: a signal handler may drop the last other reference. */
void
_io_loop_report_and_free (IoLoop *loop,
                          GError *error)
{
  gboolean handled = FALSE;

  g_object_ref (loop);
  g_signal_emit (loop, signals[HANDLE_EXCEPTION], 0, error, &handled);
  if (!handled)
    g_signal_emit (loop, signals[CALLBACK_EXCEPTION], 0, error);
  g_error_free (error);
  g_object_unref (loop);
}

/* ---- the loop's state (IoLoopState, io-loop-private.h) ------------------ */

gboolean
_io_loop_is_closed_priv (IoLoopPrivate *priv)
{
  return _io_loop_state_is_closed (g_atomic_int_get (&priv->state));
}

gboolean
_io_loop_is_busy (IoLoopPrivate *priv)
{
  return g_atomic_int_get (&priv->state) != IO_LOOP_STATE_IDLE &&
         g_atomic_int_get (&priv->state) != IO_LOOP_STATE_CLOSED;
}

/* io_loop_close(): FALSE if the loop was closed already. */
static gboolean
enter_closed (IoLoopPrivate *priv)
{
  for (;;)
    {
      gint state = g_atomic_int_get (&priv->state);
      gint next;

      switch (state)
        {
        case IO_LOOP_STATE_IDLE:
          next = IO_LOOP_STATE_CLOSED;
          break;
        case IO_LOOP_STATE_ITERATING:
          next = IO_LOOP_STATE_CLOSED_IN_ITERATION;
          break;
        case IO_LOOP_STATE_RUNNING:
          next = IO_LOOP_STATE_CLOSED_IN_START;
          break;
        default:
          return FALSE;
        }
      if (g_atomic_int_compare_and_exchange (&priv->state, state, next))
        return TRUE;
    }
}

/* The end of io_loop_start() (@from RUNNING) or io_loop_iteration()
 * (@from ITERATING): back to IDLE, or to CLOSED if closed meanwhile. */
static void
leave_state (IoLoopPrivate *priv,
             IoLoopState    from)
{
  if (!g_atomic_int_compare_and_exchange (&priv->state, from, IO_LOOP_STATE_IDLE))
    g_atomic_int_set (&priv->state, IO_LOOP_STATE_CLOSED);
}

static gboolean
check_usable (IoLoop         *loop,
              IoLoopPrivate  *priv,
              GError        **error)
{
  if (G_UNLIKELY (priv->init_error != NULL))
    {
      g_propagate_error (error, g_error_copy (priv->init_error));
      return FALSE;
    }
  if (G_UNLIKELY (_io_loop_is_closed_priv (priv)))
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_CLOSED,
                           _("The loop is closed"));
      return FALSE;
    }
  if (G_UNLIKELY (g_atomic_int_get (&priv->fork_generation) !=
                  g_atomic_int_get (&fork_generation)))
    {
      g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FORKED,
                           _("The loop was created before fork() and cannot be used in the child"));
      return FALSE;
    }
  return TRUE;
}

gboolean
_io_loop_check_usable (IoLoop  *loop,
                       GError **error)
{
  return check_usable (loop, io_loop_get_instance_private (loop), error);
}

gboolean
_io_loop_is_forked (IoLoopPrivate *priv)
{
  return g_atomic_int_get (&priv->fork_generation) != g_atomic_int_get (&fork_generation);
}

gboolean
_io_loop_begin_external_wait (IoLoop *loop)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  /* As in poll_and_dispatch(): either producers see us sleeping, or we
   * see their work. */
  __atomic_store_n (&priv->wakeup.sleeping, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence (__ATOMIC_SEQ_CST);
  return !(_io_callback_queue_has_items (&priv->wakeup.queue) ||
           g_atomic_int_get (&priv->async_pending));
}

/* ---- hooks and internal handlers --------------------------------------- */

/* Every kind of hook (prepare and check, close, fd observer) is a source
 * of the loop (io-source.h), each kind in its IoSourceList: a hook may
 * remove any hook, itself included, and its notify runs once it is
 * removed and no longer running. */
typedef struct
{
  IoSource          source;
  guint             id;
  IoLoopHookFuncs   funcs;       /* prepare and check hooks */
  IoLoopCloseFunc   close;       /* close hooks */
  IoLoopFdObserver  observe;     /* fd observers */
} IoLoopHook;

/* Fills in the functions of its kind. */
static IoLoopHook *
add_hook (IoLoopPrivate         *priv,
          IoSourceList          *list,
          gpointer               data,
          GDestroyNotify         notify)
{
  IoLoopHook *hook = g_new0 (IoLoopHook, 1);

  _io_source_init (&hook->source, IO_SOURCE_HOOK, data, notify);
  hook->id = ++priv->next_hook_id;
  _io_source_list_add (list, &hook->source);
  return hook;
}

static void
remove_hook (IoSourceList *list,
             guint         id)
{
  guint i;

  for (i = 0; i < _io_source_list_get_length (list); i++)
    {
      IoLoopHook *hook = (IoLoopHook *) _io_source_list_get (list, i);

      if (hook != NULL && hook->id == id)
        {
          _io_source_list_remove (list, &hook->source);
          _io_source_destroy (&hook->source);
          return;
        }
    }
}

/* Newest first, each out of the list before it is destroyed. */
static void
destroy_hooks (IoSourceList *list)
{
  while (_io_source_list_get_length (list) > 0)
    {
      IoSource *hook = _io_source_list_get (list, _io_source_list_get_length (list) - 1);

      _io_source_list_remove (list, hook);
      _io_source_destroy (hook);
    }
}

guint
_io_loop_add_hook (IoLoop                *loop,
                   const IoLoopHookFuncs *funcs,
                   gpointer               data,
                   GDestroyNotify         notify)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);
  IoLoopHook *hook = add_hook (priv, &priv->hooks, data, notify);

  hook->funcs = *funcs;
  return hook->id;
}

void
_io_loop_remove_hook (IoLoop *loop,
                      guint   id)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  remove_hook (&priv->hooks, id);
}

guint
_io_loop_add_close_hook (IoLoop          *loop,
                         IoLoopCloseFunc  func,
                         gpointer         data)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);
  IoLoopHook *hook = add_hook (priv, &priv->close_hooks, data, NULL);

  hook->close = func;
  return hook->id;
}

void
_io_loop_remove_close_hook (IoLoop *loop,
                            guint   id)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  remove_hook (&priv->close_hooks, id);
}

guint
_io_loop_add_fd_observer (IoLoop           *loop,
                          IoLoopFdObserver  func,
                          gpointer          data)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);
  IoLoopHook *hook;
  int fd;

  for (fd = 0; fd < priv->n_fds; fd++)
    if (priv->fds[fd].kernel_registered)
      func (data, fd, priv->fds[fd].kernel_events | IO_EVENTS_ERROR);
  hook = add_hook (priv, &priv->fd_observers, data, NULL);
  hook->observe = func;
  return hook->id;
}

void
_io_loop_remove_fd_observer (IoLoop *loop,
                             guint   id)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  remove_hook (&priv->fd_observers, id);
}


/* Calls @call on every hook of @list, in the order added, each call a
 * dispatch of the hook's source; stops early once the loop is closed if
 * @until_closed. */
static void
walk_hooks (IoLoopPrivate  *priv,
            IoSourceList   *list,
            gboolean        until_closed,
            void          (*call) (IoLoopHook *hook,
                                   gpointer    arg),
            gpointer        arg)
{
  guint i;

  if (G_LIKELY (_io_source_list_get_length (list) == 0))
    return;
  _io_source_list_begin_walk (list);
  for (i = 0; i < _io_source_list_get_length (list) &&
              !(until_closed && _io_loop_is_closed_priv (priv)); i++)
    {
      IoLoopHook *hook = (IoLoopHook *) _io_source_list_get (list, i);

      if (hook == NULL)
        continue;
      _io_source_begin_dispatch (&hook->source);
      call (hook, arg);
      _io_source_end_dispatch (&hook->source);
    }
  _io_source_list_end_walk (list);
}

typedef struct
{
  int      fd;
  guint32  events;
} FdChange;

static void
call_observe (IoLoopHook *hook,
              gpointer    arg)
{
  FdChange *change = arg;

  hook->observe (hook->source.user_data, change->fd, change->events);
}

void
_io_loop_run_fd_observers (IoLoopPrivate *priv,
                           int            fd,
                           guint32        events)
{
  FdChange change = { fd, events };

  walk_hooks (priv, &priv->fd_observers, FALSE, call_observe, &change);
}

static void
call_prepare (IoLoopHook *hook,
              gpointer    timeout_ms)
{
  if (hook->funcs.prepare != NULL)
    hook->funcs.prepare (hook->source.user_data, timeout_ms);
}

static void
call_check (IoLoopHook *hook,
            gpointer    unused)
{
  if (hook->funcs.check != NULL)
    hook->funcs.check (hook->source.user_data);
}

static void
run_prepare_hooks (IoLoopPrivate *priv,
                   int           *timeout_ms)
{
  walk_hooks (priv, &priv->hooks, FALSE, call_prepare, timeout_ms);
}

static void
run_check_hooks (IoLoopPrivate *priv)
{
  walk_hooks (priv, &priv->hooks, TRUE, call_check, NULL);
}

/* Newest first. A close hook fires once: it leaves the list and is
 * destroyed before it runs, so that it runs once whatever the hooks
 * remove or add meanwhile. The list is never walked: it has no holes. */
static void
run_close_hooks (IoLoopPrivate *priv)
{
  while (_io_source_list_get_length (&priv->close_hooks) > 0)
    {
      guint last = _io_source_list_get_length (&priv->close_hooks) - 1;
      IoLoopHook *hook = (IoLoopHook *) _io_source_list_get (&priv->close_hooks, last);

      _io_source_list_remove (&priv->close_hooks, &hook->source);
      _io_source_begin_dispatch (&hook->source);
      _io_source_destroy (&hook->source);
      hook->close (hook->source.user_data);
      _io_source_end_dispatch (&hook->source);
    }
}



/* ---- the wake-up fd --------------------------------------------------- */

static gboolean wakeup_register (IoLoop *loop, GError **error);

/* A broken wake-up fd (closed, or its number taken by another file,
 * behind the loop's back) stays ready forever (poll, select), silently
 * leaves the kernel's set (epoll, kqueue), or takes writes meant for
 * someone else. The loop forgets it at once and replaces it in the next
 * prepare phase, which fails the iteration while no fd can be opened. */
static void
wakeup_forget (IoLoop *loop)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  if (priv->wakeup.read_fd < 0)
    return;
  _io_loop_remove_internal_handler (loop, priv->wakeup.read_fd);
  _io_wakeup_forget (&priv->wakeup);
}

/* Replaces a forgotten wake-up fd. Cross-thread callbacks sent meanwhile
 * wait in the queue: they run once this succeeds. */
static gboolean
wakeup_ensure (IoLoop  *loop,
               GError **error)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);
  GError *local = NULL;

  if (G_LIKELY (priv->wakeup.read_fd >= 0))
    return TRUE;
  if (_io_wakeup_replace (&priv->wakeup, &local))
    {
      if (wakeup_register (loop, &local))
        return TRUE;
      _io_wakeup_clear (&priv->wakeup);
    }
  g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
               _("The wake-up file descriptor was closed behind the loop's back and "
                 "cannot be replaced: %s"), local->message);
  g_error_free (local);
  return FALSE;
}

static void
wakeup_ready (int        fd,
              IoEvents   events,
              gpointer   user_data,
              GError   **error)
{
  IoLoop *loop = user_data;
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  if (!_io_wakeup_drain (&priv->wakeup) || (events & IO_EVENTS_ERROR))
    wakeup_forget (loop);
}

static gboolean
wakeup_register (IoLoop  *loop,
                 GError **error)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  return _io_loop_attach_handler (priv, priv->wakeup.read_fd, IO_EVENTS_READ,
                         wakeup_ready, loop, NULL, TRUE, error);
}

/* ---- callbacks -------------------------------------------------------- */

/**
 * io_loop_add_callback:
 * @loop: an #IoLoop
 * @func: (scope notified) (closure user_data) (destroy notify): the callback
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data after @func has run, or when
 *   the callback is dropped
 *
 * Calls @func on the next iteration of @loop.
 *
 * It is safe to call this function from any thread at any time: it is the
 * one way to hand work from other threads to the loop's thread, and it
 * wakes a sleeping loop at once. Callbacks added while the loop runs
 * callbacks wait for the next iteration, so that they cannot starve I/O.
 * It takes no lock, and allocates only when the queue needs a new block
 * (once per few hundred callbacks queued beyond what the loop recently
 * used); since it may allocate, a signal handler must use an #IoAsync
 * instead.
 *
 * A loop that refuses work refuses this callback too: it is dropped and
 * @notify runs at once, from the calling thread. That is a closed loop,
 * a loop whose construction failed (made with g_object_new() rather than
 * io_loop_new_with_backend(), which would have reported the error), and,
 * in a child process after fork(), a loop that io_loop_reinit_after_fork()
 * has not made usable yet. A %NULL @func is a programmer error.
 *
 * Since: 1.0
 */
void
io_loop_add_callback (IoLoop         *loop,
                      IoCallback      func,
                      gpointer        user_data,
                      GDestroyNotify  notify)
{
  IoLoopPrivate *priv;

  g_return_if_fail (IO_IS_LOOP (loop));
  g_return_if_fail (func != NULL);

  priv = io_loop_get_instance_private (loop);
  /* init_error is set before the loop is shared, and fork_generation
   * changes only in a child: both are safe to read from any thread. */
  if (G_UNLIKELY (priv->init_error != NULL ||
                  g_atomic_int_get (&priv->fork_generation) !=
                  g_atomic_int_get (&fork_generation)) ||
      !_io_wakeup_push (&priv->wakeup, func, user_data, notify))
    {
      if (notify != NULL)
        notify (user_data);
    }
}

/* The callbacks queued when the iteration's callback phase begins: the
 * ones added meanwhile wait for the next iteration, so that they cannot
 * starve I/O. They run straight from the queue, one taken at a time, so
 * that io_loop_close() from one of them finds the rest still queued and
 * drops them (close_callbacks()). */
static void
run_callbacks (IoLoop        *loop,
               IoLoopPrivate *priv)
{
  IoCallbackQueue *queue = &priv->wakeup.queue;
  IoCallbackItem item;
  gsize end;

  if (g_atomic_int_get (&priv->async_pending))
    _io_async_dispatch_all (loop);

  end = _io_callback_queue_end (queue);
  /* A cell still being filled is worth a yield: on one CPU, its producer
   * may have been preempted mid-push, and polling again would spin until
   * the scheduler ran it anyway. A producer that stays stopped there
   * holds the queue up, but not the loop's I/O. */
  while (_io_callback_queue_pop (queue, end, 1, &item))
    {
      GError *error = NULL;

      priv->n_dispatched++;
      item.func (item.user_data, &error);
      if (item.notify != NULL)
        item.notify (item.user_data);
      if (G_UNLIKELY (error != NULL))
        _io_loop_report_and_free (loop, error);
    }
}

/* Refuses later callbacks and drops the queued ones, each notify once. */
static void
close_callbacks (IoLoopPrivate *priv)
{
  IoCallbackQueue *queue = &priv->wakeup.queue;
  IoCallbackItem item;
  gsize end;

  _io_callback_queue_close (queue);
  /* Every cell reserved before the close is waited for and dropped. */
  end = _io_callback_queue_end (queue);
  while (_io_callback_queue_pop (queue, end, G_MAXUINT, &item))
    if (item.notify != NULL)
      item.notify (item.user_data);
}

static int
compute_poll_timeout (IoLoopPrivate *priv)
{
  gint64 delta;

  if (_io_callback_queue_has_items (&priv->wakeup.queue) ||
      g_atomic_int_get (&priv->async_pending) ||
      priv->failed_fds->len > 0)
    return 0;
  if (priv->timers.len == 0)
    return -1;

  delta = _io_timer_heap_next_deadline (&priv->timers) - g_get_monotonic_time ();
  if (delta <= 0)
    return 0;
  /* Round up: waking early would only spin until the deadline. */
  delta = (delta + 999) / 1000;
  return delta > G_MAXINT ? G_MAXINT : (int) delta;
}

/**
 * io_loop_get_timeout_ms:
 * @loop: an #IoLoop
 *
 * How long the next iteration would block in poll: 0 if callbacks are
 * pending or a timeout is due, -1 if nothing is scheduled, else the
 * milliseconds until the next deadline. For driving the loop from another
 * main loop, with io_loop_get_fd() and io_loop_iteration(): call it before
 * each poll of the fd, since it also hands the backend the handler changes
 * made since the last iteration, so that the fd reflects them.
 *
 * Returns: a poll timeout in milliseconds
 *
 * Since: 1.0
 */
int
io_loop_get_timeout_ms (IoLoop *loop)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), -1);

  priv = io_loop_get_instance_private (loop);
  /* In a child before io_loop_reinit_after_fork(), flushing would change
   * the parent's kernel event set. */
  if (priv->backend != NULL && !_io_loop_is_forked (priv))
    _io_loop_flush_changes (priv);
  return compute_poll_timeout (priv);
}

/* ---- the iteration ---------------------------------------------------- */

static void
dispatch_one (IoLoop        *loop,
              IoLoopPrivate *priv,
              int            fd,
              guint32        revents)
{
  IoHandler *handler;
  GError *error = NULL;

  if (G_UNLIKELY (fd < 0 || fd >= priv->n_fds))
    return;
  handler = priv->fds[fd].handler;
  /* Removed, or added after the poll returned: not its events. */
  if (handler == NULL || handler->poll_gen == priv->poll_gen)
    return;
  revents &= handler->events | IO_EVENTS_ERROR;
  if (revents == 0)
    return;

  _io_source_begin_dispatch (&handler->source);
  if (!handler->internal)
    priv->n_dispatched++;
  handler->func (fd, revents, handler->source.user_data, &error);
  _io_source_end_dispatch (&handler->source);
  if (G_UNLIKELY (error != NULL))
    _io_loop_report_and_free (loop, error);
}

/* The three phases of the poll in an iteration. Closing the loop from a
 * handler or hook frees the backend and its event array: every phase
 * after a callback checks for that first. */

/* Prepare: the hosted contexts' prepare hooks may shorten the timeout;
 * the wake-up fd is checked and repaired; the backend gets the handler
 * changes; and producers are told to write the wake-up fd if we are
 * about to sleep. Sets the timeout to poll with. */
static gboolean
prepare_phase (IoLoop         *loop,
               IoLoopPrivate  *priv,
               gboolean        may_block,
               int            *timeout_out,
               GError        **error)
{
  int timeout_ms = may_block ? compute_poll_timeout (priv) : 0;

  run_prepare_hooks (priv, &timeout_ms);

  /* Before sleeping on the wake-up fd, make sure it is still ours: a
   * kernel event set forgets a closed fd without a word, and poll() says
   * nothing about a number that now names a pipe's write end. */
  if (timeout_ms != 0 && priv->wakeup.read_fd >= 0 &&
      G_UNLIKELY (!_io_wakeup_is_intact (&priv->wakeup)))
    wakeup_forget (loop);
  if (G_UNLIKELY (!wakeup_ensure (loop, error)))
    return FALSE;
  _io_loop_flush_changes (priv);

  if (timeout_ms != 0)
    {
      /* Tell producers to write the wake-up fd, then look once more:
       * either they see us sleeping, or we see their work. */
      __atomic_store_n (&priv->wakeup.sleeping, 1, __ATOMIC_RELAXED);
      __atomic_thread_fence (__ATOMIC_SEQ_CST);
      if (_io_callback_queue_has_items (&priv->wakeup.queue) ||
          g_atomic_int_get (&priv->async_pending) ||
          g_atomic_int_get (&priv->stop_requested))
        timeout_ms = 0;
    }
  *timeout_out = timeout_ms;
  return TRUE;
}

/* Poll: the only place the loop sleeps. The watchdog is off meanwhile,
 * and poll_gen tells handlers added from now on from those polled. */
static int
poll_phase (IoLoopPrivate  *priv,
            int             timeout_ms,
            IoPollEvent   **events,
            GError        **error)
{
  int n;

  _io_loop_disarm_alarm (priv);
  n = priv->backend_class->poll (priv->backend, timeout_ms, events);
  __atomic_store_n (&priv->wakeup.sleeping, 0, __ATOMIC_RELAXED);
  priv->poll_gen++;
  _io_loop_arm_alarm (priv);

  if (G_UNLIKELY (n < 0))
    {
      int errsv = errno;

      g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                   _("Polling with %s failed: %s"),
                   priv->backend_class->name, g_strerror (errsv));
    }
  return n;
}

/* Dispatch: the handlers of the ready fds, then those whose deferred
 * registration failed (told IO_EVENTS_ERROR), then the check hooks. */
static void
dispatch_phase (IoLoop         *loop,
                IoLoopPrivate  *priv,
                IoPollEvent    *events,
                int             n)
{
  int i;

  for (i = 0; i < n; i++)
    {
      dispatch_one (loop, priv, events[i].fd, events[i].revents);
      if (G_UNLIKELY (_io_loop_is_closed_priv (priv)))
        return;
    }

  if (G_UNLIKELY (priv->failed_fds->len > 0))
    {
      GArray *failed = priv->failed_fds;

      priv->failed_fds = g_array_new (FALSE, FALSE, sizeof (int));
      for (i = 0; i < (int) failed->len && !_io_loop_is_closed_priv (priv); i++)
        dispatch_one (loop, priv, g_array_index (failed, int, i), IO_EVENTS_ERROR);
      g_array_unref (failed);
    }

  run_check_hooks (priv);
}

static gboolean
poll_and_dispatch (IoLoop         *loop,
                   IoLoopPrivate  *priv,
                   gboolean        may_block,
                   GError        **error)
{
  IoPollEvent *events = NULL;
  int timeout_ms, n;

  if (G_UNLIKELY (!prepare_phase (loop, priv, may_block, &timeout_ms, error)))
    return FALSE;
  n = poll_phase (priv, timeout_ms, &events, error);
  if (G_UNLIKELY (n < 0))
    return FALSE;
  dispatch_phase (loop, priv, events, n);
  return TRUE;
}

static gboolean
iterate (IoLoop         *loop,
         IoLoopPrivate  *priv,
         gboolean        may_block,
         gboolean        stop_aware,
         GError        **error)
{
  gboolean ok = TRUE;

  priv->n_iterations++;
  priv->wall_offset_valid = FALSE;

  run_callbacks (loop, priv);
  if (!_io_loop_is_closed_priv (priv))
    _io_loop_run_timeouts (loop, priv);
  if (!_io_loop_is_closed_priv (priv) &&
      !(stop_aware && g_atomic_int_get (&priv->stop_requested)))
    ok = poll_and_dispatch (loop, priv, may_block, error);

  return ok;
}

static gboolean
refuse_running (GError **error)
{
  g_set_error_literal (error, IO_LOOP_ERROR, IO_LOOP_ERROR_RUNNING,
                       _("The loop is already running"));
  return FALSE;
}

/**
 * io_loop_start:
 * @loop: an #IoLoop
 * @error: return location for a #GError
 *
 * Runs the loop until a callback or handler calls io_loop_stop(); the loop
 * then stops after the current iteration. If io_loop_stop() was called
 * while the loop was not running, returns at once.
 *
 * Fails with %IO_LOOP_ERROR_RUNNING if the loop is already running (the
 * loop is not re-entrant), %IO_LOOP_ERROR_CLOSED if it is closed, and
 * %IO_LOOP_ERROR_FAILED if polling fails.
 *
 * Returns: %TRUE when stopped by io_loop_stop() or io_loop_close()
 *
 * Since: 1.0
 */
gboolean
io_loop_start (IoLoop  *loop,
               GError **error)
{
  IoLoopPrivate *priv;
  gboolean ok = TRUE;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = io_loop_get_instance_private (loop);
  if (!check_usable (loop, priv, error))
    return FALSE;
  if (!g_atomic_int_compare_and_exchange (&priv->state, IO_LOOP_STATE_IDLE,
                                         IO_LOOP_STATE_RUNNING))
    return refuse_running (error);
  if (g_atomic_int_compare_and_exchange (&priv->stop_requested, 1, 0))
    {
      leave_state (priv, IO_LOOP_STATE_RUNNING);
      return TRUE;
    }

  g_object_ref (loop);
  /* The callbacks that run before the first poll are watched too. */
  _io_loop_arm_alarm (priv);
  while (ok && !_io_loop_is_closed_priv (priv) &&
         !g_atomic_int_get (&priv->stop_requested))
    ok = iterate (loop, priv, TRUE, TRUE, error);

  _io_loop_disarm_alarm (priv);
  g_atomic_int_set (&priv->stop_requested, 0);
  leave_state (priv, IO_LOOP_STATE_RUNNING);
  g_object_unref (loop);
  return ok;
}

/**
 * io_loop_stop:
 * @loop: an #IoLoop
 *
 * Stops the loop after the current iteration. If the loop is not running,
 * the next io_loop_start() returns at once.
 *
 * To use asynchronous functions from synchronous code (such as a test),
 * pass a callback that calls io_loop_stop() and then call io_loop_start():
 * it returns after the callback ran, whether that happened before or after
 * io_loop_start() was called.
 *
 * Safe to call from any thread while the loop is not being closed. From a
 * signal handler, use an #IoAsync whose callback calls this.
 *
 * Since: 1.0
 */
void
io_loop_stop (IoLoop *loop)
{
  IoLoopPrivate *priv;

  g_return_if_fail (IO_IS_LOOP (loop));

  priv = io_loop_get_instance_private (loop);
  g_atomic_int_set (&priv->stop_requested, 1);
  if (!_io_loop_is_closed_priv (priv) && priv->init_error == NULL)
    _io_wakeup_signal (&priv->wakeup);
}

/**
 * io_loop_is_running:
 * @loop: an #IoLoop
 *
 * Returns: %TRUE while io_loop_start() runs
 *
 * Since: 1.0
 */
gboolean
io_loop_is_running (IoLoop *loop)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);

  switch (g_atomic_int_get (&((IoLoopPrivate *) io_loop_get_instance_private (loop))->state))
    {
    case IO_LOOP_STATE_RUNNING:
    case IO_LOOP_STATE_CLOSED_IN_START:
      return TRUE;
    default:
      return FALSE;
    }
}

/**
 * io_loop_iteration:
 * @loop: an #IoLoop
 * @may_block: whether to wait for events when nothing is ready
 * @error: return location for a #GError
 *
 * Runs one iteration: the pending callbacks, the due timeouts, one poll
 * (blocking until the next deadline only if @may_block) and the handlers
 * of the ready file descriptors. For driving the loop from another main
 * loop; io_loop_start() is this in a loop.
 *
 * Fails with %IO_LOOP_ERROR_RUNNING when called from inside an iteration
 * or while io_loop_start() runs, and %IO_LOOP_ERROR_CLOSED on a closed loop.
 *
 * Returns: %TRUE if a callback, timeout or handler ran; %FALSE if nothing
 *   did or on error (then @error is set)
 *
 * Since: 1.0
 */
gboolean
io_loop_iteration (IoLoop    *loop,
                   gboolean   may_block,
                   GError   **error)
{
  IoLoopPrivate *priv;
  guint64 before;
  gboolean ok;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = io_loop_get_instance_private (loop);
  if (!check_usable (loop, priv, error))
    return FALSE;
  if (!g_atomic_int_compare_and_exchange (&priv->state, IO_LOOP_STATE_IDLE,
                                         IO_LOOP_STATE_ITERATING))
    return refuse_running (error);

  g_object_ref (loop);
  before = priv->n_dispatched;
  ok = iterate (loop, priv, may_block, FALSE, error);
  _io_loop_disarm_alarm (priv);
  leave_state (priv, IO_LOOP_STATE_ITERATING);
  ok = ok && priv->n_dispatched != before;
  g_object_unref (loop);
  return ok;
}

/**
 * io_loop_get_fd:
 * @loop: an #IoLoop
 *
 * The backend's own pollable file descriptor (the epoll or kqueue fd): it
 * polls readable when an iteration has events to dispatch. For driving
 * the loop from another main loop: before each poll, call
 * io_loop_get_timeout_ms() for the timeout.
 *
 * Returns: the fd, or -1 for backends without one (poll, select, and
 *   kqueue on Linux's libkqueue, whose kqueue fd never polls readable) or
 *   on a closed loop
 *
 * Since: 1.0
 */
int
io_loop_get_fd (IoLoop *loop)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), -1);

  priv = io_loop_get_instance_private (loop);
  /* A forked child's backend fd is its parent's until re-init. */
  if (priv->backend == NULL || _io_loop_is_forked (priv))
    return -1;
  return priv->backend_class->get_fd (priv->backend);
}

/* ---- closing ---------------------------------------------------------- */

/**
 * io_loop_close:
 * @loop: an #IoLoop
 * @all_fds: whether to close the file descriptors that have handlers
 *
 * Releases everything the loop holds: handlers (closing their fds if
 * @all_fds), timeouts, queued callbacks and #IoAsync handles, each notify
 * running once, the backend and the wake-up fd: afterwards the process
 * has as many fds open as before the loop existed. Other threads may go on
 * calling io_loop_add_callback(), io_loop_stop() and io_async_send()
 * meanwhile; none of them writes to a released fd. A running loop stops after the current
 * callback. Afterwards the loop refuses new work with
 * %IO_LOOP_ERROR_CLOSED, and io_loop_add_callback() drops its callback.
 * Closing twice does nothing; finalizing a loop closes it.
 *
 * Since: 1.0
 */
void
io_loop_close (IoLoop   *loop,
               gboolean  all_fds)
{
  IoLoopPrivate *priv;
  int fd;

  g_return_if_fail (IO_IS_LOOP (loop));

  priv = io_loop_get_instance_private (loop);
  if (!enter_closed (priv))
    return;
  g_object_ref (loop);
  g_atomic_int_set (&priv->stop_requested, 1);
  /* In a child that did not re-init, as in io_loop_reinit_after_fork(). */
  if (_io_loop_is_forked (priv))
    _io_wakeup_after_fork (&priv->wakeup);

  for (fd = 0; fd < priv->n_fds; fd++)
    {
      IoHandler *handler = priv->fds[fd].handler;

      if (handler == NULL)
        continue;
      if (all_fds && !handler->internal)
        {
          close (fd);
          handler->fd_closed = TRUE;
        }
      _io_loop_detach_handler (priv, fd);
    }
  priv->n_changes = 0;

  _io_loop_cancel_timeouts (priv);
  close_callbacks (priv);
  run_close_hooks (priv);
  _io_async_detach_all (loop);

  _io_loop_forget_kernel_registrations (priv);

  /* Pushes are refused by now; a signal still writing is waited for. */
  _io_wakeup_clear (&priv->wakeup);
  if (priv->backend != NULL)
    priv->backend_class->destroy (priv->backend);
  priv->backend = NULL;
  g_object_unref (loop);
}

/**
 * io_loop_is_closed:
 * @loop: an #IoLoop
 *
 * Returns: %TRUE once io_loop_close() was called
 *
 * Since: 1.0
 */
gboolean
io_loop_is_closed (IoLoop *loop)
{
  g_return_val_if_fail (IO_IS_LOOP (loop), TRUE);

  return _io_loop_is_closed_priv (io_loop_get_instance_private (loop));
}

/* ---- fork ------------------------------------------------------------- */

/**
 * io_loop_reinit_after_fork:
 * @loop: an #IoLoop
 * @error: return location for a #GError
 *
 * Makes a loop created before fork() usable in the child: the backend and
 * the wake-up fd, which the child shares with its parent, are replaced by
 * new ones and every handler is registered again. Handlers, timeouts and
 * queued callbacks are kept. Until this is called, a loop used in a child
 * fails with %IO_LOOP_ERROR_FORKED, so that parent and child never share a
 * kernel event set by accident. In a process that has not forked since the
 * loop was created, this does nothing.
 *
 * Call it in the child, from the thread that runs the loop, while the loop
 * is not running.
 *
 * Only the thread that called fork() exists in the child: a callback that
 * another thread was still adding at that moment (io_loop_add_callback()
 * had not returned) is not in the child's queue; it neither runs nor has
 * its notify run there. The callbacks added before are kept. This holds
 * for io_loop_close() in a child that did not call this, too.
 *
 * If the new backend or wake-up fd cannot be made (%IO_LOOP_ERROR_FAILED,
 * say at the process's fd limit), nothing changes: the loop keeps
 * refusing work with %IO_LOOP_ERROR_FORKED, this may be called again, and
 * io_loop_close() releases everything, every notify running once.
 *
 * Returns: %TRUE if the loop can be used
 *
 * Since: 1.0
 */
gboolean
io_loop_reinit_after_fork (IoLoop  *loop,
                           GError **error)
{
  IoLoopPrivate *priv;
  IoBackend *backend;
  int old_wakeup_fd;
  int fd;

  g_return_val_if_fail (IO_IS_LOOP (loop), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = io_loop_get_instance_private (loop);
  if (priv->init_error != NULL || _io_loop_is_closed_priv (priv))
    return check_usable (loop, priv, error);
  if (priv->fork_generation == g_atomic_int_get (&fork_generation))
    return TRUE;
  if (_io_loop_is_busy (priv))
    return refuse_running (error);

  /* The other threads' pushes and signals that fork() caught are
   * repaired first: the steps below must not wait for them. */
  _io_wakeup_after_fork (&priv->wakeup);

  /* Everything that can fail comes first, so that a failure leaves the
   * loop as it was: refused in the child, and closed by io_loop_close()
   * like any other loop. */
  backend = priv->backend_class->create (error);
  if (backend == NULL)
    return FALSE;
  old_wakeup_fd = priv->wakeup.read_fd;
  if (!_io_wakeup_replace (&priv->wakeup, error))
    {
      priv->backend_class->destroy (backend);
      return FALSE;
    }

  /* Closing our copies of the inherited fds leaves the parent's alone. */
  _io_loop_forget_kernel_registrations (priv);
  priv->backend_class->destroy (priv->backend);
  priv->backend = backend;
  if (old_wakeup_fd >= 0)
    _io_loop_remove_internal_handler (loop, old_wakeup_fd);

  priv->n_changes = 0;
  for (fd = 0; fd < priv->n_fds; fd++)
    {
      IoFdSlot *slot = &priv->fds[fd];

      slot->kernel_registered = FALSE;
      slot->kernel_events = 0;
      slot->dirty = FALSE;
      /* The new backend holds nothing: every handler is added to it at
       * the next flush, and hears IO_EVENTS_ERROR if that fails. */
      if (slot->handler != NULL)
        _io_loop_queue_change (priv, fd);
    }

  g_atomic_int_set (&priv->fork_generation, g_atomic_int_get (&fork_generation));
  /* Only memory can fail here; then the wake-up fd counts as broken, and
   * the next iteration tries again and reports. */
  if (!wakeup_register (loop, NULL))
    _io_wakeup_clear (&priv->wakeup);
  return TRUE;
}

/* ---- backends --------------------------------------------------------- */

/**
 * io_loop_list_backends:
 *
 * The backends built into this library, best first: among "epoll",
 * "kqueue", "poll" and "select".
 *
 * Returns: (transfer none) (array zero-terminated=1): backend names
 *
 * Since: 1.0
 */
const char **
io_loop_list_backends (void)
{
  static const char **names;

  if (g_once_init_enter (&names))
    {
      const IoBackendClass * const *list = _io_backend_list ();
      GPtrArray *array = g_ptr_array_new ();

      for (; *list != NULL; list++)
        g_ptr_array_add (array, (gpointer) (*list)->name);
      g_ptr_array_add (array, NULL);
      g_once_init_leave (&names, (const char **) g_ptr_array_free (array, FALSE));
    }
  return names;
}

static const IoBackendClass *
find_backend (const char  *name,
              GError     **error)
{
  const IoBackendClass *klass;
  char *available;

  if (name == NULL || *name == '\0')
    name = g_getenv ("IOLOOP_BACKEND");
  if (name == NULL || *name == '\0')
    return _io_backend_list ()[0];

  klass = _io_backend_lookup (name);
  if (klass != NULL)
    return klass;

  available = g_strjoinv (", ", (char **) io_loop_list_backends ());
  g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_NO_BACKEND,
               /* Translators: the original has ASCII quotes so that a
                * program that never calls setlocale(), which GLib prints
                * in ASCII for, shows the name rather than "?name?". */
               _("Unknown or unavailable backend \"%s\" (available: %s)"),
               name, available);
  g_free (available);
  return NULL;
}

/**
 * io_loop_new:
 *
 * Creates a loop on the backend named by the `IOLOOP_BACKEND` environment
 * variable, or else the best one available. If the variable names an
 * unknown backend, warns and uses the best one.
 *
 * Returns: (transfer full): a new #IoLoop
 *
 * Since: 1.0
 */
IoLoop *
io_loop_new (void)
{
  GError *error = NULL;

  if (find_backend (NULL, &error) == NULL)
    {
      g_warning ("%s; using %s", error->message, _io_backend_list ()[0]->name);
      g_error_free (error);
      return g_object_new (IO_TYPE_LOOP, "backend", _io_backend_list ()[0]->name, NULL);
    }
  return g_object_new (IO_TYPE_LOOP, NULL);
}

/**
 * io_loop_new_with_backend:
 * @backend: (nullable): "epoll", "kqueue", "poll" or "select"; %NULL for
 *   the `IOLOOP_BACKEND` environment variable or else the best available
 * @error: return location for a #GError
 *
 * Creates a loop on a chosen backend. Fails with
 * %IO_LOOP_ERROR_NO_BACKEND if @backend is unknown or not built, and with
 * %IO_LOOP_ERROR_FAILED if the system refuses the resources.
 *
 * Returns: (transfer full) (nullable): a new #IoLoop
 *
 * Since: 1.0
 */
IoLoop *
io_loop_new_with_backend (const char  *backend,
                          GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (IO_TYPE_LOOP, NULL, error, "backend", backend, NULL);
}

/**
 * io_loop_get_backend:
 * @loop: an #IoLoop
 *
 * Returns: the name of the backend @loop polls with
 *
 * Since: 1.0
 */
const char *
io_loop_get_backend (IoLoop *loop)
{
  IoLoopPrivate *priv;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);

  priv = io_loop_get_instance_private (loop);
  return priv->backend_class != NULL ? priv->backend_class->name : priv->backend_name;
}

gboolean
_io_loop_notify_fd_was_closed (IoLoop *loop,
                               int     fd)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  return fd >= 0 && priv->notify_closed_fd == fd;
}

/* Whether a fd number reused by a new file needs registering anew
 * (IoBackendClass.kernel_keeps_fds); FALSE on a closed loop. */
gboolean
_io_loop_kernel_keeps_fds (IoLoop *loop)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  return priv->backend != NULL && priv->backend_class->kernel_keeps_fds;
}

/* ---- internals for tests and benchmarks -------------------------------- */

int
_io_loop_get_wakeup_fd (IoLoop *loop)
{
  return ((IoLoopPrivate *) io_loop_get_instance_private (loop))->wakeup.read_fd;
}

guint64
_io_loop_get_n_wakeup_writes (IoLoop *loop)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  return __atomic_load_n (&priv->wakeup.n_writes, __ATOMIC_RELAXED);
}

guint64
_io_loop_get_n_iterations (IoLoop *loop)
{
  return ((IoLoopPrivate *) io_loop_get_instance_private (loop))->n_iterations;
}

/* ---- GObject ---------------------------------------------------------- */

static void
io_loop_constructed (GObject *object)
{
  IoLoop *loop = IO_LOOP (object);
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);
  GError *error = NULL;

  G_OBJECT_CLASS (io_loop_parent_class)->constructed (object);

  priv->backend_class = find_backend (priv->backend_name, &error);
  if (priv->backend_class != NULL)
    priv->backend = priv->backend_class->create (&error);
  if (priv->backend != NULL && _io_wakeup_init (&priv->wakeup, &error))
    wakeup_register (loop, &error);

  if (error != NULL)
    priv->init_error = error;
}

static gboolean
io_loop_initable_init (GInitable     *initable,
                       GCancellable  *cancellable,
                       GError       **error)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (IO_LOOP (initable));

  if (priv->init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (priv->init_error));
      return FALSE;
    }
  return TRUE;
}

static void
io_loop_initable_iface_init (GInitableIface *iface)
{
  iface->init = io_loop_initable_init;
}

static void
io_loop_dispose (GObject *object)
{
  io_loop_close (IO_LOOP (object), FALSE);

  G_OBJECT_CLASS (io_loop_parent_class)->dispose (object);
}

static void
io_loop_finalize (GObject *object)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (IO_LOOP (object));
  int fd;

  _io_wakeup_clear (&priv->wakeup);
  _io_callback_queue_clear (&priv->wakeup.queue);
  for (fd = 0; fd < priv->n_fds; fd++)
    g_free (priv->fds[fd].spare);
  g_free (priv->fds);
  g_free (priv->changes);
  g_free (priv->timers.nodes);
  g_free (priv->due);
  _io_source_list_clear (&priv->asyncs);
  g_clear_pointer (&priv->failed_fds, g_array_unref);
  /* Hooks nobody removed: their notifies run now. */
  destroy_hooks (&priv->hooks);
  destroy_hooks (&priv->close_hooks);
  destroy_hooks (&priv->fd_observers);
  _io_source_list_clear (&priv->hooks);
  _io_source_list_clear (&priv->close_hooks);
  _io_source_list_clear (&priv->fd_observers);
  g_clear_error (&priv->init_error);
  g_free (priv->backend_name);

  G_OBJECT_CLASS (io_loop_parent_class)->finalize (object);
}

static void
io_loop_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  IoLoop *loop = IO_LOOP (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      g_value_set_string (value, io_loop_get_backend (loop));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
io_loop_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (IO_LOOP (object));

  switch (prop_id)
    {
    case PROP_BACKEND:
      priv->backend_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bump_fork_generation (void)
{
  g_atomic_int_inc (&fork_generation);
}

static void
io_loop_class_init (IoLoopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  pthread_atfork (NULL, NULL, bump_fork_generation);

  object_class->constructed = io_loop_constructed;
  object_class->dispose = io_loop_dispose;
  object_class->finalize = io_loop_finalize;
  object_class->get_property = io_loop_get_property;
  object_class->set_property = io_loop_set_property;

  klass->handle_callback_exception = io_loop_real_handle_callback_exception;

  /**
   * IoLoop:backend:
   *
   * The name of the polling backend: "epoll", "kqueue", "poll" or
   * "select". Set at construction; %NULL picks the `IOLOOP_BACKEND`
   * environment variable or else the best available.
   *
   * Since: 1.0
   */
  properties[PROP_BACKEND] =
    g_param_spec_string ("backend", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * IoLoop::callback-exception:
   * @loop: the loop
   * @error: what the callback reported
   *
   * Emitted when a callback, handler, timeout or periodic callback fails
   * (sets its #GError), unless a handler of #IoLoop::handle-exception
   * returned %TRUE for it. The class handler,
   * #IoLoopClass.handle_callback_exception, logs the error; the loop goes
   * on either way. To handle an error without that log, connect to
   * #IoLoop::handle-exception and return %TRUE (or, in a handler of this
   * signal, call g_signal_stop_emission_by_name()).
   *
   * Since: 1.0
   */
  signals[CALLBACK_EXCEPTION] =
    g_signal_new ("callback-exception",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (IoLoopClass, handle_callback_exception),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * IoLoop::handle-exception:
   * @loop: the loop
   * @error: what the callback reported
   *
   * Emitted when a callback, handler, timeout or periodic callback fails,
   * before #IoLoop::callback-exception. Return %TRUE to say that the
   * error is handled: then no further handler of this signal runs, and
   * #IoLoop::callback-exception is not emitted, so nothing is logged.
   * Return %FALSE to leave the error to the next handler, and at the end
   * to #IoLoop::callback-exception, whose default handler logs it.
   *
   * This is the way to handle exceptions without a subclass, with the
   * boolean "handled" convention of GTK's event signals:
   *
   * |[<!-- language="C" -->
   * static gboolean
   * on_handle_exception (IoLoop *loop, const GError *error, gpointer data)
   * {
   *   my_app_report (data, error);
   *   return TRUE;
   * }
   *
   * g_signal_connect (loop, "handle-exception", G_CALLBACK (on_handle_exception), app);
   * ]|
   *
   * Returns: %TRUE to stop other handlers and #IoLoop::callback-exception
   *   from being invoked for @error
   *
   * Since: 1.2
   */
  signals[HANDLE_EXCEPTION] =
    g_signal_new ("handle-exception",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  g_signal_accumulator_true_handled, NULL, NULL,
                  G_TYPE_BOOLEAN, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
io_loop_init (IoLoop *loop)
{
  IoLoopPrivate *priv = io_loop_get_instance_private (loop);

  priv->wakeup.read_fd = priv->wakeup.write_fd = -1;
  _io_source_list_init (&priv->asyncs);
  priv->failed_fds = g_array_new (FALSE, FALSE, sizeof (int));
  _io_source_list_init (&priv->hooks);
  _io_source_list_init (&priv->close_hooks);
  _io_source_list_init (&priv->fd_observers);
  priv->notify_closed_fd = -1;
  priv->fork_generation = g_atomic_int_get (&fork_generation);
  _io_timer_heap_init (&priv->timers);
}
