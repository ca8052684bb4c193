/* io-backend-kqueue.c: the BSD and macOS kqueue backend
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The sibling of io-backend-epoll.c. kqueue watches (fd, filter) pairs, so
 * one fd is an EVFILT_READ and an EVFILT_WRITE registration, and poll()
 * merges their events back into one entry per fd.
 *
 * Changes are batched: modify() and remove() append them to a change list
 * that the next kevent() wait submits, saving a system call per change.
 * Only add() and invalidate() go to the kernel at once, because that is
 * where a bad fd must fail in the caller's hands.
 *
 * A handler that asks for no events must still hear of an error or a
 * hang-up, and kqueue reports those only through a read or write filter.
 * Such an fd gets one "watch" knote: its read filter (write filter for a
 * write-only fd such as a pipe's write end), edge-triggered (EV_CLEAR) so
 * that data nobody reads wakes the loop once per arrival rather than at
 * every poll, and reported only when it carries EV_EOF. Once it has, the
 * watch turns level-triggered, so that the hang-up is reported at every
 * poll like poll(2) and epoll report POLLHUP, until the handler goes.
 *
 * On Linux the backend runs on libkqueue, which differs from the kernel
 * implementations (LIBKQUEUE, defined by its <sys/event.h>):
 * - its kqueue fd never polls readable, so get_fd() reports none and
 *   io-glib-source.c mirrors the watched fds as for poll and select;
 * - a knote outlives close(2) of its fd, and EV_ADD on such a knote
 *   changes nothing: a (re)registration deletes every filter it adds
 *   first, which is merely redundant on BSD and macOS;
 * - kevent() can fail with errno 0, and drops the errors of the changes it
 *   submits when its wait then times out: changes go in a call of their
 *   own, with EV_RECEIPT, so that every change returns its result at once.
 */
#include "config.h"

#ifdef HAVE_KQUEUE

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include "io-backend.h"

/* The two halves of IO_EVENTS_ERROR, as poll() spells them. */
#define EVENT_ERR  0x08
#define EVENT_HUP  0x10
G_STATIC_ASSERT ((EVENT_ERR | EVENT_HUP) == IO_EVENTS_ERROR);

#define FILTER_MASK  (IO_EVENTS_READ | IO_EVENTS_WRITE)


/* What the backend knows of one fd number. */
typedef struct
{
  /* The loop watches this fd (maybe for ERROR only): whether an error
   * from one of our changes has someone to be told to. */
  gboolean watched;
  /* Equals change_serial while the change list holds changes for it. */
  guint    change_serial;
  /* Equals poll_serial while events[merge_index] is this fd's. */
  guint    poll_serial;
  int      merge_index;
  /* The filter (IO_EVENTS_READ or _WRITE) of the watch knote of an fd
   * registered for ERROR only, or 0; and whether that knote is
   * level-triggered now (it reported EV_EOF) rather than EV_CLEAR. */
  IoEvents watch;
  gboolean watch_level;
} KqueueFdState;

typedef struct
{
  IoBackend      parent;

  int            kq;
  /* The process that made @kq: a kqueue is not inherited by fork(). */
  pid_t          pid;

  /* Changes for the next kevent() wait, in the order they were made. */
  struct kevent *changes;
  int            n_changes;
  int            changes_capacity;
  guint          change_serial;

  /* kevent() also returns the errors of the changes it submits here, and
   * stops applying changes when it has no room left for an error: so this
   * is never smaller than the change list. */
  struct kevent *kevents;
  int            kevents_capacity;

  /* The fds collected from @kevents, one entry per fd; as large as
   * @kevents when a wait begins. */
  IoBackendReady ready;
  guint          poll_serial;

  /* Indexed by fd; covers every fd add() registered. */
  KqueueFdState *fd_states;
  guint          n_fd_states;
} IoBackendKqueue;

