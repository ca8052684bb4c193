# test_asyncio_errors.py: ioloop's asyncio event loop when things go wrong:
# exceptions reach the exception handler exactly once, KeyboardInterrupt and
# SystemExit leave the loop, Ctrl-C ends ioloop.run(); on every backend
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

from gi.repository import Io

import ioloop
from conftest import BACKENDS


@pytest.fixture
def aloop(backend, event_loop_class):
    loop = event_loop_class(Io.Loop(backend=backend))
    yield loop
    if not loop.is_closed():
        loop.close()


class Boom(Exception):
    pass


def collecting_handler(loop):
    """Install an exception handler that records every context it gets."""
    contexts = []
    loop.set_exception_handler(lambda loop_, context: contexts.append(context))
    return contexts


def run_briefly(loop, timeout=10):
    """Run until loop.stop(); fail after ``timeout`` s."""
    expired = []
    guard = loop.call_later(timeout, lambda: (expired.append(True), loop.stop()))
    loop.run_forever()
    guard.cancel()
    assert not expired, 'the loop was not stopped within %s s' % timeout


def assert_reported_once(contexts, exc, message_part):
    assert len(contexts) == 1, contexts
    assert contexts[0]['exception'] is exc
    assert message_part in contexts[0]['message']


def assert_silent(caplog, capfd):
    """Nothing logged, nothing written to stderr (no second report)."""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    err = capfd.readouterr().err
    assert 'Boom' not in err and 'Traceback' not in err, err


# ---- the exception handler, exactly once ------------------------------------

def test_call_soon_callback_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('call_soon')
    after = []

    def bad():
        raise exc
    handle = aloop.call_soon(bad)
    aloop.call_soon(after.append, 'the loop went on')
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert contexts[0]['handle'] is handle
    assert after == ['the loop went on']
    assert_silent(caplog, capfd)


def test_call_later_callback_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('call_later')

    def bad():
        raise exc
    handle = aloop.call_later(0.01, bad)
    aloop.call_later(0.05, aloop.stop)
    run_briefly(aloop)
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert contexts[0]['handle'] is handle
    assert_silent(caplog, capfd)


def test_call_soon_threadsafe_callback_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('threadsafe')

    def bad():
        raise exc

    def other_thread():
        aloop.call_soon_threadsafe(bad)
        aloop.call_soon_threadsafe(aloop.stop)
    thread = threading.Thread(target=other_thread)
    aloop.call_soon(thread.start)
    run_briefly(aloop)
    thread.join()
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert_silent(caplog, capfd)


def test_reader_callback_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('reader')
    a, b = socket.socketpair()
    a.setblocking(False)
    calls = []

    def on_readable():
        calls.append(a.recv(100))
        aloop.remove_reader(a)
        aloop.call_soon(aloop.stop)
        raise exc
    try:
        aloop.add_reader(a, on_readable)
        b.send(b'x')
        run_briefly(aloop)
    finally:
        a.close()
        b.close()
    assert calls == [b'x']
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert_silent(caplog, capfd)


def test_done_callback_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('done callback')
    fut = aloop.create_future()

    def bad(f):
        raise exc
    fut.add_done_callback(bad)
    fut.set_result(None)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert_silent(caplog, capfd)


def test_unretrieved_task_exception_reaches_the_handler_once(aloop, caplog, capfd):
    contexts = collecting_handler(aloop)
    exc = Boom('task')

    async def bad():
        raise exc
    task = aloop.create_task(bad())
    aloop.run_until_complete(asyncio.sleep(0))
    aloop.run_until_complete(asyncio.sleep(0))
    assert task.done()
    del task
    gc.collect()
    assert_reported_once(contexts, exc, 'Task exception was never retrieved')
    assert_silent(caplog, capfd)


def test_the_default_handler_logs_once_and_nothing_else_reports(aloop, caplog, capfd):
    """No handler set: asyncio's default handler logs the error once (on
    the 'asyncio' logger), and the engine does not report it again."""
    caplog.set_level(logging.DEBUG)

    def bad():
        raise Boom('default handler')
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [(r.name, r.getMessage()) for r in errors]
    assert errors[0].name == 'asyncio'
    assert 'Exception in callback' in errors[0].getMessage()
    assert errors[0].exc_info[0] is Boom
    err = capfd.readouterr().err
    assert 'Boom' not in err and 'Traceback' not in err, err


