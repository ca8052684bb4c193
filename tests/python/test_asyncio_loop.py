# test_asyncio_loop.py: ioloop.EventLoop, what CPython's mixins do not cover
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import errno
import logging
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from gi.repository import Io

import ioloop


@pytest.fixture
def io_loop(backend):
    io_loop = Io.Loop(backend=backend)
    yield io_loop
    if not io_loop.is_closed():
        io_loop.close(False)


@pytest.fixture
def loop(io_loop, event_loop_class):
    """An EventLoop sharing ``io_loop`` (the fixture closes both), with C
    speedups and without."""
    loop = event_loop_class(io_loop)
    yield loop
    if not loop.is_closed():
        loop.close()


def run(loop, coro, timeout=10.0):
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


# ---- creating and owning ---------------------------------------------------

def test_new_event_loop_owns_a_new_io_loop():
    loop = ioloop.new_event_loop()
    io_loop = loop.io_loop
    assert isinstance(loop, asyncio.AbstractEventLoop)
    assert isinstance(io_loop, Io.Loop) and not io_loop.is_closed()
    loop.close()
    assert io_loop.is_closed()


def test_given_io_loop_is_shared_not_closed(io_loop):
    loop = ioloop.EventLoop(io_loop)
    assert loop.io_loop is io_loop
    loop.close()
    assert not io_loop.is_closed()


def test_new_event_loop_honours_ioloop_backend(backend, monkeypatch):
    monkeypatch.setenv('IOLOOP_BACKEND', backend)
    loop = ioloop.new_event_loop()
    try:
        assert loop.io_loop.get_backend() == backend
    finally:
        loop.close()


def test_bad_io_loop_is_refused(io_loop):
    with pytest.raises(TypeError):
        ioloop.EventLoop(object())
    io_loop.close(False)
    with pytest.raises(RuntimeError):
        ioloop.EventLoop(io_loop)


# ---- scheduling ------------------------------------------------------------

def test_call_soon_runs_in_order_and_later_ones_wait(loop):
    order = []

    def first():
        order.append(1)
        loop.call_soon(order.append, 4)      # the next iteration
        loop.stop()
    loop.call_soon(first)
    loop.call_soon(order.append, 2)
    loop.call_soon(order.append, 3)
    loop.run_forever()
    assert order == [1, 2, 3]
    loop.stop()
    loop.run_forever()
    assert order == [1, 2, 3, 4]


def test_call_later_in_deadline_order_with_ties_in_call_order(loop):
    order = []
    now = loop.time()
    loop.call_at(now + 0.03, order.append, 'c')
    loop.call_at(now + 0.01, order.append, 'a')
    loop.call_at(now + 0.02, order.append, 'b1')
    loop.call_at(now + 0.02, order.append, 'b2')
    loop.call_at(now + 0.04, loop.stop)
    loop.run_forever()
    assert order == ['a', 'b1', 'b2', 'c']


def test_timer_never_runs_early_on_the_loop_clock(loop):
    seen = []

    def fire(when):
        seen.append(loop.time() >= when)
    for delay in (0.0, 0.001, 0.015, 0.03):
        loop.call_at(loop.time() + delay, fire, loop.time() + delay)
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    assert seen == [True] * 4
    assert abs(loop.time() - time.monotonic()) < 1.0


def test_cancelled_timers_do_not_run_and_are_purged(loop):
    ran = []
    timers = [loop.call_later(0.01, ran.append, i) for i in range(500)]
    for timer in timers[:-1]:
        timer.cancel()
    # Most of the heap was cancelled: it has been compacted.
    assert len(loop._timer_heap) < 300
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    assert ran == [499]


def test_sleep_and_gather(loop):
    async def main():
        t0 = loop.time()
        results = await asyncio.gather(*(asyncio.sleep(0.01 * i, result=i) for i in range(5)))
        return results, loop.time() - t0
    results, elapsed = run(loop, main())
    assert results == [0, 1, 2, 3, 4]
    assert elapsed >= 0.04


