// tcp-echo-async.js: a line echo server on Io.Listener and Io.Stream,
// written with async/await on the Io override's Promise forms
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The listener hands each connection to echo(), one async function per
// connection, which reads a line with read_until_async(), writes it back
// and waits with flush_async() until the client took it (so that a client
// that does not read cannot grow the server's memory). A connection is done
// when the client closes its side; a line longer than MAX_LINE closes it.
//
//   gjs -m tcp-echo-async.js [PORT]  (default 8888; 0 picks a free port)
//
// Uninstalled, from the build tree:
//   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
//   GJS_PATH=$srcdir/js gjs -m $srcdir/examples/tcp-echo-async.js
// Ctrl-C stops it.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Io from 'gi://Io?version=1.0';
import System from 'system';

const port = ARGV.length > 0 ? Number.parseInt(ARGV[0], 10) : 8888;
const MAX_LINE = 64 * 1024;
const loop = Io.Loop.instance();

/** Whether error is only the end of the connection. */
function isClosed(error) {
    return error instanceof GLib.Error &&
        (error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED) ||
         error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED));
}

async function echo(stream) {
    try {
        for (;;) {
            const line = await stream.read_until_async('\n', MAX_LINE);
            stream.write(line);
            await stream.flush_async();
        }
    } catch (e) {
        if (!isClosed(e))
            printerr(`connection failed: ${e.message}`);
    } finally {
        stream.close();
    }
}

let listener;
try {
    listener = Io.Listener.new_tcp(loop, '0.0.0.0', port, 128, Io.ListenerFlags.NONE,
        (_listener, stream, error) => {
            if (stream)
                echo(stream);
            else
                printerr(`accept failed: ${error.message}`);
        });
} catch (e) {
    printerr(`cannot listen on port ${port}: ${e.message}`);
    System.exit(1);
}
const bound = listener.get_port();
print(`ioloop async stream echo server listening on port ${bound} ` +
    `(backend ${loop.get_backend()}); try: nc 127.0.0.1 ${bound}`);
loop.start();
