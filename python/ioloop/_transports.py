# _transports.py: ioloop.EventLoop's socket transport on IoStream
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The TCP and Unix-socket stream transport of ``ioloop.EventLoop``.

asyncio's ``_SelectorSocketTransport`` reads with a reader handle that
calls ``sock.recv()`` and then the protocol, and writes with
``sock.send()``, all in Python.  ``SocketTransport`` keeps its semantics
(it subclasses it, and runs its code wherever that code does not touch the
socket) over a C core, ``ioloop._speedups.SocketCore``: an ``IoStream`` on
the socket whose chunk reader calls ``protocol.data_received()`` (or
``get_buffer()``/``buffer_updated()``) straight from the ``Io.Loop``'s
handler, and whose ``write()`` is the transport's.  What is left here runs
when the state changes: closing, end of input, errors, flow control.

The stream owns the socket's file descriptor from the start; the socket
object (``get_extra_info('socket')``) is detached when the stream closes
it.
"""

import errno
import os
import socket
import warnings

from asyncio import base_events, exceptions, futures, protocols, selector_events, trsock
from asyncio import transports

__all__ = ['SocketTransport']


def _core_flag(name, doc):
    def get(self):
        return bool(getattr(self._core, name))

    def set(self, value):
        setattr(self._core, name, int(value))
    return property(get, set, doc=doc)


class SocketTransport(selector_events._SelectorSocketTransport):
    """asyncio's socket transport, reading and writing through an IoStream."""

    _core = None

    def __init__(self, loop, sock, protocol, waiter=None, extra=None, server=None,
                 *, _core_type):
        # The core first: _FlowControlMixin's __init__ sets its limits.
        self._core = _core_type(loop, loop._io_loop.__gpointer__, sock, self)
        # The bound C methods, found before the class's: write() and
        # is_closing() (which StreamWriter.drain() asks) run no Python code.
        self.write = self._core.write
        self.is_closing = self._core.is_closing
        transports._FlowControlMixin.__init__(self, extra, loop)
        self._extra['socket'] = trsock.TransportSocket(sock)
        try:
            self._extra['sockname'] = sock.getsockname()
        except OSError:
            self._extra['sockname'] = None
        if 'peername' not in self._extra:
            try:
                self._extra['peername'] = sock.getpeername()
            except OSError:
                self._extra['peername'] = None
        self._sock = sock
        self._sock_fd = sock.fileno()
        self._protocol_connected = False
        self.set_protocol(protocol)
        self._server = server
        self._paused = False
        self._empty_waiter = None
        if server is not None:
            server._attach()
        loop._transports[self._sock_fd] = self
        base_events._set_nodelay(sock)
        loop.call_soon(self._protocol.connection_made, self)
        # Reading starts once connection_made() has run.
        loop.call_soon(self._start_reading)
        if waiter is not None:
            loop.call_soon(futures._set_result_unless_cancelled, waiter, None)

    _closing = _core_flag('closing', "Set when close() is called.")
    _eof = _core_flag('eof', "Set when write_eof() is called.")

    @property
    def _conn_lost(self):
        """Set when connection_lost() is scheduled; counts later writes."""
        return self._core.conn_lost

    @_conn_lost.setter
    def _conn_lost(self, value):
        self._core.conn_lost = value

    def __repr__(self):
        info = [self.__class__.__name__]
        if self._sock is None:
            info.append('closed')
        elif self._closing:
            info.append('closing')
        info.append(f'fd={self._sock_fd}')
        if self._loop is not None and not self._loop.is_closed():
            info.append('read=polling' if self._core.is_reading() else 'read=idle')
            bufsize = self.get_write_buffer_size()
            state = 'polling' if bufsize else 'idle'
            info.append(f'write=<{state}, bufsize={bufsize}>')
        return '<{}>'.format(' '.join(info))

    def __del__(self, _warn=warnings.warn):
        if self._sock is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._sock = None
            if self._core is not None:
                self._core.close()

    def set_protocol(self, protocol):
        buffered = isinstance(protocol, protocols.BufferedProtocol)
        self._core.set_protocol(protocol, buffered)
        self._protocol = protocol
        self._protocol_connected = True

    def get_write_buffer_size(self):
        return self._core.get_write_buffer_size()

    def _set_write_buffer_limits(self, high=None, low=None):
        super()._set_write_buffer_limits(high, low)
        self._core.set_write_buffer_limits(self._high_water, self._low_water)

    # -- reading --------------------------------------------------------------

    def _start_reading(self):
        if not self._closing and not self._paused:
            self._core.start_reading()

    def pause_reading(self):
        if self._closing or self._paused:
            return
        self._paused = True
        self._core.stop_reading()

    def resume_reading(self):
        if self._closing or not self._paused:
            return
        self._paused = False
        self._core.start_reading()

    # _read_ready__on_eof() is asyncio's: the core calls it at the end of
    # the input, which leaves the stream open (eof_received() may keep it
    # for writing; the stream then leaves the loop until a write waits).

    # -- writing --------------------------------------------------------------

    def write_eof(self):
        if self._closing or self._eof:
            return
        self._eof = True
        self._core.shutdown_write()

    def can_write_eof(self):
        return True

    # -- closing --------------------------------------------------------------

    def close(self):
        if self._closing:
            return
        self._closing = True
        self._core.stop_reading()
        if not self._core.get_write_buffer_size():
            self._conn_lost += 1
            self._loop.call_soon(self._call_connection_lost, None)
        else:
            self._core.flush(self._flushed_to_close)

    def _flushed_to_close(self, exc):
        if self._conn_lost:
            return
        if exc is not None:
            self._fatal_error(exc, 'Fatal write error on socket transport')
            return
        self._conn_lost += 1
        self._call_connection_lost(None)

    def _stream_closed(self, exc):
        # The stream closed by itself: an I/O error.
        if self._conn_lost:
            return
        if exc is None:
            self._force_close(None)
        else:
            self._fatal_error(exc, 'Fatal error on socket transport')

    def _write_to_closed_stream(self):
        # The stream closed without the transport (its Io.Loop closed):
        # what send() on a closed connection raises.
        exc = BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
        self._fatal_error(exc, 'Fatal write error on socket transport')

    # -- sendfile -------------------------------------------------------------

    def _make_empty_waiter(self):
        if self._empty_waiter is not None:
            raise RuntimeError("Empty waiter is already set")
        waiter = self._empty_waiter = self._loop.create_future()
        self._core.sendfile_busy = 1
        self._flush_into(waiter)
        return waiter

    def _reset_empty_waiter(self):
        self._empty_waiter = None
        self._core.sendfile_busy = 0

    def _flush_into(self, fut):
        def flushed(exc):
            if not fut.done():
                if exc is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(exc)
        self._core.flush(flushed)

    async def _sendfile_native(self, file, offset, count):
        """os.sendfile() on the stream's socket, for loop.sendfile(): the
        write queue is empty and reading paused meanwhile.  When the socket
        takes no more, a block goes through the stream's queue, which says
        when it is written (the stream watches the fd: nothing else may)."""
        try:
            fileno = file.fileno()
            fsize = os.fstat(fileno).st_size
        except (AttributeError, OSError, ValueError):
            raise exceptions.SendfileNotAvailableError("not a regular file") from None
        if not (count if count else fsize):
            return 0
        total = 0
        try:
            while not count or total < count:
                blocksize = count - total if count else max(fsize - offset - total, 1 << 16)
                try:
                    sent = os.sendfile(self._sock_fd, fileno, offset + total, blocksize)
                except (BlockingIOError, InterruptedError):
                    block = os.pread(fileno, min(blocksize, 1 << 16), offset + total)
                    if not block:
                        break
                    self._core.sendfile_busy = 0
                    try:
                        self.write(block)
                    finally:
                        self._core.sendfile_busy = 1
                    waiter = self._loop.create_future()
                    self._flush_into(waiter)
                    await waiter
                    # Counted once written: the file's position tells what
                    # the peer may have got.
                    total += len(block)
                    continue
                except OSError as exc:
                    if total == 0:
                        raise exceptions.SendfileNotAvailableError(
                            "os.sendfile call failed") from exc
                    raise
                if sent == 0:
                    break
                total += sent
            return total
        finally:
            if total > 0:
                os.lseek(fileno, offset + total, os.SEEK_SET)

    def _force_close(self, exc):
        if self._conn_lost:
            return
        self._closing = True
        self._conn_lost += 1
        # Drops what is queued, as asyncio clears its buffer.
        self._core.close()
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc):
        try:
            if self._protocol_connected:
                self._protocol.connection_lost(exc)
        finally:
            self._core.release()
            if self._empty_waiter is not None and not self._empty_waiter.done():
                self._empty_waiter.set_exception(
                    ConnectionError("Connection is closed by peer"))
            self._sock = None
            self._protocol = None
            self._loop = None
            server = self._server
            if server is not None:
                server._detach()
                self._server = None


def native_stream_socket(sock):
    """Whether ``sock`` gets a SocketTransport: a TCP or Unix stream socket."""
    return (sock.type == socket.SOCK_STREAM
            and sock.family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX))
