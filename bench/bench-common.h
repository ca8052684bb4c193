/* bench-common.h: the harness shared by the benchmark programs
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every measurement runs in a fresh child process (fork), so peers never
 * share a heap, an fd table or a peak-RSS counter. A case is measured for
 * every peer once per round; the peer order is rotated each round. The
 * table reports the median per peer and the median of the per-round ratios
 * "ioloop speed / peer speed" (>= 1.00: ioloop at least as fast).
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

G_BEGIN_DECLS

#define BENCH_MAX_EXTRA 4

typedef struct
{
  double value;                   /* the primary metric */
  double extra[BENCH_MAX_EXTRA];  /* secondary metrics (see BenchCase) */
} BenchSample;

/* Runs one measurement in the child; returns FALSE (after printing why to
 * stderr) if the peer could not run. @ctx is the case's context. */
typedef gboolean (*BenchRunFunc) (gpointer ctx, BenchSample *out);

typedef struct
{
  const char   *name;
  BenchRunFunc  run;
} BenchPeer;

typedef struct
{
  const char *workload;        /* short id: "pipe", "timers", ... */
  const char *title;           /* one line shown above the table */
  const char *params;          /* "N=1000 kept": the case within the workload */
  const char *metric;          /* "time per run" */
  const char *unit;            /* "us" */
  gboolean    higher_is_better;
  int         n_extra;
  const char *extra_names[BENCH_MAX_EXTRA];
  const char *extra_units[BENCH_MAX_EXTRA];
  /* extra index filled by the harness with the child's peak RSS in MiB
   * (from wait4()), or -1 */
  int         maxrss_extra;
} BenchCase;

/* Reads QUICK, BENCH_ROUNDS, BENCH_PEERS, BENCH_RESULTS_TSV from the
 * environment and prints the program's header line. */
void      bench_init          (const char *program,
                               const char *description);
gboolean  bench_quick         (void);
int       bench_rounds        (void);
/* seconds after which a child measurement is killed */
void      bench_set_child_timeout (int seconds);

/* Measure @c for every peer (filtered by BENCH_PEERS), print the table and
 * append it to the results file. Returns FALSE if ioloop failed. */
gboolean  bench_run_case      (const BenchCase *c,
                               const BenchPeer *peers,
                               int              n_peers,
                               gpointer         ctx);

/* Exit status for the program: 0, or 1 if any ioloop measurement failed. */
int       bench_exit_status   (void);

/* Helpers */
uint64_t  bench_clock_ns      (void);        /* CLOCK_MONOTONIC, ns */
uint64_t  bench_cpu_ns        (void);        /* CLOCK_PROCESS_CPUTIME_ID */
size_t    bench_heap_bytes    (void);        /* mallinfo2(): in use + mmapped */
int       bench_raise_nofile  (void);        /* soft := hard; returns it */
double    bench_median        (double *v, int n);   /* sorts v */
/* write syscalls made so far by the calling thread (/proc/thread-self/io
 * syscw); -1 if unavailable */
gint64    bench_thread_syscw  (void);
/* xorshift PRNG, deterministic per seed */
static inline uint32_t
bench_rand (uint64_t *s)
{
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return (uint32_t) (x >> 16);
}

/* libev.so exports libevent's names too (its compatibility layer): if the
 * link order let them win, say so instead of crashing. Use in the libevent
 * files, after <event2/event.h>. */
#define BENCH_LIBEVENT_IS_REAL() \
  (strncmp (event_get_version (), "2.", 2) == 0 \
   || (fprintf (stderr, "libevent's event_* names resolve to \"%s\", not libevent 2.x " \
                "(libev's compatibility layer?): link libevent before libev\n", \
                event_get_version ()), 0))

G_END_DECLS
