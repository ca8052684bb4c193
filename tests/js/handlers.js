// handlers.js: fd handlers from GJS
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, assertThrows, forEachBackend, runLoop, isLoopError,
    socketPair, readSome, send} from './harness.js';

forEachBackend('a handler gets (fd, events) when its fd is readable', loop => {
    const [a, b] = socketPair();
    const calls = [];
    loop.add_handler(a.get_fd(), Io.Events.READ, (fd, events) => {
        calls.push([fd, events, new TextDecoder().decode(readSome(fd))]);
        loop.stop();
    });
    send(b, 'hi');
    runLoop(loop);
    assertEqual(calls, [[a.get_fd(), Io.Events.READ, 'hi']]);
    a.close();
    b.close();
});

forEachBackend('WRITE events and update_handler()', loop => {
    const [a, b] = socketPair();
    const seen = [];
    loop.add_handler(a.get_fd(), Io.Events.WRITE, (fd, events) => {
        seen.push(events);
        if (events & Io.Events.WRITE) {
            loop.update_handler(fd, Io.Events.READ);
            send(b, 'x');
        } else {
            readSome(fd);
            loop.stop();
        }
    });
    runLoop(loop);
    assertEqual(seen, [Io.Events.WRITE, Io.Events.READ]);
    a.close();
    b.close();
});

forEachBackend('level-triggered: an unread fd is reported again', loop => {
    const [a, b] = socketPair();
    let count = 0;
    loop.add_handler(a.get_fd(), Io.Events.READ, () => {
        if (++count === 3)
            loop.stop();
    });
    send(b, 'x');
    runLoop(loop);
    assertEqual(count, 3);
    a.close();
    b.close();
});

forEachBackend('remove_handler() stops the calls', loop => {
    const [a, b] = socketPair();
    let count = 0;
    loop.add_handler(a.get_fd(), Io.Events.READ, () => count++);
    send(b, 'x');
    loop.remove_handler(a.get_fd());
    assert(!loop.has_handler(a.get_fd()));
    loop.call_later(0.05, () => loop.stop());
    runLoop(loop);
    assertEqual(count, 0);
    a.close();
    b.close();
});

forEachBackend('bad fds get clear errors', loop => {
    const [a, b] = socketPair();
    assertThrows(() => loop.add_handler(-1, Io.Events.READ, () => {}),
        e => isLoopError(e, Io.LoopError.INVALID_ARGUMENT));
    loop.add_handler(a.get_fd(), Io.Events.READ, () => {});
    assertThrows(() => loop.add_handler(a.get_fd(), Io.Events.READ, () => {}),
        e => isLoopError(e, Io.LoopError.EXISTS));
    assertThrows(() => loop.update_handler(b.get_fd(), Io.Events.READ),
        e => isLoopError(e, Io.LoopError.NOT_FOUND));
    assertThrows(() => loop.remove_handler(b.get_fd()),
        e => isLoopError(e, Io.LoopError.NOT_FOUND));
    loop.remove_handler(a.get_fd());
    a.close();
    b.close();
});

run();
