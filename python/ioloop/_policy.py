# _policy.py: the asyncio policy and entry points of ioloop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``new_event_loop()``, ``EventLoopPolicy``, ``install()`` and ``run()``,
as uvloop names them."""

import asyncio
from asyncio import events

from ._events import EventLoop

__all__ = ['EventLoopPolicy', 'new_event_loop', 'install', 'run']


def new_event_loop():
    """Return a new :class:`ioloop.EventLoop` on a new ``Io.Loop``."""
    return EventLoop()


class EventLoopPolicy(events.BaseDefaultEventLoopPolicy):
    """The asyncio event loop policy whose loops are
    :class:`ioloop.EventLoop` (each on its own ``Io.Loop``).

    Child processes need no child watcher with these loops: their exit is
    watched by the ``Io.Loop`` (a pidfd where the kernel has them).
    """

    _loop_factory = EventLoop

    def __repr__(self):
        return '<ioloop.EventLoopPolicy>'


def install():
    """Make :class:`ioloop.EventLoopPolicy` asyncio's policy, so that
    ``asyncio.run()``, ``asyncio.new_event_loop()`` and the libraries that
    call them (Tornado, aiohttp...) use ioloop."""
    asyncio.set_event_loop_policy(EventLoopPolicy())


def run(coro, *, debug=None):
    """Run the coroutine ``coro`` on a new :class:`ioloop.EventLoop` and
    return its result, as :func:`asyncio.run` does: the loop is closed
    afterwards (async generators and the default executor shut down
    first), and Ctrl-C cancels ``coro`` and raises ``KeyboardInterrupt``.

    Raises ``RuntimeError`` when called from a running event loop.
    """
    if events._get_running_loop() is not None:
        raise RuntimeError("ioloop.run() cannot be called from a running event loop")
    with asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
        return runner.run(coro)
