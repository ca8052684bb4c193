/* io-listener.c: a listening TCP or Unix socket that makes streams
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Accepts until EAGAIN on each READ. When the process is out of fds (or
 * the kernel out of memory) the pending connection cannot be taken, and
 * the socket stays readable: rather than spin on it, the listener reports
 * the error, stops watching the socket and tries again after a pause that
 * doubles up to a second, as Go's net package does.
 */
#define _GNU_SOURCE               /* accept4() */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "io-listener.h"
#include "io-unix-address-private.h"

#define FIRST_PAUSE 0.005
#define LAST_PAUSE  1.0

/**
 * IoListener:
 *
 * A listening TCP or Unix socket on an #IoLoop that hands each connection
 * it accepts to a callback as an #IoStream. Made by io_listener_new_tcp()
 * or io_listener_new_unix().
 *
 * On TCP, `SO_REUSEADDR` is always set, `SO_REUSEPORT` with
 * %IO_LISTENER_FLAGS_REUSEPORT. The loop holds a reference on an open
 * listener: it listens until io_listener_close() or until its loop
 * closes.
 *
 * Since: 1.2
 */

struct _IoListener
{
  GObject               parent_instance;

  IoLoop               *loop;
  int                   fd;
  guint16               port;
  char                 *socket_file;    /* the Unix socket file we made */
  dev_t                 socket_dev;
  ino_t                 socket_ino;
  gboolean              handler_attached;
  IoTimeout            *pause;
  gdouble               pause_seconds;
  IoListenerAcceptFunc  func;
  gpointer              user_data;
  GDestroyNotify        notify;
};

G_DEFINE_FINAL_TYPE (IoListener, io_listener, G_TYPE_OBJECT)

static void
drop_pause (IoListener *self)
{
  IoTimeout *timeout = g_steal_pointer (&self->pause);

  if (timeout != NULL)
    {
      io_loop_remove_timeout (self->loop, timeout);
      io_timeout_unref (timeout);
    }
}

/* Only the file we bound: not one that replaced it since. */
static void
remove_socket_file (IoListener *self)
{
  char *path = g_steal_pointer (&self->socket_file);
  struct stat st;

  if (path != NULL && lstat (path, &st) == 0 &&
      st.st_dev == self->socket_dev && st.st_ino == self->socket_ino)
    unlink (path);
  g_free (path);
}

static void
close_internal (IoListener *self)
{
  drop_pause (self);
  if (self->handler_attached)
    {
      self->handler_attached = FALSE;
      io_loop_remove_handler (self->loop, self->fd, NULL);
    }
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  remove_socket_file (self);
  if (self->notify != NULL)
    g_steal_pointer (&self->notify) (self->user_data);
  self->func = NULL;
}

static void
resume_accepting (gpointer   data,
                  GError   **error)
{
  IoListener *self = data;

  g_clear_pointer (&self->pause, io_timeout_unref);
  if (self->handler_attached)
    io_loop_update_handler (self->loop, self->fd, IO_EVENTS_READ, NULL);
}

static void
report (IoListener   *self,
        IoStream     *stream,
        const GError *error)
{
  if (self->func != NULL)
    self->func (self, stream, error, self->user_data);
}

static void
pause_accepting (IoListener *self,
                 int         errsv)
{
  GError *error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Could not accept a connection: %s"),
                               g_strerror (errsv));

  io_loop_update_handler (self->loop, self->fd, IO_EVENTS_NONE, NULL);
  self->pause = io_loop_call_later (self->loop, self->pause_seconds,
                                    resume_accepting, self, NULL, NULL);
  if (self->pause != NULL)
    io_timeout_ref (self->pause);
  self->pause_seconds = MIN (self->pause_seconds * 2, LAST_PAUSE);
  report (self, NULL, error);
  g_error_free (error);
}