def test_an_exception_in_the_handler_is_logged_once_and_the_loop_goes_on(aloop, caplog, capfd):
    def broken_handler(loop, context):
        raise RuntimeError('the handler is broken')
    aloop.set_exception_handler(broken_handler)
    after = []

    def bad():
        raise Boom('first')
    aloop.call_soon(bad)
    aloop.call_soon(after.append, True)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert after == [True]
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [(r.name, r.getMessage()) for r in errors]
    assert 'Unhandled error in exception handler' in errors[0].getMessage()
    err = capfd.readouterr().err
    assert 'Traceback' not in err, err


def test_callback_exception_observers_see_an_asyncio_error_once(aloop, caplog):
    """Something connected to the Io.Loop's callback-exception signal (C or
    GLib code sharing the loop): the default handler logs the error once
    and the signal is emitted once, with the exception's text."""
    errors = []
    aloop.io_loop.connect('callback-exception', lambda io, error: errors.append(error))

    def bad():
        raise Boom('seen by the signal')
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1, [(r.name, r.getMessage()) for r in logged]
    assert logged[0].name == 'asyncio'
    assert len(errors) == 1
    assert 'Boom: seen by the signal' in errors[0].message


def test_an_observed_error_is_not_also_logged_by_glib(aloop, capfd):
    """asyncio's log is the default report: GLib's g_log() of the class
    handler does not repeat it on stderr."""
    aloop.io_loop.connect('callback-exception', lambda io, error: None)

    def bad():
        raise Boom('observed')
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    err = capfd.readouterr().err
    assert 'Boom' not in err, err


def test_a_custom_handler_replaces_the_default_report(aloop, caplog, capfd):
    """With set_exception_handler(), the handler is the one report: nothing
    logged, and the Io.Loop's signal not emitted behind its back."""
    contexts = collecting_handler(aloop)
    errors = []
    aloop.io_loop.connect('callback-exception', lambda io, error: errors.append(error))
    exc = Boom('custom only')

    def bad():
        raise exc
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert_reported_once(contexts, exc, 'Exception in callback')
    assert errors == []
    assert_silent(caplog, capfd)


def test_classic_and_asyncio_failures_on_one_loop_are_each_reported_once(aloop, caplog):
    """A classic add_callback() failure goes to the classic report (logged
    once, the signal once); an asyncio failure to the asyncio handler; the
    one is not also reported through the other."""
    contexts = collecting_handler(aloop)
    errors = []
    io_loop = aloop.io_loop
    io_loop.connect('callback-exception', lambda io, error: errors.append(error.message))
    classic_exc, asyncio_exc = Boom('classic'), Boom('asyncio')

    def classic_bad():
        raise classic_exc

    def asyncio_bad():
        raise asyncio_exc
    io_loop.add_callback(classic_bad)
    aloop.call_soon(asyncio_bad)
    aloop.call_later(0.05, aloop.stop)
    run_briefly(aloop)
    assert_reported_once(contexts, asyncio_exc, 'Exception in callback')
    assert len(errors) == 1 and 'Boom: classic' in errors[0], errors
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1, [(r.name, r.getMessage()) for r in logged]
    assert logged[0].exc_info[1] is classic_exc


def test_get_and_set_exception_handler(aloop):
    assert aloop.get_exception_handler() is None

    def handler(loop, context):
        pass
    aloop.set_exception_handler(handler)
    assert aloop.get_exception_handler() is handler
    with pytest.raises(TypeError):
        aloop.set_exception_handler('not callable')
    aloop.set_exception_handler(None)
    assert aloop.get_exception_handler() is None


@pytest.mark.parametrize('exc_type', [KeyboardInterrupt, SystemExit])
def test_exit_exceptions_leave_run_forever_and_the_loop_runs_again(aloop, exc_type):
    """As asyncio: KeyboardInterrupt and SystemExit are not handed to the
    handler, they propagate out of run_forever(); the loop stays usable and
    the callbacks queued behind are not lost."""
    contexts = collecting_handler(aloop)
    after = []

    def bad():
        raise exc_type()
    aloop.call_soon(bad)
    aloop.call_soon(after.append, 'queued behind')
    with pytest.raises(exc_type):
        aloop.run_forever()
    assert not aloop.is_running()
    assert contexts == []

    async def main():
        await asyncio.sleep(0.01)
        return 'again'
    assert aloop.run_until_complete(main()) == 'again'
    assert after == ['queued behind']


def test_exit_exception_in_a_task_leaves_run_until_complete(aloop):
    contexts = collecting_handler(aloop)

    async def main():
        await asyncio.sleep(0)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        aloop.run_until_complete(main())
    assert contexts == []
    assert aloop.run_until_complete(asyncio.sleep(0, 'fine')) == 'fine'


