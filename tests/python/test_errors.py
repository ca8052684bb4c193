# test_errors.py: errors of the Io API arrive as the exceptions Tornado and
# asyncio code catches (OSError with errno, ValueError, TypeError,
# RuntimeError), and stay GLib.Error with their domain and code
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import errno
import os
import pickle
import resource
import socket
import tempfile
import threading

import pytest
from gi.repository import GLib, Io

from conftest import is_loop_error

DOMAIN = GLib.quark_to_string(Io.LoopError.quark())


def noop(*args):
    pass


def closed_fd():
    """A descriptor number that is not open, and well above those that the
    loop may open meanwhile (a closed pipe's number is reused at once)."""
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    fd += 200
    with pytest.raises(OSError):
        os.fstat(fd)
    return fd


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def check_error(exc, code, errnum=None):
    """``exc`` is a GLib.Error of Io.LoopError ``code`` (and, for an
    OSError, has ``errnum``)."""
    assert isinstance(exc, GLib.Error)
    assert exc.domain == DOMAIN
    assert exc.code == int(code)
    assert is_loop_error(exc, code)
    assert type(exc).loop_error == code
    assert exc.message
    if errnum is not None:
        assert isinstance(exc, OSError)
        assert exc.errno == errnum
        assert exc.strerror == exc.message
        assert str(exc) == '[Errno %d] %s' % (errnum, exc.message)
    else:
        assert str(exc) == exc.message


# -- system-level errors: OSError with errno --------------------------------

def test_closed_fd_is_oserror_ebadf(loop):
    r = closed_fd()
    with pytest.raises(OSError) as info:
        loop.add_handler(r, noop, loop.READ)
    check_error(info.value, Io.LoopError.BAD_FD, errno.EBADF)
    assert isinstance(info.value, Io.BadFdError)
    assert not loop.has_handler(r)


def test_regular_file_is_refused_or_watched(loop, backend):
    # Whether a backend watches regular files is the library's choice
    # (documented in Io.LoopError); a refusal is a PermissionError(EPERM),
    # as epoll_ctl() reports it.
    with tempfile.TemporaryFile() as f:
        try:
            loop.add_handler(f, noop, loop.READ)
        except OSError as e:
            check_error(e, Io.LoopError.UNSUPPORTED_FD, errno.EPERM)
            assert isinstance(e, PermissionError)
            assert isinstance(e, Io.UnsupportedFdError)
        else:
            loop.remove_handler(f)


def test_fd_beyond_fd_setsize_is_permissionerror_with_select(backend):
    if backend != 'select':
        pytest.skip('only select() has an FD_SETSIZE limit')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 1100     # above FD_SETSIZE (1024)
    if hard != resource.RLIM_INFINITY and hard <= target:
        pytest.skip('RLIMIT_NOFILE too low for a descriptor above FD_SETSIZE')
    loop = Io.Loop(backend=backend)
    r, w = os.pipe()
    try:
        if soft != resource.RLIM_INFINITY and soft <= target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target + 1, hard))
        high = os.dup2(r, target)
        try:
            with pytest.raises(PermissionError) as info:
                loop.add_handler(high, noop, loop.READ)
            check_error(info.value, Io.LoopError.UNSUPPORTED_FD, errno.EPERM)
        finally:
            os.close(high)
    finally:
        os.close(r)
        os.close(w)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        loop.close(False)


def test_second_handler_is_file_exists_error(loop, pair):
    a, b = pair
    loop.add_handler(a, noop, loop.READ)
    with pytest.raises(FileExistsError) as info:
        loop.add_handler(a.fileno(), noop, loop.READ)
    check_error(info.value, Io.LoopError.EXISTS, errno.EEXIST)


def test_update_of_unknown_fd_is_file_not_found_error(loop, pair):
    a, b = pair
    with pytest.raises(FileNotFoundError) as info:
        loop.update_handler(a, loop.WRITE)
    check_error(info.value, Io.LoopError.NOT_FOUND, errno.ENOENT)


