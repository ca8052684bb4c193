#!/usr/bin/python3
# echo-daemon.py: a TCP echo daemon with a D-Bus interface (echo-daemon.c in Python)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One thread, one loop: the loop serves TCP clients and hosts GLib's default
# main context (add_main_context), so that GDBus runs in it too. SIGTERM and
# SIGINT shut down gracefully (add_signal_handler: the handler runs in an
# ordinary iteration of the loop).
#
#   python3 echo-daemon.py [PORT]     (default 8889; 0 picks a free port)
#   nc 127.0.0.1 PORT
#   gdbus call --session --dest org.ioloop.EchoDaemon \
#     --object-path /org/ioloop/EchoDaemon \
#     --method org.ioloop.EchoDaemon.GetConnectionCount
#
# Uninstalled, from the build tree (see tests/python/Makefile.am):
#   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
#   PYTHONPATH=$srcdir/python python3 $srcdir/examples/echo-daemon.py

import signal
import socket
import sys

import ioloop
from gi.repository import Gio, GLib

BUS_NAME = 'org.ioloop.EchoDaemon'
OBJECT_PATH = '/org/ioloop/EchoDaemon'
INTERFACE = BUS_NAME
XML = '''
<node>
  <interface name="%s">
    <method name="GetConnectionCount">
      <arg type="u" name="count" direction="out"/>
    </method>
    <property name="ConnectionCount" type="u" access="read"/>
  </interface>
</node>''' % INTERFACE


class EchoDaemon(object):

    def __init__(self, port):
        self.loop = ioloop.IOLoop.instance()
        self.connections = {}              # fd -> socket
        self.bus = None
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', port))
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.loop.add_handler(self.listener.fileno(), self.on_accept, self.loop.READ)
        self.signal_ids = [self.loop.add_signal_handler(s, self.on_stop_signal)
                           for s in (signal.SIGTERM, signal.SIGINT)]
        # GDBus dispatches in GLib's default context: the loop runs it.
        self.loop.add_main_context(None)
        self.own_id = Gio.bus_own_name(Gio.BusType.SESSION, BUS_NAME, Gio.BusNameOwnerFlags.NONE,
                                       self.on_bus_acquired, None, self.on_name_lost)

    # -- TCP --

    def on_accept(self, fd, events):
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            conn.setblocking(False)
            self.connections[conn.fileno()] = conn
            self.loop.add_handler(conn.fileno(), self.on_data, self.loop.READ)
            print('connection on fd %d (%d open)' % (conn.fileno(), len(self.connections)),
                  file=sys.stderr)
            self.announce_count()

    def on_data(self, fd, events):
        conn = self.connections[fd]
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if data:
            conn.sendall(data)         # small echoes: a full buffer would block here
        else:
            self.close_connection(fd)
            self.announce_count()

    def close_connection(self, fd):
        self.loop.remove_handler(fd)
        self.connections.pop(fd).close()

    # -- D-Bus --

    def on_bus_acquired(self, connection, name):
        self.bus = connection
        info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
        self.registration = connection.register_object(OBJECT_PATH, info, self.on_call,
                                                       self.on_get_property, None)

    def on_name_lost(self, connection, name):
        print('no D-Bus session bus, or %s is taken: serving TCP only' % name, file=sys.stderr)

    def on_call(self, connection, sender, path, interface, method, params, invocation):
        invocation.return_value(GLib.Variant('(u)', (len(self.connections),)))

    def on_get_property(self, connection, sender, path, interface, prop):
        return GLib.Variant('u', len(self.connections))

    def announce_count(self):
        if self.bus is not None:
            self.bus.emit_signal(None, OBJECT_PATH, 'org.freedesktop.DBus.Properties',
                                 'PropertiesChanged',
                                 GLib.Variant('(sa{sv}as)', (INTERFACE, {
                                     'ConnectionCount': GLib.Variant('u', len(self.connections))
                                 }, [])))

    # -- shutdown --

    def on_stop_signal(self, signum, *user_data):
        print('%s: closing %d connection(s) and stopping'
              % (signal.Signals(signum).name, len(self.connections)), file=sys.stderr)
        self.loop.remove_handler(self.listener.fileno())
        self.listener.close()
        for fd in list(self.connections):
            self.close_connection(fd)
        self.loop.stop()

    def run(self):
        port = self.listener.getsockname()[1]
        print('ioloop echo daemon listening on 127.0.0.1:%d (backend %s); try: nc 127.0.0.1 %d'
              % (port, self.loop.get_backend(), port), flush=True)
        self.loop.start()
        Gio.bus_unown_name(self.own_id)
        if self.bus is not None:
            self.bus.unregister_object(self.registration)
            self.bus.flush_sync(None)
        for signal_id in self.signal_ids:
            self.loop.remove_signal_handler(signal_id)
        self.loop.remove_main_context(None)
        print('echo daemon stopped', flush=True)


if __name__ == '__main__':
    EchoDaemon(int(sys.argv[1]) if len(sys.argv) > 1 else 8889).run()
