/* echo-daemon.c: a TCP echo daemon with a D-Bus interface
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One thread, one loop: the IoLoop serves TCP clients and hosts GLib's
 * default main context (io_loop_add_main_context()), so that GDBus runs
 * in it too. SIGTERM and SIGINT shut down gracefully: the loop stops
 * accepting, closes every connection and returns from io_loop_start().
 *
 *   echo-daemon [PORT]     listen on 127.0.0.1:PORT (default 8889; 0 picks one)
 *   nc 127.0.0.1 PORT      talk to it
 *
 * On the session bus it owns org.ioloop.EchoDaemon and exports
 * /org/ioloop/EchoDaemon with the interface org.ioloop.EchoDaemon:
 *
 *   gdbus call --session --dest org.ioloop.EchoDaemon \
 *     --object-path /org/ioloop/EchoDaemon \
 *     --method org.ioloop.EchoDaemon.GetConnectionCount
 *   gdbus introspect --session --dest org.ioloop.EchoDaemon \
 *     --object-path /org/ioloop/EchoDaemon --only-properties
 *
 * (the property ConnectionCount emits PropertiesChanged). Without a
 * session bus it serves TCP all the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <ioloop/ioloop.h>

#define DEFAULT_PORT 8889
#define READ_CHUNK   4096
#define BUS_NAME     "org.ioloop.EchoDaemon"
#define OBJECT_PATH  "/org/ioloop/EchoDaemon"
#define INTERFACE    "org.ioloop.EchoDaemon"

static const char introspection_xml[] =
  "<node>"
  "  <interface name='" INTERFACE "'>"
  "    <method name='GetConnectionCount'>"
  "      <arg type='u' name='count' direction='out'/>"
  "    </method>"
  "    <property name='ConnectionCount' type='u' access='read'/>"
  "  </interface>"
  "</node>";

typedef struct
{
  IoLoop          *loop;
  int              listen_fd;
  GHashTable      *connections;  /* fd -> Connection */
  GDBusConnection *bus;
  guint            registration;
  guint            own_id;
  gboolean         stopping;
} Daemon;

/* One client. While output is pending the handler waits for WRITE only,
 * so that a client that does not read cannot make us buffer without
 * bound. */
typedef struct
{
  Daemon     *daemon;
  int         fd;
  IoEvents    events;
  GByteArray *output;
} Connection;

/* ---- D-Bus --------------------------------------------------------------- */

static void
announce_count (Daemon *daemon)
{
  GVariantBuilder changed;

  if (daemon->bus == NULL || daemon->registration == 0)
    return;
  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&changed, "{sv}", "ConnectionCount",
                         g_variant_new_uint32 (g_hash_table_size (daemon->connections)));
  g_dbus_connection_emit_signal (daemon->bus, NULL, OBJECT_PATH,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", INTERFACE, &changed, NULL),
                                 NULL);
}

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *path,
                const char            *interface,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Daemon *daemon = user_data;

  /* GDBus checked the method against the introspection data. */
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(u)", g_hash_table_size (daemon->connections)));
}

static GVariant *
on_get_property (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *path,
                 const char       *interface,
                 const char       *property,
                 GError          **error,
                 gpointer          user_data)
{
  Daemon *daemon = user_data;

  return g_variant_new_uint32 (g_hash_table_size (daemon->connections));
}

static const GDBusInterfaceVTable vtable = { on_method_call, on_get_property, NULL, { 0 } };

static void
on_bus_acquired (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  g_autoptr(GError) error = NULL;

  daemon->bus = g_object_ref (connection);
  daemon->registration = g_dbus_connection_register_object (connection, OBJECT_PATH,
                                                            info->interfaces[0], &vtable,
                                                            daemon, NULL, &error);
  if (daemon->registration == 0)
    g_printerr ("cannot export %s: %s\n", OBJECT_PATH, error->message);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  g_printerr ("owning %s on the session bus\n", name);
}

static void
on_name_lost (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  if (connection == NULL)
    g_printerr ("no D-Bus session bus: serving TCP only\n");
  else
    g_printerr ("%s is owned by another process: serving TCP only\n", name);
}

