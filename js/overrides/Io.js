// Io.js: the GJS override of the Io namespace (ioloop)
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS looks for overrides in the `overrides` directories of its search path
// ($GJS_PATH, then $XDG_DATA_DIRS/gjs-1.0, then its own datadir) when a
// namespace is first imported, by `imports.gi.Io` and by
// `import Io from 'gi://Io'` alike, and calls _init() with the namespace as
// `this`. This one makes the loop work the way JavaScript programs expect:
//
// - start() and iteration() host the global default GMainContext while they
//   run, unless the loop hosts it already or is attached to it: GJS runs its
//   Promise jobs (`await`, `.then()`) from a source of that context, so
//   without it they would wait until the loop stops.
// - Promise forms: sleep(), wait_readable(), wait_writable(), wait_fd() and
//   run_until_complete(); on Io.Stream, read_until_async(),
//   read_bytes_async(), read_until_close_async(), flush_async() and
//   Io.Stream.connect_tcp_async(), named as Gio's Promise forms are.
// - Argument checks: file descriptors must be integers or objects with
//   get_fd() (GJS would turn anything else into 0, stdin); a Date or a
//   GLib.DateTime is accepted as a deadline; callbacks must be functions;
//   a stream's delimiter and written data may be strings (UTF-8).
// - An exception thrown by a callback keeps its JavaScript value: handlers
//   of callback-exception get the thrown object itself, and when the default
//   class handler logs it, its JavaScript stack is logged too.
//
// C callers are not affected: the C library's defaults do not change.

const {GLib, Gio} = imports.gi;

let Io;

/** This file, as its frames appear in stacks. */
const _ownFile = /@(.*):\d+:\d+$/.exec(new Error().stack.split('\n')[0])?.[1] ?? '';

const STATE = Symbol('ioloop JavaScript state');
const INT_MAX = 2 ** 31 - 1;

/** The JavaScript-side state of a loop, kept on its wrapper. */
function _state(loop) {
    let state = loop[STATE];
    if (state === undefined) {
        state = {
            hosted: null,           // contexts this start()/iteration() hosts
            fdObjects: new Map(),   // fd -> object given to add_handler()
            waiters: new Map(),     // fd -> wait_fd() waiters on that fd
            inFlight: new Set(),    // sleep()/wait_fd() operations, for close()
            thrown: null,           // {value} a callback threw, until reported
            stackReporter: 0,       // connect_after() id of _reportStack
            warnedInJob: false,     // start() warned about it
        };
        loop[STATE] = state;
    }
    return state;
}

function _describe(value) {
    if (value === null || value === undefined)
        return String(value);
    switch (typeof value) {
    case 'string':
        return `the string ${JSON.stringify(value)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
        return `${typeof value} ${String(value)}`;
    case 'function':
        return 'a function';
    default: {
        const name = value.constructor?.name?.replace('_', '.');
        if (!name)
            return 'an object';
        return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
    }
    }
}

function _loopError(code, message) {
    return new GLib.Error(Io.LoopError, code, message);
}

// ---- arguments ------------------------------------------------------------

/** The fd number of an integer or of an object with get_fd(). */
function _fileno(fd) {
    let fileno = fd;
    if (fd !== null && typeof fd === 'object' && typeof fd.get_fd === 'function') {
        fileno = fd.get_fd();
        if (!Number.isInteger(fileno)) {
            throw new TypeError(`${_describe(fd)}'s get_fd() returned ${_describe(fileno)}, ` +
                'not an integer file descriptor');
        }
    } else if (!Number.isInteger(fd)) {
        throw new TypeError('Expected a file descriptor (an integer) or an object with ' +
            `get_fd(), got ${_describe(fd)}`);
    }
    if (fileno < -INT_MAX - 1 || fileno > INT_MAX)
        throw new RangeError(`File descriptor ${fileno} is out of range`);
    return fileno;
}

