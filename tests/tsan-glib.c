/* tsan-glib.c: tell ThreadSanitizer about GLib's locks
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GLib implements GMutex and GCond on Linux with futexes and its own
 * atomics, in a library that is not built with -fsanitize=thread: TSan
 * sees neither the lock nor the unlock, and reports every access that a
 * GMutex orders as a data race. This library is LD_PRELOADed into the
 * ThreadSanitizer run of the C tests (.ci/run): it interposes the GLib
 * lock calls that the loop and the tests make, forwards each to GLib, and
 * adds the happens-before edge that the lock gives (__tsan_acquire after
 * taking it, __tsan_release before letting it go).
 *
 * It is built without the sanitizer and with weak references to the TSan
 * interface, so that it is harmless in the uninstrumented processes of a
 * `make check` (make, the shell, the libtool wrappers), and it does not
 * link GLib: the real functions are looked up with dlsym(RTLD_NEXT).
 *
 * Build: cc -shared -fPIC -O1 -o libtsan-glib.so tsan-glib.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void __tsan_acquire (void *addr) __attribute__ ((weak));
void __tsan_release (void *addr) __attribute__ ((weak));

typedef int gboolean;
typedef int64_t gint64;
typedef void GMutex;
typedef void GCond;
typedef void GRecMutex;

static void *
real (const char *name)
{
  void *sym = dlsym (RTLD_NEXT, name);

  if (sym == NULL)
    {
      fprintf (stderr, "tsan-glib: %s not found: %s\n", name, dlerror ());
      abort ();
    }
  return sym;
}

#define REAL(ret, name, args)                                    \
  static ret (*real_fn) args;                                    \
  if (real_fn == NULL)                                           \
    real_fn = (ret (*) args) real (name)

static void
acquire (void *addr)
{
  if (__tsan_acquire != NULL)
    __tsan_acquire (addr);
}

static void
release (void *addr)
{
  if (__tsan_release != NULL)
    __tsan_release (addr);
}

void
g_mutex_lock (GMutex *mutex)
{
  REAL (void, "g_mutex_lock", (GMutex *));
  real_fn (mutex);
  acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  REAL (gboolean, "g_mutex_trylock", (GMutex *));
  gboolean locked = real_fn (mutex);

  if (locked)
    acquire (mutex);
  return locked;
}

void
g_mutex_unlock (GMutex *mutex)
{
  REAL (void, "g_mutex_unlock", (GMutex *));
  release (mutex);
  real_fn (mutex);
}

void
g_rec_mutex_lock (GRecMutex *mutex)
{
  REAL (void, "g_rec_mutex_lock", (GRecMutex *));
  real_fn (mutex);
  acquire (mutex);
}

void
g_rec_mutex_unlock (GRecMutex *mutex)
{
  REAL (void, "g_rec_mutex_unlock", (GRecMutex *));
  release (mutex);
  real_fn (mutex);
}

/* A wait lets the mutex go and takes it again; a signal orders what the
 * signaller did before it with what the waiter does after waking. */
void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  REAL (void, "g_cond_wait", (GCond *, GMutex *));
  release (mutex);
  real_fn (cond, mutex);
  acquire (mutex);
  acquire (cond);
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  REAL (gboolean, "g_cond_wait_until", (GCond *, GMutex *, gint64));
  gboolean signalled;

  release (mutex);
  signalled = real_fn (cond, mutex, end_time);
  acquire (mutex);
  acquire (cond);
  return signalled;
}

void
g_cond_signal (GCond *cond)
{
  REAL (void, "g_cond_signal", (GCond *));
  release (cond);
  real_fn (cond);
}

void
g_cond_broadcast (GCond *cond)
{
  REAL (void, "g_cond_broadcast", (GCond *));
  release (cond);
  real_fn (cond);
}
