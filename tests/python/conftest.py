# conftest.py: shared fixtures of the Python tests
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The environment (tests/python/Makefile.am) points GI_TYPELIB_PATH and
# LD_LIBRARY_PATH at the build tree and IOLOOP_PYTHON_DIR at the source
# python/ directory, whose gi/overrides/Io.py must win over any installed one.

import faulthandler
import gc
import os
import sys

_python_dir = os.environ.get('IOLOOP_PYTHON_DIR')
if _python_dir:
    if _python_dir not in sys.path:
        sys.path.insert(0, _python_dir)

import gi  # noqa: E402
import gi.overrides  # noqa: E402

if _python_dir:
    _overrides = os.path.join(_python_dir, 'gi', 'overrides')
    if _overrides in gi.overrides.__path__:
        gi.overrides.__path__.remove(_overrides)
    gi.overrides.__path__.insert(0, _overrides)

gi.require_version('Io', '1.0')

from gi.repository import Io  # noqa: E402

import pytest  # noqa: E402

import ioloop  # noqa: E402,F401  (the module under test must import)

assert Io.Loop.__module__ == 'gi.overrides.Io', 'the override of the source tree is not used'

BACKENDS = list(Io.Loop.list_backends())


def on_libkqueue():
    """True if the kqueue backend is libkqueue's emulation (Linux)."""
    try:
        with open('/proc/self/maps') as maps:
            return any('libkqueue.so' in line for line in maps)
    except OSError:
        return False


def socket_error_is_kept(backend):
    """False where the backend may consume a socket's pending error.

    libkqueue reads SO_ERROR itself to report a socket error in the
    kevent's fflags, which clears it: the read or connect check that follows
    sees an orderly end (or ENOTCONN) instead of ECONNRESET/ECONNREFUSED.
    A BSD or macOS kqueue leaves SO_ERROR set. Tests then still check that
    the error is reported once, but not its cause.
    """
    return not (backend == 'kqueue' and on_libkqueue())

#: How long any test may run before it is killed with a traceback.
TEST_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _no_global_loop():
    """Each test starts and ends without a global loop."""
    Io.Loop.clear_instance()
    yield
    if Io.Loop.initialized():
        loop = Io.Loop.instance()
        if not loop.is_closed():
            loop.close(False)
    Io.Loop.clear_instance()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def loop(backend):
    """A new loop on each backend, closed after the test."""
    io_loop = Io.Loop(backend=backend)
    assert io_loop.get_backend() == backend
    yield io_loop
    if not io_loop.is_closed():
        io_loop.close(False)


def run_loop(io_loop, timeout=5.0):
    """start() the loop; fail if nothing stops it within ``timeout``."""
    timed_out = []

    def expire():
        timed_out.append(True)
        io_loop.stop()
    guard = io_loop.call_later(timeout, expire)
    try:
        io_loop.start()
    finally:
        io_loop.remove_timeout(guard)
    assert not timed_out, 'the loop was not stopped within %s s' % timeout


def is_loop_error(error, code):
    """True if ``error`` (a GLib.Error) is Io.LoopError ``code``."""
    return error.matches(Io.LoopError.quark(), int(code))


def collect():
    for _ in range(3):
        gc.collect()


def _event_loop_classes():
    """ioloop.EventLoop, and its pure-Python implementation when the C
    speedups are in use: what the C code does must be what Python does."""
    from ioloop import _events
    classes = {'c' if _events._speedups is not None else 'python': _events.EventLoop}
    if _events._speedups is not None:
        classes['python'] = _events._PyEventLoop
    return classes


EVENT_LOOP_CLASSES = _event_loop_classes()


@pytest.fixture(params=sorted(EVENT_LOOP_CLASSES))
def event_loop_class(request):
    """The EventLoop implementations to test (see _event_loop_classes)."""
    return EVENT_LOOP_CLASSES[request.param]
