# test_tcp_server.py: the documentation's TCP server (examples/tcp-server.py)
# with real clients
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import BACKENDS

EXAMPLE = os.path.join(os.environ.get('IOLOOP_EXAMPLES_DIR',
                                      os.path.join(os.path.dirname(__file__), '..', '..', 'examples')),
                       'tcp-server.py')


@pytest.fixture(params=BACKENDS)
def server(request):
    env = dict(os.environ, IOLOOP_BACKEND=request.param)
    proc = subprocess.Popen([sys.executable, EXAMPLE, '0'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r'listening on port (\d+) \(backend (\w+)\)', line)
        assert match, 'unexpected first line %r (stderr: %s)' % (line, proc.stderr.read() if proc.poll() is not None else '')
        assert match.group(2) == request.param
        yield proc, int(match.group(1))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def echo_roundtrip(port, payload):
    with socket.create_connection(('127.0.0.1', port), timeout=10) as client:
        received = bytearray()

        def reader():
            while len(received) < len(payload):
                chunk = client.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
        t = threading.Thread(target=reader)
        t.start()
        client.sendall(payload)
        t.join(20)
        client.shutdown(socket.SHUT_WR)
        assert client.recv(10) == b''      # the server closes on end of stream
    return bytes(received)


def test_example_echoes_for_several_concurrent_clients(server):
    proc, port = server
    results = {}

    def client(n):
        payload = (b'client %d says hello\n' % n) * (n + 1)
        results[n] = (payload, echo_roundtrip(port, payload))
    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == list(range(8))
    for payload, echoed in results.values():
        assert echoed == payload
    assert proc.poll() is None


def test_example_echoes_a_large_payload_with_backpressure(server):
    proc, port = server
    payload = os.urandom(4 * 1024 * 1024)
    assert echo_roundtrip(port, payload) == payload


def test_example_survives_a_client_that_resets(server):
    proc, port = server
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
    s.sendall(b'x' * 1000)
    s.close()                       # RST
    time.sleep(0.1)
    assert echo_roundtrip(port, b'still alive\n') == b'still alive\n'
    assert proc.poll() is None


def test_example_stops_on_ctrl_c(server):
    proc, port = server
    assert echo_roundtrip(port, b'ping\n') == b'ping\n'
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    assert time.monotonic() - start < 2.0
    assert 'KeyboardInterrupt' in proc.stderr.read()
