# test_signals.py: Python signal handlers while the loop sleeps in C,
# Ctrl-C, and the blocking watchdog (set_blocking_signal_threshold)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import run_loop

PYTHON_ENV = dict(os.environ)


def kill_later(delay, signum=signal.SIGINT):
    """Send ``signum`` to this process from another thread after ``delay``."""
    timer = threading.Timer(delay, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()
    return timer


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM,
                                              signal.SIGUSR1, signal.SIGALRM)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)
    signal.setitimer(signal.ITIMER_REAL, 0)


def test_sigint_raises_keyboard_interrupt_out_of_a_sleeping_start(loop, restore_signals):
    kill_later(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_loop(loop, timeout=10.0)
    assert time.monotonic() - start < 2.0
    assert not loop.running()


def test_sigint_interrupts_a_long_python_callback(loop, restore_signals):
    progress = []

    def busy():
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            pass
        progress.append('finished')
    loop.add_callback(busy)
    kill_later(0.1)
    with pytest.raises(KeyboardInterrupt):
        run_loop(loop, timeout=10.0)
    assert progress == []


def test_python_signal_handler_runs_promptly_and_may_add_callback(loop, restore_signals):
    stamps = []

    def on_usr1(signum, frame):
        stamps.append(time.monotonic())
        loop.add_callback(loop.stop)
    signal.signal(signal.SIGUSR1, on_usr1)
    kill_later(0.1, signal.SIGUSR1)
    start = time.monotonic()
    run_loop(loop, timeout=10.0)
    assert len(stamps) == 1 and stamps[0] - start < 2.0


def test_system_exit_from_a_signal_handler_propagates_out_of_start(loop, restore_signals):
    def on_term(signum, frame):
        sys.exit(3)
    signal.signal(signal.SIGTERM, on_term)
    kill_later(0.1, signal.SIGTERM)
    with pytest.raises(SystemExit) as info:
        run_loop(loop, timeout=10.0)
    assert info.value.code == 3


def test_ordinary_exception_from_a_signal_handler_propagates_out_of_start(loop, restore_signals):
    def on_usr1(signum, frame):
        raise ValueError('from handler')
    signal.signal(signal.SIGUSR1, on_usr1)
    kill_later(0.1, signal.SIGUSR1)
    with pytest.raises(ValueError, match='from handler'):
        run_loop(loop, timeout=10.0)


def test_signal_handlers_and_wakeup_fd_are_restored_after_start(loop, restore_signals):
    def on_usr1(signum, frame):
        pass
    signal.signal(signal.SIGUSR1, on_usr1)
    inside = []
    loop.add_callback(lambda: (inside.append(signal.getsignal(signal.SIGUSR1)), loop.stop()))
    run_loop(loop)
    assert inside[0] is not on_usr1          # guarded while running
    assert signal.getsignal(signal.SIGUSR1) is on_usr1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    previous = signal.set_wakeup_fd(-1)
    assert previous == -1


def test_loop_on_another_thread_leaves_signals_alone(backend, restore_signals):
    import ioloop
    result = []

    def run():
        io_loop = ioloop.IOLoop(backend=backend)
        io_loop.add_callback(lambda: (result.append(signal.getsignal(signal.SIGINT)),
                                      io_loop.stop()))
        io_loop.start()
        io_loop.close()
    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert result == [signal.default_int_handler]


def test_blocking_threshold_calls_the_action_when_a_callback_blocks(loop, restore_signals):
    alarms = []

    def action(signum, frame):
        alarms.append(signum)
    loop.set_blocking_signal_threshold(0.05, action)
    assert loop.get_blocking_alarm() == pytest.approx(0.05)

    def block():
        time.sleep(0.3)
        loop.stop()
    # The alarm is armed when poll returns (as in Tornado), so block in a
    # timeout, which runs after a poll.
    loop.call_later(0.01, block)
    run_loop(loop)
    assert alarms == [signal.SIGALRM]


def test_blocking_threshold_is_quiet_when_nothing_blocks(loop, restore_signals):
    alarms = []
    loop.set_blocking_signal_threshold(0.2, lambda s, f: alarms.append(s))
    for i in range(5):
        loop.call_later(0.05 * i, lambda: None)
    loop.call_later(0.4, loop.stop)       # the loop sleeps in poll, disarmed
    run_loop(loop)
    assert alarms == []


def test_blocking_threshold_none_disables_it(loop, restore_signals):
    alarms = []
    loop.set_blocking_signal_threshold(0.05, lambda s, f: alarms.append(s))
    loop.set_blocking_signal_threshold(None, lambda s, f: alarms.append(s))
    assert loop.get_blocking_alarm() <= 0

    def block():
        time.sleep(0.2)
        loop.stop()
    loop.call_later(0.01, block)
    run_loop(loop)
    assert alarms == []


def _run_script(source, timeout=30):
    return subprocess.run([sys.executable, '-c', textwrap.dedent(source)],
                          env=PYTHON_ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_blocking_threshold_without_action_kills_the_process():
    proc = _run_script('''
        import time, ioloop
        loop = ioloop.IOLoop()
        loop.set_blocking_signal_threshold(0.1, None)
        loop.call_later(0.01, lambda: time.sleep(5))
        loop.start()
        print("survived")
    ''')
    assert proc.returncode == -signal.SIGALRM, proc.stderr
    assert 'survived' not in proc.stdout


def test_ctrl_c_stops_a_program_blocked_in_start():
    proc = subprocess.Popen([sys.executable, '-c', textwrap.dedent('''
        import sys, ioloop
        loop = ioloop.IOLoop.instance()
        loop.add_callback(lambda: print("ready", flush=True))
        try:
            loop.start()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(42)
    ''')], env=PYTHON_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'ready'
        time.sleep(0.1)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - start < 2.0
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 42, err
    assert out.strip() == 'interrupted'


def test_uncaught_ctrl_c_ends_the_program_with_keyboard_interrupt():
    proc = subprocess.Popen([sys.executable, '-c', textwrap.dedent('''
        import ioloop
        loop = ioloop.IOLoop.instance()
        loop.add_callback(lambda: print("ready", flush=True))
        loop.start()
    ''')], env=PYTHON_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'ready'
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    # As any Python program: the traceback, then death by SIGINT (3.8+).
    assert proc.returncode in (1, -signal.SIGINT)
    assert 'KeyboardInterrupt' in err


def test_a_previous_wakeup_fd_is_restored_after_start(loop, restore_signals):
    import socket
    r, w = socket.socketpair()
    w.setblocking(False)
    previous = signal.set_wakeup_fd(w.fileno())
    try:
        loop.add_callback(loop.stop)
        run_loop(loop)
        assert signal.set_wakeup_fd(-1) == w.fileno()
    finally:
        signal.set_wakeup_fd(previous)
        r.close()
        w.close()
