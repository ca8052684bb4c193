# test_loop.py: the IOLoop object: constants, singleton, start/stop, close
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import os
import socket
import weakref

import pytest
from gi.repository import GLib, Io

import ioloop
from conftest import BACKENDS, collect, is_loop_error, run_loop


def test_ioloop_module_exports_io_loop_and_periodic_callback():
    assert ioloop.IOLoop is Io.Loop
    assert callable(ioloop.PeriodicCallback)


def test_event_constants_have_tornado_values():
    assert (ioloop.IOLoop.READ, ioloop.IOLoop.WRITE, ioloop.IOLoop.ERROR) == (0x001, 0x004, 0x018)
    assert ioloop.IOLoop.NONE == 0
    assert int(Io.Events.READ) == 0x001 and int(Io.Events.ERROR) == 0x018


@pytest.mark.parametrize('name', BACKENDS)
def test_loop_can_be_created_on_every_backend(name):
    io_loop = Io.Loop(backend=name)
    assert io_loop.get_backend() == name
    io_loop.close()


def test_unknown_backend_is_refused():
    with pytest.raises(GLib.Error) as info:
        Io.Loop.new_with_backend('no-such-backend')
    assert is_loop_error(info.value, Io.LoopError.NO_BACKEND)


def test_instance_is_a_created_on_demand_singleton():
    assert not ioloop.IOLoop.initialized()
    first = ioloop.IOLoop.instance()
    assert ioloop.IOLoop.initialized()
    assert ioloop.IOLoop.instance() is first
    assert isinstance(first, ioloop.IOLoop)


def test_instance_keeps_python_state_across_lookups():
    io_loop = ioloop.IOLoop.instance()
    r, w = socket.socketpair()
    try:
        io_loop.add_handler(r, lambda fd, events: None, io_loop.READ)
        del io_loop
        collect()
        # The fd -> object map lives on: removing by object still works.
        again = ioloop.IOLoop.instance()
        again.remove_handler(r)
        assert not again.has_handler(r.fileno())
    finally:
        r.close()
        w.close()


def test_install_makes_a_subclass_instance_the_singleton():
    class MyLoop(ioloop.IOLoop):
        pass
    mine = MyLoop()
    mine.install()
    assert ioloop.IOLoop.instance() is mine
    assert isinstance(ioloop.IOLoop.instance(), MyLoop)


def test_install_is_refused_when_a_global_loop_exists():
    ioloop.IOLoop.instance()
    other = ioloop.IOLoop()
    with pytest.raises(GLib.Error) as info:
        other.install()
    assert is_loop_error(info.value, Io.LoopError.ALREADY_INSTALLED)
    other.close()


def test_stop_from_a_callback_ends_start(loop):
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert not loop.running()


def test_stop_before_start_makes_start_return_at_once(loop):
    loop.stop()
    run_loop(loop, timeout=1.0)


def test_async_method_with_stop_as_callback_pattern(loop):
    # The documentation's pattern: start() returns after the callback ran,
    # whether it ran before or after start().
    def async_method(io_loop, callback):
        io_loop.add_timeout(io_loop.time() + 0.01, callback)
    async_method(io_loop=loop, callback=loop.stop)
    run_loop(loop)

    def sync_method(io_loop, callback):
        callback()
    sync_method(io_loop=loop, callback=loop.stop)
    run_loop(loop, timeout=1.0)


def test_running_is_true_only_inside_start(loop):
    seen = []
    loop.add_callback(lambda: (seen.append(loop.running()), loop.stop()))
    assert not loop.running()
    run_loop(loop)
    assert seen == [True]
    assert not loop.running()


def test_nested_start_is_refused_with_running_error(loop):
    errors = []

    def nested():
        try:
            loop.start()
        except GLib.Error as e:
            errors.append(e)
        loop.stop()
    loop.add_callback(nested)
    run_loop(loop)
    assert len(errors) == 1 and is_loop_error(errors[0], Io.LoopError.RUNNING)


def test_start_on_a_closed_loop_raises_closed(loop):
    loop.close()
    with pytest.raises(GLib.Error) as info:
        loop.start()
    assert is_loop_error(info.value, Io.LoopError.CLOSED)


def test_loop_can_be_started_again_after_stop(loop):
    for _ in range(3):
        loop.add_callback(loop.stop)
        run_loop(loop)


def _fd_is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class Closable(object):
    def __init__(self, sock):
        self.sock = sock
        self.closed = False

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.closed = True
        self.sock.close()


def test_close_all_fds_closes_fds_and_objects(loop):
    r1, w1 = os.pipe()
    s1, s2 = socket.socketpair()
    obj = Closable(s1)
    loop.add_handler(r1, lambda fd, ev: None, loop.READ)
    loop.add_handler(obj, lambda fd, ev: None, loop.READ)
    loop.close(all_fds=True)
    assert not _fd_is_open(r1)
    assert obj.closed
    assert s1.fileno() == -1
    os.close(w1)
    s2.close()


def test_close_without_all_fds_leaves_fds_open(loop):
    r1, w1 = os.pipe()
    loop.add_handler(r1, lambda fd, ev: None, loop.READ)
    loop.close()
    assert _fd_is_open(r1)
    os.close(r1)
    os.close(w1)


def test_close_from_a_callback_ends_start(loop):
    loop.add_callback(loop.close)
    run_loop(loop)
    assert loop.is_closed()


def test_closed_loop_refuses_new_handlers_and_timeouts(loop):
    loop.close()
    r, w = os.pipe()
    try:
        with pytest.raises(GLib.Error) as info:
            loop.add_handler(r, lambda fd, ev: None, loop.READ)
        assert is_loop_error(info.value, Io.LoopError.CLOSED)
        with pytest.raises(GLib.Error) as info:
            loop.add_timeout(loop.time() + 1, lambda: None)
        assert is_loop_error(info.value, Io.LoopError.CLOSED)
    finally:
        os.close(r)
        os.close(w)


def test_dropped_loop_is_finalized_and_releases_its_callbacks(backend):
    class Token(object):
        pass
    token = Token()
    token_ref = weakref.ref(token)
    io_loop = Io.Loop(backend=backend)
    loop_ref = weakref.ref(io_loop)
    io_loop.add_callback(lambda t=token: t)
    io_loop.add_timeout(io_loop.time() + 100, lambda t=token: t)
    del token, io_loop
    collect()
    assert loop_ref() is None
    assert token_ref() is None


def test_time_is_unix_time(loop):
    import time
    assert abs(loop.time() - time.time()) < 1.0


def test_gc_of_state_does_not_break_callbacks(loop):
    hits = []
    loop.add_callback(lambda: hits.append(1))
    gc.collect()
    loop.add_callback(loop.stop)
    run_loop(loop)
    assert hits == [1]
