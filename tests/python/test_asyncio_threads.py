# test_asyncio_threads.py: ioloop's asyncio event loop and other threads
# (call_soon_threadsafe, run_in_executor, wake-ups), on every backend
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import signal
import threading
import time

import pytest

from gi.repository import Io

import ioloop
from conftest import run_loop


@pytest.fixture
def aloop(backend):
    """ioloop's asyncio loop on a new Io.Loop of ``backend``, closed after."""
    loop = ioloop.EventLoop(Io.Loop(backend=backend))
    yield loop
    if not loop.is_closed():
        if not loop.is_running():
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def run_forever_guarded(loop, timeout):
    """run_forever(); fail if nothing stops it within ``timeout`` seconds."""
    expired = []
    guard = loop.call_later(timeout, lambda: (expired.append(True), loop.stop()))
    loop.run_forever()
    guard.cancel()
    assert not expired, 'the loop was not stopped within %s s' % timeout


def test_call_soon_threadsafe_from_4_threads_x_100k_runs_each_once_in_order(aloop):
    n_threads, per_thread = 4, 100000
    total = n_threads * per_thread
    counts = [bytearray(per_thread) for _ in range(n_threads)]
    last = [-1] * n_threads
    out_of_order = []
    wrong_thread = []
    received = [0]
    loop_thread = threading.get_ident()

    def record(t, i):
        counts[t][i] += 1
        if i != last[t] + 1:
            out_of_order.append((t, last[t], i))
        last[t] = i
        if threading.get_ident() != loop_thread:
            wrong_thread.append((t, i))
        received[0] += 1
        if received[0] == total:
            aloop.stop()

    def producer(t):
        call = aloop.call_soon_threadsafe
        for i in range(per_thread):
            call(record, t, i)

    workers = [threading.Thread(target=producer, args=(t,)) for t in range(n_threads)]
    aloop.call_soon(lambda: [w.start() for w in workers])
    try:
        run_forever_guarded(aloop, 50)
    finally:
        for w in workers:
            w.join()
    assert received[0] == total
    for t in range(n_threads):
        lost = counts[t].count(0)
        twice = per_thread - lost - counts[t].count(1)
        assert (lost, twice) == (0, 0), 'thread %d: %d lost, %d run more than once' % (
            t, lost, twice)
    assert not out_of_order[:5]
    assert not wrong_thread[:5]


def test_call_soon_threadsafe_wakes_a_sleeping_loop(aloop):
    """Nothing is due for 30 s: the loop sleeps in the engine until another
    thread's call_soon_threadsafe() wakes it."""
    ran = []

    def later():
        time.sleep(0.1)
        aloop.call_soon_threadsafe(lambda: (ran.append(threading.get_ident()), aloop.stop()))
    thread = threading.Thread(target=later)
    aloop.call_soon(thread.start)
    start = time.monotonic()
    run_forever_guarded(aloop, 30)
    thread.join()
    assert ran == [threading.get_ident()]
    assert time.monotonic() - start < 25


def test_futures_resolved_from_other_threads_resume_coroutines(aloop):
    async def main():
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(50)]

        def resolve(k):
            loop.call_soon_threadsafe(futures[k].set_result, k * k)
        threads = [threading.Thread(target=resolve, args=(k,)) for k in range(50)]
        for t in threads:
            t.start()
        results = await asyncio.wait_for(asyncio.gather(*futures), 30)
        for t in threads:
            t.join()
        return results
    assert aloop.run_until_complete(main()) == [k * k for k in range(50)]


def test_run_in_executor_runs_in_a_worker_and_returns_to_the_loop(aloop):
    loop_thread = threading.get_ident()

    def blocking(k):
        time.sleep(0.01)
        return k, threading.get_ident()

    async def main():
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(*[loop.run_in_executor(None, blocking, k)
                                         for k in range(20)])
        return results, threading.get_ident()
    results, resumed_in = aloop.run_until_complete(main())
    assert [k for k, _ in results] == list(range(20))
    assert all(t != loop_thread for _, t in results)
    assert resumed_in == loop_thread


def test_run_in_executor_exception_reaches_the_awaiting_coroutine(aloop):
    def fails():
        raise ValueError('in a worker')

    async def main():
        with pytest.raises(ValueError, match='in a worker'):
            await asyncio.get_running_loop().run_in_executor(None, fails)
        return True
    assert aloop.run_until_complete(main()) is True


def test_call_soon_threadsafe_on_a_closed_loop_raises_runtime_error(aloop):
    aloop.close()
    errors = []

    def other():
        try:
            aloop.call_soon_threadsafe(lambda: None)
        except RuntimeError as e:
            errors.append(e)
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1


def test_one_asyncio_loop_per_thread(backend):
    """Each thread runs its own ioloop.EventLoop (its own Io.Loop) at once."""
    results = {}
    errors = []

    def worker(k):
        try:
            loop = ioloop.EventLoop(Io.Loop(backend=backend))
            try:
                async def main():
                    await asyncio.sleep(0.01 * (k + 1))
                    return k, asyncio.get_running_loop() is loop
                results[k] = loop.run_until_complete(main())
            finally:
                loop.close()
        except BaseException as e:     # reported below, in the test's thread
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert results == {k: (k, True) for k in range(4)}


def test_threadsafe_and_classic_callbacks_from_threads_under_io_loop_start(backend):
    """Two threads call_soon_threadsafe() and two threads add_callback() on
    the same Io.Loop, driven by io_loop.start(): every callback of both
    APIs runs once, in each thread's order."""
    io_loop = Io.Loop(backend=backend)
    aloop = ioloop.EventLoop(io_loop)
    per_thread = 50000
    seen = {k: [] for k in range(4)}
    remaining = [4 * per_thread]

    def record(k, i):
        seen[k].append(i)
        remaining[0] -= 1
        if remaining[0] == 0:
            io_loop.stop()

    def producer(k):
        post = aloop.call_soon_threadsafe if k < 2 else io_loop.add_callback
        for i in range(per_thread):
            post(record, k, i)
    workers = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    io_loop.add_callback(lambda: [w.start() for w in workers])
    try:
        run_loop(io_loop, timeout=50)
    finally:
        for w in workers:
            w.join()
        aloop.close()
        io_loop.close(False)
    for k in range(4):
        assert seen[k] == list(range(per_thread)), 'producer %d: %d callbacks, out of order' % (
            k, len(seen[k]))


def test_call_soon_threadsafe_from_a_signal_handler_wakes_the_loop(aloop):
    """A Python signal handler (run by the interpreter between bytecodes)
    may call call_soon_threadsafe(): the loop, asleep in the engine, wakes
    up to run the handler and then the callback."""
    ran = []

    def on_usr1(signum, frame):
        aloop.call_soon_threadsafe(lambda: (ran.append(signum), aloop.stop()))
    old = signal.signal(signal.SIGUSR1, on_usr1)
    try:
        timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1))
        aloop.call_soon(timer.start)
        run_forever_guarded(aloop, 30)
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert ran == [signal.SIGUSR1]
