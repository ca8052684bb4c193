# _events.py: an asyncio event loop whose engine is an Io.Loop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``ioloop.EventLoop``: asyncio on libioloop.

asyncio's Unix selector loop gives the transports, protocols, streams, SSL,
``sock_*``, sendfile, pipes and servers; this module replaces what drives
them.  Nothing here polls: every piece of asyncio's ``_run_once()`` becomes
something the ``Io.Loop`` calls when it is due, so that asyncio progresses
whoever iterates the ``Io.Loop`` (``run_forever()``, the classic
``io_loop.start()``, or GLib through ``io_loop.attach()``):

- ``call_soon()`` appends to asyncio's ready queue and, at most once per
  iteration, sends an ``Io.Async`` whose one function runs the handles that
  were ready when it started (asyncio's rule: what they schedule waits for
  the next iteration);
- ``call_later()``/``call_at()`` are ``Io.Loop`` timeouts on the monotonic
  clock (``time()`` is ``time.monotonic()``, the clock of the loop's timers);
- readers and writers are ``Io.Loop`` handlers, one per file descriptor
  whichever of the two it has, each running its handle directly;
- ``call_soon_threadsafe()`` sends the same ``Io.Async`` (thread-safe);
- ``add_signal_handler()`` is ``Io.Loop.add_signal_handler()`` and a child
  process's exit comes from ``Io.Loop.add_child_watch()`` (a pidfd where
  the kernel has them): no asyncio child watcher is involved.
