#!/bin/sh
# run-bench.sh: the full benchmark run behind `make bench` (see README)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in bench/ of the build tree. Writes results/results.txt (the tables),
# results/results.tsv (one line per peer and case, read by plot.py) and
# results/plot.png. Environment: BENCH_ROUNDS, BENCH_PEERS (see README),
# BENCH_ONLY="pipe pipe-glib timers xthread echo stream multiloop python" to run a subset.

set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
abs_top_builddir=${abs_top_builddir:-$(cd .. && pwd)}
abs_top_srcdir=${abs_top_srcdir:-$(cd "$srcdir/.." && pwd)}

mkdir -p results
: > results/results.tsv
BENCH_RESULTS_TSV=$(pwd)/results/results.tsv
BENCH_ECHO_CLIENT=$(pwd)/bench-echo-client
GI_TYPELIB_PATH="$abs_top_builddir/introspection${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
LD_LIBRARY_PATH="$abs_top_builddir/ioloop/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
PYTHONPATH="$abs_top_srcdir/python:$abs_top_builddir/python${PYTHONPATH:+:$PYTHONPATH}"
PYTHONDONTWRITEBYTECODE=1
export BENCH_RESULTS_TSV BENCH_ECHO_CLIENT GI_TYPELIB_PATH LD_LIBRARY_PATH PYTHONPATH \
       PYTHONDONTWRITEBYTECODE
only=${BENCH_ONLY:-pipe pipe-glib timers xthread echo stream multiloop python}

status_file=$(mktemp)
echo 0 > "$status_file"

run () {
  "$@" || echo 1 > "$status_file"
}

{
  echo "# ioloop benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# host: $(uname -srm); $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "# ioloop $(cd "$abs_top_srcdir" && git describe --always --dirty 2>/dev/null || echo '(no git)');" \
       "libev $(sed -n 's/^#define EV_VERSION_MAJOR //p;s/^#define EV_VERSION_MINOR //p' /usr/include/ev.h 2>/dev/null | paste -sd. -);" \
       "libuv $(pkg-config --modversion libuv 2>/dev/null || echo -);" \
       "libevent $(pkg-config --modversion libevent 2>/dev/null || echo -);" \
       "GLib $(pkg-config --modversion glib-2.0 2>/dev/null || echo -)"
  echo "# speed-up = median over rounds of (ioloop speed / peer speed), paired within a round:"
  echo "# >= 1.00 means ioloop is at least as fast as that peer"
  for w in $only; do
    case $w in
      pipe) run ./bench-pipe ;;
      pipe-glib) run ./bench-pipe-glib ;;
      timers) run ./bench-timers ;;
      xthread) run ./bench-xthread ;;
      echo) run ./bench-echo ;;
      stream) run ./bench-stream ;;
      multiloop) run ./bench-multiloop ;;
      python) run "$PYTHON" "$srcdir/bench_python.py" ;;
      *) echo "run-bench.sh: unknown workload $w" >&2 ;;
    esac
    echo
  done
} 2>&1 | tee results/results.txt

if "$PYTHON" -c 'import matplotlib' 2>/dev/null; then
  "$PYTHON" "$srcdir/plot.py" results/results.tsv results/plot.png \
    || echo 1 > "$status_file"
else
  echo "run-bench.sh: matplotlib not found: no plot"
fi
echo "results: $(pwd)/results/results.txt, results.tsv, plot.png"
status=$(cat "$status_file")
rm -f "$status_file"
exit "$status"
