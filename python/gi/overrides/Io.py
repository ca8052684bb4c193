# Io.py: PyGObject override for Io-1.0 (libioloop)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Make ``Io.Loop`` speak Tornado's classic ``IOLoop`` API.

What this override adds to the introspected classes:

- Tornado's signatures: ``add_handler(fd, handler, events)``,
  ``add_timeout(deadline, callback)`` with a Unix timestamp or a
  ``datetime.timedelta``, ``add_callback(callback)``, ``running()``,
  ``close(all_fds=False)``, ``set_blocking_signal_threshold(seconds, action)``
  and the constants ``READ``, ``WRITE``, ``ERROR``.  ``fd`` may be any object
  with ``fileno()``; its handler then gets the object back.

- Exceptions: PyGObject turns only a raised ``GLib.Error`` into the
  ``GError`` of a ``throws`` callback; anything else it prints and swallows.
  So every Python callable given to the loop runs inside a wrapper (a
  "shield", the one Python frame between C and the callable): an exception
  calls ``loop.handle_callback_exception(callback)`` inside the ``except`` block
  (``sys.exc_info()`` holds it), whose default logs ``Exception in callback``
  with the traceback through :mod:`logging` and emits the
  ``callback-exception`` signal with a ``GLib.Error`` (handlers of
  ``add_signal_handler()`` and ``add_child_watch()`` included).  ``KeyboardInterrupt``
  and ``SystemExit`` stop the loop and are raised again by ``start()``.

- Signals: while ``start()`` runs on the main thread, ``signal.set_wakeup_fd``
  points at a socket the loop watches, so that Python signal handlers run
  promptly although the loop sleeps in C; the Python handlers are wrapped for
  the duration so that an exception they raise outside a callback (Ctrl-C's
  ``KeyboardInterrupt``) stops the loop and comes out of ``start()``.

- Speed: a GI closure costs far more to make than to call, so the hot paths
  make none.  ``add_callback()`` appends to a deque of the loop's Python
  state and sends, at most once per iteration, an ``Io.Async`` whose one
  function runs the callbacks queued before it started; timeouts share one
  function per loop that gets the callback as GI user data; a handler's
  shield is made once, in ``add_handler()``.
"""

import collections
import datetime
import functools
import logging
import numbers
import signal
import socket
import sys
import threading
import traceback
import weakref

from gi.repository import GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

Io = get_introspection_module('Io')

__all__ = []

#: GLib.Error domain of the errors that stand for Python exceptions when
#: ``callback-exception`` is emitted for them.
PYTHON_EXCEPTION_DOMAIN = 'io-python-exception-quark'
__all__.append('PYTHON_EXCEPTION_DOMAIN')

app_log = logging.getLogger('ioloop')

# Exceptions that are not callback failures: they end start().
_EXIT_EXCEPTIONS = (KeyboardInterrupt, SystemExit)

# The introspected methods, looked up once (the hot paths call them).
_io_call_later = Io.Loop.call_later
_io_add_timeout = Io.Loop.add_timeout
_io_remove_timeout = Io.Loop.remove_timeout
_io_add_handler = Io.Loop.add_handler
_io_update_handler = Io.Loop.update_handler
_io_remove_handler = Io.Loop.remove_handler
_io_add_signal_handler = Io.Loop.add_signal_handler
_io_add_child_watch = Io.Loop.add_child_watch
_io_async_new = Io.Async.new
_Events = Io.Events


def exception_to_error(exc):
    """Return a ``GLib.Error`` describing the exception ``exc``."""
    if isinstance(exc, GLib.Error):
        return exc
    text = ''.join(traceback.format_exception_only(type(exc), exc)).strip()
    return GLib.Error(text, PYTHON_EXCEPTION_DOMAIN, 0)


__all__.append('exception_to_error')


# ---- running Python callables for the loop -------------------------------
#
# The C loop calls Python through GI closures.  Every Python callable given
# to the loop runs inside one of the "shield" functions below (one Python
# frame between C and the callable): they catch everything the callable
# raises, as Tornado's loop does, and hand it to _callback_failed().  They
# hold the loop by a weak reference (the loop's C side holds them, and a
# strong reference would be a cycle the garbage collector cannot see) and
# only dereference it when something failed.
#
# Callbacks of add_callback() do not cross into C one by one: they go to a
# deque of the loop's Python state, and the function of one Io.Async per
# loop (the "drain"), sent at most once per iteration, runs the ones queued
# before it started.


def _callback_failed(loop, callback):
    """Called in the ``except`` block of a shield: report what ``callback``
    raised (``sys.exc_info()``) as Tornado's loop does."""
    exc = sys.exc_info()[1]
    if isinstance(exc, Exception):
        if loop is None:
            # The loop's Python wrapper is gone (the loop is being
            # finalized): no handle_callback_exception to call, log like
            # the default would.
            app_log.error("Exception in callback %r", callback, exc_info=True)
            return
        try:
            loop.handle_callback_exception(callback)
        except BaseException:
            loop._keep_exception()
    elif isinstance(exc, _EXIT_EXCEPTIONS) and loop is not None:
        loop._keep_exception()
    else:
        # Neither a failure nor ours to keep (GeneratorExit, or an exit
        # exception with the loop gone): let it go, as Tornado did.
        raise


