// periodic.js: Io.PeriodicCallback from GJS
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Io from 'gi://Io?version=1.0';
import {run, assert, assertEqual, forEachBackend, runLoop} from './harness.js';

forEachBackend('a periodic callback runs every interval until stopped', loop => {
    const stamps = [];
    const pc = Io.PeriodicCallback.new(loop, 10, () => {
        stamps.push(GLib.get_monotonic_time());
        if (stamps.length === 5) {
            pc.stop();
            loop.stop();
        }
    });
    assert(!pc.is_running());
    assertEqual(pc.get_interval(), 10);
    assert(pc.get_loop() === loop);
    pc.start();
    assert(pc.is_running());
    runLoop(loop);
    assert(!pc.is_running());
    assertEqual(stamps.length, 5);
    assert(stamps[4] - stamps[0] >= 30000, `span ${stamps[4] - stamps[0]} us`);
});

forEachBackend('a throwing periodic callback keeps running', loop => {
    let calls = 0;
    let errors = 0;
    loop.connect('callback-exception', () => errors++);
    const pc = Io.PeriodicCallback.new(loop, 5, () => {
        if (++calls === 3)
            loop.stop();
        throw new Error('tick failed');
    });
    pc.start();
    runLoop(loop);
    pc.stop();
    assertEqual([calls, errors], [3, 3]);
});

forEachBackend('missed runs are skipped, not bunched', loop => {
    const stamps = [];
    const pc = Io.PeriodicCallback.new(loop, 20, () => stamps.push(GLib.get_monotonic_time()));
    pc.start();
    loop.call_later(0.01, () => GLib.usleep(200000));
    loop.call_later(0.3, () => loop.stop());
    runLoop(loop);
    pc.stop();
    let close = 0;
    for (let i = 1; i < stamps.length; i++) {
        if (stamps[i] - stamps[i - 1] < 5000)
            close++;
    }
    assert(close <= 1, `gaps: ${stamps.map((s, i) => i ? s - stamps[i - 1] : 0)}`);
});

run();
