// harness.js: a tiny TAP test harness for the GJS tests (`gjs -m`)
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   import {test, run, assert, assertEqual, runLoop} from './harness.js';
//   test('name', () => { ... });       // throw (or a failed assert) = not ok
//   run();                             // prints TAP, exits 1 if one failed

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import System from 'system';

const tests = [];

export function test(name, fn) {
    tests.push({name, fn});
}

export function skip(name, reason) {
    tests.push({name, fn: null, reason});
}

export class AssertionError extends Error {
    constructor(message) {
        super(message);
        this.name = 'AssertionError';
    }
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${message ? `${message}: ` : ''}expected ${e}, got ${a}`);
}

export function assertThrows(fn, check = () => true, message = 'expected an exception') {
    try {
        fn();
    } catch (e) {
        assert(check(e), `unexpected exception: ${e}`);
        return e;
    }
    throw new AssertionError(message);
}

function diag(text) {
    for (const line of String(text).split('\n'))
        print(`# ${line}`);
}

export function run() {
    let failed = 0;
    tests.forEach(({name, fn, reason}, i) => {
        const n = i + 1;
        if (fn === null) {
            print(`ok ${n} - ${name} # SKIP ${reason}`);
            return;
        }
        try {
            fn();
            print(`ok ${n} - ${name}`);
        } catch (e) {
            failed++;
            print(`not ok ${n} - ${name}`);
            diag(e);
            if (e && e.stack)
                diag(e.stack);
        }
    });
    print(`1..${tests.length}`);
    // Only on failure: GJS 1.74's System.exit() crashes while Promise
    // callbacks are queued, and a module that ends exits with 0.
    if (failed)
        System.exit(1);
}

/** Backends built into the library, best first. */
export const BACKENDS = Io.Loop.list_backends();

/** Calls fn(loop) with a new loop on every backend; closes it after. */
export function forEachBackend(name, fn) {
    for (const backend of BACKENDS) {
        test(`${name} [${backend}]`, () => {
            const loop = new Io.Loop({backend});
            assertEqual(loop.get_backend(), backend);
            try {
                fn(loop, backend);
            } finally {
                if (!loop.is_closed())
                    loop.close(false);
            }
        });
    }
}

/**
 * False where the backend may consume a socket's pending error: libkqueue
 * (kqueue emulated on Linux) reads SO_ERROR itself to report it in the
 * kevent's fflags, which clears it, so the connect check that follows
 * cannot tell why the connect failed. A BSD or macOS kqueue leaves it set.
 * Tests then check that the error is reported, not its cause.
 */
export function socketErrorIsKept(backend) {
    if (backend !== 'kqueue')
        return true;
    try {
        const [, maps] = GLib.file_get_contents('/proc/self/maps');
        return !new TextDecoder().decode(maps).includes('libkqueue.so');
    } catch (e) {
        return true;
    }
}

/** start()s the loop; fails if nothing stops it within timeout seconds. */
export function runLoop(loop, timeout = 5) {
    let timedOut = false;
    const guard = loop.call_later(timeout, () => {
        timedOut = true;
        loop.stop();
    });
    try {
        loop.start();
    } finally {
        loop.remove_timeout(guard);
    }
    assert(!timedOut, `the loop was not stopped within ${timeout} s`);
}

/** Whether a GLib.Error is Io.LoopError code. */
export function isLoopError(error, code) {
    return error instanceof GLib.Error && error.matches(Io.LoopError, code);
}

/** A connected pair of TCP sockets on the loopback (Gio.Socket, non-blocking). */
export function socketPair() {
    const family = Gio.SocketFamily.IPV4;
    const listener = Gio.Socket.new(family, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
    listener.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), true);
    listener.listen();
    const a = Gio.Socket.new(family, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
    a.connect(listener.get_local_address(), null);
    const b = listener.accept(null);
    listener.close();
    a.set_blocking(false);
    b.set_blocking(false);
    return [a, b];
}

/** Reads what is available on a readable fd (empty at end of stream). */
export function readSome(fd, count = 4096) {
    const stream = new Gio.UnixInputStream({fd, close_fd: false});
    return stream.read_bytes(count, null).toArray();
}

export function send(socket, text) {
    return socket.send(new TextEncoder().encode(text), null);
}

/** Runs a GJS script (legacy, `gjs -c`) in a child process with this
 * process's environment; returns [exit status, stdout, stderr]. */
export function runGjs(script, timeout = 30) {
    const proc = Gio.Subprocess.new(['timeout', String(timeout), 'gjs', '-c', script],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    const [, stdout, stderr] = proc.communicate_utf8(null, null);
    return [proc.get_exit_status(), stdout ?? '', stderr ?? ''];
}

/** What loop.run_until_complete(promise) returned ({value}) or threw ({error}). */
export function settle(loop, promise) {
    try {
        return {value: loop.run_until_complete(promise)};
    } catch (error) {
        return {error};
    }
}
