// exceptions.js: a JS exception in a callback becomes the GError of the
// `throws` callback: callback-exception is emitted and the loop goes on;
// handlers get the thrown object, and the default report its stack
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Io from 'gi://Io?version=1.0';
import {test, run, assert, assertEqual, forEachBackend, runLoop, socketPair, send,
    runGjs, BACKENDS} from './harness.js';

function schedule(loop, kind, fn, keep) {
    switch (kind) {
    case 'callback':
        loop.add_callback(fn);
        break;
    case 'timeout':
        loop.add_timeout(loop.time(), fn);
        break;
    case 'handler': {
        const [a, b] = socketPair();
        keep.push(a, b);
        loop.add_handler(a.get_fd(), Io.Events.READ, fd => {
            loop.remove_handler(fd);
            fn();
        });
        send(b, 'x');
        break;
    }
    case 'periodic': {
        const pc = Io.PeriodicCallback.new(loop, 5, () => {
            pc.stop();
            fn();
        });
        keep.push(pc);
        pc.start();
        break;
    }
    }
}

for (const kind of ['callback', 'timeout', 'handler', 'periodic']) {
    forEachBackend(`a throwing ${kind} emits callback-exception and the loop goes on`, loop => {
        const errors = [];
        const keep = [];
        loop.connect('callback-exception', (l, error) => errors.push(error));
        schedule(loop, kind, () => {
            throw new TypeError(`${kind} failed`);
        }, keep);
        let after = false;
        loop.call_later(0.05, () => {
            after = true;
            loop.stop();
        });
        runLoop(loop);
        assert(after, 'the loop stopped early');
        assertEqual(errors.length, 1);
        // GJS hands its own exceptions back as the JS object thrown.
        assert(errors[0] instanceof TypeError, `${errors[0]}`);
        assertEqual(errors[0].message, `${kind} failed`);
        keep.forEach(k => k.close?.());
    });
}

forEachBackend('handlers get the thrown object itself, with its stack', loop => {
    const seen = [];
    loop.connect('callback-exception', (l, error) => seen.push(['connect', error]));
    loop.connect_after('callback-exception', (l, error) => seen.push(['after', error]));
    let thrown = null;
    function failingCallback() {
        thrown = new RangeError('out of range');
        throw thrown;
    }
    loop.add_callback(failingCallback);
    loop.add_callback(() => loop.stop());
    runLoop(loop);
    assertEqual(seen.map(([how]) => how), ['connect', 'after']);
    for (const [how, error] of seen) {
        assert(error === thrown, `${how}: not the thrown object: ${error}`);
        assert(error.stack.includes('failingCallback@'), `${how}: ${error.stack}`);
    }
});

forEachBackend('a thrown GLib.Error reaches callback-exception as is', loop => {
    const errors = [];
    loop.connect('callback-exception', (l, error) => errors.push(error));
    const domain = GLib.quark_from_string('my-test-domain');
    loop.add_callback(() => {
        throw new GLib.Error(domain, 7, 'custom failure');
    });
    loop.add_callback(() => loop.stop());
    runLoop(loop);
    assertEqual(errors.length, 1);
    assert(errors[0] instanceof GLib.Error);
    assert(errors[0].matches(domain, 7));
    assertEqual(errors[0].message, 'custom failure');
});

const VfuncLoop = GObject.registerClass(class VfuncLoop extends Io.Loop {
    _init(params) {
        super._init(params);
        this.errors = [];
    }

    vfunc_handle_callback_exception(error) {
        this.errors.push(error);
    }
});

for (const backend of BACKENDS) {
    test(`a subclass overriding vfunc_handle_callback_exception is called [${backend}]`, () => {
        const loop = new VfuncLoop({backend});
        let handlerSaw = 0;
        loop.connect('callback-exception', () => handlerSaw++);
        loop.add_callback(() => {
            throw new Error('boom');
        });
        loop.add_callback(() => {
            throw new GLib.Error(Io.LoopError, Io.LoopError.FAILED, 'glib boom');
        });
        loop.add_callback(() => loop.stop());
        runLoop(loop);
        assertEqual(loop.errors.map(e => e.message), ['boom', 'glib boom']);
        assertEqual(handlerSaw, 2);
        loop.close(false);
    });
}

// The default class handler logs the message; the override adds the
// JavaScript stack of what was thrown, without its own frames.
function logOf(backend, prelude, kind) {
    const [status, stdout, stderr] = runGjs(`
        const {GLib, GObject, Io} = imports.gi;
        ${prelude}
        const loop = new LoopClass({backend: '${backend}'});
        function innerThrower() {
            throw new TypeError('thrown by ${kind}');
        }
        function outerCaller() {
            innerThrower();
        }
        loop.${kind === 'callback' ? 'add_callback(outerCaller)' : 'call_later(0, outerCaller)'};
        loop.call_later(0.01, () => loop.stop());
        loop.start();
        print('finished');
    `);
    assertEqual(status, 0, stderr);
    assert(stdout.trim().endsWith('finished'), stdout);
    return [stderr, stdout];
}

for (const backend of BACKENDS) {
    for (const kind of ['callback', 'timeout']) {
        test(`the default report of a ${kind}'s exception logs its JavaScript stack [${backend}]`, () => {
            const [log] = logOf(backend, 'const LoopClass = Io.Loop;', kind);
            assert(log.includes(`Exception in callback: thrown by ${kind}`), log);
            const stack = log.slice(log.indexOf('JavaScript stack:'));
            assert(/innerThrower@[^\n]*\nouterCaller@/.test(stack), log);
            assert(!/overrides\/Io\.js/.test(stack), `the override's frames are shown: ${log}`);
        });
    }

    test(`a subclass with its own handler gets no stack logged [${backend}]`, () => {
        const [log, out] = logOf(backend, `
            const LoopClass = GObject.registerClass(class QuietLoop extends Io.Loop {
                vfunc_handle_callback_exception(error) {
                    print(\`handled: \${error.message}\`);
                }
            });`, 'callback');
        assert(out.includes('handled: thrown by callback'), out);
        assert(!log.includes('JavaScript stack'), log);
        assert(!log.includes('thrown by'), log);
    });
}

forEachBackend('report_exception() emits callback-exception', loop => {
    const errors = [];
    loop.connect('callback-exception', (l, error) => errors.push(error.message));
    loop.report_exception(new GLib.Error(Io.LoopError, Io.LoopError.FAILED, 'reported'));
    assertEqual(errors, ['reported']);
});

run();
