/* test-tcp-server.c: the seed's example, a TCP echo server whose READ
 * handler accepts on a non-blocking listening socket until EAGAIN
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "io-test-util.h"

/* ---- the server ---------------------------------------------------------- */

typedef struct
{
  IoLoop   *loop;
  int       listen_fd;
  guint16   port;
  gint      accepted;
  gint      accept_calls;
  gint      open_conns;
  gint      clients;          /* how many clients the test runs */
  gint      clients_done;
} Server;

typedef struct
{
  Server     *server;
  int         fd;
  GByteArray *pending;        /* read, not yet echoed */
  gboolean    eof;
} Conn;

static void
server_check_done (Server *server)
{
  if (server->clients_done == server->clients && server->open_conns == 0)
    io_loop_stop (server->loop);
}

static void
conn_free (gpointer data)
{
  Conn *conn = data;

  close (conn->fd);
  g_byte_array_unref (conn->pending);
  conn->server->open_conns--;
  /* Here, not in conn_close(): a handler removed from its own callback is
   * freed after the callback returns, so open_conns drops only now, and
   * the last client's done callback may already have run. */
  server_check_done (conn->server);
  g_free (conn);
}

static void
conn_close (Conn *conn)
{
  Server *server = conn->server;
  GError *error = NULL;

  g_assert_true (io_loop_remove_handler (server->loop, conn->fd, &error));
  g_assert_no_error (error);
}

static gboolean
conn_flush (Conn *conn)
{
  while (conn->pending->len > 0)
    {
      ssize_t w = write (conn->fd, conn->pending->data, conn->pending->len);

      if (w > 0)
        g_byte_array_remove_range (conn->pending, 0, w);
      else if (w < 0 && errno == EINTR)
        continue;
      else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      else
        return FALSE;
    }
  return TRUE;
}

static void
conn_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  Conn *conn = data;
  GError *local = NULL;

  if (events & (IO_EVENTS_READ | IO_EVENTS_ERROR))
    {
      for (;;)
        {
          guint8 buf[16384];
          ssize_t r = read (fd, buf, sizeof buf);

          if (r > 0)
            g_byte_array_append (conn->pending, buf, r);
          else if (r == 0)
            {
              conn->eof = TRUE;
              break;
            }
          else if (errno == EINTR)
            continue;
          else if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          else
            {
              conn_close (conn);        /* reset by peer */
              return;
            }
        }
    }

  if (!conn_flush (conn))
    {
      conn_close (conn);
      return;
    }
  if (conn->eof && conn->pending->len == 0)
    {
      conn_close (conn);
      return;
    }
  /* Wait for room only while there is something to write. */
  g_assert_true (io_loop_update_handler (conn->server->loop, fd,
                                         conn->pending->len > 0
                                           ? IO_EVENTS_READ | IO_EVENTS_WRITE
                                           : IO_EVENTS_READ, &local));
  g_assert_no_error (local);
}

static void
handle_connection (Server *server, int fd)
{
  Conn *conn = g_new0 (Conn, 1);
  GError *error = NULL;

  conn->server = server;
  conn->fd = fd;
  conn->pending = g_byte_array_new ();
  server->open_conns++;
  g_assert_true (io_loop_add_handler (server->loop, fd, IO_EVENTS_READ, conn_handler, conn,
                                      conn_free, &error));
  g_assert_no_error (error);
}

/* The seed's connection_ready(): accept until EWOULDBLOCK/EAGAIN. */
static void
connection_ready (int fd, IoEvents events, gpointer data, GError **error)
{
  Server *server = data;

  server->accept_calls++;
  for (;;)
    {
      int conn = accept (fd, NULL, NULL);

      if (conn < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
          return;
        }
      /* connection.setblocking(0) */
      g_assert_cmpint (fcntl (conn, F_SETFL, fcntl (conn, F_GETFL) | O_NONBLOCK), ==, 0);
      g_assert_cmpint (fcntl (conn, F_SETFD, FD_CLOEXEC), ==, 0);
      server->accepted++;
      handle_connection (server, conn);
    }
}