/** The fd under which fd was added: a closed Gio.Socket's get_fd() is -1. */
function _registeredFileno(loop, fd) {
    const fileno = _fileno(fd);
    if (typeof fd !== 'object')
        return fileno;
    const objects = _state(loop).fdObjects;
    if (fileno >= 0 && objects.get(fileno) === fd)
        return fileno;
    for (const [n, object] of objects) {
        if (object === fd)
            return n;
    }
    return fileno;
}

function _events(events) {
    if (!Number.isInteger(events) || events < 0 || events > INT_MAX)
        throw new TypeError(`Expected Io.Events flags, got ${_describe(events)}`);
    return events;
}

/** Unix time in seconds of a deadline: a number, a Date or a GLib.DateTime. */
function _deadline(deadline) {
    if (deadline instanceof Date)
        return deadline.getTime() / 1000;
    if (deadline instanceof GLib.DateTime)
        return deadline.to_unix() + deadline.get_microsecond() / 1e6;
    if (typeof deadline !== 'number') {
        throw new TypeError('Expected a deadline (Unix time in seconds, a Date or a ' +
            `GLib.DateTime), got ${_describe(deadline)}`);
    }
    return deadline;
}

/** Bytes of a string (UTF-8), a Uint8Array or a GLib.Bytes, as a Uint8Array. */
function _bytes(data, what) {
    if (typeof data === 'string')
        return new TextEncoder().encode(data);
    if (data instanceof Uint8Array)
        return data;
    if (data instanceof GLib.Bytes)
        return data.toArray();
    throw new TypeError(`Expected the ${what} as a string, a Uint8Array or a GLib.Bytes, ` +
        `got ${_describe(data)}`);
}

function _delimiter(delimiter) {
    const bytes = _bytes(delimiter, 'delimiter');
    if (bytes.length === 0)
        throw new RangeError('The delimiter is empty');
    return bytes;
}

/** A count of bytes, as a gsize takes it. */
function _count(count, what) {
    if (!Number.isSafeInteger(count) || count < 0)
        throw new TypeError(`Expected ${what} (an integer, 0 or more), got ${_describe(count)}`);
    return count;
}

function _seconds(seconds) {
    if (typeof seconds !== 'number')
        throw new TypeError(`Expected a delay in seconds, got ${_describe(seconds)}`);
    return seconds;
}

// ---- exceptions -------------------------------------------------------------

function _checkFunction(func, what = 'callback') {
    if (typeof func !== 'function')
        throw new TypeError(`The ${what} must be a function, not ${_describe(func)}`);
    return func;
}

/** func, as a callback that remembers what it throws (see _reportStack). */
function _guard(loop, func, what = 'callback') {
    _checkFunction(func, what);
    return function (...args) {
        try {
            func(...args);
        } catch (e) {
            _noteThrown(loop, e);
            throw e;      // GJS turns it into the callback's GError
        }
    };
}

// The loop emits callback-exception synchronously, right after the failing
// callback returns: what the callback threw is still the last thing thrown.
function _noteThrown(loop, value) {
    const state = _state(loop);
    state.thrown = {value};
    if (state.stackReporter === 0)
        state.stackReporter = _connectAfter.call(loop, 'callback-exception', _reportStack);
    // Forget it after this iteration, so that it is not kept alive.
    _addCallback.call(loop, () => {
        if (state.thrown?.value === value)
            state.thrown = null;
    });
}

/** Whether error is the GError that GJS made of the thrown value. */
function _isConversionOf(error, value) {
    if (value instanceof GLib.Error) {
        return error instanceof GLib.Error && error.matches(value.domain, value.code) &&
            error.message === value.message;
    }
    // Other values come back as a JS Error of the same name and message.
    if (!(error instanceof Error) || error instanceof GLib.Error)
        return false;
    if (value instanceof Object && typeof value.message === 'string' &&
        typeof value.name === 'string')
        return error.message === value.message;
    return true;
}

/** The thrown value that error stands for, or error itself. */
function _originalError(loop, error) {
    const thrown = loop[STATE]?.thrown;
    if (thrown && _isConversionOf(error, thrown.value))
        return thrown.value;
    return error;
}

