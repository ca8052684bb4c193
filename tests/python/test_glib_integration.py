# test_glib_integration.py: a GLib main context driving the loop
# (Loop.attach) and driven by it (Loop.add_main_context), GDBus next to a
# TCP server in one thread, Unix signals and child processes
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from gi.repository import Gio, GLib, Io

from conftest import run_loop


def run_context(context, until, timeout=5.0):
    """Iterate ``context`` until ``until()`` is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, 'nothing happened within %s s' % timeout
        context.iteration(True)


def add_guard(context, timeout=5.0):
    """A timeout on ``context`` so that a blocking iteration always returns."""
    source = GLib.timeout_source_new(int(timeout * 1000))
    source.set_callback(lambda *args: GLib.SOURCE_CONTINUE)
    source.attach(context)
    return source


# ---- ioloop inside GLib ---------------------------------------------------

def test_attached_loop_runs_handlers_and_timeouts_under_glib(loop):
    context = GLib.MainContext.new()
    a, b = socket.socketpair()
    seen = []
    a.setblocking(False)
    loop.add_handler(a.fileno(), lambda fd, events: seen.append(a.recv(10)), loop.READ)
    loop.call_later(0.05, lambda: seen.append('timeout'))
    assert loop.attach(context) > 0
    guard = add_guard(context)
    b.send(b'hi')
    run_context(context, lambda: len(seen) == 2)
    assert seen == [b'hi', 'timeout']
    assert loop.detach()
    guard.destroy()
    loop.remove_handler(a.fileno())
    a.close()
    b.close()


def test_attach_twice_fails_with_exists(loop):
    context = GLib.MainContext.new()
    loop.attach(context)
    with pytest.raises(GLib.Error) as info:
        loop.attach(context)
    assert info.value.matches(Io.LoopError.quark(), int(Io.LoopError.EXISTS))
    loop.detach()


# ---- GLib inside ioloop ---------------------------------------------------

def test_hosted_context_runs_glib_sources_during_start(loop):
    context = GLib.MainContext.new()
    fired = []

    def on_timeout(*args):
        fired.append(time.monotonic())
        loop.stop()
        return GLib.SOURCE_REMOVE
    assert loop.add_main_context(context)
    source = GLib.timeout_source_new(100)
    source.set_callback(on_timeout)
    source.attach(context)
    start = time.monotonic()
    run_loop(loop)
    assert len(fired) == 1
    assert 0.1 <= fired[0] - start < 1.0
    assert loop.remove_main_context(context)


def test_source_attached_from_another_thread_wakes_the_loop(loop):
    context = GLib.MainContext.new()
    loop.add_main_context(context)

    def attach_idle():
        time.sleep(0.05)
        source = GLib.idle_source_new()
        source.set_callback(lambda *args: loop.stop() or GLib.SOURCE_REMOVE)
        source.attach(context)
    thread = threading.Thread(target=attach_idle)
    thread.start()
    start = time.monotonic()
    run_loop(loop)
    thread.join()
    assert time.monotonic() - start < 2.0
    loop.remove_main_context(context)


# ---- GDBus and a TCP server in one thread, both ways ----------------------

INTROSPECTION = '''
<node>
  <interface name="org.ioloop.Test">
    <method name="Echo">
      <arg type="s" name="text" direction="in"/>
      <arg type="s" name="reply" direction="out"/>
    </method>
  </interface>
</node>
'''


@pytest.fixture(scope='module')
def bus():
    """A private bus: ``dbus-daemon --session --nofork``, our child (not
    Gio.TestDBus, whose watcher is a fork() without exec of this threaded
    process)."""
    daemon = shutil.which('dbus-daemon')
    if daemon is None:
        pytest.skip('no dbus-daemon to run a private bus (Debian package dbus)')
    proc = subprocess.Popen([daemon, '--session', '--nofork', '--print-address=1'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait()
        proc.stdout.close()


def connect(address):
    return Gio.DBusConnection.new_for_address_sync(
        address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)


class EchoServer(object):
    """A TCP echo server on ``loop``'s handlers."""

    def __init__(self, loop):
        self.loop = loop
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.clients = []
        self.threads = set()
        loop.add_handler(self.listener.fileno(), self.on_accept, loop.READ)

    def on_accept(self, fd, events):
        client, _ = self.listener.accept()
        client.setblocking(False)
        self.clients.append(client)
        self.loop.add_handler(client.fileno(), lambda fd, events: self.on_data(client), self.loop.READ)

    def on_data(self, client):
        self.threads.add(threading.get_ident())
        data = client.recv(4096)
        if data:
            client.sendall(data)
        else:
            self.loop.remove_handler(client.fileno())

    def close(self):
        for client in self.clients:
            if self.loop.has_handler(client.fileno()):
                self.loop.remove_handler(client.fileno())
            client.close()
        self.loop.remove_handler(self.listener.fileno())
        self.listener.close()


