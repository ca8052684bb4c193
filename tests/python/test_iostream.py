# test_iostream.py: ioloop.IOStream, Tornado 2's IOStream on Io.Stream
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import socket

import pytest

import ioloop
from gi.repository import Io

from conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def io_loop(request):
    loop = Io.Loop.new_with_backend(request.param)
    yield loop
    loop.close(False)


def echo_server(io_loop):
    """A Tornado-2-style echo server: IOStreams made of accepted sockets."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)
    listener.setblocking(False)

    def on_line(stream, data):
        stream.write(data)
        stream.read_until(b'\n', lambda data: on_line(stream, data))

    def on_accept(fd, events):
        conn, _ = listener.accept()
        stream = ioloop.IOStream(conn, io_loop=io_loop)
        stream.read_until(b'\n', lambda data: on_line(stream, data))

    io_loop.add_handler(listener.fileno(), on_accept, io_loop.READ)
    return listener


def test_connect_write_read_until_and_close_callback(io_loop):
    listener = echo_server(io_loop)
    events = []
    stream = ioloop.IOStream(socket.socket(), io_loop=io_loop)
    stream.set_close_callback(lambda: (events.append('closed'), io_loop.stop()))

    def on_connect():
        events.append('connected')
        stream.write(b'hello\nworld\n', lambda: events.append('written'))
        stream.read_until(b'\n', on_first)

    def on_first(data):
        events.append(data)
        stream.read_bytes(6, on_second)

    def on_second(data):
        events.append(data)
        stream.close()

    stream.connect(('127.0.0.1', listener.getsockname()[1]), on_connect)
    io_loop.add_timeout(io_loop.time() + 10, io_loop.stop)
    io_loop.start()
    assert events == ['connected', 'written', b'hello\n', b'world\n', 'closed']
    assert stream.closed()
    assert stream.error is None
    io_loop.remove_handler(listener.fileno())
    listener.close()


def test_read_until_close_gets_everything(io_loop):
    a, b = socket.socketpair()
    stream = ioloop.IOStream(a, io_loop=io_loop)
    got = []
    stream.read_until_close(lambda data: (got.append(data), io_loop.stop()))
    assert stream.reading()
    b.sendall(b'all of it')
    b.close()
    io_loop.add_timeout(io_loop.time() + 10, io_loop.stop)
    io_loop.start()
    assert got == [b'all of it']


def test_refused_connect_runs_close_callback_with_error(io_loop):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    stream = ioloop.IOStream(socket.socket(), io_loop=io_loop)
    closed = []
    stream.set_close_callback(lambda: (closed.append(stream.error), io_loop.stop()))
    stream.connect(('127.0.0.1', port), lambda: closed.append('connected?'))
    io_loop.add_timeout(io_loop.time() + 10, io_loop.stop)
    io_loop.start()
    assert len(closed) == 1
    assert isinstance(closed[0], IOError)
    with pytest.raises(IOError):
        stream.write(b'late')
