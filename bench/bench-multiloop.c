/* bench-multiloop.c: workload 6, scale-out: N loops on N threads
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The echo server of workload 4, N times in one process: N threads, each
 * with a loop of its own and a listening socket of its own, all bound to
 * the same port with SO_REUSEPORT, so that the kernel spreads the
 * connections over the loops. N load clients (bench-echo-client, 100
 * connections each, separate processes) run at once. Reported: round trips
 * per second of all clients together, and the server process's CPU time
 * (every thread) per round trip. N = 1 and 2.
 *
 * ioloop: one IoLoop per thread. epoll: the raw level-triggered loop of
 * workload 4 per thread, the floor.
 */
#define _GNU_SOURCE 1

#include "bench-echo.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_WITH_IOLOOP
#include <ioloop/ioloop.h>
#endif

#define MAX_LOOPS 16

typedef struct
{
  const char *client;
  int         n_loops;
  int         connections;      /* per client */
  int         msg_bytes;
  double      warmup;
  double      seconds;
} MultiParams;

typedef void *(*ServeFunc) (void *listen_fd);

static int
open_listener (int *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  sa.sin_port = htons (*port);
  if (fd < 0 ||
      setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      bind (fd, (struct sockaddr *) &sa, sizeof sa) != 0 ||
      listen (fd, 1024) != 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) != 0)
    {
      perror ("SO_REUSEPORT listener");
      if (fd >= 0)
        close (fd);
      return -1;
    }
  *port = ntohs (sa.sin_port);
  return fd;
}

static gboolean
measure (const MultiParams *mp,
         ServeFunc          serve,
         BenchSample       *out)
{
  int lfds[MAX_LOOPS], out_fds[MAX_LOOPS];
  pid_t server, clients[MAX_LOOPS];
  int port = 0, status, i;
  gboolean ok = TRUE;
  double rate = 0;
  long long all_trips = 0;
  struct rusage ru;

  for (i = 0; i < mp->n_loops; i++)
    if ((lfds[i] = open_listener (&port)) < 0)
      return FALSE;

  server = fork ();
  if (server == 0)
    {
      pthread_t threads[MAX_LOOPS];

      for (i = 1; i < mp->n_loops; i++)
        if (pthread_create (&threads[i], NULL, serve, GINT_TO_POINTER (lfds[i])) != 0)
          _exit (1);
      serve (GINT_TO_POINTER (lfds[0]));
      _exit (0);
    }
  for (i = 0; i < mp->n_loops; i++)
    close (lfds[i]);

  for (i = 0; i < mp->n_loops; i++)
    clients[i] = echo_spawn_client (mp->client, port, mp->connections,
                                    mp->msg_bytes, mp->warmup, mp->seconds,
                                    &out_fds[i]);
  for (i = 0; i < mp->n_loops; i++)
    {
      char text[128] = "";
      double r;
      long long trips;
      ssize_t n;

      if (clients[i] < 0)
        {
          ok = FALSE;
          continue;
        }
      n = read (out_fds[i], text, sizeof text - 1);
      close (out_fds[i]);
      waitpid (clients[i], &status, 0);
      if (n <= 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0 ||
          sscanf (text, "%lf %lld", &r, &trips) != 2 || trips <= 0)
        ok = FALSE;
      else
        {
          rate += r;
          all_trips += trips;
        }
    }
  kill (server, SIGKILL);
  wait4 (server, NULL, 0, &ru);
  if (!ok)
    return FALSE;
  out->value = rate;
  out->extra[0] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
                  + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  out->extra[0] /= (double) all_trips;
  return TRUE;
}

/* ---------------------------------------------------------------- epoll */

static void *
serve_epoll (void *data)
{
  echo_serve_epoll (GPOINTER_TO_INT (data));
  return NULL;
}

#ifdef BENCH_WITH_IOLOOP
static void *
serve_ioloop (void *data)
{
  echo_serve_ioloop (GPOINTER_TO_INT (data));
  return NULL;
}

static gboolean
run_ioloop (gpointer     ctx,
            BenchSample *out)
{
  return measure (ctx, serve_ioloop, out);
}
#endif

static gboolean
run_epoll (gpointer     ctx,
           BenchSample *out)
{
  return measure (ctx, serve_epoll, out);
}

static const BenchPeer peers[] = {
#ifdef BENCH_WITH_IOLOOP
  { "ioloop", run_ioloop },
#endif
  { "epoll", run_epoll },
};

int
main (void)
{
  static const int loop_counts[] = { 1, 2 };
  MultiParams params;
  char *client;
  gboolean ok = TRUE;

  bench_init ("bench-multiloop", "N loops on N threads, SO_REUSEPORT echo");
  signal (SIGPIPE, SIG_IGN);
  params.client = client = echo_find_client ();
  params.connections = 100;
  params.msg_bytes = 32;
  params.warmup = bench_quick () ? 0.05 : 0.3;
  params.seconds = bench_quick () ? 0.2 : 2.0;
  if (!g_file_test (params.client, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-multiloop: load client %s not found (set BENCH_ECHO_CLIENT)\n",
               params.client);
      g_free (client);
      return 1;
    }

  for (gsize k = 0; k < G_N_ELEMENTS (loop_counts); k++)
    {
      char *title, *pstr;

      params.n_loops = loop_counts[k];
      title = g_strdup_printf ("%d loop(s) on as many threads, SO_REUSEPORT; "
                               "%d load client(s) of %d connections, %d-byte messages, "
                               "%.1f s after %.2f s warm-up",
                               params.n_loops, params.n_loops, params.connections,
                               params.msg_bytes, params.seconds, params.warmup);
      pstr = g_strdup_printf ("N=%d", params.n_loops);
      {
        BenchCase c = {
          .workload = "multiloop",
          .title = title,
          .params = pstr,
          .metric = "round trips per second, all clients",
          .unit = "1/s",
          .higher_is_better = TRUE,
          .n_extra = 1,
          .extra_names = { "server CPU/trip" },
          .extra_units = { "us" },
          .maxrss_extra = -1,
        };

        ok = bench_run_case (&c, peers, G_N_ELEMENTS (peers), &params) && ok;
      }
      g_free (title);
      g_free (pstr);
    }
  g_free (client);
  return bench_exit_status ();
}
