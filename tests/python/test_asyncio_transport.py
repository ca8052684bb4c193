# test_asyncio_transport.py: the native socket transport of ioloop.EventLoop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ioloop._transports.SocketTransport (over the IoStream of
# ioloop._speedups.SocketCore) must behave as asyncio's
# _SelectorSocketTransport: over TCP and Unix sockets, on every backend.
# test_asyncio_cpython.py runs CPython's own transport tests on it too.

import asyncio
import gc
import os
import socket
import struct
import tempfile
import warnings

import pytest

from gi.repository import Io

import ioloop
from ioloop import _events, _transports

from conftest import socket_error_is_kept

pytestmark = pytest.mark.skipif(_events._speedups is None,
                                reason='the native transport needs ioloop._speedups')

FAMILIES = ['tcp', 'unix']


@pytest.fixture
def loop(backend):
    loop = ioloop.EventLoop(Io.Loop(backend=backend))
    yield loop
    if not loop.is_closed():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    loop.io_loop.close(False)


@pytest.fixture(params=FAMILIES)
def family(request):
    return request.param


def run(loop, coro, timeout=20.0):
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


class Recorder(asyncio.Protocol):
    """Records every callback; ``lost`` is done at connection_lost()."""

    def __init__(self, loop, eof_result=None):
        self.loop = loop
        self.transport = None
        self.data = bytearray()
        self.events = []
        self.eof_result = eof_result
        self.lost = loop.create_future()
        self.got = asyncio.Event()

    def connection_made(self, transport):
        self.transport = transport
        self.events.append('made')

    def data_received(self, data):
        assert isinstance(data, bytes)
        self.data += data
        self.got.set()

    def eof_received(self):
        self.events.append('eof')
        return self.eof_result

    def pause_writing(self):
        self.events.append('pause')

    def resume_writing(self):
        self.events.append('resume')

    def connection_lost(self, exc):
        self.events.append(('lost', exc))
        if not self.lost.done():
            self.lost.set_result(exc)

    async def wait_for_bytes(self, n):
        while len(self.data) < n:
            self.got.clear()
            await self.got.wait()


async def serve(loop, family, factory, tmpdir, **kwargs):
    """A server of ``factory`` and the address to connect to."""
    if family == 'tcp':
        server = await loop.create_server(factory, '127.0.0.1', 0, **kwargs)
        return server, server.sockets[0].getsockname()
    path = os.path.join(tmpdir, 'sock')
    server = await loop.create_unix_server(factory, path, **kwargs)
    return server, path


async def connect(loop, family, factory, address, **kwargs):
    if family == 'tcp':
        return await loop.create_connection(factory, *address, **kwargs)
    return await loop.create_unix_connection(factory, address, **kwargs)


async def open_streams(family, address, **kwargs):
    if family == 'tcp':
        return await asyncio.open_connection(*address, **kwargs)
    return await asyncio.open_unix_connection(address, **kwargs)


@pytest.fixture
def tmpdir_path():
    with tempfile.TemporaryDirectory() as d:
        yield d


def server_pair(loop, family, tmpdir, server_factory, **kwargs):
    """Serve, connect one client stream pair; the server's protocol."""
    made = []

    def factory():
        proto = server_factory()
        made.append(proto)
        return proto

    async def main():
        server, address = await serve(loop, family, factory, tmpdir, **kwargs)
        reader, writer = await open_streams(family, address)
        while not made or made[0].transport is None:
            await asyncio.sleep(0)
        return server, reader, writer, made[0]
    return run(loop, main())


async def close_all(server, writer):
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass
    server.close()
    await server.wait_closed()


# ---- what gets the native transport ------------------------------------------

def test_tcp_and_unix_streams_get_the_native_transport(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    assert type(proto.transport) is _transports.SocketTransport
    assert type(writer.transport) is _transports.SocketTransport
    assert isinstance(proto.transport, asyncio.Transport)
    run(loop, close_all(server, writer))


def test_debug_mode_and_datagrams_get_asyncios_transport(loop, tmpdir_path):
    async def main():
        server, address = await serve(loop, 'tcp', lambda: Recorder(loop), tmpdir_path)
        loop.set_debug(True)
        try:
            tr, _ = await connect(loop, 'tcp', lambda: Recorder(loop), address)
        finally:
            loop.set_debug(False)
        assert type(tr) is not _transports.SocketTransport
        tr.close()
        dtr, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                     local_addr=('127.0.0.1', 0))
        assert type(dtr) is not _transports.SocketTransport
        dtr.close()
        server.close()
        await server.wait_closed()
    run(loop, main())


