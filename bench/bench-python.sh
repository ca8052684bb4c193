#!/bin/sh
# bench-python.sh: run bench_python.py (QUICK smoke test in `make check`)
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The benchmarks are meant for /usr/bin/python3 (Debian's, with gi, tornado
# and uvloop); exit 77 (skip) if there is no such interpreter.
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import gi' >/dev/null 2>&1; then
  echo "bench-python.sh: $PYTHON cannot import gi: skipped"
  exit 77
fi
exec "$PYTHON" "$(dirname "$0")/bench_python.py" "$@"
