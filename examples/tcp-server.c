/* tcp-server.c: a TCP echo server on the ioloop singleton
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The example of Tornado's IOLoop documentation, in C: a non-blocking
 * listening socket whose READ handler accepts connections until accept()
 * would block, and one handler per connection that echoes what it reads.
 *
 *   tcp-server [PORT]        listen on 127.0.0.1:PORT (default 8888; 0 picks one)
 *   nc 127.0.0.1 PORT        talk to it
 *
 * SIGINT and SIGTERM stop the loop through an IoAsync, the one ioloop call
 * that is safe in a signal handler, and the program exits with status 0.
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

#include <ioloop/ioloop.h>

#define DEFAULT_PORT 8888
#define READ_CHUNK   4096

/* One accepted connection. While output is pending the handler waits for
 * WRITE only, so that a client that does not read cannot make us buffer
 * without bound. */
typedef struct
{
  IoLoop     *loop;
  int         fd;
  IoEvents    events;   /* the interest registered with the loop */
  GByteArray *output;   /* read but not yet written back */
} Connection;

static IoAsync *stop_async;   /* sent from the signal handler */

static gboolean
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  return flags >= 0 && fcntl (fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

static void
connection_free (gpointer data)
{
  Connection *conn = data;

  close (conn->fd);
  g_byte_array_unref (conn->output);
  g_free (conn);
}

/* The loop calls connection_free() once the running handler returns. */
static void
connection_close (Connection *conn,
                  const char *why)
{
  g_printerr ("connection on fd %d closed: %s\n", conn->fd, why);
  io_loop_remove_handler (conn->loop, conn->fd, NULL);
}

static void
connection_want (Connection *conn,
                 IoEvents    events)
{
  g_autoptr(GError) error = NULL;

  if (conn->events == events)
    return;
  if (!io_loop_update_handler (conn->loop, conn->fd, events, &error))
    {
      connection_close (conn, error->message);
      return;
    }
  conn->events = events;
}

/* Writes as much pending output as the socket takes without blocking.
 * Returns 0, or the errno of a failed write. */
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
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
          return errno;
        }
      g_byte_array_remove_range (conn->output, 0, (guint) n);
    }
  return 0;
}

/* Reads until the socket would block (or output backs up), echoing each chunk.
 * Returns FALSE if the connection was closed. */
static gboolean
connection_read (Connection *conn)
{
  guint8 buf[READ_CHUNK];

  while (conn->output->len == 0)
    {
      ssize_t n = read (conn->fd, buf, sizeof buf);
      int errsv;

      if (n == 0)
        {
          connection_close (conn, "end of stream");
          return FALSE;
        }
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            return TRUE;
          connection_close (conn, g_strerror (errno));
          return FALSE;
        }
      g_byte_array_append (conn->output, buf, (guint) n);
      errsv = connection_flush (conn);
      if (errsv != 0)
        {
          connection_close (conn, g_strerror (errsv));
          return FALSE;
        }
    }
  return TRUE;
}

static void
echo_ready (int        fd,
            IoEvents   events,
            gpointer   user_data,
            GError   **error)
{
  Connection *conn = user_data;

  if ((events & (IO_EVENTS_READ | IO_EVENTS_WRITE)) == 0)
    {
      /* Only an error or hang-up condition: the peer is gone. */
      int soerr = 0;
      socklen_t len = sizeof soerr;

      getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      connection_close (conn, soerr != 0 ? g_strerror (soerr) : "hang-up");
      return;
    }

  if (events & IO_EVENTS_WRITE)
    {
      int errsv = connection_flush (conn);

      if (errsv != 0)
        {
          connection_close (conn, g_strerror (errsv));
          return;
        }
    }

  if ((events & IO_EVENTS_READ) && !connection_read (conn))
    return;

  connection_want (conn, conn->output->len > 0 ? IO_EVENTS_WRITE : IO_EVENTS_READ);
}