static IoBackend *
kqueue_backend_create (GError **error)
{
  IoBackendKqueue *self;
  int kq;

  kq = kqueue ();
  if (kq < 0)
    {
      _io_backend_set_errno_error (error, errno, "kqueue", -1);
      return NULL;
    }

  /* kqueue() has no close-on-exec flag everywhere (kqueuex(), kqueue1()
   * are recent and not portable). */
  if (fcntl (kq, F_SETFD, FD_CLOEXEC) < 0)
    {
      int errsv = errno;

      close (kq);
      _io_backend_set_errno_error (error, errsv, "fcntl", -1);
      return NULL;
    }

  self = _io_backend_alloc (&_io_backend_kqueue, sizeof (IoBackendKqueue));
  self->kq = kq;
  self->pid = getpid ();
  self->change_serial = 1;
  self->kevents_capacity = IO_BACKEND_MIN_EVENTS;
  self->kevents = g_new (struct kevent, self->kevents_capacity);
  _io_backend_ready_init (&self->ready, IO_BACKEND_MIN_EVENTS);

  return &self->parent;
}

static void
kqueue_backend_destroy (IoBackend *backend)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;

  /* In a forked child the kqueue is gone (libkqueue closes it too) and
   * its number may be another file's by now: even the kqueue that
   * io_loop_reinit_after_fork() made before destroying this one. */
  if (self->pid == getpid ())
    close (self->kq);
  g_free (self->changes);
  g_free (self->kevents);
  _io_backend_ready_clear (&self->ready);
  g_free (self->fd_states);
  g_free (self);
}

static KqueueFdState *
kqueue_backend_fd_state (IoBackendKqueue *self,
                         int              fd)
{
  if ((guint) fd >= self->n_fd_states)
    return NULL;

  return &self->fd_states[fd];
}

static KqueueFdState *
kqueue_backend_ensure_fd_state (IoBackendKqueue *self,
                                int              fd)
{
  if ((guint) fd >= self->n_fd_states)
    {
      guint old_size = self->n_fd_states;

      self->n_fd_states = MAX ((guint) fd + 1, old_size * 2);
      self->fd_states = g_renew (KqueueFdState, self->fd_states,
                                 self->n_fd_states);
      memset (self->fd_states + old_size, 0,
              (self->n_fd_states - old_size) * sizeof (KqueueFdState));
    }

  return &self->fd_states[fd];
}

static short
filter_from_io_event (IoEvents event)
{
  return event == IO_EVENTS_READ ? EVFILT_READ : EVFILT_WRITE;
}

/* One change, now. Returns 0 or an errno value. */
static int
kqueue_backend_change_now (IoBackendKqueue *self,
                           int              fd,
                           IoEvents         event,
                           unsigned short   flags)
{
  struct kevent change;

  EV_SET (&change, fd, filter_from_io_event (event), flags, 0, 0, 0);
  if (kevent (self->kq, &change, 1, NULL, 0, NULL) < 0)
    return errno != 0 ? errno : EIO;      /* libkqueue can leave errno 0 */

  return 0;
}

/* The filter that hears of a hang-up on an fd that asks for no events:
 * the write filter only for an fd that cannot be read. */
static IoEvents
watch_filter_for_fd (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  if (flags >= 0 && (flags & O_ACCMODE) == O_WRONLY)
    return IO_EVENTS_WRITE;
  return IO_EVENTS_READ;
}

static unsigned short
watch_add_flags (gboolean level)
{
  return level ? EV_ADD : EV_ADD | EV_CLEAR;
}

static void
kqueue_backend_queue_change (IoBackendKqueue *self,
                             KqueueFdState   *state,
                             int              fd,
                             IoEvents         event,
                             unsigned short   flags)
{
  if (self->n_changes == self->changes_capacity)
    {
      self->changes_capacity = _io_backend_grow_capacity (self->changes_capacity, 0, G_MAXINT);
      self->changes = g_renew (struct kevent, self->changes,
                               self->changes_capacity);
    }

  /* Growing here is safe: @kevents is ours alone, unlike @events. */
  if (self->kevents_capacity < self->changes_capacity)
    {
      self->kevents_capacity = self->changes_capacity;
      self->kevents = g_renew (struct kevent, self->kevents,
                               self->kevents_capacity);
    }

  EV_SET (&self->changes[self->n_changes], fd, filter_from_io_event (event),
          flags, 0, 0, 0);
  self->n_changes++;
  state->change_serial = self->change_serial;
}

