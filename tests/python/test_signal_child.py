# test_signal_child.py: exceptions raised by the callbacks of
# add_signal_handler() and add_child_watch(), and child exit statuses
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# PyGObject on its own only prints exceptions of callbacks to sys.excepthook:
# every outcome here is asserted explicitly.

import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import run_loop


class Boom(Exception):
    pass


@pytest.fixture
def excepthook_calls(monkeypatch):
    """Calls of sys.excepthook (PyGObject's fallback): must stay empty."""
    calls = []
    monkeypatch.setattr(sys, 'excepthook', lambda *args: calls.append(args))
    return calls


def kill_later(delay, signum=signal.SIGUSR1):
    """Send ``signum`` to this process from another thread after ``delay``."""
    timer = threading.Timer(delay, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()
    return timer


def test_raising_signal_handler_reaches_handle_callback_exception_and_loop_goes_on(
        loop, excepthook_calls):
    seen = []

    def on_signal(signum):
        seen.append(signum)
        raise Boom('signal')

    def handle_callback_exception(callback):
        seen.append((callback, sys.exc_info()[0]))
        # The loop goes on: a later callback still runs.
        loop.add_callback(loop.stop)
    loop.handle_callback_exception = handle_callback_exception
    handler_id = loop.add_signal_handler(signal.SIGUSR1, on_signal)
    try:
        timer = kill_later(0.05)
        run_loop(loop)
        timer.join()
    finally:
        assert loop.remove_signal_handler(handler_id)
    assert seen == [signal.SIGUSR1, (on_signal, Boom)]
    assert excepthook_calls == []
    assert not loop.remove_signal_handler(handler_id)


def test_signal_handler_gets_user_data(loop):
    seen = []

    def on_signal(signum, data):
        seen.append((signum, data))
        loop.stop()
    handler_id = loop.add_signal_handler(signal.SIGUSR1, on_signal, 'data')
    try:
        timer = kill_later(0.05)
        run_loop(loop)
        timer.join()
    finally:
        loop.remove_signal_handler(handler_id)
    assert seen == [(signal.SIGUSR1, 'data')]


@pytest.mark.parametrize('exc_type', [SystemExit, KeyboardInterrupt])
def test_exit_exception_from_a_signal_handler_propagates_out_of_start(
        loop, exc_type, excepthook_calls):
    handled = []
    loop.handle_callback_exception = lambda cb: handled.append(cb)

    def on_signal(signum):
        raise exc_type(3)
    handler_id = loop.add_signal_handler(signal.SIGUSR1, on_signal)
    try:
        timer = kill_later(0.05)
        with pytest.raises(exc_type):
            run_loop(loop)
        timer.join()
    finally:
        loop.remove_signal_handler(handler_id)
    assert handled == []
    assert excepthook_calls == []
    assert not loop.running()


def test_raising_child_watch_reaches_handle_callback_exception_and_loop_goes_on(
        loop, excepthook_calls):
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    seen = []

    def on_exit(pid, status):
        seen.append(pid)
        raise Boom('child')

    def handle_callback_exception(callback):
        seen.append((callback, sys.exc_info()[0]))
        loop.add_callback(loop.stop)
    loop.handle_callback_exception = handle_callback_exception
    assert loop.add_child_watch(proc.pid, on_exit) > 0
    run_loop(loop)
    proc.returncode = 0     # reaped by the loop
    assert seen == [proc.pid, (on_exit, Boom)]
    assert excepthook_calls == []


def test_system_exit_from_a_child_watch_propagates_out_of_start(loop, excepthook_calls):
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    handled = []
    loop.handle_callback_exception = lambda cb: handled.append(cb)

    def on_exit(pid, status):
        raise SystemExit(4)
    loop.add_child_watch(proc.pid, on_exit)
    with pytest.raises(SystemExit):
        run_loop(loop)
    proc.returncode = 0
    assert handled == []
    assert excepthook_calls == []


@pytest.mark.parametrize('code', [0, 5, 42])
def test_child_watch_reports_the_exit_status_of_a_subprocess(loop, code):
    proc = subprocess.Popen([sys.executable, '-c',
                             'import sys; sys.exit(%d)' % code])
    seen = []

    def on_exit(pid, status, *user_data):
        seen.append((pid, os.WIFEXITED(status), os.WEXITSTATUS(status), user_data))
        loop.stop()
    watch_id = loop.add_child_watch(proc.pid, on_exit, 'data')
    assert watch_id > 0
    run_loop(loop)
    proc.returncode = code  # reaped by the loop: keep Popen from waiting
    assert seen == [(proc.pid, True, code, ('data',))]
    # Fired once: the watch is gone.
    assert not loop.remove_child_watch(watch_id)
