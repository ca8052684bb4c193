/* io-test-util.h: what every test program shares
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test runs once per built backend, as /BACKEND/feature/behaviour,
 * with a fresh loop on that backend, in its own subprocess (unless
 * IO_TEST_IN_PROCESS is set or valgrind runs us): a crash fails one test,
 * not the program. Every test is time-bounded: io_test_run_loop() and
 * io_test_iterate_until() fail a test whose loop has not stopped after a
 * generous while, a watchdog thread ends a test that hangs anywhere else,
 * and the parent kills a child that outlives both.
 */
#pragma once

#include <ioloop/ioloop.h>

G_BEGIN_DECLS

typedef struct
{
  const char *backend;  /* the backend this run of the test is for */
  IoLoop     *loop;     /* a fresh loop on it; the fixture unrefs it and
                         * checks that it was finalized (set it to NULL
                         * to take it over) */
} IoTest;

typedef void (*IoTestFunc) (IoTest *t);

/* The bound io_test_run_loop() uses when a test does not say. */
#define IO_TEST_LOOP_TIMEOUT 20.0

void      io_test_init            (int         *argc,
                                   char      ***argv);
int       io_test_run             (void);

/* Registers /BACKEND@path for every built backend. */
void      io_test_add             (const char  *path,
                                   IoTestFunc   func);
/* Registers /BACKEND@path for @backend only, if it is built. */
void      io_test_add_only        (const char  *backend,
                                   const char  *path,
                                   IoTestFunc   func);
/* Registers /BACKEND@path for every built backend but @backend. */
void      io_test_add_except      (const char  *backend,
                                   const char  *path,
                                   IoTestFunc   func);

/* For the programs that test an internal data structure alone, with
 * g_test_init() rather than io_test_init(): ends the program with a TAP
 * "Bail out!" if it runs longer than @seconds (times
 * IO_TEST_TIMEOUT_SCALE). Generous bounds: only a hang may reach them. */
void      io_test_alarm_program   (const char  *program,
                                   guint        seconds);

/* The path of this test program, to run it again as a child. */
const char *io_test_get_program (void);

/* Call first in a child of fork() that ends with _exit() and no exec.
 * Under valgrind, turns off the leak check at that child's exit: its heap
 * is a copy of the parent's, and what the parent's other threads (the
 * watchdog, GLib's workers) hold is reachable from stacks the child does
 * not have, so it would all read as lost, and valgrind would replace the
 * child's exit status. Memory errors in the child are still reported. */
void      io_test_forked_child    (void);

/* TRUE when the program runs under valgrind (or IO_TEST_VALGRIND is set,
 * as `make check-valgrind` does): for the few tests that cannot work
 * there and skip with their reason. */
gboolean  io_test_under_valgrind  (void);

/* g_test_skip() that also works when the test runs in a subprocess. */
void      io_test_skip            (const char  *reason);

/* Runs t->loop until it stops; fails the test if it has not stopped after
 * @max_seconds (a generous bound, not a speed requirement). */
void      io_test_run_loop        (IoTest      *t,
                                   gdouble      max_seconds);
/* Runs blocking iterations until *@flag is non-zero (none sleeps longer
 * than a few milliseconds); fails the test after @max_seconds. */
void      io_test_iterate_until   (IoTest      *t,
                                   const gint  *flag,
                                   gdouble      max_seconds);
/* One non-blocking iteration; asserts it did not fail. */
gboolean  io_test_iterate         (IoTest      *t);

/* Scales a stress-test count down when IO_TEST_QUICK is set (valgrind). */
guint     io_test_scale           (guint        n);

/* A non-blocking, close-on-exec AF_UNIX stream socket pair. */
void      io_test_socketpair      (int          fds[2]);
void      io_test_write_byte      (int          fd);
/* Reads everything there is; returns the number of bytes read. */
gsize     io_test_drain           (int          fd);
gboolean  io_test_fd_is_open      (int          fd);
/* The number of fds open in this process. */
guint     io_test_count_open_fds  (void);

/* Brings the process to its fd limit: lowers RLIMIT_NOFILE's soft limit
 * to a little above the fds open now, then opens /dev/null until open()
 * fails with EMFILE. io_test_fd_limit_free_one() closes one of those
 * fillers; io_test_fd_limit_restore() closes the rest and puts the limit
 * back. FALSE (nothing changed) if the limit cannot be lowered. */
typedef struct
{
  GArray  *fillers;       /* of int */
  guint64  saved_cur;
} IoTestFdLimit;

gboolean  io_test_fd_limit_reach   (IoTestFdLimit *limit);
void      io_test_fd_limit_free_one (IoTestFdLimit *limit);
void      io_test_fd_limit_restore (IoTestFdLimit *limit);

/* Monotonic seconds. */
gdouble   io_test_now             (void);
/* Spins (without sleeping, so signals cannot shorten it) for @seconds. */
void      io_test_busy_wait       (gdouble      seconds);

/* Counts runs and notifies of one callback. */
typedef struct
{
  gint runs;
  gint notifies;
} IoTestCounts;

void      io_test_counts_cb       (gpointer     counts,
                                   GError     **error);
void      io_test_counts_notify   (gpointer     counts);

/* Destroy notifies that count into a gint. */
void      io_test_count_notify    (gpointer     counter);
/* A callback that stops the loop given as user data. */
void      io_test_stop_cb         (gpointer     loop,
                                   GError     **error);
/* A callback that counts into the gint given as user data. */
void      io_test_count_cb        (gpointer     counter,
                                   GError     **error);

/* Asserts that @error is set in the IO_LOOP_ERROR domain with @code, and
 * clears it. */
#define io_test_assert_error(error, code) \
  G_STMT_START { \
    g_assert_error ((error), IO_LOOP_ERROR, (code)); \
    g_assert_nonnull ((error)->message); \
    g_assert_cmpstr ((error)->message, !=, ""); \
    g_clear_error (&(error)); \
  } G_STMT_END

G_END_DECLS
