# ioloop._iostream: Tornado 2's IOStream on Io.Stream
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``IOStream``: Tornado 2.x's ``IOStream`` interface over ``Io.Stream``,
the C stream, so that the buffering and the system calls are C's.

As in Tornado 2, a read's callback gets the data only: when the stream
closes or fails first, the callback is not called and the close callback
runs instead (``read_until_close()`` gets what was read). ``error`` is the
exception that closed the stream, if any.
"""

from gi.repository import GLib, Io

__all__ = ['IOStream']


def _exception(error):
    """An OSError-like exception for a GLib.Error of the stream."""
    return IOError(error.message)


class IOStream(object):
    """A non-blocking socket with Tornado 2's IOStream methods."""

    def __init__(self, socket_, io_loop=None, max_buffer_size=104857600,
                 read_chunk_size=4096):
        from ioloop import IOLoop
        self.socket = socket_
        self.socket.setblocking(False)
        self.io_loop = io_loop or IOLoop.instance()
        self.max_buffer_size = max_buffer_size
        self.read_chunk_size = read_chunk_size
        self.error = None
        self._stream = None
        self._close_callback = None
        self._reading = False
        self._writes = 0
        self._closed = False
        self._connect_callback = None
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
        self._stream = Io.Stream.new(self.io_loop, self.socket.detach())
        self._stream.set_max_buffer_size(self.max_buffer_size)
        self._stream.set_close_callback(self._on_close)

    def _on_close(self, stream, error):
        self._closed = True
        if error is not None:
            self.error = _exception(error)
        callback, self._close_callback = self._close_callback, None
        if callback is not None:
            callback()

    def connect(self, address, callback=None):
        """Connects to ``address`` (``(host, port)``, TCP) without blocking;
        ``callback()`` runs once it is connected. The name is resolved off
        the loop's thread and each address tried in turn, on a socket of
        Io.Stream's: the socket given to the constructor is closed."""
        self._connect_callback = callback
        self.socket.close()
        Io.Stream.connect_tcp(self.io_loop, address[0], int(address[1]), self._on_connect)

    def _on_connect(self, stream, error):
        if error is not None:
            self.error = _exception(error)
            self._closed = True
            callback, self._close_callback = self._close_callback, None
            if callback is not None:
                callback()
            return
        self._stream = stream
        self._stream.set_max_buffer_size(self.max_buffer_size)
        self._stream.set_close_callback(self._on_close)
        callback, self._connect_callback = self._connect_callback, None
        if callback is not None:
            callback()

    def _read_done(self, callback, streaming=False):
        def on_read(stream, data, error):
            if data is None:
                self._reading = False
                return          # closed or failed: the close callback says so
            if not streaming:
                self._reading = False
            callback(data.get_data())
        return on_read

    def _start_read(self):
        if self._stream is None:
            raise IOError("Stream is closed" if self._closed else "Stream is not connected")
        assert not self._reading, "Already reading"
        self._reading = True

    def read_until(self, delimiter, callback):
        """Calls ``callback(data)`` with the data up to and including
        ``delimiter``."""
        self._start_read()
        self._stream.read_until(delimiter, 0, self._read_done(callback))

    def read_bytes(self, num_bytes, callback, streaming_callback=None):
        """Calls ``callback(data)`` with ``num_bytes`` bytes; with
        ``streaming_callback``, that gets the data as it comes and
        ``callback`` gets ``b''``."""
        self._start_read()
        if streaming_callback is None:
            self._stream.read_bytes(num_bytes, False, self._read_done(callback))
            return
        left = [num_bytes]

        def on_piece(data):
            left[0] -= len(data)
            streaming_callback(data)
            if left[0] > 0:
                self._reading = True
                self._stream.read_bytes(left[0], True, self._read_done(on_piece))
            else:
                callback(b'')
        self._stream.read_bytes(num_bytes, True, self._read_done(on_piece))

    def read_until_close(self, callback, streaming_callback=None):
        """Calls ``callback(data)`` with everything up to the close (with
        ``streaming_callback``, that gets the pieces and ``callback``
        ``b''``)."""
        self._start_read()
        if streaming_callback is None:
            self._stream.read_until_close(self._read_done(callback))
            return

        def on_chunk(stream, data, error):
            if data is not None:
                streaming_callback(data.get_data())
                return
            self._reading = False
            if error is None:
                callback(b'')
        self._stream.read_chunks(on_chunk)

    def write(self, data, callback=None):
        """Writes ``data``; ``callback()`` runs once everything written so
        far has been written."""
        if self._stream is None:
            raise IOError("Stream is closed" if self._closed else "Stream is not connected")
        self._stream.write(GLib.Bytes.new(bytes(data)))
        if callback is not None:
            self._writes += 1

            def on_flushed(stream, error):
                self._writes -= 1
                if error is None:
                    callback()
            self._stream.flush(on_flushed)

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
