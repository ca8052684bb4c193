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
  So every Python callable given to the loop is wrapped: an exception calls
  ``loop.handle_callback_exception(callback)`` inside the ``except`` block
  (``sys.exc_info()`` holds it), whose default logs ``Exception in callback``
  with the traceback through :mod:`logging` and emits the
  ``callback-exception`` signal with a ``GLib.Error``.  ``KeyboardInterrupt``
  and ``SystemExit`` stop the loop and are raised again by ``start()``.

- Signals: while ``start()`` runs on the main thread, ``signal.set_wakeup_fd``
  points at a socket the loop watches, so that Python signal handlers run
  promptly although the loop sleeps in C; the Python handlers are wrapped for
  the duration so that an exception they raise outside a callback (Ctrl-C's
  ``KeyboardInterrupt``) stops the loop and comes out of ``start()``.
"""

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


def exception_to_error(exc):
    """Return a ``GLib.Error`` describing the exception ``exc``."""
    if isinstance(exc, GLib.Error):
        return exc
    text = ''.join(traceback.format_exception_only(type(exc), exc)).strip()
    return GLib.Error(text, PYTHON_EXCEPTION_DOMAIN, 0)


__all__.append('exception_to_error')


class _LoopState(object):
    """Python-side state of one loop (kept in the wrapper's __dict__)."""

    __slots__ = ('fd_objects', 'pending', 'depth', 'wakeup_fd', 'periodics',
                 '__weakref__')

    def __init__(self):
        self.fd_objects = {}     # fileno -> object given to add_handler
        self.pending = None      # KeyboardInterrupt/SystemExit for start()
        self.depth = 0           # > 0 while a Python callback runs
        self.wakeup_fd = -1      # signal wake-up socket watched by the loop
        self.periodics = set()   # running ioloop.PeriodicCallback objects


_state_lock = threading.Lock()


def _loop_state(loop):
    state = loop.__dict__.get('_io_state')
    if state is None:
        with _state_lock:
            state = loop.__dict__.get('_io_state')
            if state is None:
                state = _LoopState()
                # setattr, not __dict__: it makes PyGObject keep this wrapper
                # (and so the state) alive as long as the GObject lives.
                loop._io_state = state
    return state


def _split_fd(fd):
    """Return (fileno, object) for an int or an object with fileno()."""
    if isinstance(fd, numbers.Integral):
        return int(fd), int(fd)
    return fd.fileno(), fd


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
            if loop is None or _loop_state(loop).depth > 0:
                # Inside a callback: raise there, as the handler would
                # without us (the callback's wrapper sorts it out).
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

    def _run_callback(self, callback, args):
        """Call ``callback(*args)`` as Tornado's loop calls its callbacks."""
        state = _loop_state(self)
        state.depth += 1
        try:
            callback(*args)
        except _EXIT_EXCEPTIONS:
            self._keep_exception()
        except Exception:
            try:
                self.handle_callback_exception(callback)
            except BaseException:
                self._keep_exception()
        finally:
            state.depth -= 1

    def _keep_exception(self):
        """Stop the loop; start() raises the current exception after it."""
        state = _loop_state(self)
        if state.pending is None:
            state.pending = sys.exc_info()[1]
        self.stop()

    def _raise_pending(self):
        state = _loop_state(self)
        exc, state.pending = state.pending, None
        if exc is not None:
            try:
                raise exc
            finally:
                exc = None

    def _wrap_callback(self, callback):
        """A function for a C IoCallback that runs ``callback()``."""
        _loop_state(self)
        loop_ref = weakref.ref(self)

        def run_callback():
            loop = loop_ref()
            if loop is not None:
                loop._run_callback(callback, ())
            else:
                _run_orphan(callback, ())
        run_callback.__wrapped__ = callback
        return run_callback

    def _wrap_handler(self, handler, obj):
        """A function for a C IoHandlerFunc that runs ``handler(obj, events)``."""
        _loop_state(self)
        loop_ref = weakref.ref(self)

        def run_handler(fd, events):
            loop = loop_ref()
            if loop is not None:
                loop._run_callback(handler, (obj, int(events)))
            else:
                _run_orphan(handler, (obj, int(events)))
        run_handler.__wrapped__ = handler
        return run_handler

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
        Io.Loop.add_handler(self, fileno, Io.Events(int(events)),
                            self._wrap_handler(handler, obj))
        if obj is not fileno:
            _loop_state(self).fd_objects[fileno] = obj

    def update_handler(self, fd, events):
        """Change the events the handler of ``fd`` listens to."""
        Io.Loop.update_handler(self, self._fileno(fd), Io.Events(int(events)))

    def remove_handler(self, fd):
        """Stop listening to ``fd``; an fd without handler is ignored."""
        fileno = self._fileno(fd)
        _loop_state(self).fd_objects.pop(fileno, None)
        try:
            Io.Loop.remove_handler(self, fileno)
        except GLib.Error:
            app_log.debug("Error deleting fd %r from IOLoop", fd, exc_info=True)

    # -- callbacks and timeouts --

    def add_callback(self, callback, *args, **kwargs):
        """Call ``callback`` on the next iteration; safe from any thread."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        Io.Loop.add_callback(self, self._wrap_callback(callback))

    add_callback_from_signal = add_callback

    def add_timeout(self, deadline, callback, *args, **kwargs):
        """Call ``callback`` at ``deadline`` (a ``time.time()`` timestamp or
        a ``datetime.timedelta`` from now); returns a handle for
        remove_timeout()."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        if isinstance(deadline, datetime.timedelta):
            return Io.Loop.call_later(self, deadline.total_seconds(),
                                      self._wrap_callback(callback))
        if isinstance(deadline, numbers.Real):
            return Io.Loop.add_timeout(self, float(deadline),
                                       self._wrap_callback(callback))
        raise TypeError("Unsupported deadline %r" % (deadline,))

    def call_later(self, delay, callback, *args, **kwargs):
        """Call ``callback`` after ``delay`` seconds; returns a handle."""
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        return Io.Loop.call_later(self, float(delay), self._wrap_callback(callback))

    def call_at(self, when, callback, *args, **kwargs):
        """Call ``callback`` at the Unix time ``when``; returns a handle."""
        return self.add_timeout(float(when), callback, *args, **kwargs)

    def remove_timeout(self, timeout):
        """Cancel a pending timeout (harmless if it already ran)."""
        if timeout is not None:
            Io.Loop.remove_timeout(self, timeout)

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


def _run_orphan(callback, args):
    # The loop's Python wrapper is gone (the loop is being finalized): no
    # handle_callback_exception to call, log like the default would.
    try:
        callback(*args)
    except Exception:
        app_log.error("Exception in callback %r", callback, exc_info=True)


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
