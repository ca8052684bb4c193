# test_translations.py: the library's messages are translated (German and
# French catalogs of po/), in a process whose locale asks for them
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Each check runs in a child Python with LANGUAGE/LC_ALL set, which binds the
# library's gettext domain to a directory laid out as an installed locale
# tree (LANG/LC_MESSAGES/ioloop-1.0.mo) made from the build's catalogs.

import os
import shutil
import subprocess
import sys

import pytest

DOMAIN = 'ioloop-1.0'
LOCALES = {'de': 'de_DE.UTF-8', 'fr': 'fr_FR.UTF-8'}

# What the child runs: argv = backend, locale directory.  It prints one
# line per message, "KIND<TAB>class<TAB>errno<TAB>message".
CHILD = r'''
import locale, os, sys
backend, localedir = sys.argv[1:3]
import gi
gi.require_version('Io', '1.0')
from gi.repository import Io
locale.setlocale(locale.LC_ALL, '')
# The library binds its domain to the installed LOCALEDIR when its class is
# initialized: bind it again, to the build's catalogs, after that.
loop = Io.Loop.new_with_backend(backend)
locale.bindtextdomain('ioloop-1.0', localedir)
fd = os.open(os.devnull, os.O_RDONLY)
os.close(fd)
fd += 200
def report(kind, call):
    try:
        call()
    except Exception as e:
        print('%s\t%s\t%s\t%s' % (kind, type(e).__name__, getattr(e, 'errno', None), e.message))
    else:
        print('%s\tnone' % kind)
report('bad-fd', lambda: loop.add_handler(fd, lambda *a: None, loop.READ))
report('negative-fd', lambda: loop.add_handler(-1, lambda *a: None, loop.READ))
report('no-backend', lambda: Io.Loop.new_with_backend('bogus'))
loop.close(False)
report('closed', lambda: loop.call_later(1, lambda: None))
'''

EXPECTED = {
    'de': {
        'bad-fd': 'Dateideskriptor %(fd)d kann nicht überwacht werden: ',
        'negative-fd': 'Ungültiger Dateideskriptor -1',
        'no-backend': 'Unbekanntes oder nicht verfügbares Backend „bogus“ (verfügbar: ',
        'closed': 'Die Schleife ist geschlossen',
    },
    'fr': {
        'bad-fd': 'Impossible de surveiller le descripteur de fichier %(fd)d : ',
        'negative-fd': 'Descripteur de fichier -1 non valide',
        'no-backend': 'Moteur « bogus » inconnu ou indisponible (disponibles : ',
        'closed': 'La boucle est fermée',
    },
}


def source_po_dir():
    python_dir = os.environ.get('IOLOOP_PYTHON_DIR')
    if not python_dir:
        pytest.skip('IOLOOP_PYTHON_DIR (the source python/ directory) is not set')
    return os.path.join(python_dir, os.pardir, 'po')


@pytest.fixture(scope='module')
def localedir(tmp_path_factory):
    """LANG/LC_MESSAGES/ioloop-1.0.mo for every language tested: the .gmo
    that the build made (in the source po/ directory, as gettext does), or
    the .po compiled with msgfmt."""
    po_dir = source_po_dir()
    root = tmp_path_factory.mktemp('locale')
    for lang in LOCALES:
        target = root / lang / 'LC_MESSAGES'
        target.mkdir(parents=True)
        gmo = os.path.join(po_dir, lang + '.gmo')
        if os.path.exists(gmo) and os.path.getmtime(gmo) >= os.path.getmtime(
                os.path.join(po_dir, lang + '.po')):
            shutil.copy(gmo, str(target / (DOMAIN + '.mo')))
        else:
            msgfmt = shutil.which('msgfmt')
            if msgfmt is None:
                pytest.skip('no %s and no msgfmt' % gmo)
            subprocess.run([msgfmt, '-o', str(target / (DOMAIN + '.mo')),
                            os.path.join(po_dir, lang + '.po')], check=True)
    return str(root)


def locale_available(name):
    out = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout
    wanted = name.lower().replace('utf-8', 'utf8')
    return any(line.strip().lower() == wanted for line in out.splitlines())


def run_child(backend, lang, localedir):
    if not locale_available(LOCALES[lang]):
        pytest.skip('locale %s is not installed (tools/install-deps installs locales-all)'
                    % LOCALES[lang])
    env = dict(os.environ, LANGUAGE=lang, LC_ALL=LOCALES[lang], LANG=LOCALES[lang])
    proc = subprocess.run([sys.executable, '-c', CHILD, backend, localedir],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = {}
    for line in proc.stdout.splitlines():
        kind, _, rest = line.partition('\t')
        lines[kind] = rest.split('\t')
    return lines




@pytest.mark.parametrize('lang', sorted(LOCALES))
def test_error_messages_are_translated(backend, lang, localedir):
    lines = run_child(backend, lang, localedir)
    expected = EXPECTED[lang]
    for kind in ('negative-fd', 'no-backend', 'closed'):
        cls, errnum, message = lines[kind]
        assert message.startswith(expected[kind]), (kind, message)
    assert lines['negative-fd'][0] == 'InvalidArgumentError'
    assert lines['no-backend'][0] == 'NoBackendError'
    assert lines['closed'][0] == 'LoopClosedError'
    cls, errnum, message = lines['bad-fd']
    assert cls == 'BadFdError'
    assert errnum == str(__import__('errno').EBADF)
    prefix = expected['bad-fd'].split('%(fd)d')[0]
    assert message.startswith(prefix), message
    assert 'Cannot watch' not in message


def test_the_c_locale_keeps_the_original_messages(backend, localedir):
    env = dict(os.environ, LANGUAGE='', LC_ALL='C', LANG='C')
    proc = subprocess.run([sys.executable, '-c', CHILD, backend, localedir],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert 'The loop is closed' in proc.stdout
    assert 'Invalid file descriptor -1' in proc.stdout


def test_failed_errno_is_found_in_a_translated_message(backend, localedir):
    # FAILED carries its errno in g_strerror() text, which follows the
    # locale: the override finds it in German too.
    if not locale_available(LOCALES['de']):
        pytest.skip('locale de_DE.UTF-8 is not installed')
    code = r'''
import errno, locale, sys
import gi
gi.require_version('Io', '1.0')
from gi.repository import GLib, Io
locale.setlocale(locale.LC_ALL, '')
text = GLib.strerror(errno.EMFILE)
assert text != 'Too many open files', text
error = GLib.Error('Polling with %s failed: %s' % (sys.argv[1], text),
                   GLib.quark_to_string(Io.LoopError.quark()), int(Io.LoopError.FAILED))
exc = Io.loop_exception(error)
print(type(exc).__name__, exc.errno)
'''
    env = dict(os.environ, LANGUAGE='de', LC_ALL=LOCALES['de'], LANG=LOCALES['de'])
    proc = subprocess.run([sys.executable, '-c', code, backend], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    import errno
    assert proc.stdout.split() == ['FailedError', str(errno.EMFILE)]