/** Whether a JavaScript subclass reports exceptions its own way. */
function _hasOwnExceptionHandler(loop) {
    for (let proto = Object.getPrototypeOf(loop);
        proto && proto !== Io.Loop.prototype;
        proto = Object.getPrototypeOf(proto)) {
        if (Object.prototype.hasOwnProperty.call(proto, 'vfunc_handle_callback_exception'))
            return true;
    }
    return false;
}

// Runs after the class handler: when that was the default one, which logs
// only the message, logs the JavaScript stack of what was thrown.
function _reportStack(loop, error) {
    const thrown = loop[STATE]?.thrown;
    if (!thrown || !_isConversionOf(error, thrown.value) || _hasOwnExceptionHandler(loop))
        return;
    const value = thrown.value;
    if (!(value instanceof Object) || typeof value.stack !== 'string')
        return;
    // The frames of this file (the guard, start()) say nothing to the reader.
    const stack = value.stack.split('\n')
        .filter(frame => frame !== '' && !frame.includes(`@${_ownFile}:`));
    if (stack.length === 0)
        return;
    GLib.log_structured('IoLoop', GLib.LogLevelFlags.LEVEL_WARNING, {
        MESSAGE: `Exception in callback: ${value}\nJavaScript stack:\n${stack.join('\n')}`,
    });
}

function _wrapExceptionHandler(loop, signal, handler) {
    if (typeof signal !== 'string' || signal.split('::')[0] !== 'callback-exception' ||
        typeof handler !== 'function')
        return handler;
    return function (emitter, error, ...rest) {
        return handler.call(this, emitter, _originalError(loop, error), ...rest);
    };
}

// ---- hosting the main context while the loop runs ---------------------------

/** Hosts the default and the thread-default contexts unless already hosted:
 * returns those it added. */
function _hostContexts(loop) {
    const added = [];
    const threadDefault = GLib.MainContext.get_thread_default();
    for (const context of threadDefault ? [null, threadDefault] : [null]) {
        try {
            if (_addMainContext.call(loop, context))
                added.push(context);
        } catch (e) {
            // EXISTS: hosted already (by the program, or it is the same
            // context twice); INVALID_ARGUMENT: the loop is attached to it;
            // CLOSED, FORKED: start() itself reports those.
            if (!(e instanceof GLib.Error) || !e.matches(Io.LoopError, e.code))
                throw e;
        }
    }
    return added;
}

function _unhostContexts(loop, hosted) {
    for (const context of hosted)
        _removeMainContext.call(loop, context);
}

/** Runs run() with the contexts hosted for its duration. */
function _withContexts(loop, run) {
    const state = _state(loop);
    const outer = state.hosted;
    const hosted = _hostContexts(loop);
    state.hosted = hosted;
    try {
        return run();
    } finally {
        state.hosted = outer;
        _unhostContexts(loop, hosted);
    }
}

/** Whether two GMainContexts (null: the default one) are the same. */
function _sameContext(a, b) {
    const probe = GLib.idle_source_new();
    const id = probe.attach(a);
    const same = (b ?? GLib.MainContext.default()).find_source_by_id(id) !== null;
    probe.destroy();
    return same;
}

/** Removes context from the contexts that start() hosts on its own, so
 * that the program's add/remove_main_context() decides about it. */
function _adoptHosted(loop, context) {
    const hosted = loop[STATE]?.hosted;
    if (!hosted)
        return false;
    const i = hosted.findIndex(c => _sameContext(c, context));
    if (i < 0)
        return false;
    hosted.splice(i, 1);
    return true;
}

/** Whether a Promise callback is running: GJS runs them from the
 * dispatch of its own source in the default main context, and does not run
 * them again until that dispatch returns. (The check depends on the name GJS
 * gives that source; should it change, the check only says false.) */
function _inPromiseJob() {
    return GLib.main_current_source()?.get_name() === 'GjsPromiseJobQueueSource';
}

const IN_JOB_MESSAGE = 'called from a Promise callback (a .then() callback, an async ' +
    'function after an await, or module code after a top-level await): GJS runs no ' +
    'other Promise callback until this one returns, so no await can resume while the ' +
    'loop runs. Run the loop from the top level of the program before any await, or from ' +
    'an ioloop or GLib callback.';

