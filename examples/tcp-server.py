#!/usr/bin/python3
# tcp-server.py: the TCP server of Tornado's IOLoop documentation on ioloop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The example of the IOLoop documentation, unchanged but for Python 3 syntax
# (`except socket.error as e`), made runnable: `port` comes from the command
# line and handle_connection() echoes what a client sends.
#
#   python3 tcp-server.py [PORT]        (default 8888; 0 picks a free port)
#
# Uninstalled, from the build tree (see tests/python/Makefile.am):
#   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
#   PYTHONPATH=$srcdir/python python3 $srcdir/examples/tcp-server.py
# Ctrl-C stops it.

import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888


def handle_connection(connection, address):
    """Echo everything the client sends, until it closes the connection."""
    io_loop = ioloop.IOLoop.instance()
    pending = bytearray()

    def on_events(conn, events):
        if events & io_loop.WRITE and pending:
            try:
                del pending[:conn.send(pending)]
            except BlockingIOError:
                pass
            except OSError:
                close()
                return
        if events & io_loop.READ and not pending:
            try:
                data = conn.recv(4096)
            except BlockingIOError:
                data = None
            except OSError:
                data = b''
            if data == b'':
                close()
                return
            if data:
                pending.extend(data)
                try:
                    del pending[:conn.send(pending)]
                except BlockingIOError:
                    pass
        elif events & io_loop.ERROR and not events & (io_loop.READ | io_loop.WRITE):
            close()
            return
        io_loop.update_handler(conn, io_loop.WRITE if pending else io_loop.READ)

    def close():
        io_loop.remove_handler(connection)
        connection.close()

    io_loop.add_handler(connection, on_events, io_loop.READ)


# --- the documentation's example, as written (Python 3 syntax) -------------
import errno
import functools
import ioloop
import socket

def connection_ready(sock, fd, events):
    while True:
        try:
            connection, address = sock.accept()
        except socket.error as e:
            if e.args[0] not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            return
        connection.setblocking(0)
        handle_connection(connection, address)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.setblocking(0)
sock.bind(("", port))
sock.listen(128)

io_loop = ioloop.IOLoop.instance()
callback = functools.partial(connection_ready, sock)
io_loop.add_handler(sock.fileno(), callback, io_loop.READ)
print("ioloop echo server listening on port %d (backend %s); try: nc 127.0.0.1 %d"
      % (sock.getsockname()[1], io_loop.get_backend(), sock.getsockname()[1]), flush=True)
io_loop.start()