def test_pure_python_loop_keeps_asyncios_transport(backend, tmpdir_path):
    loop = _events._PyEventLoop(Io.Loop(backend=backend))
    try:
        async def main():
            server, address = await serve(loop, 'tcp', lambda: Recorder(loop), tmpdir_path)
            tr, _ = await connect(loop, 'tcp', lambda: Recorder(loop), address)
            assert type(tr) is not _transports.SocketTransport
            tr.close()
            server.close()
            await server.wait_closed()
        run(loop, main())
    finally:
        loop.close()


# ---- data ------------------------------------------------------------------

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


def test_echo_with_streams(loop, family, tmpdir_path):
    async def main():
        server, address = await serve(loop, family, Echo, tmpdir_path)
        reader, writer = await open_streams(family, address)
        for i in range(50):
            msg = b'message %d\n' % i
            writer.write(msg)
            assert await reader.readline() == msg
        writer.writelines([b'a', bytearray(b'b'), memoryview(b'c\n')])
        assert await reader.readline() == b'abc\n'
        await close_all(server, writer)
    run(loop, main())


def test_extra_info_and_fd_in_use_checks(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    tr = proto.transport
    sock = tr.get_extra_info('socket')
    assert isinstance(sock, asyncio.trsock.TransportSocket)
    assert sock.fileno() == tr._sock_fd
    assert tr.get_extra_info('sockname') == sock.getsockname()
    assert tr.get_extra_info('peername') == sock.getpeername()
    assert tr.get_protocol() is proto
    assert loop._transports[tr._sock_fd] is tr
    with pytest.raises(RuntimeError, match='is used by transport'):
        loop.add_reader(tr._sock_fd, lambda: None)
    with pytest.raises(TypeError, match='bytes-like'):
        tr.write('text')
    assert 'SocketTransport' in repr(tr)
    tr.close()
    assert tr.is_closing()
    run(loop, proto.lost)
    assert sock.fileno() == -1          # the stream closed it
    run(loop, close_all(server, writer))


def test_large_write_pauses_and_resumes_the_protocol(loop, family, tmpdir_path):
    size = 8 * 1024 * 1024
    payload = bytes(range(256)) * (size // 256)
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    tr = proto.transport
    tr.set_write_buffer_limits(high=64 * 1024, low=16 * 1024)
    assert tr.get_write_buffer_limits() == (16 * 1024, 64 * 1024)
    tr.write(payload)
    # Crossing the high mark pauses the protocol at once, as in asyncio.
    assert proto.events[-1] == 'pause'
    assert tr.get_write_buffer_size() > 64 * 1024

    async def main():
        got = await reader.readexactly(size)
        while proto.events[-1] != 'resume':
            await asyncio.sleep(0.01)
        return got
    assert run(loop, main()) == payload
    assert proto.events.count('pause') == 1
    assert proto.events.count('resume') == 1
    assert tr.get_write_buffer_size() == 0
    tr.close()
    run(loop, proto.lost)
    run(loop, close_all(server, writer))


def test_close_flushes_queued_data_then_loses_connection(loop, family, tmpdir_path):
    size = 4 * 1024 * 1024
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    proto.transport.write(b'x' * size)
    proto.transport.close()
    assert not proto.lost.done()

    async def main():
        data = await reader.read()          # to the end
        await proto.lost
        return data
    assert len(run(loop, main())) == size
    assert proto.events.count(('lost', None)) == 1
    run(loop, close_all(server, writer))


def test_pause_reading_keeps_data_in_order(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    tr = proto.transport

    async def main():
        await asyncio.sleep(0.01)
        tr.pause_reading()
        assert not tr.is_reading()
        sent = bytearray()
        for i in range(20):
            piece = bytes([i]) * 5000
            writer.write(piece)
            sent += piece
            await writer.drain()
            await asyncio.sleep(0.005)
            if i == 10:
                tr.resume_reading()
                assert tr.is_reading()
                await proto.wait_for_bytes(len(sent))
                tr.pause_reading()
                seen = len(proto.data)
        await asyncio.sleep(0.1)
        assert len(proto.data) == seen          # nothing while paused
        tr.resume_reading()
        await proto.wait_for_bytes(len(sent))
        assert bytes(proto.data) == bytes(sent)
    run(loop, main())
    proto.transport.close()
    run(loop, close_all(server, writer))


# ---- ends --------------------------------------------------------------------

def test_write_eof_half_closes_and_eof_received_true_keeps_writing(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop, eof_result=True))
    tr = proto.transport
    assert tr.can_write_eof()

    async def main():
        writer.write(b'request')
        writer.write_eof()
        while 'eof' not in proto.events:
            await asyncio.sleep(0.01)
        assert bytes(proto.data) == b'request'
        assert not tr.is_closing()
        # Kept open: the answer goes out after the end of the input.
        tr.write(b'answer')
        tr.write_eof()
        with pytest.raises(RuntimeError, match='write_eof'):
            tr.write(b'more')
        assert await reader.read() == b'answer'
        await asyncio.sleep(0.05)
        assert not proto.lost.done()        # until the owner closes
        tr.close()
        assert await proto.lost is None
    run(loop, main())
    assert proto.events.count(('lost', None)) == 1
    run(loop, close_all(server, writer))


def test_kept_open_transport_finds_a_gone_peer_at_the_next_write(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop, eof_result=True))

    async def main():
        writer.transport.abort()            # the peer goes away altogether
        while 'eof' not in proto.events:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert not proto.lost.done()
        # Written into a connection the peer closed: the first write may
        # still be taken, a later one fails.
        for _ in range(100):
            if proto.lost.done():
                break
            proto.transport.write(b'late')
            await asyncio.sleep(0.01)
        return await proto.lost
    exc = run(loop, main())
    assert isinstance(exc, (BrokenPipeError, ConnectionResetError))
    assert len([e for e in proto.events if isinstance(e, tuple)]) == 1
    server.close()
    run(loop, server.wait_closed())


def test_eof_received_false_closes(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop, eof_result=False))

    async def main():
        writer.write_eof()
        assert await proto.lost is None
        assert proto.transport.is_closing()
        assert await reader.read() == b''
    run(loop, main())
    assert proto.events == ['made', 'eof', ('lost', None)]
    run(loop, close_all(server, writer))