// ---- Promise forms ----------------------------------------------------------

function _cancelledError() {
    return new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'Operation was cancelled');
}

/** Calls fail() with the CANCELLED error when cancellable (nullable) is
 * cancelled. Returns stop(canDisconnect), which stops watching it. */
function _watchCancellable(cancellable, fail) {
    let cancelId = 0;
    const stop = canDisconnect => {
        if (cancelId === 0)
            return;
        const id = cancelId;
        cancelId = 0;
        // Not from the cancelled handler itself: that would deadlock.
        if (canDisconnect)
            cancellable.disconnect(id);
        else
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                cancellable.disconnect(id);
                return GLib.SOURCE_REMOVE;
            });
    };
    if (cancellable)
        cancelId = cancellable.connect(() => fail(_cancelledError()));
    return stop;
}

/** Registers an operation that close() and cancellable can end early, by
 * calling abort() and rejecting with reject(). Returns done(), which the
 * operation calls when it settled on its own. */
function _track(loop, reject, cancellable, abort) {
    const state = _state(loop);
    const op = {
        fail(error) {
            finish(false);
            abort();
            reject(error);
        },
    };
    const stopWatching = _watchCancellable(cancellable, error => op.fail(error));
    const finish = canDisconnect => {
        state.inFlight.delete(op);
        stopWatching(canDisconnect);
    };
    state.inFlight.add(op);
    return () => finish(true);
}

function _checkCancellable(cancellable) {
    if (cancellable !== null && !(cancellable instanceof Gio.Cancellable))
        throw new TypeError(`Expected a Gio.Cancellable or null, got ${_describe(cancellable)}`);
    if (cancellable?.is_cancelled())
        throw _cancelledError();
}

/** Resolves or drops the waiters of a wait_fd() handler. */
function _wakeWaiters(loop, waiters, revents) {
    for (const waiter of [...waiters.set]) {
        const ready = revents & (waiter.events | Io.Events.ERROR);
        if (ready !== 0) {
            waiters.set.delete(waiter);
            waiter.done();
            waiter.resolve(ready);
        }
    }
    _rearmWaiters(loop, waiters);
}

/** Makes the handler of a waited fd watch what its waiters wait for. */
function _rearmWaiters(loop, waiters) {
    const state = _state(loop);
    if (state.waiters.get(waiters.fd) !== waiters || loop.is_closed())
        return;
    let events = 0;
    for (const waiter of waiters.set)
        events |= waiter.events;
    if (events === 0) {
        state.waiters.delete(waiters.fd);
        _removeHandler.call(loop, waiters.fd);
    } else if (events !== waiters.events) {
        _updateHandler.call(loop, waiters.fd, events);
        waiters.events = events;
    }
}

function _waitFd(loop, fd, events, cancellable) {
    return new Promise((resolve, reject) => {
        const fileno = _fileno(fd);
        events = _events(events) & (Io.Events.READ | Io.Events.WRITE);
        if (events === 0)
            throw new TypeError('wait_fd() waits for Io.Events.READ or Io.Events.WRITE');
        _checkCancellable(cancellable);
        const state = _state(loop);
        let waiters = state.waiters.get(fileno);
        if (waiters === undefined) {
            waiters = {fd: fileno, events, set: new Set()};
            _addHandler.call(loop, fileno, events,
                (_fd, revents) => _wakeWaiters(loop, waiters, revents));
            state.waiters.set(fileno, waiters);
        }
        const waiter = {events, resolve, done: null};
        waiters.set.add(waiter);
        _rearmWaiters(loop, waiters);
        waiter.done = _track(loop, reject, cancellable, () => {
            waiters.set.delete(waiter);
            _rearmWaiters(loop, waiters);
        });
    });
}

// ---- Promise forms of Io.Stream ---------------------------------------------
//
// The C stream calls every callback exactly once (a closed stream, a closed
// loop included: the read then fails with G_IO_ERROR_CLOSED), except after
// io_stream_cancel_read(), which drops the pending read's callback: the
// cancel_read() of this override rejects the Promise that read stood for.

