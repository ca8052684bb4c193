// smoke.js: `make installcheck` — the installed Io typelib and override
// work from GJS
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

// The installed override (overrides/Io.js) is found: await resumes.
if (typeof Io.Loop.prototype.run_until_complete !== 'function') {
    print('not ok 2 - the Io override was not loaded: is $datadir/gjs-1.0 on GJS_PATH?');
    System.exit(1);
}
const other = new Io.Loop();
const result = other.run_until_complete(async () => {
    await other.sleep(0.01);
    await new Promise(resolve => other.call_later(0.01, resolve));
    return 'resumed';
});
other.close(false);
if (result !== 'resumed') {
    print(`not ok 2 - await under the installed override: ${result}`);
    System.exit(1);
}
print('ok 2 - the installed Io override is loaded and await resumes');
