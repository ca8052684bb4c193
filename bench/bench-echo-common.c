/* bench-echo-common.c: what the TCP echo servers of workloads 4 and 6 share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1  /* accept4 */

#include "bench-echo.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ioloop/ioloop.h>

int
echo_accept (int listen_fd)
{
  int one = 1;
  int fd = accept4 (listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

  if (fd < 0)
    return -1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

gboolean
echo_read_write (int fd)
{
  char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n > 0)
    return write (fd, buf, n) == n;
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* BENCH_ECHO_CLIENT, else bench-echo-client next to this program (or one
 * directory up, when this is libtool's .libs/lt-bench-echo or lt-bench-multiloop) */
char *
echo_find_client (void)
{
  const char *env = g_getenv ("BENCH_ECHO_CLIENT");
  char *exe, *dir, *path;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  dir = g_path_get_dirname (exe != NULL ? exe : ".");
  path = g_build_filename (dir, "bench-echo-client", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_free (path);
      path = g_build_filename (dir, "..", "bench-echo-client", NULL);
    }
  g_free (exe);
  g_free (dir);
  return path;
}

pid_t
echo_spawn_client (const char *client,
                   int         port,
                   int         connections,
                   int         msg_bytes,
                   double      warmup,
                   double      seconds,
                   int        *out_fd)
{
  char sport[16], conns[16], bytes[16], warm[32], secs[32];
  int fds[2];
  pid_t pid;

  if (pipe (fds) != 0)
    return -1;
  g_snprintf (sport, sizeof sport, "%d", port);
  g_snprintf (conns, sizeof conns, "%d", connections);
  g_snprintf (bytes, sizeof bytes, "%d", msg_bytes);
  g_snprintf (warm, sizeof warm, "%g", warmup);
  g_snprintf (secs, sizeof secs, "%g", seconds);
  pid = fork ();
  if (pid == 0)
    {
      dup2 (fds[1], 1);
      close (fds[0]);
      close (fds[1]);
      execl (client, client, sport, conns, bytes, warm, secs, (char *) NULL);
      perror (client);
      _exit (127);
    }
  close (fds[1]);
  *out_fd = fds[0];
  return pid;
}

gboolean
echo_run_client (const EchoParams *ep,
                 pid_t             server,
                 int               port,
                 EchoResult       *res)
{
  int out_fd, status;
  pid_t client;
  char text[128] = "";
  ssize_t n;
  struct rusage ru;

  client = echo_spawn_client (ep->client, port, ep->connections, ep->msg_bytes,
                              ep->warmup, ep->seconds, &out_fd);
  if (client < 0)
    {
      kill (server, SIGKILL);
      waitpid (server, NULL, 0);
      return FALSE;
    }
  n = read (out_fd, text, sizeof text - 1);
  close (out_fd);
  waitpid (client, &status, 0);
  kill (server, SIGKILL);
  wait4 (server, NULL, 0, &ru);
  if (n <= 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0
      || sscanf (text, "%lf %lld", &res->trips_per_s, &res->all_trips) != 2
      || res->all_trips <= 0)
    return FALSE;
  res->server_cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
                       + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  return TRUE;
}

/* The floor every peer is measured against: a raw level-triggered epoll
 * loop, no table, no callbacks. */
void
echo_serve_epoll (int lfd)
{
  int epfd = epoll_create1 (EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
  struct epoll_event evs[256];

  epoll_ctl (epfd, EPOLL_CTL_ADD, lfd, &ev);
  for (;;)
    {
      int n = epoll_wait (epfd, evs, G_N_ELEMENTS (evs), -1);

      for (int i = 0; i < n; i++)
        {
          int fd = evs[i].data.fd;

          if (fd == lfd)
            {
              int c;

              while ((c = echo_accept (lfd)) >= 0)
                {
                  struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };

                  epoll_ctl (epfd, EPOLL_CTL_ADD, c, &cev);
                }
            }
          else if (!echo_read_write (fd))
            {
              epoll_ctl (epfd, EPOLL_CTL_DEL, fd, NULL);
              close (fd);
            }
        }
    }
}

/* ioloop's server, on the epoll backend as the floor above. */
static void
io_conn_cb (int       fd,
            IoEvents  events,
            gpointer  loop,
            GError  **error)
{
  if (!echo_read_write (fd))
    {
      io_loop_remove_handler (loop, fd, NULL);
      close (fd);
    }
}

static void
io_accept_cb (int       lfd,
              IoEvents  events,
              gpointer  loop,
              GError  **error)
{
  int fd;

  while ((fd = echo_accept (lfd)) >= 0)
    io_loop_add_handler (loop, fd, IO_EVENTS_READ, io_conn_cb, loop, NULL, NULL);
}

void
echo_serve_ioloop (int lfd)
{
  IoLoop *loop = io_loop_new_with_backend ("epoll", NULL);

  io_loop_add_handler (loop, lfd, IO_EVENTS_READ, io_accept_cb, loop, NULL, NULL);
  io_loop_start (loop, NULL);
}
