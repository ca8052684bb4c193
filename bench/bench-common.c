/* bench-common.c: rounds, rotation, child processes, medians, tables
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-common.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static gboolean quick;
static int rounds = 5;
static char **peer_filter;
static const char *results_tsv;
static const char *program_name;
static int child_timeout = 300;
static int exit_status;

void
bench_init (const char *program,
            const char *description)
{
  const char *s;

  program_name = program;
  s = g_getenv ("QUICK");
  quick = s != NULL && *s != '\0' && strcmp (s, "0") != 0;
  rounds = quick ? 1 : 5;
  s = g_getenv ("BENCH_ROUNDS");
  if (s != NULL && atoi (s) > 0)
    rounds = atoi (s);
  s = g_getenv ("BENCH_PEERS");
  if (s != NULL && *s != '\0')
    peer_filter = g_strsplit (s, ",", -1);
  s = g_getenv ("BENCH_RESULTS_TSV");
  if (s != NULL && *s != '\0')
    results_tsv = s;
  if (quick)
    child_timeout = 30;

  /* children inherit stdout: flush before every fork */
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("# %s: %s%s; %d round%s, peer order rotated each round\n",
          program, description, quick ? " (QUICK mode: tiny sizes)" : "",
          rounds, rounds == 1 ? "" : "s");
}

gboolean
bench_quick (void)
{
  return quick;
}

int
bench_rounds (void)
{
  return rounds;
}

void
bench_set_child_timeout (int seconds)
{
  child_timeout = seconds;
}

int
bench_exit_status (void)
{
  return exit_status;
}

uint64_t
bench_clock_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

uint64_t
bench_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

size_t
bench_heap_bytes (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return mi.uordblks + mi.hblkhd;
}

int
bench_raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return 1024;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        getrlimit (RLIMIT_NOFILE, &rl);
    }
  return rl.rlim_cur > 1 << 24 ? 1 << 24 : (int) rl.rlim_cur;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
