/* hello.vala: ioloop from Vala — a handler on a pipe, a callback, timeouts
 * and a caught Io.LoopError.
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Build: valac --pkg ioloop-1.0 hello.vala   (see README.md, Install)
 */

int main (string[] args) {
    var loop = Io.Loop.instance ();
    int fds[2];
    string received = "";

    try {
        GLib.Unix.open_pipe (fds, Posix.FD_CLOEXEC);
        GLib.Unix.set_fd_nonblocking (fds[0], true);

        /* Level-triggered: called while the pipe has data to read. */
        loop.add_handler (fds[0], Io.Events.READ, (fd, events) => {
            uint8 buf[64];
            var n = Posix.read (fd, buf, buf.length - 1);
            if (n > 0) {
                buf[n] = 0;
                received += (string) buf;
            }
            if (received == "hello from Vala") {
                loop.remove_handler (fd);
                loop.stop ();
            }
        });

        /* Runs on the next iteration; writing makes the handler run. */
        loop.add_callback (() => {
            Posix.write (fds[1], "hello from Vala", 15);
        });

        /* A second handler for the same fd is refused with an error. */
        try {
            loop.add_handler (fds[0], Io.Events.READ, (fd, events) => {});
            stderr.printf ("a second handler was accepted\n");
            return 1;
        } catch (Io.LoopError.EXISTS e) {
            /* expected */
        }

        /* Bounds the example if anything goes wrong. */
        loop.call_later (30.0, () => {
            stderr.printf ("timed out\n");
            loop.stop ();
        });

        loop.start ();
    } catch (GLib.Error e) {
        stderr.printf ("hello.vala: %s\n", e.message);
        return 1;
    }

    Posix.close (fds[0]);
    Posix.close (fds[1]);
    if (received != "hello from Vala")
        return 1;
    print ("%s (backend %s)\n", received, loop.get_backend ());
    return 0;
}
