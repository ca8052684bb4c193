// smoke.js: `make installcheck` — the installed Io typelib works from GJS
//
// Copyright 2026 The ioloop authors
// SPDX-License-Identifier: LGPL-2.1-or-later

import Io from 'gi://Io?version=1.0';
import System from 'system';

const loop = Io.Loop.instance();
const ran = [];
loop.add_callback(() => ran.push('callback'));
loop.call_later(0.01, () => {
    ran.push('timeout');
    loop.stop();
});
loop.connect('callback-exception', (l, e) => ran.push(`error: ${e.message}`));
loop.add_callback(() => {
    throw new Error('expected');
});
loop.call_later(5, () => loop.stop());
loop.start();
loop.close(false);
const expected = ['callback', 'error: expected', 'timeout'];
if (JSON.stringify(ran) !== JSON.stringify(expected)) {
    print(`not ok 1 - gjs smoke test: ${JSON.stringify(ran)}`);
    System.exit(1);
}
print('ok 1 - gjs smoke test against the installed prefix');
