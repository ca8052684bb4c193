# smoke.py: `make installcheck` — the installed Io typelib, override and
# `ioloop` module work together (run with the installed prefix's paths only)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import socket
import sys
import time

overrides_dir = os.environ.get('IOLOOP_PYTHON_OVERRIDES_DIR')

import gi  # noqa: E402
import gi.overrides  # noqa: E402

if overrides_dir and overrides_dir not in gi.overrides.__path__:
    gi.overrides.__path__.insert(0, overrides_dir)
gi.require_version('Io', '1.0')
gi.require_version('GIRepository', '2.0')
from gi.repository import GIRepository  # noqa: E402

import ioloop  # noqa: E402

typelib = GIRepository.Repository.get_default().get_typelib_path('Io')
override = sys.modules['gi.overrides.Io'].__file__
print('# typelib: %s\n# override: %s\n# module: %s' % (typelib, override, ioloop.__file__))

loop = ioloop.IOLoop.instance()
results = []
a, b = socket.socketpair()


def on_read(sock, events):
    results.append(sock.recv(10))
    loop.remove_handler(sock)
    loop.add_timeout(time.time() + 0.01, loop.stop)


loop.add_handler(a, on_read, loop.READ)
loop.add_callback(b.send, b'ping')
loop.call_later(5, loop.stop)
loop.start()
loop.close(all_fds=True)
b.close()
if results != [b'ping']:
    print('not ok 1 - python smoke test: %r' % (results,))
    sys.exit(1)
print('ok 1 - python smoke test against the installed prefix')
