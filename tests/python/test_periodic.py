# test_periodic.py: ioloop.PeriodicCallback
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import time

import pytest

import ioloop
from conftest import run_loop


def test_periodic_callback_runs_repeatedly_until_stopped(loop):
    calls = []

    def tick():
        calls.append(time.monotonic())
        if len(calls) == 5:
            pc.stop()
            loop.stop()
    pc = ioloop.PeriodicCallback(tick, 10, io_loop=loop)
    assert not pc.is_running()
    pc.start()
    assert pc.is_running()
    run_loop(loop)
    assert len(calls) == 5
    assert not pc.is_running()
    assert calls[-1] - calls[0] >= 0.03


def test_periodic_callback_defaults_to_the_global_loop():
    pc = ioloop.PeriodicCallback(lambda: None, 100)
    assert pc.io_loop is ioloop.IOLoop.instance()


def test_non_positive_callback_time_is_refused():
    with pytest.raises(ValueError):
        ioloop.PeriodicCallback(lambda: None, 0)


def test_periodic_callback_keeps_running_after_an_exception(loop):
    calls = []
    failures = []
    loop.handle_callback_exception = lambda cb: failures.append(cb)

    def tick():
        calls.append(1)
        if len(calls) == 3:
            loop.stop()
        raise ValueError('tick failed')
    pc = ioloop.PeriodicCallback(tick, 5, io_loop=loop)
    pc.start()
    run_loop(loop)
    pc.stop()
    assert len(calls) == 3 and failures == [tick] * 3


def test_missed_runs_are_skipped_not_bunched(loop):
    calls = []

    def tick():
        calls.append(time.monotonic())
    pc = ioloop.PeriodicCallback(tick, 20, io_loop=loop)
    pc.start()
    loop.call_later(0.01, lambda: time.sleep(0.2))     # miss ~10 runs
    loop.call_later(0.3, loop.stop)
    run_loop(loop)
    pc.stop()
    # Without skipping there would be a burst of ~10 calls right after the
    # sleep; with it, calls stay about 20 ms apart.
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert sum(1 for g in gaps if g < 0.005) <= 1, gaps


def test_unreferenced_running_periodic_callback_keeps_running(loop):
    calls = []

    def tick():
        calls.append(1)
        if len(calls) == 3:
            loop.stop()
    ioloop.PeriodicCallback(tick, 5, io_loop=loop).start()
    gc.collect()
    run_loop(loop)
    assert len(calls) == 3


def test_restart_after_stop(loop):
    calls = []
    pc = ioloop.PeriodicCallback(lambda: (calls.append(1), loop.stop()), 5, io_loop=loop)
    pc.start()
    run_loop(loop)
    pc.stop()
    pc.start()
    run_loop(loop)
    pc.stop()
    assert len(calls) == 2


def test_close_stops_periodic_callbacks(loop):
    pc = ioloop.PeriodicCallback(lambda: None, 5, io_loop=loop)
    pc.start()
    loop.close()
    assert not pc.is_running()
