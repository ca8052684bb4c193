// glib-integration.js: the loop inside GJS's GLib main loop (attach) and
// GLib inside the loop (add_main_context), GDBus next to a TCP server in
// one thread, Unix signals and child processes
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import {run, skip, assert, assertEqual, assertThrows, forEachBackend, runLoop, isLoopError,
    socketPair, readSome, send} from './harness.js';

const SIGUSR1 = 10;
const SIGKILL = 9;

/** Iterates context until until() is true; fails after timeout seconds. */
function runContext(context, until, timeout = 5) {
    const deadline = GLib.get_monotonic_time() + timeout * 1e6;
    const guard = GLib.timeout_source_new(timeout * 1000);
    guard.set_callback(() => GLib.SOURCE_CONTINUE);
    guard.attach(context);
    try {
        while (!until()) {
            assert(GLib.get_monotonic_time() < deadline, `nothing happened within ${timeout} s`);
            context.iteration(true);
        }
    } finally {
        guard.destroy();
    }
}

// ---- ioloop inside GLib --------------------------------------------------

forEachBackend('an attached loop runs handlers and timeouts in GJS\'s main loop', loop => {
    const [a, b] = socketPair();
    const seen = [];
    loop.add_handler(a.get_fd(), Io.Events.READ, fd => {
        seen.push(new TextDecoder().decode(readSome(fd)));
    });
    loop.call_later(0.05, () => seen.push('timeout'));
    assert(loop.attach(null) > 0);
    send(b, 'hi');
    runContext(GLib.MainContext.default(), () => seen.length === 2);
    assertEqual(seen, ['hi', 'timeout']);
    assert(loop.detach());
    loop.remove_handler(a.get_fd());
    a.close();
    b.close();
});

forEachBackend('attaching twice fails with EXISTS', loop => {
    const context = new GLib.MainContext();
    loop.attach(context);
    assertThrows(() => loop.attach(context), e => isLoopError(e, Io.LoopError.EXISTS));
    loop.detach();
});

// ---- GLib inside ioloop --------------------------------------------------

forEachBackend('a hosted context runs GLib timeouts while start() runs', loop => {
    let fired = 0;
    loop.add_main_context(null);
    const start = GLib.get_monotonic_time();
    let when = 0;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 100, () => {
        fired++;
        when = GLib.get_monotonic_time();
        loop.stop();
        return GLib.SOURCE_REMOVE;
    });
    runLoop(loop);
    assertEqual(fired, 1);
    assert(when - start >= 100000, 'the GLib timeout fired early');
    assert(loop.remove_main_context(null));
});

// ---- GDBus and a TCP server in one thread, both ways ---------------------

const INTERFACE = `
<node>
  <interface name="org.ioloop.Test">
    <method name="Echo">
      <arg type="s" name="text" direction="in"/>
      <arg type="s" name="reply" direction="out"/>
    </method>
  </interface>
</node>`;

function connect(address) {
    return Gio.DBusConnection.new_for_address_sync(address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);
}

/** A TCP echo server on the loop's handlers; returns its port. */
function echoServer(loop, sockets) {
    const listener = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM,
        Gio.SocketProtocol.TCP);
    listener.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), true);
    listener.listen();
    listener.set_blocking(false);
    sockets.push(listener);
    loop.add_handler(listener.get_fd(), Io.Events.READ, () => {
        const client = listener.accept(null);
        client.set_blocking(false);
        sockets.push(client);
        loop.add_handler(client.get_fd(), Io.Events.READ, fd => {
            const data = readSome(fd);
            if (data.length > 0)
                client.send(data, null);
            else
                loop.remove_handler(fd);
        });
    });
    return listener.get_local_address().get_port();
}

/** D-Bus calls and TCP echoes, asynchronous, turn about; then done(). */
function clients(address, busName, port, rounds, done) {
    const connection = connect(address);
    const tcp = new Gio.SocketClient();
    let i = 0;
    const next = () => {
        if (i === rounds) {
            connection.close_sync(null);
            done();
            return;
        }
        const text = `round ${i++}`;
        connection.call(busName, '/org/ioloop/Test', 'org.ioloop.Test', 'Echo',
            new GLib.Variant('(s)', [text]), new GLib.VariantType('(s)'),
            Gio.DBusCallFlags.NONE, 10000, null, (c, res) => {
                assertEqual(c.call_finish(res).deepUnpack()[0], text);
                tcp.connect_to_host_async(`127.0.0.1:${port}`, 0, null, (t, res2) => {
                    const stream = t.connect_to_host_finish(res2);
                    stream.get_output_stream().write_bytes(new TextEncoder().encode(text), null);
                    stream.get_input_stream().read_bytes_async(100, GLib.PRIORITY_DEFAULT, null,
                        (s, res3) => {
                            assertEqual(new TextDecoder().decode(s.read_bytes_finish(res3).toArray()), text);
                            stream.close(null);
                            next();
                        });
                });
            });
    };
    next();
}

