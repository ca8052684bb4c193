// tcp-server.js: examples/tcp-server.js, tcp-server-async.js and
// tcp-echo-async.js with real clients
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import {test, run, assert, assertEqual, BACKENDS} from './harness.js';

const examplesDir = GLib.getenv('IOLOOP_EXAMPLES_DIR') ??
    GLib.build_filenamev([GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]),
        '..', '..', 'examples']);
function startServer(name, backend) {
    const example = GLib.build_filenamev([examplesDir, name]);
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE,
    });
    launcher.setenv('IOLOOP_BACKEND', backend, true);
    const proc = launcher.spawnv(['gjs', '-m', example, '0']);
    const out = new Gio.DataInputStream({base_stream: proc.get_stdout_pipe()});
    const [line] = out.read_line_utf8(null);
    const match = /listening on port (\d+) \(backend (\w+)\)/.exec(line ?? '');
    if (!match) {
        proc.force_exit();
        throw new Error(`unexpected first line: ${line}`);
    }
    assertEqual(match[2], backend);
    return [proc, Number(match[1])];
}

function echo(port, text) {
    const client = new Gio.SocketClient({timeout: 10});
    const conn = client.connect_to_host(`127.0.0.1:${port}`, port, null);
    const payload = new TextEncoder().encode(text);
    conn.get_output_stream().write_all(payload, null);
    const received = [];
    let total = 0;
    const input = conn.get_input_stream();
    while (total < payload.length) {
        const chunk = input.read_bytes(65536, null).toArray();
        if (chunk.length === 0)
            break;
        received.push(chunk);
        total += chunk.length;
    }
    conn.get_socket().shutdown(false, true);
    const eof = input.read_bytes(10, null).get_size();
    conn.close(null);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const c of received) {
        all.set(c, offset);
        offset += c.length;
    }
    return [new TextDecoder().decode(all), eof];
}

for (const [name, backend] of ['tcp-server.js', 'tcp-server-async.js', 'tcp-echo-async.js']
    .flatMap(n => BACKENDS.map(b => [n, b]))) {
    test(`the GJS example ${name} echoes for several clients [${backend}]`, () => {
        const [proc, port] = startServer(name, backend);
        try {
            for (let n = 0; n < 5; n++) {
                const text = `client ${n} says hello\n`.repeat(n * 1000 + 1);
                const [echoed, eof] = echo(port, text);
                assert(echoed === text, `client ${n}: ${echoed.length} of ${text.length} bytes echoed`);
                assertEqual(eof, 0);
            }
        } finally {
            proc.force_exit();
            proc.wait(null);
        }
    });
}

run();
