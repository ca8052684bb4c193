# test_docstrings.py: help() shows Python documentation for every public
# method of the override and of ioloop.IOStream, and docs/python.md gives
# each one's signature
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import inspect
import os
import pydoc

import gi
import pytest
from gi.repository import GObject, Io

import ioloop


# The classes of the override, and what their GObject/GBoxed bases give
# (documented by PyGObject, not here).
CLASSES = [Io.Loop, Io.Async, Io.PeriodicCallback, Io.Timeout]
INHERITED = set(dir(GObject.Object)) | set(dir(Io.Async.__mro__[2]))
# Constants, instance-struct fields and virtual functions (documented in
# docs/python.md as what subclasses override).
NOT_METHODS = {'NONE', 'READ', 'WRITE', 'ERROR', 'parent_instance',
               'do_handle_callback_exception'}


def public_methods():
    for cls in CLASSES:
        for name in sorted(dir(cls)):
            if name.startswith('_') or name in INHERITED or name in NOT_METHODS:
                continue
            yield cls, name


METHODS = list(public_methods())


def method_id(item):
    cls, name = item
    return '%s.%s' % (cls.__name__, name)


@pytest.fixture(scope='module')
def python_md():
    python_dir = os.environ.get('IOLOOP_PYTHON_DIR')
    if not python_dir:
        pytest.skip('IOLOOP_PYTHON_DIR (the source python/ directory) is not set')
    path = os.path.join(python_dir, os.pardir, 'docs', 'python.md')
    with open(path, encoding='utf-8') as f:
        return f.read()


def test_the_classes_are_the_override_s():
    for cls in CLASSES:
        assert cls.__module__ == 'gi.overrides.Io', cls
    assert ioloop.IOLoop is Io.Loop
    assert len(METHODS) > 40


@pytest.mark.parametrize('item', METHODS, ids=method_id)
def test_method_is_python_with_a_docstring(item):
    cls, name = item
    attr = inspect.getattr_static(cls, name)
    func = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
    # A Python function of the override, not PyGObject's FunctionInfo.
    assert inspect.isfunction(func), '%s.%s is %r' % (cls.__name__, name, type(func))
    doc = inspect.getdoc(getattr(cls, name))
    assert doc and len(doc) > 20, '%s.%s has no docstring' % (cls.__name__, name)
    inspect.signature(getattr(cls, name))


@pytest.mark.parametrize('name', ['instance', 'install', 'stop', 'initialized',
                                  'start', 'add_handler', 'time', 'close'])
def test_help_shows_the_docstring(name):
    func = getattr(ioloop.IOLoop, name)
    text = pydoc.plain(pydoc.render_doc(func))
    assert 'FunctionInfo' not in text
    assert inspect.getdoc(func).splitlines()[0] in text


def signature_text(cls, name):
    """``name(args)`` as docs/python.md writes it: without ``self``."""
    sig = inspect.signature(getattr(cls, name))
    params = [p for p in sig.parameters.values() if p.name not in ('self', 'cls')]
    return '%s%s' % (name, sig.replace(parameters=params))


@pytest.mark.parametrize('item', METHODS, ids=method_id)
def test_python_page_gives_the_signature(item, python_md):
    cls, name = item
    text = signature_text(cls, name)
    assert '`' in python_md
    assert text in python_md, 'docs/python.md does not give %s' % text


IOSTREAM_METHODS = [name for name in sorted(dir(ioloop.IOStream)) if not name.startswith('_')]


def test_iostream_has_its_methods():
    assert {'connect', 'read_until', 'read_bytes', 'read_until_close', 'write',
            'close'} <= set(IOSTREAM_METHODS)


@pytest.mark.parametrize('name', IOSTREAM_METHODS)
def test_iostream_method_has_a_docstring_help_shows(name):
    func = getattr(ioloop.IOStream, name)
    doc = inspect.getdoc(func)
    assert doc and len(doc) > 20, 'IOStream.%s has no docstring' % name
    assert doc.splitlines()[0] in pydoc.plain(pydoc.render_doc(func))


@pytest.mark.parametrize('name', IOSTREAM_METHODS)
def test_python_page_gives_the_iostream_signature(name, python_md):
    text = signature_text(ioloop.IOStream, name)
    assert text in python_md, 'docs/python.md does not give IOStream.%s' % text


def test_python_page_gives_the_iostream_constructor(python_md):
    sig = inspect.signature(ioloop.IOStream)
    assert 'IOStream%s' % (sig,) in python_md
    assert 'StreamClosedError' in python_md and ioloop.StreamClosedError.__doc__
