# test_asyncio_glib.py: asyncio and GLib in one loop, both ways
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# io_loop.add_main_context(None): run_forever() also dispatches GLib's
# default main context, so coroutines await Gio async operations.
# io_loop.attach(None): GLib drives the Io.Loop (GLib.MainLoop().run()), and
# asyncio tasks progress in it.

import asyncio
import socket

import pytest

from gi.repository import Gio, GLib, Io

import ioloop


@pytest.fixture
def io_loop(backend):
    io_loop = Io.Loop(backend=backend)
    yield io_loop
    if not io_loop.is_closed():
        io_loop.close(False)


def gio_call(start, *args):
    """Await a Gio ``*_async``/``*_finish`` pair: ``start(*args,
    cancellable, callback)`` whose callback gets the result object."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def done(source, result):
        if not fut.cancelled():
            fut.set_result((source, result))
    start(*args, None, done)
    return fut


def test_coroutine_awaits_gio_operations_under_run_forever(io_loop, tmp_path):
    io_loop.add_main_context(None)
    loop = ioloop.EventLoop(io_loop)
    path = tmp_path / 'data.txt'
    path.write_bytes(b'read through GIO')

    async def main():
        gfile = Gio.File.new_for_path(str(path))
        source, result = await gio_call(gfile.load_contents_async)
        ok, contents, etag = source.load_contents_finish(result)
        # GLib's own timeouts and idles run too.
        fut = loop.create_future()
        GLib.timeout_add(10, lambda: fut.set_result('glib timeout') or False)
        return contents, await asyncio.wait_for(fut, 10)
    try:
        result = loop.run_until_complete(asyncio.wait_for(main(), 10))
    finally:
        loop.close()
        io_loop.remove_main_context(None)
    assert result == (b'read through GIO', 'glib timeout')


def test_coroutine_awaits_gio_socket_client(io_loop):
    io_loop.add_main_context(None)
    loop = ioloop.EventLoop(io_loop)

    async def handle(reader, writer):
        writer.write(b'from asyncio\n')
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        client = Gio.SocketClient()
        source, result = await gio_call(client.connect_to_host_async, '127.0.0.1', port)
        conn = source.connect_to_host_finish(result)
        stream = conn.get_input_stream()
        source, result = await gio_call(stream.read_bytes_async, 100, GLib.PRIORITY_DEFAULT)
        data = source.read_bytes_finish(result).get_data()
        conn.close(None)
        server.close()
        await server.wait_closed()
        return data
    try:
        assert loop.run_until_complete(asyncio.wait_for(main(), 10)) == b'from asyncio\n'
    finally:
        loop.close()
        io_loop.remove_main_context(None)


def test_glib_main_loop_drives_asyncio_tasks(io_loop):
    io_loop.attach(None)
    loop = ioloop.EventLoop(io_loop)
    main_loop = GLib.MainLoop()
    results = []

    async def echo(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    async def main():
        assert asyncio.get_running_loop() is loop
        server = await asyncio.start_server(echo, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(b'driven by GLib\n')
        results.append(await reader.readline())
        await asyncio.sleep(0.01)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    task = loop.create_task(main())
    task.add_done_callback(lambda t: main_loop.quit())
    guard = GLib.timeout_add_seconds(10, main_loop.quit)
    main_loop.run()
    GLib.source_remove(guard)
    try:
        assert task.done()
        task.result()
        assert results == [b'driven by GLib\n']
    finally:
        loop.close()
        io_loop.detach()


def test_glib_main_loop_runs_call_soon_threadsafe_and_timers(io_loop):
    io_loop.attach(None)
    loop = ioloop.EventLoop(io_loop)
    main_loop = GLib.MainLoop()
    order = []
    a, b = socket.socketpair()

    def readable():
        order.append(a.recv(10))
        loop.remove_reader(a)
        loop.call_later(0.01, done)

    def done():
        order.append('timer')
        main_loop.quit()
    loop.add_reader(a, readable)
    loop.call_soon_threadsafe(b.send, b'fd')
    guard = GLib.timeout_add_seconds(10, main_loop.quit)
    main_loop.run()
    GLib.source_remove(guard)
    loop.close()
    io_loop.detach()
    a.close()
    b.close()
    assert order == [b'fd', 'timer']


def test_stop_under_glib_does_not_stop_a_later_start(io_loop):
    io_loop.attach(None)
    loop = ioloop.EventLoop(io_loop)
    main_loop = GLib.MainLoop()
    loop.call_soon(loop.stop)
    loop.call_later(0.01, main_loop.quit)
    guard = GLib.timeout_add_seconds(10, main_loop.quit)
    main_loop.run()
    GLib.source_remove(guard)
    io_loop.detach()
    # run_forever() runs until its own stop, not at once.
    loop.call_later(0.02, loop.stop)
    t0 = loop.time()
    loop.run_forever()
    assert loop.time() - t0 >= 0.015
    loop.close()
