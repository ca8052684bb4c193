# ioloop._iostream: Tornado's IOStream on Io.Stream
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``IOStream``: Tornado's ``IOStream`` interface over ``Io.Stream``, the C
stream, so that the buffering and the system calls are C's.

With a callback, a method works as in Tornado 2: a read's callback gets the
data only, and when the stream closes or fails first, the callback is not
called and the close callback runs instead (``read_until_close()`` gets
what was read). ``error`` is the exception that closed the stream, if any.

Without a callback, ``read_until()``, ``read_bytes()``,
``read_until_close()``, ``write()`` and ``connect()`` return an asyncio
future of the running event loop, as Tornado 4 and later do: a read that
the close of the stream leaves unsatisfied raises ``StreamClosedError``,
whose ``real_error`` is the error that closed it.

A cancelled read loses nothing: what it had read (even when its future had
its result already and only the awaiting task was cancelled) is kept, ahead
of what the C stream buffers, for the next read.
"""

import socket
import sys

from gi.repository import Gio, GLib, Io

__all__ = ['IOStream', 'StreamClosedError']

_IO_ERROR_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())
_RESOLVER_ERROR_DOMAIN = GLib.quark_to_string(Gio.resolver_error_quark())


class StreamClosedError(IOError):
    """Raised by a read or a write that the close of the stream stopped,
    as Tornado's ``StreamClosedError``.

    ``real_error`` is the exception that closed the stream (a
    ``ConnectionResetError``, say), or ``None`` when it closed without one
    (the peer closed its side, or ``close()`` was called)."""

    def __init__(self, real_error=None):
        super().__init__('Stream is closed')
        self.real_error = real_error


def _exception(error):
    """The ``OSError`` that stands for ``error``, a ``GLib.Error`` of the
    stream: a system call's failure with its errno (``OSError`` picks the
    subclass, ``ConnectionRefusedError`` say), a name that does not resolve
    as ``socket.gaierror``, anything else as a plain ``OSError``."""
    from gi.overrides.Io import _errno_of_message
    if error.domain == _RESOLVER_ERROR_DOMAIN:
        code = (socket.EAI_AGAIN if error.code == Gio.ResolverError.TEMPORARY_FAILURE
                else socket.EAI_NONAME)
        exc = socket.gaierror(code, error.message)
    else:
        errnum = _errno_of_message(error.message) if error.domain == _IO_ERROR_DOMAIN else None
        exc = OSError(errnum, error.message) if errnum is not None else OSError(error.message)
    exc.__cause__ = error
    return exc


def _running_loop():
    """The running asyncio event loop, or None (asyncio not imported)."""
    asyncio = sys.modules.get('asyncio')
    return asyncio.events._get_running_loop() if asyncio is not None else None


_future_class = None


def _stream_future_class():
    """The future class of the awaitable forms, made on first use so that
    programs using callbacks only do not import asyncio."""
    global _future_class
    if _future_class is not None:
        return _future_class
    import asyncio

    class _StreamFuture(asyncio.Future):
        """An asyncio future whose cancellation gives back to the stream
        what it read, or stops its pending read."""

        _on_cancel = None       # what stops the operation
        _unread = None          # gives a read's result back to the stream

        def cancel(self, *args, **kwargs):
            if not self.done() and self._on_cancel is not None:
                self._on_cancel()
            return super().cancel(*args, **kwargs)

        def __await__(self):
            try:
                return (yield from super().__await__())
            except asyncio.CancelledError:
                # The result came, but the awaiting task was cancelled before
                # it ran again: the data goes back to the stream.
                if (self._unread is not None and self.done() and not self.cancelled()
                        and self.exception() is None):
                    self._unread(self.result())
                raise

        __iter__ = __await__

    _future_class = _StreamFuture
    return _future_class


def _new_future(what):
    loop = _running_loop()
    if loop is None:
        raise RuntimeError('IOStream.%s() without a callback returns an asyncio future: '
                           'it needs a running asyncio event loop' % (what,))
    return _stream_future_class()(loop=loop)


def _overlap(data, delimiter):
    """The length of the longest end of ``data`` that begins ``delimiter``
    (shorter than ``delimiter``): how much of a delimiter may straddle."""
    for k in range(min(len(delimiter) - 1, len(data)), 0, -1):
        if data.endswith(delimiter[:k]):
            return k
    return 0


class _ReadOp(object):
    """The pending read: ``done(data, error)`` is called once, unless it is
    cancelled; ``held`` is what it took from the stream's pushback, given
    back if it is."""
    __slots__ = ('done', 'held', 'live')

    def __init__(self, done):
        self.done = done
        self.held = b''
        self.live = True


class IOStream(object):
    """A non-blocking socket with Tornado's IOStream methods: callbacks as
    in Tornado 2, asyncio futures without them as in Tornado 4+.

    ``io_loop`` defaults to the ``Io.Loop`` of the running
    ``ioloop.EventLoop``, if any, else to ``IOLoop.instance()``."""

    def __init__(self, socket_, io_loop=None, max_buffer_size=104857600,
                 read_chunk_size=4096):
        from ioloop import IOLoop
        self.socket = socket_
        self.socket.setblocking(False)
        if io_loop is None:
            io_loop = getattr(_running_loop(), 'io_loop', None)
            if not isinstance(io_loop, Io.Loop):
                io_loop = IOLoop.instance()
        self.io_loop = io_loop
        self.max_buffer_size = max_buffer_size
        self.read_chunk_size = read_chunk_size
        self.error = None
        self._stream = None
        self._close_callback = None
        self._reading = False
        self._read_op = None
        self._pushback = b''
        self._writes = 0
        self._closed = False
        self._connect_callback = None
        self._connect_future = None
        self._connect_cancelled = False
        if self._is_connected():
            self._attach()

    def _is_connected(self):
        try:
            self.socket.getpeername()
            return True
        except OSError:
            return False

    def _attach(self):
        # Io.Stream owns the fd from now on; the socket object forgets it.
        self._use(Io.Stream.new(self.io_loop, self.socket.detach()))

    def _use(self, stream):
        self._stream = stream
        self._stream.set_max_buffer_size(self.max_buffer_size)
        self._stream.set_close_callback(self._on_close)

    def _on_close(self, stream, error):
        self._closed = True
        if error is not None and self.error is None:
            self.error = _exception(error)
        callback, self._close_callback = self._close_callback, None
        if callback is not None:
            callback()

    def _closed_error(self, error=None):
        """The StreamClosedError of a read or flush that failed with
        ``error`` (a GLib.Error, or None)."""
        if self.error is None and error is not None and not error.matches(
                Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED):
            # The read or flush hears of it before the close callback.
            self.error = _exception(error)
        return StreamClosedError(real_error=self.error)

    # -- connecting --

    def connect(self, address, callback=None):
        """Connects to ``address`` (``(host, port)``, TCP) without blocking;
        ``callback()`` runs once it is connected. The name is resolved off
        the loop's thread and each address tried in turn, on a socket of
        Io.Stream's: the socket given to the constructor is closed.

        Without ``callback``, returns an asyncio future of the running loop
        whose result is this stream, or which raises the ``OSError`` of the
        failure (``ConnectionRefusedError``, ``socket.gaierror``...); a
        failure also runs the close callback and sets ``error``."""
        future = None
        if callback is None:
            future = self._connect_future = _new_future('connect')
            future._on_cancel = self._cancel_connect
        self._connect_callback = callback
        self.socket.close()
        Io.Stream.connect_tcp(self.io_loop, address[0], int(address[1]), self._on_connect)
        return future

    def _cancel_connect(self):
        # Io.Stream cannot stop a connect: the stream it makes is closed.
        self._connect_future = None
        self._connect_cancelled = True

    def _on_connect(self, stream, error):
        future, self._connect_future = self._connect_future, None
        callback, self._connect_callback = self._connect_callback, None
        if error is not None:
            self.error = _exception(error)
            self._closed = True
            close_callback, self._close_callback = self._close_callback, None
            if close_callback is not None:
                close_callback()
            if future is not None and not future.done():
                future.set_exception(self.error)
            return
        self._use(stream)
        if self._connect_cancelled:
            stream.close()
            return
        if callback is not None:
            callback()
        if future is not None and not future.done():
            future.set_result(self)

    # -- reading: Io.Stream's reads, after what a cancelled read gave back --

    def _check_open(self):
        if self._stream is None:
            if self._closed:
                raise StreamClosedError(real_error=self.error)
            raise IOError("Stream is not connected")

    def _start_read(self, done):
        self._check_open()
        assert not self._reading, "Already reading"
        self._reading = True
        op = self._read_op = _ReadOp(done)
        return op

    def _finish(self, op, data, error):
        if not op.live:
            return      # cancelled: _cancel() gave back what it held
        op.live = False
        self._read_op = None
        self._reading = False
        op.done(data, error)

    def _resume(self, op):
        """Makes ``op`` the pending read again, for its next piece."""
        op.live = True
        self._read_op = op
        self._reading = True

    def _cancel(self, op):
        """Drops the read ``op``: its callback is not called, and what it
        had taken is given back."""
        if not op.live:
            return
        op.live = False
        self._read_op = None
        self._reading = False
        self._stream.cancel_read()
        self._unread(op.held)

    def _unread(self, data):
        self._pushback = bytes(data) + self._pushback

    def _take_pushback(self, op):
        op.held, self._pushback = self._pushback, b''
        return op.held

    def _serve_soon(self, op, data):
        """Completes ``op`` with ``data`` (taken from the pushback) on the
        next iteration, not from inside the call that started it."""
        op.held = data
        self.io_loop.add_callback(lambda: self._finish(op, data, None))

    def _on_read(self, op, head=b''):
        """The callback of one of Io.Stream's reads, for ``op``, whose data
        come after ``head``."""
        def on_read(stream, data, error):
            if data is None:
                if op.live:
                    self._unread(head)
                self._finish(op, None, error)
            else:
                self._finish(op, head + data.get_data(), None)
        return on_read

    def _read_until(self, op, delimiter):
        pushback = self._take_pushback(op)
        if pushback:
            end = pushback.find(delimiter)
            if end >= 0:
                end += len(delimiter)
                self._pushback = pushback[end:]
                self._serve_soon(op, pushback[:end])
                return
            straddle = _overlap(pushback, delimiter)
            if straddle:
                # The rest of the delimiter may be the next bytes.
                def on_more(stream, data, error):
                    if data is None:
                        self._unread(pushback)
                        self._finish(op, None, error)
                        return
                    self._pushback = pushback + data.get_data() + self._pushback
                    self._read_until(op, delimiter)
                self._stream.read_bytes(len(delimiter) - straddle, True, on_more)
                return
        self._stream.read_until(delimiter, 0, self._on_read(op, pushback))

    def _read_bytes(self, op, num_bytes, partial):
        pushback = self._take_pushback(op)
        if pushback and (partial or len(pushback) >= num_bytes):
            self._pushback = pushback[num_bytes:]
            self._serve_soon(op, pushback[:num_bytes])
            return
        self._stream.read_bytes(num_bytes - len(pushback), partial, self._on_read(op, pushback))

    def _read_until_close(self, op):
        self._stream.read_until_close(self._on_read(op, self._take_pushback(op)))

    def _callback_done(self, callback):
        """A read's ``done`` for a Tornado 2 callback: the close callback
        reports failures."""
        def done(data, error):
            if data is not None:
                callback(data)
        return done

    def _future_done(self, what):
        """A read's ``done`` and the future it settles."""
        future = _new_future(what)

        def done(data, error):
            if future.done():
                if data:
                    self._unread(data)
            elif data is not None:
                future.set_result(data)
            else:
                future.set_exception(self._closed_error(error))
        return future, done

    def _read(self, what, callback, start):
        """Starts a read with ``start(op)``: for ``callback``, or for the
        future it returns."""
        if callback is not None:
            start(self._start_read(self._callback_done(callback)))
            return None
        self._check_open()
        future, done = self._future_done(what)
        op = self._start_read(done)
        future._on_cancel = lambda: self._cancel(op)
        future._unread = self._unread
        start(op)
        return future

    def read_until(self, delimiter, callback=None):
        """Reads up to and including ``delimiter``: calls
        ``callback(data)``, or without ``callback`` returns an asyncio
        future of ``data`` (``StreamClosedError`` if the stream closes
        first)."""
        delimiter = bytes(delimiter)
        return self._read('read_until', callback, lambda op: self._read_until(op, delimiter))

    def read_bytes(self, num_bytes, callback=None, streaming_callback=None):
        """Reads ``num_bytes`` bytes: calls ``callback(data)``, or without
        ``callback`` returns an asyncio future of ``data``
        (``StreamClosedError`` if the stream closes first). With
        ``streaming_callback``, that gets the data as it comes and the
        result is ``b''``."""
        if streaming_callback is None:
            return self._read('read_bytes', callback,
                              lambda op: self._read_bytes(op, num_bytes, False))
        left = [num_bytes]

        def start(op):
            final = op.done

            def on_piece(data, error):
                if data is None:
                    final(None, error)
                    return
                left[0] -= len(data)
                if left[0] > 0:
                    self._resume(op)
                streaming_callback(data)
                if left[0] <= 0:
                    final(b'', None)
                elif op.live:
                    self._read_bytes(op, left[0], True)
            op.done = on_piece
            self._read_bytes(op, left[0], True)
        return self._read('read_bytes', callback, start)

    def read_until_close(self, callback=None, streaming_callback=None):
        """Reads everything up to the close: calls ``callback(data)``, or
        without ``callback`` returns an asyncio future of ``data``. With
        ``streaming_callback``, that gets the pieces as they come and the
        result is ``b''``."""
        if streaming_callback is None:
            return self._read('read_until_close', callback, self._read_until_close)

        def start(op):
            def on_chunk(stream, data, error):
                if data is not None:
                    streaming_callback(data.get_data())
                else:
                    self._finish(op, b'' if error is None else None, error)

            def read_chunks():
                if op.live:
                    op.held = b''
                    streaming_callback(pushback)
                    if op.live:
                        self._stream.read_chunks(on_chunk)
            pushback = self._take_pushback(op)
            if pushback:
                # Given before what Io.Stream has, never from inside this call.
                self.io_loop.add_callback(read_chunks)
            else:
                self._stream.read_chunks(on_chunk)
        return self._read('read_until_close', callback, start)

    # -- writing --

    def write(self, data, callback=None):
        """Writes ``data``; ``callback()`` runs once everything written so
        far has been written. Without ``callback``, in a coroutine, returns
        an asyncio future that is done then (``StreamClosedError`` if the
        stream closes first), which need not be awaited; elsewhere, returns
        ``None``, as in Tornado 2."""
        self._check_open()
        future = None
        if callback is None and _running_loop() is not None:
            future = _new_future('write')
            # A write that nobody awaits must not log its failure: the close
            # callback and the reads report it.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            self._stream.write(GLib.Bytes.new(bytes(data)))
        except GLib.Error as e:
            raise self._closed_error(e) from None
        if callback is not None:
            self._writes += 1

            def on_flushed(stream, error):
                self._writes -= 1
                if error is None:
                    callback()
            self._stream.flush(on_flushed)
            return None
        if future is None:
            return None

        def on_future_flushed(stream, error):
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(self._closed_error(error))
        self._stream.flush(on_future_flushed)
        return future

    # -- closing and state --

    def set_close_callback(self, callback):
        """``callback()`` runs once when the stream closes."""
        self._close_callback = callback

    def close(self):
        """Closes the stream (the close callback runs soon)."""
        if self._stream is not None:
            self._stream.close()
        elif not self._closed:
            self._closed = True
            self.socket.close()

    def reading(self):
        """True while a read is pending."""
        return self._reading

    def writing(self):
        """True while written data waits to go out."""
        return self._stream is not None and self._stream.get_write_buffer_size() > 0

    def closed(self):
        """True once the stream is closed."""
        return self._closed or (self._stream is not None and self._stream.is_closed())

