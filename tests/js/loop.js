// loop.js: Io.Loop from GJS: construction, singleton, start/stop, close
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Io from 'gi://Io?version=1.0';
import {test, run, assert, assertEqual, assertThrows, forEachBackend, runLoop, isLoopError,
    BACKENDS} from './harness.js';

test('events have Tornado values', () => {
    assertEqual([Io.Events.READ, Io.Events.WRITE, Io.Events.ERROR], [0x1, 0x4, 0x18]);
});

test('list_backends lists the built backends, best first', () => {
    assert(BACKENDS.length >= 2, `backends: ${BACKENDS}`);
    assert(BACKENDS.includes('poll') && BACKENDS.includes('select'));
});

test('unknown backend is refused with NO_BACKEND', () => {
    assertThrows(() => Io.Loop.new_with_backend('no-such-backend'),
        e => isLoopError(e, Io.LoopError.NO_BACKEND));
});

test('instance() is a singleton created on demand', () => {
    Io.Loop.clear_instance();
    assert(!Io.Loop.initialized());
    const a = Io.Loop.instance();
    assert(Io.Loop.initialized());
    assert(a === Io.Loop.instance());
    a.close(false);
    Io.Loop.clear_instance();
});

test('install() makes a subclass instance the singleton and refuses a second', () => {
    const MyLoop = GObject.registerClass(class InstallLoop extends Io.Loop {});
    Io.Loop.clear_instance();
    const mine = new MyLoop();
    mine.install();
    assert(Io.Loop.instance() === mine);
    assert(Io.Loop.instance() instanceof MyLoop);
    const other = new Io.Loop();
    assertThrows(() => other.install(), e => isLoopError(e, Io.LoopError.ALREADY_INSTALLED));
    other.close(false);
    mine.close(false);
    Io.Loop.clear_instance();
});

forEachBackend('stop() from a callback ends start()', loop => {
    loop.add_callback(() => loop.stop());
    runLoop(loop);
    assert(!loop.is_running());
});

forEachBackend('stop() before start() makes start() return at once', loop => {
    loop.stop();
    runLoop(loop, 1);
});

forEachBackend('is_running() is true only inside start()', loop => {
    const seen = [];
    loop.add_callback(() => {
        seen.push(loop.is_running());
        loop.stop();
    });
    runLoop(loop);
    assertEqual(seen, [true]);
    assert(!loop.is_running());
});

forEachBackend('nested start() throws RUNNING', loop => {
    const errors = [];
    loop.add_callback(() => {
        try {
            loop.start();
        } catch (e) {
            errors.push(e);
        }
        loop.stop();
    });
    runLoop(loop);
    assertEqual(errors.length, 1);
    assert(isLoopError(errors[0], Io.LoopError.RUNNING), `${errors[0]}`);
});

forEachBackend('start() on a closed loop throws CLOSED', loop => {
    loop.close(false);
    assertThrows(() => loop.start(), e => isLoopError(e, Io.LoopError.CLOSED));
});

forEachBackend('close() from a callback ends start()', loop => {
    loop.add_callback(() => loop.close(false));
    runLoop(loop);
    assert(loop.is_closed());
});

forEachBackend('time() is Unix time', loop => {
    assert(Math.abs(loop.time() - GLib.get_real_time() / 1e6) < 1);
});

run();
