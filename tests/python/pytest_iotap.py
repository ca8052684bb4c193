# pytest_iotap.py: a pytest plugin that reports every test as one TAP line
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Load with `python3 -m pytest -p pytest_iotap ...` (the directory of this
# file on PYTHONPATH).  TAP goes to the stdout pytest was started with (fd 1
# is captured while tests run); pytest's own terminal report goes to stderr
# (kept in the test's .log by tap-driver.sh); a failure's report also follows
# its `not ok` line as `# ` diagnostics.  Skips are `# SKIP`, expected
# failures `# TODO`.  automake's tap-driver.sh reads it.

import os
import sys

import pytest

# Duplicated at import, i.e. before pytest starts capturing fd 1.
_tap = os.fdopen(os.dup(1), 'w', buffering=1, encoding='utf-8', errors='replace')


def _emit(line):
    _tap.write(line + '\n')
    _tap.flush()


def _diag(text):
    for line in str(text).splitlines():
        _emit('# ' + line)


class TapReporter(object):
    def __init__(self, config):
        self.config = config
        self.count = 0
        self.reports = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report):
        if report.failed:
            self.count += 1
            _emit('not ok %d - collecting %s' % (self.count, report.nodeid or '.'))
            _diag(report.longreprtext)

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        reports = self.reports.pop(nodeid, [])
        self.count += 1
        name = nodeid.replace('#', '_')
        failed = [r for r in reports if r.failed]
        if failed:
            _emit('not ok %d - %s' % (self.count, name))
            for r in failed:
                if r.when != 'call':
                    _diag('error in %s' % r.when)
                _diag(r.longreprtext)
                for title, content in r.sections:
                    _diag('----- %s -----' % title)
                    _diag(content)
            return
        for r in reports:
            if r.skipped:
                if hasattr(r, 'wasxfail'):
                    _emit('not ok %d - %s # TODO %s' % (self.count, name, r.wasxfail or 'xfail'))
                else:
                    reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
                    _emit('ok %d - %s # SKIP %s' % (self.count, name, reason))
                return
            if r.when == 'call' and hasattr(r, 'wasxfail'):
                _emit('ok %d - %s # TODO unexpectedly passed: %s' % (self.count, name, r.wasxfail))
                return
        _emit('ok %d - %s' % (self.count, name))

    def pytest_internalerror(self, excrepr, excinfo):
        _emit('Bail out! pytest internal error')
        _diag(excrepr)

    def pytest_sessionfinish(self, session, exitstatus):
        if self.count == 0:
            _emit('1..0 # SKIP no tests')
        else:
            _emit('1..%d' % self.count)
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                              pytest.ExitCode.NO_TESTS_COLLECTED):
            _emit('Bail out! pytest exit status %d' % int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.register(TapReporter(config), 'iotap-reporter')
    # Keep stdout pure TAP: the terminal reporter writes to stderr.
    terminal = config.pluginmanager.get_plugin('terminalreporter')
    if terminal is not None:
        try:
            from _pytest.config import create_terminal_writer
            terminal._tw = create_terminal_writer(config, sys.stderr)
        except (ImportError, AttributeError):
            pass
