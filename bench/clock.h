/* clock.h - wall time for the harness, and the one line each measurement
 * prints: workload, peer, configuration, unit, value (tab-separated; run.sh
 * prefixes the repetition). */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdio.h>
#include <time.h>

static inline double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void report(const char *workload, const char *peer, const char *config, const char *unit, double value)
{
  printf("%s\t%s\t%s\t%s\t%.4f\n", workload, peer, config, unit, value);
  fflush(stdout);
}

#endif /* BENCH_CLOCK_H */