/** The JavaScript-side state of a stream, kept on its wrapper. */
function _streamState(stream) {
    let state = stream[STATE];
    if (state === undefined) {
        state = {read: null};     // the pending read of a *_async() method
        stream[STATE] = state;
    }
    return state;
}

/** A Promise of an operation of the C stream: start(resolve, reject) starts
 * it, abort() (nullable) stops it when cancellable is cancelled. */
function _streamPromise(cancellable, start, abort = null) {
    return new Promise((resolve, reject) => {
        _checkCancellable(cancellable);
        let settled = false, stopWatching = null;
        const settle = (canDisconnect, how, value) => {
            if (settled)
                return false;
            settled = true;
            stopWatching?.(canDisconnect);
            how(value);
            return true;
        };
        start(value => settle(true, resolve, value), error => settle(true, reject, error));
        if (!settled) {
            stopWatching = _watchCancellable(cancellable, error => {
                if (settle(false, reject, error))
                    abort?.();
            });
        }
    });
}

/** A Promise of a read: start(callback) starts it with the C callback. */
function _streamRead(stream, cancellable, start) {
    const state = _streamState(stream);
    let read = null;
    return _streamPromise(cancellable, (resolve, reject) => {
        // A second read fails with G_IO_ERROR_PENDING: the first stays the
        // pending one.
        if (!_isReading.call(stream))
            read = state.read = {reject};
        start((_stream, data, error) => {
            if (state.read === read)
                state.read = null;
            // The GBytes is the C stream's until the callback returns.
            if (error)
                reject(error);
            else
                resolve(data.toArray());
        });
    }, () => {
        if (read !== null && state.read === read) {
            state.read = null;
            _cancelRead.call(stream);
        }
    });
}

// ---- the original methods ---------------------------------------------------

let _addCallback, _addHandler, _updateHandler, _removeHandler, _addMainContext,
    _removeMainContext, _connectAfter, _isReading, _cancelRead;

