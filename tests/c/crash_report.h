/* crash_report.h - a test that crashes prints where, then dies of its signal.
 *
 * A crash seen once in a package build's log is otherwise just "SEGFAULT";
 * the frames (library+offset, resolvable with addr2line against the debug
 * symbols) and the faulting address make it something to go on.  The
 * sanitizers report crashes themselves and are left alone. */
#ifndef TSHEAP_TEST_CRASH_REPORT_H
#define TSHEAP_TEST_CRASH_REPORT_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CRASH_REPORT_SANITIZED 1
#elif defined(__has_feature)   /* clang's way of saying the same */
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CRASH_REPORT_SANITIZED 1
#endif
#endif

#ifndef CRASH_REPORT_SANITIZED
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* write(2) and backtrace_symbols_fd only: a handler may not use stdio */
static void crash_report(int sig, siginfo_t *info, void *context)
{
  static const char hex[] = "0123456789abcdef";
  char line[] = "crash: signal ?? at 0x0000000000000000\n";
  char *num = strchr(line, '?'), *at = strstr(line, "0x") + 2;
  uintptr_t addr = (uintptr_t)info->si_addr;
  void *frame[64];
  (void)context;
  num[0] = (char)('0' + sig / 10 % 10);
  num[1] = (char)('0' + sig % 10);
  for (int i = 15; i >= 0; i--, addr >>= 4) at[i] = hex[addr & 15];
  if (write(STDERR_FILENO, line, sizeof line - 1) < 0) {}
  backtrace_symbols_fd(frame, backtrace(frame, 64), STDERR_FILENO);
  raise(sig);   /* SA_RESETHAND: the default action now, a core if enabled */
}

__attribute__((constructor)) static void crash_report_install(void)
{
  static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
  struct sigaction sa;
  void *warm[1];
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = crash_report;
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  (void)backtrace(warm, 1);   /* its first call loads libgcc: not in a handler */
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaction(fatal[i], &sa, NULL);
}
#endif

#endif