static void
on_readable (int        fd,
             IoEvents   events,
             gpointer   user_data,
             GError   **error)
{
  IoListener *self = g_object_ref (user_data);

  while (self->fd >= 0 && self->pause == NULL)
    {
      GError *local = NULL;
      IoStream *stream;
      int conn = accept4 (self->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (conn < 0)
        {
          int errsv = errno;

          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            break;
          if (errsv == EINTR || errsv == ECONNABORTED || errsv == EPROTO)
            continue;           /* that connection is gone: the next */
          if (errsv == EMFILE || errsv == ENFILE || errsv == ENOBUFS || errsv == ENOMEM)
            pause_accepting (self, errsv);
          else
            {
              local = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                                   _("Could not accept a connection: %s"),
                                   g_strerror (errsv));
              report (self, NULL, local);
              g_error_free (local);
            }
          break;
        }
      self->pause_seconds = FIRST_PAUSE;
      stream = io_stream_new (self->loop, conn, &local);
      if (stream == NULL)
        {
          close (conn);
          report (self, NULL, local);
          g_error_free (local);
          continue;
        }
      report (self, stream, NULL);
      g_object_unref (stream);
    }
  g_object_unref (self);
}

/* The loop's reference; without io_listener_close() first, the loop
 * closed (and with all_fds, closed our fd). */
static void
handler_notify (gpointer data)
{
  IoListener *self = data;

  if (self->handler_attached)
    {
      self->handler_attached = FALSE;
      g_clear_pointer (&self->pause, io_timeout_unref);
      if (fcntl (self->fd, F_GETFD) < 0)
        self->fd = -1;
      close_internal (self);
    }
  g_object_unref (self);
}

/* Takes @fd; on failure, closes it and drops @self. */
static IoListener *
start_listening (IoListener            *self,
                 IoLoop                *loop,
                 int                    fd,
                 IoListenerAcceptFunc   func,
                 gpointer               user_data,
                 GDestroyNotify         notify,
                 GError               **error)
{
  self->loop = g_object_ref (loop);
  self->fd = fd;
  if (!io_loop_add_handler (loop, fd, IO_EVENTS_READ, on_readable,
                            g_object_ref (self), handler_notify, error))
    {
      g_object_unref (self);
      g_object_unref (self);
      return NULL;
    }
  self->handler_attached = TRUE;
  self->func = func;
  self->user_data = user_data;
  self->notify = notify;
  return self;
}

static gboolean
set_error_errno (GError     **error,
                 const char  *what,
                 int          errsv)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s",
               what, g_strerror (errsv));
  return FALSE;
}

static GInetAddress *
resolve_host (const char  *host,
              GError     **error)
{
  GResolver *resolver;
  GList *addresses;
  GInetAddress *address;

  if (host == NULL)
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  address = g_inet_address_new_from_string (host);
  if (address != NULL)
    return address;
  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, host, NULL, error);
  g_object_unref (resolver);
  if (addresses == NULL)
    return NULL;
  address = g_object_ref (addresses->data);
  g_resolver_free_addresses (addresses);
  return address;
}

