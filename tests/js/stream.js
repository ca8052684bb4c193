// stream.js: Io.Stream and Io.Listener from GJS, and the Promise forms of
// the Io override: read_until_async(), read_bytes_async(),
// read_until_close_async(), flush_async(), Io.Stream.connect_tcp_async()
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, assertThrows, forEachBackend, settle, socketErrorIsKept} from './harness.js';

const text = bytes =>
    new TextDecoder().decode(bytes instanceof Uint8Array ? bytes : bytes.toArray());

function isIoError(error, code) {
    return error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, code);
}

/** A listener on a free port whose accepted streams go to onStream. */
function listen(loop, onStream = () => {}) {
    return Io.Listener.new_tcp(loop, '127.0.0.1', 0, 8, Io.ListenerFlags.NONE,
        (_listener, stream) => {
            if (stream)
                onStream(stream);
        });
}

/** Connects to a new listener: [client stream, server stream]. */
async function connectedPair(loop) {
    let serverSide = null;
    const accepted = new Promise(resolve => {
        serverSide = resolve;
    });
    const listener = listen(loop, stream => serverSide(stream));
    const client = await Io.Stream.connect_tcp_async(loop, '127.0.0.1', listener.get_port());
    const server = await accepted;
    listener.close();
    return [client, server];
}

/** A port that nobody listens on. */
function closedPort(loop) {
    const listener = listen(loop);
    const port = listener.get_port();
    listener.close();
    return port;
}

/** Runs an async function to its end on loop; fails after 10 s. */
function runAsync(loop, fn) {
    const guard = loop.call_later(10, () => loop.stop());
    try {
        return loop.run_until_complete(fn());
    } finally {
        loop.remove_timeout(guard);
    }
}

/** The error a Promise rejects with (fails if it resolves). */
async function rejection(promise) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    throw new Error('the Promise resolved');
}

forEachBackend('connect_tcp_async(), then each read form and flush_async()', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        assert(client instanceof Io.Stream && server instanceof Io.Stream, 'not streams');
        client.write('hello\nworld\r\n0123456789');
        await client.flush_async();
        assertEqual(client.get_write_buffer_size(), 0);
        const hello = await server.read_until_async('\n');
        assert(hello instanceof Uint8Array, 'the data are not a Uint8Array');
        assertEqual(text(hello), 'hello\n');
        assertEqual(text(await server.read_until_async(new TextEncoder().encode('\r\n'))),
            'world\r\n');
        assertEqual(text(await server.read_bytes_async(4)), '0123');
        const some = text(await server.read_bytes_async(100, true));
        assert(some.length > 0 && '456789'.startsWith(some), `partial read got ${some}`);
        client.write(new GLib.Bytes(new TextEncoder().encode('the end')));
        client.close();
        const rest = text(await server.read_until_close_async());
        assertEqual(some + rest, '456789the end');
        assert(server.is_closed(), 'the server side is not closed');
    });
});

forEachBackend('a refused connect rejects with CONNECTION_REFUSED', (loop, backend) => {
    const port = closedPort(loop);
    const error = runAsync(loop, () =>
        rejection(Io.Stream.connect_tcp_async(loop, '127.0.0.1', port)));
    if (socketErrorIsKept(backend))
        assert(isIoError(error, Gio.IOErrorEnum.CONNECTION_REFUSED), `got ${error}`);
    else
        assert(error instanceof GLib.Error && error.domain === Gio.io_error_quark(), `got ${error}`);
});

forEachBackend('a read beyond max-buffer-size rejects with MESSAGE_TOO_LARGE and closes', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        server.set_max_buffer_size(1024);
        client.write(new Uint8Array(4096));
        const error = await rejection(server.read_until_async('\n'));
        assert(isIoError(error, Gio.IOErrorEnum.MESSAGE_TOO_LARGE), `got ${error}`);
        assert(server.is_closed(), 'the stream did not close');
        client.close();
    });
});

forEachBackend('reads and flushes that a close stops reject with CLOSED', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        // What the peer does not read stays queued: close() drops it.
        client.write(new Uint8Array(16 * 1024 * 1024));
        const flush = client.flush_async();
        client.close();
        let error = await rejection(flush);
        assert(isIoError(error, Gio.IOErrorEnum.CLOSED), `got ${error}`);
        for (const start of [() => client.read_until_async('\n'),
            () => client.read_bytes_async(1)]) {
            error = await rejection(start());
            assert(isIoError(error, Gio.IOErrorEnum.CLOSED), `got ${error}`);
        }
        // Everything there was; the dropped writes are never done.
        assertEqual(text(await client.read_until_close_async()), '');
        error = await rejection(client.flush_async());
        assert(isIoError(error, Gio.IOErrorEnum.CLOSED), `got ${error}`);
        // The end of the input before the delimiter, at the other end.
        server.set_max_buffer_size(32 * 1024 * 1024);
        error = await rejection(server.read_until_async('\n'));
        assert(isIoError(error, Gio.IOErrorEnum.CLOSED), `got ${error}`);
        assertThrows(() => client.write('late'),
            e => isIoError(e, Gio.IOErrorEnum.CLOSED));
    });
});

