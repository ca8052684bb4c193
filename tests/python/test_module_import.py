# test_module_import.py: `import ioloop` under a Python without PyGObject
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Without PyGObject, the gi/overrides directory beside the ioloop package
# (installed or in the source tree) makes 'gi' an empty namespace package:
# `import ioloop` must say what is wrong and what to do.

import os
import shutil
import subprocess
import sys

import pytest

PYTHON_DIR = os.environ.get('IOLOOP_PYTHON_DIR') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python')


def import_ioloop(python, *flags):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([python] + list(flags) + ['-c', 'import ioloop'],
                          env=env, capture_output=True, text=True, timeout=60)


def assert_clear_error(result, python=None):
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: ioloop needs PyGObject'), result.stderr
    assert '/usr/bin/python3' in last and 'python3-gi' in last
    if python is not None:
        assert python in last
    assert 'require_version' not in result.stderr


def test_python_without_gi_gets_a_clear_import_error():
    # This Python without its site directories has no PyGObject: 'gi' is
    # then the namespace package of PYTHON_DIR/gi/overrides.
    result = import_ioloop(sys.executable, '-S')
    assert_clear_error(result, sys.executable)


def _pythons_without_gi():
    found = []
    for name in ('python3', 'python3.11', 'python3.12', 'python3.13', 'python'):
        path = shutil.which(name)
        if path is None or os.path.realpath(path) == os.path.realpath(sys.executable):
            continue
        # Exit status 3: it runs, and has no gi module of its own.
        probe = subprocess.run(
            [path, '-c', "import importlib.util, sys; "
             "sys.exit(3 if importlib.util.find_spec('gi') is None else 0)"],
            env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'},
            capture_output=True, timeout=60)
        if probe.returncode == 3:
            found.append(path)
    return found


@pytest.mark.parametrize('python', _pythons_without_gi() or [None])
def test_other_pythons_on_path_without_gi(python):
    if python is None:
        pytest.skip('no Python without PyGObject on PATH')
    result = import_ioloop(python)
    assert_clear_error(result)


def test_python_with_gi_imports_ioloop():
    result = import_ioloop(sys.executable)
    assert result.returncode == 0, result.stderr
