#!/usr/bin/python3
# plot.py: draw the benchmark results (results.tsv) as one PNG
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: plot.py RESULTS.tsv OUT.png
       plot.py --markdown RESULTS.tsv

Reads the results file written by `make bench` (bench/results/results.tsv)
and draws, for every case, ioloop's speed-up over each peer (median of
per-round ratios; above 1 = ioloop faster) on a log scale, in five panels:
the pipe benchmark, the other C workloads, the C streams, Python's classic
API, Python's asyncio API. With --markdown, prints
the tables as Markdown instead (for docs/performance.md).
"""

import collections
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {
    'epoll': '#555555', 'libev': '#1f77b4', 'libuv': '#2ca02c', 'libevent': '#9467bd',
    'glib': '#d62728', 'asyncio': '#1f77b4', 'tornado': '#ff7f0e', 'uvloop': '#2ca02c',
}

#: The cases of bench_python.py that use the asyncio API (their own panel).
PYTHON_ASYNCIO = ('python-asyncio-echo-protocol', 'python-asyncio-echo-streams',
                  'python-call_soon', 'python-call_later')


def read(path):
    cases = collections.OrderedDict()   # (workload, params) -> {peer: speedup}
    for line in open(path):
        f = line.rstrip('\n').split('\t')
        if len(f) < 10 or f[3] == 'ioloop':
            continue
        try:
            sp = float(f[8])
        except ValueError:
            continue
        cases.setdefault((f[0], f[2]), collections.OrderedDict())[f[3]] = sp
    return cases


def panel(ax, title, items):
    peers = []
    for _, d in items:
        for p in d:
            if p not in peers:
                peers.append(p)
    width = 0.8 / max(1, len(peers))
    for k, p in enumerate(peers):
        xs, ys = [], []
        for i, (_, d) in enumerate(items):
            if p in d:
                xs.append(i - 0.4 + width * (k + 0.5))
                ys.append(d[p])
        bars = ax.bar(xs, ys, width, label=p, color=COLORS.get(p))
        for b, y in zip(bars, ys):
            ax.annotate('%.2f' % y, (b.get_x() + b.get_width() / 2, y),
                        ha='center', va='bottom', fontsize=6, rotation=90,
                        xytext=(0, 2), textcoords='offset points')
    ax.axhline(1.0, color='black', linewidth=1)
    ax.set_yscale('log')
    ax.set_xticks(range(len(items)))
    ax.set_xticklabels(['%s\n%s' % k for k, _ in items], fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel('ioloop speed-up (>1: ioloop faster)', fontsize=7)
    ax.legend(fontsize=7, ncol=len(peers), loc='upper left')
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, 0.5), max(hi, 2.0) * 1.5)


def markdown(path):
    """A summary table (one row per case: ioloop's median and its speed-up
    over every peer), then the full table of each case that has extra
    columns (bytes per timer, wake-up writes, CPU per round trip)."""
    rows = collections.OrderedDict()
    for line in open(path):
        f = line.rstrip('\n').split('\t')
        if len(f) >= 10:
            rows.setdefault((f[0], f[2]), []).append(f)
    peers = []
    for fs in rows.values():
        for f in fs:
            if f[3] != 'ioloop' and f[3] not in peers:
                peers.append(f[3])

    def num(v):
        try:
            x = float(v)
        except ValueError:
            return v
        if x != x:
            return '-'
        return '%.3g' % x if x >= 1e6 else ('%.0f' % x if x >= 100 else '%.3g' % x)

    print('| case | metric | ioloop | ' + ' | '.join('vs %s' % p for p in peers) + ' |')
    print('|---|---|---:|' + '---:|' * len(peers))
    for (workload, params), fs in rows.items():
        by = {f[3]: f for f in fs}
        io = by.get('ioloop')
        cells = [by[p][8] if p in by else '' for p in peers]
        metric = '%s, %s (%s is better)' % (fs[0][4].split(' (')[0], fs[0][5], fs[0][6])
        print('| %s %s | %s | %s | %s |' % (workload, params, metric,
                                           num(io[7]) if io else 'FAILED', ' | '.join(cells)))
    print()
    for (workload, params), fs in rows.items():
        if len(fs[0]) < 11 or not fs[0][10] or workload == 'pipe':
            continue
        extras = [e.split('=')[0] for e in fs[0][10].split(';') if e]
        print('%s %s: %s.\n' % (workload, params, fs[0][1]))
        print('| peer | %s (%s) | speed-up | %s |' % (fs[0][4], fs[0][5], ' | '.join(extras)))
        print('|---|---:|---:|' + '---:|' * len(extras))
        for f in fs:
            vals = [e.split('=', 1)[1] for e in f[10].split(';') if e]
            print('| %s | %s | %s | %s |' % (f[3], num(f[7]), f[8], ' | '.join(vals)))
        print()
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--markdown':
        return markdown(sys.argv[2])
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    cases = read(sys.argv[1])
    groups = [
        ('Pipe benchmark (time per run)', [c for c in cases.items() if c[0][0] == 'pipe']),
        ('Timer churn (CPU ns/op), cross-thread callbacks (callbacks/s), TCP echo (round trips/s)',
         [c for c in cases.items() if c[0][0] in ('timers', 'xthread', 'echo')]),
        ('C streams: echo through IoStream, libuv\'s uv_stream, libevent\'s bufferevent '
         '(server CPU per round trip / per MiB)',
         [c for c in cases.items() if c[0][0] == 'stream']),
        ('Python, classic API (ioloop.IOLoop vs asyncio, Tornado, uvloop)',
         [c for c in cases.items()
          if c[0][0].startswith('python-') and c[0][0] not in PYTHON_ASYNCIO]),
        ('Python, asyncio API (ioloop.EventLoop vs asyncio, uvloop; '
         'echo: server CPU per round trip)',
         [c for c in cases.items() if c[0][0] in PYTHON_ASYNCIO]),
    ]
    groups = [g for g in groups if g[1]]
    if not groups:
        sys.stderr.write('plot.py: no ratios to ioloop in %s\n' % sys.argv[1])
        return 1
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 3.6 * len(groups)), squeeze=False)
    for ax, (title, items) in zip(axes[:, 0], groups):
        panel(ax, title, items)
    fig.suptitle('ioloop against other event loops (median of per-round ratios)', fontsize=11)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print('plot.py: wrote %s' % sys.argv[2])
    return 0


if __name__ == '__main__':
    sys.exit(main())