static void
server_start (Server *server, IoLoop *loop)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  GError *error = NULL;
  int one = 1;

  memset (server, 0, sizeof *server);
  server->loop = loop;
  server->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert_cmpint (server->listen_fd, >=, 0);
  setsockopt (server->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = 0;
  g_assert_cmpint (bind (server->listen_fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (server->listen_fd, 128), ==, 0);
  g_assert_cmpint (getsockname (server->listen_fd, (struct sockaddr *) &addr, &len), ==, 0);
  server->port = ntohs (addr.sin_port);

  g_assert_true (io_loop_add_handler (loop, server->listen_fd, IO_EVENTS_READ, connection_ready,
                                      server, NULL, &error));
  g_assert_no_error (error);
}

static void
server_stop (Server *server)
{
  GError *error = NULL;

  g_assert_true (io_loop_remove_handler (server->loop, server->listen_fd, &error));
  g_assert_no_error (error);
  close (server->listen_fd);
}

/* ---- blocking clients on threads ---------------------------------------- */

static int
connect_blocking (guint16 port)
{
  struct sockaddr_in addr;
  struct timeval tv = { 20, 0 };     /* a dead server fails the test, not hangs */
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons (port);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

typedef struct
{
  Server   *server;
  int       id;
  gsize     size;
  gboolean  echoed;
} Client;

static void
client_done_cb (gpointer data, GError **error)
{
  Server *server = data;

  server->clients_done++;
  server_check_done (server);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  guint8 *out = g_malloc (client->size);
  guint8 *in = g_malloc (client->size);
  gsize got = 0;
  int fd;

  for (gsize i = 0; i < client->size; i++)
    out[i] = (guint8) (client->id * 31 + i * 7);

  fd = connect_blocking (client->server->port);
  for (gsize sent = 0; sent < client->size;)
    {
      ssize_t w = write (fd, out + sent, client->size - sent);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      sent += w;
    }
  shutdown (fd, SHUT_WR);
  while (got < client->size)
    {
      ssize_t r = read (fd, in + got, client->size - got);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += r;
    }
  client->echoed = got == client->size && memcmp (in, out, got) == 0;
  close (fd);
  g_free (in);
  g_free (out);

  /* Hand the result to the loop's thread, the one thread-safe way. */
  io_loop_add_callback (client->server->loop, client_done_cb, client->server, NULL);
  return NULL;
}

#define N_CLIENTS 8

static void
test_echo_server_serves_several_clients (IoTest *t)
{
  GError *error = NULL;
  Server server;
  Client clients[N_CLIENTS];
  GThread *threads[N_CLIENTS];

  /* As in the seed: the server uses the global loop. */
  io_loop_clear_instance ();
  g_assert_true (io_loop_install (t->loop, &error));
  g_assert_no_error (error);

  server_start (&server, io_loop_instance ());
  server.clients = N_CLIENTS;
  for (int i = 0; i < N_CLIENTS; i++)
    {
      clients[i].server = &server;
      clients[i].id = i;
      /* Some small, some larger than a socket buffer. */
      clients[i].size = (i % 2 == 0) ? 100 + i : 1024 * 1024 + i;
      clients[i].echoed = FALSE;
      threads[i] = g_thread_new ("client", client_thread, &clients[i]);
    }
  io_test_run_loop (t, 60.0);
  for (int i = 0; i < N_CLIENTS; i++)
    g_thread_join (threads[i]);

  for (int i = 0; i < N_CLIENTS; i++)
    g_assert_true (clients[i].echoed);
  g_assert_cmpint (server.accepted, ==, N_CLIENTS);
  g_assert_cmpint (server.accept_calls, <=, server.accepted);
  g_assert_cmpint (server.open_conns, ==, 0);
  server_stop (&server);
  io_loop_clear_instance ();
}

static void
test_accept_loop_accepts_every_queued_connection (IoTest *t)
{
  enum { N = 5 };
  Server server;
  int fds[N];

  server_start (&server, t->loop);
  /* Connected before the loop runs: all queued in the backlog. */
  for (int i = 0; i < N; i++)
    fds[i] = connect_blocking (server.port);

  for (int i = 0; i < 1000 && server.accepted < N; i++)
    {
      io_test_iterate (t);
      if (server.accepted < N)
        g_usleep (10 * 1000);
    }
  g_assert_cmpint (server.accepted, ==, N);
  g_assert_cmpint (server.accept_calls, >=, 1);
  g_assert_cmpint (server.accept_calls, <=, N);
  g_assert_cmpint (server.open_conns, ==, N);

  server_stop (&server);
  io_loop_close (t->loop, FALSE);      /* closes the connections (notify) */
  g_assert_cmpint (server.open_conns, ==, 0);
  for (int i = 0; i < N; i++)
    close (fds[i]);
}

/* ---- clients driven by the same loop ------------------------------------- */

typedef struct
{
  Server  *server;
  int      fd;
  gsize    sent;
  gsize    got;
  guint8   out[4096];
  guint8   in[4096];
  gboolean connected;
  gboolean echoed;
} LoopClient;

static void
loop_client_notify (gpointer data)
{
  LoopClient *c = data;

  close (c->fd);
}

static void
loop_client_handler (int fd, IoEvents events, gpointer data, GError **error)
{
  LoopClient *c = data;
  Server *server = c->server;
  GError *local = NULL;

  if (!c->connected)
    {
      int soerr = 0;
      socklen_t len = sizeof soerr;

      g_assert_true (events & (IO_EVENTS_WRITE | IO_EVENTS_ERROR));
      g_assert_cmpint (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &len), ==, 0);
      g_assert_cmpint (soerr, ==, 0);
      c->connected = TRUE;
    }

  if (c->sent < sizeof c->out)
    {
      ssize_t w = write (fd, c->out + c->sent, sizeof c->out - c->sent);

      if (w > 0)
        c->sent += w;
      if (c->sent == sizeof c->out)
        {
          shutdown (fd, SHUT_WR);
          g_assert_true (io_loop_update_handler (server->loop, fd, IO_EVENTS_READ, &local));
          g_assert_no_error (local);
        }
      return;
    }

  for (;;)
    {
      ssize_t r = read (fd, c->in + c->got, sizeof c->in - c->got);

      if (r > 0)
        c->got += r;
      if (r <= 0 || c->got == sizeof c->in)
        break;
    }
  if (c->got == sizeof c->in)
    {
      c->echoed = memcmp (c->in, c->out, sizeof c->in) == 0;
      g_assert_true (io_loop_remove_handler (server->loop, fd, &local));
      g_assert_no_error (local);
      server->clients_done++;
      server_check_done (server);
    }
}

static void
test_echo_server_serves_clients_driven_by_same_loop (IoTest *t)
{
  enum { N = 16 };
  LoopClient *clients = g_new0 (LoopClient, N);
  Server server;

  server_start (&server, t->loop);
  server.clients = N;
  for (int i = 0; i < N; i++)
    {
      struct sockaddr_in addr;
      GError *error = NULL;
      LoopClient *c = &clients[i];
      int r;

      c->server = &server;
      for (gsize j = 0; j < sizeof c->out; j++)
        c->out[j] = (guint8) (i + j);
      c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      g_assert_cmpint (c->fd, >=, 0);
      memset (&addr, 0, sizeof addr);
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      addr.sin_port = htons (server.port);
      r = connect (c->fd, (struct sockaddr *) &addr, sizeof addr);
      g_assert_true (r == 0 || errno == EINPROGRESS);
      g_assert_true (io_loop_add_handler (t->loop, c->fd, IO_EVENTS_WRITE, loop_client_handler,
                                          c, loop_client_notify, &error));
      g_assert_no_error (error);
    }
  io_test_run_loop (t, 60.0);
  for (int i = 0; i < N; i++)
    g_assert_true (clients[i].echoed);
  g_assert_cmpint (server.accepted, ==, N);
  server_stop (&server);
  g_free (clients);
}

int
main (int argc, char **argv)
{
  io_test_init (&argc, &argv);

  io_test_add ("/tcp-server/echo-server-serves-several-clients", test_echo_server_serves_several_clients);
  io_test_add ("/tcp-server/accept-loop-accepts-every-queued-connection",
               test_accept_loop_accepts_every_queued_connection);
  io_test_add ("/tcp-server/echo-server-serves-clients-driven-by-same-loop",
               test_echo_server_serves_clients_driven_by_same_loop);

  return io_test_run ();
}
