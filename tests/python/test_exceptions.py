# test_exceptions.py: exceptions raised by handlers, callbacks and timeouts
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# PyGObject on its own only prints exceptions of callbacks to sys.excepthook:
# every outcome here is asserted explicitly.

import logging
import socket
import sys
import time

import pytest
from gi.repository import GLib

import ioloop
from conftest import run_loop


class Boom(Exception):
    pass


def boom():
    raise Boom('boom')


@pytest.fixture
def excepthook_calls(monkeypatch):
    """Calls of sys.excepthook (PyGObject's fallback): must stay empty."""
    calls = []
    monkeypatch.setattr(sys, 'excepthook', lambda *args: calls.append(args))
    return calls


def _schedule(loop, kind, func):
    if kind == 'callback':
        loop.add_callback(func)
    elif kind == 'timeout':
        loop.add_timeout(time.time(), func)
    elif kind == 'handler':
        a, b = socket.socketpair()
        loop._test_sockets = (a, b)

        def handler(fd, events):
            loop.remove_handler(fd)
            func()
        loop.add_handler(a, handler, loop.READ)
        b.send(b'x')
    elif kind == 'periodic':
        pc = ioloop.PeriodicCallback(func, 10, io_loop=loop)

        def once():
            pc.stop()
            func()
        pc.callback = once
        pc.start()
        loop._test_periodic = pc


KINDS = ['callback', 'timeout', 'handler', 'periodic']


@pytest.mark.parametrize('kind', KINDS)
def test_raising_function_reaches_handle_callback_exception_and_loop_goes_on(
        loop, kind, excepthook_calls):
    seen = []

    def handle_callback_exception(callback):
        seen.append((callback, sys.exc_info()[0]))
    loop.handle_callback_exception = handle_callback_exception
    _schedule(loop, kind, boom)
    loop.call_later(0.1, loop.stop)
    run_loop(loop)
    assert len(seen) == 1
    assert seen[0][1] is Boom
    assert excepthook_calls == []


def test_handle_callback_exception_gets_the_callable_given(loop):
    seen = []
    loop.handle_callback_exception = lambda cb: seen.append(cb)
    loop.add_callback(boom)
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert seen == [boom]


def test_default_logs_with_traceback_and_emits_callback_exception(loop, caplog, excepthook_calls):
    errors = []
    loop.connect('callback-exception', lambda l, error: errors.append(error))
    with caplog.at_level(logging.ERROR, logger='ioloop'):
        loop.add_callback(boom)
        loop.add_callback(loop.stop)
        run_loop(loop)
    records = [r for r in caplog.records if r.getMessage().startswith('Exception in callback')]
    assert len(records) == 1
    assert repr(boom) in records[0].getMessage()
    assert records[0].exc_info[0] is Boom
    assert 'Traceback' in caplog.text and "Boom: boom" in caplog.text
    assert len(errors) == 1
    assert isinstance(errors[0], GLib.Error)
    assert 'Boom: boom' in errors[0].message
    assert excepthook_calls == []


def test_glib_error_is_emitted_as_is(loop):
    errors = []
    loop.connect('callback-exception', lambda l, error: errors.append(error))

    def fail():
        raise GLib.Error('custom failure', 'my-test-domain', 7)
    loop.add_callback(fail)
    loop.add_callback(loop.stop)
    logging.getLogger('ioloop').disabled = True
    try:
        run_loop(loop)
    finally:
        logging.getLogger('ioloop').disabled = False
    assert [(e.domain, e.code, e.message) for e in errors] == [('my-test-domain', 7, 'custom failure')]


def test_subclass_overrides_handle_callback_exception(backend, excepthook_calls):
    class MyLoop(ioloop.IOLoop):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.failures = []

        def handle_callback_exception(self, callback):
            self.failures.append((callback, sys.exc_info()[1]))
    loop = MyLoop(backend=backend)
    loop.add_callback(boom)
    loop.add_callback(lambda: None)
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert len(loop.failures) == 1 and isinstance(loop.failures[0][1], Boom)
    loop.close()


def test_subclass_overrides_the_vfunc_do_handle_callback_exception(backend, caplog):
    class VfuncLoop(ioloop.IOLoop):
        errors = []

        def do_handle_callback_exception(self, error):
            VfuncLoop.errors.append(error)
    loop = VfuncLoop(backend=backend)
    with caplog.at_level(logging.ERROR, logger='ioloop'):
        loop.add_callback(boom)
        loop.add_callback(loop.stop)
        run_loop(loop)
    assert len(VfuncLoop.errors) == 1
    assert 'Boom: boom' in VfuncLoop.errors[0].message
    loop.close()


def test_subclass_overrides_the_signal_class_closure_do_callback_exception(backend, caplog):
    class SignalLoop(ioloop.IOLoop):
        __gsignals__ = {'callback-exception': 'override'}
        errors = []

        def do_callback_exception(self, error):
            SignalLoop.errors.append(error)
    loop = SignalLoop(backend=backend)
    with caplog.at_level(logging.ERROR, logger='ioloop'):
        loop.add_callback(boom)
        loop.add_callback(loop.stop)
        run_loop(loop)
    assert len(SignalLoop.errors) == 1
    assert 'Boom: boom' in SignalLoop.errors[0].message
    loop.close()


def test_report_exception_emits_callback_exception(loop):
    errors = []
    loop.connect('callback-exception', lambda l, error: errors.append(error.message))
    loop.report_exception(GLib.Error('reported', 'my-test-domain', 1))
    assert errors == ['reported']


@pytest.mark.parametrize('exc_type', [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize('kind', KINDS)
def test_keyboard_interrupt_and_system_exit_propagate_out_of_start(loop, exc_type, kind,
                                                                   excepthook_calls):
    seen = []
    loop.handle_callback_exception = lambda cb: seen.append(cb)
    after = []

    def raiser():
        raise exc_type()
    _schedule(loop, kind, raiser)
    loop.call_later(2.0, lambda: after.append('late'))
    with pytest.raises(exc_type):
        run_loop(loop)
    assert not loop.running()
    assert seen == [] and after == []
    assert excepthook_calls == []
    # The loop is usable again.
    loop.add_callback(loop.stop)
    run_loop(loop)


def test_exception_in_handle_callback_exception_propagates_out_of_start(loop):
    def broken(callback):
        raise RuntimeError('broken handler')
    loop.handle_callback_exception = broken
    loop.add_callback(boom)
    with pytest.raises(RuntimeError, match='broken handler'):
        run_loop(loop)


def test_exceptions_of_callbacks_do_not_leak_between_runs(loop):
    loop.handle_callback_exception = lambda cb: None
    for _ in range(3):
        loop.add_callback(boom)
        loop.add_callback(loop.stop)
        run_loop(loop)
