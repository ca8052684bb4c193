# test_asyncio_programs.py: real asyncio programs on ioloop's event loop
# (examples/tornado-app.py and examples/aiohttp-app.py), for real, on loopback
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Each example is an ordinary Tornado 6 / aiohttp program started with
# ioloop.install() and asyncio.run(). It runs in a subprocess, in Python's
# development mode (asyncio debug mode, ResourceWarning shown: an unclosed
# transport or socket of the loop would show up on stderr), once per
# backend (IOLOOP_BACKEND), and is checked twice: talking to itself (its
# own HTTP client) and serving an outside client until Ctrl-C.

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from conftest import BACKENDS

EXAMPLES_DIR = os.environ.get('IOLOOP_EXAMPLES_DIR',
                              os.path.join(os.path.dirname(__file__), '..', '..', 'examples'))

PROGRAMS = {
    'tornado': ('tornado-app.py', 'tornado'),
    'aiohttp': ('aiohttp-app.py', 'aiohttp'),
}

#: What must never appear on a program's stderr.
BAD_STDERR = re.compile(r'Traceback|Task was destroyed|was never awaited|[Uu]nclosed|'
                        r'ResourceWarning|Exception ignored|Error in|Fatal|CRITICAL|'
                        r'WARNING \*\*|exception handler')

BODY = bytes(range(256)) * 4096                  # what the programs POST (1 MiB)


def have(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def program(name, backend, *args):
    script, module = PROGRAMS[name]
    if not have(module):
        pytest.skip('%s is not installed (Debian: python3-%s)' % (module, module))
    env = dict(os.environ, IOLOOP_BACKEND=backend, PYTHONUNBUFFERED='1')
    return subprocess.Popen(
        [sys.executable, '-X', 'dev', '-W', 'ignore::ImportWarning',
         os.path.join(EXAMPLES_DIR, script)] + list(args),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_first_line(line, name, backend):
    """The program says which loop runs it: ioloop's, on ``backend``."""
    match = re.match(r'listening on port (\d+) \(ioloop\.EventLoop, backend (\w+)\)$',
                     line.strip())
    assert match, '%s: unexpected first line %r' % (name, line)
    assert match.group(2) == backend
    return int(match.group(1))


def finish(proc, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail('the program did not end within %s s\nstdout:\n%s\nstderr:\n%s'
                    % (timeout, out, err))
    return out, err


@pytest.mark.parametrize('name', sorted(PROGRAMS))
@pytest.mark.parametrize('backend', BACKENDS)
def test_program_talks_to_itself(name, backend):
    """Server and client in one loop: every route answers as it should."""
    proc = program(name, backend)
    out, err = finish(proc, 45)
    assert proc.returncode == 0, 'exit status %d\nstdout:\n%s\nstderr:\n%s' % (
        proc.returncode, out, err)
    lines = out.splitlines()
    check_first_line(lines[0], name, backend)
    assert not BAD_STDERR.search(err), err
    text = '\n'.join(lines)
    hello = re.search(r'^GET / -> 200 Hello from \w+ [\d.]+ on ioloop\.EventLoop, '
                      r'backend (\w+)$', text, re.M)
    assert hello and hello.group(1) == backend, text
    sleeps = re.search(r'^GET /sleep x10 -> (.*) \.\.\. \((\d+) answers\)$', text, re.M)
    assert sleeps and sleeps.group(2) == '10', text
    assert re.findall(r'slept_ms.: (\d+)', sleeps.group(1)) == ['20', '40'], text
    digest = re.search(r'^POST /digest \(1 MiB\) -> 200 (\{.*\})$', text, re.M)
    assert digest, text
    answer = json.loads(digest.group(1))
    assert answer['length'] == len(BODY)
    assert answer['sha256'] == hashlib.sha256(BODY).hexdigest()
    if name == 'tornado':
        assert answer['in_worker_thread'] is True
        proxy = re.search(r'^GET /proxy -> 200 (\{.*\})$', text, re.M)
        assert proxy, text
        upstream = json.loads(proxy.group(1))
        assert upstream['upstream_code'] == 200
        assert upstream['upstream_body'].startswith('Hello from Tornado')
    assert "GET /count -> 200 '0\\n1\\n2\\n3\\n4\\n'" in lines, text
    assert 'GET /missing -> 404' in lines, text
    assert 'WebSocket -> HELLO WEBSOCKET' in lines, text
    assert lines[-1] == 'done', text


@pytest.mark.parametrize('name', sorted(PROGRAMS))
@pytest.mark.parametrize('backend', BACKENDS)
def test_program_serves_outside_clients_until_ctrl_c(name, backend):
    """--serve: the server answers clients of another process; SIGINT ends
    asyncio.run() with KeyboardInterrupt after the program's own cleanup."""
    proc = program(name, backend, '--serve', '0')
    try:
        port = check_first_line(proc.stdout.readline(), name, backend)
        base = 'http://127.0.0.1:%d' % port
        for _ in range(3):
            with urllib.request.urlopen(base + '/', timeout=20) as r:
                assert r.status == 200
                assert r.read().decode().startswith('Hello from ')
        request = urllib.request.Request(base + '/digest', data=BODY, method='POST')
        with urllib.request.urlopen(request, timeout=20) as r:
            answer = json.loads(r.read().decode())
        assert answer['sha256'] == hashlib.sha256(BODY).hexdigest()
        with urllib.request.urlopen(base + '/sleep?ms=50', timeout=20) as r:
            assert json.loads(r.read().decode()) == {'slept_ms': 50}
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = finish(proc, 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, 'exit status %d\nstdout:\n%s\nstderr:\n%s' % (
        proc.returncode, out, err)
    # main()'s finally ran (the server was shut down, 'done' is not printed
    # after a cancellation), then the program caught KeyboardInterrupt.
    assert out.splitlines() == ['interrupted'], out
    assert not BAD_STDERR.search(err), err
