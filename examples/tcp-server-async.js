// tcp-server-async.js: the echo server of tcp-server.js, written with
// async/await on the Io override's Promise forms
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One async function accepts connections, one per connection echoes what it
// reads: each waits for its socket with loop.wait_readable() and
// loop.wait_writable(). An idle connection is closed after IDLE_SECONDS.
//
//   gjs -m tcp-server-async.js [PORT]  (default 8888; 0 picks a free port)
//
// Uninstalled, from the build tree:
//   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
//   GJS_PATH=$srcdir/js gjs -m $srcdir/examples/tcp-server-async.js
// Ctrl-C stops it.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import System from 'system';

const port = ARGV.length > 0 ? Number.parseInt(ARGV[0], 10) : 8888;
const IDLE_SECONDS = 60;
const loop = Io.Loop.instance();

function wouldBlock(e) {
    return e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.WOULD_BLOCK);
}

/** Resolves to true when socket is readable, false after seconds. */
async function readableWithin(socket, seconds) {
    const cancellable = new Gio.Cancellable();
    const timer = loop.call_later(seconds, () => cancellable.cancel());
    try {
        await loop.wait_readable(socket, cancellable);
        return true;
    } catch (e) {
        if (cancellable.is_cancelled())
            return false;
        throw e;
    } finally {
        loop.remove_timeout(timer);
    }
}

async function sendAll(socket, data) {
    while (data.length > 0) {
        try {
            data = data.subarray(socket.send(data, null));
        } catch (e) {
            if (!wouldBlock(e))
                throw e;
            await loop.wait_writable(socket);
        }
    }
}

async function echo(connection) {
    const input = new Gio.UnixInputStream({fd: connection.get_fd(), close_fd: false});
    try {
        while (await readableWithin(connection, IDLE_SECONDS)) {
            const data = input.read_bytes(65536, null).toArray();
            if (data.length === 0)
                break;      // the client closed its side
            await sendAll(connection, data);
        }
    } finally {
        connection.close();
    }
}

async function serve(listener) {
    for (;;) {
        await loop.wait_readable(listener);
        for (;;) {
            let connection;
            try {
                connection = listener.accept(null);
            } catch (e) {
                if (wouldBlock(e))
                    break;
                throw e;
            }
            connection.set_blocking(false);
            echo(connection).catch(e => logError(e, 'connection failed'));
        }
    }
}

const listener = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM,
    Gio.SocketProtocol.TCP);
listener.set_blocking(false);
listener.bind(Gio.InetSocketAddress.new_from_string('0.0.0.0', port), true);
listener.set_listen_backlog(128);
listener.listen();
const bound = listener.get_local_address().get_port();
print(`ioloop async echo server listening on port ${bound} (backend ${loop.get_backend()}); ` +
    `try: nc 127.0.0.1 ${bound}`);
try {
    loop.run_until_complete(serve(listener));
} catch (e) {
    printerr(`the server failed: ${e.message}`);
    System.exit(1);
}