def serve_dbus(address, context):
    """Exports org.ioloop.Test; its calls are dispatched in ``context``."""
    connection = connect(address)
    info = Gio.DBusNodeInfo.new_for_xml(INTROSPECTION).interfaces[0]
    threads = set()

    def on_call(connection, sender, path, interface, method, params, invocation):
        threads.add(threading.get_ident())
        invocation.return_value(GLib.Variant('(s)', (params.unpack()[0],)))
    context.push_thread_default()
    try:
        registration = connection.register_object('/org/ioloop/Test', info, on_call, None, None)
    finally:
        context.pop_thread_default()
    return connection, registration, threads


def clients(address, bus_name, port, rounds, done):
    connection = connect(address)
    for i in range(rounds):
        text = 'round %d' % i
        reply = connection.call_sync(bus_name, '/org/ioloop/Test', 'org.ioloop.Test', 'Echo',
                                     GLib.Variant('(s)', (text,)), GLib.VariantType('(s)'),
                                     Gio.DBusCallFlags.NONE, 10000, None)
        assert reply.unpack()[0] == text
        with socket.create_connection(('127.0.0.1', port), timeout=10) as tcp:
            tcp.sendall(text.encode())
            assert tcp.recv(100) == text.encode()
    connection.close_sync(None)
    done()


@pytest.mark.parametrize('direction', ['loop-hosts-glib', 'glib-drives-loop'])
def test_dbus_service_and_tcp_server_answer_in_one_thread(loop, bus, direction):
    context = GLib.MainContext.new()
    server = EchoServer(loop)
    connection, registration, dbus_threads = serve_dbus(bus, context)
    finished = threading.Event()
    if direction == 'loop-hosts-glib':
        loop.add_main_context(context)
        done = lambda: loop.add_callback(loop.stop)
    else:
        loop.attach(context)
        main_loop = GLib.MainLoop.new(context, False)
        done = main_loop.quit
    worker = threading.Thread(target=clients, args=(bus, connection.get_unique_name(),
                                                    server.port, 10,
                                                    lambda: (finished.set(), done())))
    worker.start()
    if direction == 'loop-hosts-glib':
        run_loop(loop, timeout=30.0)
    else:
        guard = add_guard(context, 30.0)
        main_loop.run()
        guard.destroy()
    worker.join()
    assert finished.is_set()
    assert dbus_threads == {threading.get_ident()}
    assert server.threads == {threading.get_ident()}

    connection.unregister_object(registration)
    connection.close_sync(None)
    server.close()
    if direction == 'loop-hosts-glib':
        loop.remove_main_context(context)
    else:
        loop.detach()
    while context.iteration(False):
        pass


# ---- signals and child processes -----------------------------------------

def test_signal_handler_runs_on_the_loop_thread(loop):
    seen = []

    def on_signal(signum, *user_data):
        seen.append((signum, threading.get_ident()))
        loop.stop()
    handler_id = loop.add_signal_handler(signal.SIGUSR1, on_signal)
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    run_loop(loop)
    timer.join()
    assert seen == [(signal.SIGUSR1, threading.get_ident())]
    assert loop.remove_signal_handler(handler_id)
    assert not loop.remove_signal_handler(handler_id)


def test_sigkill_cannot_be_handled(loop):
    with pytest.raises(GLib.Error) as info:
        loop.add_signal_handler(signal.SIGKILL, lambda *args: None)
    assert info.value.matches(Io.LoopError.quark(), int(Io.LoopError.INVALID_ARGUMENT))


def test_child_watch_reports_the_exit_status_once(loop):
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    seen = []

    def on_exit(child, status, *user_data):
        seen.append((child, os.waitstatus_to_exitcode(status)))
        loop.stop()
    assert loop.add_child_watch(pid, on_exit) > 0
    run_loop(loop)
    assert seen == [(pid, 7)]