def test_call_soon_threadsafe_wakes_a_sleeping_loop(loop):
    async def main():
        fut = loop.create_future()

        def worker():
            time.sleep(0.05)
            loop.call_soon_threadsafe(fut.set_result, threading.get_ident())
        thread = threading.Thread(target=worker)
        thread.start()
        # Nothing else would wake the loop before this timeout.
        ident = await asyncio.wait_for(fut, 10)
        thread.join()
        return ident
    assert run(loop, main()) != threading.get_ident()


def test_run_in_executor_and_shutdown_default_executor(loop):
    async def main():
        value = await loop.run_in_executor(None, sum, [1, 2, 3])
        await loop.shutdown_default_executor()
        return value
    assert run(loop, main()) == 6


def test_shutdown_asyncgens_finalizes_generators(loop):
    closed = []

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def main():
        gen = agen()
        assert await gen.__anext__() == 1
        return gen
    gen = run(loop, main())
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert closed == [True]
    del gen


# ---- bad input and a closed loop ----------------------------------------------

def test_run_until_complete_while_running_is_refused(loop):
    async def main():
        coro = asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError):
                loop.run_until_complete(coro)
        finally:
            coro.close()
    run(loop, main())


def test_run_forever_while_io_loop_runs_is_refused(loop, io_loop):
    errors = []

    def nested():
        try:
            loop.run_forever()
        except RuntimeError as exc:
            errors.append(exc)
        io_loop.stop()
    io_loop.add_callback(nested)
    io_loop.start()
    assert len(errors) == 1


def test_closed_loop_refuses_everything(loop):
    loop.close()
    loop.close()            # a second close does nothing
    rsock, wsock = socket.socketpair()
    try:
        for call in (lambda: loop.call_soon(print),
                     lambda: loop.call_later(1, print),
                     lambda: loop.call_at(1, print),
                     lambda: loop.call_soon_threadsafe(print),
                     lambda: loop.add_reader(rsock, print),
                     lambda: loop.add_writer(wsock, print),
                     lambda: loop.run_forever(),
                     lambda: loop.run_in_executor(None, print)):
            with pytest.raises(RuntimeError, match='closed'):
                call()
        for call in (loop.create_task, loop.run_until_complete):
            coro = asyncio.sleep(0)
            with pytest.raises(RuntimeError, match='closed'):
                call(coro)
            coro.close()
    finally:
        rsock.close()
        wsock.close()


def test_add_reader_on_a_closed_fd_raises_ebadf(loop):
    rsock, wsock = socket.socketpair()
    fd = rsock.fileno()
    os.close(os.dup(fd))
    dead = os.dup(fd)
    os.close(dead)
    with pytest.raises(OSError) as info:
        loop.add_reader(dead, print)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        loop.add_writer(dead, print)
    assert info.value.errno == errno.EBADF
    assert not loop.remove_reader(dead)
    rsock.close()
    with pytest.raises(ValueError):
        loop.add_reader(rsock, print)       # fileno() is -1
    wsock.close()


def test_add_reader_on_a_regular_file(loop, tmp_path):
    """epoll cannot watch a regular file (PermissionError, as asyncio's
    epoll selector says); the other backends accept it."""
    path = tmp_path / 'f'
    path.write_bytes(b'x')
    with open(path, 'rb') as f:
        try:
            loop.add_reader(f, print)
        except PermissionError as exc:
            assert exc.errno == errno.EPERM
        else:
            assert loop.remove_reader(f)


def test_raising_callback_reported_once_and_loop_goes_on(loop):
    contexts = []
    loop.set_exception_handler(lambda lp, context: contexts.append(context))

    def boom():
        raise ZeroDivisionError('boom')
    loop.call_soon(boom)
    loop.call_later(0.001, boom)
    order = []
    loop.call_soon(order.append, 'after')
    loop.call_later(0.02, loop.stop)
    loop.run_forever()
    assert order == ['after']
    assert len(contexts) == 2
    assert all(isinstance(c['exception'], ZeroDivisionError) for c in contexts)
    assert all(c['message'].startswith('Exception in callback') for c in contexts)