def _make_run_callback(loop_ref, callback):
    """A function for a C IoCallback that runs ``callback()``."""
    def run_callback():
        try:
            callback()
        except BaseException:
            _callback_failed(loop_ref(), callback)
    run_callback.__wrapped__ = callback
    return run_callback


def _make_run_handler(loop_ref, handler, obj):
    """A function for a C IoHandlerFunc that runs ``handler(obj, events)``."""
    def run_handler(fd, events):
        try:
            # GI passes an Io.Events; handlers get a plain int, as in Tornado.
            handler(obj, events.real)
        except BaseException:
            _callback_failed(loop_ref(), handler)
    run_handler.__wrapped__ = handler
    return run_handler


def _make_run_signal(loop_ref, func, user_data):
    """A function for a C IoSignalFunc that runs ``func(signum, *user_data)``."""
    def run_signal(signum):
        try:
            func(signum, *user_data)
        except BaseException:
            _callback_failed(loop_ref(), func)
    run_signal.__wrapped__ = func
    return run_signal


def _make_run_child(loop_ref, func, user_data):
    """A function for a C IoChildFunc that runs
    ``func(pid, wait_status, *user_data)``."""
    def run_child(pid, wait_status):
        try:
            func(pid, wait_status, *user_data)
        except BaseException:
            _callback_failed(loop_ref(), func)
    run_child.__wrapped__ = func
    return run_child


def _make_run_timeout(loop_ref):
    """The loop's one function for its timeouts: GI calls it with the
    callback as user data, so adding a timeout makes no Python closure."""
    def run_timeout(callback):
        try:
            callback()
        except BaseException:
            _callback_failed(loop_ref(), callback)
    return run_timeout


def _make_drain(state, loop_ref):
    """The function of the loop's Io.Async that runs the callbacks of
    add_callback()."""
    queue = state.queue
    popleft = queue.popleft

    def drain_callbacks():
        # The Io.Async is not pending any more (the loop cleared it before
        # calling us).  Clear our flag before counting: a callback added
        # from now on, by the callbacks below or by another thread, sends
        # the Io.Async again, for the next iteration, and is not one of the
        # callbacks run here (Tornado's rule: callbacks added while
        # callbacks run wait for the next iteration).
        state.scheduled = False
        for _ in range(len(queue)):
            try:
                callback = popleft()
            except IndexError:          # close() emptied the queue
                return
            try:
                callback()
            except BaseException:
                try:
                    _callback_failed(loop_ref(), callback)
                except BaseException:
                    # What PyGObject does with what a closure of its own
                    # raises; and go on with the other callbacks.
                    _print_exception()
    return drain_callbacks


