/*
 * tests/test.h: the minimal test harness shared by every test binary.
 *
 * A test file defines functions with TEST(name) and lists them in main via
 * RUN(name). ASSERT_* macros report file:line and the compared values, then
 * abandon the current test; the binary exits non-zero if any test failed and
 * prints "N passed, M failed".
 */
#ifndef BATON_TEST_H
#define BATON_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed;
static jmp_buf t_jmp;
static const char *t_current;

#define TEST(name) static void test_##name(void)
#define RUN(name)                                         \
  do {                                                    \
    t_current = #name;                                    \
    fprintf(stderr, "-- %s\n", #name);                    \
    if (setjmp(t_jmp) == 0) {                             \
      test_##name();                                      \
      t_passed++;                                         \
    } else {                                              \
      t_failed++;                                         \
      fprintf(stderr, "FAIL %s\n", #name);                \
    }                                                     \
  } while (0)
#define TEST_MAIN_END()                                                \
  do {                                                                 \
    printf("%d passed, %d failed\n", t_passed, t_failed);              \
    return t_failed ? 1 : 0;                                           \
  } while (0)

#define T_FAIL_(...)                                   \
  do {                                                 \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);    \
    fprintf(stderr, __VA_ARGS__);                      \
    fprintf(stderr, "\n");                             \
    longjmp(t_jmp, 1);                                 \
  } while (0)

#define ASSERT_TRUE(c) \
  do { if (!(c)) T_FAIL_("assertion failed: %s", #c); } while (0)
#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))
#define ASSERT_EQ(a, b)                                                   \
  do {                                                                    \
    long long a_ = (long long)(a), b_ = (long long)(b);                   \
    if (a_ != b_) T_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);      \
  } while (0)
#define ASSERT_NE(a, b)                                                   \
  do {                                                                    \
    long long a_ = (long long)(a), b_ = (long long)(b);                   \
    if (a_ == b_) T_FAIL_("%s != %s: both %lld", #a, #b, a_);             \
  } while (0)
#define ASSERT_STREQ(a, b)                                                \
  do {                                                                    \
    const char *a_ = (a), *b_ = (b);                                      \
    if (!a_ || !b_ || strcmp(a_, b_) != 0)                                \
      T_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",   \
              b_ ? b_ : "(null)");                                        \
  } while (0)
#define ASSERT_CONTAINS(hay, needle)                                      \
  do {                                                                    \
    const char *h_ = (hay), *n_ = (needle);                               \
    if (!h_ || !strstr(h_, n_))                                           \
      T_FAIL_("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);  \
  } while (0)
#define ASSERT_NULL(p) \
  do { if ((p) != NULL) T_FAIL_("%s is not NULL", #p); } while (0)
#define ASSERT_NOT_NULL(p) \
  do { if ((p) == NULL) T_FAIL_("%s is NULL", #p); } while (0)
/* Asserts a baton_error_t* is NULL, printing its message otherwise. */
#define ASSERT_OK(expr)                                                   \
  do {                                                                    \
    baton_error_t *e_ = (expr);                                           \
    if (e_) {                                                             \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr, \
              baton_error_message(e_));                                   \
      baton_error_delete(e_);                                             \
      longjmp(t_jmp, 1);                                                  \
    }                                                                     \
  } while (0)

/* Returns the path of a guest built into $BATON_GUESTS (static buffer). */
static inline const char *t_guest(const char *name) {
  static char buf[4096];
  const char *dir = getenv("BATON_GUESTS");
  snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "build/guests", name);
  return buf;
}

/* Reads a whole file; caller frees. Returns NULL on failure. */
static inline unsigned char *t_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
  fclose(f);
  if (b && len) *len = (size_t)n;
  return b;
}

#endif
