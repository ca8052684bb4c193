# test_asyncio_speedups.py: ioloop._speedups, the C hot paths of EventLoop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test_asyncio_loop.py and test_asyncio_errors.py run on both
# implementations (conftest.event_loop_class); what is here is particular to
# the C one: that it is in use when built, the fallback, debug mode, and
# the edges of the arguments and of the timer heap.

import asyncio
import contextvars
import os
import subprocess
import sys

import pytest

from gi.repository import Io

import ioloop
from ioloop import _events


@pytest.fixture
def loop(backend, event_loop_class):
    loop = event_loop_class(Io.Loop(backend=backend))
    yield loop
    if not loop.is_closed():
        loop.close()


def test_speedups_are_used_when_built():
    # make check says whether configure built them.
    built = os.environ.get('IOLOOP_SPEEDUPS_BUILT')
    if built is None:
        pytest.skip('not run from make check')
    assert (_events._speedups is not None) == (built == 'yes')
    if built == 'yes':
        assert ioloop.EventLoop.__mro__[1] is _events._speedups.LoopCore
        assert ioloop.EventLoop.call_soon is _events._speedups.LoopCore.call_soon


def test_no_speedups_environment_variable_gives_the_python_loop():
    out = subprocess.run(
        [sys.executable, '-c',
         'import ioloop, ioloop._events as e; '
         'print(e._speedups is None, ioloop.EventLoop.__mro__[1] is e._PyEventLoop)'],
        env=dict(os.environ, IOLOOP_NO_SPEEDUPS='1'), capture_output=True, text=True,
        timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['True', 'True']


def test_call_soon_order_args_and_context(loop):
    var = contextvars.ContextVar('var', default='unset')
    seen = []
    ctx = contextvars.copy_context()
    ctx.run(var.set, 'given')
    var.set('current')
    loop.call_soon(lambda *a: seen.append(('args', a)), 1, 2, 3)
    loop.call_soon(lambda: seen.append(('ctx', var.get())), context=ctx)
    loop.call_soon(lambda: seen.append(('copied', var.get())))
    var.set('later')
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert seen == [('args', (1, 2, 3)), ('ctx', 'given'), ('copied', 'current')]


@pytest.mark.parametrize('method', ['call_soon', 'call_later', 'call_at'])
def test_bad_arguments_raise_as_asyncio_does(loop, method):
    call = getattr(loop, method)
    lead = () if method == 'call_soon' else (0,)
    with pytest.raises(TypeError):
        call()
    with pytest.raises(TypeError):
        call(*lead, print, bogus=1)
    if method != 'call_soon':
        with pytest.raises(TypeError):
            call(None, print)
        with pytest.raises(TypeError):
            call('soon', print)
    loop.close()
    with pytest.raises(RuntimeError, match='closed'):
        call(*lead, print)


def test_handles_are_asyncio_handles(loop):
    h = loop.call_soon(print)
    t = loop.call_later(10, print)
    assert type(h) is asyncio.Handle
    assert type(t) is asyncio.TimerHandle
    assert t.when() == pytest.approx(loop.time() + 10, abs=1)
    assert 'print' in repr(h) and 'print' in repr(t)
    h.cancel()
    t.cancel()
    assert h.cancelled() and t.cancelled()


def test_integer_and_fraction_delays_are_loop_times(loop):
    from fractions import Fraction
    fired = []
    loop.call_later(0, fired.append, 'int')
    loop.call_later(Fraction(1, 100), fired.append, 'fraction')
    loop.call_at(loop.time() + 0.02, fired.append, 'at')
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    assert fired == ['int', 'fraction', 'at']


def test_equal_deadlines_run_in_call_order(loop):
    when = loop.time() + 0.01
    fired = []
    for i in range(50):
        loop.call_at(when, fired.append, i)
    loop.call_at(when + 0.01, loop.stop)
    loop.run_forever()
    assert fired == list(range(50))


def test_cancelled_timers_are_counted_and_purged(loop):
    handles = [loop.call_later(100 + i, print) for i in range(1000)]
    for h in handles[:400]:
        h.cancel()
    assert loop._timer_cancelled_count == 400
    assert len(loop._timer_heap) == 1000
    handles[0].cancel()        # a second cancel counts nothing
    assert loop._timer_cancelled_count == 400
    # asyncio's rule: purge once cancelled timers are over half the heap,
    # here at the 501st.
    for h in handles[400:501]:
        h.cancel()
    assert len(loop._timer_heap) == 499
    assert loop._timer_cancelled_count == 0
    assert not any(h._scheduled for h in handles[:501])
    for h in handles[501:600]:
        h.cancel()
    assert len(loop._timer_heap) == 499
    assert loop._timer_cancelled_count == 99
    assert sum(e[2].cancelled() for e in loop._timer_heap) == 99


def test_due_cancelled_timers_are_uncounted(loop):
    handles = [loop.call_later(0.001 * i, print) for i in range(10)]
    for h in handles[::2]:
        h.cancel()
    assert loop._timer_cancelled_count == 5
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    assert loop._timer_cancelled_count == 0
    assert len(loop._timer_heap) == 0


def test_debug_mode_records_where_a_handle_was_made(loop):
    loop.set_debug(True)
    h = loop.call_soon(print)
    t = loop.call_later(10, print)
    assert h._source_traceback and t._source_traceback
    assert h._source_traceback[-1].name == 'test_debug_mode_records_where_a_handle_was_made'
    h.cancel()
    t.cancel()
    loop.set_debug(False)
    assert not loop.call_soon(print)._source_traceback


def test_debug_mode_refuses_a_non_callable(loop):
    loop.set_debug(True)
    with pytest.raises(TypeError):
        loop.call_soon(42)


def test_an_error_in_a_callback_goes_to_the_handler_with_the_handle(loop):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    def boom():
        raise ZeroDivisionError('x')
    h = loop.call_soon(boom)
    t = loop.call_later(0.001, boom)
    loop.call_later(0.03, loop.stop)
    loop.run_forever()
    assert [c['handle'] for c in contexts] == [h, t]
    assert all(isinstance(c['exception'], ZeroDivisionError) for c in contexts)
    assert contexts[0]['message'].startswith('Exception in callback')


def test_base_exception_leaves_the_rest_queued(loop):
    ran = []

    def interrupt():
        raise KeyboardInterrupt
    loop.call_soon(ran.append, 1)
    loop.call_soon(interrupt)
    loop.call_soon(ran.append, 2)
    with pytest.raises(KeyboardInterrupt):
        loop.run_forever()
    assert ran == [1]
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == [1, 2]


def test_a_handle_subclass_with_its_own_run_is_honoured(loop):
    ran = []

    class Traced(asyncio.Handle):
        __slots__ = ()

        def _run(self):
            ran.append('traced')
            super()._run()
    loop._ready.append(Traced(ran.append, ('callback',), loop))
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == ['traced', 'callback']


def test_timer_entries_compare_by_deadline_then_order(loop):
    a = loop.call_later(1, print)
    b = loop.call_later(1, print)
    entries = sorted(loop._timer_heap)
    assert [e[2] for e in entries] in ([a, b], [b, a])
    # A plain tuple entry, as the Python implementation pushes in debug
    # mode, orders with them.
    first = (a.when() - 1, -1, None)
    assert min(loop._timer_heap + [first]) is first
    a.cancel()
    b.cancel()
