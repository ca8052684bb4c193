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
  (``sys.exc_info()`` holds it; handlers of ``add_signal_handler()`` and
  ``add_child_watch()`` included), whose default reports it as the loop
  reports a failed C callback: the ``handle-exception`` signal with a
  ``GLib.Error``, then, unless a handler returned True, ``callback-exception``,
  then the default report, a log of ``Exception in callback`` with the
  traceback through :mod:`logging` in place of the C class handler's
  ``g_log()``: once in all.  ``KeyboardInterrupt`` and ``SystemExit`` stop
  the loop and are raised again by ``start()``.

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
import errno
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
_io_async_send = Io.Async.send
_io_async_close = Io.Async.close
_io_async_is_closed = Io.Async.is_closed
_io_periodic_start = Io.PeriodicCallback.start
_io_periodic_stop = Io.PeriodicCallback.stop
_io_periodic_is_running = Io.PeriodicCallback.is_running
_io_periodic_get_interval = Io.PeriodicCallback.get_interval
_io_periodic_get_loop = Io.PeriodicCallback.get_loop
_io_timeout_is_pending = Io.Timeout.is_pending
_io_instance = Io.Loop.instance
_io_initialized = Io.Loop.initialized
_io_clear_instance = Io.Loop.clear_instance
_io_list_backends = Io.Loop.list_backends
_io_new = Io.Loop.new
_io_new_with_backend = Io.Loop.new_with_backend
_io_install = Io.Loop.install
_io_stop = Io.Loop.stop
_io_is_running = Io.Loop.is_running
_io_is_closed = Io.Loop.is_closed
_io_time = Io.Loop.time
_io_get_backend = Io.Loop.get_backend
_io_has_handler = Io.Loop.has_handler
_io_get_fd = Io.Loop.get_fd
_io_get_timeout_ms = Io.Loop.get_timeout_ms
_io_attach = Io.Loop.attach
_io_detach = Io.Loop.detach
_io_add_main_context = Io.Loop.add_main_context
_io_remove_main_context = Io.Loop.remove_main_context
_io_remove_signal_handler = Io.Loop.remove_signal_handler
_io_remove_child_watch = Io.Loop.remove_child_watch
_io_reinit_after_fork = Io.Loop.reinit_after_fork
_io_report_exception = Io.Loop.report_exception
_io_set_blocking_alarm = Io.Loop.set_blocking_alarm
_io_get_blocking_alarm = Io.Loop.get_blocking_alarm
_Events = Io.Events


def exception_to_error(exc):
    """Return a ``GLib.Error`` describing the exception ``exc``."""
    if isinstance(exc, GLib.Error):
        return exc
    text = ''.join(traceback.format_exception_only(type(exc), exc)).strip()
    return GLib.Error(text, PYTHON_EXCEPTION_DOMAIN, 0)


__all__.append('exception_to_error')


# ---- errors of the Io API as Python exceptions --------------------------
#
# A GLib.Error that the C API reports in the Io.LoopError domain is raised
# as an exception that Tornado and asyncio code catches: an OSError with
# errno for system-level failures, ValueError for invalid arguments,
# RuntimeError for the loop's state.  Every class is also a GLib.Error
# (message, domain, code and matches() keep working), so code written for
# the plain GI API is not broken.  Only the error path pays: the calls are
# made inside try blocks, which cost nothing when nothing is raised.

_LOOP_ERROR_DOMAIN = GLib.quark_to_string(Io.LoopError.quark())


class _LoopErrorMixin(object):
    """What the exceptions for Io.LoopError share."""

    #: The Io.LoopError code of the class (its GError code).
    loop_error = None

    def __reduce__(self):
        return (_exception_from_fields, (type(self), self.message, self.code,
                                         getattr(self, 'errno', None)))


def _exception_from_fields(cls, message, code, errnum):
    return cls._from_gerror(message, code, errnum)


