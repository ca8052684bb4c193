#!/usr/bin/python3
# bench_python.py: workload 5, Python through GI against asyncio, Tornado, uvloop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python benchmarks: the `ioloop` module (libioloop through GObject
Introspection) against asyncio, Tornado 6 and uvloop, on /usr/bin/python3.

Cases (each framework with its own native API):
  echo       the TCP echo server, loaded by bench-echo-client (the C client
             of workload 4: 100 connections, 32-byte messages); round
             trips/s and the server's CPU time per round trip.
             Every server watches raw non-blocking sockets with its loop's
             own call: add_handler() for ioloop and Tornado (Tornado's
             IOLoop API, which ioloop implements), loop.add_reader() for
             asyncio and uvloop; each readable event reads and writes back.
  callbacks  100 chains of callbacks, each callback schedules the next
             (add_callback / call_soon), 200,000 in all; callbacks/s.
  timers     100,000 timers with random delays over 100 ms, half cancelled,
             half fired (call_later + remove_timeout / handle.cancel());
             timer operations (add, cancel or fire) per CPU second.

Every measurement runs in a fresh interpreter; frameworks are interleaved
over rounds with the order rotated each round; the table shows the median
per framework and the median of per-round ratios to ioloop, like the C
benchmarks (speed-up >= 1.00: ioloop at least as fast).