/* Queued changes for @fd predate a registration made now, and submitting
 * them after it (an EV_DELETE from before the fd was closed and reopened)
 * would undo it. */
static void
kqueue_backend_drop_queued_changes (IoBackendKqueue *self,
                                    int              fd)
{
  int i, j;

  for (i = 0, j = 0; i < self->n_changes; i++)
    {
      if (self->changes[i].ident != (uintptr_t) fd)
        self->changes[j++] = self->changes[i];
    }
  self->n_changes = j;
}

static gboolean
kqueue_backend_register_now (IoBackendKqueue  *self,
                             KqueueFdState    *state,
                             int               fd,
                             IoEvents          stale_filters,
                             IoEvents          filters,
                             GError          **error)
{
  IoEvents watch = filters == 0 ? watch_filter_for_fd (fd) : 0;
  int errsv = 0;

  if (state->change_serial == self->change_serial)
    {
      kqueue_backend_drop_queued_changes (self, fd);
      /* We no longer know which filters the kernel holds. */
      stale_filters = FILTER_MASK;
    }
  stale_filters |= state->watch;
#ifdef LIBKQUEUE
  /* A knote of an fd number closed and reused survives there, and EV_ADD
   * would only "modify" it, leaving the new file unwatched. */
  stale_filters |= filters | watch;
#endif
  state->watch = 0;

  /* ENOENT (not there) or EBADF (fd closed, filters gone with it) mean
   * the stale filter is gone already. A stale filter that is added again
   * is deleted too: EV_ADD keeps the EV_CLEAR of the knote it finds. */
  if (stale_filters & IO_EVENTS_READ)
    kqueue_backend_change_now (self, fd, IO_EVENTS_READ, EV_DELETE);
  if (stale_filters & IO_EVENTS_WRITE)
    kqueue_backend_change_now (self, fd, IO_EVENTS_WRITE, EV_DELETE);

  if (filters & IO_EVENTS_READ)
    errsv = kqueue_backend_change_now (self, fd, IO_EVENTS_READ, EV_ADD);
  if (errsv == 0 && (filters & IO_EVENTS_WRITE))
    errsv = kqueue_backend_change_now (self, fd, IO_EVENTS_WRITE, EV_ADD);
  if (watch != 0)
    errsv = kqueue_backend_change_now (self, fd, watch, watch_add_flags (FALSE));

  if (errsv != 0)
    {
      if (filters & IO_EVENTS_READ)
        kqueue_backend_change_now (self, fd, IO_EVENTS_READ, EV_DELETE);
      state->watched = FALSE;
      _io_backend_set_errno_error (error, errsv, "kevent", fd);
      return FALSE;
    }

  state->watched = TRUE;
  state->watch = watch;
  state->watch_level = FALSE;
  return TRUE;
}

/* Moves @filter of @fd from a level-triggered knote (@old_level), a watch
 * knote (@old_watch) or none to @new_level, @new_watch or none. */
static void
kqueue_backend_queue_filter (IoBackendKqueue *self,
                             KqueueFdState   *state,
                             int              fd,
                             IoEvents         filter,
                             gboolean         old_level,
                             gboolean         old_watch,
                             gboolean         new_level,
                             gboolean         new_watch)
{
  if (old_level == new_level && old_watch == new_watch)
    return;
  if (old_level || old_watch)
    kqueue_backend_queue_change (self, state, fd, filter, EV_DELETE);
  if (new_level)
    kqueue_backend_queue_change (self, state, fd, filter, EV_ADD);
  else if (new_watch)
    kqueue_backend_queue_change (self, state, fd, filter, watch_add_flags (FALSE));
}

