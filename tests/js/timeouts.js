// timeouts.js: timeouts from GJS
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, assertThrows, forEachBackend, runLoop,
    isLoopError} from './harness.js';

forEachBackend('add_timeout() fires at its Unix deadline', loop => {
    const start = GLib.get_monotonic_time();
    let elapsed = -1;
    loop.add_timeout(loop.time() + 0.05, () => {
        elapsed = (GLib.get_monotonic_time() - start) / 1e6;
        loop.stop();
    });
    runLoop(loop);
    assert(elapsed >= 0.04 && elapsed < 1, `elapsed ${elapsed}`);
});

forEachBackend('timeouts fire in deadline order', loop => {
    const order = [];
    const now = loop.time();
    for (const i of [3, 1, 2])
        loop.call_later(i * 0.01, () => order.push(i));
    loop.add_timeout(now + 0.05, () => loop.stop());
    runLoop(loop);
    assertEqual(order, [1, 2, 3]);
});

forEachBackend('remove_timeout() cancels; removing again is harmless', loop => {
    const fired = [];
    const handle = loop.call_later(0.01, () => fired.push('no'));
    assert(handle instanceof Io.Timeout);
    assert(handle.is_pending());
    loop.remove_timeout(handle);
    loop.remove_timeout(handle);
    assert(!handle.is_pending());
    loop.call_later(0.03, () => loop.stop());
    runLoop(loop);
    assertEqual(fired, []);
});

forEachBackend('non-finite deadlines are refused', loop => {
    for (const d of [NaN, Infinity, -Infinity]) {
        assertThrows(() => loop.add_timeout(d, () => {}),
            e => isLoopError(e, Io.LoopError.INVALID_ARGUMENT));
    }
});

run();