Environment: QUICK=1 (tiny sizes, 1 round), BENCH_ROUNDS, BENCH_PEERS,
BENCH_RESULTS_TSV, BENCH_ECHO_CLIENT (path of bench-echo-client).
If `import ioloop` fails the ioloop column is skipped with the reason.
"""

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time

FRAMEWORKS = ['ioloop', 'asyncio', 'tornado', 'uvloop']
QUICK = os.environ.get('QUICK', '') not in ('', '0')


def sizes():
    if QUICK:
        return dict(callbacks=5000, timers=5000, spread=0.01, warmup=0.05, seconds=0.2)
    return dict(callbacks=200000, timers=100000, spread=0.1, warmup=0.3, seconds=2.0)


# ---------------------------------------------------------------- servers

def make_loop(fw):
    """A new loop of framework fw: (loop, kind) with kind 'tornado-api' or
    'asyncio'."""
    if fw == 'ioloop':
        import ioloop
        return ioloop.IOLoop(), 'tornado-api'
    if fw == 'tornado':
        import warnings
        warnings.simplefilter('ignore', DeprecationWarning)
        import tornado.ioloop
        return tornado.ioloop.IOLoop(), 'tornado-api'
    import asyncio
    if fw == 'uvloop':
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop, 'asyncio'


def serve(fw, lfd):
    lsock = socket.socket(fileno=lfd)
    lsock.setblocking(False)
    loop, kind = make_loop(fw)
    if kind == 'tornado-api':
        read, write, close = os.read, os.write, os.close

        def on_conn(fd, events):
            try:
                data = read(fd, 4096)
            except BlockingIOError:
                return
            except OSError:
                data = b''
            if data:
                write(fd, data)
            else:
                loop.remove_handler(fd)
                close(fd)

        def on_accept(fd, events):
            while True:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    return
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                loop.add_handler(conn.detach(), on_conn, loop.READ)

        loop.add_handler(lfd, on_accept, loop.READ)
        print('ready', flush=True)
        loop.start()
    else:
        # loop.add_reader() on the same raw sockets: the same work per event
        # as add_handler() above. (An asyncio.Protocol server is about 5x
        # slower on Python 3.11: its transports recv() into a fresh 256 KiB
        # buffer for every read; see bench/README.)
        read, write, close = os.read, os.write, os.close

        def on_conn(fd):
            try:
                data = read(fd, 4096)
            except BlockingIOError:
                return
            except OSError:
                data = b''
            if data:
                write(fd, data)
            else:
                loop.remove_reader(fd)
                close(fd)

        def on_accept():
            while True:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    return
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                fd = conn.detach()
                loop.add_reader(fd, on_conn, fd)

        loop.add_reader(lfd, on_accept)
        print('ready', flush=True)
        loop.run_forever()


# ---------------------------------------------------------- micro-benchmarks

def micro_callbacks(fw, n):
    loop, kind = make_loop(fw)
    count = [0]
    if kind == 'tornado-api':
        schedule, stop = loop.add_callback, loop.stop
    else:
        schedule, stop = loop.call_soon, loop.stop

    def cb():
        count[0] += 1
        c = count[0]
        if c == n:
            stop()
        elif c <= n - 100:
            schedule(cb)

    for _ in range(100):
        schedule(cb)
    t0 = time.perf_counter()
    if kind == 'tornado-api':
        loop.start()
    else:
        loop.run_forever()
    t1 = time.perf_counter()
    assert count[0] == n, count[0]
    return n / (t1 - t0)


def micro_timers(fw, n, spread):
    loop, kind = make_loop(fw)
    rnd = random.Random(42)
    delays = [rnd.random() * spread for _ in range(n)]
    fired = [0]
    half = n // 2

    def cb():
        fired[0] += 1
        if fired[0] == half:
            loop.stop()

    c0 = time.process_time()
    if kind == 'tornado-api':
        handles = [loop.call_later(d, cb) for d in delays]
        for h in handles[1::2]:
            loop.remove_timeout(h)
        loop.start()
    else:
        handles = [loop.call_later(d, cb) for d in delays]
        for h in handles[1::2]:
            h.cancel()
        loop.run_forever()
    c1 = time.process_time()
    assert fired[0] == half, fired[0]
    return 2 * n / (c1 - c0)


# ------------------------------------------------------------------ driver

def probe(fw):
    """None if fw can run here, else the reason."""
    r = subprocess.run([sys.executable, __file__, '--probe', fw],
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        return None
    lines = (r.stderr or r.stdout).strip().splitlines()
    return lines[-1] if lines else 'exit status %d' % r.returncode


def child_json(args, timeout=300):
    r = subprocess.run([sys.executable, __file__] + args, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        sys.stderr.write('  [%s failed: %s]\n' % (' '.join(args), r.stderr.strip()[-500:]))
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def find_client():
    env = os.environ.get('BENCH_ECHO_CLIENT')
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.getcwd(), here):
        p = os.path.join(d, 'bench-echo-client')
        if os.access(p, os.X_OK):
            return p
    return 'bench-echo-client'


def measure_echo(fw, sz):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(1024)
    port = lsock.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, '--serve', fw, str(lsock.fileno())],
                              pass_fds=[lsock.fileno()], stdout=subprocess.PIPE, text=True)
    lsock.close()
    try:
        line = server.stdout.readline()
        if line.strip() != 'ready':
            sys.stderr.write('  [echo %s: server did not start]\n' % fw)
            return None
        r = subprocess.run([find_client(), str(port), '100', '32', str(sz['warmup']),
                            str(sz['seconds'])], capture_output=True, text=True, timeout=120)
    finally:
        server.kill()
        _, _, ru = os.wait4(server.pid, 0)
        server.stdout.close()
    if r.returncode != 0:
        sys.stderr.write('  [echo %s: client failed: %s]\n' % (fw, r.stderr.strip()))
        return None
    rate, trips = r.stdout.split()
    return dict(value=float(rate),
                extra=[(ru.ru_utime + ru.ru_stime) * 1e6 / int(trips)])


CASES = [
    # name, title, metric, unit, extra names/units
    ('echo', 'TCP echo, bench-echo-client: 100 connections, 32-byte messages',
     'round trips per second', '1/s', [('server CPU/trip', 'us')]),
    ('callbacks', '100 chains of callbacks, each schedules the next',
     'callbacks per second', '1/s', []),
    ('timers', 'timers with random delays, half cancelled, half fired',
     'timer operations (add, cancel or fire) per CPU second', '1/s', []),
]


def measure(case, fw, sz):
    if case == 'echo':
        return measure_echo(fw, sz)
    if case == 'callbacks':
        return child_json(['--micro', fw, 'callbacks'])
    return child_json(['--micro', fw, 'timers'])


def fmt(v):
    if v is None:
        return '-'
    if abs(v) >= 1e7:
        return '%.3g' % v
    if abs(v) >= 100:
        return '%.0f' % v
    if abs(v) >= 10:
        return '%.1f' % v
    return '%.2f' % v


def run_case(case, title, metric, unit, extras, fws, rounds, sz, tsv):
    n = len(fws)
    samples = [[None] * n for _ in range(rounds)]
    for r in range(rounds):
        for k in range(n):
            p = (k + r) % n
            samples[r][p] = measure(case, fws[p], sz)
    params = {'echo': 'c=100', 'callbacks': 'n=%d' % sz['callbacks'],
              'timers': 'n=%d' % sz['timers']}[case]
    print('\n== python-%s: %s [%s] ==' % (case, title, params))
    print('%s in %s (higher is better); speed-up = median over rounds of '
          '(ioloop speed / peer speed), >= 1.00 means ioloop is at least as fast'
          % (metric, unit))
    head = '%-10s %10s %10s %10s %9s' % ('peer', 'median', 'min', 'max', 'speed-up')
    for name, u in extras:
        head += ' %14s' % ('%s(%s)' % (name, u))
    print(head)
    ref = fws.index('ioloop') if 'ioloop' in fws else None
    failed = False
    for p, fw in enumerate(fws):
        vals = [samples[r][p]['value'] for r in range(rounds) if samples[r][p]]
        ratios = [samples[r][ref]['value'] / samples[r][p]['value']
                  for r in range(rounds)
                  if ref is not None and samples[r][p] and samples[r][ref]]
        med = statistics.median(vals) if vals else None
        sp = statistics.median(ratios) if ratios else None
        if p == ref and not vals:
            failed = True
        line = '%-10s %10s %10s %10s %9s' % (
            fw, fmt(med) if vals else 'FAILED', fmt(min(vals) if vals else None),
            fmt(max(vals) if vals else None), '%.2f' % sp if sp is not None else '-')
        ex_strs = []
        for e, (name, u) in enumerate(extras):
            ev = [samples[r][p]['extra'][e] for r in range(rounds) if samples[r][p]]
            v = fmt(statistics.median(ev)) if ev else '-'
            line += ' %14s' % v
            ex_strs.append('%s[%s]=%s' % (name, u, v))
        print(line, flush=True)
        if tsv:
            with open(tsv, 'a') as f:
                f.write('\t'.join(['python-' + case, title, params, fw, metric, unit,
                                   'higher', '%.6g' % med if med is not None else 'nan',
                                   '%.2f' % sp if sp is not None else '-', str(len(vals)),
                                   ';'.join(ex_strs)]) + '\n')
    return not failed


def main():
    argv = sys.argv[1:]
    if argv[:1] == ['--probe']:
        make_loop(argv[1])
        return 0
    if argv[:1] == ['--serve']:
        serve(argv[1], int(argv[2]))
        return 0
    if argv[:1] == ['--micro']:
        sz = sizes()
        if argv[2] == 'callbacks':
            v = micro_callbacks(argv[1], sz['callbacks'])
        else:
            v = micro_timers(argv[1], sz['timers'], sz['spread'])
        print(json.dumps(dict(value=v, extra=[])))
        return 0

    rounds = 1 if QUICK else 5
    if os.environ.get('BENCH_ROUNDS', '').isdigit() and int(os.environ['BENCH_ROUNDS']) > 0:
        rounds = int(os.environ['BENCH_ROUNDS'])
    wanted = [f for f in os.environ.get('BENCH_PEERS', '').split(',') if f]
    tsv = os.environ.get('BENCH_RESULTS_TSV') or None
    sz = sizes()
    print('# bench_python.py: Python %s (%s); %d round%s, order rotated each round%s'
          % (sys.version.split()[0], sys.executable, rounds, '' if rounds == 1 else 's',
             ' (QUICK mode: tiny sizes)' if QUICK else ''), flush=True)
    fws = []
    for fw in FRAMEWORKS:
        if wanted and fw not in wanted:
            continue
        why = probe(fw)
        if why is None:
            fws.append(fw)
        else:
            print('# %s skipped: %s' % (fw, why), flush=True)
    if not fws:
        print('# no framework available: nothing to measure')
        return 0
    if not os.access(find_client(), os.X_OK):
        print('# bench-echo-client not found (set BENCH_ECHO_CLIENT): echo skipped')
    ok = True
    for case, title, metric, unit, extras in CASES:
        if case == 'echo' and not os.access(find_client(), os.X_OK):
            continue
        if case == 'timers':
            title = '%d %s over %d ms' % (sz['timers'], title, sz['spread'] * 1000)
        elif case == 'callbacks':
            title = '%s, %d in all' % (title, sz['callbacks'])
        ok = run_case(case, title, metric, unit, extras, fws, rounds, sz, tsv) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