def test_abort_drops_queued_data_and_loses_connection_once(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    tr = proto.transport
    tr.write(b'y' * (8 * 1024 * 1024))
    assert tr.get_write_buffer_size() > 0
    tr.abort()
    assert tr.is_closing()
    tr.write(b'ignored')                    # counted, not written
    assert run(loop, proto.lost) is None
    run(loop, asyncio.sleep(0.05))
    assert [e for e in proto.events if isinstance(e, tuple)] == [('lost', None)]
    run(loop, close_all(server, writer))


def test_peer_reset_gives_one_connection_lost_with_the_error(loop, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, 'tcp', tmpdir_path, lambda: Recorder(loop))

    async def main():
        sock = writer.get_extra_info('socket')
        writer.write(b'hello')
        await proto.wait_for_bytes(5)
        # SO_LINGER 0: close() sends a reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        writer.transport.abort()
        exc = await proto.lost
        await asyncio.sleep(0.05)
        return exc
    exc = run(loop, main())
    if socket_error_is_kept(loop.io_loop.get_backend()):
        assert isinstance(exc, ConnectionResetError)
    assert len([e for e in proto.events if isinstance(e, tuple)]) == 1
    server.close()
    run(loop, server.wait_closed())


# ---- protocols -----------------------------------------------------------------

class Buffered(asyncio.BufferedProtocol):
    """A BufferedProtocol with a small buffer: many per chunk read."""

    def __init__(self, loop, size=100):
        self.transport = None
        self.buf = bytearray(size)
        self.data = bytearray()
        self.calls = 0
        self.lost = loop.create_future()

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, sizehint):
        return self.buf

    def buffer_updated(self, nbytes):
        self.calls += 1
        self.data += self.buf[:nbytes]

    def eof_received(self):
        return False

    def connection_lost(self, exc):
        self.lost.set_result(exc)


def test_buffered_protocol_gets_everything(loop, family, tmpdir_path):
    payload = os.urandom(300 * 1024)
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Buffered(loop))

    async def main():
        writer.write(payload)
        writer.write_eof()
        assert await proto.lost is None
    run(loop, main())
    assert bytes(proto.data) == payload
    assert proto.calls >= len(payload) // 100
    run(loop, close_all(server, writer))