def _print_exception():
    """Print the exception being handled, as PyErr_Print() does."""
    exc_type, exc, tb = sys.exc_info()
    sys.last_type, sys.last_value, sys.last_traceback = exc_type, exc, tb
    sys.excepthook(exc_type, exc, tb)


def _drop_callback(callback):
    """add_callback() on a closed loop: the callback is dropped."""


class _LoopState(object):
    """Python-side state of one loop (kept in the wrapper's __dict__).

    It holds the loop by a weak reference only: the loop's C side holds the
    state (through the closures of its Io.Async and timeouts), and the
    garbage collector cannot see that cycle.
    """

    __slots__ = ('fd_objects', 'pending', 'wakeup_fd', 'periodics', 'loop_ref',
                 'queue', 'append', 'scheduled', 'drain', 'run_timeout',
                 'async_handle', 'wake', '__weakref__')

    def __init__(self, loop):
        self.fd_objects = {}     # fileno -> object given to add_handler
        self.pending = None      # KeyboardInterrupt/SystemExit for start()
        self.wakeup_fd = -1      # signal wake-up socket watched by the loop
        self.periodics = set()   # running ioloop.PeriodicCallback objects
        self.loop_ref = weakref.ref(loop)
        self.run_timeout = _make_run_timeout(self.loop_ref)
        # add_callback(): a deque, and one Io.Async whose function drains
        # it.  io_async_send() is safe from any thread and from signal
        # handlers, wakes a sleeping loop, and coalesces: at most one drain
        # per iteration, and no GI closure made per callback.
        self.queue = collections.deque()
        self.append = self.queue.append
        self.scheduled = False   # the Io.Async was sent, the drain not begun
        self.drain = _make_drain(self, self.loop_ref)
        self.async_handle = _io_async_new(loop, self.drain)
        self.wake = self.async_handle.send
        if self.async_handle.is_closed():
            # A closed (or broken) loop, which drops callbacks.
            self.close()

    def close(self):
        # Callbacks added from now on are dropped (and released) at once.
        self.append = _drop_callback
        self.scheduled = True
        self.queue.clear()


# Reentrant: a Python signal handler may call add_callback() while the main
# thread makes the state.
_state_lock = threading.RLock()


def _loop_state(loop):
    state = loop.__dict__.get('_io_state')
    if state is None:
        with _state_lock:
            state = loop.__dict__.get('_io_state')
            if state is None:
                new = _LoopState(loop)
                # A signal handler may have made one meanwhile: keep that.
                state = loop.__dict__.get('_io_state')
                if state is None:
                    # setattr, not __dict__: it makes PyGObject keep this
                    # wrapper (and so the state) alive as long as the
                    # GObject lives.
                    loop._io_state = state = new
                else:
                    new.async_handle.close()
    return state


def _split_fd(fd):
    """Return (fileno, object) for an int or an object with fileno()."""
    if type(fd) is int:
        return fd, fd
    if isinstance(fd, numbers.Integral):
        return int(fd), int(fd)
    return fd.fileno(), fd


def _events(events):
    """``events`` (an int) as Io.Events."""
    try:
        return _events_cache[events]
    except (KeyError, TypeError):
        return _Events(int(events))


_events_cache = {}
for _ev in range(0x20):
    _events_cache[_ev] = _Events(_ev)
del _ev


# ---- signals -------------------------------------------------------------