# ---- Ctrl-C -------------------------------------------------------------------

CTRL_C_CAUGHT = textwrap.dedent('''
    import asyncio, signal, sys
    import ioloop

    async def main():
        loop = asyncio.get_running_loop()
        print('ready', type(loop).__name__, loop.io_loop.get_backend(), flush=True)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            print('cancelled', flush=True)
            raise
        finally:
            print('finally', flush=True)

    try:
        ioloop.run(main())
    except KeyboardInterrupt:
        print('KeyboardInterrupt', flush=True)
    print('SIGINT handler restored',
          signal.getsignal(signal.SIGINT) is signal.default_int_handler, flush=True)
''')

CTRL_C_UNCAUGHT = textwrap.dedent('''
    import asyncio
    import ioloop

    async def main():
        print('ready', flush=True)
        await asyncio.Event().wait()

    ioloop.run(main())
''')

CTRL_C_RUN_FOREVER = textwrap.dedent('''
    import ioloop
    loop = ioloop.new_event_loop()
    loop.call_soon(lambda: print('ready', flush=True))
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        print('KeyboardInterrupt', flush=True)
    print('running', loop.is_running(), flush=True)
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    print('closed', flush=True)
''')


def interrupt(script, backend):
    env = dict(os.environ, IOLOOP_BACKEND=backend)
    proc = subprocess.Popen([sys.executable, '-X', 'dev', '-W', 'ignore::ImportWarning',
                             '-c', script], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith('ready'), (first, proc.stderr.read() if proc.poll() is not None
                                           else '')
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, first, out.splitlines(), err


@pytest.mark.parametrize('backend', BACKENDS)
def test_ctrl_c_cancels_main_and_ends_ioloop_run_with_keyboard_interrupt(backend):
    rc, first, out, err = interrupt(CTRL_C_CAUGHT, backend)
    assert first.split() == ['ready', 'EventLoop', backend]
    assert out == ['cancelled', 'finally', 'KeyboardInterrupt', 'SIGINT handler restored True'], (
        out, err)
    assert rc == 0, err
    assert err.strip() == '', err


@pytest.mark.parametrize('backend', BACKENDS)
def test_uncaught_ctrl_c_out_of_ioloop_run_exits_as_python_does(backend):
    """An uncaught KeyboardInterrupt: the traceback, then the exit by SIGINT
    that tells the parent shell the program was interrupted; no other noise
    (no pending task destroyed, no unclosed loop)."""
    rc, first, out, err = interrupt(CTRL_C_UNCAUGHT, backend)
    assert rc == -signal.SIGINT, (rc, err)
    assert err.rstrip().endswith('KeyboardInterrupt'), err
    for noise in ('Task was destroyed', 'unclosed', 'Exception ignored', 'never awaited'):
        assert noise not in err, err


@pytest.mark.parametrize('backend', BACKENDS)
def test_ctrl_c_interrupts_run_forever_and_the_loop_stays_usable(backend):
    rc, first, out, err = interrupt(CTRL_C_RUN_FOREVER, backend)
    assert out == ['KeyboardInterrupt', 'running False', 'closed'], (out, err)
    assert rc == 0, err
    assert err.strip() == '', err


def test_a_claimed_error_is_not_logged_by_asyncio(aloop, caplog, capfd):
    """A handle-exception handler that returns True has dealt with the
    error: neither asyncio's log nor callback-exception follow."""
    claimed, errors = [], []
    aloop.io_loop.connect('handle-exception', lambda io, error: claimed.append(error.message) or True)
    aloop.io_loop.connect('callback-exception', lambda io, error: errors.append(error))

    def bad():
        raise Boom('claimed')
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert len(claimed) == 1 and 'Boom: claimed' in claimed[0], claimed
    assert errors == []
    assert_silent(caplog, capfd)


def test_a_passed_on_error_is_logged_once_by_asyncio(aloop, caplog, capfd):
    """A handle-exception handler that returns False passes the error on:
    callback-exception, then asyncio's log, once, and nothing from GLib."""
    seen = []
    aloop.io_loop.connect('handle-exception', lambda io, error: seen.append('handle') and False)
    aloop.io_loop.connect('callback-exception', lambda io, error: seen.append('callback'))

    def bad():
        raise Boom('passed on')
    aloop.call_soon(bad)
    aloop.call_soon(aloop.stop)
    run_briefly(aloop)
    assert seen == ['handle', 'callback']
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1 and logged[0].name == 'asyncio', logged
    assert 'Boom' not in capfd.readouterr().err
