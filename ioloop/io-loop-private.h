/* io-loop-private.h: state shared by the core files of the loop
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal: nothing here is installed or exported.
 */
#pragma once

#include "io-types.h"
#include "io-loop.h"
#include "io-timeout.h"
#include "io-async.h"
#include "io-backend.h"
#include "io-timer-heap.h"
#include "io-source.h"
#include "io-callback-queue.h"

G_BEGIN_DECLS

/* ---- wake-up and cross-thread queue (io-wakeup.c) ---------------------- */

typedef struct
{
  /* First, on lines of its own: producers and the loop share it. */
  IoCallbackQueue queue;

  int             read_fd;
  int             write_fd;      /* == read_fd for an eventfd */
  int             read_flags;    /* F_GETFL of read_fd when opened */
  /* 1 from the first signal after a drain until the next drain: later
   * signals cost no write. */
  gint            pending;
  /* 1 while the loop is (about to be) blocked in poll: only then does a
   * signal need to write at all. */
  gint            sleeping;
  /* Signals between reading write_fd and finishing their write(). */
  gint            senders;
  guint64         n_writes;      /* statistics, for benchmarks */
} IoWakeup;

gboolean        _io_wakeup_init       (IoWakeup        *wakeup,
                                       GError         **error);
void            _io_wakeup_clear      (IoWakeup        *wakeup);
void            _io_wakeup_signal     (IoWakeup        *wakeup);
gboolean        _io_wakeup_drain      (IoWakeup        *wakeup);
gboolean        _io_wakeup_is_intact  (IoWakeup        *wakeup);
void            _io_wakeup_forget     (IoWakeup        *wakeup);
gboolean        _io_wakeup_replace    (IoWakeup        *wakeup,
                                       GError         **error);
void            _io_wakeup_after_fork (IoWakeup        *wakeup);
gboolean        _io_wakeup_push       (IoWakeup        *wakeup,
                                       IoCallback       func,
                                       gpointer         user_data,
                                       GDestroyNotify   notify);

typedef struct _IoLoopPrivate IoLoopPrivate;

/* ---- file-descriptor handlers (io-handler.c) ---------------------------- */

/* Lives by the rule of io-source.h: the loop holds the one reference,
 * from attach to detach (or to the end of the dispatch that detached it). */
typedef struct
{
  IoSource        source;
  IoHandlerFunc   func;
  IoLoopPrivate  *priv;           /* its loop's: the handler dies first */
  int             fd;
  guint32         events;
  /* The loop's poll generation when the handler was added: events from a
   * poll that returned before the handler existed are not its own. */
  guint32         poll_gen;
  guint8          internal;
  guint8          fd_closed;      /* io_loop_close (loop, TRUE) closed it */
} IoHandler;

typedef struct
{
  IoHandler *handler;
  IoHandler *spare;       /* freed handler kept for the next one */
  guint32    kernel_events;
  guint8     kernel_registered;
  guint8     dirty;       /* queued in the change list */
} IoFdSlot;

/* ---- the loop ---------------------------------------------------------- */

/* Where the loop is in its life. Every change is a compare-and-exchange
 * on IoLoopPrivate.state, so that other threads (io_loop_is_closed(),
 * io_loop_is_running(), the checks of io_loop_add_callback()) read one
 * consistent value:
 *
 *   IDLE -> ITERATING -> IDLE               io_loop_iteration()
 *   IDLE -> RUNNING -> IDLE                 io_loop_start()
 *   IDLE -> CLOSED                          io_loop_close()
 *   ITERATING -> CLOSED_IN_ITERATION -> CLOSED
 *   RUNNING -> CLOSED_IN_START -> CLOSED    io_loop_close() from a callback;
 *                                           CLOSED once the call unwinds
 *
 * A loop whose construction failed stays IDLE with init_error set, which
 * every entry point checks first. CLOSED states come last, so that
 * "closed" is state >= IO_LOOP_STATE_CLOSED_IN_ITERATION. */
typedef enum
{
  IO_LOOP_STATE_IDLE,
  IO_LOOP_STATE_ITERATING,             /* inside io_loop_iteration() */
  IO_LOOP_STATE_RUNNING,               /* inside io_loop_start() */
  IO_LOOP_STATE_CLOSED_IN_ITERATION,
  IO_LOOP_STATE_CLOSED_IN_START,
  IO_LOOP_STATE_CLOSED,
} IoLoopState;

static inline gboolean
_io_loop_state_is_closed (gint state)
{
  return state >= IO_LOOP_STATE_CLOSED_IN_ITERATION;
}

struct _IoLoopPrivate
{
  const IoBackendClass *backend_class;
  IoBackend            *backend;
  char                 *backend_name;    /* construct property */
  GError               *init_error;
  /* Read, with init_error, by every io_loop_add_callback() from any
   * thread: kept off the lines the loop writes per callback. */
  gint                  fork_generation;

