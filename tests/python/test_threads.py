# test_threads.py: add_callback from other threads, one loop per thread
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time

import ioloop
from conftest import run_loop


def test_add_callback_from_many_threads_runs_each_once_on_the_loop_thread(loop):
    n_threads, per_thread = 4, 2000
    counts = {}
    threads_seen = set()
    loop_thread = threading.get_ident()
    done = threading.Event()

    def record(key):
        counts[key] = counts.get(key, 0) + 1
        threads_seen.add(threading.get_ident())
        if len(counts) == n_threads * per_thread:
            loop.stop()

    def producer(t):
        for i in range(per_thread):
            loop.add_callback(record, (t, i))
        done.set()
    workers = [threading.Thread(target=producer, args=(t,)) for t in range(n_threads)]
    loop.add_callback(lambda: [w.start() for w in workers])
    run_loop(loop, timeout=30.0)
    for w in workers:
        w.join()
    assert len(counts) == n_threads * per_thread
    assert set(counts.values()) == {1}
    assert threads_seen == {loop_thread}


def test_add_callback_from_another_thread_wakes_a_sleeping_loop(loop):
    stamps = {}

    def wake():
        time.sleep(0.1)
        stamps['sent'] = time.monotonic()
        loop.add_callback(lambda: (stamps.__setitem__('ran', time.monotonic()), loop.stop()))
    threading.Thread(target=wake).start()
    run_loop(loop, timeout=10.0)
    assert stamps['ran'] - stamps['sent'] < 0.5


def test_stop_from_another_thread(loop):
    threading.Timer(0.05, loop.stop).start()
    run_loop(loop, timeout=10.0)


def test_one_loop_per_thread(backend):
    results = {}
    errors = []

    def worker(n):
        try:
            io_loop = ioloop.IOLoop(backend=backend)
            hits = []
            for i in range(20):
                io_loop.call_later(0.001 * i, hits.append, i)
            io_loop.call_later(0.05, io_loop.stop)
            io_loop.add_callback(hits.append, 'cb')
            io_loop.start()
            io_loop.close()
            results[n] = hits
        except Exception as e:        # reported below: threads swallow them
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [0, 1, 2, 3]
    for hits in results.values():
        assert hits == ['cb'] + list(range(20))


def test_instance_is_the_same_from_every_thread():
    found = []
    threads = [threading.Thread(target=lambda: found.append(ioloop.IOLoop.instance()))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and all(f is found[0] for f in found)


def test_exceptions_in_a_loop_on_another_thread_reach_its_handler(backend):
    seen = []

    def worker():
        io_loop = ioloop.IOLoop(backend=backend)
        io_loop.handle_callback_exception = lambda cb: seen.append(cb)

        def fail():
            raise ValueError('x')
        io_loop.add_callback(fail)
        io_loop.add_callback(io_loop.stop)
        io_loop.start()
        io_loop.close()
    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert len(seen) == 1
