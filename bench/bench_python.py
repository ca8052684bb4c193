#!/usr/bin/python3
# bench_python.py: workload 5, Python through GI against asyncio, Tornado, uvloop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python benchmarks: the `ioloop` module (libioloop through GObject
Introspection) against asyncio, Tornado 6 and uvloop, on /usr/bin/python3.

Classic API (each framework with its own loop API):
  echo       the TCP echo server on raw non-blocking sockets (add_handler()
             for ioloop and Tornado, loop.add_reader() for asyncio and
             uvloop), loaded by bench-echo-client (the C client of workload
             4: 100 connections, 32-byte messages, another process).
  callbacks  100 chains of callbacks, each callback schedules the next
             (add_callback / call_soon), 200,000 in all; callbacks/s.
  timers     100,000 timers with random delays over 100 ms, half cancelled,
             half fired (call_later + remove_timeout / handle.cancel());
             timer operations (add, cancel or fire) per CPU second.

asyncio API (ioloop.EventLoop vs stock asyncio's loop vs uvloop's):
  asyncio-echo-protocol  the echo server as an asyncio.Protocol
  asyncio-echo-streams   the echo server with asyncio streams
  call_soon              as `callbacks`, with loop.call_soon()
  call_later             as `timers`, with loop.call_later()

Echo servers are ranked by the server process's CPU time per round trip
(from its 'ready' to the client's exit; lower is better), since on 2 CPUs
the client bounds the rate; round trips/s is an extra column.

Every measurement runs in a fresh interpreter; frameworks are interleaved
over rounds with the order rotated each round; the table shows the median
per framework and the median of per-round ratios to ioloop, like the C
benchmarks (speed-up >= 1.00: ioloop at least as fast or as efficient).

Environment: QUICK=1 (tiny sizes, 1 round), BENCH_ROUNDS, BENCH_PEERS,
BENCH_CASES (only these cases), BENCH_RESULTS_TSV, BENCH_ECHO_CLIENT (path
of bench-echo-client). If `import ioloop` fails the ioloop column is
skipped with the reason.
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


# ------------------------------------------------- the asyncio API, 3 loops

ASYNCIO_PEERS = ['ioloop', 'asyncio', 'uvloop']


def make_aloop(fw):
    """A new asyncio event loop: ioloop.EventLoop, stock asyncio's or uvloop's."""
    import asyncio
    if fw == 'ioloop':
        import ioloop
        loop = ioloop.new_event_loop()
    elif fw == 'uvloop':
        import uvloop
        loop = uvloop.new_event_loop()
    elif fw == 'asyncio':
        loop = asyncio.new_event_loop()
    else:
        raise ValueError('no asyncio loop named %r' % fw)
    asyncio.set_event_loop(loop)
    return loop


def serve_asyncio(fw, api, lfd):
    """The echo server of asyncio's documentation, in its two forms:
    api 'protocol' (asyncio.Protocol, data_received -> transport.write) or
    'streams' (asyncio.start_server, read -> write -> drain)."""
    import asyncio
    lsock = socket.socket(fileno=lfd)
    loop = make_aloop(fw)

    class Echo(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.transport.write(data)

    async def handle(reader, writer):
        read, write, drain = reader.read, writer.write, writer.drain
        try:
            while True:
                data = await read(4096)
                if not data:
                    break
                write(data)
                await drain()
        except ConnectionError:
            pass            # the load client exits with connections open
        writer.close()

    async def start():
        if api == 'protocol':
            return await loop.create_server(Echo, sock=lsock, backlog=1024)
        return await asyncio.start_server(handle, sock=lsock, backlog=1024)
    loop.run_until_complete(start())
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


def micro_call_soon(fw, n):
    """100 chains of call_soon(), each callback schedules the next."""
    loop = make_aloop(fw)
    count = [0]
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
    loop.run_forever()
    t1 = time.perf_counter()
    loop.close()
    assert count[0] == n, count[0]
    return n / (t1 - t0)


def micro_call_later(fw, n, spread):
    """n call_later() with random delays, every other one cancelled."""
    loop = make_aloop(fw)
    rnd = random.Random(42)
    delays = [rnd.random() * spread for _ in range(n)]
    fired = [0]
    half = n // 2

    def cb():
        fired[0] += 1
        if fired[0] == half:
            loop.stop()

    call_later = loop.call_later
    c0 = time.process_time()
    handles = [call_later(d, cb) for d in delays]
    for h in handles[1::2]:
        h.cancel()
    loop.run_forever()
    c1 = time.process_time()
    loop.close()
    assert fired[0] == half, fired[0]
    return 2 * n / (c1 - c0)


# ------------------------------------------------------------------ driver

def probe(fw, kind):
    """None if fw can run here (kind 'classic': its own API; 'asyncio': its
    asyncio loop), else the reason."""
    r = subprocess.run([sys.executable, __file__, '--probe', kind, fw],
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


_TICK = os.sysconf('SC_CLK_TCK')


def process_cpu_ns(pid):
    """CPU time (user + system) of every thread of process ``pid`` so far,
    in ns: the schedulers' run time (/proc/PID/task/*/schedstat, ns
    resolution) or, without schedstat, utime + stime of /proc/PID/stat
    (clock ticks)."""
    total, found = 0, False
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            try:
                with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                    total += int(f.read().split()[0])
                    found = True
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    if found:
        return total
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e9 / _TICK


def measure_echo(serve_args, sz):
    """Start the server ``--serve serve_args...`` in its own process, load
    it with bench-echo-client (another process) and return round trips/s
    and the server's CPU time per round trip. The CPU time counts from the
    server's 'ready' (its interpreter and imports are not counted) to the
    client's exit, and is divided by every round trip the client made in
    that time (warm-up included)."""
    label = ' '.join(serve_args)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(1024)
    lsock.setblocking(False)
    port = lsock.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, '--serve'] + serve_args
                              + [str(lsock.fileno())],
                              pass_fds=[lsock.fileno()], stdout=subprocess.PIPE, text=True)
    lsock.close()
    try:
        line = server.stdout.readline()
        if line.strip() != 'ready':
            sys.stderr.write('  [echo %s: server did not start]\n' % label)
            return None
        cpu0 = process_cpu_ns(server.pid)
        r = subprocess.run([find_client(), str(port), '100', '32', str(sz['warmup']),
                            str(sz['seconds'])], capture_output=True, text=True, timeout=120)
        cpu1 = process_cpu_ns(server.pid)
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
    if r.returncode != 0:
        sys.stderr.write('  [echo %s: client failed: %s]\n' % (label, r.stderr.strip()))
        return None
    rate, trips = r.stdout.split()
    return dict(rate=float(rate), cpu_per_trip=(cpu1 - cpu0) / 1e3 / int(trips))


def echo_case(serve_args_of):
    def measure(fw, sz):
        m = measure_echo(serve_args_of(fw), sz)
        if m is None:
            return None
        return dict(value=m['cpu_per_trip'], extra=[m['rate']])
    return measure


def micro_case(name):
    def measure(fw, sz):
        return child_json(['--micro', fw, name])
    return measure


# name, title, metric, unit, better, extra columns, peers kind, measure
CPU_TRIP = ('server CPU time per round trip', 'us', 'lower')
CASES = [
    ('echo', 'TCP echo on raw sockets (add_handler / add_reader), 100 connections, '
     '32-byte messages') + CPU_TRIP + ([('round trips/s', '1/s')], 'classic',
                                        echo_case(lambda fw: ['classic', fw])),
    ('callbacks', '100 chains of callbacks (add_callback / call_soon), each schedules '
     'the next', 'callbacks per second', '1/s', 'higher', [], 'classic',
     micro_case('callbacks')),
    ('timers', 'timers (add_timeout / call_later) with random delays, half cancelled, '
     'half fired', 'timer operations (add, cancel or fire) per CPU second', '1/s', 'higher',
     [], 'classic', micro_case('timers')),
    ('asyncio-echo-protocol', 'asyncio TCP echo, asyncio.Protocol (create_server), '
     '100 connections, 32-byte messages') + CPU_TRIP + (
         [('round trips/s', '1/s')], 'asyncio', echo_case(lambda fw: ['protocol', fw])),
    ('asyncio-echo-streams', 'asyncio TCP echo, streams (start_server, read/write/drain), '
     '100 connections, 32-byte messages') + CPU_TRIP + (
         [('round trips/s', '1/s')], 'asyncio', echo_case(lambda fw: ['streams', fw])),
    ('call_soon', 'asyncio loop.call_soon: 100 chains, each callback schedules the next',
     'callbacks per second', '1/s', 'higher', [], 'asyncio', micro_case('call_soon')),
    ('call_later', 'asyncio loop.call_later with random delays, half cancelled '
     '(handle.cancel()), half fired', 'timer operations (add, cancel or fire) per CPU second',
     '1/s', 'higher', [], 'asyncio', micro_case('call_later')),
]


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


def run_case(case, title, metric, unit, better, extras, measure, fws, rounds, sz, tsv):
    n = len(fws)
    samples = [[None] * n for _ in range(rounds)]
    for r in range(rounds):
        for k in range(n):
            p = (k + r) % n
            samples[r][p] = measure(fws[p], sz)
    params = {'callbacks': 'n=%d' % sz['callbacks'], 'call_soon': 'n=%d' % sz['callbacks'],
              'timers': 'n=%d' % sz['timers'],
              'call_later': 'n=%d' % sz['timers']}.get(case, 'c=100')
    print('\n== python-%s: %s [%s] ==' % (case, title, params))
    print('%s in %s (%s is better); speed-up = median over rounds of '
          '(ioloop speed / peer speed), >= 1.00 means ioloop is at least as %s'
          % (metric, unit, better, 'efficient' if better == 'lower' else 'fast'))
    head = '%-10s %10s %10s %10s %9s' % ('peer', 'median', 'min', 'max', 'speed-up')
    for name, u in extras:
        head += ' %14s' % ('%s(%s)' % (name, u))
    print(head)
    ref = fws.index('ioloop') if 'ioloop' in fws else None

    def ratio(io, peer):
        return peer / io if better == 'lower' else io / peer
    failed = False
    for p, fw in enumerate(fws):
        vals = [samples[r][p]['value'] for r in range(rounds) if samples[r][p]]
        ratios = [ratio(samples[r][ref]['value'], samples[r][p]['value'])
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
                                   better, '%.6g' % med if med is not None else 'nan',
                                   '%.2f' % sp if sp is not None else '-', str(len(vals)),
                                   ';'.join(ex_strs)]) + '\n')
    return not failed


