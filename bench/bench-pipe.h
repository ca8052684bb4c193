/* bench-pipe.h: what the pipe benchmark's peers share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libev's <ev.h> and libevent's <event2/event.h> both define EV_READ (with
 * different values), so the libevent peer lives in its own file.
 */
#pragma once

#include "bench-common.h"

#include <stdlib.h>
#include <sys/socket.h>

typedef struct
{
  int      n_pipes;
  int      n_active;
  int      n_writes;
  gboolean readd;
  int      reps;
} PipeParams;

/* state of the run in progress (each child process has its own) */
extern const PipeParams *pp;
extern int *pipes;       /* pipes[2i]: read end (watched); pipes[2i+1]: write end */
extern int count, writes, fired;

void setup_pipes (const PipeParams *params);

/* the work of one readable event, as in bench.c's read_cb */
static inline void
read_cb (int idx)
{
  int widx = idx + 1;
  unsigned char ch;

  count += (int) recv (pipes[2 * idx], &ch, sizeof ch, 0);
  if (writes)
    {
      if (widx >= pp->n_pipes)
        widx -= pp->n_pipes;
      if (send (pipes[2 * widx + 1], "e", 1, 0) != 1)
        abort ();
      writes--;
      fired++;
    }
}

typedef struct
{
  void (*readd_all) (void);
  void (*iterate)   (void);
} PipeOps;

/* two warm-up runs, then pp->reps timed runs: sets out->value to their
 * median in microseconds */
void timed_runs (const PipeOps *ops,
                 BenchSample   *out);

gboolean bench_pipe_run_libevent (gpointer     ctx,
                                  BenchSample *out);