  IoFdSlot             *fds;
  int                   n_fds;
  int                  *changes;
  guint                 n_changes;
  guint                 changes_size;

  IoTimerHeap           timers;
  IoTimeout           **due;
  guint                 n_due;
  guint                 due_size;
  gint64                wall_offset;     /* real time - monotonic time */
  gboolean              wall_offset_valid;

  IoWakeup              wakeup;

  IoSourceList          asyncs;          /* of IoAsync */
  gint                  async_pending;

  gint                  state;           /* IoLoopState; read from any thread */
  /* A request, not a state: io_loop_stop() may come from any thread in
   * any state, and one made while idle is kept for the next start(). */
  gint                  stop_requested;
  guint32               poll_gen;
  guint64               n_iterations;
  guint64               n_dispatched;    /* callbacks of any kind run */

  gdouble               alarm_seconds;
  gboolean              alarm_armed;

  /* fds whose deferred registration failed: told IO_EVENTS_ERROR */
  GArray               *failed_fds;

  IoSourceList          hooks;           /* of IoLoopHook: prepare, check */
  IoSourceList          close_hooks;     /* of IoLoopHook: close */
  guint                 next_hook_id;

  IoSourceList          fd_observers;    /* of IoLoopHook: observe */

  /* The fd whose handler's notify is running, if the loop closed that fd
   * itself (io_loop_close (loop, TRUE)); -1 otherwise. */
  int                   notify_closed_fd;
};

IoLoopPrivate *_io_loop_get_private (IoLoop *loop);

/* Adds a timeout at a monotonic deadline in microseconds. */
IoTimeout     *_io_loop_add_timeout_monotonic (IoLoop         *loop,
                                               gint64          deadline,
                                               IoCallback      func,
                                               gpointer        user_data,
                                               GDestroyNotify  notify);

/* IoAsync (io-async.c) */
void           _io_async_dispatch_all  (IoLoop        *loop);
void           _io_async_detach_all    (IoLoop        *loop);

/* Hooks around the poll, for hosting another main context. prepare()
 * may lower *timeout_ms (-1: no limit); check() runs after the fd
 * handlers of the iteration. Hooks are sources of the loop
 * (io-source.h): a hook may remove any hook, itself included, and
 * @notify runs with @data once the hook is removed (or the loop
 * finalized) and neither of its functions is running. */
typedef struct
{
  void (*prepare) (gpointer data,
                   int     *timeout_ms);
  void (*check)   (gpointer data);
} IoLoopHookFuncs;

guint          _io_loop_add_hook        (IoLoop                *loop,
                                         const IoLoopHookFuncs *funcs,
                                         gpointer               data,
                                         GDestroyNotify         notify);
void           _io_loop_remove_hook     (IoLoop                *loop,
                                         guint                  id);

/* Close hooks: how a part of the library that keeps per-loop state
 * (signal handlers, child watches, hosted main contexts) learns that the
 * loop closed. io_loop_close() (and so dispose) runs each hook once,
 * newest first, after the handlers, timeouts and queued callbacks are
 * released and before the IoAsync handles are detached, so that a hook
 * may still close its own IoAsync. A hook may remove any hook, itself
 * included, and is removed before it runs. Call these on the loop's
 * thread; removing a hook that ran or was removed does nothing. */
typedef void (*IoLoopCloseFunc) (gpointer data);

guint          _io_loop_add_close_hook     (IoLoop            *loop,
                                            IoLoopCloseFunc    func,
                                            gpointer           data);
void           _io_loop_remove_close_hook  (IoLoop            *loop,
                                            guint              id);

/* Observers of the backend's interest set, for mirroring it into another
 * main loop when the backend has no pollable fd of its own (poll, select).
 * @events is what the backend now watches @fd for: IO_EVENTS_READ/WRITE
 * bits plus IO_EVENTS_ERROR, or 0 once it no longer watches @fd.
 * _io_loop_add_fd_observer() first replays every fd the backend watches;
 * then the observer hears of each change when the loop applies it (in the
 * first registration of a handler, or when the change list is flushed
 * before a poll and in io_loop_get_fd()), and of every fd being dropped
 * when io_loop_close() or io_loop_reinit_after_fork() releases the
 * backend. Called on the loop's thread. Observers are hooks (sources of
 * the loop, io-source.h): one may remove observers, itself included, but
 * must not add, update or remove handlers. */
typedef void (*IoLoopFdObserver) (gpointer  data,
                                  int       fd,
                                  IoEvents  events);

guint          _io_loop_add_fd_observer    (IoLoop            *loop,
                                            IoLoopFdObserver   func,
                                            gpointer           data);
void           _io_loop_remove_fd_observer (IoLoop            *loop,
                                            guint              id);

