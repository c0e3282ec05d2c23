/* A tiny test harness for the C tests: CHECK records a failure and goes on; finish() prints the
 * closing "N passed, N failed" line and gives the exit status. */
#ifndef MWAUTH_TEST_CHECK_H
#define MWAUTH_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_passed, checks_failed;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (cond) {                                                                 \
      checks_passed++;                                                          \
    } else {                                                                    \
      checks_failed++;                                                          \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

/* Whether the JSON text `json` contains `needle` (compact serde_json output, keys sorted). */
static int has(const char *json, const char *needle) {
  return json != NULL && strstr(json, needle) != NULL;
}

static int finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
