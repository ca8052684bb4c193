# test_timeouts.py: add_timeout / call_later / remove_timeout
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import datetime
import gc
import math
import time
import weakref

import pytest
from gi.repository import GLib, Io

from conftest import is_loop_error, run_loop


def test_timeout_at_unix_timestamp_fires_on_time(loop):
    fired = []
    start = time.time()
    loop.add_timeout(start + 0.05, lambda: (fired.append(time.time()), loop.stop()))
    run_loop(loop)
    assert len(fired) == 1
    assert 0.04 <= fired[0] - start < 1.0


def test_timeout_with_timedelta_is_relative_to_now(loop):
    fired = []
    start = time.monotonic()
    loop.add_timeout(datetime.timedelta(milliseconds=50),
                     lambda: (fired.append(time.monotonic()), loop.stop()))
    run_loop(loop)
    assert len(fired) == 1
    assert 0.04 <= fired[0] - start < 1.0


def test_timeouts_fire_in_deadline_order(loop):
    order = []
    now = time.time()
    for i in (3, 1, 2):
        loop.add_timeout(now + i * 0.01, order.append, i)
    loop.add_timeout(now + 0.05, loop.stop)
    run_loop(loop)
    assert order == [1, 2, 3]


def test_due_timeouts_with_equal_deadlines_fire_in_order_added(loop):
    order = []
    deadline = time.time() - 1
    for i in range(5):
        loop.add_timeout(deadline, order.append, i)
    loop.add_timeout(deadline, loop.stop)
    run_loop(loop)
    assert order == list(range(5))


def test_add_timeout_returns_a_handle_for_remove_timeout(loop):
    fired = []
    handle = loop.add_timeout(time.time() + 0.02, lambda: fired.append('removed'))
    assert isinstance(handle, Io.Timeout)
    assert handle.is_pending()
    loop.remove_timeout(handle)
    assert not handle.is_pending()
    loop.add_timeout(time.time() + 0.06, loop.stop)
    run_loop(loop)
    assert fired == []


def test_remove_timeout_twice_after_firing_or_none_is_harmless(loop):
    handle = loop.add_timeout(time.time(), loop.stop)
    run_loop(loop)
    assert not handle.is_pending()
    loop.remove_timeout(handle)
    loop.remove_timeout(handle)
    loop.remove_timeout(None)


def test_remove_timeout_after_the_loop_is_closed_is_harmless(loop):
    handle = loop.add_timeout(time.time() + 10, lambda: None)
    loop.close()
    loop.remove_timeout(handle)


def test_timeout_can_remove_another_due_timeout(loop):
    fired = []
    deadline = time.time() - 1
    handles = {}

    def first():
        fired.append('first')
        loop.remove_timeout(handles['second'])
    handles['first'] = loop.add_timeout(deadline, first)
    handles['second'] = loop.add_timeout(deadline, lambda: fired.append('second'))
    loop.add_timeout(time.time() + 0.02, loop.stop)
    run_loop(loop)
    assert fired == ['first']


def test_add_timeout_passes_extra_arguments(loop):
    got = []
    loop.add_timeout(time.time(), lambda a, b=None: (got.append((a, b)), loop.stop()), 1, b=2)
    run_loop(loop)
    assert got == [(1, 2)]


def test_call_later_and_call_at(loop):
    got = []
    loop.call_later(0.01, got.append, 'later')
    loop.call_at(loop.time() + 0.02, got.append, 'at')
    loop.call_later(0.04, loop.stop)
    run_loop(loop)
    assert got == ['later', 'at']


@pytest.mark.parametrize('deadline', [math.nan, math.inf, -math.inf])
def test_non_finite_deadline_is_refused(loop, deadline):
    with pytest.raises(GLib.Error) as info:
        loop.add_timeout(deadline, lambda: None)
    assert is_loop_error(info.value, Io.LoopError.INVALID_ARGUMENT)


def test_unsupported_deadline_type_raises_type_error(loop):
    with pytest.raises(TypeError):
        loop.add_timeout('soon', lambda: None)


def test_timeout_callback_is_released_after_it_ran(loop):
    class Callback(object):
        def __call__(self):
            loop.stop()
    cb = Callback()
    ref = weakref.ref(cb)
    loop.add_timeout(time.time(), cb)
    del cb
    run_loop(loop)
    gc.collect()
    assert ref() is None


def test_cancelled_timeout_callback_is_released_at_once(loop):
    class Callback(object):
        def __call__(self):
            pass
    cb = Callback()
    ref = weakref.ref(cb)
    handle = loop.add_timeout(time.time() + 100, cb)
    del cb
    loop.remove_timeout(handle)
    gc.collect()
    assert ref() is None


def test_many_cancelled_timeouts_do_not_fire(loop):
    fired = []
    handles = [loop.add_timeout(time.time() + 0.01, fired.append, i) for i in range(2000)]
    for h in handles:
        loop.remove_timeout(h)
    loop.call_later(0.03, loop.stop)
    run_loop(loop)
    assert fired == []
