// async.js: await and Promises under Io.Loop, through the Io override:
// start() and iteration() run Promise callbacks; sleep(), wait_fd() and
// run_until_complete()
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Io from 'gi://Io?version=1.0';
import {test, run, assert, assertEqual, forEachBackend, runLoop, isLoopError, socketPair,
    readSome, send, settle, runGjs} from './harness.js';

Gio._promisify(Gio.File.prototype, 'load_contents_async', 'load_contents_finish');

const thisFile = GLib.filename_from_uri(import.meta.url)[0];

function isCancelled(e) {
    return e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
}

test('the override is loaded', () => {
    assertEqual(typeof Io.Loop.prototype.run_until_complete, 'function');
});

// ---- start() runs Promise callbacks -------------------------------------

forEachBackend('await resumes under start() with no other call', loop => {
    const sleep = s => new Promise(resolve => loop.call_later(s, resolve));
    const seen = [];
    (async () => {
        await sleep(0.01);
        seen.push('first');
        await sleep(0.01);
        seen.push('second');
        loop.stop();
    })();
    runLoop(loop);
    assertEqual(seen, ['first', 'second']);
    assert(!loop.remove_main_context(null), 'start() left the default context hosted');
});

forEachBackend('Promise.then() callbacks run under start()', loop => {
    const seen = [];
    Promise.resolve(1).then(v => seen.push(v)).then(() => loop.stop());
    runLoop(loop);
    assertEqual(seen, [1]);
});

forEachBackend('a Gio asynchronous call awaited under start() completes', loop => {
    let contents = null;
    (async () => {
        const [bytes] = await Gio.File.new_for_path(thisFile).load_contents_async(null);
        contents = new TextDecoder().decode(bytes);
        loop.stop();
    })();
    runLoop(loop);
    assert(contents?.includes('a Gio asynchronous call awaited'), 'the file was not read');
});

forEachBackend('GLib.timeout_add() sources run under start()', loop => {
    let fired = false;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
        fired = true;
        loop.stop();
        return GLib.SOURCE_REMOVE;
    });
    runLoop(loop);
    assert(fired);
});

forEachBackend('a pushed thread-default context is hosted too', loop => {
    const context = new GLib.MainContext();
    context.push_thread_default();
    try {
        let fired = false;
        const source = GLib.timeout_source_new(10);
        source.set_callback(() => {
            fired = true;
            loop.stop();
            return GLib.SOURCE_REMOVE;
        });
        source.attach(context);
        runLoop(loop);
        assert(fired);
        assert(!loop.remove_main_context(context), 'start() left it hosted');
    } finally {
        context.pop_thread_default();
    }
});

forEachBackend('iteration() runs Promise callbacks', loop => {
    let ran = false;
    Promise.resolve().then(() => {
        ran = true;
    });
    loop.iteration(false);
    assert(ran);
});

forEachBackend('a context the program hosts stays hosted after start()', loop => {
    loop.add_main_context(null);
    loop.add_callback(() => loop.stop());
    runLoop(loop);
    assert(loop.remove_main_context(null));
});

forEachBackend('add_main_context() inside start() hosts the context for good', loop => {
    loop.add_callback(() => {
        assert(loop.add_main_context(null));
        loop.stop();
    });
    runLoop(loop);
    assert(loop.remove_main_context(null), 'the context the program added was removed');
});

forEachBackend('remove_main_context() inside start() is the program\'s to make', loop => {
    const removed = [];
    loop.add_callback(() => {
        removed.push(loop.remove_main_context(null));
        loop.stop();
    });
    runLoop(loop);
    assertEqual(removed, [true]);
    assert(!loop.remove_main_context(null));
});

forEachBackend('start() of a loop attached to the default context does not host it', loop => {
    loop.attach(null);
    let ran = false;
    loop.add_callback(() => {
        ran = true;
        loop.stop();
    });
    runLoop(loop);
    assert(ran);
    assert(loop.detach());
    assert(!loop.remove_main_context(null));
});

// ---- sleep() ---------------------------------------------------------------

forEachBackend('sleep() resolves after its delay', loop => {
    const start = GLib.get_monotonic_time();
    let elapsed = -1;
    loop.sleep(0.05).then(value => {
        assertEqual(value, undefined);
        elapsed = (GLib.get_monotonic_time() - start) / 1e6;
        loop.stop();
    });
    runLoop(loop);
    assert(elapsed >= 0.04, `elapsed ${elapsed}`);
});

forEachBackend('sleep() is cancelled by its Gio.Cancellable', loop => {
    const cancellable = new Gio.Cancellable();
    const outcome = [];
    loop.sleep(0.02, cancellable).then(() => outcome.push('resolved'), e => outcome.push(e));
    cancellable.cancel();
    loop.call_later(0.1, () => loop.stop());
    runLoop(loop);
    assertEqual(outcome.length, 1);
    assert(isCancelled(outcome[0]), `${outcome[0]}`);
    const again = settle(loop, loop.sleep(0.01, cancellable));
    assert(isCancelled(again.error), 'a cancelled cancellable did not reject at once');
});

forEachBackend('sleep() refuses a non-number delay', loop => {
    const outcome = settle(loop, loop.sleep('1'));
    assert(outcome.error instanceof TypeError, `${outcome.error}`);
});

// ---- wait_fd() -------------------------------------------------------------

forEachBackend('wait_readable() resolves when data arrives, then removes its handler', loop => {
    const [a, b] = socketPair();
    loop.call_later(0.02, () => send(b, 'hi'));
    const events = settle(loop, loop.wait_readable(a)).value;
    assertEqual(events, Io.Events.READ);
    assert(!loop.has_handler(a.get_fd()), 'the handler was left behind');
    assertEqual(new TextDecoder().decode(readSome(a.get_fd())), 'hi');
    a.close();
    b.close();
});