static gboolean
kqueue_backend_add (IoBackend  *backend,
                    int         fd,
                    IoEvents    events,
                    GError    **error)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;

  return kqueue_backend_register_now (self, kqueue_backend_ensure_fd_state (self, fd),
                                      fd, 0, events & FILTER_MASK, error);
}

static gboolean
kqueue_backend_invalidate (IoBackend  *backend,
                           int         fd,
                           IoEvents    events,
                           GError    **error)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;

  /* Either filter may be the old file's, or gone with it. */
  return kqueue_backend_register_now (self, kqueue_backend_ensure_fd_state (self, fd),
                                      fd, FILTER_MASK, events & FILTER_MASK, error);
}

/* Queues the changes from @old_filters to @new_filters, or to nothing at
 * all unless @watched, for an fd registered already. */
static void
kqueue_backend_queue_interest (IoBackendKqueue *self,
                               KqueueFdState   *state,
                               int              fd,
                               IoEvents         old_filters,
                               IoEvents         new_filters,
                               gboolean         watched)
{
  IoEvents old_watch, new_watch;

  /* A watch that stays keeps its filter and mode; a new one is
   * edge-triggered until it sees EV_EOF. */
  old_watch = state->watch;
  if (!watched || new_filters != 0)
    new_watch = 0;
  else if (old_watch != 0)
    new_watch = old_watch;
  else
    new_watch = watch_filter_for_fd (fd);
  if (new_watch != old_watch)
    state->watch_level = FALSE;

  /* Removals of filters on an fd closed meanwhile fail with EBADF or
   * ENOENT when submitted; poll() drops those errors. */
  kqueue_backend_queue_filter (self, state, fd, IO_EVENTS_READ,
                               (old_filters & IO_EVENTS_READ) != 0,
                               (old_watch & IO_EVENTS_READ) != 0,
                               (new_filters & IO_EVENTS_READ) != 0,
                               (new_watch & IO_EVENTS_READ) != 0);
  kqueue_backend_queue_filter (self, state, fd, IO_EVENTS_WRITE,
                               (old_filters & IO_EVENTS_WRITE) != 0,
                               (old_watch & IO_EVENTS_WRITE) != 0,
                               (new_filters & IO_EVENTS_WRITE) != 0,
                               (new_watch & IO_EVENTS_WRITE) != 0);

  state->watch = new_watch;
  state->watched = watched;
}

static gboolean
kqueue_backend_modify (IoBackend  *backend,
                       int         fd,
                       IoEvents    old_events,
                       IoEvents    events,
                       GError    **error)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;

  /* Queued: the errors of an fd closed meanwhile come back from the
   * wait, and poll() reports them as IO_EVENTS_ERROR. */
  kqueue_backend_queue_interest (self, kqueue_backend_ensure_fd_state (self, fd), fd,
                                 old_events & FILTER_MASK, events & FILTER_MASK, TRUE);
  return TRUE;
}

static void
kqueue_backend_remove (IoBackend *backend,
                       int        fd,
                       IoEvents   old_events)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;
  KqueueFdState *state = kqueue_backend_fd_state (self, fd);

  if (state == NULL)
    return;
#ifdef LIBKQUEUE
  /* At once: libkqueue watches the fd with epoll, which keys its set by
   * (fd, file). Submitted after the caller closed or dup2()'d the number,
   * the removal would miss the old file, which a dup keeps alive, and
   * epoll would go on reporting it, to whichever knote libkqueue has
   * since put at the address it had. */
  if (state->change_serial == self->change_serial)
    kqueue_backend_drop_queued_changes (self, fd);
  kqueue_backend_change_now (self, fd, IO_EVENTS_READ, EV_DELETE);
  kqueue_backend_change_now (self, fd, IO_EVENTS_WRITE, EV_DELETE);
  state->watch = 0;
  state->watch_level = FALSE;
  state->watched = FALSE;
#else
  /* Queued too: kqueue keys its knotes by number and drops them when the
   * fd is closed, and a later registration of the number drops what is
   * still queued for it (register_now()). */
  kqueue_backend_queue_interest (self, state, fd, old_events & FILTER_MASK, 0, FALSE);
