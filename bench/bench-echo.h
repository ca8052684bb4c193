/* bench-echo.h: what the TCP echo benchmark's servers share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bench-common.h"

#include <sys/types.h>

/* accept one connection from the (non-blocking) listening socket: returns a
 * non-blocking TCP_NODELAY fd, or -1 when there is none left */
int  echo_accept      (int listen_fd);
/* read what is there and write it back: FALSE when the connection is done
 * (EOF or error; the caller removes its watcher and closes the fd) */
gboolean echo_read_write (int fd);

/* the load client: BENCH_ECHO_CLIENT, else bench-echo-client beside the
 * program (g_free() it) */
char *echo_find_client (void);
/* runs @client against 127.0.0.1:@port with its stdout on a pipe, whose
 * read end goes to *out_fd: returns the client's pid, or -1 */
pid_t echo_spawn_client (const char *client,
                         int         port,
                         int         connections,
                         int         msg_bytes,
                         double      warmup,
                         double      seconds,
                         int        *out_fd);

typedef struct
{
  const char *client;
  int         connections;
  int         msg_bytes;
  double      warmup;
  double      seconds;
} EchoParams;

typedef struct
{
  double    trips_per_s;    /* the client's, over the measured seconds */
  long long all_trips;      /* warm-up included */
  double    server_cpu_us;  /* the server's user + sys, from fork to kill */
} EchoResult;

/* Loads the server process @server, listening on 127.0.0.1:@port, with the
 * client as @ep says; then kills and reaps it. Returns FALSE (the server
 * reaped all the same) if the client failed. */
gboolean echo_run_client (const EchoParams *ep,
                          pid_t             server,
                          int               port,
                          EchoResult       *res);

/* every server runs its loop on @listen_fd forever (it is killed) */
void echo_serve_epoll (int listen_fd);
void echo_serve_ioloop (int listen_fd);
void bench_echo_serve_libevent (int listen_fd);
