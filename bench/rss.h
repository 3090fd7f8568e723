/* rss.h - resident memory of this process, from /proc/self. */
#ifndef BENCH_RSS_H
#define BENCH_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "Field:  N kB" line of a /proc/self file, in MiB; -1 if absent. */
static inline double proc_mib(const char *file, const char *field)
{
  char line[256];
  double kib = -1;
  size_t len = strlen(field);
  FILE *f = fopen(file, "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, field, len) == 0 && line[len] == ':') kib = atof(line + len + 1);
  fclose(f);
  return kib < 0 ? -1 : kib / 1024;
}

static inline double rss_mib(void) { return proc_mib("/proc/self/status", "VmRSS"); }

/* Start VmHWM afresh, so that a peak during start-up (Py_Initialize) is not
 * counted; on a kernel without it, VmHWM is still an upper bound. */
static inline void rss_reset_peak(void)
{
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f != NULL) {
    fputs("5", f);
    fclose(f);
  }
}

#endif /* BENCH_RSS_H */
