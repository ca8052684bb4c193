# test_asyncio_signals_subprocess.py: Unix signals and child processes of
# ioloop.EventLoop (Io.Loop signal handlers and child watches)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import signal
import sys

import pytest

from gi.repository import Io

import ioloop


@pytest.fixture
def loop(backend):
    io_loop = Io.Loop(backend=backend)
    loop = ioloop.EventLoop(io_loop)
    yield loop
    if not loop.is_closed():
        loop.close()
    io_loop.close(False)


def run(loop, coro, timeout=30.0):
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


# ---- signals -----------------------------------------------------------------

def test_signal_handler_runs_on_the_loop_with_its_arguments(loop):
    got = []

    def on_usr1(*args):
        got.append(args)
        loop.stop()
    loop.add_signal_handler(signal.SIGUSR1, on_usr1, 'a', 1)
    loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
    loop.call_later(10, loop.stop)
    loop.run_forever()
    assert got == [('a', 1)]
    assert loop.remove_signal_handler(signal.SIGUSR1)
    assert not loop.remove_signal_handler(signal.SIGUSR1)


def test_signal_handler_replaced_runs_once(loop):
    got = []
    loop.add_signal_handler(signal.SIGUSR2, got.append, 'old')
    loop.add_signal_handler(signal.SIGUSR2, got.append, 'new')
    loop.call_soon(os.kill, os.getpid(), signal.SIGUSR2)
    loop.call_later(0.2, loop.stop)
    loop.run_forever()
    assert got == ['new']
    loop.remove_signal_handler(signal.SIGUSR2)


def test_signal_handler_bad_input(loop):
    with pytest.raises(TypeError):
        loop.add_signal_handler('SIGUSR1', print)
    with pytest.raises(ValueError):
        loop.add_signal_handler(100000, print)
    with pytest.raises(RuntimeError):
        loop.add_signal_handler(signal.SIGKILL, print)

    async def coro():
        pass
    with pytest.raises(TypeError):
        loop.add_signal_handler(signal.SIGUSR1, coro)
    with pytest.raises(ValueError):
        loop.remove_signal_handler(100000)


def test_signal_handler_exception_goes_to_the_handler(loop):
    contexts = []
    loop.set_exception_handler(lambda lp, context: contexts.append(context))

    def boom():
        loop.call_soon(loop.stop)
        raise ValueError('in a signal handler')
    loop.add_signal_handler(signal.SIGUSR1, boom)
    loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
    loop.call_later(10, loop.stop)
    loop.run_forever()
    assert len(contexts) == 1 and isinstance(contexts[0]['exception'], ValueError)


def test_close_removes_signal_handlers_and_restores_python_handler(loop):
    python_got = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: python_got.append(signum))
    try:
        loop_got = []
        loop.add_signal_handler(signal.SIGUSR1, loop_got.append, 1)
        loop.close()
        os.kill(os.getpid(), signal.SIGUSR1)
        # The Python handler runs at the next bytecodes.
        for _ in range(1000):
            if python_got:
                break
        assert python_got == [signal.SIGUSR1]
        assert loop_got == []
    finally:
        signal.signal(signal.SIGUSR1, previous)


# ---- child processes --------------------------------------------------------------

@pytest.fixture
def no_child_watcher(monkeypatch):
    """asyncio's child watchers must not be used."""
    def refuse(*args):
        raise AssertionError('an asyncio child watcher was asked for')
    monkeypatch.setattr(asyncio.events, 'get_child_watcher', refuse)
    monkeypatch.setattr(asyncio, 'get_child_watcher', refuse)


def test_subprocess_exec_pipes_and_returncode(loop, no_child_watcher):
    async def main():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, '-c',
            'import sys; data = sys.stdin.read(); sys.stdout.write(data.upper()); sys.exit(7)',
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate(b'hello')
        return out, proc.returncode
    assert run(loop, main()) == (b'HELLO', 7)


def test_subprocess_shell_killed_by_a_signal(loop, no_child_watcher):
    async def main():
        proc = await asyncio.create_subprocess_shell('sleep 30')
        proc.send_signal(signal.SIGTERM)
        return await proc.wait()
    assert run(loop, main()) == -signal.SIGTERM


def test_many_subprocesses_at_once(loop, no_child_watcher):
    async def one(i):
        proc = await asyncio.create_subprocess_exec(
            'sh', '-c', 'echo $0; exit $0', str(i), stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return int(out), proc.returncode

    async def main():
        return await asyncio.gather(*(one(i) for i in range(20)))
    assert run(loop, main()) == [(i, i) for i in range(20)]


def test_subprocess_that_cannot_start(loop, no_child_watcher):
    async def main():
        with pytest.raises(FileNotFoundError):
            await asyncio.create_subprocess_exec('/nonexistent/program')
    run(loop, main())


def test_close_removes_child_watches(loop, no_child_watcher):
    async def start():
        return await asyncio.create_subprocess_exec('sleep', '30')
    proc = run(loop, start())
    assert loop._child_watches
    pid = proc.pid
    loop.close()
    assert not loop._child_watches
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)       # still ours to reap: nothing reaped it


def test_signals_and_subprocesses_on_a_loop_in_another_thread(backend, no_child_watcher):
    """Unlike asyncio's Unix loop, not only the main thread's loop."""
    import threading
    results = []

    def worker():
        loop = ioloop.EventLoop(Io.Loop(backend=backend))

        async def main():
            fut = loop.create_future()
            loop.add_signal_handler(signal.SIGUSR1, fut.set_result, 'signal')
            os.kill(os.getpid(), signal.SIGUSR1)
            got = await asyncio.wait_for(fut, 10)
            loop.remove_signal_handler(signal.SIGUSR1)
            proc = await asyncio.create_subprocess_exec('sh', '-c', 'exit 5')
            return got, await asyncio.wait_for(proc.wait(), 10)
        try:
            results.append(loop.run_until_complete(main()))
        finally:
            io_loop = loop.io_loop
            loop.close()
            io_loop.close(False)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert results == [('signal', 5)]