class _SignalWakeup(object):
    """Python signal handling while loops run on the main thread.

    CPython runs a Python signal handler at the next bytecode boundary of the
    main thread.  A loop asleep in C executes no bytecode, so the C-level
    handler also writes a byte to the wake-up fd (``signal.set_wakeup_fd``),
    which the loop watches: the drain handler's bytecode then runs the
    handlers.  They may run at the very entry of whatever Python callable the
    loop calls first, before any ``try`` can catch what they raise; so every
    Python handler is wrapped while loops run: an exception it raises inside
    a callback propagates there (as in Tornado), anywhere else it is kept
    for ``start()`` to raise after stopping the loop.
    """

    def __init__(self):
        self.loops = []          # loops running on the main thread, innermost last
        self.rsock = None
        self.wsock = None
        self.old_wakeup_fd = -1

    def push(self, loop):
        if not self.loops:
            self._install()
        self.loops.append(loop)
        try:
            loop._watch_wakeup(self.rsock.fileno(), self._drain)
        except BaseException:
            self.pop(loop)
            raise

    def pop(self, loop):
        loop._unwatch_wakeup()
        if self.loops and self.loops[-1] is loop:
            self.loops.pop()
        if not self.loops:
            self._uninstall()

    def target(self):
        return self.loops[-1] if self.loops else None

    def _install(self):
        self.rsock, self.wsock = socket.socketpair()
        try:
            self.rsock.setblocking(False)
            self.wsock.setblocking(False)
            self.old_wakeup_fd = signal.set_wakeup_fd(self.wsock.fileno(),
                                                      warn_on_full_buffer=False)
            self.guard_handlers()
        except BaseException:
            # A signal handler may raise right here: leave nothing behind.
            self._uninstall()
            raise

    def _uninstall(self):
        for signum in signal.valid_signals():
            try:
                handler = signal.getsignal(signum)
            except (OSError, ValueError):
                continue
            orig = getattr(handler, '_io_guarded', None)
            if orig is not None:
                signal.signal(signum, orig)
        current = signal.set_wakeup_fd(-1)
        ours = self.wsock.fileno() if self.wsock is not None else -1
        if current not in (-1, ours):
            signal.set_wakeup_fd(current)       # not ours: leave it
        elif self.old_wakeup_fd != -1:
            signal.set_wakeup_fd(self.old_wakeup_fd, warn_on_full_buffer=False)
        self.old_wakeup_fd = -1
        for sock in (self.rsock, self.wsock):
            if sock is not None:
                sock.close()
        self.rsock = self.wsock = None

    def guard_handlers(self):
        for signum in signal.valid_signals():
            try:
                handler = signal.getsignal(signum)
            except (OSError, ValueError):
                continue
            if callable(handler) and not hasattr(handler, '_io_guarded'):
                signal.signal(signum, self.guard(handler))

    def guard(self, handler):
        def guarded_signal_handler(signum, frame):
            loop = self.target()
            if loop is None or _inside_shield(frame):
                # Inside a callback: raise there, as the handler would
                # without us (the callback's shield sorts it out).
                return handler(signum, frame)
            try:
                handler(signum, frame)
            except BaseException:
                loop._keep_exception()
        guarded_signal_handler._io_guarded = handler
        guarded_signal_handler.__wrapped__ = handler
        return guarded_signal_handler

    def _drain(self, fd, events):
        # Reaching this bytecode has run the pending Python handlers.
        try:
            while self.rsock is not None and self.rsock.recv(4096):
                pass
        except OSError:
            pass
        # Handlers installed since start() get the guard from now on.
        if self.loops:
            self.guard_handlers()


_signal_wakeup = _SignalWakeup()


def _inside_shield(frame):
    """True if ``frame`` (where a Python signal handler interrupted the main
    thread) runs below a shield, whose ``try`` catches what the handler
    raises; False if it is a shield itself (it may not be inside its
    ``try`` yet) or runs outside any callback of a loop.

    Only signals pay for this: the shields keep no count of their own."""
    f = frame
    while f is not None:
        if f.f_code in _SHIELD_CODES:
            return f is not frame
        f = f.f_back
    return False


def _on_main_thread():
    return threading.current_thread() is threading.main_thread()


# ---- Io.Loop --------------------------------------------------------------