def test_buffered_protocol_pausing_mid_chunk_gets_the_rest_after_resume(loop, family,
                                                                      tmpdir_path):
    payload = os.urandom(60 * 1024)

    class Pausing(Buffered):
        paused_calls = 0

        def buffer_updated(self, nbytes):
            assert not self.paused, 'data while paused'
            super().buffer_updated(nbytes)
            if self.calls % 50 == 0:
                self.paused = True
                self.transport.pause_reading()
                loop.call_later(0.01, self.resume)

        def resume(self):
            self.paused = False
            self.transport.resume_reading()

    def factory():
        proto = Pausing(loop, size=100)
        proto.paused = False
        return proto
    server, reader, writer, proto = server_pair(loop, family, tmpdir_path, factory)

    async def main():
        writer.write(payload)       # one write: the server reads big chunks
        writer.write_eof()
        assert await proto.lost is None
    run(loop, main())
    assert bytes(proto.data) == payload
    run(loop, close_all(server, writer))


def test_exception_in_data_received_is_a_fatal_error(loop, family, tmpdir_path):
    contexts = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))
    error = ValueError('protocol bug')

    class Failing(Recorder):
        def data_received(self, data):
            raise error

    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Failing(loop))

    async def main():
        writer.write(b'boom')
        return await proto.lost
    assert run(loop, main()) is error
    assert len(contexts) == 1
    assert contexts[0]['message'] == 'Fatal error: protocol.data_received() call failed.'
    assert contexts[0]['exception'] is error
    assert contexts[0]['transport'] is proto.transport
    assert contexts[0]['protocol'] is proto
    assert run(loop, reader.read()) == b''
    run(loop, close_all(server, writer))


def test_unclosed_transport_warns(loop, family, tmpdir_path):
    server, reader, writer, proto = server_pair(
        loop, family, tmpdir_path, lambda: Recorder(loop))
    tr = proto.transport
    tr.pause_reading()                  # nothing else holds it
    proto.transport = None
    del tr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        gc.collect()
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) and 'unclosed transport' in str(w.message)
               for w in caught)
    assert run(loop, reader.read()) == b''      # and it closed the socket
    run(loop, close_all(server, writer))


# ---- SSL ---------------------------------------------------------------------

def ssl_contexts(tmpdir):
    from test.test_asyncio import utils as test_utils
    return test_utils.simple_server_sslcontext(), test_utils.simple_client_sslcontext()


def test_ssl_runs_over_the_native_transport(loop, family, tmpdir_path):
    server_ctx, client_ctx = ssl_contexts(tmpdir_path)

    async def main():
        server, address = await serve(loop, family, Echo, tmpdir_path, ssl=server_ctx)
        kwargs = dict(ssl=client_ctx, server_hostname='localhost')
        reader, writer = await open_streams(family, address, **kwargs)
        raw = writer.transport._ssl_protocol._transport
        assert type(raw) is _transports.SocketTransport
        payload = os.urandom(1024 * 1024)
        writer.write(payload)
        assert await reader.readexactly(len(payload)) == payload
        await close_all(server, writer)
    run(loop, main())


def test_start_tls_upgrades_a_native_transport(loop, tmpdir_path):
    server_ctx, client_ctx = ssl_contexts(tmpdir_path)

    async def handle(reader, writer):
        assert await reader.readline() == b'STARTTLS\n'
        writer.write(b'OK\n')
        await writer.drain()
        await writer.start_tls(server_ctx)
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, '127.0.0.1', 0)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        assert type(writer.transport) is _transports.SocketTransport
        writer.write(b'STARTTLS\n')
        assert await reader.readline() == b'OK\n'
        await writer.start_tls(client_ctx, server_hostname='localhost')
        assert writer.get_extra_info('ssl_object') is not None
        writer.write(b'secret\n')
        assert await reader.readline() == b'SECRET\n'
        await close_all(server, writer)
    run(loop, main())


def test_connect_accepted_socket_gets_the_native_transport(loop):
    a, b = socket.socketpair()

    async def main():
        tr, proto = await loop.connect_accepted_socket(lambda: Recorder(loop), a)
        assert type(tr) is _transports.SocketTransport
        b.sendall(b'ping')
        await proto.wait_for_bytes(4)
        tr.write(b'pong')
        b.setblocking(False)
        got = await loop.sock_recv(b, 4)
        assert got == b'pong'
        tr.close()
        await proto.lost
    try:
        run(loop, main())
    finally:
        b.close()

