/*
 * tests/component/wasi2/fsguest.c: a wasi-libc reactor using files beneath
 * a directory granted as /data, made into a component with the preview1
 * reactor adapter (so it reaches the host through wasi:filesystem), for
 * test_wasi2_fs.sh. Exports take and return u32 only; each prints
 * "ok"/"failed" lines (no errno text, which differs between hosts).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT(name) __attribute__((export_name(name)))

static const char *st(int ok) { return ok ? "ok" : "failed"; }

/* Prints /data/in.txt; returns its length (0 when it cannot be read). */
EXPORT("read-in") uint32_t read_in(void) {
  FILE *f = fopen("/data/in.txt", "r");
  char buf[256];
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = 0;
  printf("read: %s [%s]\n", st(f != NULL), buf);
  if (f) fclose(f);
  struct stat s;
  int r = stat("/data/in.txt", &s);
  printf("stat: %s size=%lld\n", st(r == 0), r == 0 ? (long long)s.st_size : -1LL);
  fflush(stdout);
  return (uint32_t)n;
}

/* Writes /data/out.txt (n lines, then one appended line); 1 when all
 * worked. */
EXPORT("write-out") uint32_t write_out(uint32_t n) {
  FILE *f = fopen("/data/out.txt", "w");
  int ok = f != NULL;
  for (uint32_t i = 0; f && i < n; i++) ok &= fprintf(f, "line %u\n", i) > 0;
  if (f) ok &= fclose(f) == 0;
  printf("write: %s\n", st(ok));
  FILE *a = fopen("/data/out.txt", "a");
  int ok2 = a != NULL && fputs("appended\n", a) >= 0;
  if (a) ok2 &= fclose(a) == 0;
  printf("append: %s\n", st(ok2));
  fflush(stdout);
  return (uint32_t)(ok && ok2);
}

/* mkdir, a file inside it, unlink: 1 when all worked. */
EXPORT("dirs") uint32_t dirs(void) {
  int a = mkdir("/data/sub", 0777) == 0;
  FILE *f = fopen("/data/sub/t.txt", "w");
  int b = f && fputs("x", f) >= 0;
  if (f) fclose(f);
  struct stat s;
  int c = stat("/data/sub", &s) == 0 && S_ISDIR(s.st_mode);
  int d = unlink("/data/sub/t.txt") == 0;
  int e = access("/data/sub/t.txt", F_OK) != 0;
  printf("mkdir: %s, create: %s, stat dir: %s, unlink: %s, gone: %s\n", st(a), st(b), st(c), st(d), st(e));
  fflush(stdout);
  return (uint32_t)(a && b && c && d && e);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists /data (sorted, with each entry's kind); returns the entry count. */
EXPORT("list-dir") uint32_t list_dir(void) {
  DIR *d = opendir("/data");
  if (!d) {
    printf("opendir: failed\n");
    fflush(stdout);
    return 0;
  }
  char *names[64];
  uint32_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    char *s = malloc(strlen(e->d_name) + 3);
    sprintf(s, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
    names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("list:");
  for (uint32_t i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  fflush(stdout);
  return n;
}

/* Tries to leave /data: every open must fail; returns how many opened. */
EXPORT("escape") uint32_t escape(void) {
  const char *paths[] = {"/data/../secret.txt", "/data/sub/../../secret.txt", "/data/link/secret.txt",
                         "/data/abs/secret.txt", "/data/flink", "/secret.txt"};
  uint32_t opened = 0;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    FILE *f = fopen(paths[i], "r");
    printf("open %s: %s\n", paths[i], f ? "opened" : "refused");
    if (f) {
      opened++;
      fclose(f);
    }
  }
  FILE *w = fopen("/data/../escaped.txt", "w");
  printf("create /data/../escaped.txt: %s\n", w ? "opened" : "refused");
  if (w) {
    opened++;
    fclose(w);
  }
  fflush(stdout);
  return opened;
}
