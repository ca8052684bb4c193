# test_callbacks.py: add_callback
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import functools
import gc
import socket
import time
import weakref

from conftest import run_loop


def test_callback_runs_on_next_iteration(loop):
    ran = []
    loop.add_callback(lambda: ran.append(1))
    loop.add_callback(loop.stop)
    assert ran == []
    run_loop(loop)
    assert ran == [1]


def test_callbacks_run_in_order_added(loop):
    order = []
    for i in range(10):
        loop.add_callback(order.append, i)
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert order == list(range(10))


def test_add_callback_passes_args_and_kwargs(loop):
    got = []
    loop.add_callback(lambda *a, **k: got.append((a, k)), 1, 2, x=3)
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert got == [((1, 2), {'x': 3})]


def test_partial_and_bound_method_callbacks(loop):
    got = []

    class Obj(object):
        def method(self):
            got.append('method')
    loop.add_callback(functools.partial(got.append, 'partial'))
    loop.add_callback(Obj().method)
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert got == ['partial', 'method']


def test_callback_added_by_a_callback_runs_next_iteration_after_io(loop):
    # Callbacks queued during an iteration wait for the next one: fd
    # handlers get their turn in between (no starvation).
    a, b = socket.socketpair()
    events = []
    count = [0]

    def spin():
        count[0] += 1
        events.append('cb')
        if count[0] < 5:
            loop.add_callback(spin)
        else:
            loop.stop()

    def handler(fd, ev):
        events.append('io')
        fd.recv(10)
    loop.add_handler(a, handler, loop.READ)
    b.send(b'x')
    loop.add_callback(spin)
    run_loop(loop)
    assert 'io' in events and events.index('io') < len(events) - 1
    a.close()
    b.close()


def test_add_callback_wakes_a_sleeping_loop_from_a_timeout(loop):
    stamps = []
    loop.call_later(0.02, lambda: loop.add_callback(lambda: (stamps.append(time.monotonic()), loop.stop())))
    start = time.monotonic()
    run_loop(loop)
    assert stamps and stamps[0] - start < 1.0


def test_callback_on_a_closed_loop_is_dropped_and_released(loop):
    class Cb(object):
        def __call__(self):
            raise AssertionError('must not run')
    cb = Cb()
    ref = weakref.ref(cb)
    loop.close()
    loop.add_callback(cb)
    del cb
    gc.collect()
    assert ref() is None


def test_callback_is_released_right_after_it_ran(loop):
    class Cb(object):
        def __call__(self):
            pass
    cb = Cb()
    ref = weakref.ref(cb)
    loop.add_callback(cb)
    del cb
    alive_after = []
    loop.add_callback(lambda: (gc.collect(), alive_after.append(ref() is not None), loop.stop()))
    run_loop(loop)
    assert alive_after == [False]


def test_callback_may_stop_and_close_the_loop(loop):
    loop.add_callback(lambda: (loop.stop(), loop.close()))
    run_loop(loop)
    assert loop.is_closed()


def test_io_async_wakes_the_loop_and_reports_exceptions(loop):
    from gi.repository import Io
    ran = []
    failures = []
    loop.handle_callback_exception = lambda cb: failures.append(cb)

    def on_async():
        ran.append(1)
        loop.stop()
        raise ValueError('async failed')
    handle = Io.Async.new(loop, on_async)
    loop.call_later(0.02, handle.send)
    run_loop(loop)
    handle.close()
    assert ran == [1] and failures == [on_async]