def main():
    argv = sys.argv[1:]
    if argv[:1] == ['--probe']:
        if argv[1] == 'asyncio':
            make_aloop(argv[2]).close()
        else:
            make_loop(argv[2])
        return 0
    if argv[:1] == ['--serve']:
        if argv[1] == 'classic':
            serve(argv[2], int(argv[3]))
        else:
            serve_asyncio(argv[2], argv[1], int(argv[3]))
        return 0
    if argv[:1] == ['--micro']:
        sz = sizes()
        fw, name = argv[1], argv[2]
        if name == 'callbacks':
            v = micro_callbacks(fw, sz['callbacks'])
        elif name == 'timers':
            v = micro_timers(fw, sz['timers'], sz['spread'])
        elif name == 'call_soon':
            v = micro_call_soon(fw, sz['callbacks'])
        else:
            v = micro_call_later(fw, sz['timers'], sz['spread'])
        print(json.dumps(dict(value=v, extra=[])))
        return 0

    rounds = 1 if QUICK else 5
    if os.environ.get('BENCH_ROUNDS', '').isdigit() and int(os.environ['BENCH_ROUNDS']) > 0:
        rounds = int(os.environ['BENCH_ROUNDS'])
    wanted = [f for f in os.environ.get('BENCH_PEERS', '').split(',') if f]
    cases = [c for c in os.environ.get('BENCH_CASES', '').split(',') if c]
    tsv = os.environ.get('BENCH_RESULTS_TSV') or None
    sz = sizes()
    print('# bench_python.py: Python %s (%s); %d round%s, order rotated each round%s'
          % (sys.version.split()[0], sys.executable, rounds, '' if rounds == 1 else 's',
             ' (QUICK mode: tiny sizes)' if QUICK else ''), flush=True)
    peers = {}
    for kind, names in (('classic', FRAMEWORKS), ('asyncio', ASYNCIO_PEERS)):
        peers[kind] = []
        for fw in names:
            if wanted and fw not in wanted:
                continue
            why = probe(fw, kind)
            if why is None:
                peers[kind].append(fw)
            else:
                print('# %s (%s API) skipped: %s' % (fw, kind, why), flush=True)
    have_client = os.access(find_client(), os.X_OK)
    if not have_client:
        print('# bench-echo-client not found (set BENCH_ECHO_CLIENT): echo skipped')
    ok = True
    for case, title, metric, unit, better, extras, kind, measure in CASES:
        if cases and case not in cases:
            continue
        if 'echo' in case and not have_client:
            continue
        if not peers[kind]:
            print('# python-%s: no peer available: skipped' % case)
            continue
        if case in ('timers', 'call_later'):
            title = '%d %s over %d ms' % (sz['timers'], title, sz['spread'] * 1000)
        elif case in ('callbacks', 'call_soon'):
            title = '%s, %d in all' % (title, sz['callbacks'])
        ok = run_case(case, title, metric, unit, better, extras, measure, peers[kind],
                      rounds, sz, tsv) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
