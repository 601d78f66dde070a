/*
 * baton-orders: the seed scenario's "domain-specific orchestrator as a small
 * C program", written against libbaton's public API only. It loads the
 * orders app (examples/orders), and for each order given on the command
 * line (default "order #1001") it:
 *   - routes by content: an empty order is rejected without running
 *     anything; an order starting with "draft" stops after module1;
 *   - calls module1's handle-init with the order,
 *   - passes module1's output to module2's handle-init, retrying module2 on
 *     a trap up to N attempts in all (-n N, default 3) with a short backoff,
 *   - prints module2's result, one line per order, on stdout.
 * Step notes go to stderr. Exit status: 0 all orders done, 1 an order was
 * rejected or a guest kept trapping, 2 usage or load error.
 *
 * Usage: baton-orders [-f MANIFEST] [-n ATTEMPTS] [ORDER...]
 * The manifest is -f, else $BATON_MANIFEST (set by `baton orders`), else
 * baton.toml (then spin.toml) in the current directory.
 */
#include <baton/baton.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Calls component's handle-init with one string; on success *out is a
 * malloc'd copy of the returned string. Returns 0 ok, 1 trap (message in
 * why), 2 host error (message in why). */
static int call_string(baton_app_t *app, const char *component, const char *in, char **out, char *why,
                       size_t why_size) {
  baton_value_t arg = {.kind = BATON_VALUE_STRING}, res = {0};
  arg.of.str.ptr = strdup(in);
  arg.of.str.len = strlen(in);
  if (!arg.of.str.ptr) {
    snprintf(why, why_size, "out of memory");
    return 2;
  }
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_app_call(app, component, "handle-init", &arg, 1, &res, &trap);
  baton_value_clear(&arg);
  int rc = 0;
  if (err) {
    snprintf(why, why_size, "%s", baton_error_message(err));
    baton_error_delete(err);
    rc = 2;
  } else if (trap) {
    snprintf(why, why_size, "%s", baton_trap_message(trap));
    baton_trap_delete(trap);
    rc = 1;
  } else if (res.kind != BATON_VALUE_STRING || !(*out = strdup(res.of.str.ptr))) {
    snprintf(why, why_size, "%s did not return a string", component);
    rc = 2;
  }
  baton_value_clear(&res);
  return rc;
}

/* Runs one order through module1 and module2. Returns an exit status. */
static int process(baton_app_t *app, const char *order, int attempts) {
  char why[1024];
  if (!order[0]) {
    fprintf(stderr, "baton-orders: rejected an empty order\n");
    return 1;
  }
  char *mid = NULL, *result = NULL;
  int rc = call_string(app, "module1", order, &mid, why, sizeof why);
  if (rc) {
    fprintf(stderr, "baton-orders: module1 failed: %s\n", why);
    return rc;
  }
  if (!strncmp(order, "draft", 5)) {
    fprintf(stderr, "baton-orders: draft order, module2 skipped\n");
    printf("%s\n", mid);
    fflush(stdout);
    free(mid);
    return 0;
  }
  for (int attempt = 1; attempt <= attempts; attempt++) {
    rc = call_string(app, "module2", mid, &result, why, sizeof why);
    if (rc != 1) break; /* done, or a host error that a retry cannot fix */
    fprintf(stderr, "baton-orders: module2 trapped (attempt %d of %d): %s\n", attempt, attempts, why);
    if (attempt < attempts) nanosleep(&(struct timespec){0, 10000000L * attempt}, NULL);
  }
  if (rc == 2) fprintf(stderr, "baton-orders: module2 failed: %s\n", why);
  if (rc == 1) fprintf(stderr, "baton-orders: giving up on \"%s\" after %d attempts\n", order, attempts);
  if (!rc) printf("%s\n", result);
  fflush(stdout);
  free(mid);
  free(result);
  return rc;
}

int main(int argc, char **argv) {
  const char *manifest = getenv("BATON_MANIFEST");
  int attempts = 3, opt;
  if (manifest && !manifest[0]) manifest = NULL;
  while ((opt = getopt(argc, argv, "+f:n:h")) != -1) {
    if (opt == 'f') manifest = optarg;
    else if (opt == 'n' && atoi(optarg) > 0) attempts = atoi(optarg);
    else {
      fprintf(stderr, "usage: baton-orders [-f MANIFEST] [-n ATTEMPTS] [ORDER...]\n");
      return opt == 'h' ? 0 : 2;
    }
  }
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  baton_app_options_t opts = {.prefix_output = true}; /* guest lines as "[module1] ..." */
  baton_error_t *err = baton_engine_new(NULL, &engine);
  if (!err) err = baton_app_load(engine, manifest, &opts, &app);
  if (err) {
    fprintf(stderr, "baton-orders: %s\n", baton_error_message(err));
    baton_error_delete(err);
    baton_engine_delete(engine);
    return 2;
  }
  int status = 0;
  if (optind >= argc) {
    status = process(app, "order #1001", attempts);
  } else {
    for (int i = optind; i < argc && status != 2; i++) {
      int rc = process(app, argv[i], attempts);
      if (rc > status) status = rc;
    }
  }
  baton_app_delete(app);
  baton_engine_delete(engine);
  return status;
}