/* Calls the observers: io-handler.c, when the backend's set changes. */
void           _io_loop_run_fd_observers   (IoLoopPrivate     *priv,
                                            int                fd,
                                            guint32            events);

/* The checks every entry point makes: FALSE with IO_LOOP_ERROR_CLOSED,
 * IO_LOOP_ERROR_FORKED (a child before io_loop_reinit_after_fork()) or the
 * loop's construction error. */
gboolean       _io_loop_check_usable       (IoLoop            *loop,
                                            GError           **error);

/* TRUE in a child forked since the loop was made or re-initialized: the
 * kernel event set is still the parent's, so nothing may change it. */
gboolean       _io_loop_is_forked          (IoLoopPrivate     *priv);

/* For driving the loop from another main loop (io-glib-host.c, io-glib-source.c): tells
 * producers that the loop's thread is about to sleep in a poll that is not
 * the loop's own (one that watches io_loop_get_fd(), or the mirrored fds),
 * so that io_loop_add_callback() and io_async_send() from other threads
 * write the wake-up fd. Returns FALSE if work arrived meanwhile: then do
 * not sleep. The next iteration's poll ends the wait. */
gboolean       _io_loop_begin_external_wait (IoLoop           *loop);

/* Handlers of the library's own fds: invisible to the public API (which
 * reports EXISTS for their fds and NOT_FOUND on update/remove), never
 * closed by io_loop_close (loop, TRUE), and without notify. */
gboolean       _io_loop_add_internal_handler    (IoLoop         *loop,
                                                 int             fd,
                                                 IoEvents        events,
                                                 IoHandlerFunc   func,
                                                 gpointer        user_data,
                                                 GError        **error);
void           _io_loop_update_internal_handler (IoLoop         *loop,
                                                 int             fd,
                                                 IoEvents        events);
void           _io_loop_remove_internal_handler (IoLoop         *loop,
                                                 int             fd);
/* Registers the fd of an internal handler anew, as the new file its
 * number may name by now (io-glib-host.c: GLib's fds come and go behind
 * the loop's back), through the backend's invalidate(). FALSE if the fd
 * cannot be watched any more: it is then unregistered, and the caller
 * removes the handler. */
gboolean       _io_loop_refresh_internal_handler (IoLoop        *loop,
                                                  int            fd);

/* Shared between the core files: io-handler.c */
void           _io_loop_queue_change    (IoLoopPrivate  *priv,
                                         int             fd);
void           _io_loop_flush_changes   (IoLoopPrivate  *priv);
gboolean       _io_loop_attach_handler  (IoLoopPrivate  *priv,
                                         int             fd,
                                         IoEvents        events,
                                         IoHandlerFunc   func,
                                         gpointer        user_data,
                                         GDestroyNotify  notify,
                                         gboolean        internal,
                                         GError        **error);
void           _io_loop_detach_handler  (IoLoopPrivate  *priv,
                                         int             fd);
void           _io_loop_forget_kernel_registrations (IoLoopPrivate *priv);

/* io-timeout.c */
void           _io_loop_run_timeouts    (IoLoop         *loop,
                                         IoLoopPrivate  *priv);
void           _io_loop_cancel_timeouts (IoLoopPrivate  *priv);

/* io-watchdog.c */
void           _io_loop_arm_alarm       (IoLoopPrivate  *priv);
void           _io_loop_disarm_alarm    (IoLoopPrivate  *priv);

/* io-loop.c: the one function that reports a failed callback (every
 * kind: handlers, timeouts, callbacks, IoAsync, signals, child watches,
 * the GLib integration) through handle-exception and callback-exception;
 * takes @error and frees it. */
void           _io_loop_report_and_free (IoLoop         *loop,
                                         GError         *error);
gboolean       _io_loop_kernel_keeps_fds (IoLoop        *loop);
/* TRUE once io_loop_close() began; safe from any thread. */
gboolean       _io_loop_is_closed_priv  (IoLoopPrivate  *priv);
/* TRUE while io_loop_start() or io_loop_iteration() is on the stack,
 * closed meanwhile or not. */
gboolean       _io_loop_is_busy         (IoLoopPrivate  *priv);

/* For a handler's notify: TRUE if the loop closed @fd itself
 * (io_loop_close (loop, TRUE)) before running this notify, so that the
 * number is no longer the owner's to close, and may already be someone
 * else's file. FALSE anywhere but inside the notify of @fd's handler. */
gboolean       _io_loop_notify_fd_was_closed (IoLoop    *loop,
                                              int        fd);

/* For tests and benchmarks. */
int            _io_loop_get_wakeup_fd   (IoLoop *loop);
guint64        _io_loop_get_n_wakeup_writes (IoLoop *loop);
guint64        _io_loop_get_n_iterations (IoLoop *loop);

G_END_DECLS
