# test_iostream.py: ioloop.IOStream, Tornado 2's IOStream on Io.Stream
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import socket
import struct

import pytest

import ioloop
from gi.repository import Io

from conftest import BACKENDS, socket_error_is_kept


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


# ---- the awaitable forms ----------------------------------------------------

import asyncio  # noqa: E402


def run(io_loop, coro_func, timeout=10):
    """Runs ``coro_func()`` on an ioloop.EventLoop over ``io_loop``."""
    loop = ioloop.EventLoop(io_loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro_func(), timeout))
    finally:
        loop.close()


def test_await_each_read_form_and_write(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        assert stream.io_loop is io_loop     # the running EventLoop's
        b.sendall(b'line\nabcdefgh')
        assert await stream.read_until(b'\n') == b'line\n'
        assert await stream.read_bytes(3) == b'abc'
        assert await stream.write(b'pong') is None
        assert b.recv(4) == b'pong'
        b.sendall(b'ij')
        b.close()
        assert await stream.read_until_close() == b'defghij'
        return stream

    stream = run(io_loop, main)
    assert stream.closed()


def test_await_streaming_reads(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        pieces = []
        b.sendall(b'0123456789')
        assert await stream.read_bytes(10, streaming_callback=pieces.append) == b''
        assert b''.join(pieces) == b'0123456789'
        pieces.clear()
        b.sendall(b'the rest')
        b.close()
        assert await stream.read_until_close(streaming_callback=pieces.append) == b''
        assert b''.join(pieces) == b'the rest'

    run(io_loop, main)


def test_await_connect_gives_the_stream(io_loop):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)

    async def main():
        stream = ioloop.IOStream(socket.socket())
        assert await stream.connect(listener.getsockname()) is stream
        conn, _ = listener.accept()
        conn.sendall(b'hi\n')
        assert await stream.read_until(b'\n') == b'hi\n'
        await stream.write(b'yo')
        assert conn.recv(2) == b'yo'
        conn.close()
        stream.close()

    run(io_loop, main)
    listener.close()


def unused_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_await_refused_connect_raises_connection_refused(io_loop):
    expected = (ConnectionRefusedError if socket_error_is_kept(io_loop.get_backend())
                else OSError)

    async def main():
        stream = ioloop.IOStream(socket.socket())
        closed = []
        stream.set_close_callback(lambda: closed.append(True))
        with pytest.raises(expected) as info:
            await stream.connect(('127.0.0.1', unused_port()))
        assert stream.error is info.value
        assert closed == [True]
        with pytest.raises(ioloop.StreamClosedError):
            await stream.read_until(b'\n')

    run(io_loop, main)


def test_stream_closed_error_is_an_ioerror_with_real_error():
    assert issubclass(ioloop.StreamClosedError, IOError)
    error = ioloop.StreamClosedError(real_error=ValueError('x'))
    assert isinstance(error.real_error, ValueError)
    assert ioloop.StreamClosedError().real_error is None


def test_end_of_input_before_the_delimiter_raises_stream_closed_error(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        b.sendall(b'no newline')
        b.close()
        with pytest.raises(ioloop.StreamClosedError) as info:
            await stream.read_until(b'\n')
        assert info.value.real_error is None
        # What came stays readable.
        assert await stream.read_bytes(2) == b'no'
        with pytest.raises(ioloop.StreamClosedError):
            await stream.read_bytes(100)

    run(io_loop, main)


def test_close_while_awaiting_raises_stream_closed_error(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        read = asyncio.ensure_future(stream.read_until(b'\n'))
        await asyncio.sleep(0)
        stream.close()
        with pytest.raises(ioloop.StreamClosedError):
            await read
        with pytest.raises(ioloop.StreamClosedError):
            await stream.read_bytes(1)
        with pytest.raises(ioloop.StreamClosedError):
            stream.write(b'late')

    run(io_loop, main)
    b.close()


def tcp_pair():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    return a, b


def test_a_reset_peer_is_the_real_error(io_loop):
    a, b = tcp_pair()
    # Closing with a zero linger time sends a reset.
    b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))

    async def main():
        stream = ioloop.IOStream(a)
        read = asyncio.ensure_future(stream.read_until(b'\n'))
        await asyncio.sleep(0)
        b.close()
        with pytest.raises(ioloop.StreamClosedError) as info:
            await read
        if socket_error_is_kept(io_loop.get_backend()):
            assert isinstance(info.value.real_error, ConnectionResetError), info.value.real_error
        assert stream.error is info.value.real_error

    run(io_loop, main)


def test_reading_past_max_buffer_size_raises_stream_closed_error(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a, max_buffer_size=1024)
        with pytest.raises(ioloop.StreamClosedError) as info:
            await stream.read_bytes(4096)
        assert isinstance(info.value.real_error, OSError)
        assert stream.closed()

    run(io_loop, main)
    b.close()


def test_cancelled_read_does_not_lose_the_next_read(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        read = asyncio.ensure_future(stream.read_until(b'\n'))
        await asyncio.sleep(0)
        assert stream.reading()
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read
        assert not stream.reading()
        b.sendall(b'first\nsecond\n')
        assert await stream.read_until(b'\n') == b'first\n'
        assert await stream.read_until(b'\n') == b'second\n'

    run(io_loop, main)
    b.close()


async def cancelled_after_its_result(awaitable):
    """A task awaiting ``awaitable`` that is cancelled after the result
    came but before the task ran again (wait_for() timing out then, say)."""
    async def reader():
        return await awaitable
    task = asyncio.ensure_future(reader())
    # Runs before the task's wake-up: the future's callbacks run in order.
    awaitable.add_done_callback(lambda f: task.cancel())
    await asyncio.sleep(0)      # the task now waits for the result
    assert not awaitable.done()
    return task


def test_task_cancelled_after_the_result_came_gives_the_data_back(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        task = await cancelled_after_its_result(stream.read_until(b'\n'))
        b.sendall(b'first\nsecond\n')
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await stream.read_until(b'\n') == b'first\n'
        assert await stream.read_until(b'\n') == b'second\n'
        # A callback read after a given-back one gets the data too.
        task = await cancelled_after_its_result(stream.read_bytes(4))
        b.sendall(b'abcdefgh')
        with pytest.raises(asyncio.CancelledError):
            await task
        got = asyncio.get_running_loop().create_future()
        stream.read_bytes(6, got.set_result)
        assert await got == b'abcdef'
        assert await stream.read_bytes(2) == b'gh'

    run(io_loop, main)
    b.close()


def test_given_back_data_and_a_straddling_delimiter(io_loop):
    a, b = socket.socketpair()

    async def main():
        stream = ioloop.IOStream(a)
        task = await cancelled_after_its_result(stream.read_bytes(3))
        b.sendall(b'ab\r')
        with pytest.raises(asyncio.CancelledError):
            await task
        # b'ab\r' is given back; the rest of the delimiter comes later.
        read = asyncio.ensure_future(stream.read_until(b'\r\n'))
        await asyncio.sleep(0.01)
        assert not read.done()
        b.sendall(b'\ncd\r\n')
        assert await read == b'ab\r\n'
        assert await stream.read_until(b'\r\n') == b'cd\r\n'
        task = await cancelled_after_its_result(stream.read_bytes(2))
        b.sendall(b'xyz')
        with pytest.raises(asyncio.CancelledError):
            await task
        task = await cancelled_after_its_result(stream.read_until_close())
        b.close()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await stream.read_until_close() == b'xyz'

    run(io_loop, main)


def test_reads_without_callback_outside_asyncio_raise_runtime_error(io_loop):
    a, b = socket.socketpair()
    stream = ioloop.IOStream(a, io_loop=io_loop)
    with pytest.raises(RuntimeError):
        stream.read_until(b'\n')
    assert not stream.reading()
    # As in Tornado 2, a write needs no callback.
    assert stream.write(b'x') is None
    stream.close()
    b.close()