function _init() {
    Io = this;
    const Loop = Io.Loop.prototype;
    const orig = {};
    for (const name of ['start', 'iteration', 'close', 'add_handler', 'update_handler',
        'remove_handler', 'has_handler', 'add_callback', 'add_timeout', 'call_later',
        'add_signal_handler', 'add_child_watch', 'add_main_context', 'remove_main_context',
        'connect', 'connect_after'])
        orig[name] = Loop[name];
    ({
        add_callback: _addCallback, add_handler: _addHandler, update_handler: _updateHandler,
        remove_handler: _removeHandler, add_main_context: _addMainContext,
        remove_main_context: _removeMainContext, connect_after: _connectAfter,
    } = orig);

    // -- running --

    Loop.start = function () {
        const state = _state(this);
        if (_inPromiseJob() && !state.warnedInJob && !this.is_running()) {
            state.warnedInJob = true;
            console.warn(`Io.Loop.start() was ${IN_JOB_MESSAGE}`);
        }
        return _withContexts(this, () => orig.start.call(this));
    };

    Loop.iteration = function (mayBlock) {
        return _withContexts(this, () => orig.iteration.call(this, mayBlock));
    };

    Loop.run_until_complete = function (awaitable) {
        if (this.is_closed())
            throw _loopError(Io.LoopError.CLOSED, 'The loop is closed');
        if (this.is_running())
            throw _loopError(Io.LoopError.RUNNING, 'The loop is already running');
        if (_inPromiseJob())
            throw new Error(`Io.Loop.run_until_complete() was ${IN_JOB_MESSAGE}`);
        const promise = Promise.resolve(typeof awaitable === 'function' ? awaitable() : awaitable);
        let outcome = null, running = false;
        const settle = result => {
            outcome = result;
            if (running)
                this.stop();
        };
        promise.then(value => settle({value}), error => settle({error}));
        running = true;
        try {
            _withContexts(this, () => orig.start.call(this));
        } finally {
            running = false;
        }
        if (outcome === null)
            throw new Error('The loop stopped before the promise settled');
        if ('error' in outcome)
            throw outcome.error;
        return outcome.value;
    };

    Loop.close = function (allFds = false) {
        const state = _state(this);
        orig.close.call(this, allFds);
        state.fdObjects.clear();
        state.waiters.clear();
        const error = _loopError(Io.LoopError.CLOSED, 'The loop was closed');
        for (const op of [...state.inFlight])
            op.fail(error);
    };

    Loop.add_main_context = function (context) {
        try {
            return orig.add_main_context.call(this, context);
        } catch (e) {
            if (e instanceof GLib.Error && e.matches(Io.LoopError, Io.LoopError.EXISTS) &&
                _adoptHosted(this, context))
                return true;
            throw e;
        }
    };

    Loop.remove_main_context = function (context) {
        _adoptHosted(this, context);
        return orig.remove_main_context.call(this, context);
    };

    // -- handlers, timeouts, callbacks --

    Loop.add_handler = function (fd, events, handler) {
        const fileno = _fileno(fd);
        const guarded = _guard(this, handler, 'handler');
        const ok = orig.add_handler.call(this, fileno, _events(events),
            (_fd, revents) => guarded(fd, revents));
        const objects = _state(this).fdObjects;
        if (typeof fd === 'object')
            objects.set(fileno, fd);
        else
            objects.delete(fileno);
        return ok;
    };

    Loop.update_handler = function (fd, events) {
        return orig.update_handler.call(this, _registeredFileno(this, fd), _events(events));
    };

    Loop.remove_handler = function (fd) {
        const fileno = _registeredFileno(this, fd);
        const ok = orig.remove_handler.call(this, fileno);
        _state(this).fdObjects.delete(fileno);
        return ok;
    };

    Loop.has_handler = function (fd) {
        return orig.has_handler.call(this, _registeredFileno(this, fd));
    };

    Loop.add_callback = function (callback) {
        return orig.add_callback.call(this, _guard(this, callback));
    };

    Loop.add_timeout = function (deadline, callback) {
        return orig.add_timeout.call(this, _deadline(deadline), _guard(this, callback));
    };

    Loop.call_later = function (delay, callback) {
        return orig.call_later.call(this, _seconds(delay), _guard(this, callback));
    };

    Loop.add_signal_handler = function (signum, handler) {
        return orig.add_signal_handler.call(this, signum, _guard(this, handler, 'handler'));
    };

    Loop.add_child_watch = function (pid, handler) {
        return orig.add_child_watch.call(this, pid, _guard(this, handler, 'handler'));
    };

    for (const [Type, name] of [[Io.PeriodicCallback, 'new'], [Io.Async, 'new']]) {
        const origNew = Type[name];
        Type[name] = function (loop, ...args) {
            const callback = args.pop();
            if (!(loop instanceof Io.Loop))
                throw new TypeError(`Expected an Io.Loop, got ${_describe(loop)}`);
            return origNew.call(this, loop, ...args, _guard(loop, callback));
        };
    }

    // -- exceptions --

    Loop.connect = function (signal, handler) {
        return orig.connect.call(this, signal, _wrapExceptionHandler(this, signal, handler));
    };

    Loop.connect_after = function (signal, handler) {
        return orig.connect_after.call(this, signal, _wrapExceptionHandler(this, signal, handler));
    };

    // -- Promise forms --

    Loop.sleep = function (seconds, cancellable = null) {
        return new Promise((resolve, reject) => {
            _checkCancellable(cancellable);
            let done = null;
            const timeout = orig.call_later.call(this, _seconds(seconds), () => {
                done();
                resolve();
            });
            done = _track(this, reject, cancellable, () => this.remove_timeout(timeout));
        });
    };

    Loop.wait_fd = function (fd, events, cancellable = null) {
        return _waitFd(this, fd, events, cancellable);
    };

    Loop.wait_readable = function (fd, cancellable = null) {
        return _waitFd(this, fd, Io.Events.READ, cancellable);
    };

    Loop.wait_writable = function (fd, cancellable = null) {
        return _waitFd(this, fd, Io.Events.WRITE, cancellable);
    };

    _initStream();
}

