// callbacks.js: add_callback and IoAsync from GJS; callbacks only ever run
// on the loop's thread (GJS would refuse, with a critical that
// G_DEBUG=fatal-criticals makes fatal, a JS callback on another thread)
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, forEachBackend, runLoop, socketPair, readSome,
    send} from './harness.js';

forEachBackend('callbacks run in order on the next iteration', loop => {
    const order = [];
    for (let i = 0; i < 10; i++)
        loop.add_callback(() => order.push(i));
    loop.add_callback(() => loop.stop());
    assertEqual(order, []);
    runLoop(loop);
    assertEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

forEachBackend('a callback added by a callback waits for the next iteration', loop => {
    const [a, b] = socketPair();
    const events = [];
    let n = 0;
    const spin = () => {
        events.push('cb');
        if (++n < 5)
            loop.add_callback(spin);
        else
            loop.stop();
    };
    loop.add_handler(a.get_fd(), Io.Events.READ, fd => {
        events.push('io');
        readSome(fd);
    });
    send(b, 'x');
    loop.add_callback(spin);
    runLoop(loop);
    assert(events.indexOf('io') > 0 && events.indexOf('io') < events.length - 1, events.join());
    a.close();
    b.close();
});

forEachBackend('every kind of callback runs, all of them on the loop thread', loop => {
    // Handlers, timeouts, callbacks, periodic callbacks and async wake-ups,
    // many of each: a single one called on another thread would be refused
    // by GJS (and abort the test under G_DEBUG=fatal-criticals).
    const [a, b] = socketPair();
    const counts = {handler: 0, timeout: 0, callback: 0, periodic: 0, async: 0};
    loop.add_handler(a.get_fd(), Io.Events.READ, fd => {
        counts.handler++;
        readSome(fd);
    });
    const asyncHandle = Io.Async.new(loop, () => counts.async++);
    for (let i = 0; i < 50; i++) {
        loop.call_later(i * 0.001, () => {
            counts.timeout++;
            send(b, 'x');
            asyncHandle.send();
        });
        loop.add_callback(() => counts.callback++);
    }
    const periodic = Io.PeriodicCallback.new(loop, 5, () => counts.periodic++);
    periodic.start();
    loop.call_later(0.15, () => loop.stop());
    runLoop(loop);
    periodic.stop();
    asyncHandle.close();
    assertEqual(counts.timeout, 50);
    assertEqual(counts.callback, 50);
    assert(counts.handler >= 1, `handler ran ${counts.handler} times`);
    assert(counts.async >= 1, `async ran ${counts.async} times`);
    assert(counts.periodic >= 5, `periodic ran ${counts.periodic} times`);
    a.close();
    b.close();
});

forEachBackend('add_callback() on a closed loop is dropped', loop => {
    loop.close(false);
    let ran = false;
    loop.add_callback(() => {
        ran = true;
    });
    assert(!ran);
});

run();