forEachBackend('close() while a read Promise is pending rejects it', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        const read = server.read_until_async('\n');
        await loop.sleep(0.01);
        server.close();
        const error = await rejection(read);
        assert(isIoError(error, Gio.IOErrorEnum.CLOSED), `got ${error}`);
        client.close();
    });
});

forEachBackend('closing the loop rejects a pending read Promise', loop => {
    const outcome = {};
    let read = null;
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        read = server.read_until_async('\n');
        read.then(() => (outcome.value = true), e => (outcome.error = e));
        client.close();
    });
    loop.close(false);
    const context = GLib.MainContext.default();
    for (let i = 0; i < 100 && !('error' in outcome || 'value' in outcome); i++)
        context.iteration(false);
    assert(isIoError(outcome.error, Gio.IOErrorEnum.CLOSED), `got ${outcome.error}`);
});

forEachBackend('a second read rejects with PENDING and the first goes on', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        const first = server.read_until_async('\n');
        const error = await rejection(server.read_bytes_async(1));
        assert(isIoError(error, Gio.IOErrorEnum.PENDING), `got ${error}`);
        client.write('line\n');
        assertEqual(text(await first), 'line\n');
        client.close();
        server.close();
    });
});

forEachBackend('cancel_read() and a cancellable reject with CANCELLED, keeping the data', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        const read = server.read_until_async('\n');
        assert(server.cancel_read(), 'no read was pending');
        let error = await rejection(read);
        assert(isIoError(error, Gio.IOErrorEnum.CANCELLED), `got ${error}`);
        assert(!server.is_reading(), 'still reading');

        const cancellable = new Gio.Cancellable();
        const cancelled = server.read_bytes_async(10, false, cancellable);
        client.write('12345');
        await client.flush_async();
        await loop.sleep(0.01);
        cancellable.cancel();
        error = await rejection(cancelled);
        assert(isIoError(error, Gio.IOErrorEnum.CANCELLED), `got ${error}`);
        assert(!server.is_reading(), 'the cancelled read is still pending');
        client.write('67890');
        assertEqual(text(await server.read_bytes_async(10)), '1234567890');

        const already = new Gio.Cancellable();
        already.cancel();
        error = await rejection(server.read_until_close_async(already));
        assert(isIoError(error, Gio.IOErrorEnum.CANCELLED), `got ${error}`);
        assert(!server.is_reading(), 'a cancelled cancellable started a read');
        client.close();
        server.close();
    });
});

forEachBackend('a cancelled connect_tcp_async() rejects and closes its stream', loop => {
    const listener = listen(loop);
    const cancellable = new Gio.Cancellable();
    const promise = Io.Stream.connect_tcp_async(loop, '127.0.0.1', listener.get_port(),
        cancellable);
    cancellable.cancel();
    const {error} = settle(loop, promise);
    assert(isIoError(error, Gio.IOErrorEnum.CANCELLED), `got ${error}`);
    listener.close();
});

forEachBackend('the Promise forms and callback forms check their arguments', loop => {
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        for (const bad of [() => server.read_until_async(''), () => server.read_until_async(7),
            () => server.read_until_async('\n', -1), () => server.read_bytes_async(-1),
            () => server.read_bytes_async('3'), () => server.read_until_async('\n', 0, {}),
            () => server.read_until('', 0, () => {}), () => server.read_until('\n', 0, 'f'),
            () => client.write(42),
            () => Io.Stream.connect_tcp_async(null, '127.0.0.1', 1),
            () => Io.Stream.connect_tcp_async(loop, 1, 1),
            () => Io.Stream.connect_tcp_async(loop, '127.0.0.1', 70000)]) {
            let error = null;
            try {
                await bad();
            } catch (e) {
                error = e;
            }
            assert(error instanceof TypeError || error instanceof RangeError,
                `${bad}: got ${error}`);
        }
        assert(!server.is_reading(), 'a refused call started a read');
        client.close();
        server.close();
    });
});

forEachBackend('the callback forms work, with strings', loop => {
    const seen = [];
    runAsync(loop, async () => {
        const [client, server] = await connectedPair(loop);
        await new Promise(resolve => {
            server.read_until('\n', 0, (_stream, data, error) => {
                seen.push(error ? error.message : text(data));
                resolve();
            });
            client.write('callback\n');
        });
        await new Promise(resolve => client.flush((_stream, error) => {
            seen.push(error);
            resolve();
        }));
        client.close();
        server.close();
    });
    assertEqual(seen, ['callback\n', null]);
});

run();