forEachBackend('wait_writable() resolves for a writable socket', loop => {
    const [a, b] = socketPair();
    assertEqual(settle(loop, loop.wait_writable(a.get_fd())).value, Io.Events.WRITE);
    a.close();
    b.close();
});

forEachBackend('waits for READ and WRITE on one fd share its handler', loop => {
    const [a, b] = socketPair();
    const seen = [];
    const reading = loop.wait_readable(a).then(ev => seen.push(['read', ev]));
    const writing = loop.wait_writable(a).then(ev => {
        seen.push(['write', ev]);
        send(b, 'x');
    });
    settle(loop, Promise.all([reading, writing]));
    assertEqual(seen, [['write', Io.Events.WRITE], ['read', Io.Events.READ]]);
    assert(!loop.has_handler(a));
    a.close();
    b.close();
});

forEachBackend('wait_fd() on an fd that has a handler rejects with EXISTS', loop => {
    const [a, b] = socketPair();
    loop.add_handler(a, Io.Events.READ, () => {});
    const outcome = settle(loop, loop.wait_readable(a));
    assert(isLoopError(outcome.error, Io.LoopError.EXISTS), `${outcome.error}`);
    loop.remove_handler(a);
    a.close();
    b.close();
});

forEachBackend('a cancelled wait_fd() rejects with CANCELLED and removes its handler', loop => {
    const [a, b] = socketPair();
    const cancellable = new Gio.Cancellable();
    loop.call_later(0.01, () => cancellable.cancel());
    const outcome = settle(loop, loop.wait_readable(a, cancellable));
    assert(isCancelled(outcome.error), `${outcome.error}`);
    assert(!loop.has_handler(a));
    a.close();
    b.close();
});

forEachBackend('close() rejects pending sleep() and wait_fd() with CLOSED', loop => {
    const [a, b] = socketPair();
    const outcomes = [];
    loop.sleep(10).catch(e => outcomes.push(e));
    loop.wait_readable(a).catch(e => outcomes.push(e));
    loop.close(false);
    // The rejections run as Promise callbacks: any loop that runs them.
    const other = new Io.Loop();
    other.run_until_complete(other.sleep(0));
    other.close(false);
    assertEqual(outcomes.length, 2);
    assert(outcomes.every(e => isLoopError(e, Io.LoopError.CLOSED)), `${outcomes}`);
    a.close();
    b.close();
});

// ---- run_until_complete() ------------------------------------------------

forEachBackend('run_until_complete() returns what the promise resolves to', loop => {
    assertEqual(loop.run_until_complete(loop.sleep(0.01).then(() => 42)), 42);
    assertEqual(loop.run_until_complete(Promise.resolve('ready')), 'ready');
    assertEqual(loop.run_until_complete('not a promise'), 'not a promise');
    assert(!loop.is_running());
});

forEachBackend('run_until_complete() runs an async function', loop => {
    const value = loop.run_until_complete(async () => {
        await loop.sleep(0.01);
        await loop.sleep(0.01);
        return 'done';
    });
    assertEqual(value, 'done');
});

forEachBackend('run_until_complete() throws what the promise rejects with', loop => {
    const outcome = settle(loop, async () => {
        await loop.sleep(0.01);
        throw new RangeError('no');
    });
    assert(outcome.error instanceof RangeError, `${outcome.error}`);
    assertEqual(outcome.error.message, 'no');
});

forEachBackend('run_until_complete() throws if the loop stops first', loop => {
    loop.call_later(0.01, () => loop.stop());
    const outcome = settle(loop, loop.sleep(5));
    assert(outcome.error instanceof Error && /stopped before/.test(outcome.error.message),
        `${outcome.error}`);
});

forEachBackend('run_until_complete() refuses a running or closed loop', loop => {
    let inner = null;
    loop.add_callback(() => {
        inner = settle(loop, Promise.resolve());
        loop.stop();
    });
    runLoop(loop);
    assert(isLoopError(inner.error, Io.LoopError.RUNNING), `${inner.error}`);
    loop.close(false);
    let called = false;
    const closed = settle(loop, () => {
        called = true;
    });
    assert(isLoopError(closed.error, Io.LoopError.CLOSED), `${closed.error}`);
    assert(!called, 'the function ran on a closed loop');
});

forEachBackend('run_until_complete() from a Promise callback fails clearly, not hangs', loop => {
    // GJS does not run Promise callbacks while one runs: the inner loop
    // could never see its promise settle.
    const outer = new Io.Loop();
    let inner = null;
    const job = Promise.resolve().then(() => {
        inner = settle(loop, () => loop.sleep(0.01));
    });
    outer.run_until_complete(job);
    outer.close(false);
    assert(inner.error instanceof Error && /Promise callback/.test(inner.error.message),
        `${inner.error}`);
});

test('start() from a Promise callback warns that Promises cannot run', () => {
    const [status, stdout, stderr] = runGjs(`
        const Io = imports.gi.Io;
        const loop = new Io.Loop();
        Promise.resolve().then(() => {
            loop.call_later(0.2, () => loop.stop());
            loop.start();
            print('returned');
        });
        const outer = new Io.Loop();
        outer.run_until_complete(outer.sleep(0.5));
    `);
    assertEqual(status, 0);
    assertEqual(stdout.trim(), 'returned');
    assert(/Io\.Loop\.start\(\) was called from a Promise callback/.test(stderr), stderr);
});

run();