/* ---- TCP ----------------------------------------------------------------- */

static gboolean
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  return flags >= 0 && fcntl (fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* The notify of a connection's handler: runs once it is removed. */
static void
connection_free (gpointer data)
{
  Connection *conn = data;

  g_hash_table_remove (conn->daemon->connections, GINT_TO_POINTER (conn->fd));
  if (!conn->daemon->stopping)
    announce_count (conn->daemon);
  close (conn->fd);
  g_byte_array_unref (conn->output);
  g_free (conn);
}

static void
connection_close (Connection *conn,
                  const char *why)
{
  g_printerr ("connection on fd %d closed: %s\n", conn->fd, why);
  io_loop_remove_handler (conn->daemon->loop, conn->fd, NULL);
}

/* Writes what the socket takes without blocking; 0 or the errno. */
static int
connection_flush (Connection *conn)
{
  while (conn->output->len > 0)
    {
      ssize_t n = write (conn->fd, conn->output->data, conn->output->len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
        }
      g_byte_array_remove_range (conn->output, 0, (guint) n);
    }
  return 0;
}

static void
echo_ready (int        fd,
            IoEvents   events,
            gpointer   user_data,
            GError   **error)
{
  Connection *conn = user_data;
  IoEvents want;
  int errsv = 0;

  if (events & IO_EVENTS_WRITE)
    errsv = connection_flush (conn);

  while (errsv == 0 && (events & (IO_EVENTS_READ | IO_EVENTS_ERROR)) &&
         conn->output->len == 0)
    {
      guint8 buf[READ_CHUNK];
      ssize_t n = read (fd, buf, sizeof buf);

      if (n == 0)
        {
          connection_close (conn, "end of stream");
          return;
        }
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            errsv = errno;
          break;
        }
      g_byte_array_append (conn->output, buf, (guint) n);
      errsv = connection_flush (conn);
    }
  if (errsv != 0)
    {
      connection_close (conn, g_strerror (errsv));
      return;
    }

  want = conn->output->len > 0 ? IO_EVENTS_WRITE : IO_EVENTS_READ;
  if (want != conn->events && io_loop_update_handler (conn->daemon->loop, fd, want, error))
    conn->events = want;
}

static void
accept_ready (int        fd,
              IoEvents   events,
              gpointer   user_data,
              GError   **error)
{
  Daemon *daemon = user_data;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      int client = accept (fd, NULL, NULL);
      Connection *conn;

      if (client < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                         "accept: %s", g_strerror (errno));
          return;
        }
      if (!set_nonblocking (client))
        {
          close (client);
          continue;
        }

      conn = g_new0 (Connection, 1);
      conn->daemon = daemon;
      conn->fd = client;
      conn->events = IO_EVENTS_READ;
      conn->output = g_byte_array_new ();
      if (!io_loop_add_handler (daemon->loop, client, conn->events, echo_ready, conn,
                                connection_free, &local_error))
        {
          g_printerr ("cannot watch fd %d: %s\n", client, local_error->message);
          close (client);
          g_byte_array_unref (conn->output);
          g_free (conn);
          continue;
        }
      g_hash_table_insert (daemon->connections, GINT_TO_POINTER (client), conn);
      g_printerr ("connection on fd %d (%u open)\n", client,
                  g_hash_table_size (daemon->connections));
      announce_count (daemon);
    }
}