def test_failed_poll_is_oserror_with_the_errno(backend):
    # poll() fails with EINVAL when it is given more descriptors than
    # RLIMIT_NOFILE allows: a real IO_LOOP_ERROR_FAILED from a system call.
    if backend != 'poll':
        pytest.skip('only poll() checks the number of descriptors against RLIMIT_NOFILE')
    loop = Io.Loop(backend=backend)
    pipes = [os.pipe() for _ in range(24)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        for r, w in pipes:
            loop.add_handler(r, noop, loop.READ)
        resource.setrlimit(resource.RLIMIT_NOFILE, (16, hard))
        try:
            with pytest.raises(OSError) as info:
                loop.iteration(False)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        check_error(info.value, Io.LoopError.FAILED, errno.EINVAL)
        assert isinstance(info.value, Io.FailedError)
    finally:
        loop.close(False)
        for r, w in pipes:
            os.close(r)
            os.close(w)


@pytest.mark.parametrize('errnum', [errno.EMFILE, errno.ENOMEM, errno.EINVAL, errno.EBADF])
def test_failed_carries_the_errno_of_its_message(backend, errnum):
    # The library puts g_strerror (errno) at the end of FAILED messages.
    error = GLib.Error('Polling with %s failed: %s' % (backend, GLib.strerror(errnum)),
                       DOMAIN, int(Io.LoopError.FAILED))
    exc = Io.loop_exception(error)
    assert isinstance(exc, Io.FailedError)
    check_error(exc, Io.LoopError.FAILED, errnum)


def test_failed_without_a_system_error_has_no_errno(backend):
    exc = Io.loop_exception(GLib.Error('%s: something else' % backend, DOMAIN,
                                       int(Io.LoopError.FAILED)))
    assert isinstance(exc, OSError)
    assert exc.errno is None
    assert exc.code == int(Io.LoopError.FAILED)


# -- invalid arguments: ValueError, TypeError -------------------------------

def test_negative_fd_is_valueerror(loop):
    with pytest.raises(ValueError) as info:
        loop.add_handler(-1, noop, loop.READ)
    check_error(info.value, Io.LoopError.INVALID_ARGUMENT)
    assert isinstance(info.value, Io.InvalidArgumentError)


@pytest.mark.parametrize('events', [0x100, 0x2, -1, 1 << 40])
def test_invalid_events_are_valueerror(loop, pair, events):
    a, b = pair
    with pytest.raises(ValueError):
        loop.add_handler(a, noop, events)
    assert not loop.has_handler(a.fileno())
    loop.add_handler(a, noop, loop.READ)
    with pytest.raises(ValueError):
        loop.update_handler(a, events)


@pytest.mark.parametrize('events', ['1', None, 1.5])
def test_events_of_another_type_are_typeerror(loop, pair, events):
    a, b = pair
    with pytest.raises(TypeError):
        loop.add_handler(a, noop, events)
    assert not loop.has_handler(a.fileno())


@pytest.mark.parametrize('fd', ['3', None, object()])
def test_fd_without_fileno_is_typeerror(loop, fd):
    with pytest.raises(TypeError):
        loop.add_handler(fd, noop, loop.READ)
    with pytest.raises(TypeError):
        loop.update_handler(fd, loop.READ)


@pytest.mark.parametrize('deadline', [float('nan'), float('inf')])
def test_deadline_not_finite_is_valueerror(loop, deadline):
    with pytest.raises(ValueError) as info:
        loop.add_timeout(deadline, noop)
    check_error(info.value, Io.LoopError.INVALID_ARGUMENT)
    with pytest.raises(ValueError):
        loop.call_later(deadline, noop)
    with pytest.raises(ValueError):
        loop.call_at(deadline, noop)


def test_bad_signal_number_is_valueerror(loop):
    with pytest.raises(ValueError) as info:
        loop.add_signal_handler(-3, noop)
    check_error(info.value, Io.LoopError.INVALID_ARGUMENT)


def test_not_a_child_is_valueerror(loop):
    with pytest.raises(ValueError) as info:
        loop.add_child_watch(1, noop)
    check_error(info.value, Io.LoopError.INVALID_ARGUMENT)


def test_unknown_backend_is_valueerror(backend):
    with pytest.raises(ValueError) as info:
        Io.Loop.new_with_backend(backend + '-nonexistent')
    check_error(info.value, Io.LoopError.NO_BACKEND)
    assert isinstance(info.value, Io.NoBackendError)


# -- the loop's state: RuntimeError -----------------------------------------

def test_closed_loop_is_runtimeerror(loop, pair):
    a, b = pair
    loop.close(False)
    for call in (lambda: loop.add_handler(a, noop, loop.READ),
                 lambda: loop.call_later(1, noop),
                 lambda: loop.add_timeout(0, noop),
                 loop.start):
        with pytest.raises(RuntimeError) as info:
            call()
        check_error(info.value, Io.LoopError.CLOSED)
        assert isinstance(info.value, Io.LoopClosedError)


def test_nested_start_is_runtimeerror(loop):
    caught = []

    def nested():
        try:
            loop.start()
        except RuntimeError as e:
            caught.append(e)
        loop.stop()
    loop.add_callback(nested)
    loop.call_later(10, loop.stop)
    loop.start()
    assert len(caught) == 1
    check_error(caught[0], Io.LoopError.RUNNING)
    assert isinstance(caught[0], Io.LoopRunningError)


def test_start_from_another_thread_is_runtimeerror(loop):
    caught = []

    def other():
        try:
            loop.start()
        except RuntimeError as e:
            caught.append(e)
        loop.add_callback(loop.stop)

    loop.add_callback(lambda: threading.Thread(target=other).start())
    loop.call_later(10, loop.stop)
    loop.start()
    assert len(caught) == 1
    check_error(caught[0], Io.LoopError.RUNNING)


def test_second_install_is_runtimeerror(backend):
    mine = Io.Loop(backend=backend)
    other = Io.Loop(backend=backend)
    try:
        assert mine.install()
        with pytest.raises(RuntimeError) as info:
            other.install()
        check_error(info.value, Io.LoopError.ALREADY_INSTALLED)
        assert Io.Loop.instance() is mine
    finally:
        other.close(False)


def test_second_attach_is_file_exists_error(loop):
    context = GLib.MainContext()
    source_id = loop.attach(context)
    try:
        with pytest.raises(FileExistsError) as info:
            loop.attach(context)
        check_error(info.value, Io.LoopError.EXISTS, errno.EEXIST)
    finally:
        assert loop.detach()
    assert source_id > 0


def test_forked_loop_is_runtimeerror(loop):
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            try:
                loop.call_later(1, noop)
            except RuntimeError as e:
                if (isinstance(e, Io.ForkedError) and e.code == int(Io.LoopError.FORKED)
                        and e.domain == DOMAIN):
                    status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# -- the classes themselves ---------------------------------------------------

@pytest.mark.parametrize('code', list(Io.LoopError.__enum_values__.values()))
def test_every_code_has_a_python_exception(backend, code):
    error = GLib.Error('%s: test message' % backend, DOMAIN, int(code))
    exc = Io.loop_exception(error)
    assert exc is not error
    assert isinstance(exc, GLib.Error)
    assert exc.matches(Io.LoopError.quark(), int(code))
    assert exc.code == int(code) and exc.domain == DOMAIN
    assert exc.message == error.message
    assert isinstance(exc, (OSError, ValueError, RuntimeError))
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is type(exc)
    assert (again.message, again.domain, again.code) == (exc.message, exc.domain, exc.code)
    assert getattr(again, 'errno', None) == getattr(exc, 'errno', None)
    # Converting twice changes nothing.
    assert Io.loop_exception(exc) is exc


def test_other_domains_are_left_alone(backend):
    error = GLib.Error(backend, 'some-other-domain', 2)
    assert Io.loop_exception(error) is error


def test_exception_raised_by_a_callback_is_reported_with_its_code(loop):
    # A loop error a callback does not catch reaches callback-exception as
    # the GLib.Error it is.
    reported = []
    loop.connect('callback-exception', lambda _loop, error: reported.append(error))
    r = closed_fd()

    def callback():
        try:
            loop.add_handler(r, noop, loop.READ)
        finally:
            loop.stop()
    loop.add_callback(callback)
    loop.call_later(10, loop.stop)
    loop.start()
    assert len(reported) == 1
    assert reported[0].matches(Io.LoopError.quark(), int(Io.LoopError.BAD_FD))