"""

import collections.abc
import contextvars
import errno
import functools
import heapq
import itertools
import os
import selectors
import sys
import threading
import time

from asyncio import (base_events, constants, coroutines, events, format_helpers, sslproto,
                     unix_events)
from asyncio.log import logger

from gi.module import get_introspection_module
from gi.repository import GLib

import ioloop
from ioloop import _transports

__all__ = ['EventLoop']

# The introspected functions, without the override's Tornado-style wrappers:
# every Python function given to them here runs asyncio handles, which catch
# what callbacks raise themselves.
_Io = get_introspection_module('Io')
_io_add_handler = _Io.Loop.add_handler
_io_update_handler = _Io.Loop.update_handler
_io_remove_handler = _Io.Loop.remove_handler
_io_call_later = _Io.Loop.call_later
_io_remove_timeout = _Io.Loop.remove_timeout
_io_add_signal_handler = _Io.Loop.add_signal_handler
_io_remove_signal_handler = _Io.Loop.remove_signal_handler
_io_add_child_watch = _Io.Loop.add_child_watch
_io_remove_child_watch = _Io.Loop.remove_child_watch
_io_async_new = _Io.Async.new
_IoLoopError = _Io.LoopError
_IO_ERROR_QUARK = _Io.LoopError.quark()

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
_IO_READ = int(_Io.Events.READ)
_IO_WRITE = int(_Io.Events.WRITE)
_IO_ERROR = int(_Io.Events.ERROR)
# asyncio's masks (EVENT_READ 1, EVENT_WRITE 2) as Io.Events.
_IO_EVENTS = {
    _READ: _Io.Events(_IO_READ),
    _WRITE: _Io.Events(_IO_WRITE),
    _READ | _WRITE: _Io.Events(_IO_READ | _IO_WRITE),
}
_RUN_READER = _IO_READ | _IO_ERROR
_RUN_WRITER = _IO_WRITE | _IO_ERROR

_monotonic = time.monotonic
_heappush = heapq.heappush
_heappop = heapq.heappop
_heapify = heapq.heapify
_TimerHandle = events.TimerHandle
_seq_counter = itertools.count()
_next_seq = _seq_counter.__next__
# asyncio's rule for purging cancelled timers from the heap.
_MIN_CANCELLED_TIMERS = base_events._MIN_SCHEDULED_TIMER_HANDLES
_MAX_CANCELLED_FRACTION = base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION
_Handle = events.Handle
_get_running_loop = events._get_running_loop
_set_running_loop = events._set_running_loop


def _error_to_exception(error, fd=None):
    """The exception asyncio (its selectors) raises where the ``Io.Loop``
    reported the ``GLib.Error`` ``error``."""
    if not isinstance(error, GLib.Error) or error.domain != GLib.quark_to_string(_IO_ERROR_QUARK):
        return error
    code = error.code
    if code == _IoLoopError.BAD_FD:
        exc = OSError(errno.EBADF, os.strerror(errno.EBADF))
    elif code == _IoLoopError.UNSUPPORTED_FD:
        # What epoll says of a regular file.
        exc = PermissionError(errno.EPERM, os.strerror(errno.EPERM))
    elif code == _IoLoopError.INVALID_ARGUMENT:
        exc = ValueError(error.message)
    elif code == _IoLoopError.CLOSED:
        exc = RuntimeError('Event loop is closed')
    elif code == _IoLoopError.RUNNING:
        exc = RuntimeError('This event loop is already running')
    else:
        exc = OSError(error.message)
    exc.__cause__ = error
    return exc


def _fileobj_to_fd(fileobj):
    """The file descriptor of an int or an object with ``fileno()``, as
    :mod:`selectors` takes them."""
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fd = int(fileobj.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError("Invalid file object: %r" % (fileobj,)) from None
    if fd < 0:
        raise ValueError("Invalid file descriptor: %d" % (fd,))
    return fd


class _FdEntry(object):
    """What is registered for one file descriptor."""

    __slots__ = ('fileobj', 'mask', 'reader', 'writer')

    def __init__(self, fileobj):
        self.fileobj = fileobj
        self.mask = 0
        self.reader = None
        self.writer = None


class _IoSelector(selectors.BaseSelector):
    """The face asyncio's selector loop shows of its selector, over the
    loop's own table of readers and writers.

    asyncio reads it (``get_key()`` in the transports' ``repr()``); the
    loop registers file descriptors with the ``Io.Loop`` itself, so the
    mutating methods and ``select()`` are refused.
    """

    def __init__(self, fds):
        self._fds = fds
        self._map = _SelectorMapping(fds)

    def register(self, fileobj, events, data=None):
        """Refused: use the loop's add_reader()/add_writer()."""
        raise NotImplementedError("register file descriptors with add_reader()/add_writer()")

    def unregister(self, fileobj):
        """Refused: use the loop's remove_reader()/remove_writer()."""
        raise NotImplementedError("unregister file descriptors with remove_reader()/remove_writer()")

    def modify(self, fileobj, events, data=None):
        """Refused: use the loop's add_reader()/add_writer()."""
        raise NotImplementedError("modify file descriptors with add_reader()/add_writer()")

    def select(self, timeout=None):
        """Refused: the ``Io.Loop`` waits for events."""
        raise NotImplementedError("the Io.Loop waits for events")

    def get_map(self):
        """A read-only mapping of file objects to ``SelectorKey``."""
        return self._map

    def close(self):
        """Forget the mapping (the loop releases its handlers itself)."""
        self._fds = {}
        self._map = _SelectorMapping(self._fds)


class _SelectorMapping(collections.abc.Mapping):
    """fd or file object -> ``selectors.SelectorKey``, read-only."""

    __slots__ = ('_fds',)

    def __init__(self, fds):
        self._fds = fds

    def __len__(self):
        return len(self._fds)

    def __iter__(self):
        return iter(self._fds)

    def __getitem__(self, fileobj):
        try:
            fd = _fileobj_to_fd(fileobj)
        except ValueError:
            fd = None
        entry = self._fds.get(fd)
        if entry is None:
            raise KeyError("%r is not registered" % (fileobj,))
        return selectors.SelectorKey(entry.fileobj, fd, entry.mask,
                                     (entry.reader, entry.writer))



class _PyEventLoop(unix_events.SelectorEventLoop):
    """An :class:`asyncio.AbstractEventLoop` whose engine is an ``Io.Loop``.

    ``io_loop`` is the ``Io.Loop`` to run on; by default a new one
    (``Io.Loop.new()``, which honours ``IOLOOP_BACKEND``), closed with this
    loop.  A loop given here is shared, not owned: ``close()`` releases
    what this event loop registered on it and leaves it open, so that
    ``EventLoop(ioloop.IOLoop.instance())`` runs asyncio tasks beside
    Tornado-style handlers, whichever of ``run_forever()`` and
    ``io_loop.start()`` drives.
    """

    def __init__(self, io_loop=None):
        # Closed until set up: __del__ has nothing to say of a refused loop.
        self._closed = True
        if io_loop is None:
            io_loop = ioloop.IOLoop.new()
            self._owns_io_loop = True
        else:
            if not isinstance(io_loop, _Io.Loop):
                raise TypeError("io_loop must be an Io.Loop, not %r" % (type(io_loop).__name__,))
            if io_loop.is_closed():
                raise RuntimeError("the Io.Loop is closed")
            self._owns_io_loop = False
        self._io_loop = io_loop
        self._fds = {}                 # fd -> _FdEntry
        self._timer_heap = []          # (when, seq, TimerHandle)
        self._timer_io = None          # the Io.Timeout of the earliest timer
        self._timer_when = None        # when it is due (loop time)
        self._child_watches = {}       # watch id -> pid
        self._wake = None              # Io.Async.send, once the Io.Async exists
        self._async = None
        self._drain_scheduled = False
        super().__init__(_IoSelector(self._fds))

    @property
    def io_loop(self):
        """The ``Io.Loop`` this event loop runs on."""
        return self._io_loop

    def __repr__(self):
        return '<%s running=%s closed=%s debug=%s backend=%s>' % (
            type(self).__name__, self.is_running(), self.is_closed(),
            self.get_debug(), self._io_loop.get_backend())

    # -- the wake-up: one Io.Async instead of the self-pipe ----------------

    def _make_self_pipe(self):
        # No self-pipe: asyncio's attributes for it stay None.
        self._ssock = self._csock = None
        self._async = _io_async_new(self._io_loop, self._run_ready)
        self._wake = self._async.send
        if self._async.is_closed():
            raise RuntimeError("the Io.Loop is closed")
        # The Io.Loop's wake-up descriptor stands where asyncio counts its
        # self-pipe.
        self._internal_fds += 1

    def _close_self_pipe(self):
        if self._async is not None:
            self._async.close()
            self._internal_fds -= 1
        self._wake = _drop_wake
        self._async = None

    def _write_to_self(self):
        # Thread-safe, and harmless on a closed loop.
        self._wake()

    def _process_self_data(self, data):
        pass

    # -- running ----------------------------------------------------------

    def run_forever(self):
        """Run until stop() is called, by running the ``Io.Loop``."""
        self._check_closed()
        self._check_running()
        if self._io_loop.is_running():
            raise RuntimeError('The Io.Loop of this event loop is already running')
        self._set_coroutine_origin_tracking(self._debug)
        old_agen_hooks = sys.get_asyncgen_hooks()
        try:
            self._thread_id = threading.get_ident()
            sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                                   finalizer=self._asyncgen_finalizer_hook)
            _set_running_loop(self)
            if self._stopping:
                # stop() before run_forever(): one iteration, as asyncio.
                self._schedule_drain()
            try:
                self._io_loop.start()
            except GLib.Error as error:
                raise _error_to_exception(error) from None
        finally:
            self._stopping = False
            self._thread_id = None
            _set_running_loop(None)
            self._set_coroutine_origin_tracking(False)
            sys.set_asyncgen_hooks(*old_agen_hooks)

    def is_running(self):
        """True while ``run_forever()`` runs, and while the ``Io.Loop`` is
        driven otherwise (``io_loop.start()``, GLib) and runs this loop's
        callbacks: it cannot be closed or run again meanwhile."""
        return (self._thread_id is not None or _get_running_loop() is self
                or self._io_loop.is_running())

    def stop(self):
        """Stop running: the callbacks already ready run first (those they
        schedule wait for the next run), then ``run_forever()`` returns.

        Stops the ``Io.Loop`` too when it is driven by ``io_loop.start()``.
        """
        self._stopping = True
        if not self._closed:
            self._schedule_drain()

    def _schedule_drain(self):
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self._wake()

    def _run_ready(self):
        """The function of the Io.Async: run the handles that are ready."""
        # Clear the flag before counting: a handle added from now on (by
        # the handles run below or by another thread) sends the Io.Async
        # again for the next iteration.
        self._drain_scheduled = False
        ready = self._ready
        ntodo = len(ready)
        outside = self._thread_id is None and _get_running_loop() is not self
        if outside:
            previous = _get_running_loop()
            _set_running_loop(self)
        try:
            if self._debug:
                for _ in range(ntodo):
                    handle = ready.popleft()
                    if not handle._cancelled:
                        self._run_handle_debug(handle)
            else:
                for _ in range(ntodo):
                    handle = ready.popleft()
                    if not handle._cancelled:
                        handle._run()
        except BaseException:
            # KeyboardInterrupt or SystemExit (Handle._run() reports the
            # rest): io_loop.start() raises it after stopping.
            if ready:
                self._schedule_drain()
            self._io_loop._keep_exception()
        finally:
            if outside:
                _set_running_loop(previous)
        if self._stopping:
            # Not when GLib or io_loop.iteration() drives: stopping a loop
            # that does not run would make its next start() return at once.
            if self._io_loop.is_running():
                self._io_loop.stop()
            if self._thread_id is None:
                # Not run_forever(): nothing to leave for it.
                self._stopping = False

    def _run_handle_debug(self, handle):
        self._current_handle = handle
        try:
            t0 = _monotonic()
            handle._run()
            dt = _monotonic() - t0
            if dt >= self.slow_callback_duration:
                logger.warning('Executing %s took %.3f seconds',
                               base_events._format_handle(handle), dt)
        finally:
            self._current_handle = None

    def _run_handles(self, handles):
        """Run the handles of the list ``handles`` that are not cancelled,
        for the Io.Loop (due timers, a reader and a writer, a signal): the
        running loop set if ``run_forever()`` does not run, KeyboardInterrupt
        and SystemExit handed to ``io_loop.start()`` with the handles not
        run yet put first in the ready queue."""
        outside = self._thread_id is None and _get_running_loop() is not self
        if outside:
            previous = _get_running_loop()
            _set_running_loop(self)
        pending = iter(handles)
        try:
            if self._debug:
                for handle in pending:
                    if not handle._cancelled:
                        self._run_handle_debug(handle)
            else:
                for handle in pending:
                    if not handle._cancelled:
                        handle._run()
        except BaseException:
            rest = list(pending)
            if rest:
                self._ready.extendleft(reversed(rest))
                self._schedule_drain()
            self._io_loop._keep_exception()
        finally:
            if outside:
                _set_running_loop(previous)

    # -- callbacks ----------------------------------------------------------

    def call_soon(self, callback, *args, context=None):
        """Arrange for ``callback(*args)`` to be called on the next
        iteration, in the order of the calls; returns an
        :class:`asyncio.Handle`."""
        if self._closed:
            raise RuntimeError('Event loop is closed')
        if self._debug:
            self._check_thread()
            self._check_callback(callback, 'call_soon')
            handle = _Handle(callback, args, self, context)
            if handle._source_traceback:
                del handle._source_traceback[-1]
        else:
            handle = _new_handle(callback, args, self, context)
        self._ready.append(handle)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self._wake()
        return handle

    def _call_soon(self, callback, args, context):
        if self._debug:
            handle = _Handle(callback, args, self, context)
            if handle._source_traceback:
                del handle._source_traceback[-1]
        else:
            handle = _new_handle(callback, args, self, context)
        self._ready.append(handle)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self._wake()
        return handle

    def _add_callback(self, handle):
        if not handle._cancelled:
            self._ready.append(handle)
            self._schedule_drain()

    def call_soon_threadsafe(self, callback, *args, context=None):
        """Like call_soon(), but safe from any thread (and from a Python
        signal handler): wakes the ``Io.Loop``."""
        self._check_closed()
        if self._debug:
            self._check_callback(callback, 'call_soon_threadsafe')
        handle = _Handle(callback, args, self, context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
        self._ready.append(handle)
        # Always send: the flag is the loop thread's (an Io.Async coalesces).
        self._drain_scheduled = True
        self._wake()
        return handle

    # -- timers -------------------------------------------------------------
    #
    # A heap of (when, sequence, TimerHandle), compared in C (asyncio's
    # heap of TimerHandles compares them in Python), and one Io.Loop
    # timeout armed for the earliest: a GI closure costs more than a heap
    # push, and timers are added far more often than the earliest changes.
    # Equal deadlines run in the order they were added.

    def time(self):
        """The loop's time: ``time.monotonic()``, the monotonic clock on
        which the ``Io.Loop`` runs its timeouts."""
        return _monotonic()

    def call_later(self, delay, callback, *args, context=None):
        """Arrange for ``callback(*args)`` to be called after ``delay``
        seconds; returns an :class:`asyncio.TimerHandle`."""
        if delay is None:
            raise TypeError('delay must not be None')
        return self._add_timer(_monotonic() + delay, callback, args, context, 'call_later')

    def call_at(self, when, callback, *args, context=None):
        """Arrange for ``callback(*args)`` to be called at loop time
        ``when``; returns an :class:`asyncio.TimerHandle`."""
        if when is None:
            raise TypeError("when cannot be None")
        return self._add_timer(when, callback, args, context, 'call_at')

    def _add_timer(self, when, callback, args, context, method):
        if self._closed:
            raise RuntimeError('Event loop is closed')
        if self._debug:
            self._check_thread()
            self._check_callback(callback, method)
        if self._debug:
            timer = _TimerHandle(when, callback, args, self, context)
            if timer._source_traceback:
                del timer._source_traceback[-1]
        else:
            timer = _new_timer_handle(when, callback, args, self, context)
        _heappush(self._timer_heap, (when, _next_seq(), timer))
        timer._scheduled = True
        armed = self._timer_when
        if armed is None or when < armed:
            self._arm_timer(when)
        return timer

    def _arm_timer(self, when):
        """Make the Io.Loop timeout due at ``when`` (loop time)."""
        io_loop = self._io_loop
        if self._timer_io is not None:
            _io_remove_timeout(io_loop, self._timer_io)
            self._timer_io = None
            self._timer_when = None
        try:
            self._timer_io = _io_call_later(io_loop, max(0.0, when - _monotonic()),
                                            self._run_timers, None)
        except GLib.Error as error:
            raise _error_to_exception(error) from None
        self._timer_when = when

    def _run_timers(self, unused):
        """The function of the Io.Loop timeout: run the due timers."""
        self._timer_io = None
        self._timer_when = None
        heap = self._timer_heap
        end = _monotonic() + self._clock_resolution
        due = []
        while heap and heap[0][0] <= end:
            timer = _heappop(heap)[2]
            timer._scheduled = False
            if timer._cancelled:
                self._timer_cancelled_count -= 1
            else:
                due.append(timer)
        if due:
            self._run_handles(due)
        if self._closed:
            return
        while heap and heap[0][2]._cancelled:
            _heappop(heap)[2]._scheduled = False
            self._timer_cancelled_count -= 1
        if heap and (self._timer_when is None or heap[0][0] < self._timer_when):
            self._arm_timer(heap[0][0])

    def _timer_handle_cancelled(self, handle):
        # Cancelled timers stay in the heap until they are due, as in
        # asyncio, unless they are most of it.
        if not handle._scheduled:
            return
        self._timer_cancelled_count += 1
        heap = self._timer_heap
        if (self._timer_cancelled_count > _MIN_CANCELLED_TIMERS and
                self._timer_cancelled_count > len(heap) * _MAX_CANCELLED_FRACTION):
            # Called before the handle is marked cancelled: drop it too.
            handle._scheduled = False
            kept = []
            for entry in heap:
                timer = entry[2]
                if timer._cancelled or timer is handle:
                    timer._scheduled = False
                else:
                    kept.append(entry)
            _heapify(kept)
            heap[:] = kept
            self._timer_cancelled_count = 0

    # -- readers and writers ------------------------------------------------

    def _fd_ready(self, fd, events):
        """The Io.Loop handler of every file descriptor."""
        entry = self._fds.get(fd)
        if entry is None:
            return
        events = events.real
        reader = entry.reader if events & _RUN_READER else None
        writer = entry.writer if events & _RUN_WRITER else None
        if writer is None:
            if reader is not None:
                self._run_handles((reader,))
        elif reader is None:
            self._run_handles((writer,))
        else:
            # The reader may remove the writer: its handle is cancelled then.
            self._run_handles((reader, writer))

    def _set_mask(self, fd, entry, mask):
        """Make the Io.Loop watch ``fd`` for ``mask`` (0: not at all)."""
        old = entry.mask
        if mask == old:
            return
        io_loop = self._io_loop
        try:
            if not mask:
                del self._fds[fd]
                try:
                    _io_remove_handler(io_loop, fd)
                except GLib.Error:
                    # Closed behind our back (the fd, or the Io.Loop).
                    pass
            elif not old:
                _io_add_handler(io_loop, fd, _IO_EVENTS[mask], self._fd_ready)
                self._fds[fd] = entry
            else:
                _io_update_handler(io_loop, fd, _IO_EVENTS[mask])
        except GLib.Error as error:
            raise _error_to_exception(error, fd) from None
        entry.mask = mask

    def _add_reader(self, fd, callback, *args):
        self._check_closed()
        fileobj, fd = fd, _fileobj_to_fd(fd)
        handle = _Handle(callback, args, self, None)
        entry = self._fds.get(fd) or _FdEntry(fileobj)
        self._set_mask(fd, entry, entry.mask | _READ)
        old, entry.reader = entry.reader, handle
        if old is not None:
            old.cancel()
        return handle

    def _add_writer(self, fd, callback, *args):
        self._check_closed()
        fileobj, fd = fd, _fileobj_to_fd(fd)
        handle = _Handle(callback, args, self, None)
        entry = self._fds.get(fd) or _FdEntry(fileobj)
        self._set_mask(fd, entry, entry.mask | _WRITE)
        old, entry.writer = entry.writer, handle
        if old is not None:
            old.cancel()
        return handle

    def _lookup_fd(self, fileobj):
        try:
            return _fileobj_to_fd(fileobj)
        except ValueError:
            # A closed file object (fileno() is -1 then): find it.
            for fd, entry in self._fds.items():
                if entry.fileobj is fileobj:
                    return fd
            raise

    def _remove_reader(self, fd):
        if self._closed:
            return False
        fd = self._lookup_fd(fd)
        entry = self._fds.get(fd)
        if entry is None or entry.reader is None:
            return False
        handle, entry.reader = entry.reader, None
        self._set_mask(fd, entry, entry.mask & ~_READ)
        handle.cancel()
        return True

    def _remove_writer(self, fd):
        if self._closed:
            return False
        fd = self._lookup_fd(fd)
        entry = self._fds.get(fd)
        if entry is None or entry.writer is None:
            return False
        handle, entry.writer = entry.writer, None
        self._set_mask(fd, entry, entry.mask & ~_WRITE)
        handle.cancel()
        return True

    def add_reader(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever ``fd`` (a file descriptor or
        an object with ``fileno()``) is readable.  Raises ``OSError``
        (``EBADF``) for a file descriptor that is not open."""
        self._ensure_fd_no_transport(fd)
        self._add_reader(fd, callback, *args)

    def remove_reader(self, fd):
        """Stop watching ``fd`` for reading; True if it was watched."""
        self._ensure_fd_no_transport(fd)
        return self._remove_reader(fd)

    def add_writer(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever ``fd`` (a file descriptor or
        an object with ``fileno()``) is writable.  Raises ``OSError``
        (``EBADF``) for a file descriptor that is not open."""
        self._ensure_fd_no_transport(fd)
        self._add_writer(fd, callback, *args)

    def remove_writer(self, fd):
        """Stop watching ``fd`` for writing; True if it was watched."""
        self._ensure_fd_no_transport(fd)
        return self._remove_writer(fd)

    # -- socket transports -----------------------------------------------------

    def _native_transport(self, sock):
        """The core type of SocketTransport, when ``sock`` gets one: the C
        speedups are on (not debug mode) and it is a TCP or Unix stream
        socket.  None: asyncio's own transport."""
        if (_speedups is None or not isinstance(self, _speedups.LoopCore) or self._debug
                or not _transports.native_stream_socket(sock)):
            return None
        return _speedups.SocketCore

    def _make_socket_transport(self, sock, protocol, waiter=None, *,
                               extra=None, server=None):
        core_type = self._native_transport(sock)
        if core_type is None:
            return super()._make_socket_transport(sock, protocol, waiter,
                                                  extra=extra, server=server)
        self._ensure_fd_no_transport(sock)
        return _transports.SocketTransport(self, sock, protocol, waiter, extra, server,
                                           _core_type=core_type)

    async def _sendfile_native(self, transp, file, offset, count):
        if not isinstance(transp, _transports.SocketTransport):
            return await super()._sendfile_native(transp, file, offset, count)
        # asyncio's, with the transport's own sendfile: sock_sendfile()
        # would watch the fd its stream watches.
        del self._transports[transp._sock_fd]
        resume_reading = transp.is_reading()
        transp.pause_reading()
        await transp._make_empty_waiter()
        try:
            return await transp._sendfile_native(file, offset, count)
        finally:
            transp._reset_empty_waiter()
            if resume_reading:
                transp.resume_reading()
            self._transports[transp._sock_fd] = transp

    def _make_ssl_transport(self, rawsock, protocol, sslcontext, waiter=None, *,
                            server_side=False, server_hostname=None,
                            extra=None, server=None,
                            ssl_handshake_timeout=constants.SSL_HANDSHAKE_TIMEOUT,
                            ssl_shutdown_timeout=constants.SSL_SHUTDOWN_TIMEOUT):
        core_type = self._native_transport(rawsock)
        if core_type is None:
            return super()._make_ssl_transport(
                rawsock, protocol, sslcontext, waiter, server_side=server_side,
                server_hostname=server_hostname, extra=extra, server=server,
                ssl_handshake_timeout=ssl_handshake_timeout,
                ssl_shutdown_timeout=ssl_shutdown_timeout)
        ssl_protocol = sslproto.SSLProtocol(
            self, protocol, sslcontext, waiter, server_side, server_hostname,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout)
        _transports.SocketTransport(self, rawsock, ssl_protocol, extra=extra, server=server,
                                    _core_type=core_type)
        return ssl_protocol._app_transport

    # -- Unix signals ---------------------------------------------------------

    def add_signal_handler(self, sig, callback, *args):
        """Call ``callback(*args)`` on the loop's thread whenever the Unix
        signal ``sig`` arrives (through ``Io.Loop.add_signal_handler()``).

        Raises ``TypeError`` for a coroutine or a ``sig`` that is not an
        int, ``ValueError`` for an invalid signal number and
        ``RuntimeError`` for one that cannot be caught.
        """
        if coroutines.iscoroutine(callback) or coroutines.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        self._check_signal(sig)
        self._check_closed()
        handle = _Handle(callback, args, self, None)
        try:
            watch_id = _io_add_signal_handler(self._io_loop, sig, self._run_signal)
        except GLib.Error as error:
            if error.code == _IoLoopError.INVALID_ARGUMENT:
                raise RuntimeError('sig %d cannot be caught' % sig) from None
            raise _error_to_exception(error) from None
        old = self._signal_handlers.get(sig)
        self._signal_handlers[sig] = (handle, watch_id)
        if old is not None:
            self._release_signal(old)

    def _run_signal(self, sig):
        entry = self._signal_handlers.get(sig)
        if entry is not None:
            self._run_handles((entry[0],))

    def _release_signal(self, entry):
        handle, watch_id = entry
        handle.cancel()
        if not self._io_loop.is_closed():
            _io_remove_signal_handler(self._io_loop, watch_id)

    def remove_signal_handler(self, sig):
        """Remove the handler of ``sig``; True if there was one.  The
        signal's disposition from before ``add_signal_handler()`` comes
        back when no ``Io.Loop`` handles it any more."""
        self._check_signal(sig)
        entry = self._signal_handlers.pop(sig, None)
        if entry is None:
            return False
        self._release_signal(entry)
        return True

    # -- child processes ------------------------------------------------------

    async def _make_subprocess_transport(self, protocol, args, shell,
                                         stdin, stdout, stderr, bufsize,
                                         extra=None, **kwargs):
        waiter = self.create_future()
        transp = unix_events._UnixSubprocessTransport(
            self, protocol, args, shell, stdin, stdout, stderr, bufsize,
            waiter=waiter, extra=extra, **kwargs)
        try:
            self._watch_child(transp)
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transp.close()
            await transp._wait()
            raise
        return transp

    def _watch_child(self, transp):
        pid = transp.get_pid()
        watch = []

        def exited(pid, wait_status):
            self._child_watches.pop(watch[0], None)
            returncode = os.waitstatus_to_exitcode(wait_status)
            if not self._closed:
                # One more iteration, as asyncio: the pipes' last data first.
                self.call_soon(self.call_soon, transp._process_exited, returncode)
        try:
            watch.append(_io_add_child_watch(self._io_loop, pid, exited))
        except GLib.Error as error:
            raise _error_to_exception(error) from None
        self._child_watches[watch[0]] = pid

    # -- errors ---------------------------------------------------------------

    def default_exception_handler(self, context):
        """asyncio's default handler: it logs ``context`` once through the
        ``asyncio`` logger.  With an exception, and something connected to
        the ``Io.Loop``'s ``handle-exception`` or ``callback-exception``
        signals, the exception is reported as the ``Io.Loop`` reports a
        failed callback (``Io.Loop.report_exception()``), so that C and
        GLib code see it too: ``handle-exception`` (True: handled, nothing
        is logged), ``callback-exception``, then asyncio's log as the
        default report, in place of GLib's."""
        exc = context.get('exception')
        io_loop = self._io_loop
        if (isinstance(exc, BaseException) and not io_loop.is_closed()
                and io_loop._callback_exception_observed()):
            io_loop.report_exception(
                exc, functools.partial(super().default_exception_handler, context))
        else:
            super().default_exception_handler(context)

    # -- closing --------------------------------------------------------------

    def close(self):
        """Close the event loop: drop the pending callbacks (as asyncio
        does), release every handler, timeout, signal handler and child
        watch registered on the ``Io.Loop``, and close the ``Io.Loop`` if
        this event loop created it.  Raises ``RuntimeError`` while the loop
        runs; a second call does nothing."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        super().close()
        io_loop = self._io_loop
        usable = not io_loop.is_closed()
        fds, self._fds = self._fds, {}
        for fd, entry in fds.items():
            for handle in (entry.reader, entry.writer):
                if handle is not None:
                    handle.cancel()
            if usable:
                try:
                    _io_remove_handler(io_loop, fd)
                except GLib.Error:
                    pass
        heap, self._timer_heap = self._timer_heap, []
        for entry in heap:
            entry[2]._scheduled = False
        timeout, self._timer_io, self._timer_when = self._timer_io, None, None
        if usable and timeout is not None:
            _io_remove_timeout(io_loop, timeout)
        watches, self._child_watches = self._child_watches, {}
        for watch_id in watches:
            if usable:
                _io_remove_child_watch(io_loop, watch_id)
        if self._owns_io_loop and usable:
            io_loop.close(False)

    def _check_closed(self):
        if self._closed:
            raise RuntimeError('Event loop is closed')


def _drop_wake():
    pass


# Handles made without calling their __init__, for the hot paths outside
# debug mode (where __init__ would only add its get_debug() call): the
# slots are asyncio 3.11's, checked here; another layout gets __init__.
_copy_context = contextvars.copy_context
_object_new = object.__new__


def _new_handle(callback, args, loop, context):
    handle = _object_new(_Handle)
    handle._callback = callback
    handle._args = args
    handle._cancelled = False
    handle._loop = loop
    handle._source_traceback = None
    handle._repr = None
    handle._context = _copy_context() if context is None else context
    return handle


def _new_timer_handle(when, callback, args, loop, context):
    timer = _object_new(_TimerHandle)
    timer._callback = callback
    timer._args = args
    timer._cancelled = False
    timer._loop = loop
    timer._source_traceback = None
    timer._repr = None
    timer._context = _copy_context() if context is None else context
    timer._when = when
    timer._scheduled = False
    return timer


if (set(_Handle.__slots__) != {'_callback', '_args', '_cancelled', '_loop', '_source_traceback',
                               '_repr', '__weakref__', '_context'}
        or set(_TimerHandle.__slots__) != {'_scheduled', '_when'}):
    def _new_handle(callback, args, loop, context):       # noqa: F811
        return _Handle(callback, args, loop, context)

    def _new_timer_handle(when, callback, args, loop, context):       # noqa: F811
        return _TimerHandle(when, callback, args, loop, context)




def _report_handle_exception(handle, exc):
    """What ``Handle._run()`` does with an exception its callback raised
    (other than KeyboardInterrupt and SystemExit), for the C drain."""
    cb = format_helpers._format_callback_source(handle._callback, handle._args)
    context = {
        'message': f'Exception in callback {cb}',
        'exception': exc,
        'handle': handle,
    }
    if handle._source_traceback:
        context['source_traceback'] = handle._source_traceback
    handle._loop.call_exception_handler(context)


def _load_speedups():
    """``ioloop._speedups`` set up for this asyncio, or None: not built,
    refused by IOLOOP_NO_SPEEDUPS, or asyncio's handles have slots it does
    not know."""
    if os.environ.get('IOLOOP_NO_SPEEDUPS', '') not in ('', '0'):
        return None
    try:
        from ioloop import _speedups
    except ImportError:
        return None
    try:
        _speedups._setup(_Handle, _TimerHandle, _PyEventLoop,
                         _report_handle_exception, _seq_counter)
    except TypeError:
        return None
    return _speedups


_speedups = _load_speedups()

if _speedups is not None:
    class EventLoop(_speedups.LoopCore, _PyEventLoop):
        # call_soon(), call_later(), call_at(), the drain of the ready
        # queue and the runs of due timers and ready file descriptors are
        # LoopCore's C methods; debug mode runs _PyEventLoop's.
        __doc__ = _PyEventLoop.__doc__
else:
    class EventLoop(_PyEventLoop):
        __doc__ = _PyEventLoop.__doc__