static int
listen_on (guint16  port,
           guint16 *bound_port)
{
  struct sockaddr_in address = { 0 };
  socklen_t len = sizeof address;
  int one = 1;
  int sock = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (sock < 0)
    return -1;
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (setsockopt (sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      !set_nonblocking (sock) ||
      bind (sock, (struct sockaddr *) &address, sizeof address) < 0 ||
      listen (sock, 128) < 0 ||
      getsockname (sock, (struct sockaddr *) &address, &len) < 0)
    {
      int errsv = errno;

      close (sock);
      errno = errsv;
      return -1;
    }
  *bound_port = ntohs (address.sin_port);
  return sock;
}

/* ---- shutdown ------------------------------------------------------------ */

/* Runs on the loop's thread, in an ordinary iteration: anything goes. */
static void
on_stop_signal (int        signum,
                gpointer   user_data,
                GError   **error)
{
  Daemon *daemon = user_data;
  GHashTableIter iter;
  gpointer fd;
  guint n = g_hash_table_size (daemon->connections);

  if (daemon->stopping)
    return;
  daemon->stopping = TRUE;
  g_printerr ("%s: closing %u connection%s and stopping\n",
              g_strsignal (signum), n, n == 1 ? "" : "s");

  io_loop_remove_handler (daemon->loop, daemon->listen_fd, NULL);
  close (daemon->listen_fd);
  daemon->listen_fd = -1;

  /* Each removal runs connection_free(), which leaves the table. */
  g_hash_table_iter_init (&iter, daemon->connections);
  while (g_hash_table_iter_next (&iter, &fd, NULL))
    {
      g_hash_table_iter_steal (&iter);
      io_loop_remove_handler (daemon->loop, GPOINTER_TO_INT (fd), NULL);
    }
  io_loop_stop (daemon->loop);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  Daemon daemon = { 0 };
  guint64 port = DEFAULT_PORT;
  guint16 bound_port = 0;
  guint sigterm_id, sigint_id;
  gboolean ok;

  if (argc > 2 ||
      (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 0, 65535, &port, &error)))
    {
      g_printerr ("usage: %s [PORT]   (default %d; 0 picks a free port)%s%s\n",
                  argv[0], DEFAULT_PORT, error ? "\n" : "", error ? error->message : "");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);

  daemon.loop = io_loop_new ();
  daemon.connections = g_hash_table_new (NULL, NULL);
  daemon.listen_fd = listen_on ((guint16) port, &bound_port);
  if (daemon.listen_fd < 0)
    {
      g_printerr ("cannot listen on 127.0.0.1:%u: %s\n", (guint) port, g_strerror (errno));
      return 1;
    }

  if (!io_loop_add_handler (daemon.loop, daemon.listen_fd, IO_EVENTS_READ, accept_ready,
                            &daemon, NULL, &error) ||
      !(sigterm_id = io_loop_add_signal_handler (daemon.loop, SIGTERM, on_stop_signal,
                                                 &daemon, NULL, &error)) ||
      !(sigint_id = io_loop_add_signal_handler (daemon.loop, SIGINT, on_stop_signal,
                                                &daemon, NULL, &error)) ||
      /* GDBus dispatches in GLib's default context: the loop runs it. */
      !io_loop_add_main_context (daemon.loop, NULL, &error))
    {
      g_printerr ("cannot set up the loop: %s\n", error->message);
      return 1;
    }

  daemon.own_id = g_bus_own_name (G_BUS_TYPE_SESSION, BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                  on_bus_acquired, on_name_acquired, on_name_lost,
                                  &daemon, NULL);

  printf ("ioloop echo daemon listening on 127.0.0.1:%u (backend %s), pid %d; "
          "try: nc 127.0.0.1 %u\n",
          bound_port, io_loop_get_backend (daemon.loop), (int) getpid (), bound_port);
  fflush (stdout);

  ok = io_loop_start (daemon.loop, &error);
  if (!ok)
    g_printerr ("the loop failed: %s\n", error->message);

  g_bus_unown_name (daemon.own_id);
  if (daemon.bus != NULL)
    {
      if (daemon.registration != 0)
        g_dbus_connection_unregister_object (daemon.bus, daemon.registration);
      g_dbus_connection_flush_sync (daemon.bus, NULL, NULL);
      g_object_unref (daemon.bus);
    }
  io_loop_remove_signal_handler (daemon.loop, sigterm_id);
  io_loop_remove_signal_handler (daemon.loop, sigint_id);
  io_loop_remove_main_context (daemon.loop, NULL);
  io_loop_close (daemon.loop, FALSE);
  g_object_unref (daemon.loop);
  g_hash_table_unref (daemon.connections);
  printf ("echo daemon stopped\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
