/* bench-timers.h: what the timer-churn benchmark's peers share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bench-common.h"

typedef struct
{
  int n_timers;        /* 1,000,000 */
  int spread_us;       /* deadlines uniform in [0, spread_us) from now */
} TimerParams;

/* state of the run in progress (each child process has its own) */
extern const TimerParams *tp;
extern int *delays_us;   /* random relative deadline of timer i */
extern int fired;        /* timers fired so far */

/* allocates and fills delays_us (before the heap baseline is taken) */
void timers_prepare (const TimerParams *params);

/* The three phases, timed and measured the same way for every peer. */
typedef struct
{
  void (*add_all)     (void);   /* add timer i with delay delays_us[i] */
  void (*cancel_half) (void);   /* cancel every odd-numbered timer */
  void (*run)         (void);   /* run the loop until fired == n_timers / 2 */
} TimerOps;

/* Runs the phases: value = CPU ns per operation (add, cancel or fire:
 * 2 x n_timers operations), extra[0] = heap bytes per pending timer right
 * after add_all, extra[1] = wall-clock ms. */
void timers_measure (const TimerOps *ops,
                     BenchSample    *out);

gboolean bench_timers_run_libevent (gpointer     ctx,
                                    BenchSample *out);