class _LoopOSError(_LoopErrorMixin, OSError, GLib.Error):
    # errno of the class; FailedError finds it in the message instead.
    _errno = None

    # OSError's __str__ ("[Errno 9] message"), not GError's.
    __str__ = OSError.__str__
    __repr__ = OSError.__repr__

    @classmethod
    def _from_gerror(cls, message, code, errnum=None):
        if errnum is None:
            errnum = cls._errno
        exc = cls(errnum, message) if errnum is not None else cls(message)
        exc.message = message
        exc.domain = _LOOP_ERROR_DOMAIN
        exc.code = code
        return exc


class _LoopPlainError(_LoopErrorMixin, GLib.Error):
    # The message alone, as Python's own exceptions show it.
    __str__ = BaseException.__str__

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.message)

    @classmethod
    def _from_gerror(cls, message, code, errnum=None):
        return cls(message, _LOOP_ERROR_DOMAIN, code)


class FailedError(_LoopOSError):
    """A system call failed (``Io.LoopError.FAILED``): an ``OSError`` whose
    ``errno`` is the system's error code (``None`` if the message does not
    name a system error)."""
    loop_error = Io.LoopError.FAILED


class BadFdError(_LoopOSError):
    """The file descriptor is not open (``Io.LoopError.BAD_FD``):
    ``OSError`` with ``errno.EBADF``."""
    loop_error = Io.LoopError.BAD_FD
    _errno = errno.EBADF


class UnsupportedFdError(_LoopOSError, PermissionError):
    """The backend cannot watch this kind of file
    (``Io.LoopError.UNSUPPORTED_FD``): ``PermissionError`` with
    ``errno.EPERM``, as ``epoll_ctl()`` reports it."""
    loop_error = Io.LoopError.UNSUPPORTED_FD
    _errno = errno.EPERM


class ExistsError(_LoopOSError, FileExistsError):
    """Already there (``Io.LoopError.EXISTS``): a second handler for a file
    descriptor, a second watch of a child, a second attach().  A
    ``FileExistsError`` with ``errno.EEXIST``, as Tornado's epoll loop raised
    it for a second handler."""
    loop_error = Io.LoopError.EXISTS
    _errno = errno.EEXIST


class NotFoundError(_LoopOSError, FileNotFoundError):
    """The file descriptor has no handler (``Io.LoopError.NOT_FOUND``): a
    ``FileNotFoundError`` with ``errno.ENOENT``, as Tornado's epoll loop
    raised it from update_handler()."""
    loop_error = Io.LoopError.NOT_FOUND
    _errno = errno.ENOENT


class InvalidArgumentError(_LoopPlainError, ValueError):
    """An argument is out of range (``Io.LoopError.INVALID_ARGUMENT``): a
    negative file descriptor, events outside READ|WRITE|ERROR, a deadline
    that is not a finite number."""
    loop_error = Io.LoopError.INVALID_ARGUMENT


class NoBackendError(_LoopPlainError, ValueError):
    """The backend asked for is unknown or not built
    (``Io.LoopError.NO_BACKEND``)."""
    loop_error = Io.LoopError.NO_BACKEND


class LoopClosedError(_LoopPlainError):
    """The loop has been closed (``Io.LoopError.CLOSED``); a
    ``RuntimeError``."""
    loop_error = Io.LoopError.CLOSED


class LoopRunningError(_LoopPlainError):
    """The loop is already running (``Io.LoopError.RUNNING``); a
    ``RuntimeError``, like Tornado's "IOLoop is already running"."""
    loop_error = Io.LoopError.RUNNING


class AlreadyInstalledError(_LoopPlainError):
    """A global loop already exists (``Io.LoopError.ALREADY_INSTALLED``);
    a ``RuntimeError``."""
    loop_error = Io.LoopError.ALREADY_INSTALLED


class ForkedError(_LoopPlainError):
    """The loop was created in another process (``Io.LoopError.FORKED``);
    a ``RuntimeError``."""
    loop_error = Io.LoopError.FORKED


_ERROR_CLASSES = {}
for _cls in (FailedError, BadFdError, UnsupportedFdError, ExistsError,
             NotFoundError, InvalidArgumentError, NoBackendError,
             LoopClosedError, LoopRunningError, AlreadyInstalledError,
             ForkedError):
    _ERROR_CLASSES[int(_cls.loop_error)] = _cls
    __all__.append(_cls.__name__)
