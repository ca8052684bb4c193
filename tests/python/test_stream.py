# test_stream.py: Io.Stream and Io.Listener through GObject Introspection,
# as they are, with Python callbacks
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import socket
import time

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib, Io  # noqa: E402

import pytest  # noqa: E402

from conftest import BACKENDS  # noqa: E402


@pytest.fixture(params=BACKENDS)
def loop(request):
    loop = Io.Loop.new_with_backend(request.param)
    yield loop
    loop.close(False)


def run_until(loop, predicate, seconds=20):
    # Non-blocking iterations: a blocking one runs the queued callbacks and
    # then waits for the next event, which may never come.
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, 'condition not reached'
        if not loop.iteration(False):
            time.sleep(0.001)


def stream_pair(loop):
    a, b = socket.socketpair()
    stream = Io.Stream.new(loop, a.detach())
    return stream, b


def test_read_until_then_read_bytes_from_the_buffer(loop):
    stream, peer = stream_pair(loop)
    got = []
    stream.read_until(b'\r\n', 0, lambda s, data, error: got.append((data.get_data(), error)))
    peer.sendall(b'hello\r\nworld')
    run_until(loop, lambda: got)
    assert got == [(b'hello\r\n', None)]
    stream.read_bytes(5, False, lambda s, data, error: got.append((data.get_data(), error)))
    assert len(got) == 1        # never from inside the call
    run_until(loop, lambda: len(got) == 2)
    assert got[1] == (b'world', None)
    stream.close()
    peer.close()


def test_write_reaches_the_peer_and_flush_reports(loop):
    stream, peer = stream_pair(loop)
    flushed = []
    assert stream.write(GLib.Bytes.new(b'ping'))
    stream.flush(lambda s, error: flushed.append(error))
    run_until(loop, lambda: flushed)
    assert flushed == [None]
    assert peer.recv(10) == b'ping'
    assert stream.get_write_buffer_size() == 0
    stream.close()
    peer.close()


def test_read_chunks_until_end_and_close_callback(loop):
    stream, peer = stream_pair(loop)
    chunks, closed = [], []
    stream.set_close_callback(lambda s, error: closed.append(error))
    stream.read_chunks(lambda s, data, error: chunks.append(data.get_data() if data else None))
    peer.sendall(b'one,')
    run_until(loop, lambda: chunks)
    peer.sendall(b'two')
    peer.close()
    run_until(loop, lambda: closed)
    assert b''.join(c for c in chunks if c) == b'one,two'
    assert chunks[-1] is None
    assert closed == [None]
    assert stream.is_closed()


def test_errors_are_gio_errors(loop):
    stream, peer = stream_pair(loop)
    stream.close()
    with pytest.raises(GLib.Error) as info:
        stream.write(GLib.Bytes.new(b'late'))
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED)
    got = []
    stream.read_until(b'\n', 0, lambda s, data, error: got.append(error))
    run_until(loop, lambda: got)
    assert got[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED)
    peer.close()


def test_write_buffer_full_notifies(loop):
    stream, peer = stream_pair(loop)
    changes = []
    stream.set_write_buffer_limits(1000, 100)
    stream.connect('notify::write-buffer-full', lambda s, pspec: changes.append(s.props.write_buffer_full))
    stream.write(GLib.Bytes.new(b'x' * (4 << 20)))
    assert changes == [True]
    peer.setblocking(False)

    def drain():
        try:
            while peer.recv(1 << 16):
                pass
        except BlockingIOError:
            pass
        return len(changes) == 2
    run_until(loop, drain)
    assert changes == [True, False]
    stream.close()
    peer.close()


def exchange_a_line(loop, accepted, connected, line):
    # Once a connect has reached its listener: the client sends a line.
    run_until(loop, lambda: connected and accepted)
    client, error = connected[0]
    assert error is None
    got = []
    accepted[0].read_until(b'\n', 0, lambda s, data, error: got.append(data.get_data()))
    client.write(GLib.Bytes.new(line))
    run_until(loop, lambda: got)
    assert got == [line]
    client.close()
    accepted[0].close()


def test_listener_and_connect_tcp_exchange_a_line(loop):
    accepted, connected = [], []
    listener = Io.Listener.new_tcp(loop, '127.0.0.1', 0, 0, Io.ListenerFlags.NONE,
                                   lambda l, stream, error: accepted.append(stream))
    Io.Stream.connect_tcp(loop, 'localhost', listener.get_port(),
                          lambda stream, error: connected.append((stream, error)))
    exchange_a_line(loop, accepted, connected, b'over tcp\n')
    listener.close()


def closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_connect_to_closed_port_fails(loop):
    connected = []
    Io.Stream.connect_tcp(loop, '127.0.0.1', closed_port(), lambda stream, error: connected.append((stream, error)))
    run_until(loop, lambda: connected)
    stream, error = connected[0]
    assert stream is None
    assert error.domain == 'g-io-error-quark'


def test_unix_listener_and_connect_unix_exchange_a_line(loop, tmp_path):
    path = str(tmp_path / 'echo.sock')
    accepted, connected = [], []
    listener = Io.Listener.new_unix(loop, path, 0, lambda l, stream, error: accepted.append(stream))
    Io.Stream.connect_unix(loop, path, lambda stream, error: connected.append((stream, error)))
    exchange_a_line(loop, accepted, connected, b'over unix\n')
    listener.close()
    assert not (tmp_path / 'echo.sock').exists()


def test_unix_listener_path_too_long_raises(loop):
    with pytest.raises(GLib.Error) as info:
        Io.Listener.new_unix(loop, 'x' * 200, 0, lambda l, stream, error: None)
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT)


def test_connect_unix_full_to_missing_path_fails(loop, tmp_path):
    results = []
    Io.Stream.connect_unix_full(loop, str(tmp_path / 'missing.sock'), 5.0,
                                lambda stream, error: results.append((stream, error)))
    run_until(loop, lambda: results)
    stream, error = results[0]
    assert stream is None
    assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)


def test_connect_tcp_full_to_closed_port_fails(loop):
    results = []
    Io.Stream.connect_tcp_full(loop, '127.0.0.1', closed_port(), 5.0,
                               lambda stream, error: results.append((stream, error)))
    run_until(loop, lambda: results)
    stream, error = results[0]
    assert stream is None
    assert error.domain == 'g-io-error-quark'


def test_connect_unix_full_times_out_on_a_full_queue(loop, tmp_path):
    path = str(tmp_path / 'full.sock')
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(0)
    queued = []
    while True:             # fill the queue: connect() then fails at once
        client = socket.socket(socket.AF_UNIX)
        client.setblocking(False)
        try:
            client.connect(path)
        except BlockingIOError:
            client.close()
            break
        queued.append(client)
    results = []
    Io.Stream.connect_unix_full(loop, path, 0.1,
                                lambda stream, error: results.append((stream, error)))
    run_until(loop, lambda: results)
    stream, error = results[0]
    assert stream is None
    assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    for client in queued:
        client.close()
    server.close()
