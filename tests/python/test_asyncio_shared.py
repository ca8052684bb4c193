# test_asyncio_shared.py: the classic IOLoop API and asyncio tasks on one
# Io.Loop, driven either way (loop.run_forever() / io_loop.start()), on every
# backend
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import socket
import time

import pytest

from gi.repository import Io

import ioloop
from conftest import run_loop


@pytest.fixture
def shared(loop):
    """(io_loop, aloop): ioloop's asyncio loop on the conftest's Io.Loop."""
    aloop = ioloop.EventLoop(loop)
    yield loop, aloop
    if not aloop.is_closed():
        aloop.close()


class Mixed(object):
    """One workload using both APIs on one Io.Loop, where each side waits
    for the other: a classic READ handler wakes an asyncio future, an
    asyncio task writes what the handler reads, classic timeouts and
    callbacks resolve futures a coroutine awaits, and a coroutine's
    asyncio.sleep() and sock_recv() progress between them."""

    def __init__(self, io_loop, aloop):
        self.io_loop, self.aloop = io_loop, aloop
        self.events = []
        self.a, self.b = socket.socketpair()
        self.a.setblocking(False)
        self.b.setblocking(False)

    def close(self):
        for s in (self.a, self.b):
            s.close()

    async def main(self):
        io_loop, aloop = self.io_loop, self.aloop
        assert asyncio.get_running_loop() is aloop
        task = asyncio.current_task()
        assert task is not None

        # classic handler -> asyncio future
        got = aloop.create_future()

        def on_readable(sock, events):
            data = sock.recv(100)
            io_loop.remove_handler(sock)
            got.set_result(data)
        io_loop.add_handler(self.a, on_readable, io_loop.READ)
        await aloop.sock_sendall(self.b, b'ping')
        self.events.append(('handler', await asyncio.wait_for(got, 10)))

        # classic timeout and callback -> asyncio futures
        timed = aloop.create_future()
        io_loop.add_timeout(time.time() + 0.02, timed.set_result, 'timeout')
        called = aloop.create_future()
        io_loop.add_callback(called.set_result, 'callback')
        self.events.append(('classic', await asyncio.wait_for(asyncio.gather(timed, called), 10)))

        # asyncio on its own, in between
        await asyncio.sleep(0.01)
        self.b.send(b'pong')
        self.events.append(('sock_recv', await asyncio.wait_for(aloop.sock_recv(self.a, 100), 10)))

        # a classic callback that schedules asyncio work, and back
        back = aloop.create_future()

        def classic_then_asyncio():
            aloop.call_soon(aloop.call_later, 0.01, back.set_result, 'asyncio from classic')
        io_loop.add_callback(classic_then_asyncio)
        self.events.append(('nested', await asyncio.wait_for(back, 10)))
        assert asyncio.current_task() is task
        return 'main done'

    EXPECTED = [('handler', b'ping'), ('classic', ['timeout', 'callback']),
                ('sock_recv', b'pong'), ('nested', 'asyncio from classic')]


def test_both_apis_on_one_loop_driven_by_run_until_complete(shared):
    io_loop, aloop = shared
    mixed = Mixed(io_loop, aloop)
    try:
        assert aloop.run_until_complete(asyncio.wait_for(mixed.main(), 30)) == 'main done'
    finally:
        mixed.close()
    assert mixed.events == Mixed.EXPECTED
    assert not aloop.is_running() and not io_loop.is_running()


def test_both_apis_on_one_loop_driven_by_io_loop_start(shared):
    io_loop, aloop = shared
    mixed = Mixed(io_loop, aloop)
    result = []

    def done(task):
        result.append(task.result())
        io_loop.stop()
    try:
        task = aloop.create_task(mixed.main())
        task.add_done_callback(done)
        run_loop(io_loop, timeout=30)
    finally:
        mixed.close()
    assert result == ['main done']
    assert mixed.events == Mixed.EXPECTED
    assert not io_loop.is_running()


def test_run_forever_is_stopped_by_a_classic_callback(shared):
    io_loop, aloop = shared
    order = []
    io_loop.add_timeout(time.time() + 0.01, lambda: (order.append('classic'), aloop.stop()))
    aloop.call_later(20, aloop.stop)
    aloop.run_forever()
    assert order == ['classic']
    assert not io_loop.is_running()


def test_io_loop_start_is_stopped_from_a_coroutine(shared):
    io_loop, aloop = shared

    async def stopper():
        await asyncio.sleep(0.01)
        assert io_loop.is_running()
        io_loop.stop()
        return 'stopped'
    task = aloop.create_task(stopper())
    run_loop(io_loop, timeout=20)
    assert task.done() and task.result() == 'stopped'


def test_run_until_complete_while_io_loop_start_runs_is_refused(shared):
    io_loop, aloop = shared
    errors = []

    def nested():
        coro = asyncio.sleep(0)
        try:
            aloop.run_until_complete(coro)
        except RuntimeError as e:
            errors.append(e)
        finally:
            coro.close()
        io_loop.stop()
    io_loop.add_callback(nested)
    run_loop(io_loop, timeout=20)
    assert len(errors) == 1


def test_asyncio_loop_on_the_classic_instance(backend):
    """ioloop.EventLoop(ioloop.IOLoop.instance()): Tornado-style code using
    the global instance and asyncio code share it."""
    io_loop = ioloop.IOLoop.instance()
    aloop = ioloop.EventLoop(ioloop.IOLoop.instance())
    try:
        assert aloop.io_loop is io_loop
        seen = []

        async def main():
            fut = aloop.create_future()
            ioloop.IOLoop.instance().add_timeout(time.time() + 0.01, fut.set_result, 'instance')
            seen.append(await asyncio.wait_for(fut, 10))
            periodic_ticks = []
            ticked = aloop.create_future()

            def tick():
                periodic_ticks.append(1)
                if len(periodic_ticks) == 3 and not ticked.done():
                    ticked.set_result(True)
            pc = ioloop.PeriodicCallback(tick, 5)
            pc.start()
            try:
                await asyncio.wait_for(ticked, 10)
            finally:
                pc.stop()
            seen.append(len(periodic_ticks))
        aloop.run_until_complete(main())
        assert seen == ['instance', 3]
    finally:
        aloop.close()
    # The asyncio loop did not own the instance: it is still usable.
    assert not io_loop.is_closed()
    io_loop.add_callback(io_loop.stop)
    run_loop(io_loop, timeout=10)


def test_closing_the_asyncio_loop_leaves_a_given_io_loop_usable(shared):
    io_loop, aloop = shared
    a, b = socket.socketpair()
    try:
        aloop.add_reader(a, lambda: None)
        aloop.call_later(60, lambda: None)
        aloop.close()
        assert not io_loop.is_closed()
        # The asyncio side's reader is gone: the classic side may watch the fd.
        fired = []
        io_loop.add_handler(a, lambda fd, ev: (fired.append(ev), io_loop.stop()), io_loop.READ)
        b.send(b'x')
        run_loop(io_loop, timeout=10)
        assert fired
        io_loop.remove_handler(a)
    finally:
        a.close()
        b.close()


def test_a_new_event_loop_owns_its_io_loop(backend, monkeypatch):
    monkeypatch.setenv('IOLOOP_BACKEND', backend)
    aloop = ioloop.new_event_loop()
    io_loop = aloop.io_loop
    assert isinstance(io_loop, Io.Loop)
    assert io_loop.get_backend() == backend
    aloop.close()
    assert io_loop.is_closed()