/** A private bus: `dbus-daemon --session --nofork`, our child (not
 * Gio.TestDBus, whose watcher is a fork() without exec of this threaded
 * process: it can deadlock). Returns [address, process]. */
function startBus(daemon) {
    const proc = Gio.Subprocess.new([daemon, '--session', '--nofork', '--print-address=1'],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_SILENCE);
    const out = new Gio.DataInputStream({base_stream: proc.get_stdout_pipe()});
    const [line] = out.read_line_utf8(null);
    return [line, proc];
}

const dbusDaemon = GLib.find_program_in_path('dbus-daemon');
for (const direction of ['loop hosts GLib', 'GLib drives the loop']) {
    const name = `a GDBus service and a TCP server answer in one thread (${direction})`;
    if (!dbusDaemon) {
        skip(name, 'no dbus-daemon (Debian package dbus)');
        continue;
    }
    forEachBackend(name, loop => {
        const [address, bus] = startBus(dbusDaemon);
        try {
            const sockets = [];
            const service = connect(address);
            let calls = 0;
            const info = Gio.DBusNodeInfo.new_for_xml(INTERFACE).interfaces[0];
            const registration = service.register_object(
                '/org/ioloop/Test', info,
                (connection, sender, path, iface, method, params, invocation) => {
                    calls++;
                    invocation.return_value(new GLib.Variant('(s)', [params.deepUnpack()[0]]));
                }, null, null);
            const port = echoServer(loop, sockets);
            let finished = false;
            const mainLoop = new GLib.MainLoop(null, false);
            if (direction === 'loop hosts GLib') {
                loop.add_main_context(null);
                clients(address, service.get_unique_name(), port, 5, () => {
                    finished = true;
                    loop.stop();
                });
                runLoop(loop, 30);
                loop.remove_main_context(null);
            } else {
                loop.attach(null);
                clients(address, service.get_unique_name(), port, 5, () => {
                    finished = true;
                    mainLoop.quit();
                });
                let expired = false;
                const guard = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 30, () => {
                    expired = true;
                    mainLoop.quit();
                    return GLib.SOURCE_REMOVE;
                });
                mainLoop.run();
                if (!expired)
                    GLib.source_remove(guard);
                loop.detach();
            }
            assert(finished, 'the clients did not finish');
            assertEqual(calls, 5);
            service.unregister_object(registration);
            service.close_sync(null);
            for (const socket of sockets) {
                if (loop.has_handler(socket.get_fd()))
                    loop.remove_handler(socket.get_fd());
                socket.close();
            }
            while (GLib.MainContext.default().iteration(false))
                ;
        } finally {
            bus.force_exit();
            bus.wait(null);
        }
    });
}

// ---- signals and child processes ----------------------------------------

forEachBackend('a signal handler runs in an ordinary iteration', loop => {
    const seen = [];
    const id = loop.add_signal_handler(SIGUSR1, signum => {
        seen.push(signum);
        loop.stop();
    });
    const pid = new Gio.Credentials().get_unix_pid();
    GLib.spawn_command_line_async(`kill -USR1 ${pid}`);
    runLoop(loop);
    assertEqual(seen, [SIGUSR1]);
    assert(loop.remove_signal_handler(id));
});

forEachBackend('SIGKILL cannot be handled', loop => {
    assertThrows(() => loop.add_signal_handler(SIGKILL, () => {}),
        e => isLoopError(e, Io.LoopError.INVALID_ARGUMENT));
});

forEachBackend('a child watch reports the exit status once', loop => {
    const [, pid] = GLib.spawn_async(null, ['/bin/sh', '-c', 'exit 7'], null,
        GLib.SpawnFlags.DO_NOT_REAP_CHILD, null);
    const seen = [];
    loop.add_child_watch(pid, (child, status) => {
        seen.push([child, status >> 8]);
        loop.stop();
    });
    runLoop(loop);
    assertEqual(seen, [[pid, 7]]);
});

run();
