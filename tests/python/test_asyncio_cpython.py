# test_asyncio_cpython.py: CPython's own event-loop tests on ioloop.EventLoop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The mixins of CPython's test suite (Debian: libpython3.11-testsuite) that
# test an event loop through its public API, run against
# ioloop.new_event_loop() on every backend, as PyGObject tests its GLib loop
# and uvloop cross-tests itself:
#
#   test_events     UnixEventLoopTestsMixin (via EventLoopTestsMixin) and
#                   SubprocessTestsMixin
#   test_subprocess SubprocessMixin
#   test_sock_lowlevel BaseSockTestsMixin
#   test_sendfile   SendfileMixin and SockSendfileMixin
#
# The same mixins also run here against stock asyncio (SelectorEventLoop on
# an epoll selector, its pidfd child watcher for subprocesses) when
# IOLOOP_TEST_STOCK_ASYNCIO=1, for comparison:
#
#   IOLOOP_TEST_STOCK_ASYNCIO=1 make check TESTS=test_asyncio_cpython.py
#
# Every skip below says why; the skips CPython's mixins make themselves
# (resources, platform) carry their own reasons.

import asyncio
import os
import selectors
import sys
import unittest

import pytest

from gi.repository import Io

import ioloop

from conftest import on_libkqueue

try:
    from test.test_asyncio import utils as test_utils
    from test.test_asyncio import test_events
    from test.test_asyncio import test_subprocess
    from test.test_asyncio import test_sock_lowlevel
    from test.test_asyncio import test_sendfile
except ImportError as exc:       # pragma: no cover
    pytest.skip("CPython's test suite is not installed (Debian: libpython3.11-testsuite): %s" % exc,
                allow_module_level=True)

if sys.version_info[:2] != (3, 11):
    pytest.skip("the mixins are those of CPython 3.11", allow_module_level=True)

BACKENDS = list(Io.Loop.list_backends())
STOCK = os.environ.get('IOLOOP_TEST_STOCK_ASYNCIO') == '1'


def _new_loop_on(backend):
    """ioloop.new_event_loop() with IOLOOP_BACKEND=backend."""
    saved = os.environ.get('IOLOOP_BACKEND')
    os.environ['IOLOOP_BACKEND'] = backend
    try:
        loop = ioloop.new_event_loop()
    finally:
        if saved is None:
            del os.environ['IOLOOP_BACKEND']
        else:
            os.environ['IOLOOP_BACKEND'] = saved
    assert loop.io_loop.get_backend() == backend
    return loop


def _skip(reason):
    def skipped(self):
        raise unittest.SkipTest(reason)
    return skipped


# Tests of the mixins that do not apply to ioloop, with why.  Each name here
# is checked to exist in its mixin (see test_skip_list_is_current).
IOLOOP_SKIPS = {
    'EventLoop': {
    },
    'Subprocess': {
    },
    'Sock': {
    },
    'Sendfile': {
    },
}

# The kqueue backend on libkqueue: what the emulation does differently from
# a kernel kqueue, with why.
_SO_ERROR_CLEARED = (
    'libkqueue reads SO_ERROR itself to report a socket error in the '
    "kevent's fflags, which clears it: asyncio's _sock_connect_cb() then "
    'reads 0 and takes the refused connect for a success (a BSD or macOS '
    'kqueue leaves SO_ERROR set)')
LIBKQUEUE_SKIPS = {
    'EventLoop': {
        'test_create_connection_local_addr_skip_different_family': _SO_ERROR_CLEARED,
    },
    'Subprocess': {
    },
    'Sock': {
        'test_cancel_sock_accept': _SO_ERROR_CLEARED,
        'test_sock_client_fail': _SO_ERROR_CLEARED,
    },
    'Sendfile': {
    },
}

# Tests that fail on stock asyncio too on this machine, with why.
COMMON_SKIPS = {
    'EventLoop': {
    },
    'Subprocess': {
    },
    'Sock': {
    },
    'Sendfile': {
    },
}


class _IoLoopEventLoopMixin(test_events.UnixEventLoopTestsMixin,
                            test_events.SubprocessTestsMixin):
    # UnixEventLoopTestsMixin attaches a SafeChildWatcher: harmless here
    # (it waits only for the children registered with it, none), and the
    # subprocess tests show that ioloop needs no watcher.
    pass


class _IoLoopSubprocessMixin(test_subprocess.SubprocessMixin):

    def setUp(self):
        super().setUp()
        self.loop = self.create_event_loop()
        self.set_event_loop(self.loop)


MIXINS = {
    'EventLoop': _IoLoopEventLoopMixin,
    'Subprocess': _IoLoopSubprocessMixin,
    'Sock': test_sock_lowlevel.BaseSockTestsMixin,
    'Sendfile': test_sendfile.SendfileTestsBase,
}


def _make_class(kind, name, create_event_loop, skips):
    namespace = {
        'create_event_loop': create_event_loop,
        '__module__': __name__,
        '__qualname__': name,
    }
    for test, reason in skips.items():
        namespace[test] = _skip(reason)
    cls = type(name, (MIXINS[kind], test_utils.TestCase), namespace)
    globals()[name] = cls


for _backend in BACKENDS:
    for _kind in MIXINS:
        _skips = dict(COMMON_SKIPS[_kind], **IOLOOP_SKIPS[_kind])
        if _backend == 'kqueue' and on_libkqueue():
            _skips.update(LIBKQUEUE_SKIPS[_kind])
        _make_class(_kind, 'TestIoLoop%s_%s' % (_kind, _backend),
                    lambda self, b=_backend: _new_loop_on(b), _skips)


if STOCK:
    class _StockSubprocessMixin(test_subprocess.SubprocessMixin):

        def setUp(self):
            super().setUp()
            policy = asyncio.get_event_loop_policy()
            self.loop = self.create_event_loop()
            self.set_event_loop(self.loop)
            watcher = asyncio.PidfdChildWatcher()
            watcher.attach_loop(self.loop)
            policy.set_child_watcher(watcher)

        def tearDown(self):
            super().tearDown()
            policy = asyncio.get_event_loop_policy()
            watcher = policy.get_child_watcher()
            policy.set_child_watcher(None)
            watcher.attach_loop(None)
            watcher.close()

    MIXINS['Subprocess'] = _StockSubprocessMixin
    for _kind in MIXINS:
        _make_class(_kind, 'TestStock%s_epoll' % (_kind,),
                    lambda self: asyncio.SelectorEventLoop(selectors.EpollSelector()),
                    COMMON_SKIPS[_kind])


def test_skip_list_is_current():
    """Every skipped name is a test of its mixin (a renamed test would
    otherwise run unnoticed, or a stale skip hide nothing)."""
    for skips in (IOLOOP_SKIPS, COMMON_SKIPS, LIBKQUEUE_SKIPS):
        for kind, names in skips.items():
            for name in names:
                assert name.startswith('test_') and hasattr(MIXINS[kind], name), (kind, name)