bench_median (double *v,
              int     n)
{
  if (n <= 0)
    return NAN;
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

gint64
bench_thread_syscw (void)
{
  char *text = NULL;
  const char *p;
  gint64 v = -1;

  if (!g_file_get_contents ("/proc/thread-self/io", &text, NULL, NULL))
    return -1;
  p = strstr (text, "syscw:");
  if (p != NULL)
    v = g_ascii_strtoll (p + 6, NULL, 10);
  g_free (text);
  return v;
}

static gboolean
peer_selected (const char *name)
{
  if (peer_filter == NULL)
    return TRUE;
  for (char **p = peer_filter; *p != NULL; p++)
    if (strcmp (*p, name) == 0)
      return TRUE;
  return FALSE;
}

/* Fork, run the peer in the child, read back its sample. */
static gboolean
measure_in_child (const BenchCase *c,
                  const BenchPeer *peer,
                  gpointer         ctx,
                  BenchSample     *out)
{
  int fds[2];
  pid_t pid;
  int status;
  struct rusage ru;
  ssize_t n;

  if (pipe (fds) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      BenchSample s = { 0 };

      close (fds[0]);
      alarm (child_timeout);
      if (!peer->run (ctx, &s))
        _exit (2);
      if (write (fds[1], &s, sizeof s) != sizeof s)
        _exit (3);
      _exit (0);
    }
  close (fds[1]);
  memset (out, 0, sizeof *out);
  do
    n = read (fds[0], out, sizeof *out);
  while (n < 0 && errno == EINTR);
  close (fds[0]);
  while (wait4 (pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      g_error ("wait4: %s", g_strerror (errno));
  if (n != sizeof *out || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (WIFSIGNALED (status))
        fprintf (stderr, "  [%s %s: %s: killed by signal %d%s]\n", c->workload,
                 c->params, peer->name, WTERMSIG (status),
                 WTERMSIG (status) == SIGALRM ? " (timeout)" : "");
      else
        fprintf (stderr, "  [%s %s: %s: failed (exit %d)]\n", c->workload,
                 c->params, peer->name,
                 WIFEXITED (status) ? WEXITSTATUS (status) : -1);
      return FALSE;
    }
  if (c->maxrss_extra >= 0)
    out->extra[c->maxrss_extra] = ru.ru_maxrss / 1024.0;
  return TRUE;
}

static void
format_value (char       *buf,
              size_t      len,
              double      v)
{
  if (isnan (v))
    g_snprintf (buf, len, "-");
  else if (fabs (v) >= 1e7)
    g_snprintf (buf, len, "%.3g", v);
  else if (fabs (v) >= 100)
    g_snprintf (buf, len, "%.0f", v);
  else if (fabs (v) >= 10)
    g_snprintf (buf, len, "%.1f", v);
  else
    g_snprintf (buf, len, "%.2f", v);
}

gboolean
bench_run_case (const BenchCase *c,
                const BenchPeer *peers,
                int              n_peers,
                gpointer         ctx)
{
  const BenchPeer *sel[32];
  int n = 0, ref = -1;
  BenchSample *samples;
  gboolean *ok;
  FILE *tsv = NULL;
  gboolean ioloop_ok = TRUE;

  for (int i = 0; i < n_peers && n < 32; i++)
    if (peer_selected (peers[i].name))
      {
        if (strcmp (peers[i].name, "ioloop") == 0)
          ref = n;
        sel[n++] = &peers[i];
      }
  if (n == 0)
    return TRUE;

  samples = g_new0 (BenchSample, (gsize) rounds * n);
  ok = g_new0 (gboolean, (gsize) rounds * n);
  for (int r = 0; r < rounds; r++)
    for (int k = 0; k < n; k++)
      {
        int p = (k + r) % n;

        ok[r * n + p] = measure_in_child (c, sel[p], ctx, &samples[r * n + p]);
      }

  printf ("\n== %s: %s [%s] ==\n", c->workload, c->title, c->params);
  printf ("%s in %s (%s is better); speed-up = median over rounds of "
          "(ioloop speed / peer speed), >= 1.00 means ioloop is at least as fast\n",
          c->metric, c->unit, c->higher_is_better ? "higher" : "lower");
  printf ("%-10s %10s %10s %10s %9s", "peer", "median", "min", "max", "speed-up");
  for (int e = 0; e < c->n_extra; e++)
    {
      char *h = g_strdup_printf ("%s(%s)", c->extra_names[e], c->extra_units[e]);
      printf (" %14s", h);
      g_free (h);
    }
  printf ("\n");

  if (results_tsv != NULL)
    tsv = fopen (results_tsv, "a");

  for (int p = 0; p < n; p++)
    {
      double vals[rounds], ratios[rounds], ex[rounds];
      int nv = 0, nr = 0;
      double med, mn = NAN, mx = NAN, speedup;
      char b1[32], b2[32], b3[32], b4[32];
      GString *extras = g_string_new (NULL);

      for (int r = 0; r < rounds; r++)
        {
          const BenchSample *s = &samples[r * n + p];

          if (!ok[r * n + p])
            continue;
          vals[nv++] = s->value;
          if (isnan (mn) || s->value < mn)
            mn = s->value;
          if (isnan (mx) || s->value > mx)
            mx = s->value;
          if (ref >= 0 && ok[r * n + ref])
            {
              double io = samples[r * n + ref].value;

              ratios[nr++] = c->higher_is_better ? io / s->value : s->value / io;
            }
        }
      med = bench_median (vals, nv);
      speedup = bench_median (ratios, nr);
      if (p == ref && nv == 0)
        ioloop_ok = FALSE;
      format_value (b1, sizeof b1, med);
      format_value (b2, sizeof b2, mn);
      format_value (b3, sizeof b3, mx);
      if (isnan (speedup))
        g_snprintf (b4, sizeof b4, "-");
      else
        g_snprintf (b4, sizeof b4, "%.2f", speedup);
      printf ("%-10s %10s %10s %10s %9s", sel[p]->name, nv ? b1 : "FAILED", b2, b3, b4);
      for (int e = 0; e < c->n_extra; e++)
        {
          int ne = 0;
          char be[32];

          for (int r = 0; r < rounds; r++)
            if (ok[r * n + p])
              ex[ne++] = samples[r * n + p].extra[e];
          format_value (be, sizeof be, bench_median (ex, ne));
          printf (" %14s", be);
          g_string_append_printf (extras, "%s%s[%s]=%s", e ? ";" : "",
                                  c->extra_names[e], c->extra_units[e], be);
        }
      printf ("\n");
      if (tsv != NULL)
        fprintf (tsv, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.6g\t%s\t%d\t%s\n",
                 c->workload, c->title, c->params, sel[p]->name, c->metric, c->unit,
                 c->higher_is_better ? "higher" : "lower", med, b4, nv, extras->str);
      g_string_free (extras, TRUE);
    }
  if (tsv != NULL)
    fclose (tsv);
  g_free (samples);
  g_free (ok);
  if (ref >= 0 && !ioloop_ok)
    exit_status = 1;
  return ioloop_ok;
}