del _cls


def _errno_of_message(message):
    """The errno whose g_strerror() ends ``message``, or None.

    The C library reports a failed system call as IO_LOOP_ERROR_FAILED with a
    message ending in ": " and g_strerror (errno): the code itself is not in
    the GError.  The table is made again on every call (this is the error
    path) because g_strerror() follows the current locale."""
    best = None
    for errnum in errno.errorcode:
        text = GLib.strerror(errnum)
        if text and message.endswith(': ' + text):
            if best is None or len(text) > len(GLib.strerror(best)):
                best = errnum
    return best


def loop_exception(error):
    """Return the Python exception for ``error``, a ``GLib.Error``.

    Errors in the ``Io.LoopError`` domain become the exception classes of
    this module (OSError, ValueError or RuntimeError subclasses that are
    also ``GLib.Error``); any other error is returned as it is."""
    if error.domain != _LOOP_ERROR_DOMAIN or isinstance(error, _LoopErrorMixin):
        return error
    cls = _ERROR_CLASSES.get(error.code)
    if cls is None:
        return error
    errnum = None
    if cls is FailedError:
        errnum = _errno_of_message(error.message)
    return cls._from_gerror(error.message, error.code, errnum)


__all__.append('loop_exception')


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


def _log_callback_exception(callback, exc):
    """The default report of a Python exception: what Tornado logs."""
    app_log.error("Exception in callback %r", callback,
                  exc_info=(type(exc), exc, exc.__traceback__))


# ---- reporting Python exceptions through the loop's two signals ----------
#
# A C callback that fails goes through io_loop_report_exception():
# handle-exception (True: handled, nothing else happens), then
# callback-exception, whose class handler g_log()s the error.  A Python
# exception has a better default report, the traceback through logging, and
# must not get the g_log() as well.  GLib cannot skip a class handler
# alone, so report_exception() with a ``default`` connects one more handler
# of callback-exception just before emitting it: the last one to run before
# the class handler.  If it is reached (no handler stopped the emission), it
# stops the emission, so nothing is g_log()ged, and the default report runs.
#
# Reports nest (a handler may make a callback fail and so report another
# error on the same loop): each handler acts only for the innermost report
# of its thread, which is the one that connected it last.

_signal_ids = {}
_reports = threading.local()


def _signal_id(name):
    try:
        return _signal_ids[name]
    except KeyError:
        # Looked up once a loop exists: GLib cannot look up a signal of a
        # class not yet initialized.
        signal_id = _signal_ids[name] = GObject.signal_lookup(name, Io.Loop.__gtype__)
        return signal_id


def _handle_exception_id():
    return _signal_id('handle-exception')


def _callback_exception_id():
    return _signal_id('callback-exception')


def _emit_callback_exception_reaching_default(loop, gerror):
    """Emit callback-exception for ``gerror`` without its class handler;
    True if no handler stopped the emission (the default report is due)."""
    stack = getattr(_reports, 'stack', None)
    if stack is None:
        stack = _reports.stack = []
    token = []

    def before_class_handler(loop_, error):
        if stack and stack[-1] is token:
            token.append(True)
            loop_.stop_emission_by_name('callback-exception')
    handler_id = loop.connect('callback-exception', before_class_handler)
    stack.append(token)
    try:
        loop.emit('callback-exception', gerror)
    finally:
        stack.pop()
        loop.disconnect(handler_id)
    return bool(token)


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
        # A partial of the introspected send(): cheaper than the bound
        # method, and it skips the documented Python wrapper.
        self.wake = functools.partial(_io_async_send, self.async_handle)
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
    try:
        fileno = fd.fileno
    except AttributeError:
        raise TypeError("fd must be an int or an object with fileno(), not %r"
                        % (fd,)) from None
    return fileno(), fd