class Loop(Io.Loop):
    """An I/O event loop with Tornado's ``IOLoop`` interface."""

    NONE = 0
    READ = int(Io.Events.READ)
    WRITE = int(Io.Events.WRITE)
    ERROR = int(Io.Events.ERROR)

    # -- running callbacks --

    def _run_callback(self, callback, args=()):
        """Call ``callback(*args)`` as Tornado's loop calls its callbacks."""
        try:
            callback(*args)
        except BaseException:
            _callback_failed(self, callback)

    def _keep_exception(self):
        """Stop the loop; start() raises the current exception after it."""
        state = _loop_state(self)
        if state.pending is None:
            state.pending = sys.exc_info()[1]
        self.stop()

    def _raise_pending(self):
        state = self.__dict__.get('_io_state')
        if state is None or state.pending is None:
            return
        exc, state.pending = state.pending, None
        try:
            raise exc
        finally:
            exc = None

    def _wrap_callback(self, callback):
        """A function for a C IoCallback that runs ``callback()``."""
        return _make_run_callback(_loop_state(self).loop_ref, callback)

    def _wrap_handler(self, handler, obj):
        """A function for a C IoHandlerFunc that runs ``handler(obj, events)``."""
        return _make_run_handler(_loop_state(self).loop_ref, handler, obj)

    def handle_callback_exception(self, callback):
        """Called when a callback run by the loop raises an exception.

        The exception is not passed: it is in ``sys.exc_info()``.  The
        default logs it with its traceback and emits ``callback-exception``
        with a ``GLib.Error`` describing it.  Subclasses may override it.
        """
        app_log.error("Exception in callback %r", callback, exc_info=True)
        exc = sys.exc_info()[1]
        if exc is not None and self._callback_exception_observed():
            self.report_exception(exception_to_error(exc))

    def _callback_exception_observed(self):
        """True if emitting callback-exception does more than g_log() it
        again: a handler is connected or a subclass overrides the class
        handler (Python logging already reported the exception)."""
        signal_id = GObject.signal_lookup('callback-exception', Io.Loop.__gtype__)
        if GObject.signal_has_handler_pending(self, signal_id, 0, True):
            return True
        for klass in type(self).__mro__:
            if klass is Loop:
                return False
            if ('do_handle_callback_exception' in klass.__dict__
                    or 'do_callback_exception' in klass.__dict__
                    or klass.__module__.startswith('gi.repository.')):
                return True
        return False

    # -- starting and stopping --

    def start(self):
        """Run the loop until stop() is called.

        Raises ``GLib.Error`` (``Io.LoopError.RUNNING`` or ``CLOSED``) if the
        loop is running or closed; raises again the ``KeyboardInterrupt`` or
        ``SystemExit`` that stopped it.
        """
        # Not for a nested start(), which only gets its RUNNING error.
        on_main = _on_main_thread() and self not in _signal_wakeup.loops
        if on_main:
            _signal_wakeup.push(self)
        try:
            if _loop_state(self).pending is not None:
                self.stop()
            Io.Loop.start(self)
        finally:
            if on_main:
                _signal_wakeup.pop(self)
        self._raise_pending()

    def iteration(self, may_block):
        """Run one iteration (see io_loop_iteration()); re-raises a
        KeyboardInterrupt/SystemExit a callback raised."""
        dispatched = Io.Loop.iteration(self, may_block)
        self._raise_pending()
        return dispatched

    def running(self):
        """True while start() runs."""
        return self.is_running()

    def _watch_wakeup(self, fd, func):
        state = _loop_state(self)
        Io.Loop.add_handler(self, fd, Io.Events.READ, func)
        state.wakeup_fd = fd

    def _unwatch_wakeup(self):
        state = _loop_state(self)
        fd, state.wakeup_fd = state.wakeup_fd, -1
        if fd >= 0 and not self.is_closed():
            try:
                Io.Loop.remove_handler(self, fd)
            except GLib.Error:
                pass

    def close(self, all_fds=False):
        """Close the loop: drop every handler, timeout and callback.

        With ``all_fds``, close the registered file descriptors too; an
        object given to add_handler() is closed with its own close().
        """
        state = _loop_state(self)
        self._unwatch_wakeup()
        objects = []
        if all_fds:
            for fd, obj in list(state.fd_objects.items()):
                try:
                    Io.Loop.remove_handler(self, fd)
                except GLib.Error:
                    pass
                objects.append(obj)
        state.fd_objects.clear()
        state.close()
        for periodic in list(state.periodics):
            periodic.stop()
        Io.Loop.close(self, bool(all_fds))
        for obj in objects:
            try:
                obj.close()
            except Exception:
                app_log.debug("Error closing fd %r", obj, exc_info=True)

    # -- handlers --

    def _fileno(self, fd):
        if type(fd) is int:
            return fd
        if isinstance(fd, numbers.Integral):
            return int(fd)
        objects = _loop_state(self).fd_objects
        try:
            fileno = fd.fileno()
        except (OSError, ValueError):
            fileno = -1
        if fileno >= 0 and objects.get(fileno) is fd:
            return fileno
        # Closed already (a socket's fileno() is then -1): look it up.
        for fileno, obj in objects.items():
            if obj is fd:
                return fileno
        return fd.fileno()

    def add_handler(self, fd, handler, events):
        """Call ``handler(fd, events)`` whenever ``fd`` is ready for ``events``.

        ``fd`` is a file descriptor or an object with ``fileno()``; the
        handler gets back what was given here.  ERROR is always reported.
        """
        fileno, obj = _split_fd(fd)
        state = _loop_state(self)
        _io_add_handler(self, fileno, _events(events),
                        _make_run_handler(state.loop_ref, handler, obj))
        if obj is not fileno:
            state.fd_objects[fileno] = obj

    def update_handler(self, fd, events):
        """Change the events the handler of ``fd`` listens to."""
        _io_update_handler(self, self._fileno(fd), _events(events))

    def remove_handler(self, fd):
        """Stop listening to ``fd``; an fd without handler is ignored."""
        fileno = self._fileno(fd)
        state = self.__dict__.get('_io_state')
        if state is not None and state.fd_objects:
            state.fd_objects.pop(fileno, None)
        try:
            _io_remove_handler(self, fileno)
        except GLib.Error:
            app_log.debug("Error deleting fd %r from IOLoop", fd, exc_info=True)

    # -- callbacks and timeouts --

    def add_callback(self, callback, *args, **kwargs):
        """Call ``callback`` on the next iteration; safe from any thread."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            state = self._io_state
        except AttributeError:
            state = _loop_state(self)
        state.append(callback)
        if not state.scheduled:
            # Thread-safe without a lock: the append above comes before the
            # test, and the drain clears the flag before it counts the
            # queue, so a callback is either counted by a drain that has
            # begun or followed by a send.  Two threads sending at once is
            # harmless (an Io.Async coalesces sends).
            state.scheduled = True
            try:
                state.wake()
            except BaseException:
                # A signal handler raised: whether the Io.Async was sent or
                # not, a second send is harmless, none would strand the queue.
                state.scheduled = False
                raise

    add_callback_from_signal = add_callback

    def add_timeout(self, deadline, callback, *args, **kwargs):
        """Call ``callback`` at ``deadline`` (a ``time.time()`` timestamp or
        a ``datetime.timedelta`` from now); returns a handle for
        remove_timeout()."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            run = self._io_state.run_timeout
        except AttributeError:
            run = _loop_state(self).run_timeout
        if isinstance(deadline, datetime.timedelta):
            return _io_call_later(self, deadline.total_seconds(), run, callback)
        if isinstance(deadline, numbers.Real):
            return _io_add_timeout(self, float(deadline), run, callback)
        raise TypeError("Unsupported deadline %r" % (deadline,))

    def call_later(self, delay, callback, *args, **kwargs):
        """Call ``callback`` after ``delay`` seconds; returns a handle."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            run = self._io_state.run_timeout
        except AttributeError:
            run = _loop_state(self).run_timeout
        return _io_call_later(self, float(delay), run, callback)

    def call_at(self, when, callback, *args, **kwargs):
        """Call ``callback`` at the Unix time ``when``; returns a handle."""
        return self.add_timeout(float(when), callback, *args, **kwargs)

    def remove_timeout(self, timeout):
        """Cancel a pending timeout (harmless if it already ran)."""
        if timeout is not None:
            _io_remove_timeout(self, timeout)

    # -- Unix signals and child processes --

    def add_signal_handler(self, signum, func, *user_data):
        """Call ``func(signum, *user_data)`` on the loop's thread whenever
        ``signum`` arrives; returns an id for remove_signal_handler()."""
        try:
            loop_ref = self._io_state.loop_ref
        except AttributeError:
            loop_ref = _loop_state(self).loop_ref
        return _io_add_signal_handler(self, signum,
                                      _make_run_signal(loop_ref, func, user_data))

    def add_child_watch(self, pid, func, *user_data):
        """Call ``func(pid, wait_status, *user_data)`` once, on the loop's
        thread, when the child ``pid`` has exited; returns an id for
        remove_child_watch()."""
        try:
            loop_ref = self._io_state.loop_ref
        except AttributeError:
            loop_ref = _loop_state(self).loop_ref
        return _io_add_child_watch(self, pid,
                                   _make_run_child(loop_ref, func, user_data))

    # -- blocking watchdog --

    def set_blocking_signal_threshold(self, seconds, action):
        """Send SIGALRM if the loop is blocked more than ``seconds``.

        ``action`` is a Python signal handler for SIGALRM; None restores the
        default disposition (the process is killed when blocked too long).
        ``seconds=None`` (or <= 0) disables the watchdog.
        """
        if action is None:
            handler = signal.SIG_DFL
        elif _signal_wakeup.loops and _on_main_thread():
            handler = _signal_wakeup.guard(action)
        else:
            handler = action
        signal.signal(signal.SIGALRM, handler)
        self.set_blocking_alarm(float(seconds) if seconds is not None else 0.0)

    def set_blocking_log_threshold(self, seconds):
        """Log a stack trace if the loop is blocked more than ``seconds``."""
        self.set_blocking_signal_threshold(seconds, self.log_stack)

    def log_stack(self, signum, frame):
        """Signal handler that logs the current stack."""
        app_log.warning("IOLoop blocked for %f seconds in\n%s",
                        self.get_blocking_alarm(),
                        ''.join(traceback.format_stack(frame)))


Loop = override(Loop)
__all__.append('Loop')


class PeriodicCallback(Io.PeriodicCallback):
    """``Io.PeriodicCallback`` whose Python callback is run like the loop's
    other callbacks (exceptions reach ``handle_callback_exception``)."""

    @classmethod
    def new(cls, loop, interval_ms, callback, *user_data):
        if user_data:
            callback = functools.partial(callback, *user_data)
        if isinstance(loop, Loop):
            func = loop._wrap_callback(callback)
        else:
            func = callback
        return Io.PeriodicCallback.new(loop, interval_ms, func)


PeriodicCallback = override(PeriodicCallback)
__all__.append('PeriodicCallback')


class Async(Io.Async):
    """``Io.Async`` whose Python callback is run like the loop's other
    callbacks."""

    @classmethod
    def new(cls, loop, callback, *user_data):
        if user_data:
            callback = functools.partial(callback, *user_data)
        if isinstance(loop, Loop):
            func = loop._wrap_callback(callback)
        else:
            func = callback
        return Io.Async.new(loop, func)


Async = override(Async)
__all__.append('Async')


# The functions between C and the Python callables (see _inside_shield()).
def _nested_code(factory, name):
    for const in factory.__code__.co_consts:
        if getattr(const, 'co_name', None) == name:
            return const
    raise AssertionError('no %s in %s' % (name, factory.__name__))


_SHIELD_CODES = frozenset([
    _callback_failed.__code__,
    _nested_code(_make_run_callback, 'run_callback'),
    _nested_code(_make_run_handler, 'run_handler'),
    _nested_code(_make_run_timeout, 'run_timeout'),
    _nested_code(_make_run_signal, 'run_signal'),
    _nested_code(_make_run_child, 'run_child'),
    _nested_code(_make_drain, 'drain_callbacks'),
    Loop._run_callback.__code__,
    Loop._keep_exception.__code__,
])
