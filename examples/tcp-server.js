// tcp-server.js: the TCP server of Tornado's IOLoop documentation, in GJS
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An echo server on the global loop: a non-blocking listening socket whose
// handler accepts until it would block, and one handler per connection.
//
//   gjs -m tcp-server.js [PORT]        (default 8888; 0 picks a free port)
//
// Uninstalled, from the build tree:
//   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
//   gjs -m $srcdir/examples/tcp-server.js
// Ctrl-C stops it.

import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import System from 'system';

const port = ARGV.length > 0 ? Number.parseInt(ARGV[0], 10) : 8888;

function wouldBlock(e) {
    return e instanceof Gio.IOErrorEnum && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.WOULD_BLOCK);
}

/** Echoes everything the client sends, until it closes the connection. */
function handleConnection(connection) {
    const ioLoop = Io.Loop.instance();
    const fd = connection.get_fd();
    const input = new Gio.UnixInputStream({fd, close_fd: false});
    let pending = new Uint8Array(0);

    const close = () => {
        ioLoop.remove_handler(fd);
        connection.close();
    };
    const flush = () => {
        while (pending.length > 0) {
            let n;
            try {
                n = connection.send(pending, null);
            } catch (e) {
                if (wouldBlock(e))
                    return true;
                return false;
            }
            pending = pending.subarray(n);
        }
        return true;
    };

    ioLoop.add_handler(fd, Io.Events.READ, (_fd, events) => {
        if (events & Io.Events.WRITE && !flush()) {
            close();
            return;
        }
        if (events & Io.Events.READ && pending.length === 0) {
            let data;
            try {
                data = input.read_bytes(4096, null).toArray();
            } catch (e) {
                data = new Uint8Array(0);
            }
            if (data.length === 0) {
                close();
                return;
            }
            pending = data;
            if (!flush()) {
                close();
                return;
            }
        } else if (!(events & (Io.Events.READ | Io.Events.WRITE))) {
            close();   // only an error or hang-up condition
            return;
        }
        ioLoop.update_handler(fd, pending.length > 0 ? Io.Events.WRITE : Io.Events.READ);
    });
}

function connectionReady(sock) {
    for (;;) {
        let connection;
        try {
            connection = sock.accept(null);
        } catch (e) {
            if (!wouldBlock(e))
                throw e;
            return;
        }
        connection.set_blocking(false);
        handleConnection(connection);
    }
}

const sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
sock.set_blocking(false);
sock.bind(Gio.InetSocketAddress.new_from_string('0.0.0.0', port), true);   // SO_REUSEADDR
sock.set_listen_backlog(128);
sock.listen();

const ioLoop = Io.Loop.instance();
ioLoop.add_handler(sock.get_fd(), Io.Events.READ, () => connectionReady(sock));
const bound = sock.get_local_address().get_port();
print(`ioloop echo server listening on port ${bound} (backend ${ioLoop.get_backend()}); try: nc 127.0.0.1 ${bound}`);
try {
    ioLoop.start();
} catch (e) {
    printerr(`the loop failed: ${e.message}`);
    System.exit(1);
}