function _initStream() {
    const Stream = Io.Stream.prototype;
    const orig = {};
    for (const name of ['read_until', 'read_bytes', 'read_until_close', 'read_chunks',
        'cancel_read', 'is_reading', 'write', 'flush'])
        orig[name] = Stream[name];
    const origConnectTcp = Io.Stream.connect_tcp;
    ({is_reading: _isReading, cancel_read: _cancelRead} = orig);

    // -- argument checks of the callback forms --
    // (Their callbacks return nothing: GJS logs what they throw.)

    Stream.read_until = function (delimiter, maxBytes, callback) {
        return orig.read_until.call(this, _delimiter(delimiter), _count(maxBytes, 'max_bytes'),
            _checkFunction(callback));
    };

    Stream.read_bytes = function (nBytes, partial, callback) {
        return orig.read_bytes.call(this, _count(nBytes, 'a number of bytes'), Boolean(partial),
            _checkFunction(callback));
    };

    Stream.read_until_close = function (callback) {
        return orig.read_until_close.call(this, _checkFunction(callback));
    };

    Stream.read_chunks = function (callback) {
        return orig.read_chunks.call(this, _checkFunction(callback));
    };

    Stream.write = function (data) {
        return orig.write.call(this, _bytes(data, 'data'));
    };

    Stream.flush = function (callback) {
        return orig.flush.call(this, _checkFunction(callback));
    };

    Stream.cancel_read = function () {
        const state = _streamState(this);
        const read = state.read;
        state.read = null;
        const pending = orig.cancel_read.call(this);
        read?.reject(_cancelledError());
        return pending;
    };

    Io.Stream.connect_tcp = function (loop, host, port, callback) {
        if (!(loop instanceof Io.Loop))
            throw new TypeError(`Expected an Io.Loop, got ${_describe(loop)}`);
        return origConnectTcp.call(this, loop, _host(host), _port(port), _checkFunction(callback));
    };

    // -- Promise forms --

    Stream.read_until_async = function (delimiter, maxBytes = 0, cancellable = null) {
        const bytes = _delimiter(delimiter);
        _count(maxBytes, 'max_bytes');
        return _streamRead(this, cancellable,
            callback => orig.read_until.call(this, bytes, maxBytes, callback));
    };

    Stream.read_bytes_async = function (nBytes, partial = false, cancellable = null) {
        _count(nBytes, 'a number of bytes');
        return _streamRead(this, cancellable,
            callback => orig.read_bytes.call(this, nBytes, Boolean(partial), callback));
    };

    Stream.read_until_close_async = function (cancellable = null) {
        return _streamRead(this, cancellable,
            callback => orig.read_until_close.call(this, callback));
    };

    Stream.flush_async = function (cancellable = null) {
        // A flush cannot be stopped: cancelling only rejects.
        return _streamPromise(cancellable, (resolve, reject) => {
            orig.flush.call(this, (_stream, error) => (error ? reject(error) : resolve()));
        });
    };

    Io.Stream.connect_tcp_async = function (loop, host, port, cancellable = null) {
        if (!(loop instanceof Io.Loop))
            throw new TypeError(`Expected an Io.Loop, got ${_describe(loop)}`);
        host = _host(host);
        port = _port(port);
        let cancelled = false;
        return _streamPromise(cancellable, (resolve, reject) => {
            origConnectTcp.call(Io.Stream, loop, host, port, (stream, error) => {
                if (cancelled)
                    stream?.close();    // nobody takes it
                else if (error)
                    reject(error);
                else
                    resolve(stream);
            });
        }, () => {
            cancelled = true;   // a connect cannot be stopped: its stream is closed
        });
    };
}

function _host(host) {
    if (typeof host !== 'string')
        throw new TypeError(`Expected a host name or address (a string), got ${_describe(host)}`);
    return host;
}

function _port(port) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new TypeError(`Expected a TCP port (an integer, 0 to 65535), got ${_describe(port)}`);
    return port;
}