#endif
}

/* The IoEvents of one returned kevent, or 0 to ignore it. */
static guint32
kqueue_backend_revents (IoBackendKqueue     *self,
                        const struct kevent *kev)
{
  KqueueFdState *state;
  guint32 revents;

  if (kev->flags & EV_ERROR)
    {
      /* A change of ours failed. ENOENT is an EV_DELETE of a filter the
       * kernel dropped with a closed fd; any error for an fd nobody
       * watches any more is a removal's. */
      state = kqueue_backend_fd_state (self, (int) kev->ident);
      if (kev->data == 0 || kev->data == ENOENT ||
          state == NULL || !state->watched)
        return 0;
      return EVENT_ERR;
    }

  if (kev->filter == EVFILT_READ)
    revents = IO_EVENTS_READ;
  else if (kev->filter == EVFILT_WRITE)
    revents = IO_EVENTS_WRITE;
  else
    return 0;

  state = kqueue_backend_fd_state (self, (int) kev->ident);
  if (state != NULL && (state->watch & revents) != 0)
    {
      gboolean eof = (kev->flags & EV_EOF) != 0;

      /* Level-triggered while the hang-up lasts, edge-triggered else:
       * data that nobody asked for must not wake every poll. */
      if (eof != state->watch_level)
        {
          int fd = (int) kev->ident;

          kqueue_backend_queue_change (self, state, fd, state->watch, EV_DELETE);
          kqueue_backend_queue_change (self, state, fd, state->watch,
                                       watch_add_flags (eof));
          state->watch_level = eof;
        }
      if (!eof)
        return 0;
      return kev->fflags != 0 ? EVENT_HUP | EVENT_ERR : EVENT_HUP;
    }

  /* EV_EOF: the other end is gone; fflags holds a socket's pending error
   * (ECONNREFUSED on the write filter of a failed connect()). */
  if (kev->flags & EV_EOF)
    {
      revents |= EVENT_HUP;
      if (kev->fflags != 0)
        revents |= EVENT_ERR;
    }

  return revents;
}

/* Appends kevents[0..@n) to the events after the first @n_out, merging
 * each fd's filters into one entry. Returns the new number of entries. */
static int
kqueue_backend_collect (IoBackendKqueue *self,
                        int              n,
                        int              n_out)
{
  int i;

  for (i = 0; i < n; i++)
    {
      /* A copy: revents() may queue a change, which can move @kevents. */
      const struct kevent kev = self->kevents[i];
      int fd = (int) kev.ident;
      guint32 revents = kqueue_backend_revents (self, &kev);
      KqueueFdState *state = kqueue_backend_fd_state (self, fd);

      if (revents == 0)
        continue;

      /* Check the entry too: a serial left from 2^32 polls ago must not
       * merge into another fd's entry. */
      if (state != NULL && state->poll_serial == self->poll_serial &&
          state->merge_index < n_out &&
          self->ready.events[state->merge_index].fd == fd)
        {
          self->ready.events[state->merge_index].revents |= revents;
          continue;
        }

      if (state != NULL)
        {
          state->poll_serial = self->poll_serial;
          state->merge_index = n_out;
        }
      self->ready.events[n_out].fd = fd;
      self->ready.events[n_out].revents = revents;
      n_out++;
    }

  return n_out;
}

static gboolean
kqueue_backend_only_change_errors (IoBackendKqueue *self,
                                   int              n)
{
  int i;

  for (i = 0; i < n; i++)
    {
      if (!(self->kevents[i].flags & EV_ERROR))
        return FALSE;
    }

  return n > 0;
}

#ifdef LIBKQUEUE
/* Submits the change list on its own, each change with EV_RECEIPT: every
 * change then returns an entry, which fills the array and so returns at
 * once, with every error (libkqueue drops them when a wait times out).
 * Returns the number of events collected, or -1 with errno set. */
