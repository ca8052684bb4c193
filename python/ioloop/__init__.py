# ioloop: Tornado's classic IOLoop and an asyncio event loop on libioloop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An I/O event loop for non-blocking sockets: Tornado's classic ``IOLoop``,
and an :mod:`asyncio` event loop on the same engine.

``IOLoop`` is ``Io.Loop`` from GObject Introspection (namespace ``Io`` 1.0),
given Tornado's interface by the PyGObject override ``gi/overrides/Io.py``::

    import ioloop

    io_loop = ioloop.IOLoop.instance()
    io_loop.add_handler(sock.fileno(), callback, io_loop.READ)
    io_loop.start()

``EventLoop`` is a complete ``asyncio`` event loop whose engine is an
``Io.Loop``::

    import ioloop

    async def main():
        ...

    ioloop.run(main())          # or: ioloop.install(); asyncio.run(main())

``EventLoop``, ``new_event_loop``, ``EventLoopPolicy``, ``install`` and
``run`` are imported on first use, so that programs using only the classic
API do not import :mod:`asyncio`.
"""

import pkgutil
import sys
import weakref

# The C extension ioloop._speedups may sit in another directory of sys.path
# than these files (a build tree beside the source tree).
__path__ = pkgutil.extend_path(__path__, __name__)

try:
    import gi
    gi.require_version
except (ImportError, AttributeError):
    # Without PyGObject, an installed gi/overrides directory makes 'gi' a
    # namespace package with nothing in it: say what is really wrong.
    raise ImportError(
        "ioloop needs PyGObject (the 'gi' module), which this Python (%s) "
        "does not have: run the program with /usr/bin/python3 (Debian's "
        "Python, which has it once python3-gi is installed: apt install "
        "python3-gi), or install PyGObject for this Python" % (sys.executable,),
        name='gi') from None

gi.require_version('Io', '1.0')

from gi.repository import Io  # noqa: E402

__all__ = ['IOLoop', 'PeriodicCallback', 'IOStream', 'StreamClosedError', 'Io', 'EventLoop',
           'EventLoopPolicy',
           'new_event_loop', 'install', 'run']

IOLoop = Io.Loop
if not hasattr(IOLoop, 'add_timeout') or not hasattr(IOLoop, 'READ'):
    raise ImportError("the PyGObject override gi/overrides/Io.py was not found "
                      "(is it installed in a gi/overrides directory on sys.path?)")


class PeriodicCallback(object):
    """Schedules ``callback`` to be called every ``callback_time`` milliseconds.

    ``start()`` must be called after the PeriodicCallback is created.  Runs
    that were missed because the loop was busy are skipped, not bunched up.
    """

    def __init__(self, callback, callback_time, io_loop=None):
        if callback_time <= 0:
            raise ValueError("Periodic callback must have a positive callback_time")
        self.callback = callback
        self.callback_time = callback_time
        self.io_loop = io_loop or IOLoop.instance()
        self._periodic = None

    def start(self):
        """Starts the timer."""
        if self._periodic is None:
            interval_ms = max(1, int(round(self.callback_time)))
            # Weak references: the C object must not keep self alive once
            # stopped; self.callback is read at each run, as in Tornado.
            self_ref = weakref.ref(self)
            loop_ref = weakref.ref(self.io_loop)

            def run():
                periodic, io_loop = self_ref(), loop_ref()
                if periodic is not None and io_loop is not None:
                    io_loop._run_callback(periodic.callback, ())
            self._periodic = Io.PeriodicCallback.new(self.io_loop, interval_ms, run)
        self._periodic.start()
        # A running PeriodicCallback is kept alive by its loop, as in Tornado.
        self.io_loop._io_state.periodics.add(self)

    def stop(self):
        """Stops the timer."""
        if self._periodic is not None:
            self._periodic.stop()
        state = self.io_loop.__dict__.get('_io_state')
        if state is not None:
            state.periodics.discard(self)

    def is_running(self):
        """Return True if this PeriodicCallback has been started."""
        return self._periodic is not None and self._periodic.is_running()


# The asyncio half, imported on first use (PEP 562).
_ASYNCIO_NAMES = {
    'EventLoop': '_events',
    'EventLoopPolicy': '_policy',
    'new_event_loop': '_policy',
    'install': '_policy',
    'run': '_policy',
}


# Tornado's IOStream on Io.Stream (ioloop/_iostream.py).
_LAZY_NAMES = dict(_ASYNCIO_NAMES, IOStream='_iostream', StreamClosedError='_iostream')


def __getattr__(name):
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    import importlib
    value = getattr(importlib.import_module('.' + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES))