def test_default_handler_logs_once_and_emits_callback_exception_once(loop, io_loop, caplog):
    emitted = []
    io_loop.connect('callback-exception', lambda lp, error: emitted.append(error.message))

    def boom():
        raise KeyError('boom')
    loop.call_soon(boom)
    loop.call_soon(loop.stop)
    with caplog.at_level(logging.ERROR):
        loop.run_forever()
    records = [r for r in caplog.records if 'Exception in callback' in r.getMessage()]
    assert len(records) == 1 and records[0].name == 'asyncio'
    assert len(emitted) == 1 and 'KeyError' in emitted[0]


def test_keyboard_interrupt_in_callback_comes_out_and_nothing_is_lost(loop):
    ran = []

    def interrupt():
        raise KeyboardInterrupt
    loop.call_soon(interrupt)
    loop.call_soon(ran.append, 'next')
    with pytest.raises(KeyboardInterrupt):
        loop.run_forever()
    assert not loop.is_running()
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == ['next']


def test_close_drops_pending_callbacks(loop):
    ran = []
    loop.call_soon(ran.append, 1)
    loop.close()
    assert ran == []


# ---- readers and writers ---------------------------------------------------------

def test_reader_and_writer_share_one_io_handler(loop, io_loop):
    rsock, wsock = socket.socketpair()
    try:
        fd = rsock.fileno()
        loop.add_reader(fd, print)
        loop.add_writer(rsock, print)          # a file object: the same fd
        assert io_loop.has_handler(fd)
        assert loop.remove_reader(fd)
        assert io_loop.has_handler(fd)
        assert not loop.remove_reader(fd)
        assert loop.remove_writer(rsock)
        assert not io_loop.has_handler(fd)
    finally:
        rsock.close()
        wsock.close()


def test_reader_gets_data_and_writer_runs(loop):
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    got = []

    def readable():
        got.append(rsock.recv(100))
        loop.remove_reader(rsock)
        loop.stop()

    def writable():
        wsock.send(b'ping')
        loop.remove_writer(wsock)
    loop.add_reader(rsock, readable)
    loop.add_writer(wsock, writable)
    loop.run_forever()
    assert got == [b'ping']
    rsock.close()
    wsock.close()


def test_reader_removing_the_writer_of_its_fd(loop):
    a, b = socket.socketpair()
    b.send(b'x')
    ran = []

    def reader():
        ran.append('reader')
        loop.remove_writer(a)
        loop.remove_reader(a)
        loop.call_soon(loop.stop)
    loop.add_reader(a, reader)
    loop.add_writer(a, ran.append, 'writer')
    loop.run_forever()
    assert ran == ['reader']
    a.close()
    b.close()


def test_close_releases_what_it_registered_on_a_shared_io_loop(loop, io_loop):
    rsock, wsock = socket.socketpair()
    ran = []
    loop.add_reader(rsock, ran.append, 'reader')
    loop.call_later(0.001, ran.append, 'timer')
    loop.close()
    assert not io_loop.has_handler(rsock.fileno())
    wsock.send(b'x')
    io_loop.call_later(0.05, io_loop.stop)
    io_loop.start()
    assert ran == []
    rsock.close()
    wsock.close()


