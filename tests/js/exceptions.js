// exceptions.js: a JS exception in a callback becomes the GError of the
// `throws` callback: callback-exception is emitted and the loop goes on
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Io from 'gi://Io?version=1.0';
import {test, run, assert, assertEqual, forEachBackend, runLoop, socketPair, send,
    BACKENDS} from './harness.js';

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

forEachBackend('report_exception() emits callback-exception', loop => {
    const errors = [];
    loop.connect('callback-exception', (l, error) => errors.push(error.message));
    loop.report_exception(new GLib.Error(Io.LoopError, Io.LoopError.FAILED, 'reported'));
    assertEqual(errors, ['reported']);
});

run();
