# test_handle_exception.py: Io.Loop::handle-exception and callback-exception
# for Python exceptions, which must go through the two signals as a C
# callback's GError does: handle-exception first (True: handled, nothing
# else happens), then callback-exception, then the default report, once in
# all; on every backend
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A "C failure" here is a GLib.Error raised by a function given to the
# introspected Io.Loop.add_callback() (no override around it): PyGObject
# turns it into the GError of the C callback, and the C loop reports it.
# Its default report is the class handler's g_log() on stderr; a Python
# exception's is the traceback through the `ioloop` logger instead.

import logging
import socket
import sys
import time

import pytest
from gi.module import get_introspection_module
from gi.repository import GLib, Io

import ioloop
from conftest import run_loop

_raw_add_callback = get_introspection_module('Io').Loop.add_callback

DEFAULT_LOG = 'Exception in callback'


class Boom(Exception):
    pass


@pytest.fixture
def excepthook_calls(monkeypatch):
    """What PyGObject prints of an exception raised by a signal handler."""
    calls = []
    monkeypatch.setattr(sys, 'excepthook', lambda *args: calls.append(args[1]))
    return calls


class Events(logging.Handler):
    """One list of what happens, in order: the signals' handlers append
    to it, and so does every record of the `ioloop` logger."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []

    def emit(self, record):
        self.seen.append(('log', record.exc_info[1] if record.exc_info else None))


@pytest.fixture
def events():
    handler = Events()
    logger = logging.getLogger('ioloop')
    logger.addHandler(handler)
    yield handler.seen
    logger.removeHandler(handler)


def on_handle_exception(loop, seen, returns, name='handle'):
    def handler(loop_, error):
        seen.append((name, error.message))
        return returns
    return loop.connect('handle-exception', handler)


def on_callback_exception(loop, seen, stop=False):
    def handler(loop_, error):
        seen.append(('callback', error.message))
        if stop:
            loop_.stop_emission_by_name('callback-exception')
    return loop.connect('callback-exception', handler)


def schedule_failure(loop, origin, kind='callback', exc=None):
    """Make one function fail on ``loop``; return the GError message the
    signals get.  The loop is stopped after it."""
    if origin == 'c':
        def fail():
            raise GLib.Error('c failure', 'my-test-domain', 7)
        _raw_add_callback(loop, fail)
        loop.add_callback(loop.stop)
        return 'c failure'
    exc = exc or Boom(kind)

    def fail():
        raise exc
    if kind == 'callback':
        loop.add_callback(fail)
    elif kind == 'timeout':
        loop.add_timeout(time.time(), fail)
    elif kind == 'handler':
        a, b = socket.socketpair()
        loop._test_sockets = (a, b)

        def handler(fd, events):
            loop.remove_handler(fd)
            fail()
        loop.add_handler(a, handler, loop.READ)
        b.send(b'x')
    elif kind == 'periodic':
        pc = ioloop.PeriodicCallback(lambda: None, 10, io_loop=loop)

        def once():
            pc.stop()
            fail()
        pc.callback = once
        pc.start()
        loop._test_periodic = pc
    else:
        raise AssertionError(kind)
    loop.call_later(0.05, loop.stop)
    return Io.exception_to_error(exc).message


def run(loop):
    try:
        run_loop(loop)
    finally:
        for sock in getattr(loop, '_test_sockets', ()):
            sock.close()


def g_logged(capfd):
    """How many times the C class handler logged, on stderr."""
    return capfd.readouterr().err.count('IoLoop-WARNING **')


FAILURES = [('python', 'callback'), ('python', 'timeout'), ('python', 'handler'),
            ('python', 'periodic'), ('c', 'callback')]


def failure_ids(failure):
    return '-'.join(failure)


@pytest.fixture(params=FAILURES, ids=failure_ids)
def failure(request):
    return request.param


def default_reports(origin):
    """What the default report adds to ``events``: the `ioloop` logger's
    record of a Python exception; the g_log() of a C failure is on stderr."""
    return [('log', Boom)] if origin == 'python' else []


def logged_types(seen):
    return [(what, type(exc) if what == 'log' else exc) for what, exc in seen]


# ---- the order: handle-exception, callback-exception, the default report ---

def test_both_signals_then_the_default_report_once(loop, failure, events, capfd,
                                                   excepthook_calls):
    origin, kind = failure
    on_handle_exception(loop, events, False)
    on_callback_exception(loop, events)
    message = schedule_failure(loop, origin, kind)
    run(loop)
    assert logged_types(events) == [('handle', message), ('callback', message)] + \
        default_reports(origin)
    assert g_logged(capfd) == (1 if origin == 'c' else 0)
    assert excepthook_calls == []


def test_nothing_connected_the_default_report_alone(loop, failure, events, capfd):
    origin, kind = failure
    schedule_failure(loop, origin, kind)
    run(loop)
    assert logged_types(events) == default_reports(origin)
    assert g_logged(capfd) == (1 if origin == 'c' else 0)


def test_the_python_default_report_has_the_traceback(loop, caplog, capfd):
    exc = Boom('traced')
    on_callback_exception(loop, [])
    schedule_failure(loop, 'python', exc=exc)
    with caplog.at_level(logging.ERROR, logger='ioloop'):
        run(loop)
    records = [r for r in caplog.records if r.getMessage().startswith(DEFAULT_LOG)]
    assert len(records) == 1
    assert records[0].exc_info[1] is exc
    assert 'Traceback' in caplog.text and 'Boom: traced' in caplog.text
    assert 'Boom' not in capfd.readouterr().err


# ---- returning True: handled --------------------------------------------------

def test_a_python_handler_returning_true_claims_the_error(loop, failure, events, capfd):
    origin, kind = failure
    on_handle_exception(loop, events, True)
    on_callback_exception(loop, events)
    after = []
    message = schedule_failure(loop, origin, kind)
    loop.add_callback(after.append, 'the loop went on')
    run(loop)
    assert events == [('handle', message)]
    assert g_logged(capfd) == 0
    assert after == ['the loop went on']


def test_returning_false_passes_it_to_the_next_handler(loop, failure, events, capfd):
    """The true-handled accumulator: handlers run in order until one
    returns True; the ones after it, callback-exception and the default
    report do not run."""
    origin, kind = failure
    on_handle_exception(loop, events, False, 'first')
    on_handle_exception(loop, events, True, 'second')
    on_handle_exception(loop, events, True, 'third')
    on_callback_exception(loop, events)
    message = schedule_failure(loop, origin, kind)
    run(loop)
    assert events == [('first', message), ('second', message)]
    assert g_logged(capfd) == 0


def test_a_blocked_handler_does_not_claim(loop, events, capfd):
    handler_id = on_handle_exception(loop, events, True)
    loop.handler_block(handler_id)
    message = schedule_failure(loop, 'python')
    run(loop)
    assert logged_types(events) == [('log', Boom)]
    loop.handler_unblock(handler_id)
    schedule_failure(loop, 'python')
    run(loop)
    assert logged_types(events) == [('log', Boom), ('handle', message)]


# ---- a handler that raises ------------------------------------------------------

def test_raising_in_handle_exception_is_reported_and_the_original_goes_on(
        loop, failure, events, capfd, excepthook_calls):
    origin, kind = failure
    broken = RuntimeError('the handler is broken')

    def raising(loop_, error):
        events.append(('handle', error.message))
        raise broken
    loop.connect('handle-exception', raising)
    on_callback_exception(loop, events)
    message = schedule_failure(loop, origin, kind)
    run(loop)
    # PyGObject reports what a signal handler raises through sys.excepthook,
    # and the handler counts as having returned False.
    assert excepthook_calls == [broken]
    assert logged_types(events) == [('handle', message), ('callback', message)] + \
        default_reports(origin)
    assert g_logged(capfd) == (1 if origin == 'c' else 0)


def test_raising_in_callback_exception_does_not_lose_the_default_report(
        loop, events, excepthook_calls):
    broken = RuntimeError('broken observer')

    def raising(loop_, error):
        raise broken
    loop.connect('callback-exception', raising)
    schedule_failure(loop, 'python')
    run(loop)
    assert excepthook_calls == [broken]
    assert logged_types(events) == [('log', Boom)]


# ---- stopping callback-exception -------------------------------------------------

def test_stopping_callback_exception_suppresses_the_default_report(loop, failure, events, capfd):
    origin, kind = failure
    on_callback_exception(loop, events, stop=True)
    on_callback_exception(loop, events)
    message = schedule_failure(loop, origin, kind)
    run(loop)
    assert events == [('callback', message)]
    assert g_logged(capfd) == 0


def test_a_failure_reported_from_a_handler_is_reported_once_too(loop, events, capfd):
    """A handler of callback-exception makes another callback fail: each
    error goes through the signals and gets its default report, once."""
    inner = Boom('inner')
    nested = []

    def observer(loop_, error):
        events.append(('callback', error.message))
        if not nested:
            nested.append(True)
            loop_._run_callback(_raiser(inner))
    loop.connect('callback-exception', observer)
    message = schedule_failure(loop, 'python', exc=Boom('outer'))
    run(loop)
    assert [(what, str(exc)) for what, exc in events] == [
        ('callback', message), ('callback', Io.exception_to_error(inner).message),
        ('log', 'inner'), ('log', 'outer')]
    assert g_logged(capfd) == 0


def _raiser(exc):
    def raiser():
        raise exc
    return raiser


# ---- report_exception() ----------------------------------------------------------

def test_report_exception_without_default_is_the_c_report(loop, events, capfd):
    on_handle_exception(loop, events, False)
    on_callback_exception(loop, events)
    loop.report_exception(GLib.Error('reported', 'my-test-domain', 1))
    assert events == [('handle', 'reported'), ('callback', 'reported')]
    assert g_logged(capfd) == 1
    on_handle_exception(loop, events, True, 'claims')
    claimed = Boom('claimed')
    loop.report_exception(claimed)
    message = Io.exception_to_error(claimed).message
    assert events[2:] == [('handle', message), ('claims', message)]
    assert g_logged(capfd) == 0


@pytest.mark.parametrize('outcome', ['unhandled', 'claimed', 'stopped'])
def test_report_exception_with_a_default(loop, outcome, capfd):
    defaults = []
    if outcome == 'claimed':
        on_handle_exception(loop, [], True)
    elif outcome == 'stopped':
        on_callback_exception(loop, [], stop=True)
    loop.report_exception(Boom('x'), lambda: defaults.append(True))
    assert defaults == ([True] if outcome == 'unhandled' else [])
    assert g_logged(capfd) == 0


# ---- subclasses and Tornado's hook -----------------------------------------------

def test_a_subclass_class_handler_is_the_default_report(backend, events, capfd):
    class VfuncLoop(ioloop.IOLoop):
        def do_handle_callback_exception(self, error):
            events.append(('class handler', error.message))
    loop = VfuncLoop(backend=backend)
    try:
        on_handle_exception(loop, events, False)
        on_callback_exception(loop, events)
        message = schedule_failure(loop, 'python')
        run(loop)
        assert events == [('handle', message), ('callback', message), ('class handler', message)]
        on_handle_exception(loop, events, True, 'claims')
        del events[:]
        schedule_failure(loop, 'python')
        run(loop)
        assert events == [('handle', message), ('claims', message)]
    finally:
        loop.close()
    assert g_logged(capfd) == 0


def test_overriding_handle_callback_exception_replaces_both_signals(loop, events):
    """Tornado's hook comes first: a loop whose handle_callback_exception()
    is replaced emits neither signal for a Python exception."""
    seen = []
    loop.handle_callback_exception = lambda callback: seen.append(sys.exc_info()[0])
    on_handle_exception(loop, events, False)
    on_callback_exception(loop, events)
    schedule_failure(loop, 'python')
    run(loop)
    assert seen == [Boom]
    assert events == []


@pytest.mark.parametrize('exc_type', [KeyboardInterrupt, SystemExit])
def test_exit_exceptions_are_not_reported(loop, exc_type, events):
    on_handle_exception(loop, events, False)
    on_callback_exception(loop, events)
    schedule_failure(loop, 'python', exc=exc_type())
    with pytest.raises(exc_type):
        run(loop)
    assert events == []