static int
open_listening_socket (GInetAddress     *address,
                       guint16           port,
                       int               backlog,
                       IoListenerFlags   flags,
                       guint16          *bound_port,
                       GError          **error)
{
  GSocketAddress *sa = g_inet_socket_address_new (address, port);
  struct sockaddr_storage native;
  socklen_t native_len = g_socket_address_get_native_size (sa);
  int fd, one = 1, zero = 0;
  gboolean ok = g_socket_address_to_native (sa, &native, sizeof native, error);

  g_object_unref (sa);
  if (!ok)
    return -1;
  fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return set_error_errno (error, _("Could not create a socket"), errno), -1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (native.ss_family == AF_INET6 && g_inet_address_get_is_any (address))
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if ((flags & IO_LISTENER_FLAGS_REUSEPORT) &&
      setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    goto fail_errno;
  if (bind (fd, (struct sockaddr *) &native, native_len) < 0 ||
      listen (fd, backlog > 0 ? backlog : 128) < 0)
    goto fail_errno;
  native_len = sizeof native;
  if (getsockname (fd, (struct sockaddr *) &native, &native_len) < 0)
    goto fail_errno;
  *bound_port = g_ntohs (native.ss_family == AF_INET6
                           ? ((struct sockaddr_in6 *) &native)->sin6_port
                           : ((struct sockaddr_in *) &native)->sin_port);
  return fd;

fail_errno:
  {
    int errsv = errno;
    char *where = g_strdup_printf (_("Could not listen on port %u"), (guint) port);

    set_error_errno (error, where, errsv);
    g_free (where);
    close (fd);
    return -1;
  }
}

/**
 * io_listener_new_tcp:
 * @loop: the loop to run on
 * @host: (nullable): the address to listen on, a literal or a name
 *   resolved now, at once (its first address); %NULL for every address,
 *   IPv6 and IPv4
 * @port: the TCP port; 0 for one the kernel picks (io_listener_get_port())
 * @backlog: the length of the queue of connections not accepted yet; 0 or
 *   less for 128
 * @flags: options
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   with each connection accepted, and with accept() errors
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data when the listener closes
 * @error: return location for a #GError
 *
 * Listens for TCP connections. Each one becomes an #IoStream that @func
 * receives. accept() errors reach @func as %G_IO_ERROR errors, and the
 * listener goes on; when they are for a lack of fds or memory
 * (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), it stops accepting for a
 * moment first (5 ms, doubling up to 1 s while they last), so that it
 * does not spin on a connection it cannot take.
 *
 * Returns: (transfer full) (nullable): the listener, or %NULL with @error
 *   set (@notify does not run then)
 *
 * Since: 1.2
 */
IoListener *
io_listener_new_tcp (IoLoop                *loop,
                     const char            *host,
                     guint16                port,
                     int                    backlog,
                     IoListenerFlags        flags,
                     IoListenerAcceptFunc   func,
                     gpointer               user_data,
                     GDestroyNotify         notify,
                     GError               **error)
{
  IoListener *self;
  GInetAddress *address;
  guint16 bound_port = 0;
  int fd;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  address = resolve_host (host, error);
  if (address == NULL)
    return NULL;
  fd = open_listening_socket (address, port, backlog, flags, &bound_port, error);
  if (fd < 0 && host == NULL)
    {
      /* No IPv6 here: every IPv4 address, then. */
      g_clear_error (error);
      g_object_unref (address);
      address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
      fd = open_listening_socket (address, port, backlog, flags, &bound_port, error);
    }
  g_object_unref (address);
  if (fd < 0)
    return NULL;

  self = g_object_new (IO_TYPE_LISTENER, NULL);
  self->port = bound_port;
  return start_listening (self, loop, fd, func, user_data, notify, error);
}

/* Nobody listens on the socket file @addr names (connect() is refused):
 * a server that did not remove it when it ended. */
static gboolean
is_stale_socket_file (const struct sockaddr_un *addr,
                      socklen_t                 len)
{
  struct stat st;
  int probe;
  gboolean stale;

  if (lstat (addr->sun_path, &st) < 0 || !S_ISSOCK (st.st_mode))
    return FALSE;
  probe = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0)
    return FALSE;
  stale = connect (probe, (const struct sockaddr *) addr, len) < 0 && errno == ECONNREFUSED;
  close (probe);
  return stale;
}

/**
 * io_listener_new_unix:
 * @loop: the loop to run on
 * @path: the path of the socket file to make; on Linux, `@name` for the
 *   socket "name" of the abstract namespace, which makes no file
 * @backlog: the length of the queue of connections not accepted yet; 0 or
 *   less for 128
 * @func: (scope notified) (closure user_data) (destroy notify): called
 *   with each connection accepted, and with accept() errors
 * @user_data: data for @func
 * @notify: (nullable): called with @user_data when the listener closes
 * @error: return location for a #GError
 *
 * Listens on a Unix stream socket. Connections and accept() errors reach
 * @func as with io_listener_new_tcp(), with the same pause when the
 * process is out of fds.
 *
 * A socket file already at @path that nobody listens on (its connect() is
 * refused: a server ended without removing it) is removed and replaced.
 * A socket a server listens on (the probe is a connection that the server
 * sees close at once), or a file that is not a socket, is left alone and
 * the call fails with %G_IO_ERROR_ADDRESS_IN_USE, where asyncio's
 * `create_unix_server()` removes any socket file. The listener removes the socket file
 * when it closes (io_listener_close(), or its loop closing), unless the
 * file at @path is no longer the one it made. An empty @path, or one too
 * long for a `sun_path` (107 bytes on Linux), is
 * %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full) (nullable): the listener, or %NULL with @error
 *   set (@notify does not run then)
 *
 * Since: 1.2
 */