def test_streams_echo(loop):
    async def handle(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(b'hello\n')
        line = await reader.readline()
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return line
    assert run(loop, main()) == b'hello\n'


# ---- debug mode ------------------------------------------------------------------

def test_debug_mode_warns_of_slow_callbacks(loop, caplog):
    loop.set_debug(True)
    loop.slow_callback_duration = 0.01

    def slow():
        time.sleep(0.05)
    loop.call_soon(slow)
    loop.call_later(0.001, slow)
    loop.call_later(0.1, loop.stop)
    with caplog.at_level(logging.WARNING, logger='asyncio'):
        loop.run_forever()
    slow_records = [r for r in caplog.records if 'took' in r.getMessage() and 'slow' in r.getMessage()]
    assert len(slow_records) == 2


def test_debug_mode_refuses_coroutines_as_callbacks(loop):
    loop.set_debug(True)

    async def coro():
        pass
    with pytest.raises(TypeError):
        loop.call_soon(coro)
    with pytest.raises(TypeError):
        loop.call_later(1, coro)


# ---- the classic IOLoop and asyncio on one Io.Loop ---------------------------------------

def test_classic_and_asyncio_side_by_side_driven_by_io_loop_start(backend):
    io_loop = ioloop.IOLoop(backend=backend)
    loop = ioloop.EventLoop(io_loop)
    events = []

    async def task():
        assert asyncio.get_running_loop() is loop
        await asyncio.sleep(0.01)
        events.append('task')
        io_loop.add_callback(io_loop.stop)
    io_loop.add_callback(lambda: events.append('classic callback'))
    loop.create_task(task())
    io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    assert events == ['classic callback', 'task']
    assert asyncio.events._get_running_loop() is None
    loop.close()
    io_loop.close(False)


def test_classic_and_asyncio_side_by_side_driven_by_run_forever(backend):
    io_loop = ioloop.IOLoop(backend=backend)
    loop = ioloop.EventLoop(io_loop)
    rsock, wsock = socket.socketpair()
    events = []

    def on_read(sock, ev):
        events.append(sock.recv(10))
        io_loop.remove_handler(sock)

    async def main():
        io_loop.add_handler(rsock, on_read, io_loop.READ)
        io_loop.add_timeout(time.time() + 0.01, lambda: wsock.send(b'classic'))
        while not events:
            await asyncio.sleep(0.005)
        return events
    assert run(loop, main()) == [b'classic']
    loop.close()
    io_loop.close(False)
    rsock.close()
    wsock.close()


def test_running_under_io_loop_start_cannot_close(loop, io_loop):
    seen = []

    def inside():
        seen.append(loop.is_running())
        with pytest.raises(RuntimeError):
            loop.close()
        io_loop.stop()
    loop.call_soon(inside)
    assert not loop.is_running()
    io_loop.start()
    assert seen == [True] and not loop.is_closed() and not loop.is_running()


def test_loop_stop_stops_io_loop_start(loop, io_loop):
    loop.call_soon(loop.stop)
    io_loop.call_later(5, io_loop.stop)
    t0 = time.monotonic()
    io_loop.start()
    assert time.monotonic() - t0 < 4
    # run_forever() is not left pre-stopped.
    loop.call_later(0.02, loop.stop)
    t0 = time.monotonic()
    loop.run_forever()
    assert time.monotonic() - t0 >= 0.015


# ---- policy, install, run ---------------------------------------------------------

@pytest.fixture
def restore_policy():
    yield
    asyncio.set_event_loop_policy(None)


def test_install_makes_asyncio_use_ioloop(restore_policy):
    ioloop.install()
    assert isinstance(asyncio.get_event_loop_policy(), ioloop.EventLoopPolicy)

    async def main():
        return type(asyncio.get_running_loop())
    assert asyncio.run(main()) is ioloop.EventLoop
    loop = asyncio.new_event_loop()
    assert isinstance(loop, ioloop.EventLoop)
    loop.close()


def test_run_returns_the_result_and_closes_the_loop():
    loops = []

    async def main(x):
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return x * 2
    assert ioloop.run(main(21)) == 42
    assert isinstance(loops[0], ioloop.EventLoop) and loops[0].is_closed()
    assert loops[0].io_loop.is_closed()


def test_run_debug_and_exception():
    async def main():
        assert asyncio.get_running_loop().get_debug()
        raise ValueError('out')
    with pytest.raises(ValueError, match='out'):
        ioloop.run(main(), debug=True)


def test_run_inside_a_running_loop_is_refused(loop):
    async def main():
        coro = asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            ioloop.run(coro)
        coro.close()
    run(loop, main())


def test_import_ioloop_does_not_import_asyncio():
    code = ("import sys, ioloop; assert 'asyncio' not in sys.modules; "
            "ioloop.IOLoop.instance(); ioloop.EventLoop; assert 'asyncio' in sys.modules; "
            "assert 'EventLoop' in dir(ioloop)")
    subprocess.run([sys.executable, '-c', code], check=True, timeout=60)