def _events(events):
    """``events`` (an int) as Io.Events."""
    try:
        return _events_cache[events]
    except (KeyError, TypeError):
        pass
    # Not one of the usual values: the checks cost nothing on the way above.
    if not isinstance(events, numbers.Integral):
        raise TypeError("events must be an int (READ, WRITE, ERROR), not %r"
                        % (events,))
    if not 0 <= events <= 0xffffffff:
        # Out of the C type's range; in range, the library says what is wrong.
        raise ValueError("Invalid events %#x" % (events,))
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
        default reports it as the loop reports a failed C callback
        (``report_exception()``): ``handle-exception`` first, then, unless
        a handler claimed it, ``callback-exception``, whose default report
        is a log of ``Exception in callback`` with the traceback through
        :mod:`logging` (logger ``ioloop``).  Subclasses may override it.
        """
        exc = sys.exc_info()[1]
        if exc is None:
            app_log.error("Exception in callback %r", callback)
            return
        self.report_exception(exc, functools.partial(_log_callback_exception, callback, exc))

    def _class_handler_overridden(self):
        """True if a subclass overrides the class handler of
        callback-exception (the vfunc or the signal's class closure), or
        the loop is an instance of a subclass written in C: then that
        class handler, not the C default's g_log(), is the default report."""
        for klass in type(self).__mro__:
            if klass is Loop:
                return False
            if ('do_handle_callback_exception' in klass.__dict__
                    or 'do_callback_exception' in klass.__dict__
                    or klass.__module__.startswith('gi.repository.')):
                return True
        return False

    def _callback_exception_observed(self):
        """True if something besides the default report would see a failure:
        a handler of handle-exception or callback-exception, or a subclass
        overriding the class handler."""
        return (GObject.signal_has_handler_pending(self, _handle_exception_id(), 0, False)
                or GObject.signal_has_handler_pending(self, _callback_exception_id(), 0, False)
                or self._class_handler_overridden())

    # -- starting and stopping --

    def start(self):
        """Run the loop until stop() is called.

        ``start() -> None``.  Raises ``LoopRunningError`` or
        ``LoopClosedError`` (``RuntimeError``) if the loop is running or
        closed, ``FailedError`` (``OSError``) if polling fails; raises again
        the ``KeyboardInterrupt`` or ``SystemExit`` that stopped it.
        """
        # Not for a nested start(), which only gets its RUNNING error.
        on_main = _on_main_thread() and self not in _signal_wakeup.loops
        if on_main:
            _signal_wakeup.push(self)
        try:
            if _loop_state(self).pending is not None:
                self.stop()
            try:
                Io.Loop.start(self)
            except GLib.Error as error:
                raise loop_exception(error) from None
        finally:
            if on_main:
                _signal_wakeup.pop(self)
        self._raise_pending()

    def iteration(self, may_block):
        """Run one iteration: the due callbacks and timeouts, a poll (waiting
        for the next event or deadline only if ``may_block``), the handlers.

        ``iteration(may_block: bool) -> bool``: True if anything was
        dispatched.  Raises like ``start()``, and raises again a
        ``KeyboardInterrupt`` or ``SystemExit`` a callback raised.
        """
        try:
            dispatched = Io.Loop.iteration(self, may_block)
        except GLib.Error as error:
            raise loop_exception(error) from None
        self._raise_pending()
        return dispatched

    def running(self):
        """Return True while start() runs.

        ``running() -> bool``.
        """
        return self.is_running()

    def _watch_wakeup(self, fd, func):
        state = _loop_state(self)
        try:
            Io.Loop.add_handler(self, fd, Io.Events.READ, func)
        except GLib.Error as error:
            raise loop_exception(error) from None
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
        except AttributeError:
            raise TypeError("fd must be an int or an object with fileno(), not %r"
                            % (fd,)) from None
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

        ``add_handler(fd, handler, events: int) -> None``.  ``fd`` is a file
        descriptor or an object with ``fileno()``; the handler gets back what
        was given here.  ERROR is always reported.  Raises
        ``FileExistsError`` (``ExistsError``) if ``fd`` has a handler,
        ``OSError`` with ``EBADF`` (``BadFdError``) if it is not open,
        ``PermissionError`` (``UnsupportedFdError``) if the backend cannot
        watch it, ``ValueError`` for a negative fd or invalid events,
        ``TypeError`` for arguments of the wrong type.
        """
        fileno, obj = _split_fd(fd)
        state = _loop_state(self)
        try:
            _io_add_handler(self, fileno, _events(events),
                            _make_run_handler(state.loop_ref, handler, obj))
        except GLib.Error as error:
            raise loop_exception(error) from None
        if obj is not fileno:
            state.fd_objects[fileno] = obj

    def update_handler(self, fd, events):
        """Change the events the handler of ``fd`` listens to.

        ``update_handler(fd, events: int) -> None``.  Raises
        ``FileNotFoundError`` (``NotFoundError``) if ``fd`` has no handler,
        ``ValueError`` for invalid events.
        """
        try:
            _io_update_handler(self, self._fileno(fd), _events(events))
        except GLib.Error as error:
            raise loop_exception(error) from None

    def remove_handler(self, fd):
        """Stop listening to ``fd``; an fd without handler is ignored.

        ``remove_handler(fd) -> None``.
        """
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
        """Call ``callback(*args, **kwargs)`` on the next iteration; safe from
        any thread and from Python signal handlers.

        ``add_callback(callback, *args, **kwargs) -> None``.  On a closed
        loop the callback is dropped.
        """
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
        """Call ``callback(*args, **kwargs)`` at ``deadline``: a
        ``time.time()`` timestamp or a ``datetime.timedelta`` from now.

        ``add_timeout(deadline, callback, *args, **kwargs) -> Timeout``, a
        handle for remove_timeout().  Raises ``ValueError`` for a deadline
        that is not finite, ``TypeError`` for another type,
        ``LoopClosedError`` on a closed loop.
        """
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            run = self._io_state.run_timeout
        except AttributeError:
            run = _loop_state(self).run_timeout
        try:
            if isinstance(deadline, datetime.timedelta):
                return _io_call_later(self, deadline.total_seconds(), run, callback)
            if isinstance(deadline, numbers.Real):
                return _io_add_timeout(self, float(deadline), run, callback)
        except GLib.Error as error:
            raise loop_exception(error) from None
        raise TypeError("Unsupported deadline %r" % (deadline,))

    def call_later(self, delay, callback, *args, **kwargs):
        """Call ``callback(*args, **kwargs)`` after ``delay`` seconds.

        ``call_later(delay: float, callback, *args, **kwargs) -> Timeout``.
        Raises like ``add_timeout()``.
        """
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            run = self._io_state.run_timeout
        except AttributeError:
            run = _loop_state(self).run_timeout
        try:
            return _io_call_later(self, float(delay), run, callback)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def call_at(self, when, callback, *args, **kwargs):
        """Call ``callback(*args, **kwargs)`` at the Unix time ``when``.

        ``call_at(when: float, callback, *args, **kwargs) -> Timeout``.
        Raises like ``add_timeout()``.
        """
        return self.add_timeout(float(when), callback, *args, **kwargs)

    def remove_timeout(self, timeout):
        """Cancel a pending timeout (harmless if it already ran, or None).

        ``remove_timeout(timeout: Timeout) -> None``.
        """
        if timeout is not None:
            _io_remove_timeout(self, timeout)

    # -- Unix signals and child processes --

    def add_signal_handler(self, signum, func, *user_data):
        """Call ``func(signum, *user_data)`` on the loop's thread whenever
        ``signum`` arrives.

        ``add_signal_handler(signum: int, func, *user_data) -> int``, an id
        for remove_signal_handler().  Raises ``ValueError``
        (``InvalidArgumentError``) for a signal that cannot be caught.
        """
        try:
            loop_ref = self._io_state.loop_ref
        except AttributeError:
            loop_ref = _loop_state(self).loop_ref
        try:
            return _io_add_signal_handler(self, signum,
                                          _make_run_signal(loop_ref, func, user_data))
        except GLib.Error as error:
            raise loop_exception(error) from None

    def add_child_watch(self, pid, func, *user_data):
        """Call ``func(pid, wait_status, *user_data)`` once, on the loop's
        thread, when the child ``pid`` has exited.

        ``add_child_watch(pid: int, func, *user_data) -> int``, an id for
        remove_child_watch().  Raises ``ValueError`` if ``pid`` is not a child
        of this process, ``FileExistsError`` if it is watched already.
        """
        try:
            loop_ref = self._io_state.loop_ref
        except AttributeError:
            loop_ref = _loop_state(self).loop_ref
        try:
            return _io_add_child_watch(self, pid,
                                       _make_run_child(loop_ref, func, user_data))
        except GLib.Error as error:
            raise loop_exception(error) from None

    # -- the rest of Io.Loop, with Python docstrings --
    #
    # These call the introspected functions as they are; they exist so that
    # help() shows what they do from Python, and so that their GLib.Error
    # becomes one of this module's exceptions.

    @staticmethod
    def instance():
        """Return the global loop, creating it on first use (thread-safe).

        ``instance() -> IOLoop``.  Most single-threaded programs use only this
        loop; classes that need a loop may take an optional one and fall back
        to it.
        """
        return _io_instance()

    @staticmethod
    def initialized():
        """Return True if the global loop exists (``instance()`` was called or
        a loop was installed).

        ``initialized() -> bool``.
        """
        return _io_initialized()

    @staticmethod
    def clear_instance():
        """Forget the global loop, so that the next ``instance()`` makes a new
        one and ``install()`` may install another.  For tests and shutdown.

        ``clear_instance() -> None``.
        """
        _io_clear_instance()

    @staticmethod
    def list_backends():
        """Return the names of the backends built into the library, best first
        (among ``'epoll'``, ``'kqueue'``, ``'poll'`` and ``'select'``).

        ``list_backends() -> list[str]``.
        """
        return _io_list_backends()

    @staticmethod
    def new():
        """Return a new loop on the backend named by ``IOLOOP_BACKEND``, or the
        best one (an unknown name warns and uses the best one).

        ``new() -> IOLoop``; ``IOLoop()`` does the same.
        """
        return _io_new()

    @staticmethod
    def new_with_backend(backend):
        """Return a new loop on ``backend`` (``'epoll'``, ``'poll'``...).

        ``new_with_backend(backend: str) -> IOLoop``.  Raises
        ``NoBackendError`` (a ``ValueError``) if the backend is unknown or not
        built, ``FailedError`` (an ``OSError``) if the system refuses it.
        """
        try:
            return _io_new_with_backend(backend)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def install(self):
        """Make this loop the global one that ``instance()`` returns (for a
        subclass, say).

        ``install() -> bool`` (True).  Raises ``AlreadyInstalledError`` (a
        ``RuntimeError``) if a global loop exists already.
        """
        try:
            return _io_install(self)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def stop(self):
        """Stop the loop after the current iteration; if it is not running,
        the next ``start()`` returns at once.  Safe from any thread.

        ``stop() -> None``.  From a Python signal handler this is safe too
        (the handler runs on the main thread between bytecodes).
        """
        _io_stop(self)

    def is_running(self):
        """Return True while ``start()`` runs (the same as ``running()``).

        ``is_running() -> bool``.
        """
        return _io_is_running(self)

    def is_closed(self):
        """Return True once ``close()`` was called.

        ``is_closed() -> bool``.
        """
        return _io_is_closed(self)

    def time(self):
        """Return the loop's current time in seconds since the epoch, as
        ``time.time()`` does: what ``add_timeout()`` takes.

        ``time() -> float``.  Timeouts run on the monotonic clock: changing
        the wall clock neither fires nor delays them.
        """
        return _io_time(self)

    def get_backend(self):
        """Return the name of the backend the loop polls with.

        ``get_backend() -> str``.
        """
        return _io_get_backend(self)

    def has_handler(self, fd):
        """Return True if the file descriptor ``fd`` (an int) has a handler.

        ``has_handler(fd: int) -> bool``.
        """
        return _io_has_handler(self, fd)

    def get_fd(self):
        """Return the backend's own pollable fd (epoll, kqueue), readable when
        an iteration has events to dispatch; -1 for poll and select or on a
        closed loop.  For driving the loop from another main loop.

        ``get_fd() -> int``.
        """
        return _io_get_fd(self)

    def get_timeout_ms(self):
        """Return how long the next iteration would block: 0 if callbacks are
        pending or a timeout is due, -1 if nothing is scheduled, else the
        milliseconds until the next deadline.

        ``get_timeout_ms() -> int``.
        """
        return _io_get_timeout_ms(self)

    def attach(self, context=None):
        """Let GLib drive the loop: attach to ``context`` (None: the default
        ``GLib.MainContext``) a source that runs the loop's iterations, so
        that ``GLib.MainLoop.run()`` runs its handlers, callbacks and
        timeouts.

        ``attach(context: GLib.MainContext = None) -> int``: the source's id.
        Raises ``ExistsError`` if the loop is attached already,
        ``LoopRunningError`` while ``start()`` runs, ``InvalidArgumentError``
        if the loop hosts ``context`` (``add_main_context()``).
        """
        try:
            return _io_attach(self, context)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def detach(self):
        """Undo ``attach()``: GLib no longer drives the loop.

        ``detach() -> bool``: True if the loop was attached.
        """
        return _io_detach(self)

    def add_main_context(self, context=None):
        """Let the loop drive GLib: each iteration also iterates ``context``
        (None: the default ``GLib.MainContext``), so that GDBus, GIO's async
        operations and ``GLib.timeout_add()`` run while ``start()`` runs.

        ``add_main_context(context: GLib.MainContext = None) -> bool``.
        Raises ``ExistsError`` if the loop hosts ``context`` already,
        ``InvalidArgumentError`` if the loop is attached to it.
        """
        try:
            return _io_add_main_context(self, context)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def remove_main_context(self, context=None):
        """Stop iterating ``context`` (see ``add_main_context()``).

        ``remove_main_context(context: GLib.MainContext = None) -> bool``:
        True if the loop hosted it.
        """
        return _io_remove_main_context(self, context)

    def remove_signal_handler(self, id):
        """Remove a handler of ``add_signal_handler()`` by its id; removing it
        twice does nothing.

        ``remove_signal_handler(id: int) -> bool``: True if one was removed.
        """
        return _io_remove_signal_handler(self, id)

    def remove_child_watch(self, id):
        """Remove a watch of ``add_child_watch()`` by its id (the child is
        then not reaped); removing it twice does nothing.

        ``remove_child_watch(id: int) -> bool``: True if one was removed.
        """
        return _io_remove_child_watch(self, id)

    def reinit_after_fork(self):
        """In a child process after ``os.fork()``: give the loop its own
        backend and wake-up fd, keeping its handlers, timeouts and callbacks.
        Until then, the loop raises ``ForkedError`` in the child.

        ``reinit_after_fork() -> bool`` (True).  Call it while the loop is
        not running; raises ``LoopRunningError`` or ``FailedError``
        otherwise.
        """
        try:
            return _io_reinit_after_fork(self)
        except GLib.Error as error:
            raise loop_exception(error) from None

    def report_exception(self, error, default=None):
        """Report ``error`` as the loop reports a callback that failed:
        emit ``handle-exception``; unless a handler returned True (the error
        is handled), emit ``callback-exception``, whose class handler is the
        default report.  ``error`` is a ``GLib.Error`` or any exception
        (made into a ``GLib.Error`` by ``exception_to_error()``).

        ``default``, a function without arguments, replaces the default
        report of the C class handler (a ``g_log()`` warning without the
        Python traceback): it runs after the handlers of
        ``callback-exception``, unless one of them stopped the emission
        (``stop_emission_by_name()``), so that the error is reported once.
        Handlers connected with ``connect_after()`` do not run then, since
        the emission stops where the C default would log.  A subclass
        overriding the class handler (``do_handle_callback_exception()``)
        is the default report instead, and ``default`` is not called.

        ``report_exception(error: BaseException, default=None) -> None``.
        """
        gerror = exception_to_error(error)
        if default is None:
            _io_report_exception(self, gerror)
            return
        if self.emit('handle-exception', gerror):
            return
        if self._class_handler_overridden():
            self.emit('callback-exception', gerror)
        elif _emit_callback_exception_reaching_default(self, gerror):
            default()

    def set_blocking_alarm(self, seconds):
        """Arm ``SIGALRM`` for ``seconds`` whenever the loop dispatches (0
        disables it); the disposition of ``SIGALRM`` is left alone.  Use
        ``set_blocking_signal_threshold()`` to install a handler too.

        ``set_blocking_alarm(seconds: float) -> None``.
        """
        _io_set_blocking_alarm(self, seconds)

    def get_blocking_alarm(self):
        """Return the threshold of ``set_blocking_alarm()``, 0 if disabled.

        ``get_blocking_alarm() -> float``.
        """
        return _io_get_blocking_alarm(self)

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
        """Log a stack trace if the loop is blocked more than ``seconds``.

        ``set_blocking_log_threshold(seconds: float) -> None``.
        """
        self.set_blocking_signal_threshold(seconds, self.log_stack)

    def log_stack(self, signum, frame):
        """Signal handler that logs the current stack (the ``action`` of
        ``set_blocking_log_threshold()``).

        ``log_stack(signum: int, frame) -> None``.
        """
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
        """Return a stopped periodic callback calling
        ``callback(*user_data)`` every ``interval_ms`` milliseconds on
        ``loop`` once started; its exceptions reach
        ``loop.handle_callback_exception()``.

        ``new(loop: IOLoop, interval_ms: int, callback, *user_data) ->
        PeriodicCallback``.  ``ioloop.PeriodicCallback`` is Tornado's
        interface to the same.
        """
        if user_data:
            callback = functools.partial(callback, *user_data)
        if isinstance(loop, Loop):
            func = loop._wrap_callback(callback)
        else:
            func = callback
        return Io.PeriodicCallback.new(loop, interval_ms, func)

    def start(self):
        """Start calling the function, first one interval from now; starting
        a started callback does nothing.

        ``start() -> None``.
        """
        _io_periodic_start(self)

    def stop(self):
        """Stop calling the function (safe from inside it); stopping a
        stopped callback does nothing.

        ``stop() -> None``.
        """
        _io_periodic_stop(self)

    def is_running(self):
        """Return True between ``start()`` and ``stop()``.

        ``is_running() -> bool``.
        """
        return _io_periodic_is_running(self)

    def get_interval(self):
        """Return the interval in milliseconds.

        ``get_interval() -> int``.
        """
        return _io_periodic_get_interval(self)

    def get_loop(self):
        """Return the loop the callback runs on.

        ``get_loop() -> IOLoop``.
        """
        return _io_periodic_get_loop(self)


PeriodicCallback = override(PeriodicCallback)
__all__.append('PeriodicCallback')


class Async(Io.Async):
    """``Io.Async`` whose Python callback is run like the loop's other
    callbacks."""

    @classmethod
    def new(cls, loop, callback, *user_data):
        """Return a wake-up handle whose ``send()`` makes
        ``callback(*user_data)`` run on ``loop``'s next iteration (sends
        before it runs are coalesced); its exceptions reach
        ``loop.handle_callback_exception()``.

        ``new(loop: IOLoop, callback, *user_data) -> Async``.
        """
        if user_data:
            callback = functools.partial(callback, *user_data)
        if isinstance(loop, Loop):
            func = loop._wrap_callback(callback)
        else:
            func = callback
        return Io.Async.new(loop, func)

    def send(self):
        """Make the callback run on the loop's next iteration, waking the loop.
        Safe from any thread and from a signal handler; does nothing once
        the handle is closed.

        ``send() -> None``.
        """
        _io_async_send(self)

    def close(self):
        """Detach the handle from its loop: later sends do nothing.  Closing
        twice does nothing; call it from the loop's thread.

        ``close() -> None``.
        """
        _io_async_close(self)

    def is_closed(self):
        """Return True once ``close()`` (or the loop's ``close()``) ran.

        ``is_closed() -> bool``.
        """
        return _io_async_is_closed(self)


Async = override(Async)
__all__.append('Async')


class Timeout(Io.Timeout):
    """The handle ``add_timeout()``, ``call_later()`` and ``call_at()``
    return, for ``remove_timeout()``."""

    def is_pending(self):
        """Return True while the timeout waits to fire: False once it fired
        (or is firing), was removed, or its loop was closed.

        ``is_pending() -> bool``.
        """
        return _io_timeout_is_pending(self)


Timeout = override(Timeout)
__all__.append('Timeout')


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