static void
handle_connection (IoLoop                   *loop,
                   int                       fd,
                   const struct sockaddr_in *address)
{
  g_autoptr(GError) error = NULL;
  char host[INET_ADDRSTRLEN] = "?";
  Connection *conn;

  if (!set_nonblocking (fd))
    {
      g_printerr ("cannot make fd %d non-blocking: %s\n", fd, g_strerror (errno));
      close (fd);
      return;
    }

  conn = g_new0 (Connection, 1);
  conn->loop = loop;
  conn->fd = fd;
  conn->events = IO_EVENTS_READ;
  conn->output = g_byte_array_new ();

  if (!io_loop_add_handler (loop, fd, conn->events, echo_ready, conn,
                            connection_free, &error))
    {
      /* Refused: the loop took nothing, so the notify was not called. */
      g_printerr ("cannot watch fd %d: %s\n", fd, error->message);
      connection_free (conn);
      return;
    }

  inet_ntop (AF_INET, &address->sin_addr, host, sizeof host);
  g_printerr ("connection on fd %d from %s:%u\n", fd, host, ntohs (address->sin_port));
}

/* READ handler of the listening socket: accept until accept() would block. */
static void
connection_ready (int        fd,
                  IoEvents   events,
                  gpointer   user_data,
                  GError   **error)
{
  IoLoop *loop = user_data;

  for (;;)
    {
      struct sockaddr_in address;
      socklen_t len = sizeof address;
      int connection = accept (fd, (struct sockaddr *) &address, &len);

      if (connection < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            g_set_error (error, IO_LOOP_ERROR, IO_LOOP_ERROR_FAILED,
                         "accept: %s", g_strerror (errno));
          return;
        }
      handle_connection (loop, connection, &address);
    }
}

static void
stop_loop (gpointer   user_data,
           GError   **error)
{
  g_printerr ("signal received, stopping\n");
  io_loop_stop (user_data);
}

static void
on_signal (int signum)
{
  int errsv = errno;

  io_async_send (stop_async);
  errno = errsv;
}

static void
set_stop_signals (void (*handler) (int))
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

static int
listen_on (guint16  port,
           guint16 *bound_port)
{
  struct sockaddr_in address;
  socklen_t len = sizeof address;
  int one = 1;
  int sock = socket (AF_INET, SOCK_STREAM, 0);

  if (sock < 0)
    return -1;

  memset (&address, 0, sizeof address);
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

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  guint64 port = DEFAULT_PORT;
  guint16 bound_port = 0;
  IoLoop *loop;
  gboolean ok;
  int sock;

  if (argc > 2 ||
      (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 0, 65535, &port, &error)))
    {
      g_printerr ("usage: %s [PORT]   (default %d; 0 picks a free port)%s%s\n",
                  argv[0], DEFAULT_PORT, error ? "\n" : "", error ? error->message : "");
      return 2;
    }

  /* A write to a connection the peer closed must fail with EPIPE, not kill us. */
  signal (SIGPIPE, SIG_IGN);

  sock = listen_on ((guint16) port, &bound_port);
  if (sock < 0)
    {
      g_printerr ("cannot listen on 127.0.0.1:%u: %s\n", (guint) port, g_strerror (errno));
      return 1;
    }

  loop = io_loop_instance ();
  stop_async = io_async_new (loop, stop_loop, loop, NULL);
  set_stop_signals (on_signal);

  if (!io_loop_add_handler (loop, sock, IO_EVENTS_READ, connection_ready, loop, NULL, &error))
    {
      g_printerr ("cannot watch the listening socket: %s\n", error->message);
      return 1;
    }

  printf ("ioloop echo server listening on 127.0.0.1:%u (backend %s); try: nc 127.0.0.1 %u\n",
          bound_port, io_loop_get_backend (loop), bound_port);
  fflush (stdout);

  ok = io_loop_start (loop, &error);
  if (!ok)
    g_printerr ("the loop failed: %s\n", error->message);

  /* No signal may reach stop_async once it is gone. */
  set_stop_signals (SIG_DFL);
  io_async_close (stop_async);
  g_clear_pointer (&stop_async, io_async_unref);

  /* Closes the connections through their notify, then the listening socket. */
  io_loop_close (loop, FALSE);
  close (sock);
  io_loop_clear_instance ();

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