IoListener *
io_listener_new_unix (IoLoop                *loop,
                      const char            *path,
                      int                    backlog,
                      IoListenerAcceptFunc   func,
                      gpointer               user_data,
                      GDestroyNotify         notify,
                      GError               **error)
{
  IoListener *self;
  struct sockaddr_un addr;
  socklen_t len;
  gboolean abstract;
  struct stat st;
  char *where;
  int fd, r, errsv;

  g_return_val_if_fail (IO_IS_LOOP (loop), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_io_unix_address_init (&addr, &len, path, &abstract, error))
    return NULL;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return set_error_errno (error, _("Could not create a socket"), errno), NULL;
  r = bind (fd, (struct sockaddr *) &addr, len);
  if (r < 0 && errno == EADDRINUSE && !abstract && is_stale_socket_file (&addr, len))
    {
      unlink (path);
      r = bind (fd, (struct sockaddr *) &addr, len);
    }
  if (r < 0 || listen (fd, backlog > 0 ? backlog : 128) < 0)
    {
      errsv = errno;
      if (r == 0 && !abstract)
        unlink (path);
      goto fail;
    }
  if (!abstract && lstat (path, &st) < 0)
    {
      errsv = errno;
      goto fail;
    }

  self = g_object_new (IO_TYPE_LISTENER, NULL);
  if (!abstract)
    {
      self->socket_file = g_strdup (path);
      self->socket_dev = st.st_dev;
      self->socket_ino = st.st_ino;
    }
  return start_listening (self, loop, fd, func, user_data, notify, error);

fail:
  close (fd);
  where = g_strdup_printf (_("Could not listen on %s"), path);
  set_error_errno (error, where, errsv);
  g_free (where);
  return NULL;
}

/**
 * io_listener_get_port:
 * @self: an #IoListener
 *
 * Returns: the port the listener is bound to (the one the kernel chose,
 *   for port 0); 0 for a Unix socket
 *
 * Since: 1.2
 */
guint16
io_listener_get_port (IoListener *self)
{
  g_return_val_if_fail (IO_IS_LISTENER (self), 0);

  return self->port;
}

/**
 * io_listener_get_fd:
 * @self: an #IoListener
 *
 * Returns: the listening socket, or -1 once the listener is closed
 *
 * Since: 1.2
 */
int
io_listener_get_fd (IoListener *self)
{
  g_return_val_if_fail (IO_IS_LISTENER (self), -1);

  return self->fd;
}

/**
 * io_listener_close:
 * @self: an #IoListener
 *
 * Stops listening and closes the socket; the accept function's notify
 * runs. Streams accepted earlier stay open. Closing twice does nothing.
 *
 * Since: 1.2
 */
void
io_listener_close (IoListener *self)
{
  g_return_if_fail (IO_IS_LISTENER (self));

  g_object_ref (self);
  close_internal (self);
  g_object_unref (self);
}

/**
 * io_listener_is_closed:
 * @self: an #IoListener
 *
 * Returns: %TRUE once the listener is closed
 *
 * Since: 1.2
 */
gboolean
io_listener_is_closed (IoListener *self)
{
  g_return_val_if_fail (IO_IS_LISTENER (self), TRUE);

  return self->fd < 0;
}

static void
io_listener_dispose (GObject *object)
{
  IoListener *self = IO_LISTENER (object);

  if (self->loop != NULL)
    close_internal (self);
  g_clear_object (&self->loop);

  G_OBJECT_CLASS (io_listener_parent_class)->dispose (object);
}

static void
io_listener_class_init (IoListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = io_listener_dispose;
}

static void
io_listener_init (IoListener *self)
{
  self->fd = -1;
  self->pause_seconds = FIRST_PAUSE;
}