static int
kqueue_backend_submit_changes (IoBackendKqueue *self)
{
  int i, n, n_changes = self->n_changes;

  for (i = 0; i < n_changes; i++)
    self->changes[i].flags |= EV_RECEIPT;

  n = kevent (self->kq, self->changes, n_changes, self->kevents, n_changes, NULL);
  if (n < 0)
    {
      if (errno == 0)
        errno = EIO;
      if (errno != EINTR)
        return -1;
      n = 0;
    }

  self->n_changes = 0;
  self->change_serial++;
  return kqueue_backend_collect (self, n, 0);
}
#endif

static int
kqueue_backend_poll (IoBackend    *backend,
                     int           timeout_ms,
                     IoPollEvent **events)
{
  IoBackendKqueue *self = (IoBackendKqueue *) backend;
  static const struct timespec no_wait = { 0, 0 };
  struct timespec ts;
  struct timespec *tsp = _io_backend_timeout_to_timespec (timeout_ms, &ts) ? &ts : NULL;
  gboolean submitted = self->n_changes > 0;
  int capacity = (int) _io_backend_ready_reserve (&self->ready, (guint) self->kevents_capacity);
  int n, room, n_out = 0;

  if (G_UNLIKELY (self->kevents_capacity < capacity))
    {
      self->kevents_capacity = capacity;
      self->kevents = g_renew (struct kevent, self->kevents, capacity);
    }

  *events = self->ready.events;

  self->poll_serial++;

#ifdef LIBKQUEUE
  if (submitted)
    {
      n_out = kqueue_backend_submit_changes (self);
      if (n_out < 0)
        return -1;
      if (n_out > 0)
        tsp = (struct timespec *) &no_wait;
      submitted = FALSE;
    }
#endif

  /* Only the array's first part: the changes that collect() queues can
   * grow @kevents beyond @ready. */
  room = capacity - n_out;
  n = kevent (self->kq, self->changes, self->n_changes,
              self->kevents, room, tsp);
  if (n < 0)
    {
      if (errno == 0)
        errno = EIO;                    /* libkqueue can leave errno 0 */
      /* The changes went in before the wait was interrupted. On other
       * failures keep them: EV_ADD again is harmless, and so is EV_DELETE
       * of a filter already gone (ENOENT, ignored). */
      if (errno != EINTR)
        return n_out > 0 ? n_out : -1;
      n = 0;
    }

  self->n_changes = 0;
  self->change_serial++;

  n_out = kqueue_backend_collect (self, n, n_out);

  _io_backend_ready_waited (&self->ready, n, (guint) room);

  /* When a change fails, kevent() returns its error at once, without
   * waiting or collecting any event: so the wait is still to do. Only
   * peek if there is already something to report. */
  if (submitted && kqueue_backend_only_change_errors (self, n) &&
      n_out < capacity)
    {
      n = kevent (self->kq, NULL, 0, self->kevents, capacity - n_out,
                  n_out > 0 ? &no_wait : tsp);
      if (n < 0)
        {
          if (errno != EINTR && n_out == 0)
            return -1;
          n = 0;
        }
      n_out = kqueue_backend_collect (self, n, n_out);
    }

  return n_out;
}

static int
kqueue_backend_get_fd (IoBackend *backend)
{
#ifdef LIBKQUEUE
  /* libkqueue's kqueue fd is a pipe's write end, never readable: a main
   * loop polling it would never wake. */
  (void) backend;
  return -1;
#else
  return ((IoBackendKqueue *) backend)->kq;
#endif
}

const IoBackendClass _io_backend_kqueue =
{
  .name             = "kqueue",
  .kernel_keeps_fds = TRUE,
  .create           = kqueue_backend_create,
  .destroy          = kqueue_backend_destroy,
  .check_fd         = _io_backend_check_fd_any,
  .add              = kqueue_backend_add,
  .modify           = kqueue_backend_modify,
  .remove           = kqueue_backend_remove,
  .invalidate       = kqueue_backend_invalidate,
  .poll             = kqueue_backend_poll,
  .get_fd           = kqueue_backend_get_fd,
};

#endif /* HAVE_KQUEUE */
