# test_handlers.py: add_handler / update_handler / remove_handler
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import functools
import os
import socket

import pytest
from gi.repository import GLib, Io

from conftest import is_loop_error, run_loop


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_handler_gets_int_fd_and_events(loop, pair):
    a, b = pair
    calls = []

    def handler(fd, events):
        calls.append((fd, events, type(fd), type(events)))
        a.recv(100)
        loop.stop()
    loop.add_handler(a.fileno(), handler, loop.READ)
    b.send(b'x')
    run_loop(loop)
    assert calls == [(a.fileno(), loop.READ, int, int)]


def test_handler_gets_back_the_object_given_as_fd(loop, pair):
    a, b = pair
    calls = []

    def handler(obj, events):
        calls.append(obj)
        obj.recv(100)
        loop.stop()
    loop.add_handler(a, handler, loop.READ)
    b.send(b'x')
    run_loop(loop)
    assert calls == [a]
    loop.remove_handler(a)
    assert not loop.has_handler(a.fileno())


def test_write_events_and_update_handler(loop, pair):
    a, b = pair
    seen = []

    def handler(fd, events):
        seen.append(events)
        if events & loop.WRITE:
            loop.update_handler(fd, loop.READ)
            b.send(b'y')
        elif events & loop.READ:
            a.recv(10)
            loop.stop()
    loop.add_handler(a.fileno(), handler, loop.WRITE)
    run_loop(loop)
    assert seen == [loop.WRITE, loop.READ]


def test_update_handler_accepts_the_object(loop, pair):
    a, b = pair
    loop.add_handler(a, lambda fd, ev: None, loop.READ)
    loop.update_handler(a, loop.READ | loop.WRITE)
    loop.remove_handler(a)


def test_level_triggered_unread_fd_is_reported_again(loop, pair):
    a, b = pair
    count = []

    def handler(fd, events):
        count.append(events)
        if len(count) == 3:
            loop.stop()
    loop.add_handler(a.fileno(), handler, loop.READ)
    b.send(b'x')
    run_loop(loop)
    assert count == [loop.READ] * 3


def test_error_is_reported_without_being_asked(loop):
    if loop.get_backend() == 'select':
        pytest.skip('select() cannot report a hang-up of an fd watched for WRITE only')
    r, w = os.pipe()
    seen = []

    def handler(fd, events):
        seen.append(events)
        loop.remove_handler(fd)
        loop.stop()
    loop.add_handler(r, handler, loop.WRITE)   # never true for a read end
    os.close(w)
    run_loop(loop)
    os.close(r)
    assert len(seen) == 1 and seen[0] & loop.ERROR


def test_remove_handler_of_unknown_fd_is_ignored(loop, pair):
    a, b = pair
    loop.remove_handler(a.fileno())
    loop.remove_handler(a)
    loop.remove_handler(12345)


def test_removed_handler_is_not_called(loop, pair):
    a, b = pair
    calls = []
    loop.add_handler(a, lambda fd, ev: calls.append(ev), loop.READ)
    b.send(b'x')
    loop.remove_handler(a)
    loop.call_later(0.05, loop.stop)
    run_loop(loop)
    assert calls == []


def test_handler_removed_by_another_handler_in_same_iteration_is_not_called(loop):
    p1, p2 = socket.socketpair()
    q1, q2 = socket.socketpair()
    calls = []

    def first(fd, events):
        calls.append(fd)
        other = q1 if fd is p1 else p1
        loop.remove_handler(other)
        fd.recv(10)
        loop.call_later(0.05, loop.stop)
    loop.add_handler(p1, first, loop.READ)
    loop.add_handler(q1, first, loop.READ)
    p2.send(b'x')
    q2.send(b'x')
    run_loop(loop)
    assert len(calls) == 1
    for s in (p1, p2, q1, q2):
        s.close()


class CallableHandler(object):
    def __init__(self, io_loop):
        self.io_loop = io_loop
        self.calls = 0

    def __call__(self, fd, events):
        self.calls += 1
        fd.recv(10)
        self.io_loop.stop()

    def method(self, fd, events):
        self(fd, events)


@pytest.mark.parametrize('kind', ['function', 'bound-method', 'partial', 'callable-object', 'lambda'])
def test_any_callable_is_a_handler(loop, pair, kind):
    a, b = pair
    obj = CallableHandler(loop)

    def function(fd, events):
        obj(fd, events)

    handler = {
        'function': function,
        'bound-method': obj.method,
        'partial': functools.partial(lambda tag, fd, ev: obj(fd, ev), 'tag'),
        'callable-object': obj,
        'lambda': lambda fd, ev: obj(fd, ev),
    }[kind]
    loop.add_handler(a, handler, loop.READ)
    b.send(b'x')
    run_loop(loop)
    assert obj.calls == 1


def test_second_handler_for_same_fd_is_refused(loop, pair):
    a, b = pair
    loop.add_handler(a, lambda fd, ev: None, loop.READ)
    with pytest.raises(GLib.Error) as info:
        loop.add_handler(a.fileno(), lambda fd, ev: None, loop.READ)
    assert is_loop_error(info.value, Io.LoopError.EXISTS)


def test_negative_fd_is_refused(loop):
    with pytest.raises(GLib.Error) as info:
        loop.add_handler(-1, lambda fd, ev: None, loop.READ)
    assert is_loop_error(info.value, Io.LoopError.INVALID_ARGUMENT)


def test_closed_fd_is_refused(loop):
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(GLib.Error) as info:
        loop.add_handler(r, lambda fd, ev: None, loop.READ)
    assert is_loop_error(info.value, Io.LoopError.BAD_FD)


def test_update_of_unknown_fd_raises_not_found(loop, pair):
    a, b = pair
    with pytest.raises(GLib.Error) as info:
        loop.update_handler(a.fileno(), loop.READ)
    assert is_loop_error(info.value, Io.LoopError.NOT_FOUND)


def test_handler_is_released_once_removed(loop, pair):
    import weakref
    a, b = pair
    obj = CallableHandler(loop)
    ref = weakref.ref(obj)
    loop.add_handler(a, obj, loop.READ)
    del obj
    loop.remove_handler(a)
    import gc
    gc.collect()
    assert ref() is None
