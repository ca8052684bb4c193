/* bench-echo-client.c: the load client of the TCP echo benchmarks
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * usage: bench-echo-client PORT [CONNECTIONS [MSG_BYTES [WARMUP_S [SECONDS]]]]
 *
 * Opens CONNECTIONS (100) TCP connections to 127.0.0.1:PORT; each keeps one
 * MSG_BYTES (32) message in flight: send it, wait until it has come back in
 * full, send it again. Round trips completed during SECONDS (2.0) after a
 * warm-up of WARMUP_S (0.3) are printed on stdout as "<round trips/s>
 * <all round trips, warm-up included>". Messages go up to 1 MiB: what a
 * write leaves over is written when the socket is writable again (EPOLLOUT
 * is watched only then), while the echo is read as it comes.
 * One process, one thread, level-triggered epoll: the same client for
 * every server (C and Python).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG (1024 * 1024)

typedef struct
{
  int      fd;
  int      sent;       /* bytes of the current message written */
  int      received;   /* bytes of the current echo received */
  uint32_t events;     /* what epoll watches */
} Conn;

/* Lives as long as the process: every exit path ends it. */
static Conn *conns;
static char msg[MAX_MSG];
static int msg_len = 32;
static int epfd;

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (const char *what)
{
  fprintf (stderr, "bench-echo-client: %s: %s\n", what, strerror (errno));
  exit (1);
}

/* Writes what the socket takes of the current message; watches EPOLLOUT
 * while some of it is left. */
static void
send_more (int i)
{
  Conn *c = &conns[i];
  uint32_t want;

  while (c->sent < msg_len)
    {
      ssize_t w = write (c->fd, msg + c->sent, msg_len - c->sent);

      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          die ("write");
        }
      c->sent += (int) w;
    }
  want = c->sent < msg_len ? EPOLLIN | EPOLLOUT : EPOLLIN;
  if (want != c->events)
    {
      struct epoll_event ev = { .events = want, .data.u32 = i };

      if (epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        die ("epoll_ctl");
      c->events = want;
    }
}

static void
send_message (int i)
{
  conns[i].sent = 0;
  send_more (i);
}

int
main (int    argc,
      char **argv)
{
  int port, n_conns = 100;
  double warmup = 0.3, seconds = 2.0, t_begin, t_measure, t_end, t_last = 0;
  static char buf[65536];
  long long trips = 0, all_trips = 0;
  int measuring = 0;
  struct epoll_event evs[256];

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s PORT [CONNECTIONS [MSG_BYTES [WARMUP_S [SECONDS]]]]\n", argv[0]);
      return 2;
    }
  port = atoi (argv[1]);
  if (argc > 2)
    n_conns = atoi (argv[2]);
  if (argc > 3)
    msg_len = atoi (argv[3]);
  if (argc > 4)
    warmup = atof (argv[4]);
  if (argc > 5)
    seconds = atof (argv[5]);
  if (msg_len < 1 || msg_len > (int) sizeof msg || n_conns < 1)
    return 2;
  memset (msg, 'x', msg_len);

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  conns = calloc (n_conns, sizeof *conns);
  for (int i = 0; i < n_conns; i++)
    {
      struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
      int one = 1;

      sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      conns[i].fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (conns[i].fd < 0)
        die ("socket");
      if (connect (conns[i].fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        die ("connect");
      setsockopt (conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fcntl (conns[i].fd, F_SETFL, O_NONBLOCK);
      if (epoll_ctl (epfd, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0)
        die ("epoll_ctl");
      conns[i].events = EPOLLIN;
    }
  for (int i = 0; i < n_conns; i++)
    send_message (i);

  t_begin = now_s ();
  t_measure = t_begin + warmup;
  t_end = t_measure + seconds;
  for (;;)
    {
      int n = epoll_wait (epfd, evs, 256, 10000);
      double t;

      if (n < 0 && errno != EINTR)
        die ("epoll_wait");
      if (n == 0)
        {
          fprintf (stderr, "bench-echo-client: no reply for 10 s\n");
          return 1;
        }
      for (int k = 0; k < n; k++)
        {
          int i = (int) evs[k].data.u32;
          Conn *c = &conns[i];
          ssize_t r;

          if (evs[k].events & EPOLLOUT)
            send_more (i);
          if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            continue;
          r = read (c->fd, buf, sizeof buf);
          if (r == 0)
            {
              fprintf (stderr, "bench-echo-client: server closed a connection\n");
              return 1;
            }
          if (r < 0)
            {
              if (errno == EAGAIN || errno == EINTR)
                continue;
              die ("read");
            }
          c->received += (int) r;
          if (c->received >= msg_len)
            {
              c->received -= msg_len;
              all_trips++;
              if (measuring)
                trips++;
              send_message (i);
            }
        }
      t = now_s ();
      if (!measuring && t >= t_measure)
        {
          measuring = 1;
          t_measure = t;
          t_end = t + seconds;
        }
      else if (measuring && t >= t_end)
        {
          t_last = t;
          break;
        }
    }
  printf ("%.1f %lld\n", trips / (t_last - t_measure), all_trips);
  return 0;
}
