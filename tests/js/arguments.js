// arguments.js: what the Io override accepts from JavaScript: file
// descriptors (integers, objects with get_fd()), Date deadlines, functions
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, assertThrows, forEachBackend, runLoop, isLoopError,
    socketPair, readSome, send, settle} from './harness.js';

// Before the override GJS turned each of these into 0: stdin was watched.
const NOT_FDS = [undefined, null, 3.9, NaN, Infinity, '3', true, {}, [4],
    new Gio.MemoryInputStream(), {get_fd: () => 3.5}, {get_fd: () => '3'}];

function isTypeError(e) {
    return e instanceof TypeError && /file descriptor/.test(e.message);
}

forEachBackend('a value that is no fd is refused with a TypeError, and stdin is not watched', loop => {
    for (const fd of NOT_FDS) {
        assertThrows(() => loop.add_handler(fd, Io.Events.READ, () => {}), isTypeError,
            `add_handler(${String(fd)}) was accepted`);
        assertThrows(() => loop.update_handler(fd, Io.Events.READ), isTypeError);
        assertThrows(() => loop.remove_handler(fd), isTypeError);
        assertThrows(() => loop.has_handler(fd), isTypeError);
        const waited = settle(loop, loop.wait_readable(fd));
        assert(isTypeError(waited.error), `wait_readable(${String(fd)}): ${waited.error}`);
    }
    assert(!loop.has_handler(0), 'stdin is watched');
});

forEachBackend('the TypeError names what was given', loop => {
    const e = assertThrows(() => loop.add_handler(undefined, Io.Events.READ, () => {}));
    assert(/got undefined/.test(e.message), e.message);
    const e2 = assertThrows(() => loop.add_handler(3.9, Io.Events.READ, () => {}));
    assert(/number 3\.9/.test(e2.message), e2.message);
});

forEachBackend('an fd beyond the range of int is refused, not truncated', loop => {
    assertThrows(() => loop.add_handler(2 ** 32, Io.Events.READ, () => {}),
        e => e instanceof RangeError);
    assert(!loop.has_handler(0));
});

forEachBackend('a negative fd is refused by the loop', loop => {
    assertThrows(() => loop.add_handler(-1, Io.Events.READ, () => {}),
        e => isLoopError(e, Io.LoopError.INVALID_ARGUMENT));
});

forEachBackend('a Gio.Socket is accepted, and its handler gets it back', loop => {
    const [a, b] = socketPair();
    const seen = [];
    loop.add_handler(a, Io.Events.READ, (socket, events) => {
        seen.push([socket === a, events]);
        readSome(socket.get_fd());
        loop.stop();
    });
    assert(loop.has_handler(a) && loop.has_handler(a.get_fd()));
    loop.update_handler(a, Io.Events.READ);
    send(b, 'x');
    runLoop(loop);
    assertEqual(seen, [[true, Io.Events.READ]]);
    // Closed, its get_fd() is -1: the loop still knows which fd it was.
    a.close();
    loop.remove_handler(a);
    assert(!loop.has_handler(a));
    b.close();
});

forEachBackend('any object with get_fd() is accepted', loop => {
    const [a, b] = socketPair();
    const stream = new Gio.UnixInputStream({fd: a.get_fd(), close_fd: false});
    let got = null;
    loop.add_handler(stream, Io.Events.READ, s => {
        got = new TextDecoder().decode(s.read_bytes(10, null).toArray());
        loop.stop();
    });
    send(b, 'stream');
    runLoop(loop);
    assertEqual(got, 'stream');
    loop.remove_handler(stream);
    a.close();
    b.close();
});

forEachBackend('events must be Io.Events flags', loop => {
    const [a, b] = socketPair();
    for (const events of [undefined, 'READ', 1.5, -1]) {
        assertThrows(() => loop.add_handler(a, events, () => {}),
            e => e instanceof TypeError && /Io\.Events/.test(e.message));
    }
    assert(!loop.has_handler(a));
    a.close();
    b.close();
});

forEachBackend('callbacks must be functions', loop => {
    const isFunctionError = e => e instanceof TypeError && /must be a function/.test(e.message);
    assertThrows(() => loop.add_callback(undefined), isFunctionError);
    assertThrows(() => loop.call_later(0.1, 'soon'), isFunctionError);
    assertThrows(() => loop.add_timeout(loop.time(), null), isFunctionError);
    assertThrows(() => Io.PeriodicCallback.new(loop, 10, {}), isFunctionError);
    assertThrows(() => Io.Async.new(loop, 42), isFunctionError);
});

// ---- deadlines -----------------------------------------------------------

function timeToFire(loop, deadline) {
    const start = GLib.get_monotonic_time();
    let elapsed = -1;
    loop.add_timeout(deadline, () => {
        elapsed = (GLib.get_monotonic_time() - start) / 1e6;
        loop.stop();
    });
    runLoop(loop);
    return elapsed;
}

forEachBackend('a Date deadline means that time', loop => {
    const elapsed = timeToFire(loop, new Date(Date.now() + 50));
    assert(elapsed >= 0.03 && elapsed < 5, `elapsed ${elapsed}`);
});

forEachBackend('a Date in the past fires at once', loop => {
    const elapsed = timeToFire(loop, new Date(Date.now() - 60000));
    assert(elapsed >= 0 && elapsed < 5, `elapsed ${elapsed}`);
});

forEachBackend('a GLib.DateTime deadline means that time', loop => {
    const elapsed = timeToFire(loop, GLib.DateTime.new_now_utc().add_seconds(0.05));
    assert(elapsed >= 0.03 && elapsed < 5, `elapsed ${elapsed}`);
});

forEachBackend('an invalid Date or a non-time deadline is refused', loop => {
    assertThrows(() => loop.add_timeout(new Date('not a date'), () => {}),
        e => isLoopError(e, Io.LoopError.INVALID_ARGUMENT));
    assertThrows(() => loop.add_timeout('tomorrow', () => {}),
        e => e instanceof TypeError && /deadline/.test(e.message));
    assertThrows(() => loop.call_later(new Date(), () => {}),
        e => e instanceof TypeError && /delay/.test(e.message));
});

run();
